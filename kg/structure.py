"""Structure: a document's heading hierarchy (第X章/一、/第X条/（一）/1./（1）/①/一是/专栏N/第X项工程) as sections.

Heading patterns and their nesting ranks live in ontology/lexicon/headings.yaml.
Labels are the shortest heading path that is unique in the document: a measure whose
number is unique across the document is labelled by its number ("17"); otherwise by its
full path ("三(三)2", "一(一)3(1)"). Columns are "专栏N", projects "工程N".
Headings are recognised in the document's matching form (simplified, see kg.script); titles are
the printed text. Linear in the length of the text.

The measures are the headings of one level, chosen per document by :func:`measure_level` from the
document's own numbering: the deepest numbered level spread over the document (1. in a plan
numbered 一、（一）1.; （一） in one numbered 一、（一）; 第X条 in a regulation).
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Optional

import cn2an

from kg.resources import lexicon as load_yaml
from kg.records import Document, Section
from kg.text import DASHES, SENTENCE_END



@dataclass(frozen=True)
class HeadingRule:
    level: int  # index in headings.yaml (the column comes last)
    kind: str
    rank: int
    pattern: re.Pattern
    label: str
    numbered: bool  # part of the document's numbering (projects and columns are not)


@dataclass(frozen=True)
class HeadingConfig:
    rules: tuple[HeadingRule, ...]
    without_dot: re.Pattern
    counter_words: re.Pattern
    coverage: float


@lru_cache(maxsize=1)
def heading_config() -> HeadingConfig:
    data = load_yaml("headings.yaml")
    levels = list(data["levels"]) + [dict(data["column"], kind="column")]
    unnumbered = set(data["unnumbered_kinds"])
    rules = tuple(
        HeadingRule(index, l["kind"], l["rank"], re.compile(r"^\s*" + l["pattern"]), l["label"], l["kind"] not in unnumbered)
        for index, l in enumerate(levels))
    counters = sorted(data["counter_words"], key=len, reverse=True)
    return HeadingConfig(
        rules, re.compile(r"^\s*" + data["measure_without_dot"]),
        re.compile("|".join(re.escape(w) for w in counters)), float(data["measure_level_coverage"]))


CIRCLED_ONE = 0x2460  # ①


def arabic(number: str) -> str:
    if number.isdecimal():  # not isdigit: "①".isdigit() is true
        return str(int(number))
    if len(number) == 1 and CIRCLED_ONE <= ord(number) < CIRCLED_ONE + 20:
        return str(ord(number) - CIRCLED_ONE + 1)
    return str(cn2an.cn2an(number, "smart"))


@dataclass
class Heading:
    kind: str
    rank: int
    number: str
    title: str
    start: int
    heading_end: int
    segment: str
    level: int = -1  # the HeadingRule's index
    numbered: bool = True


def match_heading(line: str, expected_measure: int) -> Optional[tuple[HeadingRule, re.Match]]:
    config = heading_config()
    for rule in config.rules:
        found = rule.pattern.match(line)
        if found:
            return rule, found
    found = config.without_dot.match(line)
    # "27构建…" is measure 27 when 27 is next; "3类人才" counts talents, it numbers nothing
    if found and int(found.group("num")) == expected_measure and not config.counter_words.match(line, found.end()):
        return next(r for r in config.rules if r.kind == "measure"), found
    return None


def heading_title(rest: str) -> str:
    """The heading's own words: up to the first full stop or colon (a measure's body may follow)."""
    start, end = heading_title_span(rest)
    return rest[start:end]


def heading_title_span(rest: str) -> tuple[int, int]:
    """Where :func:`heading_title` lies in ``rest`` (so the printed form can be cut out)."""
    start, end = 0, len(rest)
    while start < end and rest[start].isspace():
        start += 1
    while start < end and rest[start] in DASHES:
        start += 1
    while start < end and rest[start].isspace():
        start += 1
    while end > start and rest[end - 1].isspace():
        end -= 1
    stop = SENTENCE_END.search(rest, start, end)
    stop_at = stop.start() if stop else end
    colon = title_colon().search(rest, start, stop_at)  # "（一）工作目标：到2020年…"
    return start, colon.start() if colon else stop_at


@lru_cache(maxsize=1)
def title_colon() -> re.Pattern:
    return re.compile("[" + re.escape(load_yaml("headings.yaml")["title_ends_at"]) + "]")


def find_headings(doc: Document) -> list[Heading]:
    headings: list[Heading] = []
    segments = doc.segments or []
    printed = doc.text
    last_measure = 0
    offset = 0
    for line in doc.match_text.split("\n"):
        start, end = offset, offset + len(line)
        offset = end + 1
        if not line.strip():
            continue
        segment = next((s.kind for s in segments if s.start <= start < s.end), "body")
        hit = match_heading(line, last_measure + 1)
        # table cells are tab-indented; of them only a boxed column (专栏) opens a section
        if not hit or (line.startswith("\t") and hit[0].kind != "column"):
            continue
        rule, found = hit
        number = found.group("num")
        if rule.kind == "measure":
            # restart the expected sequence in an outline segment of a compilation
            last_measure = int(number)
        title_start, title_end = heading_title_span(line[found.end():])
        title = printed[start + found.end() + title_start:start + found.end() + title_end]
        headings.append(Heading(rule.kind, rule.rank, number, title, start, end, segment, rule.level, rule.numbered))
    return headings


def path_label(kind: str, number: str, level: Optional[int] = None) -> str:
    """The number as written in a label, by the heading's rule (or the first rule of ``kind``)."""
    rules = heading_config().rules
    template = rules[level].label if level is not None and level >= 0 else next(r.label for r in rules if r.kind == kind)
    return template.format(num=number, num_arabic=arabic(number))


def numbered_across(counts: Counter) -> bool:
    """Measures are numbered across the document (1..N once each), not restarted per part."""
    return all(n == 1 for n in counts.values())


def measure_level(headings: list[Heading]) -> Optional[int]:
    """The rule whose headings are the document's measures: the deepest numbered level that is
    spread over the document. A level is spread when it is the top level, or when its headings
    sit under more than ``measure_level_coverage`` of the sections of the level(s) they nest in.
    Decided from the document's own numbering alone."""
    config = heading_config()
    numbered = [h for h in headings if h.numbered]
    parents: dict[int, list[Optional[int]]] = {}  # level -> index of each heading's parent
    count: Counter = Counter(h.level for h in numbered)
    stack: list[tuple[int, int]] = []  # (rank, index into numbered)
    for index, heading in enumerate(numbered):
        while stack and stack[-1][0] >= heading.rank:
            stack.pop()
        parents.setdefault(heading.level, []).append(stack[-1][1] if stack else None)
        stack.append((heading.rank, index))
    spread: list[tuple[int, int, int]] = []  # (rank, headings, level)
    for level, of_level in parents.items():
        nested = {p for p in of_level if p is not None}
        if nested:
            parent_levels = {numbered[p].level for p in nested}
            available = sum(count[l] for l in parent_levels)
            if len(nested) <= config.coverage * available:
                continue
        spread.append((config.rules[level].rank, count[level], level))
    return max(spread)[2] if spread else None


def parse_structure(doc: Document) -> list[Section]:
    """Sections of one document, in text order, with labels, spans and parents."""
    headings = find_headings(doc)
    measure_at = measure_level(headings)
    body_has = {(h.level, h.number) for h in headings if h.segment == "body"}
    measure_numbers = Counter(h.number for h in headings if h.level == measure_at and h.segment == "body")
    outline_numbers = Counter(h.number for h in headings if h.level == measure_at and h.segment == "outline")

    ends = section_ends(headings, len(doc.text))
    sections: list[Section] = []
    stack: list[tuple[int, Heading, str, str]] = []  # (rank, heading, path, label)
    seen_labels: set[str] = set()
    for index, heading in enumerate(headings):
        while stack and stack[-1][0] >= heading.rank:
            stack.pop()
        parent_path = stack[-1][2] if stack else ""
        own = path_label(heading.kind, heading.number, heading.level)
        is_measure = measure_at is not None and heading.level == measure_at
        if not heading.numbered:
            path, label = own, own
        else:
            path = parent_path + own
            label = path
            if is_measure:
                counts = measure_numbers if heading.segment == "body" else outline_numbers
                if numbered_across(counts):
                    label = own
            elif stack and stack[-1][1].level == measure_at and stack[-1][3] != stack[-1][2]:
                label = stack[-1][3] + own  # under a measure labelled by its number alone
        outline = heading.segment == "outline"
        if outline and (label in seen_labels or is_measure and (heading.level, heading.number) in body_has):
            stack.append((heading.rank, heading, path, label))
            continue  # the body already has this heading
        end = ends[index]
        if outline:
            segment_end = next((s.end for s in doc.segments if s.start <= heading.start < s.end), end)
            end = min(end, segment_end)
        while end > 0 and doc.text[end - 1] == "\n":
            end -= 1
        sections.append(Section(
            doc_id=doc.doc_id, label=label, kind=heading.kind, number=heading.number, title=heading.title,
            start=heading.start, end=end, heading_end=heading.heading_end,
            parent=stack[-1][3] if stack else None, depth=len(stack),
            is_measure=is_measure, outline_only=outline,
        ))
        seen_labels.add(label)
        stack.append((heading.rank, heading, path, label))
    return sections


def section_ends(headings: list[Heading], text_length: int) -> list[int]:
    """Where each heading's section ends: at the next heading of the same or a higher rank, or of
    another segment (the text's end if none). One pass with a stack of open sections."""
    ends = [text_length] * len(headings)
    open_sections: list[int] = []  # indices, ranks strictly increasing
    for index, heading in enumerate(headings):
        if open_sections and headings[open_sections[-1]].segment != heading.segment:
            for opened in open_sections:
                ends[opened] = heading.start
            open_sections = []
        while open_sections and headings[open_sections[-1]].rank >= heading.rank:
            ends[open_sections.pop()] = heading.start
        open_sections.append(index)
    return ends


def measures(sections: list[Section]) -> list[Section]:
    return [s for s in sections if s.is_measure]


def text_of(doc: Document, section: Section) -> str:
    return doc.text[section.start:section.end]
