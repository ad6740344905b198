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
- ``period_factor``: the plan in force in the lower document's year first; earlier or later
  documents count as context.

``direct`` = the two passages share a *specific* name (program, cited document) or a target
indicator both set numbers for; otherwise ``thematic``. Not specific enough on their own:
routine duties and slogans (``names.thematic`` / ``thematic_patterns``), routine kinds such as
party-building institutions unless quoted as a name or the topic (title) of both passages, and a
name a review-of-achievements passage shares with a forward-looking passage of the same plan.
A measure whose best score is under ``local_only_below`` is local only (:mod:`.ranking`).
Reuse, refinement and coverage per document: :mod:`.reuse`.
All weights and thresholds: ``ontology/lexicon/alignment.yaml`` (:func:`kg.resources.alignment_settings`).
"""
from kg.analysis.align.names import (QUOTED_NAME, TITLED_NAME, NameFinder, attach_names, name_kinds, normalise_name,
                                     shared_names, shared_targets, specific_names)
from kg.analysis.align.ranking import METHOD, align
from kg.analysis.align.reuse import refinements, reuse_summary
from kg.analysis.align.similarity import NgramIndex, char_ngrams
from kg.analysis.align.units import Unit, alignable_units, measure_units, plain_text
from kg.analysis.align.verbatim import evidence_spans, seed_index, verbatim_spans

__all__ = [
    "METHOD", "QUOTED_NAME", "TITLED_NAME", "NameFinder", "NgramIndex", "Unit", "align", "alignable_units",
    "attach_names", "char_ngrams", "evidence_spans", "measure_units", "name_kinds", "normalise_name",
    "plain_text", "refinements", "reuse_summary", "seed_index", "shared_names", "shared_targets",
    "specific_names", "verbatim_spans",
]
