"""Alignable passages ("units") of a document: measures, paragraphs, 专栏 columns, 工程 projects.

An upper passage is a section's own text, in pieces around its alignable sub-sections; a lower
measure is its whole span. A unit keeps both its matching form (simplified for traditional-script
text) and the printed characters, with the document offsets of each piece.
"""
from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Optional

from kg.records import Document, Section
from kg.resources import AlignmentSettings, alignment_settings, lexicon
from kg.text import SENTENCE_BREAKS

WORD_RUN = re.compile(r"[0-9A-Za-z\u3400-\u9fff]+")  # digits, Latin letters and CJK ideographs
BOOKMARK = re.compile(r"\[bookmark:[^\]]*\]")  # anchors the converters leave in the text
# from the shipped settings, not a run's: what counts as a quote mark is data, not a tuning option
_IGNORED_IN_NAMES = re.compile(alignment_settings().names.ignored_characters)


def plain_text(text: str) -> str:
    """``text`` without spaces and quote marks: the form a name is looked up in."""
    return _IGNORED_IN_NAMES.sub("", text)


@dataclass
class Unit:
    """An alignable passage: a section's own text, possibly in pieces around sub-sections."""

    doc_id: str
    label: str
    title: str
    pieces: list[tuple[int, int]]  # document offsets, end exclusive
    text: str = ""  # in the document's matching form (simplified for traditional-script text)
    printed: str = ""  # the same characters as printed, for quotes
    vector: dict[str, float] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # normalised name -> display name
    quoted: set[str] = field(default_factory=set)  # normalised names the text itself puts in quotes
    targets: dict[str, str] = field(default_factory=dict)  # normalised indicator -> display
    starts: list[int] = field(default_factory=list)  # unit-text index where each piece starts
    retrospective: bool = False  # a review of past achievements: its part's title or its own sentences
    # verbatim-reuse seed tables by seed length, built once per unit (kg.analysis.align.verbatim)
    seed_tables: dict[int, dict[str, list[int]]] = field(default_factory=dict, repr=False)

    @cached_property
    def plain(self) -> str:
        """The text without spaces and quotes, where a name is looked up."""
        return plain_text(self.text)

    def doc_offset(self, index: int) -> int:
        """Document offset of a character index of ``text``."""
        piece = bisect.bisect_right(self.starts, index) - 1
        return self.pieces[piece][0] + index - self.starts[piece]

    def contains(self, offset: int) -> bool:
        return any(start <= offset < end for start, end in self.pieces)


def _make_unit(doc: Document, section: Section, pieces: list[tuple[int, int]]) -> Unit:
    unit = Unit(doc.doc_id, section.label, section.title, pieces)
    unit.starts, position = [], 0
    for start, end in pieces:
        unit.starts.append(position)
        position += end - start
    unit.text = "".join(doc.match_text[start:end] for start, end in pieces)
    unit.printed = "".join(doc.text[start:end] for start, end in pieces)
    return unit


def _subtract(span: tuple[int, int], holes: list[tuple[int, int]]) -> list[tuple[int, int]]:
    pieces, cursor = [], span[0]
    for start, end in sorted(holes):
        if start > cursor:
            pieces.append((cursor, min(start, span[1])))
        cursor = max(cursor, end)
    if cursor < span[1]:
        pieces.append((cursor, span[1]))
    return [(s, e) for s, e in pieces if e > s]


def alignable_units(doc: Document, sections: list[Section],
                    settings: Optional[AlignmentSettings] = None) -> list[Unit]:
    """Upper-level passages: measures, paragraphs, columns and projects, each without the text of
    its own alignable sub-sections (so "一(一)5" and "一(一)5(2)" do not compete for one text)."""
    settings = settings or alignment_settings()
    kinds = set(settings.units.kinds)
    chosen = [s for s in sections if (s.is_measure or s.kind in kinds) and not s.outline_only]
    review = _retrospective(sections, settings)
    units = []
    for section in chosen:
        holes = [(o.start, o.end) for o in chosen
                 if o is not section and section.start <= o.start and o.end <= section.end
                 and (o.start, o.end) != (section.start, section.end)]
        pieces = _subtract((section.start, section.end), holes)
        # body text often shares the heading's line ("1.坚持德育为先。健全…"): count past the title
        own = sum(len("".join(WORD_RUN.findall(BOOKMARK.sub("", doc.text[s:e])))) for s, e in pieces)
        if own - len(section.title) < settings.units.min_own_chars:
            continue
        unit = _make_unit(doc, section, pieces)
        unit.retrospective = any(start <= section.start < end for start, end in review) or is_review(unit.text)
        units.append(unit)
    return units


@dataclass(frozen=True)
class ReviewSettings:
    """``review`` of alignment.yaml: sentence patterns of a review of past achievements."""

    sentence_patterns: tuple[re.Pattern, ...]
    min_share: float


@functools.lru_cache(maxsize=1)
def review_settings() -> ReviewSettings:
    config = lexicon("alignment.yaml")["review"]
    return ReviewSettings(tuple(re.compile(p) for p in config["sentence_patterns"]), float(config["min_share"]))


_SENTENCE = re.compile(f"[^{re.escape(SENTENCE_BREAKS)}]+")
_MIN_SENTENCE_CHARS = 6  # shorter pieces are headings and list marks, not statements


def review_sentences(text: str, settings: Optional[ReviewSettings] = None) -> tuple[int, int]:
    """(sentences that review past achievements, sentences) of a passage."""
    settings = settings or review_settings()
    sentences = [m.group() for m in _SENTENCE.finditer(text) if len(WORD_RUN.findall(m.group())) and
                 len("".join(WORD_RUN.findall(m.group()))) >= _MIN_SENTENCE_CHARS]
    hits = sum(1 for sentence in sentences if any(p.search(sentence) for p in settings.sentence_patterns))
    return hits, len(sentences)


def is_review(text: str, settings: Optional[ReviewSettings] = None) -> bool:
    """Whether a passage's own sentences mostly review past achievements (取得…成效, 已建成, 累计…)."""
    settings = settings or review_settings()
    hits, total = review_sentences(text, settings)
    return total > 0 and hits / total >= settings.min_share


def _retrospective(sections: list[Section], settings: AlignmentSettings) -> list[tuple[int, int]]:
    """Spans of review parts (a plan's 发展基础 / 十三五 achievements): looking back, not forward."""
    pattern = re.compile(settings.units.retrospective_titles)
    return [(s.start, s.end) for s in sections if s.title and pattern.search(s.title)]


def measure_units(doc: Document, sections: list[Section],
                  settings: Optional[AlignmentSettings] = None) -> list[Unit]:
    """Lower-level measures (whole span, sub-items included); alignable passages when unnumbered."""
    measures = [s for s in sections if s.is_measure and not s.outline_only]
    if not measures:
        return alignable_units(doc, sections, settings)
    review = _retrospective(sections, settings or alignment_settings())
    units = [_make_unit(doc, s, [(s.start, s.end)]) for s in measures]
    for unit, section in zip(units, measures):
        unit.retrospective = any(start <= section.start < end for start, end in review) or is_review(unit.text)
    return units


def review_sections(doc: Document, sections: list[Section],
                    settings: Optional[AlignmentSettings] = None) -> set[str]:
    """Labels of the passages and measures of ``doc`` that look back (kg:reviewPassage)."""
    units = [*alignable_units(doc, sections, settings), *measure_units(doc, sections, settings)]
    return {unit.label for unit in units if unit.retrospective}
