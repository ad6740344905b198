"""Text similarity of passages: TF-IDF over character n-grams, searched through an inverted index.

Character n-grams float over unspaced Chinese; n-grams wholly inside a generic policy word
(``similarity.stop_phrases``: 加强 / 推进 / 工作 ...) are dropped. Upper passages are indexed once,
so a measure is compared with the passages sharing an n-gram only.
"""
from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from itertools import accumulate, repeat
from operator import mul, truediv
from typing import Iterable, Optional

import numpy as np

from kg.analysis.align.units import BOOKMARK, WORD_RUN, Unit
from kg.resources import AlignmentSettings


def _stop_mask(text: str, stop_phrases: Iterable[str]) -> list[bool]:
    mask = [False] * len(text)
    for phrase in stop_phrases:
        if phrase not in text:
            continue
        for match in re.finditer(re.escape(phrase), text):
            mask[match.start():match.end()] = [True] * (match.end() - match.start())
    return mask


def char_ngrams(text: str, sizes: Iterable[int], stop_phrases: Iterable[str] = (),
                words: Optional[dict] = None) -> Counter:
    """Character n-grams inside runs of word characters, minus n-grams wholly inside a stop phrase.
    ``words``: a dict kept across calls, where each word's n-grams are cut once (policy texts
    repeat their words over and over); the caller drops it when done."""
    counts: Counter = Counter()
    text = BOOKMARK.sub(" ", text)
    sizes = tuple(sizes)
    present = tuple(phrase for phrase in stop_phrases if phrase in text)  # most words contain none
    cut = None if words is None else words.setdefault((sizes, present), {})
    for run in WORD_RUN.finditer(text):
        word = run.group()
        grams = None if cut is None else cut.get(word)
        if grams is None:
            grams = _word_ngrams(word, sizes, present)
            if cut is not None:
                cut[word] = grams
        counts.update(grams)
    return counts


def _word_ngrams(word: str, sizes: tuple[int, ...], stop_phrases: tuple[str, ...]) -> tuple[str, ...]:
    """A word's n-grams, size after size, minus those wholly inside a stop phrase."""
    present = [phrase for phrase in stop_phrases if phrase in word]
    mask = _stop_mask(word, present) if present else None
    if mask is not None and not any(mask):
        mask = None
    grams: list[str] = []
    for n in sizes:
        if mask is None:
            grams.extend(word[i:i + n] for i in range(len(word) - n + 1))
        else:
            grams.extend(word[i:i + n] for i in range(len(word) - n + 1) if not all(mask[i:i + n]))
    return tuple(grams)


@dataclass
class _Postings:
    """Postings grouped by n-gram id, each group in unit order. The full index finds a group
    through ``offsets`` (group k: offsets[k]:offsets[k + 1]); a restricted one, which holds a few
    documents' postings only, through ``grams`` (the sorted n-gram id of each posting)."""

    positions: "np.ndarray"  # unit position of each posting
    weights: "np.ndarray"  # the unit's TF-IDF weight of the n-gram
    offsets: Optional["np.ndarray"] = None
    grams: Optional["np.ndarray"] = None

    def bounds(self, numbers: "np.ndarray") -> tuple["np.ndarray", "np.ndarray"]:
        if self.offsets is not None:
            return self.offsets[numbers], self.offsets[numbers + 1]
        return np.searchsorted(self.grams, numbers, "left"), np.searchsorted(self.grams, numbers, "right")


class NgramIndex:
    """TF-IDF vectors with an inverted index: candidates of a query without all-pairs scoring.

    The postings are one flat array per field (unit position, weight), grouped by n-gram, so a
    query gathers the postings of its n-grams in one step. ``search`` adds the products per unit in
    the order of the query's n-grams, exactly as a plain loop would (``numpy.bincount`` adds
    sequentially), so cosines do not depend on how the index is laid out."""

    def __init__(self, units: list[Unit], corpus_units: list[Unit], settings: AlignmentSettings):
        self.sizes, self.stop = settings.similarity.ngram_sizes, settings.similarity.stop_phrases
        words: dict = {}  # the n-grams of each word, while the index is made
        grams = {id(u): char_ngrams(u.text, self.sizes, self.stop, words) for u in corpus_units}
        del words
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
        self._by_document = self._document_postings(
            np.repeat(np.arange(len(postings), dtype=np.int64), np.diff(self._all.offsets)))
        self._restricted_key: Optional[frozenset[str]] = None
        self._restricted_postings = self._all

    def _document_postings(self, grams: "np.ndarray") -> dict[str, _Postings]:
        """Each document's postings (``grams``: the n-gram id of every posting), in the full
        index's order: restricting a search to a few documents then reads those only."""
        codes = {doc_id: code for code, doc_id in enumerate(dict.fromkeys(u.doc_id for u in self.units))}
        unit_codes = np.fromiter((codes[u.doc_id] for u in self.units), dtype=np.int64, count=len(self.units))
        posting_codes = unit_codes[self._all.positions]
        order = np.argsort(posting_codes, kind="stable")  # stable: n-gram, then unit order within a document
        bounds = np.searchsorted(posting_codes[order], np.arange(len(codes) + 1))
        positions, weights, grams = self._all.positions[order], self._all.weights[order], grams[order]
        return {doc_id: _Postings(positions[bounds[code]:bounds[code + 1]], weights[bounds[code]:bounds[code + 1]],
                                  grams=grams[bounds[code]:bounds[code + 1]])  # views of one sorted copy
                for doc_id, code in codes.items()}

    def vectorise(self, counts: Counter) -> dict[str, float]:
        """(1 + log tf) * idf, L2-normalised; summed in the n-grams' order, by ``map`` for speed."""
        grams = list(counts)
        weights = list(map(mul, map((1.0).__add__, map(math.log, counts.values())),
                           map(self.idf.get, grams, repeat(1.0))))
        norm = math.sqrt(sum(map(mul, weights, weights))) or 1.0
        return dict(zip(grams, map(truediv, weights, repeat(norm))))

    def search(self, vector: dict[str, float], allowed: Optional[set[str]] = None) -> dict[int, float]:
        """Unit position -> cosine, for units of ``allowed`` documents sharing any n-gram
        (in the order a unit is first reached, n-gram by n-gram)."""
        postings = self._all if allowed is None else self._restricted(frozenset(allowed))
        numbers = np.fromiter(map(self.gram_ids.get, vector, repeat(-1)), dtype=np.int64, count=len(vector))
        indexed = numbers >= 0  # an n-gram no upper passage has reaches nothing
        numbers = numbers[indexed]
        if not len(numbers):
            return {}
        weights = np.fromiter(vector.values(), dtype=np.float64, count=len(vector))[indexed]
        starts, ends = postings.bounds(numbers)
        lengths = ends - starts
        total = int(lengths.sum())
        if not total:
            return {}
        # indices of every posting of the query's n-grams, n-gram after n-gram
        shift = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
        gathered = shift + np.arange(total)
        positions = postings.positions[gathered]
        products = np.repeat(weights, lengths) * postings.weights[gathered]
        # summed per unit reached (not per unit of the index: that would read the whole corpus per query)
        reached, first, inverse = np.unique(positions, return_index=True, return_inverse=True)
        sums = np.bincount(inverse.ravel(), weights=products, minlength=len(reached))
        order = np.argsort(first, kind="stable")
        return dict(zip(reached[order].tolist(), sums[order].tolist()))

    def _restricted(self, allowed: frozenset[str]) -> _Postings:
        """The postings of ``allowed`` documents only, kept for the next measures with the same
        upper documents (a lower document's measures come one after another). Made from those
        documents' own postings: the cost is theirs, not the corpus's."""
        if self._restricted_key != allowed:
            parts = [self._by_document[d] for d in sorted(allowed) if d in self._by_document]
            if len(parts) == 1:
                postings = parts[0]
            else:
                positions = np.concatenate([p.positions for p in parts]) if parts else np.zeros(0, np.int64)
                weights = np.concatenate([p.weights for p in parts]) if parts else np.zeros(0, np.float64)
                grams = np.concatenate([p.grams for p in parts]) if parts else np.zeros(0, np.int64)
                order = np.lexsort((positions, grams))  # by n-gram, then unit: the full index's order
                postings = _Postings(positions[order], weights[order], grams=grams[order])
            self._restricted_key, self._restricted_postings = allowed, postings
        return self._restricted_postings
