"""The alignment reader: each lower measure beside the upper passages it takes up, as text.

One page per lower document (``views/reader/<doc>.html``) and an index of them, so a corpus of
thousands of documents never makes one huge page. A measure is shown whole, its verbatim reuse
highlighted in both texts and what it adds of its own (numbers, deadlines, local programs,
responsible units) marked differently; each link's strength and evidence are said in words.
Texts reach the page as JSON data and the page builds DOM text nodes from it (never HTML).
"""
from __future__ import annotations

import re
from bisect import bisect_left
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable
from urllib.parse import quote

from markupsafe import Markup, escape

from kg.fileio import write_text
from kg.records import Alignment, Corpus, Mention, Relation, Section, text_file_name
from kg.resources import alignment_settings
from kg.views.alignment import measure_orders
from kg.views.evidence import LIST_SEPARATOR, Evidence, entity_key, entity_label
from kg.views.html import TEMPLATES, csp_hash, safe_json, template_env

READER_FOLDER = "reader"
INDEX_PAGE = "index.html"
# how each kind of mark is explained in the page's legend (kinds are CSS classes: kg-<kind>)
MARK_KINDS = {
    "reused": "copied verbatim from the upper passage",
    "shared": "program named in both",
    "number": "own number or target",
    "deadline": "own deadline",
    "program": "local program (not in the upper passages)",
    "unit": "responsible unit",
}
STRENGTH_WORDS = {"direct": "strong", "thematic": "thematic"}
# each page's document menu lists at most this many lower documents (those next to it in the
# index's order): a full menu on every page would grow with the square of the corpus
MENU_DOCUMENTS = 200


@dataclass
class Mark:
    """A stretch of a passage to highlight: offsets into the passage's own text."""

    start: int
    end: int
    kind: str  # a key of MARK_KINDS
    text: str
    note: str = ""


@dataclass
class Passage:
    doc: str  # short document name
    label: str
    title: str
    text: str
    start: int  # offset of ``text`` in its document
    marks: list[Mark] = field(default_factory=list)


@dataclass
class Link:
    upper_doc: str
    upper_measure: str
    rank: int
    score: float
    strength: str
    period: str
    words: str  # the link said in words
    passage: Passage


@dataclass
class MeasureReading:
    label: str
    passage: Passage
    links: list[Link]
    context: list[Link]  # passages of later plans: context, not a taking-up
    local_only: bool
    summary: str  # the measure's links and additions in words


@dataclass
class DocumentEntry:
    """A lower document as the index and the document menu list it."""

    doc_id: str
    name: str
    title: str
    href: str
    measures: int
    linked: int
    strong: int
    local_only: int


class MenuOption:
    """A document as an <option> of the document menu, escaped once: each document is listed in
    the menus of up to MENU_DOCUMENTS pages."""

    def __init__(self, entry: DocumentEntry):
        self.doc_id = entry.doc_id
        self.opening = f'<option value="{escape(entry.href)}"'
        self.rest = f'>{escape(entry.name)} — {escape(entry.title)}</option>'

    def html(self, selected: bool) -> str:
        return self.opening + (" selected" if selected else "") + self.rest


@lru_cache(maxsize=None)  # the reports link each document's page from each of its rows
def reader_href(doc_id: str) -> str:
    """The page of a lower document, relative to the reader folder (URL-quoted: ids may hold ``#``)."""
    return quote(reader_file_name(doc_id))


def reader_file_name(doc_id: str) -> str:
    return text_file_name(doc_id).removesuffix(".txt") + ".html"


class ReaderBuilder:
    """Indexes a corpus once, then reads each lower document's measures and links."""

    def __init__(self, corpus: Corpus):
        self.corpus = corpus
        self.ev = Evidence(corpus)
        self.texts = {doc.doc_id: doc.text for doc in corpus.documents}
        self.sections: dict[tuple[str, str], Section] = {
            (doc_id, s.label): s for doc_id, sections in corpus.sections.items() for s in sections}
        # each document's mentions of each type, in text order: a passage's are a slice
        self.mentions: dict[tuple[str, str], list[Mention]] = defaultdict(list)
        for mention in corpus.mentions:
            self.mentions[(mention.doc_id, mention.type)].append(mention)
        for mentions in self.mentions.values():
            mentions.sort(key=lambda m: (m.start, m.end))
        self.mention_starts = {key: [m.start for m in mentions] for key, mentions in self.mentions.items()}
        self._mentions_in: dict[tuple[str, int, int, str], list[Mention]] = {}
        self._passages: dict[tuple[str, str], tuple[str, str, int]] = {}
        self.responsible: dict[tuple[str, str], list[Relation]] = defaultdict(list)
        for relation in corpus.relations:
            if relation.type == "responsible_for" and relation.object_type == "section":
                self.responsible[(relation.doc_id, relation.object)].append(relation)
        self.alignments: dict[str, list[Alignment]] = defaultdict(list)
        for alignment in corpus.alignments:
            self.alignments[alignment.lower_doc].append(alignment)
        self.measure_order = measure_orders(corpus)
        refinement = alignment_settings().refinement
        self.deadline = re.compile(refinement.deadline_pattern)
        self.number = re.compile(refinement.number_pattern)

    def lower_docs(self) -> list[str]:
        return sorted(self.alignments, key=lambda d: (self.ev.doc_year(d) or 0, self.ev.short_name(d), d))

    def entry(self, doc_id: str, measures: list[MeasureReading]) -> DocumentEntry:
        return DocumentEntry(
            doc_id=doc_id, name=self.ev.short_name(doc_id), title=self.ev.doc_name(doc_id), href=reader_href(doc_id),
            measures=len(measures), linked=sum(1 for m in measures if m.links),
            strong=sum(1 for m in measures if any(link.strength == "direct" for link in m.links)),
            local_only=sum(1 for m in measures if m.local_only))

    def passage(self, doc_id: str, label: str) -> Passage:
        """A new (unmarked) passage of the measure; its text is cut once: an upper measure is
        the passage of every link to it."""
        key = (doc_id, label)
        if key not in self._passages:
            section = self.sections.get(key)
            text = self.texts.get(doc_id, "")
            start, end = (section.start, section.end) if section else (0, 0)
            title = " ".join(section.title.split()) if section and section.title else ""
            self._passages[key] = (title, text[start:end], start)
        title, text, start = self._passages[key]
        return Passage(doc=self.ev.short_name(doc_id), label=label, title=title, text=text, start=start)

    def mentions_in(self, doc_id: str, passage: Passage, kind: str) -> list[Mention]:
        """The ``kind`` mentions inside ``passage`` (kept: an upper passage is read once per link to it)."""
        end = passage.start + len(passage.text)
        key = (doc_id, passage.start, end, kind)
        if key not in self._mentions_in:
            mentions = self.mentions.get((doc_id, kind), [])
            starts = self.mention_starts.get((doc_id, kind), [])
            first = bisect_left(starts, passage.start)
            last = bisect_left(starts, end, lo=first)
            self._mentions_in[key] = [m for m in mentions[first:last] if m.end <= end]
        return self._mentions_in[key]

    def measures(self, doc_id: str) -> list[MeasureReading]:
        by_measure: dict[str, list[Alignment]] = defaultdict(list)
        for alignment in self.alignments.get(doc_id, []):
            by_measure[alignment.lower_measure].append(alignment)
        labels = sorted(by_measure, key=lambda label: self.measure_order(doc_id, label))
        return [self.measure(doc_id, label, by_measure[label]) for label in labels]

    def measure(self, doc_id: str, label: str, alignments: list[Alignment]) -> MeasureReading:
        lower = self.passage(doc_id, label)
        linked = sorted((a for a in alignments if not a.local_only and a.upper_doc and a.upper_measure),
                        key=lambda a: (a.rank or 99, -a.score))
        in_force = [a for a in linked if a.period != "later"]
        # a program is shared when an upper passage names it too, or the alignment matched it by name
        upper_programs = {entity_key(m) for a in in_force
                          for m in self.mentions_in(a.upper_doc, self.passage(a.upper_doc, a.upper_measure), "program")}
        upper_programs |= {name for a in in_force for name in a.shared_programs}
        lower_programs = {entity_key(m) for m in self.mentions_in(doc_id, lower, "program")}
        links = [self.link(a, lower, lower_programs) for a in linked]
        lower.marks = self.lower_marks(doc_id, lower, in_force, upper_programs)
        local_only = any(a.local_only for a in alignments)
        return MeasureReading(label=label, passage=lower, links=[link for link in links if link.period != "later"],
                              context=[link for link in links if link.period == "later"], local_only=local_only,
                              summary=self.summary(doc_id, lower, links, local_only))

    def link(self, alignment: Alignment, lower: Passage, lower_programs: set[str]) -> Link:
        """The upper passage of ``alignment``, marked; ``lower_programs``: the programs ``lower`` names."""
        upper = self.passage(alignment.upper_doc, alignment.upper_measure)
        matched_programs = set(alignment.shared_programs)

        def shared(mention: Mention) -> bool:
            return (entity_key(mention) in lower_programs
                    or bool({entity_key(mention), entity_label(mention)} & matched_programs))

        upper.marks = sorted(
            [Mark(span.upper_start - upper.start, span.upper_end - upper.start, "reused", span.text,
                  f"copied into {lower.doc} · {lower.label}") for span in alignment.evidence
             if within(upper, span.upper_start, span.upper_end)]
            + [mention_mark(upper, m, "shared", "also named in the lower measure")
               for m in self.mentions_in(alignment.upper_doc, upper, "program") if shared(m)],
            key=mark_order)
        return Link(upper_doc=alignment.upper_doc, upper_measure=alignment.upper_measure, rank=alignment.rank,
                    score=round(alignment.score, 4), strength=alignment.strength or "", period=alignment.period or "",
                    words=link_words(alignment), passage=upper)

    def lower_marks(self, doc_id: str, lower: Passage, in_force: list[Alignment],
                    upper_programs: set[str]) -> list[Mark]:
        reused = [Mark(span.lower_start - lower.start, span.lower_end - lower.start, "reused", span.text,
                       f"copied from {self.ev.short_name(a.upper_doc)} · {a.upper_measure}")
                  for a in in_force for span in a.evidence if within(lower, span.lower_start, span.lower_end)]

        def own(start: int, end: int) -> bool:  # what the measure copied is not its own addition
            return not any(r.start <= start and end <= r.end for r in reused)

        marks = list(reused)
        targets = [mention_mark(lower, m, "number", target_note(m)) for m in self.mentions_in(doc_id, lower, "target")]
        marks += [m for m in targets if own(m.start, m.end)]
        for match in self.number.finditer(lower.text):
            if own(*match.span()) and not any(overlaps(t, *match.span()) for t in targets):
                marks.append(Mark(match.start(), match.end(), "number", match.group()))
        marks += [Mark(match.start(), match.end(), "deadline", match.group())
                  for match in self.deadline.finditer(lower.text) if own(*match.span())]
        for mention in self.mentions_in(doc_id, lower, "program"):
            shared = bool({entity_key(mention), entity_label(mention)} & upper_programs)
            marks.append(mention_mark(lower, mention, "shared" if shared else "program",
                                      "also named upstream" if shared else "named in no upper passage shown"))
        leads = {relation.subject_label or relation.subject for relation in self.responsible[(doc_id, lower.label)]}
        for mention in self.mentions_in(doc_id, lower, "organization"):
            lead = entity_label(mention) in leads
            marks.append(mention_mark(lower, mention, "unit", "responsible for this measure" if lead else "unit named"))
        return sorted(marks, key=mark_order)

    def summary(self, doc_id: str, lower: Passage, links: list[Link], local_only: bool) -> str:
        in_force = [link for link in links if link.period != "later"]
        if local_only or not in_force:
            head = ("local only: no passage of an upper plan in force takes this measure up"
                    + (" (later plans shown as context)" if links else ""))
        else:
            best = in_force[0]
            head = f"best link: {best.passage.doc} · {best.upper_measure} — {best.words}"
        added = []
        for kind, words in (("number", "own numbers"), ("deadline", "deadlines"), ("program", "local programs")):
            names = dedupe(m.text for m in lower.marks if m.kind == kind)
            if names:
                added.append(f"{words} {LIST_SEPARATOR.join(names)}")
        units = dedupe([r.subject_label or r.subject for r in self.responsible[(doc_id, lower.label)]]
                       + [m.text for m in lower.marks if m.kind == "unit"])
        if units:
            added.append(f"responsible units {LIST_SEPARATOR.join(units)}")
        return head + (". Adds: " + "; ".join(added) if added else ". Adds nothing marked of its own")


def link_words(a: Alignment) -> str:
    """'strong: 38 characters copied verbatim, shares 新优质初中 and the indicator 覆盖率 (score 0.42)'."""
    if a.period == "later":
        strength = "context only (a plan issued after this document)"
    else:
        strength = STRENGTH_WORDS.get(a.strength or "", a.strength or "unrated")
    copied = sum(span.lower_end - span.lower_start for span in a.evidence)
    evidence = [f"{copied} characters copied verbatim" if copied else "no verbatim copy"]
    shared = [*a.shared_programs, *(f"the indicator {target}" for target in a.shared_targets)]
    if shared:
        evidence.append("shares " + (" and ".join(shared) if len(shared) <= 2
                                     else ", ".join(shared[:-1]) + " and " + shared[-1]))
    elif a.strength == "thematic":
        evidence.append("similar wording only")
    return f"{strength}: {', '.join(evidence)} (score {a.score:.2f}, rank {a.rank})"


def target_note(mention: Mention) -> str:
    parts = [mention.indicator or "", " ".join(x for x in (mention.comparator, mention.value, mention.unit) if x)]
    return " ".join(p for p in parts if p) + (f" by {mention.year}" if mention.year else "")


def within(passage: Passage, start: int, end: int) -> bool:
    return passage.start <= start and end <= passage.start + len(passage.text)


def mention_mark(passage: Passage, mention: Mention, kind: str, note: str) -> Mark:
    return Mark(mention.start - passage.start, mention.end - passage.start, kind, mention.text, note)


def overlaps(mark: Mark, start: int, end: int) -> bool:
    return mark.start < end and start < mark.end


MARK_KIND_ORDER = {kind: position for position, kind in enumerate(MARK_KINDS)}


def mark_order(mark: Mark) -> tuple:
    return (mark.start, -mark.end, MARK_KIND_ORDER[mark.kind])


def dedupe(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


# ---------------------------------------------------------------- pages


def reader_pages(corpus: Corpus) -> dict[str, str]:
    """File name (inside the reader folder) -> HTML: the index and one page per lower document."""
    builder = ReaderBuilder(corpus)
    readings = {doc_id: builder.measures(doc_id) for doc_id in builder.lower_docs()}
    entries = [builder.entry(doc_id, measures) for doc_id, measures in readings.items()]
    pages = {INDEX_PAGE: render_index(entries)}
    options = {entry.doc_id: MenuOption(entry) for entry in entries}
    for position, entry in enumerate(entries):
        menu_options = [options[other.doc_id] for other in menu(entries, position)]
        pages[reader_file_name(entry.doc_id)] = render_document(entry, menu_options, readings[entry.doc_id])
    return pages


def menu(entries: list[DocumentEntry], position: int) -> list[DocumentEntry]:
    """The documents a page's menu lists: all of them, or the MENU_DOCUMENTS around ``position``."""
    size = MENU_DOCUMENTS
    start = max(0, min(position - size // 2, len(entries) - size))
    return entries[start:start + size]


def render_index(entries: list[DocumentEntry]) -> str:
    return template_env().get_template("reader.html").render(
        index=True, title="Alignment reader", entries=entries, csp="default-src 'none'; style-src 'unsafe-inline'")


def mark_data(mark: Mark) -> dict:
    return {"start": mark.start, "end": mark.end, "kind": mark.kind, "text": mark.text, "note": mark.note}


def passage_data(passage: Passage) -> dict:
    return {"doc": passage.doc, "label": passage.label, "title": passage.title, "text": passage.text,
            "start": passage.start, "marks": [mark_data(mark) for mark in passage.marks]}


def link_data(link: Link) -> dict:
    return {"upper_doc": link.upper_doc, "upper_measure": link.upper_measure, "rank": link.rank, "score": link.score,
            "strength": link.strength, "period": link.period, "words": link.words,
            "passage": passage_data(link.passage)}


def measure_data(measure: MeasureReading) -> dict:
    """``asdict(measure)``, field for field: written out, as the generic deep copy took most of the
    reader's time."""
    return {"label": measure.label, "passage": passage_data(measure.passage),
            "links": [link_data(link) for link in measure.links],
            "context": [link_data(link) for link in measure.context],
            "local_only": measure.local_only, "summary": measure.summary}


@lru_cache(maxsize=1)
def reader_app() -> tuple[str, str]:
    """The reader pages' script and its CSP hash, the same on every page."""
    app = (TEMPLATES / "reader_app.js").read_text(encoding="utf-8")
    return app, csp_hash(app)


def render_document(entry: DocumentEntry, menu_options: list[MenuOption], measures: list[MeasureReading]) -> str:
    data = {"doc": asdict(entry), "measures": [measure_data(m) for m in measures], "kinds": MARK_KINDS}
    data_script = f"window.KG_READER = {safe_json(data)};"
    app, app_hash = reader_app()
    # scripts run by hash only, as in the views: an injected <script> or handler would not
    csp = f"default-src 'none'; script-src {csp_hash(data_script)} {app_hash}; style-src 'unsafe-inline'"
    return template_env().get_template("reader.html").render(
        index=False, title=f"Alignment reader — {entry.name}", entry=entry, kinds=MARK_KINDS,
        menu_options=Markup("".join(option.html(option.doc_id == entry.doc_id) for option in menu_options)),
        data_script=data_script, app_js=app, csp=csp)


def write_reader(corpus: Corpus, out_dir: Path | str) -> list[Path]:
    """Write the reader pages into ``out_dir`` (the index first); returns the files written."""
    written = []
    for name, html in reader_pages(corpus).items():
        path = Path(out_dir) / name
        write_text(path, html)
        written.append(path)
    return written
