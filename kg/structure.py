"""Structure: a document's heading hierarchy (一、/（一）/1./（1）/专栏N/第X项工程) as sections.

Heading patterns and their nesting ranks live in ontology/lexicon/headings.yaml.
Labels are the shortest heading path that is unique in the document: a measure whose
number is unique across the document is labelled by its number ("17"); otherwise by its
full path ("三(三)2", "一(一)3(1)"). Columns are "专栏N", projects "工程N".
Headings are recognised in the document's matching form (simplified, see kg.script); titles are
the printed text. Linear in the length of the text.
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



@dataclass
class HeadingRule:
    kind: str
    rank: int
    pattern: re.Pattern
    label: str


@lru_cache(maxsize=1)
def heading_rules() -> tuple[list[HeadingRule], re.Pattern, int]:
    data = load_yaml("headings.yaml")
    rules = [HeadingRule(l["kind"], l["rank"], re.compile(r"^\s*" + l["pattern"]), l["label"]) for l in data["levels"]]
    column = data["column"]
    rules.append(HeadingRule("column", column["rank"], re.compile(r"^\s*" + column["pattern"]), column["label"]))
    return rules, re.compile(r"^\s*" + data["measure_without_dot"]), data["max_heading_length"]


def arabic(number: str) -> str:
    return number if number.isdigit() else str(cn2an.cn2an(number, "smart"))


@dataclass
class Heading:
    kind: str
    rank: int
    number: str
    title: str
    start: int
    heading_end: int
    segment: str


def match_heading(line: str, expected_measure: int) -> Optional[tuple[HeadingRule, re.Match]]:
    rules, without_dot, _ = heading_rules()
    for rule in rules:
        found = rule.pattern.match(line)
        if found:
            return rule, found
    found = without_dot.match(line)
    if found and int(found.group("num")) == expected_measure:
        return next(r for r in rules if r.kind == "measure"), found
    return None


def heading_title(rest: str) -> str:
    """The heading's own words: up to the first full stop (a measure's body may follow)."""
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
    return start, stop.start() if stop else end


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
        headings.append(Heading(rule.kind, rule.rank, number, title, start, end, segment))
    return headings


def path_label(kind: str, number: str) -> str:
    rules, _, _ = heading_rules()
    template = next(r.label for r in rules if r.kind == kind)
    return template.format(num=number, num_arabic=arabic(number))


def numbered_across(counts: Counter) -> bool:
    """Measures are numbered across the document (1..N once each), not restarted per part."""
    return all(n == 1 for n in counts.values())


def parse_structure(doc: Document) -> list[Section]:
    """Sections of one document, in text order, with labels, spans and parents."""
    headings = find_headings(doc)
    body_has = {(h.kind, h.number) for h in headings if h.segment == "body"}
    measure_numbers = Counter(h.number for h in headings if h.kind == "measure" and h.segment == "body")
    outline_numbers = Counter(h.number for h in headings if h.kind == "measure" and h.segment == "outline")

    ends = section_ends(headings, len(doc.text))
    sections: list[Section] = []
    stack: list[tuple[int, Heading, str, str]] = []  # (rank, heading, path, label)
    seen_labels: set[str] = set()
    for index, heading in enumerate(headings):
        while stack and stack[-1][0] >= heading.rank:
            stack.pop()
        parent_path = stack[-1][2] if stack else ""
        own = path_label(heading.kind, heading.number)
        if heading.kind in ("project", "column"):
            path, label = own, own
        else:
            path = parent_path + own
            label = path
            if heading.kind == "measure":
                counts = measure_numbers if heading.segment == "body" else outline_numbers
                if numbered_across(counts):
                    label = heading.number
            elif heading.kind == "paragraph" and stack and stack[-1][1].kind == "measure" and stack[-1][3] != stack[-1][2]:
                label = stack[-1][3] + own
        outline = heading.segment == "outline"
        if outline and (label in seen_labels or (heading.kind, heading.number) in body_has and heading.kind == "measure"):
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
            is_measure=heading.kind == "measure", outline_only=outline,
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
