"""Scores against hand-made answer keys (``kg eval``): reading the keys (keys), comparing a
prediction with a key item (matching), scoring mentions and metadata into a report (mentions),
scoring the alignment key (alignment)."""
from kg.evaluate.alignment import evaluate_alignment
from kg.evaluate.keys import load_alignment_key, load_keys
from kg.evaluate.matching import comparable_name, indicator_similarity, name_keys, values_equal
from kg.evaluate.mentions import CATEGORIES, EvalReport, Score, evaluate

__all__ = [
    "CATEGORIES", "EvalReport", "Score", "comparable_name", "evaluate", "evaluate_alignment", "indicator_similarity",
    "load_alignment_key", "load_keys", "name_keys", "values_equal",
]
