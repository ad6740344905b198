"""Verbatim reuse: maximal stretches a lower text copies from an upper one (seed-and-extend)."""
from __future__ import annotations

import bisect
import re
from collections import defaultdict
from typing import Optional

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


def verbatim_spans(lower: str, upper: str, seed: int = 6, min_chars: int = 10,
                   seeds: Optional[dict[str, list[int]]] = None,
                   lower_seeds: Optional[dict[str, list[int]]] = None) -> list[tuple[int, int, int, int]]:
    """Maximal stretches of ``lower`` found verbatim in ``upper``: (lower_start, lower_end,
    upper_start, upper_end), non-overlapping in ``lower``. Exact seeds of ``seed`` characters
    are extended to the right as far as both texts agree (passim-style seed-and-extend).
    ``seeds`` / ``lower_seeds``: the texts' ``seed_index`` tables, when already built."""
    if seeds is None:
        seeds = seed_index(upper, seed)
    if lower_seeds is None:
        lower_seeds = seed_index(lower, seed)
    # only positions of ``lower`` where a seed of ``upper`` starts can begin a stretch
    starts = sorted(i for gram in lower_seeds.keys() & seeds.keys() for i in lower_seeds[gram])
    spans, i = [], 0
    for start in starts:
        if start < i:
            continue  # inside the previous stretch
        i = start
        best = None
        for j in seeds[lower[i:i + seed]]:
            k = seed
            while i + k < len(lower) and j + k < len(upper) and lower[i + k] == upper[j + k]:
                k += 1
            if best is None or k > best[1]:
                best = (j, k)
        if best and best[1] >= min_chars:
            spans.append((i, i + best[1], best[0], best[0] + best[1]))
            i += best[1]
    return spans


def unit_seeds(unit: Unit, seed: int) -> dict[str, list[int]]:
    """The seed table of a unit's text, built once per unit (it is compared with many)."""
    if seed not in unit.seed_tables:
        unit.seed_tables[seed] = seed_index(unit.text, seed)
    return unit.seed_tables[seed]


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


def evidence_spans(lower: Unit, upper: Unit, settings: AlignmentSettings) -> list[EvidenceSpan]:
    """Verbatim shared stretches as evidence records with offsets into each document's text."""
    reuse = settings.reuse
    evidence = []
    seeds, lower_seeds = unit_seeds(upper, reuse.seed_chars), unit_seeds(lower, reuse.seed_chars)
    if lower_seeds.keys().isdisjoint(seeds.keys()):
        return evidence  # no seed in common: nothing copied (most pairs)
    for ls, le, us, ue in verbatim_spans(lower.text, upper.text, reuse.seed_chars, reuse.min_chars,
                                         seeds, lower_seeds):
        for li, lower_start, lower_end in _piecewise(lower, ls, le):
            offset = us + (li - ls)
            for ui, upper_start, upper_end in _piecewise(upper, offset, offset + lower_end - lower_start):
                shift = ui - offset
                text = upper.printed[ui:ui + upper_end - upper_start]
                if len(text) >= reuse.min_chars:
                    evidence.append(EvidenceSpan(lower_start + shift, lower_start + shift + len(text),
                                                 upper_start, upper_end, text))
    return evidence
