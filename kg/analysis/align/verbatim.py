"""Verbatim reuse: maximal stretches a lower text copies from an upper one (seed-and-extend)."""
from __future__ import annotations

import bisect
import re
from collections import defaultdict
from typing import Iterable, Optional

import numpy as np

from kg.analysis.align.units import Unit
from kg.records import EvidenceSpan
from kg.resources import AlignmentSettings

_NON_SPACE = re.compile(r"\S+")


def seed_index(text: str, seed: int) -> dict[str, list[int]]:
    """Start offsets of every ``seed``-character stretch without whitespace."""
    index: dict[str, list[int]] = defaultdict(list)
    for run in _NON_SPACE.finditer(text):
        for j in range(run.start(), run.end() - seed + 1):
            index[text[j:j + seed]].append(j)
    return index


def _seed_offsets(text: str, seed: int) -> Iterable[int]:
    """Start offset of every ``seed``-character stretch without whitespace, ascending."""
    for run in _NON_SPACE.finditer(text):
        yield from range(run.start(), run.end() - seed + 1)


def seed_windows(text: str, seed: int) -> list[tuple[int, str]]:
    """Every ``seed``-character stretch without whitespace, with its offset, in text order."""
    return [(i, text[i:i + seed]) for i in _seed_offsets(text, seed)]


def seed_starts(lower: str, seeds: dict[str, list[int]], seed: int,
                windows: Optional[list[tuple[int, str]]] = None) -> list[int]:
    """Offsets of ``lower``, ascending, where a seed of the upper text's table ``seeds`` starts:
    the only places a shared stretch can begin. One pass over ``lower``, no table of its own;
    ``windows``: its :func:`seed_windows`, when compared with several upper texts."""
    if windows is None:
        return [i for i in _seed_offsets(lower, seed) if lower[i:i + seed] in seeds]
    return [i for i, gram in windows if gram in seeds]


def verbatim_spans(lower: str, upper: str, seed: int = 6, min_chars: int = 10,
                   seeds: Optional[dict[str, list[int]]] = None,
                   lower_seeds: Optional[dict[str, list[int]]] = None,
                   starts: Optional[list[int]] = None) -> list[tuple[int, int, int, int]]:
    """Maximal stretches of ``lower`` found verbatim in ``upper``: (lower_start, lower_end,
    upper_start, upper_end), non-overlapping in ``lower``. Exact seeds of ``seed`` characters
    are extended to the right as far as both texts agree (passim-style seed-and-extend).
    ``seeds``: ``upper``'s ``seed_index`` table, when already built; ``starts``: the
    :func:`seed_starts` of ``lower`` in it (or ``lower_seeds``, ``lower``'s own table), when known."""
    if seeds is None:
        seeds = seed_index(upper, seed)
    if starts is None:
        if lower_seeds is None:
            starts = seed_starts(lower, seeds, seed)
        else:
            starts = sorted(i for gram in lower_seeds.keys() & seeds.keys() for i in lower_seeds[gram])
    spans, i = [], 0
    for start in starts:
        if start < i:
            continue  # inside the previous stretch
        i = start
        best = None
        for j in seeds[lower[i:i + seed]]:
            k = _common_length(lower, i, upper, j, seed)
            if best is None or k > best[1]:
                best = (j, k)
        if best and best[1] >= min_chars:
            spans.append((i, i + best[1], best[0], best[0] + best[1]))
            i += best[1]
    return spans


def _common_length(a: str, i: int, b: str, j: int, known: int) -> int:
    """Length of the common prefix of ``a[i:]`` and ``b[j:]``, known to be at least ``known``.
    Slices compared in doubling then halving steps: copied stretches run to hundreds of
    characters, and one slice comparison costs less than a few character comparisons."""
    limit = min(len(a) - i, len(b) - j)
    same, step = known, 8  # a prefix of ``same`` characters agrees
    while True:
        probe = min(limit, same + step)
        if probe <= same:
            return same
        if a[i + same:i + probe] != b[j + same:j + probe]:
            differ = probe  # a prefix of ``differ`` characters does not
            break
        same, step = probe, step * 2
    while differ - same > 1:
        middle = (same + differ) // 2
        if a[i + same:i + middle] == b[j + same:j + middle]:
            same = middle
        else:
            differ = middle
    return same


def unit_seeds(unit: Unit, seed: int) -> dict[str, list[int]]:
    """The seed table of a unit's text, built once per unit (it is compared with many)."""
    if seed not in unit.seed_tables:
        unit.seed_tables[seed] = seed_index(unit.text, seed)
    return unit.seed_tables[seed]


class SeedFinder:
    """Where a lower text shares verbatim seeds with each of a few upper passages, found for all
    of them at once instead of one comparison of seed tables per (lower, upper) pair.

    Each passage's seeds are a sorted array of seed numbers; a query looks its text's seeds up in
    the arrays of the passages asked for only, so its cost does not grow with the corpus."""

    def __init__(self, units: list[Unit], seed: int):
        self.units, self.seed = units, seed
        self.numbers: dict[str, int] = {}  # seed -> its number, over every passage
        self._seeds = []
        for unit in units:
            grams = unit_seeds(unit, seed)
            self._seeds.append(np.array(sorted(self.numbers.setdefault(g, len(self.numbers)) for g in grams),
                                        dtype=np.int64))

    def starts(self, text: str, positions: list[int]) -> dict[int, list[int]]:
        """Passage position -> the :func:`seed_starts` of ``text`` in that passage, for the
        passages at ``positions`` sharing a seed with ``text`` (the others have no stretch)."""
        seed, number = self.seed, self.numbers.get
        every = list(_seed_offsets(text, seed))
        known = np.array([number(text[i:i + seed], -1) for i in every], dtype=np.int64)
        kept = known >= 0  # a seed no passage has starts nothing
        offsets, found = np.array(every, dtype=np.int64)[kept], known[kept]
        if not len(found) or not positions:
            return {}
        span = len(self.numbers)
        # passage k's seeds shifted into a range of their own: one sorted array for all passages
        rows = [self._seeds[p] for p in positions]
        keys = np.concatenate(rows) + np.repeat(np.arange(len(rows), dtype=np.int64) * span,
                                                [len(r) for r in rows])
        if not len(keys):
            return {}
        queries = (np.arange(len(rows), dtype=np.int64)[:, None] * span + found).ravel()
        at = np.minimum(np.searchsorted(keys, queries), len(keys) - 1)
        row, column = np.nonzero((keys[at] == queries).reshape(len(rows), len(found)))  # rows, then offsets, ascending
        if not len(row):
            return {}
        hit_offsets = offsets[column].tolist()
        bounds = np.flatnonzero(np.diff(row)) + 1
        firsts = np.concatenate(([0], bounds)).tolist()
        lasts = np.concatenate((bounds, [len(row)])).tolist()
        return {positions[r]: hit_offsets[a:b] for r, a, b in zip(row[firsts].tolist(), firsts, lasts)}


def _piecewise(unit: Unit, start: int, end: int) -> list[tuple[int, int, int]]:
    """Split a unit-text stretch at piece boundaries: (unit_index, doc_start, doc_end)."""
    parts, i = [], start
    while i < end:
        piece = bisect.bisect_right(unit.starts, i) - 1
        piece_end_unit = unit.starts[piece] + unit.pieces[piece][1] - unit.pieces[piece][0]
        stop = min(end, piece_end_unit)
        parts.append((i, unit.doc_offset(i), unit.doc_offset(i) + stop - i))
        i = stop
    return parts


def evidence_spans(lower: Unit, upper: Unit, settings: AlignmentSettings,
                   starts: Optional[list[int]] = None) -> list[EvidenceSpan]:
    """Verbatim shared stretches as evidence records with offsets into each document's text.
    ``starts``: where ``lower``'s seeds shared with ``upper`` start (:meth:`SeedFinder.starts`),
    when known."""
    reuse = settings.reuse
    evidence: list[EvidenceSpan] = []
    seeds = unit_seeds(upper, reuse.seed_chars)
    if starts is None:
        starts = seed_starts(lower.text, seeds, reuse.seed_chars)
    if not starts:
        return evidence  # no seed in common: nothing copied (most pairs)
    for ls, le, us, ue in verbatim_spans(lower.text, upper.text, reuse.seed_chars, reuse.min_chars,
                                         seeds, starts=starts):
        for li, lower_start, lower_end in _piecewise(lower, ls, le):
            offset = us + (li - ls)
            for ui, upper_start, upper_end in _piecewise(upper, offset, offset + lower_end - lower_start):
                shift = ui - offset
                text = upper.printed[ui:ui + upper_end - upper_start]
                if len(text) >= reuse.min_chars:
                    evidence.append(EvidenceSpan(lower_start + shift, lower_start + shift + len(text),
                                                 upper_start, upper_end, text))
    return evidence
