"""The overview page: documents, programs and organizations of the whole build; above
``AGGREGATE_ABOVE_DOCUMENTS`` documents, governments and the most widespread programs instead.

Entities the frequency cut leaves out are not drawn but ride along (``View.hidden_nodes``): the
page's search finds them and offers to show them.
"""
from __future__ import annotations

import hashlib
import math
from collections import Counter, defaultdict
from typing import Iterable

import networkx as nx

from kg.governments import Government, government_of
from kg.records import Corpus, Mention
from kg.views.canvas import (
    LEVEL_COLOURS, LEVEL_ORDER, TYPE_COLOURS, column_order, doc_node_id, document_label, new_network, node_size,
    scaled_positions,
)
from kg.views.evidence import (
    LIST_SEPARATOR, Evidence, document_year, entity_key, entity_label, evidence_parts, first_per_doc, more_field, short,
)
from kg.views.html import View

ENTITY_TYPES = ("program", "organization")
MAX_OVERVIEW_ENTITIES = 400  # beyond this an overview is a hairball, whatever the renderer
MAX_SEARCHABLE_HIDDEN = 2000  # entities left out by the frequency cut that search can still find and show
# one node per document and mention stops helping long before 10k documents: above this many
# documents the overview shows governments (sized by their documents) and the top programs
AGGREGATE_ABOVE_DOCUMENTS = 150
TOP_PROGRAMS = 150
MAX_GOVERNMENTS = 300
GOVERNMENTS_PER_PROGRAM = 12  # edges drawn from a program: to the governments naming it most
GOVERNMENT_KIND = "government"
LABELLED_ENTITIES = 25  # entities whose labels the overview shows before zooming in
# screen pixels of a label per tier at the fitted zoom: documents, frequent entities, the rest;
# the rest stays under the draw threshold until the reader zooms in about twofold
OVERVIEW_FRAME = {"labelTiers": {"0": 14, "1": 12, "2": 6}, "drawThreshold": 11, "maxVisible": 20}


def overview_view(corpus: Corpus, max_entities: int = MAX_OVERVIEW_ENTITIES,
                  aggregate_above: int = AGGREGATE_ABOVE_DOCUMENTS) -> View:
    """Documents, programs and organizations; colour by type and level, size by frequency.
    A corpus of more than ``aggregate_above`` documents gets :func:`government_overview`."""
    if len(corpus.documents) > aggregate_above:
        return government_overview(corpus)
    ev = Evidence(corpus)
    by_entity: dict[tuple[str, str], list[Mention]] = defaultdict(list)
    for mention in corpus.mentions:
        if mention.type in ENTITY_TYPES and mention.doc_id in ev.documents:
            by_entity[(mention.type, entity_key(mention))].append(mention)
    ranked = sorted(by_entity, key=lambda key: (-len({m.doc_id for m in by_entity[key]}), -len(by_entity[key]), key))
    kept, rare = ranked[:max_entities], ranked[max_entities:max_entities + MAX_SEARCHABLE_HIDDEN]
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
    entity_mentions = Counter(m.doc_id for m in corpus.mentions if m.type in ENTITY_TYPES)
    for doc in corpus.documents:
        year, level = document_year(doc), doc.meta.level or "unknown"
        years.add(str(year) if year else "unknown")
        levels.add(level)
        count = entity_mentions[doc.doc_id]
        x, y = positions[doc_node_id(doc.doc_id)]
        net.add_node(doc_node_id(doc.doc_id), label=document_label(doc, ev.short_name(doc.doc_id)), x=x, y=y, shape="box",
                     color=LEVEL_COLOURS.get(level, LEVEL_COLOURS["unknown"]), font={"color": "#ffffff"},
                     kind="document", level=level, year=str(year) if year else "unknown", tier=0,
                     tip=f"{doc.meta.title or doc.doc_id}\n{doc.doc_id}\nlevel: {level}, year: {year or '?'}"
                         f"\n{doc.meta.measures} measures, {count} program/organization mentions")
    for kind, key in kept:
        add_entity(net, ev, kind, key, by_entity[(kind, key)], positions[f"{kind}:{key}"],
                   tier=1 if (kind, key) in labelled else 2)
    hidden_net = new_network()
    for kind, key in rare:
        docs = sorted({doc_node_id(m.doc_id) for m in by_entity[(kind, key)]})
        for doc in docs:  # pyvis wants both ends of an edge; the page has them already
            hidden_net.add_node(doc)
        add_entity(hidden_net, ev, kind, key, by_entity[(kind, key)], near(f"{kind}:{key}", [positions[d] for d in docs]),
                   tier=2)
    hidden = len(ranked) - len(kept)
    return View(
        name="overview", title="Overview: documents, programs, organizations",
        subtitle=f"{len(corpus.documents)} documents, {len(kept)} entities"
                 + (f" (the {hidden} least frequent hidden: search finds them)" if hidden else ""),
        # vis-network draws in list order: labelled entities over the rest, documents over all
        nodes=sorted(net.nodes, key=lambda node: -node.get("tier", 2)), edges=net.edges,
        hidden_nodes=[node for node in hidden_net.nodes if node.get("kind") in ENTITY_TYPES], hidden_edges=hidden_net.edges,
        filters={"year": sorted(years), "level": [lv for lv in LEVEL_ORDER if lv in levels] + sorted(levels - set(LEVEL_ORDER)),
                 "type": ["document", *ENTITY_TYPES]},
        frame=OVERVIEW_FRAME,
        legend=[("program", TYPE_COLOURS["program"]), ("organization", TYPE_COLOURS["organization"])]
               + [(f"document ({lv})", LEVEL_COLOURS.get(lv, LEVEL_COLOURS["unknown"])) for lv in LEVEL_ORDER if lv in levels],
    )


def add_entity(net, ev: Evidence, kind: str, key: str, mentions: list[Mention], position: tuple[float, float],
               tier: int) -> None:
    """A program or organization node, with one edge to each document naming it."""
    node_id = f"{kind}:{key}"
    x, y = position
    in_docs: dict[str, list[Mention]] = defaultdict(list)  # in mention order, as the edge tips quote them
    for mention in mentions:
        in_docs[mention.doc_id].append(mention)
    docs = sorted(in_docs)
    label = Counter(entity_label(m) for m in mentions).most_common(1)[0][0]
    subtype = next((m.subtype for m in mentions if m.subtype), None)
    head = f"{label} ({kind}{', ' + subtype if subtype else ''})\n{len(mentions)} mentions in {len(docs)} documents"
    quotes, more = evidence_parts(ev.mention_evidence(m) for m in first_per_doc(mentions))
    net.add_node(node_id, label=short(label), x=x, y=y, shape="dot", size=node_size(len(mentions)),
                 color=TYPE_COLOURS[kind], kind=kind, docs=[doc_node_id(d) for d in docs], tier=tier,
                 tip=head + "\n\n" + quotes, **more_field(more))
    for doc_id in docs:
        in_doc = in_docs[doc_id]
        quotes, more = evidence_parts(ev.mention_evidence(m) for m in in_doc)
        net.add_edge(node_id, doc_node_id(doc_id), width=min(1 + len(in_doc) / 2, 8), arrows="",
                     color={"color": TYPE_COLOURS[kind], "opacity": 0.45}, **more_field(more),
                     tip=f"{label} — {len(in_doc)}× in {ev.citation(doc_id, None).rsplit(' ', 1)[0]}\n\n" + quotes)


def near(node_id: str, anchors: Iterable[tuple[float, float]], spread: float = 100.0) -> tuple[float, float]:
    """A place for a node left out of the layout: between the nodes it links to and the middle of
    the ring (clear of their boxes, where the layout puts entities of those documents), at a stable
    offset from its id."""
    points = list(anchors) or [(0.0, 0.0)]
    cx, cy = sum(x for x, _ in points) / len(points), sum(y for _, y in points) / len(points)
    digest = hashlib.sha1(node_id.encode("utf-8")).digest()
    angle, radius = 2 * math.pi * digest[0] / 256, spread * (0.5 + digest[1] / 512)
    return round(cx * 0.65 + radius * math.cos(angle), 1), round(cy * 0.65 + radius * math.sin(angle), 1)


def government_node_id(key: str) -> str:
    return f"government:{key}"


def government_overview(corpus: Corpus, top_programs: int = TOP_PROGRAMS,
                        max_governments: int = MAX_GOVERNMENTS) -> View:
    """Governments (one node each, sized by their documents) and the programs most documents
    name, linked to the governments naming them most: a large corpus at a glance."""
    ev = Evidence(corpus)
    governments: dict[str, Government] = {}
    documents_of: dict[str, list[str]] = defaultdict(list)
    government_key: dict[str, str] = {}
    for doc in corpus.documents:
        government = government_of(doc.meta)
        governments.setdefault(government.key, government)
        documents_of[government.key].append(doc.doc_id)
        government_key[doc.doc_id] = government.key
    shown_governments = sorted(documents_of, key=lambda g: (-len(documents_of[g]), g))[:max_governments]
    shown = set(shown_governments)

    mentions_of: dict[str, list[Mention]] = defaultdict(list)
    for mention in corpus.mentions:
        if mention.type == "program" and mention.doc_id in government_key:
            mentions_of[entity_key(mention)].append(mention)
    docs_naming = {key: {m.doc_id for m in mentions} for key, mentions in mentions_of.items()}
    ranked = sorted(mentions_of, key=lambda key: (-len(docs_naming[key]), -len(mentions_of[key]), key))
    kept, rare = ranked[:top_programs], ranked[top_programs:top_programs + MAX_SEARCHABLE_HIDDEN]

    def per_government(key: str) -> list[tuple[str, int]]:
        """(government, documents naming the program), most first."""
        counts = Counter(government_key[d] for d in docs_naming[key] if government_key[d] in shown)
        return sorted(counts.items(), key=lambda item: (-item[1], item[0]))

    # governments on a ring, level by level; a program between the governments naming it
    def ring_order(key: str) -> tuple:
        level = governments[key].level or "unknown"
        return (LEVEL_ORDER.index(level) if level in LEVEL_ORDER else len(LEVEL_ORDER), governments[key].name, key)
    ring = sorted(shown_governments, key=ring_order)
    fixed = {government_node_id(g): (math.cos(2 * math.pi * i / len(ring)), math.sin(2 * math.pi * i / len(ring)))
             for i, g in enumerate(ring)}
    graph = nx.Graph()
    graph.add_nodes_from(fixed)
    for key in kept:
        for government, count in per_government(key)[:GOVERNMENTS_PER_PROGRAM]:
            graph.add_edge(f"program:{key}", government_node_id(government), weight=1 + math.log(count))
    positions = scaled_positions(nx.spring_layout(graph, pos=fixed or None, fixed=list(fixed) or None, seed=7,
                                                  k=1.2 / math.sqrt(max(graph.number_of_nodes(), 1)), iterations=50), 2400)

    net = new_network()
    levels = set()
    for key in ring:
        government, docs = governments[key], documents_of[key]
        level = government.level or "unknown"
        levels.add(level)
        years = sorted({y for d in docs if (y := ev.doc_year(d))})
        span = f"{years[0]}–{years[-1]}" if len(years) > 1 else (str(years[0]) if years else "year ?")
        x, y = positions[government_node_id(key)]
        net.add_node(government_node_id(key), label=f"{short(government.name, 12)}\n{len(docs)} documents", x=x, y=y,
                     shape="box", color=LEVEL_COLOURS.get(level, LEVEL_COLOURS["unknown"]), font={"color": "#ffffff"},
                     kind=GOVERNMENT_KIND, level=level, tier=0,
                     tip=f"{government.name}\nlevel: {level}, {len(docs)} documents ({span})\n"
                         + LIST_SEPARATOR.join(ev.short_name(d) for d in sorted(docs, key=lambda d: (ev.doc_year(d) or 0, d))[:12])
                         + (f" … (+{len(docs) - 12})" if len(docs) > 12 else ""))
    labelled = set(kept[:LABELLED_ENTITIES])
    for key in kept:
        add_program(net, ev, key, mentions_of[key], per_government(key), governments, positions[f"program:{key}"],
                    tier=1 if key in labelled else 2)
    hidden_net = new_network()
    for key in rare:
        counts = per_government(key)
        if not counts:
            continue
        for government, _ in counts:
            hidden_net.add_node(government_node_id(government))
        add_program(hidden_net, ev, key, mentions_of[key], counts, governments,
                    near(f"program:{key}", [positions[government_node_id(g)] for g, _ in counts]), tier=2)
    hidden = len(ranked) - len(kept)
    return View(
        name="overview", title="Overview: governments and programs",
        subtitle=f"{len(corpus.documents)} documents of {len(governments)} governments"
                 + (f" ({len(shown_governments)} with most documents shown)" if len(shown_governments) < len(governments) else "")
                 + f", the {len(kept)} programs most documents name"
                 + (f" (the {hidden} less widespread hidden: search finds them)" if hidden else ""),
        nodes=sorted(net.nodes, key=lambda node: -node.get("tier", 2)), edges=net.edges,
        hidden_nodes=[node for node in hidden_net.nodes if node.get("kind") == "program"],
        hidden_edges=hidden_net.edges,
        filters={"level": [lv for lv in LEVEL_ORDER if lv in levels] + sorted(levels - set(LEVEL_ORDER)),
                 "type": [GOVERNMENT_KIND, "program"]},
        frame=OVERVIEW_FRAME,
        legend=[("program", TYPE_COLOURS["program"])]
               + [(f"government ({lv})", LEVEL_COLOURS.get(lv, LEVEL_COLOURS["unknown"])) for lv in LEVEL_ORDER if lv in levels],
    )


def add_program(net, ev: Evidence, key: str, mentions: list[Mention], per_government: list[tuple[str, int]],
                governments: dict[str, Government], position: tuple[float, float], tier: int) -> None:
    """A program of the aggregated overview, linked to the governments naming it most."""
    node_id = f"program:{key}"
    x, y = position
    docs = {m.doc_id for m in mentions}
    label = Counter(entity_label(m) for m in mentions).most_common(1)[0][0]
    top = per_government[:GOVERNMENTS_PER_PROGRAM]
    head = (f"{label} (program)\n{len(mentions)} mentions in {len(docs)} documents of {len(per_government)} governments\n"
            + LIST_SEPARATOR.join(f"{governments[g].name} ({n})" for g, n in top[:6]))
    quotes, more = evidence_parts(ev.mention_evidence(m) for m in first_per_doc(mentions))
    net.add_node(node_id, label=short(label), x=x, y=y, shape="dot", size=node_size(len(docs)),
                 color=TYPE_COLOURS["program"], kind="program", tier=tier,
                 docs=sorted(government_node_id(g) for g, _ in per_government), tip=head + "\n\n" + quotes, **more_field(more))
    for government, count in top:
        net.add_edge(node_id, government_node_id(government), width=min(1 + math.log(count), 8), arrows="",
                     color={"color": TYPE_COLOURS["program"], "opacity": 0.35},
                     tip=f"{label} — in {count} documents of {governments[government].name}")
