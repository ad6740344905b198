"""Measure-level alignment of lower-level plans with their upper-level documents.

For each measure of a lower-level document (a district plan) the passages of its upper-level
documents (measures, sub-paragraphs, 专栏 columns, 工程 projects) are ranked by

    score = period_factor * min(1, w_text * cosine + w_reuse * reuse + named bonus)

- ``cosine``: TF-IDF cosine over character n-grams (they float over unspaced Chinese; n-grams
  wholly inside a generic policy word such as 加强 / 推进 / 工作 are dropped). Upper passages
  are indexed once in an inverted index, so a measure is compared with candidates only.
- ``reuse``: share of the lower measure copied verbatim from the passage (exact n-gram seeds
  extended to maximal matches, passim-style; only on the index's candidates).
- named bonus: shared program concepts and cited documents (from mentions when the extract /
  link stages ran, plus “quoted” names and 《titles》 read straight from the text) and shared
  target indicators.
- ``period_factor``: the plan in force in the lower document's year first; earlier or later
  documents count as context.

``direct`` = the two passages share a *specific* name (program, cited document) or a target
indicator both set numbers for; otherwise ``thematic``. Not specific enough on their own:
routine duties and slogans (``names.thematic`` / ``thematic_patterns``), routine kinds such as
party-building institutions unless quoted as a name or the topic (title) of both passages, and a
name a review-of-achievements passage shares with a forward-looking passage of the same plan.
A measure whose best score is under ``local_only_below`` is local only.
All weights and thresholds: ``ontology/lexicon/alignment.yaml``.
"""
from __future__ import annotations

import bisect
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from itertools import accumulate
from typing import Iterable, Optional

import numpy as np

from kg.hierarchy import load_settings, period_relation, upper_documents
from kg.indicators import dice, normalise_indicator
from kg.records import Alignment, Concept, Corpus, Document, Mention, Section

METHOD = "tfidf-char-ngram+ngram-reuse+concepts"
_WORD_RUN = re.compile(r"[0-9A-Za-z\u3400-\u9fff]+")
_BOOKMARK = re.compile(r"\[bookmark:[^\]]*\]")
_QUOTED = re.compile(r"“([^“”\n]{2,24})”")
_TITLED = re.compile(r"《([^《》\n]{2,60})》")
_SPACE_QUOTES = re.compile(r"[\s“”\"'‘’「」]")
_NON_SPACE = re.compile(r"\S+")


# ---------------------------------------------------------------- passages ("units")

@dataclass
class Unit:
    """An alignable passage: a section's own text, possibly in pieces around sub-sections."""

    doc_id: str
    label: str
    title: str
    pieces: list[tuple[int, int]]  # document offsets, end exclusive
    text: str = ""  # in the document's matching form (simplified for traditional-script text)
    printed: str = ""  # the same characters as printed, for quotes
    vector: dict[str, float] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # normalised name -> display name
    quoted: set[str] = field(default_factory=set)  # normalised names the text itself puts in quotes
    targets: dict[str, str] = field(default_factory=dict)  # normalised indicator -> display
    starts: list[int] = field(default_factory=list)  # unit-text index where each piece starts
    retrospective: bool = False  # inside a review of past achievements
    seed_tables: dict[int, dict[str, list[int]]] = field(default_factory=dict, repr=False)

    @cached_property
    def plain(self) -> str:
        """The text without spaces and quotes, where a name is looked up."""
        return _SPACE_QUOTES.sub("", self.text)

    def seeds(self, seed: int) -> dict[str, list[int]]:
        """The verbatim-reuse seed table of the text, built once per unit (it is compared with many)."""
        if seed not in self.seed_tables:
            self.seed_tables[seed] = seed_index(self.text, seed)
        return self.seed_tables[seed]

    def doc_offset(self, index: int) -> int:
        """Document offset of a character index of ``text``."""
        piece = bisect.bisect_right(self.starts, index) - 1
        return self.pieces[piece][0] + index - self.starts[piece]

    def contains(self, offset: int) -> bool:
        return any(start <= offset < end for start, end in self.pieces)


def _make_unit(doc: Document, section: Section, pieces: list[tuple[int, int]]) -> Unit:
    unit = Unit(doc.doc_id, section.label, section.title, pieces)
    unit.starts, position = [], 0
    for start, end in pieces:
        unit.starts.append(position)
        position += end - start
    unit.text = "".join(doc.match_text[start:end] for start, end in pieces)
    unit.printed = "".join(doc.text[start:end] for start, end in pieces)
    return unit


def _subtract(span: tuple[int, int], holes: list[tuple[int, int]]) -> list[tuple[int, int]]:
    pieces, cursor = [], span[0]
    for start, end in sorted(holes):
        if start > cursor:
            pieces.append((cursor, min(start, span[1])))
        cursor = max(cursor, end)
    if cursor < span[1]:
        pieces.append((cursor, span[1]))
    return [(s, e) for s, e in pieces if e > s]


def alignable_units(doc: Document, sections: list[Section], settings: Optional[dict] = None) -> list[Unit]:
    """Upper-level passages: measures, paragraphs, columns and projects, each without the text of
    its own alignable sub-sections (so "一(一)5" and "一(一)5(2)" do not compete for one text)."""
    settings = settings or load_settings()
    kinds = set(settings["units"]["kinds"])
    chosen = [s for s in sections if (s.is_measure or s.kind in kinds) and not s.outline_only]
    review = _retrospective(doc, sections, settings)
    units = []
    for section in chosen:
        holes = [(o.start, o.end) for o in chosen
                 if o is not section and section.start <= o.start and o.end <= section.end
                 and (o.start, o.end) != (section.start, section.end)]
        pieces = _subtract((section.start, section.end), holes)
        # body text often shares the heading's line ("1.坚持德育为先。健全…"): count past the title
        own = sum(len("".join(_WORD_RUN.findall(_BOOKMARK.sub("", doc.text[s:e])))) for s, e in pieces)
        if own - len(section.title) < settings["units"]["min_own_chars"]:
            continue
        unit = _make_unit(doc, section, pieces)
        unit.retrospective = any(start <= section.start < end for start, end in review)
        units.append(unit)
    return units


def _retrospective(doc: Document, sections: list[Section], settings: dict) -> list[tuple[int, int]]:
    """Spans of review parts (a plan's 发展基础 / 十三五 achievements): looking back, not forward."""
    pattern = re.compile(settings["units"]["retrospective_titles"])
    return [(s.start, s.end) for s in sections if s.title and pattern.search(s.title)]


def measure_units(doc: Document, sections: list[Section], settings: Optional[dict] = None) -> list[Unit]:
    """Lower-level measures (whole span, sub-items included); alignable passages when unnumbered."""
    measures = [s for s in sections if s.is_measure and not s.outline_only]
    if not measures:
        return alignable_units(doc, sections, settings)
    return [_make_unit(doc, s, [(s.start, s.end)]) for s in measures]


# ---------------------------------------------------------------- text similarity

def _stop_mask(text: str, stop_phrases: Iterable[str]) -> list[bool]:
    mask = [False] * len(text)
    for phrase in stop_phrases:
        if phrase not in text:
            continue
        for match in re.finditer(re.escape(phrase), text):
            mask[match.start():match.end()] = [True] * (match.end() - match.start())
    return mask


def char_ngrams(text: str, sizes: Iterable[int], stop_phrases: Iterable[str] = ()) -> Counter:
    """Character n-grams inside runs of word characters, minus n-grams wholly inside a stop phrase."""
    counts: Counter = Counter()
    text = _BOOKMARK.sub(" ", text)
    present = [phrase for phrase in stop_phrases if phrase in text]  # most words contain none
    for run in _WORD_RUN.finditer(text):
        word = run.group()
        mask = _stop_mask(word, present) if present else None
        if mask is not None and not any(mask):
            mask = None
        for n in sizes:
            if mask is None:
                counts.update(word[i:i + n] for i in range(len(word) - n + 1))
            else:
                counts.update(word[i:i + n] for i in range(len(word) - n + 1) if not all(mask[i:i + n]))
    return counts


class NgramIndex:
    """TF-IDF vectors with an inverted index: candidates of a query without all-pairs scoring.

    The postings are one flat array per field (unit position, weight), grouped by n-gram, so a
    query gathers the postings of its n-grams in one step. ``search`` adds the products per unit in
    the order of the query's n-grams, exactly as a plain loop would (``numpy.bincount`` adds
    sequentially), so cosines do not depend on how the index is laid out."""

    def __init__(self, units: list[Unit], corpus_units: list[Unit], settings: dict):
        sim = settings["similarity"]
        self.sizes, self.stop = sim["ngram_sizes"], sim["stop_phrases"]
        grams = {id(u): char_ngrams(u.text, self.sizes, self.stop) for u in corpus_units}
        df: Counter = Counter()
        for counts in grams.values():
            df.update(counts.keys())
        total = max(1, len(corpus_units))
        self.idf = {g: math.log((1 + total) / (1 + n)) + 1.0 for g, n in df.items()}
        self.units = units
        for unit in corpus_units:
            unit.vector = self.vectorise(grams[id(unit)])
        postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for position, unit in enumerate(units):
            for gram, weight in unit.vector.items():
                postings[gram].append((position, weight))
        self.gram_ids = {gram: number for number, gram in enumerate(postings)}
        hits = [hit for gram_hits in postings.values() for hit in gram_hits]
        self._all = _Postings(
            np.fromiter((h[0] for h in hits), dtype=np.int64, count=len(hits)),
            np.fromiter((h[1] for h in hits), dtype=np.float64, count=len(hits)),
            np.fromiter(accumulate((len(h) for h in postings.values()), initial=0), dtype=np.int64,
                        count=len(postings) + 1))
        self._restricted_key: Optional[frozenset[str]] = None
        self._restricted_postings = self._all

    def vectorise(self, counts: Counter) -> dict[str, float]:
        vector = {g: (1 + math.log(c)) * self.idf.get(g, 1.0) for g, c in counts.items()}
        norm = math.sqrt(sum(w * w for w in vector.values())) or 1.0
        return {g: w / norm for g, w in vector.items()}

    def search(self, vector: dict[str, float], allowed: Optional[set[str]] = None) -> dict[int, float]:
        """Unit position -> cosine, for units of ``allowed`` documents sharing any n-gram
        (in the order a unit is first reached, n-gram by n-gram)."""
        postings = self._all if allowed is None else self._restricted(frozenset(allowed))
        ids, weights = [], []
        for gram, weight in vector.items():
            number = self.gram_ids.get(gram)
            if number is not None:
                ids.append(number)
                weights.append(weight)
        if not ids:
            return {}
        numbers = np.array(ids, dtype=np.int64)
        starts, ends = postings.offsets[numbers], postings.offsets[numbers + 1]
        lengths = ends - starts
        total = int(lengths.sum())
        if not total:
            return {}
        # indices of every posting of the query's n-grams, n-gram after n-gram
        shift = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
        gathered = shift + np.arange(total)
        positions = postings.positions[gathered]
        products = np.repeat(np.array(weights, dtype=np.float64), lengths) * postings.weights[gathered]
        sums = np.bincount(positions, weights=products, minlength=len(self.units))
        reached, first = np.unique(positions, return_index=True)
        order = reached[np.argsort(first, kind="stable")]
        return dict(zip(order.tolist(), sums[order].tolist()))

    def _restricted(self, allowed: frozenset[str]) -> "_Postings":
        """The postings of ``allowed`` documents only, kept for the next measures with the same
        upper documents (a lower document's measures come one after another)."""
        if self._restricted_key != allowed:
            keep = np.fromiter((unit.doc_id in allowed for unit in self.units), dtype=bool, count=len(self.units))
            if keep.all():
                postings = self._all
            else:
                kept = keep[self._all.positions]
                counts = np.add.reduceat(kept.astype(np.int64), self._all.offsets[:-1]) if len(kept) else kept
                # reduceat reads an empty group as one element: an n-gram always has postings here
                postings = _Postings(self._all.positions[kept], self._all.weights[kept],
                                     np.concatenate(([0], np.cumsum(counts))).astype(np.int64))
            self._restricted_key, self._restricted_postings = allowed, postings
        return self._restricted_postings


@dataclass
class _Postings:
    positions: "np.ndarray"  # unit position of each posting, grouped by n-gram id
    weights: "np.ndarray"  # the unit's TF-IDF weight of the n-gram
    offsets: "np.ndarray"  # postings of n-gram id k: offsets[k]:offsets[k + 1]


class NameFinder:
    """Which passages of an index share a name with a measure: a name the passage has or its
    text contains (as ``shared_names`` decides), looked up once per name across the corpus."""

    def __init__(self, units: list[Unit]):
        self.units = units
        self.text = "\x00".join(unit.plain for unit in units)  # NUL never occurs in a name
        self.starts = list(accumulate((len(u.plain) + 1 for u in units[:-1]), initial=0))
        self.by_name: dict[str, set[int]] = defaultdict(set)
        for position, unit in enumerate(units):
            for key in unit.names:
                self.by_name[key].add(position)
        self.found: dict[str, frozenset[int]] = {}

    def positions(self, key: str) -> frozenset[int]:
        if key not in self.found:
            hits = set(self.by_name.get(key, ()))
            for match in re.finditer(re.escape(key), self.text):
                hits.add(bisect.bisect_right(self.starts, match.start()) - 1)
            if not key:
                hits = set(range(len(self.units)))
            self.found[key] = frozenset(hits)
        return self.found[key]

    def sharing(self, measure: Unit) -> set[int]:
        """Positions of the passages with which ``shared_names(measure, passage)`` is not empty."""
        hits: set[int] = set()
        for key in measure.names:
            hits |= self.positions(key)
        return hits


# ---------------------------------------------------------------- verbatim reuse

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


def seed_index(text: str, seed: int) -> dict[str, list[int]]:
    """Start offsets of every ``seed``-character stretch without whitespace."""
    index: dict[str, list[int]] = defaultdict(list)
    for run in _NON_SPACE.finditer(text):
        for j in range(run.start(), run.end() - seed + 1):
            index[text[j:j + seed]].append(j)
    return index


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


def evidence_spans(lower: Unit, upper: Unit, settings: dict) -> list[dict]:
    """Verbatim shared stretches as evidence records with offsets into each document's text."""
    reuse = settings["reuse"]
    evidence = []
    seeds, lower_seeds = upper.seeds(reuse["seed_chars"]), lower.seeds(reuse["seed_chars"])
    if lower_seeds.keys().isdisjoint(seeds.keys()):
        return evidence  # no seed in common: nothing copied (most pairs)
    for ls, le, us, ue in verbatim_spans(lower.text, upper.text, reuse["seed_chars"], reuse["min_chars"],
                                         seeds, lower_seeds):
        for li, lower_start, lower_end in _piecewise(lower, ls, le):
            offset = us + (li - ls)
            for ui, upper_start, upper_end in _piecewise(upper, offset, offset + lower_end - lower_start):
                shift = ui - offset
                text = upper.printed[ui:ui + upper_end - upper_start]
                if len(text) >= reuse["min_chars"]:
                    evidence.append({"lower_start": lower_start + shift, "lower_end": lower_start + shift + len(text),
                                     "upper_start": upper_start, "upper_end": upper_end, "text": text})
    return evidence


# ---------------------------------------------------------------- names and targets

def normalise_name(name: str, settings: Optional[dict] = None) -> str:
    """Quotes and spaces dropped, a generic trailing word (改革, 工程 ...) removed."""
    settings = settings or load_settings()
    return _normalise_name(name, tuple(settings["names"]["generic_suffixes"]), settings["names"]["min_chars"])


@lru_cache(maxsize=1 << 16)
def _normalise_name(name: str, suffixes: tuple[str, ...], min_chars: int) -> str:
    name = _SPACE_QUOTES.sub("", name)
    for suffix in sorted(suffixes, key=len, reverse=True):
        if name.endswith(suffix) and len(name) - len(suffix) >= min_chars:
            return name[: -len(suffix)]
    return name


def _attach_names(units: list[Unit], mentions: list[Mention], settings: dict) -> None:
    ignore = {normalise_name(n, settings) for n in settings["names"]["ignore"]}
    by_doc: dict[str, list[Mention]] = defaultdict(list)
    for mention in mentions:
        by_doc[mention.doc_id].append(mention)
    # mention numbers sorted by start, to pick a unit's mentions without scanning its whole document
    by_start = {d: sorted(range(len(ms)), key=lambda n, ms=ms: ms[n].start) for d, ms in by_doc.items()}
    starts = {d: [by_doc[d][n].start for n in order] for d, order in by_start.items()}
    for unit in units:
        names: dict[str, str] = {}
        for pattern in (_QUOTED, _TITLED):
            for match in pattern.finditer(unit.text):
                names.setdefault(normalise_name(match.group(1), settings), match.group(1))
        unit.quoted = {normalise_name(m.group(1), settings) for m in _QUOTED.finditer(unit.text)}
        targets: dict[str, str] = {}
        order, offsets = by_start.get(unit.doc_id, []), starts.get(unit.doc_id, [])
        inside = sorted({order[n] for start, end in unit.pieces
                         for n in range(bisect.bisect_left(offsets, start), bisect.bisect_left(offsets, end))})
        for mention in (by_doc[unit.doc_id][n] for n in inside):  # in the mentions' own order
            if mention.type in ("program", "cited_document"):
                label = mention.canonical or mention.text
                names.setdefault(normalise_name(label, settings), label)
            elif mention.type == "target" and mention.indicator and mention.value:
                targets.setdefault(normalise_indicator(mention.indicator), mention.indicator)
        unit.names = {k: v for k, v in names.items() if len(k) >= settings["names"]["min_chars"] and k not in ignore}
        unit.targets = targets


def shared_names(lower: Unit, upper: Unit) -> list[str]:
    """Names of the lower measure the upper passage also names (as a name or in its text)."""
    return sorted({display for key, display in lower.names.items()
                   if key in upper.names or key in upper.plain})


def shared_targets(lower: Unit, upper: Unit, threshold: float) -> list[str]:
    return sorted({display for key, display in lower.targets.items()
                   if any(_dice(key, other) >= threshold for other in upper.targets)})


_dice = lru_cache(maxsize=1 << 16)(dice)  # the same indicator pairs recur across measures


def name_kinds(concepts: Iterable[Concept], settings: dict) -> dict[str, str]:
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
    title = _SPACE_QUOTES.sub("", unit.title or "")
    return key in title or _SPACE_QUOTES.sub("", display) in title


@lru_cache(maxsize=8)
def _thematic_rules(thematic: tuple[str, ...], patterns: tuple[str, ...], suffixes: tuple[str, ...],
                    min_chars: int) -> tuple[frozenset[str], list[re.Pattern]]:
    """Normalised routine names and compiled slogan patterns (the same for every pair)."""
    return (frozenset(_normalise_name(n, suffixes, min_chars) for n in thematic),
            [re.compile(p) for p in patterns])


def specific_names(names: Iterable[str], lower: Unit, upper: Unit, kinds: dict[str, str],
                   settings: dict) -> list[str]:
    """The shared names (display forms of ``lower.names``) specific enough to make a pair direct.

    Routine duties and slogans every plan has (控辍保学, 应X尽X) only make a pair thematic. A name
    of a routine kind (short party-building institutions: 组织生活会) counts when both writers mark
    it as a name (quotes on both sides) or it is the topic of both passages (in both titles)."""
    rules = settings["names"]
    thematic, patterns = _thematic_rules(tuple(rules.get("thematic", [])), tuple(rules.get("thematic_patterns", [])),
                                         tuple(rules["generic_suffixes"]), rules["min_chars"])
    routine = set(rules.get("routine_kinds", []))
    keys = {display: key for key, display in lower.names.items()}
    chosen = []
    for display in names:
        key = keys[display] if display in keys else normalise_name(display, settings)
        if key in thematic or any(p.search(key) for p in patterns):
            continue
        if kinds.get(key) in routine and len(key) <= rules.get("routine_max_chars", 8) and not (
                (_is_quoted(key, lower) and _is_quoted(key, upper))
                or (_in_title(key, display, lower) and _in_title(key, display, upper))):
            continue
        chosen.append(display)
    return chosen


# ---------------------------------------------------------------- alignment

def _units_by_doc(corpus: Corpus, doc_ids: Iterable[str], settings: dict, lower: bool) -> dict[str, list[Unit]]:
    make = measure_units if lower else alignable_units
    return {d: make(corpus.document(d), corpus.sections.get(d, []), settings) for d in doc_ids}


def align(corpus: Corpus, lower: Optional[str | list[str]] = None, upper: Optional[str | list[str]] = None,
          top_k: Optional[int] = None, overrides: Optional[dict[str, list[str]]] = None,
          settings: Optional[dict] = None, **options) -> list[Alignment]:
    """Rank upper-level passages for every measure of every lower-level document.

    ``lower`` / ``upper`` restrict the documents (a doc id or a list); given both, they are compared
    even when the hierarchy would not place one above the other (horizontal comparison).
    ``overrides`` (doc id -> upper doc ids) replace the derived hierarchy for those documents;
    by default the manifest's, carried in ``corpus.upper_overrides``.
    ``options`` override entries of the ``scoring`` settings (e.g. ``local_only_below=0.1``).
    """
    settings = settings or load_settings()
    scoring = {**settings["scoring"], **options}
    top_k = top_k or scoring["top_k"]
    metas = {d.doc_id: d.meta for d in corpus.documents}
    lowers = [lower] if isinstance(lower, str) else list(lower or metas)
    forced_upper = [upper] if isinstance(upper, str) else (list(upper) if upper else None)
    plan: dict[str, list[str]] = {}
    for doc_id in lowers:
        if forced_upper is not None and lower is not None:
            uppers = [u for u in upper_documents(metas.values(), metas[doc_id], {doc_id: forced_upper}, settings)]
        else:
            uppers = upper_documents(metas.values(), metas[doc_id],
                                     corpus.upper_overrides if overrides is None else overrides, settings)
            if forced_upper is not None:
                uppers = [u for u in uppers if u in forced_upper]
        if uppers:
            plan[doc_id] = uppers
    if not plan:
        return []
    upper_ids = sorted({u for ups in plan.values() for u in ups})
    upper_units = [u for d, us in _units_by_doc(corpus, upper_ids, settings, lower=False).items() for u in us]
    lower_units = _units_by_doc(corpus, plan, settings, lower=True)
    all_units = upper_units + [u for us in lower_units.values() for u in us]
    _attach_names(all_units, corpus.mentions, settings)
    index = NgramIndex(upper_units, all_units, settings)
    finder = NameFinder(upper_units)
    kinds = name_kinds(corpus.concepts, settings)
    alignments = []
    for doc_id, uppers in plan.items():
        factors = {u: scoring["period_factor"][period_relation(metas[u], metas[doc_id].year)] for u in uppers}
        for measure in lower_units[doc_id]:
            alignments.extend(_align_measure(measure, index, factors, scoring, settings, top_k, kinds, finder))
    return alignments


def _align_measure(measure: Unit, index: NgramIndex, factors: dict[str, float], scoring: dict,
                   settings: dict, top_k: int, kinds: Optional[dict[str, str]] = None,
                   finder: Optional[NameFinder] = None) -> list[Alignment]:
    weights = scoring["weights"]
    cosines = index.search(measure.vector, set(factors))
    # the index's best candidates plus any passage sharing a name, then scored in detail
    candidates = set(sorted(cosines, key=cosines.get, reverse=True)[: settings["similarity"]["candidates"]])
    if measure.names or measure.targets:
        naming = (finder or NameFinder(index.units)).sharing(measure)
        candidates |= {p for p in cosines if p in naming or (measure.targets and index.units[p].targets)}
    threshold = settings["continuity"]["indicator_similarity"]
    shared = {p: (shared_names(measure, index.units[p]), shared_targets(measure, index.units[p], threshold))
              for p in candidates}
    # a name many passages share (双减 in a dozen) says less about this pair than a rare one
    spread = Counter(name for programs, _ in shared.values() for name in programs)
    # a review of past achievements is direct only for what the plan's forward-looking parts
    # do not already share (the plan's tasks, not its record, are what the measure takes up)
    forward: dict[str, set[str]] = defaultdict(set)
    for position, (programs, targets) in shared.items():
        if not index.units[position].retrospective:
            forward[index.units[position].doc_id].update(programs, targets)
    best_cosine = max(cosines.values(), default=0.0)
    scored = []
    for position in candidates:
        upper = index.units[position]
        programs, targets = shared[position]
        evidence = evidence_spans(measure, upper, settings)
        reuse = sum(e["lower_end"] - e["lower_start"] for e in evidence) / max(1, len(measure.text))
        named = min(scoring["max_named_bonus"],
                    sum(weights["program"] / math.sqrt(spread[name]) for name in programs)
                    + weights["target"] * len(targets))
        raw = weights["text"] * cosines[position] + weights["reuse"] * reuse + named
        factor = factors[upper.doc_id] * (scoring["retrospective_factor"] if upper.retrospective else 1.0)
        score = round(min(1.0, raw) * factor, 4)
        # a name mentioned in passing (双减 in a list of inspection areas) does not make a pair
        # direct: the passages must also be about the same thing
        topical = cosines[position] >= scoring["direct_min_relative_text"] * best_cosine
        if not topical:
            programs, targets = [], []
        programs = specific_names(programs, measure, upper, kinds or {}, settings)
        if upper.retrospective:
            programs = [n for n in programs if n not in forward[upper.doc_id]]
            targets = [n for n in targets if n not in forward[upper.doc_id]]
        scored.append((score, upper, programs, targets, reuse, evidence))
    scored.sort(key=lambda item: (-item[0], item[1].doc_id, item[1].label))
    if not scored or scored[0][0] < scoring["local_only_below"]:
        return [Alignment(lower_doc=measure.doc_id, lower_measure=measure.label, local_only=True, method=METHOD)]
    return [
        Alignment(lower_doc=measure.doc_id, lower_measure=measure.label, upper_doc=upper.doc_id,
                  upper_measure=upper.label, score=score, strength="direct" if programs or targets else "thematic",
                  rank=rank, shared_programs=programs, shared_targets=targets, reuse_ratio=round(reuse, 4),
                  method=METHOD, evidence=evidence)
        for rank, (score, upper, programs, targets, reuse, evidence) in enumerate(scored[:top_k], start=1)
    ]


# ---------------------------------------------------------------- reuse and refinement

def _union_length(spans: Iterable[tuple[int, int]]) -> int:
    total, cursor = 0, -1
    for start, end in sorted(spans):
        if end > cursor:
            total += end - max(start, cursor)
            cursor = end
    return total


def refinements(text: str, offset: int, copied: list[tuple[int, int]], mentions: list[Mention],
                upper_names: set[str], settings: dict, upper_plain: str = "") -> dict[str, list[str]]:
    """What a lower measure adds of its own: numbers, local programs (named nowhere upstream),
    deadlines and responsible units, outside the stretches it copied."""
    ref = settings["refinement"]

    def local(name: str) -> bool:
        key = normalise_name(name, settings)
        return key not in upper_names and key not in upper_plain

    def own(start: int, end: int) -> bool:
        return not any(s <= offset + start and offset + end <= e for s, e in copied)

    numbers = [m.group() for m in re.finditer(ref["number_pattern"], text) if own(m.start(), m.end())]
    deadlines = [m.group() for m in re.finditer(ref["deadline_pattern"], text) if own(m.start(), m.end())]
    programs, units = [], []
    for mention in mentions:
        if mention.type == "program" and local(mention.canonical or mention.text):
            programs.append(mention.canonical or mention.text)
        elif mention.type == "organization":
            units.append(mention.text)
        elif mention.type == "target" and mention.value:
            numbers.append(mention.text)
    if not any(m.type == "program" for m in mentions):
        programs = [m.group(1) for m in _QUOTED.finditer(text) if local(m.group(1))]
    dedupe = lambda items: list(dict.fromkeys(items))  # noqa: E731 - keep first-seen order
    return {"numbers": dedupe(numbers), "programs": dedupe(programs), "deadlines": dedupe(deadlines),
            "units": dedupe(units)}


def reuse_summary(corpus: Corpus, alignments: Optional[list[Alignment]] = None,
                  settings: Optional[dict] = None) -> dict[str, dict]:
    """Per lower document: verbatim reuse (share of its measure text copied from any of its upper
    documents; containment, not Jaccard), what each measure adds, coverage of each upper document
    (share of its alignable passages some measure takes up), local-only share, top shared programs."""
    settings = settings or load_settings()
    alignments = corpus.alignments if alignments is None else alignments
    reuse = settings["reuse"]
    by_lower: dict[str, list[Alignment]] = defaultdict(list)
    for alignment in alignments:
        by_lower[alignment.lower_doc].append(alignment)
    summary = {}
    for doc_id, rows in by_lower.items():
        document = corpus.document(doc_id)
        uppers = sorted({a.upper_doc for a in rows if a.upper_doc})
        upper_texts = {u: corpus.document(u).match_text for u in uppers}
        indexes = {u: seed_index(t, reuse["seed_chars"]) for u, t in upper_texts.items()}
        upper_units = {u: alignable_units(corpus.document(u), corpus.sections.get(u, []), settings) for u in uppers}
        upper_names: set[str] = set()
        for units in upper_units.values():
            _attach_names(units, corpus.mentions, settings)
            upper_names |= {k for unit in units for k in unit.names}
        upper_plain = "".join(_SPACE_QUOTES.sub("", t) for t in upper_texts.values())
        doc_mentions = [m for m in corpus.mentions if m.doc_id == doc_id]
        measures, copied_total, length_total = [], 0, 0
        for unit in measure_units(document, corpus.sections.get(doc_id, []), settings):
            spans = []
            for upper_doc, seeds in indexes.items():
                for ls, le, us, ue in verbatim_spans(unit.text, upper_texts[upper_doc], reuse["seed_chars"],
                                                     reuse["min_chars"], seeds):
                    spans.append((unit.doc_offset(ls), unit.doc_offset(ls) + le - ls, upper_doc, us, ue))
            copied = [(s, e) for s, e, *_ in spans]
            length = len(unit.text)
            copied_len = _union_length(copied)
            copied_total, length_total = copied_total + copied_len, length_total + length
            inside = [m for m in doc_mentions if unit.contains(m.start)]
            mine = [a for a in rows if a.lower_measure == unit.label]
            measures.append({
                "measure": unit.label, "title": unit.title, "reuse": round(copied_len / max(1, length), 4),
                "copied": [{"lower_start": s, "lower_end": e, "upper_doc": u, "upper_start": us, "upper_end": ue,
                            "text": document.text[s:e]} for s, e, u, us, ue in spans],
                "local_only": any(a.local_only for a in mine),
                "refinements": refinements(unit.text, unit.pieces[0][0], copied, inside, upper_names,
                                           settings, upper_plain),
            })
        taken = {(a.upper_doc, a.upper_measure) for a in rows if not a.local_only}
        coverage = {u: round(sum((u, x.label) in taken for x in units) / max(1, len(units)), 4)
                    for u, units in upper_units.items()}
        programs = Counter(p for a in rows for p in a.shared_programs)
        summary[doc_id] = {
            "measures": measures,
            "reuse": round(copied_total / max(1, length_total), 4),
            "coverage": coverage,
            "local_share": round(sum(m["local_only"] for m in measures) / max(1, len(measures)), 4),
            "direct_share": round(len({a.lower_measure for a in rows if a.strength == "direct"}) / max(1, len(measures)), 4),
            "top_programs": programs.most_common(10),
        }
    return summary
