"""Rank the upper-level passages of every measure of a lower-level document.

    score = period_factor * min(1, w_text * cosine + w_reuse * reuse + named bonus)

``direct`` = the two passages share a specific name or a target indicator both set numbers for,
and are about the same thing (text cosine near the measure's best); otherwise ``thematic``.
"""
from __future__ import annotations

import dataclasses
import math
from collections import Counter, defaultdict
from typing import Iterable, Optional

from kg.analysis.align.names import NameFinder, attach_names, name_kinds, shared_names, shared_targets, specific_names
from kg.analysis.align.similarity import NgramIndex
from kg.analysis.align.units import Unit, alignable_units, measure_units
from kg.analysis.align.verbatim import evidence_spans
from kg.analysis.hierarchy import period_relation, upper_documents
from kg.records import Alignment, Corpus
from kg.resources import AlignmentSettings, ScoringSettings, alignment_settings

METHOD = "tfidf-char-ngram+ngram-reuse+concepts"


def _units_by_doc(corpus: Corpus, doc_ids: Iterable[str], settings: AlignmentSettings,
                  lower: bool) -> dict[str, list[Unit]]:
    make = measure_units if lower else alignable_units
    return {d: make(corpus.document(d), corpus.sections.get(d, []), settings) for d in doc_ids}


def align(corpus: Corpus, lower: Optional[str | list[str]] = None, upper: Optional[str | list[str]] = None,
          top_k: Optional[int] = None, overrides: Optional[dict[str, list[str]]] = None,
          settings: Optional[AlignmentSettings] = None, **options) -> list[Alignment]:
    """Rank upper-level passages for every measure of every lower-level document.

    ``lower`` / ``upper`` restrict the documents (a doc id or a list); given both, they are compared
    even when the hierarchy would not place one above the other (horizontal comparison).
    ``overrides`` (doc id -> upper doc ids) replace the derived hierarchy for those documents;
    by default the manifest's, carried in ``corpus.upper_overrides``.
    ``options`` override entries of the ``scoring`` settings (e.g. ``local_only_below=0.1``).
    """
    settings = settings or alignment_settings()
    scoring = dataclasses.replace(settings.scoring, **options)
    top_k = top_k or scoring.top_k
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
    attach_names(all_units, corpus.mentions, settings)
    index = NgramIndex(upper_units, all_units, settings)
    finder = NameFinder(upper_units)
    kinds = name_kinds(corpus.concepts, settings)
    alignments = []
    for doc_id, uppers in plan.items():
        factors = {u: scoring.period_factor[period_relation(metas[u], metas[doc_id].year)] for u in uppers}
        for measure in lower_units[doc_id]:
            alignments.extend(_align_measure(measure, index, factors, scoring, settings, top_k, kinds, finder))
    return alignments


def _align_measure(measure: Unit, index: NgramIndex, factors: dict[str, float], scoring: ScoringSettings,
                   settings: AlignmentSettings, top_k: int, kinds: Optional[dict[str, str]] = None,
                   finder: Optional[NameFinder] = None) -> list[Alignment]:
    weights = scoring.weights
    cosines = index.search(measure.vector, set(factors))
    # the index's best candidates plus any passage sharing a name, then scored in detail
    candidates = set(sorted(cosines, key=cosines.get, reverse=True)[: settings.similarity.candidates])
    if measure.names or measure.targets:
        naming = (finder or NameFinder(index.units)).sharing(measure)
        candidates |= {p for p in cosines if p in naming or (measure.targets and index.units[p].targets)}
    threshold = settings.continuity.indicator_similarity
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
        reuse = sum(e.lower_end - e.lower_start for e in evidence) / max(1, len(measure.text))
        named = min(scoring.max_named_bonus,
                    sum(weights.program / math.sqrt(spread[name]) for name in programs)
                    + weights.target * len(targets))
        raw = weights.text * cosines[position] + weights.reuse * reuse + named
        factor = factors[upper.doc_id] * (scoring.retrospective_factor if upper.retrospective else 1.0)
        score = round(min(1.0, raw) * factor, 4)
        # a name mentioned in passing (双减 in a list of inspection areas) does not make a pair
        # direct: the passages must also be about the same thing
        topical = cosines[position] >= scoring.direct_min_relative_text * best_cosine
        if not topical:
            programs, targets = [], []
        programs = specific_names(programs, measure, upper, kinds or {}, settings)
        if upper.retrospective:
            programs = [n for n in programs if n not in forward[upper.doc_id]]
            targets = [n for n in targets if n not in forward[upper.doc_id]]
        scored.append((score, upper, programs, targets, reuse, evidence))
    scored.sort(key=lambda item: (-item[0], item[1].doc_id, item[1].label))
    if not scored or scored[0][0] < scoring.local_only_below:
        return [Alignment(lower_doc=measure.doc_id, lower_measure=measure.label, local_only=True, method=METHOD)]
    return [
        Alignment(lower_doc=measure.doc_id, lower_measure=measure.label, upper_doc=upper.doc_id,
                  upper_measure=upper.label, score=score, strength="direct" if programs or targets else "thematic",
                  rank=rank, shared_programs=programs, shared_targets=targets, reuse_ratio=round(reuse, 4),
                  method=METHOD, evidence=evidence)
        for rank, (score, upper, programs, targets, reuse, evidence) in enumerate(scored[:top_k], start=1)
    ]
