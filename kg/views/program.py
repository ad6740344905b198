"""The page of one program: the documents and measures naming it across years, and its neighbours."""
from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from typing import Optional

from kg.records import Corpus, Mention
from kg.views.canvas import (
    LEVEL_COLOURS, LEVEL_ORDER, TYPE_COLOURS, add_year_axis, doc_node_id, document_label, measure_node_id,
    new_network, node_size, scaled_positions,
)
from kg.views.evidence import Evidence, entity_key, entity_label, evidence_parts, more_field, short
from kg.views.html import View

PROGRAM_FRAME = {"labelTiers": {"0": 15, "1": 12, "2": 6}, "drawThreshold": 11, "maxVisible": 20}


def most_widespread_program(corpus: Corpus) -> Optional[str]:
    docs_per_program: dict[str, set[str]] = defaultdict(set)
    for mention in corpus.mentions:
        if mention.type == "program":
            docs_per_program[entity_key(mention)].add(mention.doc_id)
    if not docs_per_program:
        return None
    return max(sorted(docs_per_program), key=lambda key: len(docs_per_program[key]))


def program_view(corpus: Corpus, program_key: str, max_related: int = 15) -> View:
    """One program across years: the documents and measures naming it, and programs named beside it."""
    ev = Evidence(corpus)
    mentions = [m for m in corpus.mentions if m.type == "program" and entity_key(m) == program_key]
    label = Counter(entity_label(m) for m in mentions).most_common(1)[0][0] if mentions else program_key
    measures: dict[tuple[str, str], list[Mention]] = defaultdict(list)
    for mention in mentions:
        measures[(mention.doc_id, mention.measure or "preamble")].append(mention)
    related: Counter = Counter()
    related_evidence: dict[str, list[Mention]] = defaultdict(list)
    for other in corpus.mentions:
        if (other.type == "program" and entity_key(other) != program_key
                and (other.doc_id, other.measure or "preamble") in measures):
            related[entity_key(other)] += 1
            related_evidence[entity_key(other)].append(other)
    top_related = [key for key, _ in related.most_common(max_related)]

    related_measures = {key: sorted({(m.doc_id, m.measure or "preamble") for m in related_evidence[key]})
                        for key in top_related}

    docs = sorted({doc_id for doc_id, _ in measures}, key=lambda d: (ev.doc_year(d) or 0, d))
    doc_years = [ev.doc_year(d) or 0 for d in docs]
    years = sorted(set(doc_years))
    centre = f"program:{program_key}"
    positions = scaled_positions(timeline_layout(
        centre, docs, doc_years, list(measures),
        {f"program:{key}": shared for key, shared in related_measures.items()}), 1400)

    net = new_network()
    add_year_axis(net, {d: (positions[doc_node_id(d)][0], ev.doc_year(d)) for d in docs},
                  y=min((positions[doc_node_id(d)][1] for d in docs), default=0.0) - 70.0)
    x, y = positions[centre]
    net.add_node(centre, label=label, x=x, y=y, shape="star", size=30, color=TYPE_COLOURS["program"], kind="program", tier=0,
                 tip=f"{label} (program)\n{len(mentions)} mentions in {len(docs)} documents, {len(measures)} measures")
    for doc_id in docs:
        doc = ev.documents[doc_id]
        x, y = positions[doc_node_id(doc_id)]
        level = ev.doc_level(doc_id)
        net.add_node(doc_node_id(doc_id), label=document_label(doc, ev.short_name(doc_id)), x=x, y=y, shape="box", kind="document",
                     color=LEVEL_COLOURS.get(level, LEVEL_COLOURS["unknown"]), font={"color": "#ffffff"}, tier=0,
                     level=level, year=str(ev.doc_year(doc_id) or "unknown"),
                     tip=f"{ev.doc_name(doc_id)}\nlevel: {level}, year: {ev.doc_year(doc_id) or '?'}")
        net.add_edge(centre, doc_node_id(doc_id), arrows="", color={"color": "#cccccc"}, dashes=True)
    for (doc_id, measure), in_measure in measures.items():
        node_id = measure_node_id(doc_id, measure)
        x, y = positions[node_id]
        quotes, more = evidence_parts(ev.mention_evidence(m) for m in in_measure)
        net.add_node(node_id, label=ev.measure_label(doc_id, measure), x=x, y=y, shape="dot", tier=1, **more_field(more),
                     size=node_size(len(in_measure), 6),
                     color=LEVEL_COLOURS.get(ev.doc_level(doc_id), LEVEL_COLOURS["unknown"]), kind="measure",
                     tip=f"{ev.measure_title(doc_id, measure) or ev.measure_label(doc_id, measure)}\n"
                         f"{ev.citation(doc_id, measure)}\n“{ev.measure_text(doc_id, measure)}”\n\n" + quotes)
        net.add_edge(node_id, doc_node_id(doc_id), arrows="", color={"color": "#999999"})
    for key in top_related:
        node_id = f"program:{key}"
        x, y = positions[node_id]
        other_label = Counter(entity_label(m) for m in related_evidence[key]).most_common(1)[0][0]
        quotes, more = evidence_parts(ev.mention_evidence(m) for m in related_evidence[key])
        net.add_node(node_id, label=short(other_label), x=x, y=y, shape="dot", size=node_size(related[key], 5),
                     tier=1, **more_field(more),
                     color={"background": "#ffffff", "border": TYPE_COLOURS["program"]}, kind="program",
                     tip=f"{other_label} (program named beside {label})\n{related[key]}× in the same measures\n\n" + quotes)
        for m_key in related_measures[key]:
            net.add_edge(node_id, measure_node_id(*m_key), arrows="", color={"color": TYPE_COLOURS["program"], "opacity": 0.4})
    return View(
        name=f"program_{safe_file_part(label)}", title=f"Program: {label}",
        subtitle=f"{len(docs)} documents ({', '.join(str(y) for y in years if y) or 'no year'}), "
                 f"{len(measures)} measures, {len(top_related)} programs named beside it",
        nodes=net.nodes, edges=net.edges,
        legend=[("this program", TYPE_COLOURS["program"]), ("program named beside it", "#ffffff")]
               + [(f"document / measure ({lv})", LEVEL_COLOURS[lv]) for lv in LEVEL_ORDER
                  if lv in {ev.doc_level(d) for d in docs}],
        frame=PROGRAM_FRAME,
    )


# the timeline's grid, in layout units (1 unit = 700 canvas pixels at the page's scale)
COLUMN_GAP = 0.75  # between years: a document box (two lines of 12 characters) and a margin
MEASURE_GAP = 0.05  # between the measures under a document box
MEASURES_PER_ROW = 10  # a box's width of measures
BOX_TO_MEASURES = 0.1  # from a box's centre down to its first row of measures
DOCUMENT_GAP = 0.1  # from a document's last row of measures down to the next box


def timeline_layout(centre: str, docs: list[str], years: list[int], measures: list[tuple[str, str]],
                    related: dict[str, list[tuple[str, str]]]) -> dict[str, tuple[float, float]]:
    """Positions of the program view's nodes (layout units), each placed once: time linear in nodes.

    The program on top; its documents below it, one column per year (``docs`` in year order,
    ``years`` beside them), those of a year stacked; each document's measures in rows under its
    box; the programs named beside it in a row underneath, ordered by the mean column of the
    measures they share (``related``: node id -> those measures).
    A force layout placed the measures before, comparing every pair of nodes: minutes for the
    thousands of measures a widespread program has in a province's plans, and the measures
    ended up under other documents' boxes.
    """
    columns = {year: column for column, year in enumerate(sorted(set(years)))}
    of_document: dict[str, list[str]] = defaultdict(list)
    for doc_id, measure in measures:
        of_document[doc_id].append(measure)
    positions: dict[str, tuple[float, float]] = {}
    next_top: dict[int, float] = defaultdict(float)  # per column: where its next box goes
    for doc_id, year in zip(docs, years):
        x, y = COLUMN_GAP * columns[year], next_top[columns[year]]
        positions[doc_node_id(doc_id)] = (x, y)
        labels = of_document.get(doc_id, [])
        for number, label in enumerate(labels):
            row, place = divmod(number, MEASURES_PER_ROW)
            in_row = min(MEASURES_PER_ROW, len(labels) - row * MEASURES_PER_ROW)
            positions[measure_node_id(doc_id, label)] = (x + MEASURE_GAP * (place - (in_row - 1) / 2),
                                                         y + BOX_TO_MEASURES + MEASURE_GAP * row)
        rows = -(-len(labels) // MEASURES_PER_ROW)
        next_top[columns[year]] = y + BOX_TO_MEASURES + MEASURE_GAP * max(rows - 1, 0) + DOCUMENT_GAP
    right = COLUMN_GAP * max(len(columns) - 1, 0)
    positions[centre] = (right / 2, -0.3)
    bottom = max(next_top.values(), default=0.0) + 0.15
    mean_x = {node: sum(positions[measure_node_id(*m)][0] for m in shared) / len(shared) if shared else 0.0
              for node, shared in related.items()}
    row = sorted(related, key=lambda node: (mean_x[node], node))
    width = max(right, 0.3 * (len(row) - 1))  # room for each program's label
    for number, node in enumerate(row):
        positions[node] = (right / 2 - width / 2 + width * number / (len(row) - 1) if len(row) > 1 else right / 2,
                           bottom)
    return positions


def safe_file_part(text: str) -> str:
    """A file-name part: readable when it can be, otherwise a stable hash."""
    cleaned = re.sub(r"[^\w\-]+", "_", text).strip("_")
    return cleaned[:40] if cleaned and cleaned == text[:40] else (cleaned[:24] + "_" + hashlib.sha1(text.encode()).hexdigest()[:8]).lstrip("_")
