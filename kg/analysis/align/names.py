"""Names and targets two passages share, and which of them make a pair ``direct``.

A passage's names come from its mentions when the extract / link stages ran (programs, cited
documents), plus the “quoted” names and 《titles》 read straight from the text; its targets are
the indicators its target mentions set numbers for. Routine duties and slogans
(``names.thematic`` / ``thematic_patterns``) and short names of routine kinds only make a pair
thematic.
"""
from __future__ import annotations

import bisect
import re
from collections import defaultdict
from functools import lru_cache
from typing import Iterable, Optional

from kg.analysis.align.units import Unit, plain_text
from kg.indicators import dice, load_scopes, normalise_indicator, scope_signature
from kg.records import Concept, Mention
from kg.resources import AlignmentSettings, alignment_settings
from kg.text import book_title, double_quoted, name_key

# from the shipped settings (like units.plain_text): the patterns are data, not tuning options
QUOTED_NAME = double_quoted(*alignment_settings().names.quoted_chars)  # group 1: the quoted name
TITLED_NAME = book_title(*alignment_settings().names.title_chars)  # group 1: the cited title


def normalise_name(name: str, settings: Optional[AlignmentSettings] = None) -> str:
    """Quotes and spaces dropped, a generic trailing word (改革, 工程 ...) removed."""
    rules = (settings or alignment_settings()).names
    return _normalise_name(name, rules.generic_suffixes, rules.min_chars)


@lru_cache(maxsize=1 << 16)
def _normalise_name(name: str, suffixes: tuple[str, ...], min_chars: int) -> str:
    return name_key(plain_text(name), suffixes, min_chars)


def attach_names(units: list[Unit], mentions: list[Mention], settings: AlignmentSettings) -> None:
    """Fill each unit's ``names``, ``quoted`` and ``targets`` from its text and its mentions."""
    ignore = {normalise_name(n, settings) for n in settings.names.ignore}
    wanted = {unit.doc_id for unit in units}
    by_doc: dict[str, list[Mention]] = defaultdict(list)
    for mention in mentions:
        if mention.doc_id in wanted:  # only the units' documents are sorted below
            by_doc[mention.doc_id].append(mention)
    # mention numbers sorted by start, to pick a unit's mentions without scanning its whole document
    by_start = {d: sorted(range(len(ms)), key=lambda n, ms=ms: ms[n].start) for d, ms in by_doc.items()}
    starts = {d: [by_doc[d][n].start for n in order] for d, order in by_start.items()}
    for unit in units:
        names: dict[str, str] = {}
        for pattern in (QUOTED_NAME, TITLED_NAME):
            for match in pattern.finditer(unit.text):
                names.setdefault(normalise_name(match.group(1), settings), match.group(1))
        unit.quoted = {normalise_name(m.group(1), settings) for m in QUOTED_NAME.finditer(unit.text)}
        targets: dict[str, str] = {}
        order, offsets = by_start.get(unit.doc_id, []), starts.get(unit.doc_id, [])
        inside = sorted({order[n] for start, end in unit.pieces
                         for n in range(bisect.bisect_left(offsets, start), bisect.bisect_left(offsets, end))})
        for mention in (by_doc[unit.doc_id][n] for n in inside):  # in the mentions' own order
            if mention.type in ("program", "cited_document"):
                label = mention.canonical or mention.text
                names.setdefault(normalise_name(label, settings), label)
            elif mention.type == "target" and mention.indicator and mention.value:
                # the linked indicator concept (curated aliases: 学前教育普惠率 is 普惠性幼儿园覆盖率)
                # when the link stage ran, else the printed wording
                label = mention.canonical or mention.indicator
                targets.setdefault(normalise_indicator(_INCLUDING.sub("", label)), label)
        unit.names = {k: v for k, v in names.items() if len(k) >= settings.names.min_chars and k not in ignore}
        unit.targets = targets


def shared_names(lower: Unit, upper: Unit) -> list[str]:
    """Names of the lower measure the upper passage also names (as a name or in its text)."""
    return sorted({display for key, display in lower.names.items()
                   if key in upper.names or key in upper.plain})


def shared_targets(lower: Unit, upper: Unit, threshold: float) -> list[str]:
    """Indicators of the lower measure the upper passage also sets a number for (see
    :func:`same_indicator`)."""
    if not lower.targets or not upper.targets:
        return []  # most passages set no number
    return sorted({display for key, display in lower.targets.items()
                   if any(same_indicator(key, other, threshold) for other in upper.targets)})


class TargetsShared:
    """:func:`shared_targets` of one lower measure with each of many passages: each indicator
    wording of the passages is compared with the measure's once, not once per passage."""

    def __init__(self, lower: Unit, threshold: float):
        self.lower, self.threshold = lower, threshold
        self._matched: dict[str, frozenset[str]] = {}  # passage wording -> the measure's it is the same as

    def __call__(self, upper: Unit) -> list[str]:
        if not self.lower.targets or not upper.targets:
            return []
        found: set[str] = set()
        for other in upper.targets:
            if other not in self._matched:
                self._matched[other] = frozenset(display for key, display in self.lower.targets.items()
                                                 if same_indicator(key, other, self.threshold))
            found |= self._matched[other]
        return sorted(found)


_dice = lru_cache(maxsize=1 << 16)(dice)  # the same indicator pairs recur across measures

# "(含农村寄宿制学校)": what the count includes, not a narrower scope of it
_INCLUDING = re.compile(r"[（(]含[^（()）]*[)）]")
# a rate / share indicator (覆盖率, 占比, 比例) is never the same indicator as a count (所, 个)
_RATE = re.compile(r"(?:率|比例|占比|比重)$")
# shortest wording whose every character bigram found in the other makes them one indicator
# (新建中小学 in 新建、改扩建中小学): shorter ones (中小学, 幼儿园) are kinds of school, not indicators
_MIN_CONTAINED_CHARS = 4


@lru_cache(maxsize=1)
def _scopes():
    """The shipped scope file, read once (``same_indicator`` caches its answers anyway)."""
    return load_scopes()


@lru_cache(maxsize=1 << 16)
def _scope_signature(name: str) -> tuple[frozenset[int], ...]:
    """The wording's scopes (``indicator_scopes.yaml``): read once per wording, not once per pair."""
    return scope_signature(name, _scopes())


@lru_cache(maxsize=1 << 16)
def same_indicator(a: str, b: str, threshold: float) -> bool:
    """Two normalised indicator wordings measure the same thing: equal (also after the link
    stage's curated aliases), a bigram Dice of at least ``threshold``, or every bigram of the shorter (at least 4 characters) in the longer, both rates or both
    counts, naming the same scopes (中职 / 高职, 公办 / 民办: ``indicator_scopes.yaml``)."""
    if a == b:
        return True
    if _scope_signature(a) != _scope_signature(b):
        return False
    if _dice(a, b) >= threshold:
        return True
    short, long = sorted((a, b), key=len)
    if len(short) < _MIN_CONTAINED_CHARS or bool(_RATE.search(a)) != bool(_RATE.search(b)):
        return False
    return all(short[i:i + 2] in long for i in range(len(short) - 1))


def name_kinds(concepts: Iterable[Concept], settings: AlignmentSettings) -> dict[str, str]:
    """Normalised label (preferred or alternative) -> kind of the linked concept."""
    kinds: dict[str, str] = {}
    for concept in concepts:
        if concept.kind:
            for label in [concept.pref_label, *concept.alt_labels]:
                kinds.setdefault(normalise_name(label, settings), concept.kind)
    return kinds


def _is_quoted(key: str, unit: Unit) -> bool:
    return any(key in quoted for quoted in unit.quoted)


def _in_title(key: str, display: str, unit: Unit) -> bool:
    title = plain_text(unit.title or "")
    return key in title or plain_text(display) in title


@lru_cache(maxsize=8)
def _thematic_rules(thematic: tuple[str, ...], patterns: tuple[str, ...], suffixes: tuple[str, ...],
                    min_chars: int) -> tuple[frozenset[str], list[re.Pattern]]:
    """Normalised routine names and compiled slogan patterns (the same for every pair)."""
    return (frozenset(_normalise_name(n, suffixes, min_chars) for n in thematic),
            [re.compile(p) for p in patterns])


def specific_names(names: Iterable[str], lower: Unit, upper: Unit, kinds: dict[str, str],
                   settings: AlignmentSettings) -> list[str]:
    """The shared names (display forms of ``lower.names``) specific enough to make a pair direct.

    Routine duties and slogans every plan has (控辍保学, 应X尽X) only make a pair thematic. A name
    of a routine kind (short party-building institutions: 组织生活会) counts when both writers mark
    it as a name (quotes on both sides) or it is the topic of both passages (in both titles)."""
    rules = settings.names
    thematic, patterns = _thematic_rules(rules.thematic, rules.thematic_patterns, rules.generic_suffixes,
                                         rules.min_chars)
    routine = set(rules.routine_kinds)
    keys = {display: key for key, display in lower.names.items()}
    chosen = []
    for display in names:
        key = keys[display] if display in keys else normalise_name(display, settings)
        if key in thematic or any(p.search(key) for p in patterns):
            continue
        if kinds.get(key) in routine and len(key) <= rules.routine_max_chars and not (
                (_is_quoted(key, lower) and _is_quoted(key, upper))
                or (_in_title(key, display, lower) and _in_title(key, display, upper))):
            continue
        chosen.append(display)
    return chosen


class NameFinder:
    """Which passages of an index share a name with a measure: a name the passage has or its
    text contains (as ``shared_names`` decides), looked up once per name across the corpus.

    A name's passages are found through the character bigrams of the passages' text (the
    passages holding the name's rarest bigram are read, no others), and kept per document, so a
    measure gathers those of its own upper documents only: no step reads the whole corpus per
    name or per measure."""

    def __init__(self, units: list[Unit]):
        self.units = units
        self.by_name: dict[str, set[int]] = defaultdict(set)
        for position, unit in enumerate(units):
            for key in unit.names:
                self.by_name[key].add(position)
        self._by_bigram: Optional[dict[str, list[int]]] = None
        self.found: dict[str, dict[str, frozenset[int]]] = {}  # name -> doc id -> positions

    def _bigram_postings(self) -> dict[str, list[int]]:
        if self._by_bigram is None:
            postings: dict[str, list[int]] = defaultdict(list)
            for position, unit in enumerate(self.units):
                text = unit.plain
                for gram in {text[i:i + 2] for i in range(len(text) - 1)}:
                    postings[gram].append(position)
            self._by_bigram = postings
        return self._by_bigram

    def _containing(self, key: str) -> Iterable[int]:
        """Positions of the passages whose text contains ``key``."""
        if len(key) < 2:
            candidates: Iterable[int] = range(len(self.units))
        else:
            postings = self._bigram_postings()
            candidates = min((postings.get(key[i:i + 2], ()) for i in range(len(key) - 1)), key=len)
        return (p for p in candidates if key in self.units[p].plain)

    def _by_document(self, key: str) -> dict[str, frozenset[int]]:
        if key not in self.found:
            hits = set(range(len(self.units))) if not key else set(self.by_name.get(key, ())) | set(self._containing(key))
            grouped: dict[str, set[int]] = defaultdict(set)
            for position in hits:
                grouped[self.units[position].doc_id].add(position)
            self.found[key] = {doc_id: frozenset(found) for doc_id, found in grouped.items()}
        return self.found[key]

    def positions(self, key: str) -> frozenset[int]:
        return frozenset().union(*self._by_document(key).values())

    def sharing(self, measure: Unit, documents: Optional[Iterable[str]] = None) -> set[int]:
        """Positions of the passages with which ``shared_names(measure, passage)`` is not empty;
        with ``documents``, of those documents' passages only."""
        hits: set[int] = set()
        for key in measure.names:
            found = self._by_document(key)
            for doc_id in (found if documents is None else documents):
                hits |= found.get(doc_id, frozenset())
        return hits
