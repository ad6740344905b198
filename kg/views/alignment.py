"""The alignment page: lower measures and the upper measures they take up, one column per document."""
from __future__ import annotations

from collections import defaultdict
from typing import Any, Callable

from kg.records import Alignment, Corpus, EvidenceSpan
from kg.text import one_line
from kg.views.canvas import LEVEL_COLOURS, LEVEL_ORDER, ROW, column_order, measure_node_id, new_network
from kg.views.evidence import LIST_SEPARATOR, QUOTE_CHARS, QUOTES_PER_TIP, Evidence, evidence_parts, more_field, short
from kg.views.html import View

COLUMN = 330.0  # between two document columns


def alignment_view(corpus: Corpus) -> View:
    """Measures in one column per document, lowest level left; an arrow runs from a lower measure
    to each upper measure it takes up. Solid = direct, dashed = thematic, width = verbatim reuse."""
    ev = Evidence(corpus)
    order = measure_orders(corpus)
    linked = [a for a in corpus.alignments if not a.local_only and a.upper_doc and a.upper_measure]
    # indexed once: the nodes below look their alignments up by document and measure
    measures_of: dict[str, set[str]] = defaultdict(set)
    for a in corpus.alignments:
        measures_of[a.lower_doc].add(a.lower_measure)
    links_of: dict[tuple[str, str], list[Alignment]] = defaultdict(list)
    for a in linked:
        links_of[(a.lower_doc, a.lower_measure)].append(a)
    lower_docs = sorted(measures_of, key=lambda d: column_order(ev, d))
    lower_labels = {doc_id: sorted(measures_of[doc_id], key=lambda lb: order(doc_id, lb)) for doc_id in lower_docs}
    upper_labels: dict[str, set[str]] = defaultdict(set)
    for a in linked:
        upper_labels[a.upper_doc].add(a.upper_measure)
    # a document may be both: the agency plan takes up the city plan and is taken up by the district
    columns = sorted(set(lower_docs) | set(upper_labels), key=lambda d: column_order(ev, d))

    partners: dict[str, set[str]] = defaultdict(set)  # node -> the nodes it is linked with
    reached_from: dict[str, set[str]] = defaultdict(set)  # node -> lower documents whose links reach it
    for a in linked:
        lower, upper = measure_node_id(a.lower_doc, a.lower_measure), measure_node_id(a.upper_doc, a.upper_measure)
        partners[lower].add(upper)
        partners[upper].add(lower)
        reached_from[upper].add(a.lower_doc)

    positions: dict[str, tuple[float, float]] = {}
    column_nodes: dict[str, list[str]] = {}
    for column, doc_id in enumerate(columns):
        x = COLUMN * column
        if doc_id in lower_labels:  # a lower document reads top to bottom in its own order
            labels = lower_labels[doc_id] + sorted(upper_labels.get(doc_id, set()) - set(lower_labels[doc_id]),
                                                   key=lambda lb: order(doc_id, lb))
            nodes = [measure_node_id(doc_id, lb) for lb in labels]
            positions.update({node: (x, ROW * row) for row, node in enumerate(nodes)})
        else:  # an upper document: each measure near the mean row of its lower partners (fewer crossings)
            def barycentre(node: str) -> float:
                ys = [positions[p][1] for p in partners[node] if p in positions]
                return sum(ys) / len(ys) if ys else 0.0
            nodes = sorted((measure_node_id(doc_id, lb) for lb in upper_labels[doc_id]),
                           key=lambda n: (barycentre(n), order(doc_id, n.rsplit("|", 1)[1])))
            y = -ROW
            for node in nodes:
                y = max(y + ROW, barycentre(node))
                positions[node] = (x, y)
        column_nodes[doc_id] = nodes

    net = new_network()
    filters: list[list[str]] = []
    for column, doc_id in enumerate(columns):
        nodes = column_nodes[doc_id]
        level = ev.doc_level(doc_id)
        colour = LEVEL_COLOURS.get(level, LEVEL_COLOURS["unknown"])
        lowers = sorted(({doc_id} if doc_id in lower_labels else set()) | {d for n in nodes for d in reached_from[n]})
        role = " / ".join(r for r, on in (("lower", doc_id in lower_labels), ("upper", doc_id in upper_labels)) if on)
        net.add_node(f"header:{doc_id}", label=f"{ev.short_name(doc_id)}\n{short(ev.doc_name(doc_id), 16)}",
                     x=COLUMN * column, y=-2.2 * ROW, shape="box", kind="header", sticky=0,
                     color={"background": "#ffffff", "border": colour}, borderWidth=2,
                     font={"size": 17, "color": "#222222", "multi": False}, lower_docs=lowers,
                     tip=f"{ev.doc_name(doc_id)}\n{doc_id}\nlevel: {level}, year: {ev.doc_year(doc_id) or '?'}\n"
                         f"role in this view: {role}; {len(nodes)} measures shown")
        for node_id in nodes:
            label = node_id.rsplit("|", 1)[1]
            is_lower = doc_id in lower_labels and label in lower_labels[doc_id]
            local = is_lower and (doc_id, label) not in links_of
            x, y = positions[node_id]
            net.add_node(node_id, label=ev.measure_label(doc_id, label), x=x, y=y, shape="box",
                         color="#eeeeee" if local else colour, font={"color": "#333333" if local else "#ffffff"},
                         kind="lower" if is_lower else "upper",
                         lower_docs=sorted(({doc_id} if is_lower else set()) | reached_from[node_id]),
                         tip=measure_tip(ev, doc_id, label, local,
                                         links_of.get((doc_id, label), [])))
        if doc_id in lower_labels:
            filters.append([doc_id, f"{ev.short_name(doc_id)} — {ev.doc_name(doc_id)}"])
    for a in linked:
        net.add_edge(measure_node_id(a.lower_doc, a.lower_measure), measure_node_id(a.upper_doc, a.upper_measure),
                     arrows="to", dashes=a.strength != "direct", width=round(1 + 9 * max(a.reuse_ratio, 0.0), 1),
                     color={"color": "#333333" if a.rank <= 1 else "#999999", "opacity": 0.8},
                     strength=a.strength or "", lower_doc=a.lower_doc, **alignment_tip(ev, a))
    lower_count = sum(len(labels) for labels in lower_labels.values())
    local = sum(1 for a in corpus.alignments if a.local_only)
    return View(
        name="alignment", title="Alignment: lower measures → upper measures",
        subtitle=f"{lower_count} lower measures in {len(lower_docs)} documents, {len(linked)} links, {local} local only. "
                 "One column per document, lower levels left. Solid = direct (shared name), dashed = thematic; "
                 "width = verbatim reuse; dark = best link.",
        nodes=net.nodes, edges=net.edges, filters={"lower": filters},
        legend=[(f"measure ({lv})", LEVEL_COLOURS[lv]) for lv in LEVEL_ORDER
                if lv in {ev.doc_level(d) for d in columns}] + [("local only", "#eeeeee")],
        frame={"minScale": 0.8},
    )


def measure_tip(ev: Evidence, doc_id: str, label: str, local: bool, links: list[Alignment]) -> str:
    """Heading, document and measure, the text as quote, and where the measure is taken up."""
    title = ev.measure_title(doc_id, label)
    lines = [title or ev.measure_label(doc_id, label), ev.citation(doc_id, label) + (" — local only" if local else "")]
    text = ev.measure_text(doc_id, label)
    if text:
        lines.append(f"“{text}”")
    ranked = sorted(links, key=lambda a: (a.rank or 99, -a.score))
    if ranked:
        lines.append("\ntakes up:")
        lines += [f"  {ev.measure_label(a.upper_doc, a.upper_measure)} ({a.strength or 'unrated'}, score {a.score:.2f})"
                  + (f" {ev.measure_title(a.upper_doc, a.upper_measure)}" if ev.measure_title(a.upper_doc, a.upper_measure) else "")
                  for a in ranked[:QUOTES_PER_TIP + 2]]
    return "\n".join(lines)


def measure_orders(corpus: Corpus) -> Callable[[str, str], tuple]:
    """``measure_order`` for many measures: each document's section positions read once."""
    positions: dict[str, dict[str, int]] = {}

    def order(doc_id: str, label: str) -> tuple:
        if doc_id not in positions:
            first: dict[str, int] = {}
            for i, section in enumerate(corpus.sections.get(doc_id, [])):
                first.setdefault(section.label, i)
            positions[doc_id] = first
        i = positions[doc_id].get(label)
        return (0, i, label) if i is not None else (1, int(label) if label.isdigit() else 0, label)

    return order


def measure_order(corpus: Corpus, doc_id: str, label: str) -> tuple:
    for i, section in enumerate(corpus.sections.get(doc_id, [])):
        if section.label == label:
            return (0, i, label)
    return (1, int(label) if label.isdigit() else 0, label)


def alignment_tip(ev: Evidence, a: Alignment) -> dict[str, Any]:
    """The edge's tooltip ("tip") and the quotes it leaves out ("more")."""
    lines = [f"{ev.citation(a.lower_doc, a.lower_measure)} {ev.measure_title(a.lower_doc, a.lower_measure)}".rstrip(),
             f"→ {ev.citation(a.upper_doc, a.upper_measure)} {ev.measure_title(a.upper_doc, a.upper_measure)}".rstrip(),
             f"rank {a.rank}, score {a.score:.2f}, {a.strength or 'unrated'}, reuse {a.reuse_ratio:.0%}"]
    if a.shared_programs:
        lines.append("shared programs: " + LIST_SEPARATOR.join(a.shared_programs))
    if a.shared_targets:
        lines.append("shared targets: " + LIST_SEPARATOR.join(a.shared_targets))
    quotes = [evidence_quote(span) for span in a.evidence]
    if not quotes:  # no verbatim span: quote both passages so the link can be judged
        quotes = [f"“{text}”\n— {ev.citation(doc, measure)}" for doc, measure in
                  ((a.lower_doc, a.lower_measure), (a.upper_doc, a.upper_measure))
                  if (text := ev.measure_text(doc, measure))]
    shown, more = evidence_parts(quotes)
    return {"tip": "\n".join(lines) + ("\n\n" + shown if quotes else ""), **more_field(more)}


def evidence_quote(span: EvidenceSpan) -> str:
    """One verbatim span as a quote (the tooltip names both measures above it)."""
    return f"“{short(one_line(span.text), QUOTE_CHARS)}”"
