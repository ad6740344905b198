"""Scores against hand-made answer keys (``kg eval``): mentions and metadata (mentions), the
alignment key (alignment)."""
from kg.evaluate.alignment import evaluate_alignment
from kg.evaluate.mentions import EvalReport, Score, evaluate, load_keys

__all__ = ["EvalReport", "Score", "evaluate", "evaluate_alignment", "load_keys"]
