"""Measure-level alignment of lower-level plans with their upper-level documents.

For each measure of a lower-level document (a district plan) the passages of its upper-level
documents (measures, sub-paragraphs, 专栏 columns, 工程 projects; :mod:`.units`) are ranked by

    score = period_factor * min(1, w_text * cosine + w_reuse * reuse + named bonus)

- ``cosine``: TF-IDF cosine over character n-grams (:mod:`.similarity`). Upper passages are
  indexed once in an inverted index, so a measure is compared with candidates only.
- ``reuse``: share of the lower measure copied verbatim from the passage (exact n-gram seeds
  extended to maximal matches, passim-style; :mod:`.verbatim`; only on the index's candidates).
- named bonus: shared program concepts and cited documents (from mentions when the extract /
  link stages ran, plus “quoted” names and 《titles》 read straight from the text) and shared
  target indicators (:mod:`.names`).
- ``period_factor``: scales the score by the upper document's period. Only upper documents in
  force for the lower document's year (issued no later, period covering it) are links, ranks
  1..top_k, ``Alignment.period == "in_force"``; passages of upper documents issued later follow as
  context (``period == "later"``, ranked after every link, never rank 1, never direct, not reuse);
  earlier plans no longer in force are not aligned unless a manual override names them
  (``period == "earlier"``). See :func:`.ranking.alignment_plan`.
- reviews of past achievements (``Unit.retrospective``: a review part's title, or most of the
  passage's own sentences, ``review`` in alignment.yaml) are no upper candidates, and a lower
  measure that reviews is not aligned.

``direct`` = the two passages share a *specific* name (program, cited document) or a target
indicator both set numbers for; otherwise ``thematic``. Not specific enough on their own:
routine duties and slogans (``names.thematic`` / ``thematic_patterns``), routine kinds such as
party-building institutions unless quoted as a name or the topic (title) of both passages.
A measure whose best score is under ``local_only_below`` is local only (:mod:`.ranking`).
Reuse, refinement and coverage per document: :mod:`.reuse`.
All weights and thresholds: ``ontology/lexicon/alignment.yaml`` (:func:`kg.resources.alignment_settings`).
"""
from kg.analysis.align.names import (QUOTED_NAME, TITLED_NAME, NameFinder, TargetsShared, attach_names, name_kinds,
                                     normalise_name, shared_names, shared_targets, specific_names)
from kg.analysis.align.ranking import METHOD, AlignmentPlan, align, alignment_plan
from kg.analysis.align.reuse import refinements, reuse_summary
from kg.analysis.align.similarity import NgramIndex, char_ngrams
from kg.analysis.align.units import Unit, alignable_units, is_review, measure_units, plain_text
from kg.analysis.align.verbatim import SeedFinder, evidence_spans, seed_index, seed_starts, verbatim_spans

__all__ = [
    "METHOD", "QUOTED_NAME", "TITLED_NAME", "AlignmentPlan", "NameFinder", "NgramIndex", "SeedFinder", "TargetsShared",
    "Unit", "align", "alignable_units", "alignment_plan", "attach_names", "char_ngrams", "evidence_spans",
    "is_review", "measure_units", "name_kinds", "normalise_name", "plain_text", "refinements", "reuse_summary",
    "seed_index", "seed_starts", "shared_names", "shared_targets", "specific_names", "verbatim_spans",
]
