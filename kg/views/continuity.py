"""The continuity page: programs (rows) across documents ordered by year and level (columns)."""
from __future__ import annotations

from collections import Counter, defaultdict

import networkx as nx

from kg.records import Corpus, Mention
from kg.views.canvas import (
    LEVEL_COLOURS, LEVEL_ORDER, ROW, add_axis_captions, add_year_axis, doc_node_id, new_network, node_size,
)
from kg.views.evidence import LIST_SEPARATOR, Evidence, entity_key, entity_label, evidence_block, short
from kg.views.html import View


def continuity_view(corpus: Corpus, min_documents: int = 2, max_programs: int = 60) -> View:
    """Programs (rows) across documents ordered by year and level (columns)."""
    ev = Evidence(corpus)
    occurrences: dict[str, dict[str, list[Mention]]] = defaultdict(lambda: defaultdict(list))
    for mention in corpus.mentions:
        if mention.type == "program" and mention.doc_id in ev.documents:
            occurrences[entity_key(mention)][mention.doc_id].append(mention)
    programs = [key for key, docs in occurrences.items() if len(docs) >= min_documents]
    programs.sort(key=lambda key: (-len(occurrences[key]), min(ev.doc_year(d) or 0 for d in occurrences[key]), key))
    programs = programs[:max_programs]
    columns = sorted({d for key in programs for d in occurrences[key]},
                     key=lambda d: (ev.doc_year(d) or 0, LEVEL_ORDER.index(ev.doc_level(d)) if ev.doc_level(d) in LEVEL_ORDER else 99, d))
    graph = nx.DiGraph()  # per program, a path through the documents naming it, in time order
    for key in programs:
        cells = [f"cell:{key}|{d}" for d in columns if d in occurrences[key]]
        nx.add_path(graph, cells)

    net = new_network()
    col_x = {doc_id: 250.0 + 130.0 * i for i, doc_id in enumerate(columns)}
    add_axis_captions(net, x=0.0, captions=[(-150.0, "year →"), (-80.0, "document (level) →"), (-30.0, "program ↓")],
                      sticky={"year →": 0, "document (level) →": 1})
    add_year_axis(net, {doc_id: (col_x[doc_id], ev.doc_year(doc_id)) for doc_id in columns}, y=-150.0, sticky=0)
    for doc_id in columns:
        level = ev.doc_level(doc_id)
        net.add_node(doc_node_id(doc_id), label=f"{ev.short_name(doc_id)}\n{level}", x=col_x[doc_id], y=-80.0,
                     shape="box", color=LEVEL_COLOURS.get(level, LEVEL_COLOURS["unknown"]),
                     font={"color": "#ffffff", "size": 15}, widthConstraint={"maximum": 124},
                     kind="document", sticky=1, level=level, year=str(ev.doc_year(doc_id) or "unknown"),
                     tip=f"{ev.doc_name(doc_id)}\n{doc_id}\nlevel: {level}, year: {ev.doc_year(doc_id) or '?'}")
    for row, key in enumerate(programs):
        y = ROW * row
        label = Counter(entity_label(m) for ms in occurrences[key].values() for m in ms).most_common(1)[0][0]
        net.add_node(f"row:{key}", label=short(label, 14), x=0.0, y=y, shape="text", kind="program",
                     font={"size": 16, "color": "#222222"},
                     tip=f"{label}\nnamed in {len(occurrences[key])} documents: "
                         + LIST_SEPARATOR.join(ev.short_name(d) for d in columns if d in occurrences[key]))
        for doc_id, mentions in occurrences[key].items():
            if doc_id not in col_x:
                continue
            level = ev.doc_level(doc_id)
            measures = sorted({m.measure or "preamble" for m in mentions})
            net.add_node(f"cell:{key}|{doc_id}", label=" ", x=col_x[doc_id], y=y, shape="dot",
                         size=node_size(len(mentions), 4), color=LEVEL_COLOURS.get(level, LEVEL_COLOURS["unknown"]),
                         kind="occurrence",
                         tip=f"{label} in {ev.citation(doc_id, None).rsplit(' ', 1)[0]} ({ev.doc_year(doc_id) or '?'}, {level})\n"
                             f"{len(mentions)} mentions; measures: {', '.join(measures)}\n\n"
                             + evidence_block(ev.mention_evidence(m) for m in mentions))
    for source, target in graph.edges:
        net.add_edge(source, target, arrows="", color={"color": "#bbbbbb"}, width=2)
    return View(
        name="continuity", title="Continuity: programs across years and levels",
        subtitle=f"{len(programs)} programs named in at least {min_documents} documents, "
                 f"{len(columns)} documents ordered by year and level",
        nodes=net.nodes, edges=net.edges,
        legend=[(lv, LEVEL_COLOURS[lv]) for lv in LEVEL_ORDER if lv in {ev.doc_level(d) for d in columns}],
        frame={"minScale": 0.72},
    )
