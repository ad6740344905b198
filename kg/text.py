"""Text primitives every stage shares: quoted names and 《titles》, sentence bounds, the section
around an offset, short quotes.

The marks below are the punctuation of Chinese text, not vocabulary: every stage reads them the
same way, so they stay here (one place) rather than in ``ontology/``; patterns that differ in
length bounds are built by one function with those bounds as parameters.
"""
from __future__ import annotations

import bisect
import functools
import re
import unicodedata
from typing import Optional

from kg.records import Section

QUOTE_MARKS = "“”‘’\"「」『』"
OPENING_QUOTES = "“‘\"「『"
CLOSING_QUOTES = "”’\"」』"
SENTENCE_ENDS = "。；！？"
SENTENCE_BREAKS = SENTENCE_ENDS + "\n"  # a line end closes a sentence too
LIST_SEPARATORS = "、，,"  # between the items of an enumeration (甲、乙，丙)
CLAUSE_SEPARATORS = LIST_SEPARATORS + "；"  # between items or clauses of one sentence
COLONS = "：:"
PARENTHESES = "（）()"
OPENING_PARENTHESES = "（("
TITLE_MARKS = "《》"  # book-title marks around a cited document
CITED_TITLE_BRACKETS = "《》〈〉<>"  # every mark that may stand around a cited title


def cited_title(name: str) -> str:
    """A cited document's title as the graph names it: without the marks around it."""
    return name.strip().strip(CITED_TITLE_BRACKETS)
CELL_LIST_SEPARATOR = "；"  # between the items of a list in one table cell (documents.csv)
DASHES = "—－-"  # em dash, full-width and ASCII hyphen-minus
INLINE_SPACES = " \u3000\t\v"  # spaces within a line: ASCII, ideographic (full-width), tabs
# Marks a name never runs across: sentence and clause ends, colons, brackets, quotes, line ends.
CLAUSE_BREAKS = "。；！？，、：:;,!?\n\r\t（）()《》“”‘’\"「」【】[]"

# any quoted phrase (no line break needed inside, any pair of quote marks); group 1: the phrase
QUOTED = re.compile(rf"[{OPENING_QUOTES}]([^{QUOTE_MARKS}]+)[{CLOSING_QUOTES}]")
SENTENCE_END = re.compile(f"[{SENTENCE_ENDS}]")
SENTENCE_BREAK = re.compile(f"[{SENTENCE_BREAKS}]")


def _bounds(min_chars: int, max_chars: Optional[int]) -> str:
    if max_chars is None:
        return "*" if min_chars == 0 else f"{{{min_chars},}}"
    return f"{{{min_chars},{max_chars}}}"


@functools.lru_cache(maxsize=None)
def book_title(min_chars: int = 0, max_chars: Optional[int] = None) -> re.Pattern[str]:
    """A 《title》 on one line, of ``min_chars``…``max_chars`` characters; group 1: the title."""
    return re.compile(rf"《([^《》\n]{_bounds(min_chars, max_chars)})》")


@functools.lru_cache(maxsize=None)
def double_quoted(min_chars: int = 1, max_chars: Optional[int] = None) -> re.Pattern[str]:
    """A “name” in double quotes on one line, of ``min_chars``…``max_chars`` characters; group 1."""
    return re.compile(rf"“([^“”\n]{_bounds(min_chars, max_chars)})”")


BOOK_TITLE = book_title()


# ---------------------------------------------------------------- sentences

def sentence_bounds(text: str) -> list[int]:
    """Offsets of the characters that end a sentence (``SENTENCE_BREAKS``), for :func:`sentence_around`."""
    return [m.start() for m in SENTENCE_BREAK.finditer(text)]


def sentence_around(bounds: list[int], text_length: int, start: int, end: int) -> tuple[int, int]:
    """The sentence (between sentence ends or line breaks, end mark included) around ``start``…``end``."""
    i = bisect.bisect_left(bounds, start)
    sentence_start = bounds[i - 1] + 1 if i > 0 else 0
    j = bisect.bisect_left(bounds, end)
    sentence_end = bounds[j] + 1 if j < len(bounds) else text_length
    return sentence_start, sentence_end


# ---------------------------------------------------------------- sections

def section_at(sections: list[Section], offset: int) -> Optional[Section]:
    """The innermost section whose span contains `offset` (None in the preamble)."""
    best = None
    for section in sections:
        if section.start <= offset < section.end and (best is None or section.depth >= best.depth):
            if best is None or section.start >= best.start:
                best = section
    return best


class SectionIndex:
    """``section_at`` for many offsets of one document: a binary search for the last section
    starting at or before the offset, then up its enclosing sections (spans nest)."""

    def __init__(self, sections: list[Section]):
        self.sections = sorted(sections, key=lambda s: s.start)
        self.starts = [s.start for s in self.sections]
        self.enclosing: list[Optional[int]] = []
        open_sections: list[int] = []
        for index, section in enumerate(self.sections):
            while open_sections and self.sections[open_sections[-1]].end <= section.start:
                open_sections.pop()
            self.enclosing.append(open_sections[-1] if open_sections else None)
            open_sections.append(index)

    def at(self, offset: int) -> Optional[Section]:
        index: Optional[int] = bisect.bisect_right(self.starts, offset) - 1
        while index is not None and index >= 0:
            section = self.sections[index]
            if section.start <= offset < section.end:
                return section
            index = self.enclosing[index]
        return None


# ---------------------------------------------------------------- quotes

ELLIPSIS = "…"


def one_line(text: str) -> str:
    """``text`` with every run of whitespace (line breaks included) made one space."""
    return " ".join(text.split())


def snippet(text: str, start: int, end: int, width: int = 30) -> str:
    """``text[start:end]`` with up to ``width`` characters either side, not crossing a line end."""
    left = max(text.rfind("\n", 0, start) + 1, start - width)
    right = text.find("\n", end)
    right = min(len(text) if right < 0 else right, end + width)
    return text[left:right].strip()


def clip(text: str, chars: int, mark_inside: bool = True) -> str:
    """``text`` cut to ``chars`` characters, an ellipsis marking the cut: within the ``chars``
    (``mark_inside``, for labels of a fixed width) or after them (quotes keep all ``chars``)."""
    if mark_inside:
        return text if len(text) <= chars else text[: chars - 1] + ELLIPSIS
    return text[:chars] + (ELLIPSIS if len(text) > chars else "")


# ---------------------------------------------------------------- names

@functools.lru_cache(maxsize=None)
def _ignored(marks: str) -> re.Pattern[str]:
    return re.compile(rf"[\s{re.escape(marks)}]")


def normalise_name(name: str, marks: str = QUOTE_MARKS) -> str:
    """``name`` without whitespace and the characters of ``marks`` (quote marks unless told)."""
    return _ignored(marks).sub("", name)


@functools.lru_cache(maxsize=None)
def _longest_first(suffixes: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted(suffixes, key=len, reverse=True))


def name_key(name: str, suffixes: tuple[str, ...], min_chars: int, repeat: bool = False) -> str:
    """``name`` without a generic trailing word of ``suffixes`` (the longest that leaves at least
    ``min_chars`` characters; again and again while one does if ``repeat``)."""
    ordered = _longest_first(tuple(suffixes))
    while True:
        for suffix in ordered:
            if name.endswith(suffix) and len(name) - len(suffix) >= min_chars:
                name = name[: -len(suffix)]
                break
        else:
            return name
        if not repeat:
            return name


# ---------------------------------------------------------------- terminal tables

def display_width(text: str) -> int:
    """Terminal columns: CJK (wide and full-width) characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def clip_to_width(text: str, limit: int) -> str:
    """One line of at most ``limit`` terminal columns, ending in … when cut."""
    text = " ".join(text.split())
    while display_width(text) > limit:
        text = text[:-2] + "…"
    return text


def format_table(header: list, rows: list[list], max_width: Optional[int] = None) -> str:
    """A plain-text table aligned for CJK text: header, a rule, one line per row (None as empty);
    with ``max_width``, every cell is clipped to that many columns."""
    cells = [["" if value is None else str(value) for value in row] for row in rows]
    if max_width is not None:
        cells = [[clip_to_width(cell, max_width) for cell in row] for row in cells]
    names = [str(name) for name in header]
    widths = [max([display_width(name)] + [display_width(row[i]) for row in cells]) for i, name in enumerate(names)]

    def line(row: list[str]) -> str:
        return "  ".join(cell + " " * (width - display_width(cell)) for cell, width in zip(row, widths)).rstrip()

    return "\n".join([line(names), "  ".join("-" * width for width in widths), *(line(row) for row in cells)])
