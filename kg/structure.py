"""Structure: a document's heading hierarchy (一、/（一）/1./（1）/专栏N/第X项工程) as sections.

Heading patterns and their nesting ranks live in ontology/lexicon/headings.yaml.
Labels are the shortest heading path that is unique in the document: a measure whose
number is unique across the document is labelled by its number ("17"); otherwise by its
full path ("三(三)2", "一(一)3(1)"). Columns are "专栏N", projects "工程N".
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

SENTENCE_STOP = re.compile(r"[。；！？]")


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
    rest = rest.strip().lstrip("—－-").strip()
    stop = SENTENCE_STOP.search(rest)
    return rest[: stop.start()] if stop else rest


def find_headings(doc: Document) -> list[Heading]:
    headings: list[Heading] = []
    segments = doc.segments or []
    last_measure = 0
    offset = 0
    for line in doc.text.split("\n"):
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
        headings.append(Heading(rule.kind, rule.rank, number, heading_title(line[found.end():]), start, end, segment))
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
        end = len(doc.text)
        for later in headings[index + 1:]:
            if later.rank <= heading.rank or later.segment != heading.segment:
                end = later.start
                break
        if outline:
            segment_end = next((s.end for s in doc.segments if s.start <= heading.start < s.end), end)
            end = min(end, segment_end)
        end = len(doc.text[:end].rstrip("\n"))
        sections.append(Section(
            doc_id=doc.doc_id, label=label, kind=heading.kind, number=heading.number, title=heading.title,
            start=heading.start, end=end, heading_end=heading.heading_end,
            parent=stack[-1][3] if stack else None, depth=len(stack),
            is_measure=heading.kind == "measure", outline_only=outline,
        ))
        seen_labels.add(label)
        stack.append((heading.rank, heading, path, label))
    return sections


def measures(sections: list[Section]) -> list[Section]:
    return [s for s in sections if s.is_measure]


def section_at(sections: list[Section], offset: int) -> Optional[Section]:
    """The innermost section whose span contains `offset` (None in the preamble)."""
    best = None
    for section in sections:
        if section.start <= offset < section.end and (best is None or section.depth >= best.depth):
            if best is None or section.start >= best.start:
                best = section
    return best


def text_of(doc: Document, section: Section) -> str:
    return doc.text[section.start:section.end]
