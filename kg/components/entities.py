"""Names from the trained recogniser (kg.ner) where the rules found none.

The rules come first and win every overlap: structured patterns (《》 titles, 文号, targets,
headings) are rules only, and a rule's boundaries and types are kept. The model then reads only
short windows that can hold a name the rules would accept but did not find (before a type word or
beside a title no rule mention covers), and its names are kept on the rules' terms:

* an organization (ORG) ending in an organization type word of ``organizations.yaml`` after a
  specific core (``kg.components.organizations.model_name``), typed by that word, less a boundary word it
  opens with (联合, 支持: the rules' left boundaries);
* a person (PER) printed beside a title or honorific of ``people.yaml`` (``roles``);
* places stay with the gazetteer (cpca's administrative divisions): it is closed and exact, and the
  model's places on policy text are right about one time in three (kg/ner/MODEL_CARD.md).

Every such mention carries ``source = "ner"``.
"""
from __future__ import annotations

import bisect
import functools
import re
from typing import Iterator

from spacy.language import Language
from spacy.tokens import Doc

from kg import ner
from kg.components import alternation, doc_text, load_yaml, make_span
from kg.components.organizations import model_name, organization_config

RULE_KEYS = ("kg_programs", "kg_organizations", "kg_cited_documents", "kg_places", "kg_people", "kg_targets")
PERSON_CHARS = (2, 4)
IDEOGRAPH = re.compile(r"[\u4e00-\u9fff]")
# characters the model reads before and after an uncovered type word or title
WINDOW_BEFORE, WINDOW_AFTER = 12, 4


@functools.lru_cache(maxsize=1)
def clue_pattern() -> re.Pattern:
    """Where a name the rules would accept can end or stand: a type word or a title."""
    words = [*organization_config()["suffixes"], *roles()]
    return re.compile(alternation(words))


@functools.lru_cache(maxsize=1)
def roles() -> frozenset[str]:
    """Titles and honorifics printed beside a person's name (people.yaml)."""
    return frozenset(load_yaml("people.yaml")["roles"])


@functools.lru_cache(maxsize=1)
def role_pattern() -> re.Pattern:
    return re.compile(alternation(roles()))


def _rule_spans(doc: Doc) -> list[tuple[int, int]]:
    spans = []
    for key in RULE_KEYS:
        for span in doc.spans.get(key, []):
            data = span._.kg or {}
            spans.append((data.get("char_start", span.start_char), data.get("char_end", span.end_char)))
    return spans


def _overlaps(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(a < end and start < b for a, b in spans)


def candidate_windows(text: str, taken: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Where the model reads: around each type word or title no rule mention covers, the
    ``WINDOW_BEFORE`` characters before it and ``WINDOW_AFTER`` after it (a name ends at its type
    word, and stands just before or after a title), within its clause; overlapping windows merged."""
    clues = [m.span() for m in clue_pattern().finditer(text) if not _overlaps(taken, *m.span())
             and (m.group(0) in roles() or _named_before(text, m.start()))]
    if not clues:
        return []
    clause_starts, clause_ends = zip(*ner.clauses(text))
    windows: list[tuple[int, int]] = []
    for start, end in clues:
        at = bisect.bisect_right(clause_starts, start) - 1
        left = max(clause_starts[at], start - WINDOW_BEFORE)
        right = min(clause_ends[bisect.bisect_left(clause_ends, end)], end + WINDOW_AFTER)
        if windows and left <= windows[-1][1]:
            windows[-1] = (windows[-1][0], max(right, windows[-1][1]))
        else:
            windows.append((left, right))
    return windows


def _named_before(text: str, start: int) -> bool:
    """Whether the type word or title at ``start`` can follow a name: an ideograph before it, and
    not a generic word (民办学校, 中等职业学校 name kinds of schools)."""
    before = text[max(0, start - 2):start]
    return bool(before) and IDEOGRAPH.fullmatch(before[-1]) is not None and before not in generic_words()


@functools.lru_cache(maxsize=1)
def generic_words() -> frozenset[str]:
    return frozenset(organization_config()["generic_name_words"])


def beside_a_role(text: str, start: int, end: int) -> bool:
    pattern = role_pattern()
    before = text[max(0, start - 4):start]
    return bool(pattern.match(text, end)) or any(before.endswith(m.group(0)) for m in pattern.finditer(before))


def model_names(text: str, taken: list[tuple[int, int]], model) -> Iterator[tuple[int, int, str, str]]:
    """(start, end, mention type, subtype) of the model's names kept on the rules' terms."""
    windows = candidate_windows(text, taken)
    for (offset, _), parsed in zip(windows, model.pipe(text[s:e] for s, e in windows)):
        for entity in parsed.ents:
            start, end = offset + entity.start_char, offset + entity.end_char
            if _overlaps(taken, start, end):
                continue
            name = text[start:end]
            if entity.label_ == "ORG":
                kept = model_name(name)
                if kept is not None:
                    yield start + kept[0], end, "organization", kept[1]
            elif entity.label_ == "PER" and PERSON_CHARS[0] <= len(name) <= PERSON_CHARS[1] \
                    and beside_a_role(text, start, end):
                yield start, end, "person", None


@Language.factory("kg_entities")
def make_entities(nlp: Language, name: str):
    model = ner.load()

    def entities(doc: Doc) -> Doc:
        found = {"organization": list(doc.spans.get("kg_organizations", [])),
                 "person": list(doc.spans.get("kg_people", []))}
        for start, end, mention_type, subtype in model_names(doc_text(doc), _rule_spans(doc), model):
            span = make_span(doc, start, end, mention_type, subtype=subtype, source="ner")
            if span is not None:
                found[mention_type].append(span)
        doc.spans["kg_organizations"] = found["organization"]
        doc.spans["kg_people"] = found["person"]
        return doc

    return entities
