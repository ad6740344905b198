"""Alignment and continuity reports: Markdown, self-contained HTML and CSV.

Pages a researcher reads on one screen: a summary per lower document (coverage of each upper
plan, verbatim share, local-only measures, top shared programs, with links into the alignment
reader and the views), a table of contents, then detail tables that wrap to the page width.
Documents go by their short names (the views' names, 惠济2023); doc ids stay in one column for
machines, and the CSVs keep ids. Quotes are whole sentences (clauses when a sentence is long)
holding the passage's key figure.

Document text is untrusted: HTML goes through Jinja2 with autoescape (table rows, built in Python
for speed, through markupsafe's escape), Markdown cells are escaped too. All files are written
atomically.
"""
from __future__ import annotations

import os
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional, Union
from urllib.parse import quote

from markupsafe import Markup, escape

from kg.analysis.align import align, reuse_summary
from kg.analysis.continuity import continuity
from kg.fileio import write_csv, write_text
from kg.records import Alignment, Corpus, Mention, Section
from kg.text import (
    CLAUSE_SEPARATORS,
    ELLIPSIS,
    one_line,
    sentence_around,
    sentence_bounds,
)
from kg.views.evidence import document_short_names
from kg.views.html import template_env
from kg.views.reader import INDEX_PAGE, READER_FOLDER, reader_href

ALIGNMENT_COLUMNS = ["lower_doc", "lower_measure", "lower_title", "rank", "upper_doc", "upper_measure",
                     "upper_title", "score", "strength", "period", "shared_programs", "shared_targets", "reuse_ratio",
                     "lower_quote", "upper_quote", "method"]
REUSE_COLUMNS = ["lower_doc", "measure", "title", "reuse", "local_only", "copied", "own_numbers",
                 "local_programs", "deadlines", "responsible_units"]
PROGRAM_COLUMNS = ["program", "documents", "years", "levels", "first_seen", "last_seen", "gaps", "doc_id",
                   "year", "measure", "quote"]
INDICATOR_COLUMNS = ["indicator", "government", "unit_class", "doc_id", "level", "year", "value", "unit", "comparator",
                     "kind", "measure", "quote"]
CHANGE_COLUMNS = ["government", "from_doc", "from_year", "to_doc", "to_year", "new", "continued", "dropped",
                  "renamed"]
SPELL_COLUMNS = ["program", "government", "first_seen", "last_seen", "documents"]
ACROSS_COLUMNS = ["indicator", "unit_class", "government", "values", "documents"]

ALIGNMENT_TITLE = "Lower plans and the upper plans in force"
VIEWS_FOLDER = "views"
ALIGNMENT_VIEW = "alignment.html"
MACHINE_COLUMN = "doc ids"  # the one column of the Markdown / HTML tables that names documents by id
QUOTE_CHARS = 120  # a longer sentence is quoted from the clause nearest its key words
TOP_PROGRAMS = 6
SAME_QUOTE = "〃"  # ditto: the same quote as the row above


@dataclass(frozen=True)
class Link:
    """A cell or summary part that links elsewhere (relative to the report's folder)."""

    text: str
    href: str


Part = Union[str, Link]


# ---------------------------------------------------------------- quotes

class SentenceQuotes:
    """Quotes cut at sentence boundaries: the sentence(s) around a span, its figure included."""

    def __init__(self, corpus: Corpus, limit: int = QUOTE_CHARS):
        self.texts = {doc.doc_id: doc.text for doc in corpus.documents}
        self.limit = limit
        self._bounds: dict[str, list[int]] = {}

    def bounds(self, doc_id: str) -> list[int]:
        if doc_id not in self._bounds:
            self._bounds[doc_id] = sentence_bounds(self.texts.get(doc_id, ""))
        return self._bounds[doc_id]

    def around(self, doc_id: str, start: int, end: int, figure: Optional[str] = None,
               words: Optional[str] = None) -> str:
        """The sentence(s) holding ``start``…``end`` and, when given, the nearest ``figure`` after
        (or before) it; a sentence longer than the limit starts at the clause before the span.
        A figure alone on its line (a table cell) is quoted from the line of its ``words`` (the
        indicator as printed: the row's first cell)."""
        text = self.texts.get(doc_id)
        if text is None:
            return ""
        bounds = self.bounds(doc_id)
        sentence_start, sentence_end = sentence_around(bounds, len(text), start, end)
        if figure and figure not in text[sentence_start:sentence_end]:
            after = text.find(figure, end, end + self.limit)
            before = text.rfind(figure, max(0, start - self.limit), start)
            if after >= 0:
                sentence_end = sentence_around(bounds, len(text), start, after + len(figure))[1]
            elif before >= 0:
                sentence_start = sentence_around(bounds, len(text), before, end)[0]
        if words and not _has_words(text[sentence_start:sentence_end]):
            row_start = text.rfind(words, max(0, start - self.limit), start)
            if row_start >= 0:
                sentence_start = sentence_around(bounds, len(text), row_start, row_start)[0]
        return self._cut(text, sentence_start, sentence_end, start)

    def opening(self, doc_id: str, section: Section) -> str:
        """A measure's first sentences, as many whole ones as fit the limit (at least one)."""
        text = self.texts.get(doc_id)
        if text is None:
            return ""
        bounds = self.bounds(doc_id)
        end = sentence_around(bounds, len(text), section.start, section.start)[1]
        while end < section.end:
            following = sentence_around(bounds, len(text), end, end)[1]
            if following > section.end or following - section.start > self.limit:
                break
            end = following
        return self._cut(text, section.start, min(end, section.end), section.start)

    def _cut(self, text: str, start: int, end: int, keep_from: int) -> str:
        """``text[start:end]`` on one line; when too long, from the earliest clause boundary that
        fits (never after ``keep_from``), an ellipsis marking the cut."""
        cut = start
        if end - start > self.limit:
            boundaries = [i + 1 for i in range(start, keep_from) if text[i] in CLAUSE_SEPARATORS]
            fitting = [b for b in boundaries if end - b <= self.limit]
            cut = fitting[0] if fitting else (boundaries[-1] if boundaries else start)
        quoted = one_line(text[cut:end])
        return (ELLIPSIS + quoted) if cut > start else quoted


def _has_words(text: str) -> bool:
    """Whether ``text`` holds a Chinese character: a number and its unit alone are no quote."""
    return any("\u4e00" <= char <= "\u9fff" for char in text)


# ---------------------------------------------------------------- rendering

MARKDOWN_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("|", "\\|"), ("[", "\\["), ("]", "\\]"))
WHITESPACE_RUN = re.compile(r"\s+")


def _md_text(value) -> str:
    """A Markdown cell's piece: escaped, whitespace runs made one space (kept at the ends: pieces join)."""
    if isinstance(value, Link):
        return f"[{_md_text(value.text).strip()}]({value.href})"
    if isinstance(value, (list, tuple)):
        return "".join(_md_text(part) for part in value)
    text = "" if value is None else str(value)
    for raw, escaped in MARKDOWN_ESCAPES:
        text = text.replace(raw, escaped)
    return WHITESPACE_RUN.sub(" ", text)


def _md_cell(value) -> str:
    return _md_text(value).strip()


def _md_anchor(anchor: str) -> str:
    return f'<a id="{anchor}"></a>'


def _md_table(table: dict) -> list[str]:
    # a table without an anchor is its section's only one: the section's heading names it
    lines = [f"### {_md_anchor(table['anchor'])}{_md_cell(table['title'])}", ""] if table.get("anchor") else []
    if table.get("note"):
        lines += [_md_cell(table["note"]), ""]
    if not table["rows"]:
        return lines + ["(none)", ""]
    lines.append("| " + " | ".join(table["columns"]) + " |")
    lines.append("|" + "---|" * len(table["columns"]))
    lines += ["| " + " | ".join(_md_cell(row.get(c)) for c in table["columns"]) + " |" for row in table["rows"]]
    return lines + [""]


def markdown_document(page: dict) -> str:
    lines = [f"# {_md_cell(page['title'])}", ""]
    if page.get("subtitle"):
        lines += [_md_cell(page["subtitle"]), ""]
    if page.get("links"):
        lines += [" · ".join(_md_cell(link) for link in page["links"]), ""]
    for card in page["summary"]:
        lines += [f"## {_md_cell(card['title'])}", ""]
        lines += [f"- **{_md_cell(label)}**: {_md_cell(value)}" for label, value in card["lines"]]
        lines.append("")
    lines += ["## Contents", ""]
    for section in page["sections"]:
        lines.append(f"- [{_md_cell(section['title'])}](#{section['anchor']})")
        lines += [f"  - [{_md_cell(t['title'])}](#{t['anchor']})" for t in section["tables"] if t.get("anchor")]
    lines.append("")
    for section in page["sections"]:
        lines += [f"## {_md_anchor(section['anchor'])}{_md_cell(section['title'])}", ""]
        if section.get("note"):
            lines += [_md_cell(section["note"]), ""]
        for table in section["tables"]:
            lines += _md_table(table)
    return "\n".join(lines).rstrip("\n") + "\n"


def column_widths(columns: list[str], weights: dict[str, int]) -> dict[str, str]:
    """Each column's share of the page width (a fixed layout: the table never outgrows the page)."""
    total = sum(weights.get(c, 8) for c in columns) or 1
    return {c: f"{100 * weights.get(c, 8) / total:.1f}" for c in columns}


def _html_parts(value) -> str:
    """A cell's value as HTML, escaped: text, a link, a list of both; None is empty."""
    if isinstance(value, str):
        return escape(value)
    if isinstance(value, Link):
        return f'<a href="{escape(value.href)}">{escape(value.text)}</a>'
    if isinstance(value, (list, tuple)):
        return "".join(_html_parts(part) for part in value)
    return "" if value is None else escape(value)


def html_table_body(columns: list[str], rows: list[dict]) -> Markup:
    """A table's rows as HTML. Rendered here, not in the template: a template macro call per cell
    made the report's rendering take most of the build's report time."""
    openings = ['<td class="machine">' if column == MACHINE_COLUMN else "<td>" for column in columns]
    lines = []
    for row in rows:
        cells = "".join(f"{opening}{_html_parts(row.get(column))}</td>" for opening, column in zip(openings, columns))
        lines.append(f"<tr>{cells}</tr>\n")
    return Markup("".join(lines))


def html_document(page: dict) -> str:
    sections = [{**section, "tables": [{**table, "widths": column_widths(table["columns"], table.get("widths", {})),
                                        "body": html_table_body(table["columns"], table["rows"])}
                                       for table in section["tables"]]} for section in page["sections"]]
    return template_env().get_template("report_tables.html").render(
        page={**page, "sections": sections}, machine_column=MACHINE_COLUMN)


def _write_all(out_dir: Path, stem: str, page: dict, csvs: dict[str, tuple[list, list]]) -> list[Path]:
    out_dir = Path(out_dir)
    written = []
    path = out_dir / f"{stem}.md"
    write_text(path, markdown_document(page))
    written.append(path)
    path = out_dir / f"{stem}.html"
    write_text(path, html_document(page))
    written.append(path)
    for name, (columns, rows) in csvs.items():
        path = out_dir / name
        write_csv(path, columns, rows)
        written.append(path)
    return written


def views_href(out_dir: Path) -> str:
    """The build's views/ folder relative to a report folder: reports/ sits beside views/, and a
    filtered report lives inside reports/ (reports/align/<name>)."""
    out_dir = Path(out_dir).resolve()
    reports = next((p for p in (out_dir, *out_dir.parents) if p.name == "reports"), out_dir)
    return Path(os.path.relpath(reports.parent / VIEWS_FOLDER, out_dir)).as_posix()


def _ids(*doc_ids: Optional[str]) -> str:
    return " → ".join(d for d in doc_ids if d)


def _names(short_names: dict[str, str], doc_ids: Iterable[str]) -> str:
    return ", ".join(short_names.get(d, d) for d in doc_ids)


# ---------------------------------------------------------------- alignment

class _AlignmentQuotes:
    """Each link's two quotes: the copied text's sentences, else the sentence of a shared target
    (its figure inside) or program, else the measure's opening sentences."""

    def __init__(self, corpus: Corpus):
        self.quotes = SentenceQuotes(corpus)
        self.sections = {(doc_id, s.label): s for doc_id, sections in corpus.sections.items() for s in sections}
        self.mentions: dict[tuple[str, str], list[Mention]] = defaultdict(list)
        for mention in corpus.mentions:
            if mention.measure and mention.type in ("target", "program"):
                self.mentions[(mention.doc_id, mention.measure)].append(mention)

    def pair(self, a: Alignment) -> tuple[str, str]:
        if a.evidence:
            span = max(a.evidence, key=lambda e: len(e.text))
            return (self.quotes.around(a.lower_doc, span.lower_start, span.lower_end),
                    self.quotes.around(a.upper_doc, span.upper_start, span.upper_end) if a.upper_doc else "")
        lower = self.measure_quote(a.lower_doc, a.lower_measure, a.shared_targets, a.shared_programs)
        upper = (self.measure_quote(a.upper_doc, a.upper_measure, a.shared_targets, a.shared_programs)
                 if a.upper_doc and a.upper_measure else "")
        return lower, upper

    def measure_quote(self, doc_id: str, label: str, targets: list[str], programs: list[str]) -> str:
        mentions = self.mentions.get((doc_id, label), [])
        target = self._first(m for m in mentions if m.type == "target" and targets
                             and (m.indicator in targets or m.canonical in targets))
        if target is None and targets:
            target = self._first(m for m in mentions if m.type == "target")
        if target is not None:
            return self.quotes.around(doc_id, target.start, target.end, target.value, target.indicator)
        program = self._first(m for m in mentions if m.type == "program" and (m.canonical in programs
                                                                             or m.text in programs))
        if program is not None:
            return self.quotes.around(doc_id, program.start, program.end)
        section = self.sections.get((doc_id, label))
        return self.quotes.opening(doc_id, section) if section else ""

    @staticmethod
    def _first(mentions: Iterable[Mention]) -> Optional[Mention]:
        return next(iter(mentions), None)


def alignment_rows(corpus: Corpus, alignments: list[Alignment]) -> list[dict]:
    """The CSV rows (doc ids) of ``alignments``, with sentence quotes."""
    sections = {(doc_id, s.label): s for doc_id, secs in corpus.sections.items() for s in secs}
    quotes = _AlignmentQuotes(corpus)
    rows = []
    for a in alignments:
        lower = sections.get((a.lower_doc, a.lower_measure))
        upper = sections.get((a.upper_doc, a.upper_measure)) if a.upper_doc else None
        lower_quote, upper_quote = quotes.pair(a)
        rows.append({
            "lower_doc": a.lower_doc, "lower_measure": a.lower_measure, "lower_title": lower.title if lower else "",
            "rank": a.rank if not a.local_only else "", "upper_doc": a.upper_doc or "",
            "upper_measure": a.upper_measure or "", "upper_title": upper.title if upper else "",
            "score": a.score if not a.local_only else "", "strength": "local_only" if a.local_only else a.strength,
            "period": a.period or "",
            "shared_programs": "; ".join(a.shared_programs), "shared_targets": "; ".join(a.shared_targets),
            "reuse_ratio": a.reuse_ratio, "lower_quote": lower_quote, "upper_quote": upper_quote, "method": a.method,
        })
    return rows


class _AlignmentPage:
    """The alignment report's summary cards, contents and per-document sections."""

    def __init__(self, corpus: Corpus, alignments: list[Alignment], out_dir: Path):
        self.corpus = corpus
        self.alignments = alignments
        self.names = document_short_names(corpus.documents)
        self.titles = {d.doc_id: " ".join((d.meta.title or "").split()) for d in corpus.documents}
        # lower doc -> program -> the first measure sharing it with a plan in force (its reader link)
        self.first_sharing: dict[str, dict[str, str]] = defaultdict(dict)
        for a in alignments:
            if a.period != "later":
                for program in a.shared_programs:
                    self.first_sharing[a.lower_doc].setdefault(program, a.lower_measure)
        views = views_href(out_dir)
        self.reader = f"{views}/{READER_FOLDER}"
        self.label_anchors: dict[str, str] = {}
        self.view = f"{views}/{ALIGNMENT_VIEW}"

    def name(self, doc_id: Optional[str]) -> str:
        return self.names.get(doc_id, doc_id) if doc_id else ""

    def measure_link(self, doc_id: str, label: str, text: Optional[str] = None) -> Link:
        if label not in self.label_anchors:  # a label (1, 2, …) recurs in every document
            self.label_anchors[label] = quote(label, safe="")
        return Link(text or label, f"{self.reader}/{reader_href(doc_id)}#{self.label_anchors[label]}")

    def covered_pairs(self) -> str:
        pairs: dict[str, dict[str, set[str]]] = defaultdict(lambda: {"in force": set(), "later": set()})
        for a in self.alignments:
            if a.upper_doc:
                pairs[a.lower_doc]["later" if a.period == "later" else "in force"].add(a.upper_doc)
            else:
                pairs[a.lower_doc]
        parts = []
        for lower, uppers in pairs.items():
            words = [f"{self.name(lower)} ← " + (_names(self.names, sorted(uppers["in force"])) or "no upper plan")]
            if uppers["later"]:
                words.append(f"(later, context only: {_names(self.names, sorted(uppers['later']))})")
            parts.append(" ".join(words))
        return "Covers: " + "; ".join(parts) + "." if parts else "Covers no document."

    def summary_card(self, doc_id: str, info, anchor: str) -> dict:
        local = sum(1 for m in info.measures if m.local_only)
        coverage: list[Part] = []
        for upper, share in info.coverage.items():
            coverage += ([", "] if coverage else []) + [f"{self.name(upper)} {share:.0%}"]
        first_sharing = self.first_sharing.get(doc_id, {})
        programs: list[Part] = []
        for program, count in info.top_programs[:TOP_PROGRAMS]:
            programs += [", "] if programs else []
            if program in first_sharing:
                programs.append(self.measure_link(doc_id, first_sharing[program], f"{program} ({count})"))
            else:
                programs.append(f"{program} ({count})")
        return {
            "title": f"{self.name(doc_id)} — {self.titles.get(doc_id) or self.name(doc_id)}",
            "anchor": anchor,
            "lines": [
                ("measures", str(len(info.measures))),
                ("coverage of each upper plan (share of its measures taken up)", coverage or "-"),
                ("verbatim reuse (share of measure text copied)", f"{info.reuse:.1%}"),
                ("local-only measures", f"{local} of {len(info.measures)} ({info.local_share:.0%})"),
                ("measures with a direct link", f"{info.direct_share:.0%}"),
                ("top shared programs", programs or "-"),
                ("read", [Link("details below", f"#{anchor}"), " · ",
                          Link("alignment reader", f"{self.reader}/{reader_href(doc_id)}"), " · ",
                          Link("alignment view", self.view)]),
            ],
        }

    def link_rows(self, rows: list[dict]) -> list[dict]:
        shown, previous = [], None
        for row in rows:
            upper = row["upper_doc"]
            # a measure's quote once: the rows of its other links that would repeat it say so
            repeated = (row["lower_doc"], row["lower_measure"], row["lower_quote"]) == previous
            previous = (row["lower_doc"], row["lower_measure"], row["lower_quote"])
            link = ("local only" if row["strength"] == "local_only" else
                    f"#{row['rank']} {row['strength']} · {row['period']} · {row['score']}")
            shown.append({
                "measure": [self.measure_link(row["lower_doc"], row["lower_measure"]), f" {row['lower_title']}"],
                "upper passage": f"{self.name(upper)} {row['upper_measure']} {row['upper_title']}".strip(),
                "link": link,
                "shared": " · ".join(x for x in (row["shared_programs"], row["shared_targets"]) if x),
                "reuse": f"{row['reuse_ratio']:.0%}" if row["reuse_ratio"] else "",
                "lower quote": SAME_QUOTE if repeated else row["lower_quote"],
                "upper quote": row["upper_quote"],
                MACHINE_COLUMN: _ids(row["lower_doc"], upper),
            })
        return shown

    def reuse_rows(self, doc_id: str, rows: list[dict]) -> list[dict]:
        return [{"measure": [self.measure_link(doc_id, row["measure"]), f" {row['title']}"],
                 "reuse": f"{row['reuse']:.0%}", "local only": "yes" if row["local_only"] else "",
                 "copied": row["copied"], "own numbers": row["own_numbers"], "local programs": row["local_programs"],
                 "deadlines": row["deadlines"], "responsible units": row["responsible_units"],
                 MACHINE_COLUMN: doc_id} for row in rows]


LINK_COLUMNS = ["measure", "upper passage", "link", "shared", "reuse", "lower quote", "upper quote", MACHINE_COLUMN]
LINK_WIDTHS = {"measure": 12, "upper passage": 13, "link": 10, "shared": 10, "reuse": 5, "lower quote": 21,
               "upper quote": 21, MACHINE_COLUMN: 8}
REUSE_DISPLAY = ["measure", "reuse", "local only", "copied", "own numbers", "local programs", "deadlines",
                 "responsible units", MACHINE_COLUMN]
REUSE_WIDTHS = {"measure": 14, "reuse": 5, "local only": 5, "copied": 22, "own numbers": 12, "local programs": 12,
                "deadlines": 10, "responsible units": 12, MACHINE_COLUMN: 8}
ALIGNMENT_NOTE = ("link: rank, strength (direct = a shared named program, cited document or target indicator), "
                  "period (in_force = an upper plan in force in the lower document's year, a link; later = a plan "
                  "issued after it, context only: never rank 1, never direct) and score. Quotes are the sentences "
                  "of the verbatim shared text where there is any, else of a shared target or program, else the "
                  "measures' opening sentences. Measures link to the alignment reader.")
REUSE_NOTE = "reuse = share of the measure's text copied verbatim from its upper documents (containment)."


def write_alignment_report(corpus: Corpus, out_dir: Path | str, lower: Optional[str] = None,
                           upper: Optional[str] = None, alignments: Optional[list[Alignment]] = None) -> list[Path]:
    """alignment.md / .html / .csv and reuse.csv for the corpus's (or the given) alignments."""
    if alignments is None:
        alignments = corpus.alignments if corpus.alignments and not upper else align(corpus, lower=lower, upper=upper)
    alignments = [a for a in alignments if (lower is None or a.lower_doc == lower)
                  and (upper is None or a.local_only or a.upper_doc == upper)]
    reuse = reuse_summary(corpus, alignments)
    rows = alignment_rows(corpus, alignments)
    page_parts = _AlignmentPage(corpus, alignments, Path(out_dir))
    rows_by_lower: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        rows_by_lower[row["lower_doc"]].append(row)
    cards, sections, reuse_rows = [], [], []
    lower_docs = list(dict.fromkeys([*reuse, *rows_by_lower]))
    for number, doc_id in enumerate(lower_docs, 1):
        anchor = f"lower-{number}"
        info = reuse.get(doc_id)
        doc_reuse = []
        for m in (info.measures if info else []):
            ref = m.refinements
            doc_reuse.append({
                "lower_doc": doc_id, "measure": m.measure, "title": m.title, "reuse": m.reuse,
                "local_only": m.local_only, "copied": " / ".join(c.text for c in m.copied),
                "own_numbers": "; ".join(ref.numbers), "local_programs": "; ".join(ref.programs),
                "deadlines": "; ".join(ref.deadlines), "responsible_units": "; ".join(ref.units),
            })
        reuse_rows += doc_reuse
        if info is not None:
            cards.append(page_parts.summary_card(doc_id, info, anchor))
        name = page_parts.name(doc_id)
        sections.append({
            "title": f"{name} — {page_parts.titles.get(doc_id) or name}", "anchor": anchor,
            "tables": [
                {"title": f"{name}: measures and the upper passages they take up", "anchor": f"{anchor}-links",
                 "columns": LINK_COLUMNS, "widths": LINK_WIDTHS, "note": ALIGNMENT_NOTE,
                 "rows": page_parts.link_rows(rows_by_lower.get(doc_id, []))},
                {"title": f"{name}: reuse and refinement per measure", "anchor": f"{anchor}-reuse",
                 "columns": REUSE_DISPLAY, "widths": REUSE_WIDTHS, "note": REUSE_NOTE,
                 "rows": page_parts.reuse_rows(doc_id, doc_reuse)},
            ],
        })
    page = {"title": ALIGNMENT_TITLE, "subtitle": page_parts.covered_pairs(), "summary": cards,
            "sections": sections,
            "links": [Link("alignment reader", f"{page_parts.reader}/{INDEX_PAGE}"),
                      Link("alignment view", page_parts.view)]}
    return _write_all(Path(out_dir), "alignment", page,
                      {"alignment.csv": (ALIGNMENT_COLUMNS, rows), "reuse.csv": (REUSE_COLUMNS, reuse_rows)})


# ---------------------------------------------------------------- continuity

def _display(rows: list[dict], short_names: dict[str, str], doc_columns: dict[str, str],
             list_columns: dict[str, str]) -> list[dict]:
    """Rows for Markdown / HTML: doc id columns renamed to short names (``doc_columns``: id column ->
    shown column), id lists (``list_columns``) too; every id in the machine column. A government
    known by one document only is named after it ("XX市 (<doc id>)"): that id becomes its short name."""
    shown = []
    for row in rows:
        out, ids = {}, []
        for key, value in row.items():
            if key == "government" and isinstance(value, str):
                value, doc_id = _government_label(value, short_names)
                ids.append(doc_id)
            if key in doc_columns:
                out[doc_columns[key]] = short_names.get(value, value) if value else ""
                ids.append(value)
            elif key in list_columns:
                listed = [d for d in (value or "").split(", ") if d]
                out[list_columns[key]] = _names(short_names, listed)
                ids += listed
            elif isinstance(value, str) and value in short_names:  # a government known by one document only
                out[key] = short_names[value]
                ids.append(value)
            else:
                out[key] = value
        out[MACHINE_COLUMN] = ", ".join(dict.fromkeys(i for i in ids if i))
        shown.append(out)
    return shown


def _government_label(name: str, short_names: dict[str, str]) -> tuple[str, str]:
    """(the name as shown, the doc id it held or ""): "XX市 (<doc id>)" becomes "XX市 (XX市2024#1)"."""
    if name in short_names:
        return short_names[name], name
    if name.endswith(")") and " (" in name:
        place, doc_id = name[:-1].rsplit(" (", 1)
        if doc_id in short_names:
            return f"{place} ({short_names[doc_id]})", doc_id
    return name, ""


def _shown_columns(columns: list[str], doc_columns: dict[str, str], list_columns: dict[str, str]) -> list[str]:
    return [doc_columns.get(c) or list_columns.get(c) or c for c in columns] + [MACHINE_COLUMN]


# relative column widths: long text wide, years and units narrow (others 8)
CONTINUITY_WIDTHS = {"quote": 30, "values": 24, "new": 18, "continued": 18, "dropped": 14, "renamed": 14,
                     "program": 12, "indicator": 12, "documents": 10, MACHINE_COLUMN: 10,
                     "kind": 6, "unit_class": 6, "comparator": 5,
                     **{c: 4 for c in ("level", "year", "value", "unit", "years", "first_seen", "last_seen", "from_year",
                                       "to_year", "gaps")}}


@dataclass
class _ContinuityTable:
    """One table of the continuity report: its CSV-style rows and which columns hold doc ids."""

    title: str
    columns: list[str]
    rows: list[dict]
    ids: dict[str, str] = field(default_factory=dict)  # doc id column -> the column of its short name
    id_lists: dict[str, str] = field(default_factory=dict)  # column of ", "-joined doc ids -> its names
    note: str = ""


def write_continuity_report(corpus: Corpus, out_dir: Path | str, program: Optional[str] = None) -> list[Path]:
    """continuity.md / .html, continuity_programs.csv, continuity_indicators.csv, continuity_changes.csv.

    Every series names its government: trajectories and changes run within one; the
    cross-government table ("who else set this indicator") and the per-government spells are in
    the Markdown / HTML report."""
    result = continuity(corpus, program)
    quotes = SentenceQuotes(corpus)
    short_names = document_short_names(corpus.documents)
    program_rows = []
    for t in result.programs:
        common = {"program": t.label, "documents": len(t.documents), "years": ", ".join(map(str, t.years)),
                  "levels": ", ".join(t.levels), "first_seen": t.first_seen, "last_seen": t.last_seen,
                  "gaps": ", ".join(map(str, t.gaps))}
        firsts = {}
        for o in t.occurrences:
            firsts.setdefault(o.doc_id, o)  # one quote per document keeps the table readable
        for o in firsts.values():
            program_rows.append({**common, "doc_id": o.doc_id, "year": o.year, "measure": o.measure,
                                 "quote": quotes.around(o.doc_id, o.start, o.end) or o.quote})
    # the trajectory's concept name and government, then the point's own columns; a point's year
    # falls back to its document's; the quote holds the value
    indicator_rows = [{"indicator": t.indicator, "government": t.government_name or t.government,
                       "unit_class": t.unit_class,
                       **{k: getattr(p, k) for k in INDICATOR_COLUMNS if hasattr(p, k) and k != "indicator"},
                       "year": p.year or p.doc_year,
                       "quote": quotes.around(p.doc_id, p.start, p.end, p.value, p.indicator) or p.quote}
                      for t in result.indicators for p in t.points]
    names = {s.government: s.government_name for s in result.spells}
    shown_names = {key: _government_label(name, short_names)[0] for key, name in names.items()}
    change_rows = [{**c.as_dict(), "government": names.get(c.government or "", c.government),
                    "new": "; ".join(c.new), "continued": "; ".join(c.continued),
                    "dropped": "; ".join(c.dropped), "renamed": "; ".join(c.renamed)} for c in result.changes]
    spell_rows = [{"program": s.label, "government": s.government_name, "first_seen": s.first_seen,
                   "last_seen": s.last_seen, "documents": ", ".join(s.documents)}
                  for s in result.spells if len(s.documents) > 1 or program]
    across_rows = [{"indicator": row.indicator, "unit_class": row.unit_class, "government": g.government_name,
                    "values": "; ".join(g.values), "documents": ", ".join(g.documents)}
                   for row in result.indicator_governments for g in row.governments]
    followed = [t for t in result.programs if len(t.documents) > 1]
    summary = [
        ("programs", str(len(result.programs))),
        ("in more than one document", str(len(followed))),
        ("most widespread", ", ".join(f"{t.label} ({len(t.documents)})" for t in followed[:6]) or "-"),
        ("change series (one government each)",
         ", ".join(f"{shown_names.get(c.government or '', c.government)} {c.from_year}→{c.to_year}"
                   for c in result.changes) or "-"),
        ("indicators followed across one government's plans",
         str(sum(1 for t in result.indicators if len(t.documents) > 1))),
        ("indicators set by several governments", str(len(result.indicator_governments))),
    ]
    one_doc = {"doc_id": "document"}
    listed = {"documents": "documents"}
    tables = [
        _ContinuityTable("Programs across documents and years", PROGRAM_COLUMNS, program_rows, one_doc,
                         note="where a program is named, in every government's documents: an overview, not a series."),
        _ContinuityTable("Programs per government: first and last seen", SPELL_COLUMNS, spell_rows,
                         id_lists=listed, note="programs one government names in more than one of its plans."),
        _ContinuityTable("Target indicators: trajectories within one government", INDICATOR_COLUMNS, indicator_rows,
                         one_doc, note="one trajectory per indicator, government and unit class (a share and a "
                                       "count never join); each quote is the sentence that sets the value."),
        _ContinuityTable("Who else set this indicator (across governments)", ACROSS_COLUMNS, across_rows,
                         id_lists=listed, note="a side-by-side comparison of governments, not a trajectory; "
                                               "anonymised parts (XX市) each stand alone."),
        _ContinuityTable("New / continued / dropped / renamed programs between successive plans of one government",
                         CHANGE_COLUMNS, change_rows, {"from_doc": "from", "to_doc": "to"}),
    ]
    sections = []
    for number, table in enumerate(tables, 1):
        shown_columns = _shown_columns(table.columns, table.ids, table.id_lists)
        sections.append({"title": table.title, "anchor": f"table-{number}", "tables": [{
            "title": table.title, "columns": shown_columns, "note": table.note,
            "widths": CONTINUITY_WIDTHS,
            "rows": _display(table.rows, short_names, table.ids, table.id_lists)}]})
    page = {"title": f"Continuity of {program}" if program else "Program and indicator continuity",
            "subtitle": "", "summary": [{"title": "At a glance", "lines": summary}], "sections": sections}
    return _write_all(Path(out_dir), "continuity", page, {
        "continuity_programs.csv": (PROGRAM_COLUMNS, program_rows),
        "continuity_indicators.csv": (INDICATOR_COLUMNS, indicator_rows),
        "continuity_changes.csv": (CHANGE_COLUMNS, change_rows),
    })
