"""Interactive HTML views of a build: overview, one program, alignment, continuity timeline.

Each view is a pyvis network whose layout networkx computes once (positions fixed, physics
off: vis-network is unusable at a few thousand nodes with physics on), rendered through our
own autoescaping Jinja2 template that inlines vis-network, so a view opens with no network.

Document text is untrusted. It reaches the page only as JSON data (with ``<``, ``>``, ``&``
and U+2028/9 escaped) and the page turns it into DOM text nodes; vis-network draws labels on
a canvas and gets tooltips as DOM elements (it would render a ``title`` string as HTML).
"""
from __future__ import annotations

import base64
import hashlib
import json
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Optional

import networkx as nx
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pyvis.network import Network

from kg import places
from kg.errors import InputError
from kg.fileio import write_text
from kg.records import Alignment, Corpus, Document, Mention, Section

TEMPLATES = Path(__file__).parent / "templates"

TYPE_COLOURS = {
    "document": "#4e79a7",
    "program": "#f28e2b",
    "organization": "#59a14f",
    "measure": "#bab0ac",
    "label": "#ffffff",
}
LEVEL_COLOURS = {
    "national": "#1f3b73",
    "province": "#2f5597",
    "city": "#4e79a7",
    "city-agency": "#76b7b2",
    "district": "#e15759",
    "county": "#ff9da7",
    "unknown": "#9c9c9c",
}
LEVEL_ORDER = ["national", "province", "city", "city-agency", "district", "county", "unknown"]
ENTITY_TYPES = ("program", "organization")
MAX_OVERVIEW_ENTITIES = 400  # beyond this an overview is a hairball, whatever the renderer
LABELLED_ENTITIES = 25  # entities whose labels the overview shows before zooming in
# screen pixels of a label per tier at the fitted zoom: documents, frequent entities, the rest;
# the rest stays under the draw threshold until the reader zooms in about twofold
OVERVIEW_FRAME = {"labelTiers": {"0": 14, "1": 12, "2": 6}, "drawThreshold": 11, "maxVisible": 20}
PROGRAM_FRAME = {"labelTiers": {"0": 15, "1": 12, "2": 6}, "drawThreshold": 11, "maxVisible": 20}
QUOTE_CHARS = 140
QUOTES_PER_TIP = 3


@dataclass
class View:
    """What one HTML page shows: nodes and edges with fixed positions, plus page furniture."""

    name: str
    title: str
    subtitle: str = ""
    nodes: list[dict[str, Any]] = field(default_factory=list)
    edges: list[dict[str, Any]] = field(default_factory=list)
    filters: dict[str, list[str]] = field(default_factory=dict)  # year / level / type choices
    legend: list[tuple[str, str]] = field(default_factory=list)  # (label, colour)
    # initial framing: {"minScale": s} zooms to at least s (labels readable) anchored top-left;
    # {"labelTiers": {tier: px}, "drawThreshold": px} sizes labels by node "tier" at the fitted zoom
    frame: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- public API


def write_views(build_dir: Path | str, out_dir: Path | str | None = None,
                program: Optional[str] = None, corpus: Optional[Corpus] = None) -> list[Path]:
    """Write the interactive views of a build; returns the HTML files written.

    ``program`` picks the program of the neighbourhood view (name, alias or concept id);
    without it the program found in the most documents is shown. ``corpus`` saves reading
    the build back when the caller (the build itself) already holds it.
    """
    build_dir = Path(build_dir)
    if corpus is None:
        from kg.build import load_corpus

        if not build_dir.is_dir():
            raise InputError(build_dir, "build directory not found (run `kg build` first)")
        corpus = load_corpus(build_dir)
    return write_corpus_views(corpus, Path(out_dir) if out_dir else build_dir / "views", program)


def write_corpus_views(corpus: Corpus, out_dir: Path, program: Optional[str] = None) -> list[Path]:
    """Render every view of ``corpus`` into ``out_dir``."""
    views = [overview_view(corpus), alignment_view(corpus), continuity_view(corpus)]
    concept = find_program(corpus, program) if program else most_widespread_program(corpus)
    if program and concept is None:
        raise InputError(program, "no program with this name, alias or id in the build")
    if concept is not None:
        views.append(program_view(corpus, concept))
    written = []
    for view in views:
        path = Path(out_dir) / f"{view.name}.html"
        write_text(path, render_html(view))
        written.append(path)
    return written


# --------------------------------------------------------------------------- evidence helpers


class Evidence:
    """Looks up document titles, section titles and quotes around mentions."""

    def __init__(self, corpus: Corpus):
        self.documents: dict[str, Document] = {doc.doc_id: doc for doc in corpus.documents}
        self.sections: dict[tuple[str, str], Section] = {
            (doc_id, sec.label): sec for doc_id, secs in corpus.sections.items() for sec in secs
        }
        self.short_names = document_short_names(corpus.documents)

    def short_name(self, doc_id: str) -> str:
        return self.short_names.get(doc_id, doc_id)

    def measure_label(self, doc_id: str, label: str) -> str:
        """What a measure box shows: "惠济2023 · 17"."""
        return f"{self.short_name(doc_id)} · {label}"

    def measure_title(self, doc_id: str, label: str) -> str:
        section = self.sections.get((doc_id, label))
        return " ".join(section.title.split()) if section and section.title else ""

    def doc_name(self, doc_id: str) -> str:
        doc = self.documents.get(doc_id)
        return (doc.meta.title if doc and doc.meta.title else doc_id)

    def doc_year(self, doc_id: str) -> Optional[int]:
        doc = self.documents.get(doc_id)
        return document_year(doc) if doc else None

    def doc_level(self, doc_id: str) -> str:
        doc = self.documents.get(doc_id)
        return doc.meta.level if doc and doc.meta.level else "unknown"

    def quote(self, mention: Mention) -> str:
        doc = self.documents.get(mention.doc_id)
        if doc is None:
            return mention.text
        if mention.sentence_start is not None and mention.sentence_end is not None:
            start, end = mention.sentence_start, mention.sentence_end
        else:
            start, end = mention.start - QUOTE_CHARS // 2, mention.end + QUOTE_CHARS // 2
        start, end = max(0, start), min(len(doc.text), end)
        if end - start > QUOTE_CHARS:  # centre long sentences on the mention
            start = max(start, mention.start - (QUOTE_CHARS - (mention.end - mention.start)) // 2)
            end = min(end, start + QUOTE_CHARS)
        snippet = " ".join(doc.text[start:end].split())
        return ("…" if start > 0 else "") + snippet + ("…" if end < len(doc.text) else "")

    def citation(self, doc_id: str, measure: Optional[str]) -> str:
        where = f"《{self.doc_name(doc_id).removeprefix('《').removesuffix('》')}》"
        return f"{where} {measure_name(measure)}" if measure else f"{where} preamble"

    def mention_evidence(self, mention: Mention) -> str:
        return f"“{self.quote(mention)}”\n— {self.citation(mention.doc_id, mention.measure)}"

    def measure_text(self, doc_id: str, label: str, chars: int = QUOTE_CHARS) -> str:
        section = self.sections.get((doc_id, label))
        doc = self.documents.get(doc_id)
        if section is None or doc is None:
            return ""
        text = " ".join(doc.text[section.start:section.end].split())
        return text[:chars] + ("…" if len(text) > chars else "")


def measure_name(label: str) -> str:
    return f"measure {label}" if label and label[0].isdigit() else (label or "")


def document_year(doc: Document) -> Optional[int]:
    return doc.meta.year or doc.meta.period_start


def entity_key(mention: Mention) -> str:
    return mention.concept or mention.canonical or mention.text


def entity_label(mention: Mention) -> str:
    return mention.canonical or mention.text


def short(text: str, chars: int = 16) -> str:
    return text if len(text) <= chars else text[: chars - 1] + "…"


def document_label(doc: Document, short_name: str) -> str:
    """Two lines for a document box: its short name (place and years) and the start of its title."""
    return f"{short_name}\n{short(doc.meta.title or doc.doc_id, 12)}"


def place_name(doc: Document) -> str:
    """The smallest administrative unit of a document, without its suffix: 郑州市惠济区 -> 惠济.

    Units come from the gazetteer (kg.places); an anonymised region ("XX市") is shown as printed.
    """
    for text in (doc.meta.region, doc.meta.issuer, doc.meta.title):
        if not text:
            continue
        chain = places.region_chain(text)
        if chain:
            return places.short_name(chain[-1].name)
        if places.is_anonymised(text):
            return text
    return short(doc.meta.title or doc.doc_id, 6)


def period_name(doc: Document) -> str:
    start = document_year(doc)
    end = doc.meta.period_end
    if not start:
        return ""
    return f"{start}–{str(end)[-2:]}" if end and end != start else str(start)


def document_short_names(documents: Iterable[Document]) -> dict[str, str]:
    """doc_id -> a short, unique name such as "惠济2023" or "郑州2021–25" for labels on a canvas."""
    documents = list(documents)
    names = {doc.doc_id: place_name(doc) + period_name(doc) for doc in documents}
    clashes = Counter(names.values())
    for doc in documents:
        if clashes[names[doc.doc_id]] > 1:  # e.g. the parts of one compilation: name them by part
            part = doc.doc_id.rsplit("#", 1)[1] if "#" in doc.doc_id else doc.doc_id[:8]
            names[doc.doc_id] += f"#{part}"
    return names


def evidence_block(items: Iterable[str]) -> str:
    items = list(items)
    shown = items[:QUOTES_PER_TIP]
    more = f"\n(+{len(items) - len(shown)} more)" if len(items) > len(shown) else ""
    return "\n\n".join(shown) + more


def node_size(count: int, base: float = 8.0) -> float:
    return round(base + 6.0 * math.log1p(count), 1)


def scaled_positions(pos: dict[Any, Any], width: float = 1600.0) -> dict[Any, tuple[float, float]]:
    """networkx positions (about [-1, 1]) to canvas pixels."""
    return {node: (round(float(x) * width / 2, 1), round(float(y) * width / 2, 1)) for node, (x, y) in pos.items()}


def doc_node_id(doc_id: str) -> str:
    return f"doc:{doc_id}"


def measure_node_id(doc_id: str, label: str) -> str:
    return f"measure:{doc_id}|{label}"


# --------------------------------------------------------------------------- overview


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


def first_per_doc(mentions: list[Mention]) -> list[Mention]:
    """One mention per document first, so a tooltip shows the spread before repetition."""
    seen, first, rest = set(), [], []
    for mention in mentions:
        (rest if mention.doc_id in seen else first).append(mention)
        seen.add(mention.doc_id)
    return first + rest


def new_network() -> Network:
    # directed=True only to skip pyvis's quadratic duplicate-edge scan; arrows are set per edge
    return Network(directed=True, height="100%", width="100%")


# --------------------------------------------------------------------------- one program


def normalise_name(name: str) -> str:
    return re.sub(r"[\s“”\"'‘’「」『』《》]", "", name).lower()


def find_program(corpus: Corpus, name: str) -> Optional[str]:
    """The concept key (as used by mentions) of a program given by name, alias or id."""
    wanted = normalise_name(name)
    for concept in corpus.concepts:
        if concept.scheme != "programs":  # indicator concepts share the list
            continue
        names = [concept.concept_id, concept.pref_label, *concept.alt_labels]
        if any(normalise_name(n) == wanted for n in names):
            return concept.concept_id
    for mention in corpus.mentions:
        if mention.type == "program" and wanted in {normalise_name(mention.text), normalise_name(mention.canonical or "")}:
            return entity_key(mention)
    return None


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

    docs = sorted({doc_id for doc_id, _ in measures}, key=lambda d: (ev.doc_year(d) or 0, d))
    years = sorted({ev.doc_year(d) or 0 for d in docs})
    centre = f"program:{program_key}"
    fixed: dict[str, tuple[float, float]] = {centre: (0.0, -0.9)}
    for doc_id in docs:  # a timeline: one column per year, documents of a year stacked
        same_year = [d for d in docs if (ev.doc_year(d) or 0) == (ev.doc_year(doc_id) or 0)]
        column = years.index(ev.doc_year(doc_id) or 0)
        x = -0.9 + 1.8 * column / max(len(years) - 1, 1) if len(years) > 1 else 0.0
        fixed[doc_node_id(doc_id)] = (x, -0.4 + 0.35 * same_year.index(doc_id))
    graph = nx.Graph()
    graph.add_nodes_from(fixed)
    for doc_id, measure in measures:
        graph.add_edge(measure_node_id(doc_id, measure), doc_node_id(doc_id))
    for key in top_related:
        for m in related_evidence[key]:
            graph.add_edge(f"program:{key}", measure_node_id(m.doc_id, m.measure or "preamble"))
    positions = scaled_positions(nx.spring_layout(graph, pos=fixed, fixed=list(fixed), seed=7, iterations=80), 1400)

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
        net.add_node(node_id, label=ev.measure_label(doc_id, measure), x=x, y=y, shape="dot", tier=1,
                     size=node_size(len(in_measure), 6),
                     color=LEVEL_COLOURS.get(ev.doc_level(doc_id), LEVEL_COLOURS["unknown"]), kind="measure",
                     tip=f"{ev.measure_title(doc_id, measure) or ev.measure_label(doc_id, measure)}\n"
                         f"{ev.citation(doc_id, measure)}\n“{ev.measure_text(doc_id, measure)}”\n\n"
                         + evidence_block(ev.mention_evidence(m) for m in in_measure))
        net.add_edge(node_id, doc_node_id(doc_id), arrows="", color={"color": "#999999"})
    for key in top_related:
        node_id = f"program:{key}"
        x, y = positions[node_id]
        other_label = Counter(entity_label(m) for m in related_evidence[key]).most_common(1)[0][0]
        net.add_node(node_id, label=short(other_label), x=x, y=y, shape="dot", size=node_size(related[key], 5),
                     tier=1,
                     color={"background": "#ffffff", "border": TYPE_COLOURS["program"]}, kind="program",
                     tip=f"{other_label} (program named beside {label})\n{related[key]}× in the same measures\n\n"
                         + evidence_block(ev.mention_evidence(m) for m in related_evidence[key]))
        for m_key in sorted({(m.doc_id, m.measure or "preamble") for m in related_evidence[key]}):
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


def safe_file_part(text: str) -> str:
    """A file-name part: readable when it can be, otherwise a stable hash."""
    cleaned = re.sub(r"[^\w\-]+", "_", text).strip("_")
    return cleaned[:40] if cleaned and cleaned == text[:40] else (cleaned[:24] + "_" + hashlib.sha1(text.encode()).hexdigest()[:8]).lstrip("_")


# --------------------------------------------------------------------------- alignment


ROW = 34.0  # canvas pixels between two measure boxes of a column
COLUMN = 330.0  # between two document columns


def alignment_view(corpus: Corpus) -> View:
    """Measures in one column per document, lowest level left; an arrow runs from a lower measure
    to each upper measure it takes up. Solid = direct, dashed = thematic, width = verbatim reuse."""
    ev = Evidence(corpus)
    linked = [a for a in corpus.alignments if not a.local_only and a.upper_doc and a.upper_measure]
    lower_docs = sorted({a.lower_doc for a in corpus.alignments}, key=lambda d: column_order(ev, d))
    lower_labels = {doc_id: sorted({a.lower_measure for a in corpus.alignments if a.lower_doc == doc_id},
                                   key=lambda lb: measure_order(corpus, doc_id, lb)) for doc_id in lower_docs}
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
                                                   key=lambda lb: measure_order(corpus, doc_id, lb))
            nodes = [measure_node_id(doc_id, lb) for lb in labels]
            positions.update({node: (x, ROW * row) for row, node in enumerate(nodes)})
        else:  # an upper document: each measure near the mean row of its lower partners (fewer crossings)
            def barycentre(node: str) -> float:
                ys = [positions[p][1] for p in partners[node] if p in positions]
                return sum(ys) / len(ys) if ys else 0.0
            nodes = sorted((measure_node_id(doc_id, lb) for lb in upper_labels[doc_id]),
                           key=lambda n: (barycentre(n), measure_order(corpus, doc_id, n.rsplit("|", 1)[1])))
            y = -ROW
            for node in nodes:
                y = max(y + ROW, barycentre(node))
                positions[node] = (x, y)
        column_nodes[doc_id] = nodes

    net = new_network()
    filters: list[list[str]] = []
    for doc_id in columns:
        nodes = column_nodes[doc_id]
        level = ev.doc_level(doc_id)
        colour = LEVEL_COLOURS.get(level, LEVEL_COLOURS["unknown"])
        lowers = sorted(({doc_id} if doc_id in lower_labels else set()) | {d for n in nodes for d in reached_from[n]})
        role = " / ".join(r for r, on in (("lower", doc_id in lower_labels), ("upper", doc_id in upper_labels)) if on)
        net.add_node(f"header:{doc_id}", label=f"{ev.short_name(doc_id)}\n{short(ev.doc_name(doc_id), 16)}",
                     x=COLUMN * columns.index(doc_id), y=-2.2 * ROW, shape="box", kind="header", sticky=0,
                     color={"background": "#ffffff", "border": colour}, borderWidth=2,
                     font={"size": 17, "color": "#222222", "multi": False}, lower_docs=lowers,
                     tip=f"{ev.doc_name(doc_id)}\n{doc_id}\nlevel: {level}, year: {ev.doc_year(doc_id) or '?'}\n"
                         f"role in this view: {role}; {len(nodes)} measures shown")
        for node_id in nodes:
            label = node_id.rsplit("|", 1)[1]
            is_lower = doc_id in lower_labels and label in lower_labels[doc_id]
            local = is_lower and not any(a for a in linked if a.lower_doc == doc_id and a.lower_measure == label)
            x, y = positions[node_id]
            net.add_node(node_id, label=ev.measure_label(doc_id, label), x=x, y=y, shape="box",
                         color="#eeeeee" if local else colour, font={"color": "#333333" if local else "#ffffff"},
                         kind="lower" if is_lower else "upper",
                         lower_docs=sorted(({doc_id} if is_lower else set()) | reached_from[node_id]),
                         tip=measure_tip(ev, doc_id, label, local,
                                         [a for a in linked if (a.lower_doc, a.lower_measure) == (doc_id, label)]))
        if doc_id in lower_labels:
            filters.append([doc_id, f"{ev.short_name(doc_id)} — {ev.doc_name(doc_id)}"])
    for a in linked:
        net.add_edge(measure_node_id(a.lower_doc, a.lower_measure), measure_node_id(a.upper_doc, a.upper_measure),
                     arrows="to", dashes=a.strength != "direct", width=round(1 + 9 * max(a.reuse_ratio, 0.0), 1),
                     color={"color": "#333333" if a.rank <= 1 else "#999999", "opacity": 0.8},
                     strength=a.strength or "", lower_doc=a.lower_doc, tip=alignment_tip(ev, a))
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


def column_order(ev: Evidence, doc_id: str) -> tuple:
    """Lower administrative levels first (county, district, agency, city ...), then by year."""
    level = ev.doc_level(doc_id)
    rank = LEVEL_ORDER.index(level) if level in LEVEL_ORDER[:-1] else -1
    return (-rank, ev.doc_year(doc_id) or 0, doc_id)


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


def measure_order(corpus: Corpus, doc_id: str, label: str) -> tuple:
    for i, section in enumerate(corpus.sections.get(doc_id, [])):
        if section.label == label:
            return (0, i, label)
    return (1, int(label) if label.isdigit() else 0, label)


def alignment_tip(ev: Evidence, a: Alignment) -> str:
    lines = [f"{ev.citation(a.lower_doc, a.lower_measure)} {ev.measure_title(a.lower_doc, a.lower_measure)}".rstrip(),
             f"→ {ev.citation(a.upper_doc, a.upper_measure)} {ev.measure_title(a.upper_doc, a.upper_measure)}".rstrip(),
             f"rank {a.rank}, score {a.score:.2f}, {a.strength or 'unrated'}, reuse {a.reuse_ratio:.0%}"]
    if a.shared_programs:
        lines.append("shared programs: " + "、".join(a.shared_programs))
    if a.shared_targets:
        lines.append("shared targets: " + "、".join(a.shared_targets))
    quotes = [q for q in (evidence_quote(ev, item) for item in a.evidence) if q]
    if not quotes:  # no verbatim span: quote both passages so the link can be judged
        quotes = [f"“{text}”\n— {ev.citation(doc, measure)}" for doc, measure in
                  ((a.lower_doc, a.lower_measure), (a.upper_doc, a.upper_measure))
                  if (text := ev.measure_text(doc, measure))]
    return "\n".join(lines) + ("\n\n" + evidence_block(quotes) if quotes else "")


def evidence_quote(ev: Evidence, item: dict[str, Any]) -> str:
    """One alignment evidence span as quote + citation, whatever keys the aligner used."""
    text = item.get("quote") or item.get("text") or item.get("lower_quote") or item.get("upper_quote")
    doc_id = item.get("doc") or item.get("doc_id")
    measure = item.get("measure")
    if not text and doc_id in ev.documents and "start" in item and "end" in item:
        text = ev.documents[doc_id].text[item["start"]:item["end"]]
    if not text:
        return json.dumps(item, ensure_ascii=False)[:QUOTE_CHARS * 2]
    quote = f"“{short(' '.join(str(text).split()), QUOTE_CHARS)}”"
    return quote + (f"\n— {ev.citation(doc_id, measure)}" if doc_id else "")


# --------------------------------------------------------------------------- continuity


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
                         + "、".join(ev.short_name(d) for d in columns if d in occurrences[key]))
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


def sticky_row(row: Optional[int]) -> dict[str, int]:
    """Node attribute of a column header the page keeps in view (row 0 on top) while the reader pans."""
    return {} if row is None else {"sticky": row}


def add_axis_captions(net: Network, x: float, captions: list[tuple[float, str]],
                      sticky: Optional[dict[str, int]] = None) -> None:
    """Names of the axes, in the corner where row labels meet column headers."""
    for y, caption in captions:
        net.add_node(f"axis:{caption}", label=caption, x=x, y=y, shape="text", kind="axis",
                     font={"size": 16, "color": "#666666"}, tip=caption.rstrip(" →↓"),
                     **sticky_row((sticky or {}).get(caption)))


def add_year_axis(net: Network, columns: dict[str, tuple[float, Optional[int]]], y: float,
                  sticky: Optional[int] = None) -> None:
    """One bold year above the columns (x positions) of that year."""
    by_year: dict[Optional[int], list[float]] = defaultdict(list)
    for x, year in columns.values():
        by_year[year].append(x)
    for year, xs in sorted(by_year.items(), key=lambda item: item[0] or 0):
        net.add_node(f"year:{year or 'unknown'}", label=str(year or "year ?"), x=sum(xs) / len(xs), y=y,
                     shape="text", kind="axis", font={"size": 22, "color": "#222222"}, tier=0, **sticky_row(sticky),
                     tip=f"{year or 'unknown year'}: {len(xs)} document{'s' if len(xs) != 1 else ''}")


# --------------------------------------------------------------------------- analysis tables


def program_year_frame(corpus: Corpus):
    """pandas table: one row per (program, document) with year, level and mention count."""
    import pandas as pd

    ev = Evidence(corpus)
    rows = Counter((entity_key(m), m.doc_id) for m in corpus.mentions if m.type == "program")
    labels = {entity_key(m): entity_label(m) for m in corpus.mentions if m.type == "program"}
    return pd.DataFrame(
        [{"program": labels[key], "concept": key, "doc_id": doc_id, "year": ev.doc_year(doc_id),
          "level": ev.doc_level(doc_id), "mentions": count} for (key, doc_id), count in sorted(rows.items())],
        columns=["program", "concept", "doc_id", "year", "level", "mentions"])


def alignment_frame(corpus: Corpus):
    """pandas table: per lower measure, its best upper locus, strength, reuse and number of loci."""
    import pandas as pd

    rows = []
    for (doc_id, measure), group in group_alignments(corpus.alignments).items():
        linked = sorted((a for a in group if not a.local_only), key=lambda a: (a.rank or 99, -a.score))
        best = linked[0] if linked else None
        rows.append({"lower_doc": doc_id, "lower_measure": measure, "loci": len(linked),
                     "best_upper": f"{best.upper_doc} {best.upper_measure}" if best else None,
                     "strength": best.strength if best else "local",
                     "score": best.score if best else 0.0,
                     "reuse_ratio": max((a.reuse_ratio for a in linked), default=0.0),
                     "shared_programs": "、".join(sorted({p for a in linked for p in a.shared_programs}))})
    return pd.DataFrame(rows, columns=["lower_doc", "lower_measure", "loci", "best_upper", "strength", "score",
                                       "reuse_ratio", "shared_programs"])


def group_alignments(alignments: list[Alignment]) -> dict[tuple[str, str], list[Alignment]]:
    groups: dict[tuple[str, str], list[Alignment]] = defaultdict(list)
    for a in alignments:
        groups[(a.lower_doc, a.lower_measure)].append(a)
    return dict(groups)


def target_frame(corpus: Corpus):
    """pandas table of quantitative targets: indicator, value, unit, year and kind per document."""
    import pandas as pd

    ev = Evidence(corpus)
    rows = [{"indicator": m.indicator or m.text, "value": m.value, "unit": m.unit, "comparator": m.comparator,
             "year": m.year, "kind": m.kind, "doc_id": m.doc_id, "doc_year": ev.doc_year(m.doc_id),
             "level": ev.doc_level(m.doc_id), "measure": m.measure}
            for m in corpus.mentions if m.type == "target"]
    return pd.DataFrame(rows, columns=["indicator", "value", "unit", "comparator", "year", "kind", "doc_id",
                                       "doc_year", "level", "measure"])


# --------------------------------------------------------------------------- HTML


def safe_json(data: Any) -> str:
    """JSON that cannot end a <script> element or open markup inside it."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                          ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escaped)
    return text


@lru_cache(maxsize=1)
def vis_assets() -> tuple[str, str]:
    """vis-network's script and style, read from the installed pyvis package."""
    import pyvis

    lib = Path(pyvis.__file__).parent / "templates" / "lib" / "vis-9.1.2"
    script = (lib / "vis-network.min.js").read_text(encoding="utf-8")
    style = (lib / "vis-network.css").read_text(encoding="utf-8")
    # inlined assets must not close their own element early
    return script.replace("</script", "<\\/script"), style.replace("</style", "<\\/style")


@lru_cache(maxsize=1)
def template_env() -> Environment:
    return Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]))


def csp_hash(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode() + "'"


VIS_OPTIONS = {
    "physics": {"enabled": False},
    "layout": {"improvedLayout": False},
    "edges": {"smooth": False, "color": {"inherit": False}},
    "nodes": {"font": {"size": 14, "face": "sans-serif"}},
    "interaction": {"hover": True, "tooltipDelay": 120, "hideEdgesOnDrag": True, "keyboard": False,
                    "multiselect": False, "navigationButtons": False},
}


def render_html(view: View) -> str:
    """The self-contained page of one view."""
    script, style = vis_assets()
    data = safe_json({"name": view.name, "nodes": view.nodes, "edges": view.edges, "options": VIS_OPTIONS,
                      "filters": view.filters, "frame": view.frame})
    app = (TEMPLATES / "view_app.js").read_text(encoding="utf-8")
    data_script = f"window.KG_DATA = {data};"
    # Scripts are allowed by hash only: an injected inline handler or <script> would not run
    csp = (f"default-src 'none'; script-src {csp_hash(script)} {csp_hash(data_script)} {csp_hash(app)}; "
           "style-src 'unsafe-inline'; img-src data:; font-src data:")
    return template_env().get_template("view.html").render(
        view=view, vis_js=script, vis_css=style, data_script=data_script, app_js=app, csp=csp,
        node_count=len(view.nodes), edge_count=len(view.edges))
