"""The continuity page: programs (rows) across documents ordered by year and level (columns)."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Optional

import networkx as nx

from kg.analysis.continuity import program_occurrences
from kg.analysis.results import ProgramOccurrence
from kg.records import Corpus
from kg.views.canvas import (
    LEVEL_COLOURS, LEVEL_ORDER, ROW, add_axis_captions, add_year_axis, doc_node_id, new_network, node_size,
)
from kg.views.evidence import LIST_SEPARATOR, Evidence, evidence_parts, more_field, short
from kg.views.html import View


@dataclass
class FollowedProgram:
    key: str
    label: str
    in_docs: dict[str, list[ProgramOccurrence]]  # doc_id -> where the document names it, in text order


def followed_programs(corpus: Corpus, min_documents: int = 2) -> list[FollowedProgram]:
    """The programs the continuity report follows (named in at least ``min_documents`` documents),
    found and ordered as the report does, so the view and the report count the same programs."""
    followed = []
    for key, item in program_occurrences(corpus).items():
        in_docs: dict[str, list[ProgramOccurrence]] = defaultdict(list)
        for occurrence in sorted(item.occurrences, key=lambda o: (o.year or 0, o.doc_id, o.start)):
            in_docs[occurrence.doc_id].append(occurrence)
        if len(in_docs) >= min_documents:
            followed.append(FollowedProgram(key, item.label, dict(in_docs)))
    followed.sort(key=lambda p: (-len(p.in_docs), min((o.year for os in p.in_docs.values() for o in os if o.year),
                                                      default=0), p.label))
    return followed


def continuity_view(corpus: Corpus, min_documents: int = 2, max_programs: Optional[int] = None) -> View:
    """Programs (rows) across documents ordered by year and level (columns): every program the
    continuity report follows, unless ``max_programs`` cuts the list (the subtitle says so)."""
    ev = Evidence(corpus)
    mention_at = {(m.doc_id, m.start, m.end): m for m in corpus.mentions if m.type == "program"}

    def quote(o: ProgramOccurrence) -> str:
        mention = mention_at.get((o.doc_id, o.start, o.end))
        return ev.mention_evidence(mention) if mention else f"“{o.quote}”\n— {ev.citation(o.doc_id, o.measure)}"

    followed = followed_programs(corpus, min_documents)
    programs = followed[:max_programs] if max_programs is not None else followed
    columns = sorted({d for p in programs for d in p.in_docs},
                     key=lambda d: (ev.doc_year(d) or 0, LEVEL_ORDER.index(ev.doc_level(d)) if ev.doc_level(d) in LEVEL_ORDER else 99, d))
    graph = nx.DiGraph()  # per program, a path through the documents naming it, in time order
    for p in programs:
        cells = [f"cell:{p.key}|{d}" for d in columns if d in p.in_docs]
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
    for row, program in enumerate(programs):
        y = ROW * row
        net.add_node(f"row:{program.key}", label=short(program.label, 14), x=0.0, y=y, shape="text", kind="program",
                     font={"size": 16, "color": "#222222"},
                     tip=f"{program.label}\nnamed in {len(program.in_docs)} documents: "
                         + LIST_SEPARATOR.join(ev.short_name(d) for d in columns if d in program.in_docs))
        for doc_id, occurrences in program.in_docs.items():
            level = ev.doc_level(doc_id)
            measures = sorted({o.measure or "preamble" for o in occurrences})
            quotes, more = evidence_parts(quote(o) for o in occurrences)
            net.add_node(f"cell:{program.key}|{doc_id}", label=" ", x=col_x[doc_id], y=y, shape="dot",
                         size=node_size(len(occurrences), 4), color=LEVEL_COLOURS.get(level, LEVEL_COLOURS["unknown"]),
                         kind="occurrence", **more_field(more),
                         tip=f"{program.label} in {ev.citation(doc_id, None).rsplit(' ', 1)[0]} ({ev.doc_year(doc_id) or '?'}, {level})\n"
                             f"{len(occurrences)} mentions; measures: {', '.join(measures)}\n\n" + quotes)
    for source, target in graph.edges:
        net.add_edge(source, target, arrows="", color={"color": "#bbbbbb"}, width=2)
    return View(
        name="continuity", title="Continuity: programs across years and levels",
        subtitle=(f"{len(programs)} of {len(followed)}" if len(programs) < len(followed) else f"{len(programs)}")
                 + f" programs named in at least {min_documents} documents (as in the continuity report), "
                 f"{len(columns)} documents ordered by year and level",
        nodes=net.nodes, edges=net.edges,
        legend=[(lv, LEVEL_COLOURS[lv]) for lv in LEVEL_ORDER if lv in {ev.doc_level(d) for d in columns}],
        frame={"minScale": 0.72},
    )
