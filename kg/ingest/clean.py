"""Cleaning converted text: conversion debris removed, sentences broken across lines re-joined.

Patterns and punctuation sets: ``ontology/lexicon/cleaning.yaml``; heading shapes (a heading never
continues the line above): ``ontology/lexicon/headings.yaml``.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Callable, Optional

from kg.resources import lexicon as load_yaml
from kg.text import INLINE_SPACES

CLEANING = load_yaml("cleaning.yaml")
DEBRIS_PATTERNS = [re.compile(pattern) for pattern in CLEANING["debris"]]
PAGE_NUMBER_LINE = re.compile(CLEANING["page_number_line"])
SENTENCE_END: str = CLEANING["sentence_end"]
CLAUSE_MARKS: str = CLEANING["clause_marks"]
BODY_LINE_MIN_CHARS = 30


@lru_cache(maxsize=None)
def heading_start() -> re.Pattern:
    data = load_yaml("headings.yaml")
    alternatives = [level["pattern"] for level in data["levels"]] + [data["column"]["pattern"]]
    unnamed = [re.sub(r"\(\?P<\w+>", "(", p) for p in alternatives]
    return re.compile(r"^\s*(?:" + "|".join(f"(?:{p})" for p in unnamed) + ")")


def is_heading_like(line: str) -> bool:
    return bool(heading_start().match(line))


def is_body_line(line: str) -> bool:
    """A line of running prose (as opposed to a title or a heading-only line)."""
    stripped = line.strip()
    return any(mark in stripped for mark in CLAUSE_MARKS) or len(stripped) >= BODY_LINE_MIN_CHARS


def ends_mid_sentence(line: str) -> bool:
    stripped = line.rstrip()
    return bool(stripped) and stripped[-1] not in SENTENCE_END


def _remove_matches(text: str, key: str, patterns: list[re.Pattern]) -> tuple[str, str]:
    """Remove what ``patterns`` find in ``key`` from both ``text`` and ``key`` (same length)."""
    for pattern in patterns:
        spans = [m.span() for m in pattern.finditer(key)]
        if not spans:
            continue
        kept, kept_key, last = [], [], 0
        for start, end in spans:
            kept.append(text[last:start])
            kept_key.append(key[last:start])
            last = end
        text = "".join(kept) + text[last:]
        key = "".join(kept_key) + key[last:]
    return text, key


def clean_text(raw: str, to_match: Optional[Callable[[str], str]] = None) -> str:
    """Remove conversion debris and re-join sentences broken across lines.

    Keeps one paragraph per line; table cells (tab-indented lines) stay on their own lines.
    ``to_match`` gives a line's matching form (simplified, same length) for traditional-script
    text: the decisions are made on it, the printed characters are kept. Linear in the text length.
    """
    text = unicodedata.normalize("NFC", raw).replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    text = text.replace("\ufeff", "").replace("\u00a0", " ")
    key = "\n".join(to_match(line) for line in text.split("\n")) if to_match else text
    text, key = _remove_matches(text, key, DEBRIS_PATTERNS)
    lines: list[tuple[str, str]] = []  # (printed, matching form)
    for line, line_key in zip(text.split("\n"), key.split("\n")):
        is_cell = line.startswith("\t")
        if PAGE_NUMBER_LINE.match(line_key) and not is_cell:  # "65/30" in a table is data
            continue
        stripped = line.strip(INLINE_SPACES)
        if not stripped:
            continue
        at = len(line) - len(line.lstrip(INLINE_SPACES))
        line_key = line_key[at:at + len(stripped)]
        lines.append((("\t" + stripped, "\t" + line_key) if is_cell else (stripped, line_key)))

    # a paragraph: its printed pieces, and what the join decision needs of its matching form
    paragraphs: list[list[str]] = []
    previous_key, previous_is_body = None, False
    for line, line_key in lines:
        if (
            previous_key is not None
            and not previous_key.startswith("\t")
            and not line_key.startswith("\t")
            and previous_is_body
            and ends_mid_sentence(previous_key)
            and not is_heading_like(line_key)
        ):
            paragraphs[-1].append(line)
            previous_key = line_key
            previous_is_body = True  # longer than the body-line minimum, or had a clause mark
        else:
            paragraphs.append([line])
            previous_key, previous_is_body = line_key, is_body_line(line_key)
    return "\n".join("".join(pieces) for pieces in paragraphs) + "\n"
