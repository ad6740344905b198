"""How ``kg eval`` compares one prediction with one answer-key item: names, values, units and the
wording of indicators (the rules: kg.evaluate.mentions' docstring and the README).

The characters and words these rules use are data, ``ontology/lexicon/evaluation.yaml``.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any, Optional

from kg.errors import InputError
from kg.records import Mention
from kg.resources import LEXICON_DIR, lexicon
from kg.text import QUOTE_MARKS, name_key, normalise_name

EVALUATION_RULES = "evaluation.yaml"
INDICATOR_SIMILARITY = 0.5  # Dice coefficient from which two indicator wordings are the same
MIN_NAME_CHARS = 2  # what must remain of a name once a generic trailing word is dropped


@dataclass(frozen=True)
class MatchingRules:
    """``ontology/lexicon/evaluation.yaml``, ready to use."""

    generic_suffixes: tuple[str, ...]
    ignored_in_names: str  # besides whitespace and QUOTE_MARKS
    same_punctuation: dict[int, str]  # a str.translate table
    range_separator: re.Pattern[str]
    same_unit: tuple[tuple[str, str], ...]
    title_marks: str


@functools.lru_cache(maxsize=1)
def matching_rules() -> MatchingRules:
    data = lexicon(EVALUATION_RULES)
    try:
        separators = data["range_separators"]
        if not all(isinstance(s, str) and len(s) == 1 for s in separators):
            raise ValueError("range_separators must be single characters")
        return MatchingRules(
            generic_suffixes=tuple(data["generic_suffixes"]),
            ignored_in_names=QUOTE_MARKS + data["ignored_in_names"],
            same_punctuation=str.maketrans(data["same_punctuation"]),
            range_separator=re.compile(rf"\s*[{re.escape(''.join(separators))}]\s*"),
            same_unit=tuple(data["same_unit"].items()),
            title_marks=data["title_marks"],
        )
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise InputError(LEXICON_DIR / EVALUATION_RULES, f"evaluation rules incomplete or malformed ({err})") from None


# --------------------------------------------------------------------------- names

def comparable_name(name: Any) -> str:
    """The form in which the evaluation compares two names.

    Looser than the build's own ``kg.text.normalise_name`` (whitespace and quote marks only), which
    it extends: answer keys are typed by hand, so 《》〈〉 are dropped too, full-width punctuation is
    read as half-width and letters as lower case. The build must not do this (a full-width bracket
    is part of a name as printed); the yardstick may."""
    rules = matching_rules()
    return normalise_name(str(name or ""), rules.ignored_in_names).translate(rules.same_punctuation).lower()


def name_keys(name: Any) -> set[str]:
    """The forms a name may match: itself and itself without a generic trailing word."""
    base = comparable_name(name)
    if not base:
        return set()
    return {base, name_key(base, matching_rules().generic_suffixes, MIN_NAME_CHARS)}


def cited_title(text: str) -> str:
    """A cited document's mention text without its book-title marks: 《信访工作条例》 -> 信访工作条例."""
    return text.strip(matching_rules().title_marks)


# --------------------------------------------------------------------------- values and units

def normalise_value(value: Any) -> str:
    return matching_rules().range_separator.sub("-", str(value).strip()) if value is not None else ""


def values_equal(predicted: Any, gold: Any) -> bool:
    """Numerically equal (83.30 = 83.3), else equal as strings after the range dash is made one."""
    a, b = normalise_value(predicted), normalise_value(gold)
    try:
        return abs(float(a) - float(b)) < 1e-9
    except ValueError:
        return a == b


def normalise_unit(unit: Any) -> Optional[str]:
    text = str(unit).strip() if unit is not None else ""
    for spelling, unit_name in matching_rules().same_unit:
        text = text.replace(spelling, unit_name)
    return text or None


def indicator_similarity(a: Optional[str], b: Optional[str]) -> float:
    """Dice coefficient of the two character sets (quotation marks and spaces ignored)."""
    set_a, set_b = set(comparable_name(a)), set(comparable_name(b))
    if not set_a or not set_b:
        return 0.0
    return 2 * len(set_a & set_b) / (len(set_a) + len(set_b))


# --------------------------------------------------------------------------- targets

def quote_spans(text: Optional[str], quote: Optional[str]) -> list[tuple[int, int]]:
    """Every occurrence of ``quote`` in ``text``, ignoring whitespace differences."""
    if not text or not quote:
        return []
    kept = [(i, ch) for i, ch in enumerate(text) if not ch.isspace()]
    squeezed = "".join(ch for _, ch in kept)
    needle = re.sub(r"\s+", "", str(quote))
    spans, at = [], squeezed.find(needle)
    while needle and at >= 0:
        spans.append((kept[at][0], kept[at + len(needle) - 1][0] + 1))
        at = squeezed.find(needle, at + 1)
    return spans


def overlaps(mention: Mention, spans: list[tuple[int, int]]) -> bool:
    start, end = mention.start, mention.end
    return start is not None and end is not None and any(start < b and end > a for a, b in spans)


def closeness(mention: Mention, item: dict, spans: list[tuple[int, int]]) -> tuple[bool, float]:
    """How well a matching prediction fits a key item: at its quote first, then by wording."""
    return overlaps(mention, spans), indicator_similarity(mention.indicator, item.get("indicator"))


def target_matches(mention: Mention, item: dict, spans: list[tuple[int, int]]) -> bool:
    """Same value and unit, and similar indicator wording or a place inside the key's quote."""
    if not values_equal(mention.value, item.get("value")):
        return False
    if normalise_unit(mention.unit) != normalise_unit(item.get("unit")):
        return False
    if indicator_similarity(mention.indicator, item.get("indicator")) >= INDICATOR_SIMILARITY:
        return True
    return overlaps(mention, spans)
