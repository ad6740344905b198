"""Rank the upper-level passages of every measure of a lower-level document.

    score = period_factor * min(1, w_text * cosine + w_reuse * reuse + named bonus)

``direct`` = the two passages share a specific name or a target indicator both set numbers for,
and are about the same thing (text cosine near the measure's best); otherwise ``thematic``.
Links come from the upper documents in force for the lower document's year only; passages of
upper documents issued later follow as labelled context (``Alignment.period == "later"``).
"""
from __future__ import annotations

import dataclasses
import functools
import heapq
import math
from collections import Counter
from typing import Iterable, Optional

from kg.analysis.align.heap import collect_cycles_later
from kg.analysis.align.names import NameFinder, TargetsShared, attach_names, name_kinds, shared_names, specific_names
from kg.analysis.align.similarity import NgramIndex
from kg.analysis.align.units import Unit, alignable_units, measure_units
from kg.analysis.align.verbatim import SeedFinder, evidence_spans
from kg.analysis.hierarchy import PeriodRelation, RegionIndex, context_documents, period_relation, upper_documents
from kg.fanout import CHUNKS_PER_WORKER, balanced_chunks, forked_map
from kg.records import Alignment, Corpus
from kg.resources import AlignmentSettings, ScoringSettings, alignment_settings, lexicon

METHOD = "tfidf-char-ngram+ngram-reuse+concepts"


def _units_by_doc(corpus: Corpus, doc_ids: Iterable[str], settings: AlignmentSettings,
                  lower: bool) -> dict[str, list[Unit]]:
    make = measure_units if lower else alignable_units
    return {d: make(corpus.document(d), corpus.sections.get(d, []), settings) for d in doc_ids}


@dataclasses.dataclass(frozen=True)
class AlignmentPlan:
    """The upper documents one lower document is compared with: its links and its context."""

    links: dict[str, PeriodRelation]  # doc id -> period; in force (or asked for by name)
    context: dict[str, PeriodRelation]  # doc id -> period; issued later: shown after the links, never one


@functools.lru_cache(maxsize=1)
def later_top_k() -> int:
    """``context.later_top_k`` of alignment.yaml: later-context passages kept per measure."""
    return int(lexicon("alignment.yaml")["context"]["later_top_k"])


def alignment_plan(corpus: Corpus, lower: Optional[str | list[str]] = None, upper: Optional[str | list[str]] = None,
                   overrides: Optional[dict[str, list[str]]] = None,
                   settings: Optional[AlignmentSettings] = None) -> dict[str, AlignmentPlan]:
    """lower doc id -> the upper documents it is aligned with (in force) and shown against (later).

    Given both ``lower`` and ``upper`` (a horizontal comparison asked for by name), the named
    documents are compared whatever their time: in force or earlier as links, later as context."""
    settings = settings or alignment_settings()
    metas = {d.doc_id: d.meta for d in corpus.documents}
    lowers = [lower] if isinstance(lower, str) else list(lower or metas)
    forced_upper = [upper] if isinstance(upper, str) else (list(upper) if upper else None)
    overrides = corpus.upper_overrides if overrides is None else overrides
    plans: dict[str, AlignmentPlan] = {}
    regions = RegionIndex(list(metas.values()))
    for doc_id in lowers:
        meta = metas[doc_id]
        # an override names its documents whatever their region: those are looked for in all
        candidates = list(metas.values()) if overrides and doc_id in overrides else regions.candidates(meta)
        if forced_upper is not None and lower is not None:
            chosen = [m for m in metas.values() if m.doc_id in forced_upper and m.doc_id != doc_id]
            relations = {m.doc_id: period_relation(m, meta.year) for m in chosen}
            links = {d: r for d, r in relations.items() if r != "later"}
            context = {d: r for d, r in relations.items() if r == "later"}
        else:
            links = {d: period_relation(metas[d], meta.year)
                     for d in upper_documents(candidates, meta, overrides, settings)}
            context = {d: "later" for d in context_documents(candidates, meta, overrides, settings)}
            if forced_upper is not None:
                links = {d: r for d, r in links.items() if d in forced_upper}
                context = {d: r for d, r in context.items() if d in forced_upper}
        if links or context:
            plans[doc_id] = AlignmentPlan(links, context)
    return plans


@collect_cycles_later
def align(corpus: Corpus, lower: Optional[str | list[str]] = None, upper: Optional[str | list[str]] = None,
          top_k: Optional[int] = None, overrides: Optional[dict[str, list[str]]] = None,
          settings: Optional[AlignmentSettings] = None, workers: int = 1, **options) -> list[Alignment]:
    """Rank upper-level passages for every measure of every lower-level document.

    Only upper documents in force for the lower document's year are links (ranks 1..top_k, period
    ``in_force``); passages of upper documents issued later follow as context (period ``later``,
    ranked after every link, never rank 1, never direct). Passages reviewing past achievements
    (``Unit.retrospective``) are no candidates, and a lower measure that reviews is not aligned.
    ``lower`` / ``upper`` restrict the documents (a doc id or a list); given both, they are compared
    even when the hierarchy would not place one above the other (horizontal comparison).
    ``overrides`` (doc id -> upper doc ids) replace the derived hierarchy for those documents;
    by default the manifest's, carried in ``corpus.upper_overrides``.
    ``options`` override entries of the ``scoring`` settings (e.g. ``local_only_below=0.1``).
    ``workers``: processes scoring the lower documents once the indexes are built (the result is
    the same: each measure is scored on its own).
    """
    settings = settings or alignment_settings()
    scoring = dataclasses.replace(settings.scoring, **options)
    top_k = top_k or scoring.top_k
    plan = alignment_plan(corpus, lower, upper, overrides, settings)
    if not plan:
        return []
    upper_ids = sorted({u for p in plan.values() for u in (*p.links, *p.context)})
    # a review of past achievements is no directive: it is not a candidate at all
    upper_units = [u for d, us in _units_by_doc(corpus, upper_ids, settings, lower=False).items()
                   for u in us if not u.retrospective]
    lower_units = {d: [u for u in us if not u.retrospective]
                   for d, us in _units_by_doc(corpus, plan, settings, lower=True).items()}
    all_units = upper_units + [u for us in lower_units.values() for u in us]
    attach_names(all_units, corpus.mentions, settings)
    index = NgramIndex(upper_units, all_units, settings)
    finder = NameFinder(upper_units)
    seeds = SeedFinder(upper_units, settings.reuse.seed_chars)
    kinds = name_kinds(corpus.concepts, settings)

    def align_documents(doc_ids: list[str]) -> list[Alignment]:
        alignments = []
        for doc_id in doc_ids:
            documents = plan[doc_id]
            periods = {**documents.context, **documents.links}
            factors = {u: scoring.period_factor[r] for u, r in periods.items()}
            for measure in lower_units[doc_id]:
                scored = _score_measure(measure, index, factors, scoring, settings, finder, seeds)
                alignments.extend(_ranked(measure, scored, documents, top_k, scoring, kinds, settings))
        return alignments

    chunks = balanced_chunks(list(plan), lambda doc_id: len(lower_units[doc_id]), workers * CHUNKS_PER_WORKER)
    return [alignment for part in forked_map(align_documents, chunks, workers) for alignment in part]


Scored = tuple[float, Unit, list[str], list[str], float, list]


def _ranked(measure: Unit, scored: list[Scored], plan: AlignmentPlan, top_k: int, scoring: ScoringSettings,
            kinds: dict[str, str], settings: AlignmentSettings) -> list[Alignment]:
    """The links (in-force passages, ranks 1..top_k) and then the later context of one measure.
    A link keeps the shared names specific enough to make it direct (``specific_names``, asked
    for the links only: the context shows no names)."""
    links = [item for item in scored if item[1].doc_id in plan.links][:top_k]
    context = [item for item in scored if item[1].doc_id in plan.context
               and item[0] >= scoring.local_only_below][:later_top_k()]
    out = []
    if not links or links[0][0] < scoring.local_only_below:
        links = []
        out.append(Alignment(lower_doc=measure.doc_id, lower_measure=measure.label, local_only=True, method=METHOD))
    for rank, (score, upper, programs, targets, reuse, evidence) in enumerate(links, start=1):
        programs = specific_names(programs, measure, upper, kinds, settings)
        out.append(Alignment(
            lower_doc=measure.doc_id, lower_measure=measure.label, upper_doc=upper.doc_id,
            upper_measure=upper.label, score=score, strength="direct" if programs or targets else "thematic",
            rank=rank, shared_programs=programs, shared_targets=targets, reuse_ratio=round(reuse, 4),
            method=METHOD, evidence=evidence, period=plan.links[upper.doc_id]))
    # context: after every link (never rank 1), thematic only: a later text was not taken up
    for rank, (score, upper, _programs, _targets, reuse, evidence) in enumerate(context, start=max(1, len(links)) + 1):
        out.append(Alignment(
            lower_doc=measure.doc_id, lower_measure=measure.label, upper_doc=upper.doc_id,
            upper_measure=upper.label, score=score, strength="thematic", rank=rank,
            reuse_ratio=round(reuse, 4), method=METHOD, evidence=evidence, period=plan.context[upper.doc_id]))
    return out


def _score_measure(measure: Unit, index: NgramIndex, factors: dict[str, float], scoring: ScoringSettings,
                   settings: AlignmentSettings, finder: Optional[NameFinder] = None,
                   seeds: Optional[SeedFinder] = None) -> list[Scored]:
    """Every candidate passage of the documents in ``factors`` scored, best first.

    The shared names of an item are all the names the pair shares, and may be less specific than
    a direct link needs: :func:`_ranked` keeps the specific ones (``specific_names``) of the items
    it shows. ``seeds`` finds where the measure shares verbatim seeds with the passages."""
    weights = scoring.weights
    cosines = index.search(measure.vector, set(factors))
    # the index's best candidates plus any passage sharing a name, then scored in detail
    candidates = set(heapq.nlargest(settings.similarity.candidates, cosines, key=cosines.get))
    if measure.names or measure.targets:
        # cosines holds passages of these documents only: the other documents' are never needed
        naming = (finder or NameFinder(index.units)).sharing(measure, factors)
        candidates |= {p for p in cosines if p in naming or (measure.targets and index.units[p].targets)}
        targets_shared = TargetsShared(measure, settings.continuity.indicator_similarity)
        # the finder's passages are exactly those ``shared_names`` finds a name in: no other is read
        shared = {p: (shared_names(measure, index.units[p]) if p in naming else [],
                      targets_shared(index.units[p])) for p in candidates}
    else:
        shared = {}  # a measure naming nothing shares nothing
    # a name many passages share (双减 in a dozen) says less about this pair than a rare one
    spread = Counter(name for programs, _ in shared.values() for name in programs)
    best_cosine = max(cosines.values(), default=0.0)
    order = list(candidates)
    starts = seeds.starts(measure.text, order) if seeds is not None else None
    length = max(1, len(measure.text))
    nothing: tuple[list[str], list[str]] = ([], [])
    # the cosines that make a pair topical, and a target-sharing pair direct: once per measure
    topical_cosine = scoring.direct_min_relative_text * best_cosine
    target_cosine = scoring.direct_target_relative_text * scoring.direct_min_relative_text * best_cosine
    scored = []
    for position in order:
        upper = index.units[position]
        programs, targets = shared.get(position, nothing)
        cosine = cosines[position]
        if starts is None or position in starts:
            evidence = evidence_spans(measure, upper, settings, None if starts is None else starts[position])
            reuse = sum(e.lower_end - e.lower_start for e in evidence) / length
        else:  # no seed in common: nothing copied (most pairs)
            evidence, reuse = [], 0 / length
        named = min(scoring.max_named_bonus,
                    (sum(weights.program / math.sqrt(spread[name]) for name in programs) if programs else 0)
                    + weights.target * len(targets))
        raw = weights.text * cosine + weights.reuse * reuse + named
        factor = factors[upper.doc_id] * (scoring.retrospective_factor if upper.retrospective else 1.0)
        score = round(min(1.0, raw) * factor, 4)
        # a name mentioned in passing (双减 in a list of inspection areas) does not make a pair
        # direct: the passages must also be about the same thing
        if cosine < topical_cosine:
            programs = []
            # a number set for the same indicator is itself the topic: a list of targets (the
            # plan's goals, a 专栏) shares few words with a measure that carries one of them out
            if cosine < target_cosine:
                targets = []
        scored.append((score, upper, programs, targets, reuse, evidence))
    scored.sort(key=lambda item: (-item[0], item[1].doc_id, item[1].label))
    return scored
