"""The overview page: documents, programs and organizations of the whole build."""
from __future__ import annotations

import math
from collections import Counter, defaultdict

import networkx as nx

from kg.records import Corpus, Mention
from kg.views.canvas import (
    LEVEL_COLOURS, LEVEL_ORDER, TYPE_COLOURS, column_order, doc_node_id, document_label, new_network, node_size,
    scaled_positions,
)
from kg.views.evidence import Evidence, document_year, entity_key, entity_label, evidence_block, first_per_doc, short
from kg.views.html import View

ENTITY_TYPES = ("program", "organization")
MAX_OVERVIEW_ENTITIES = 400  # beyond this an overview is a hairball, whatever the renderer
LABELLED_ENTITIES = 25  # entities whose labels the overview shows before zooming in
# screen pixels of a label per tier at the fitted zoom: documents, frequent entities, the rest;
# the rest stays under the draw threshold until the reader zooms in about twofold
OVERVIEW_FRAME = {"labelTiers": {"0": 14, "1": 12, "2": 6}, "drawThreshold": 11, "maxVisible": 20}


def overview_view(corpus: Corpus, max_entities: int = MAX_OVERVIEW_ENTITIES) -> View:
    """Documents, programs and organizations; colour by type and level, size by frequency."""
    ev = Evidence(corpus)
    by_entity: dict[tuple[str, str], list[Mention]] = defaultdict(list)
    for mention in corpus.mentions:
        if mention.type in ENTITY_TYPES and mention.doc_id in ev.documents:
            by_entity[(mention.type, entity_key(mention))].append(mention)
    ranked = sorted(by_entity, key=lambda key: (-len({m.doc_id for m in by_entity[key]}), -len(by_entity[key]), key))
    kept = ranked[:max_entities]
    labelled = set(sorted(kept, key=lambda key: (-len(by_entity[key]), key))[:LABELLED_ENTITIES])

    graph = nx.Graph()
    for doc in corpus.documents:
        graph.add_node(doc_node_id(doc.doc_id))
    for kind, key in kept:
        per_doc = Counter(m.doc_id for m in by_entity[(kind, key)])
        for doc_id, count in per_doc.items():
            graph.add_edge(f"{kind}:{key}", doc_node_id(doc_id), weight=1 + math.log(count))
    # documents on a ring in level and year order, entities between the documents naming them:
    # an entity's place then tells which documents share it
    ring = sorted(corpus.documents, key=lambda d: (column_order(ev, d.doc_id)))
    fixed = {doc_node_id(doc.doc_id): (math.cos(2 * math.pi * i / len(ring)), math.sin(2 * math.pi * i / len(ring)))
             for i, doc in enumerate(ring)}
    positions = scaled_positions(nx.spring_layout(graph, pos=fixed or None, fixed=list(fixed) or None, seed=7,
                                                  k=1.2 / math.sqrt(max(graph.number_of_nodes(), 1)), iterations=80), 2000)

    net = new_network()
    years, levels = set(), set()
    for doc in corpus.documents:
        year, level = document_year(doc), doc.meta.level or "unknown"
        years.add(str(year) if year else "unknown")
        levels.add(level)
        count = sum(1 for m in corpus.mentions if m.doc_id == doc.doc_id and m.type in ENTITY_TYPES)
        x, y = positions[doc_node_id(doc.doc_id)]
        net.add_node(doc_node_id(doc.doc_id), label=document_label(doc, ev.short_name(doc.doc_id)), x=x, y=y, shape="box",
                     color=LEVEL_COLOURS.get(level, LEVEL_COLOURS["unknown"]), font={"color": "#ffffff"},
                     kind="document", level=level, year=str(year) if year else "unknown", tier=0,
                     tip=f"{doc.meta.title or doc.doc_id}\n{doc.doc_id}\nlevel: {level}, year: {year or '?'}"
                         f"\n{doc.meta.measures} measures, {count} program/organization mentions")
    for kind, key in kept:
        mentions = by_entity[(kind, key)]
        node_id = f"{kind}:{key}"
        x, y = positions[node_id]
        docs = sorted({m.doc_id for m in mentions})
        label = Counter(entity_label(m) for m in mentions).most_common(1)[0][0]
        subtype = next((m.subtype for m in mentions if m.subtype), None)
        head = f"{label} ({kind}{', ' + subtype if subtype else ''})\n{len(mentions)} mentions in {len(docs)} documents"
        net.add_node(node_id, label=short(label), x=x, y=y, shape="dot", size=node_size(len(mentions)),
                     color=TYPE_COLOURS[kind], kind=kind, docs=[doc_node_id(d) for d in docs],
                     tier=1 if (kind, key) in labelled else 2,
                     tip=head + "\n\n" + evidence_block(ev.mention_evidence(m) for m in first_per_doc(mentions)))
        for doc_id in docs:
            in_doc = [m for m in mentions if m.doc_id == doc_id]
            net.add_edge(node_id, doc_node_id(doc_id), width=min(1 + len(in_doc) / 2, 8), arrows="",
                         color={"color": TYPE_COLOURS[kind], "opacity": 0.45},
                         tip=f"{label} — {len(in_doc)}× in {ev.citation(doc_id, None).rsplit(' ', 1)[0]}\n\n"
                             + evidence_block(ev.mention_evidence(m) for m in in_doc))
    hidden = len(ranked) - len(kept)
    return View(
        name="overview", title="Overview: documents, programs, organizations",
        subtitle=f"{len(corpus.documents)} documents, {len(kept)} entities"
                 + (f" (the {hidden} least frequent hidden)" if hidden else ""),
        # vis-network draws in list order: labelled entities over the rest, documents over all
        nodes=sorted(net.nodes, key=lambda node: -node.get("tier", 2)), edges=net.edges,
        filters={"year": sorted(years), "level": [lv for lv in LEVEL_ORDER if lv in levels] + sorted(levels - set(LEVEL_ORDER)),
                 "type": ["document", *ENTITY_TYPES]},
        frame=OVERVIEW_FRAME,
        legend=[("program", TYPE_COLOURS["program"]), ("organization", TYPE_COLOURS["organization"])]
               + [(f"document ({lv})", LEVEL_COLOURS.get(lv, LEVEL_COLOURS["unknown"])) for lv in LEVEL_ORDER if lv in levels],
    )
