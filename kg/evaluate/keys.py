"""Reading the answer keys ``kg eval`` scores against: one YAML per document (format: the gold
folder's GUIDELINES.md) and ``alignment_*.yaml``. They are files the user passes, so they are read
with ``load_user_yaml`` (anchors, aliases, duplicate keys and oversized files refused)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from kg.errors import InputError
from kg.resources import load_user_yaml

ALIGNMENT_KEYS = "alignment_*.y*ml"


def load_keys(gold_dir: Path) -> dict[str, dict[str, Any]]:
    """The per-document answer keys of ``gold_dir``, by doc_id (alignment keys left out)."""
    if not gold_dir.is_dir():
        raise InputError(gold_dir, "answer-key folder not found")
    keys = {}
    for path in sorted(gold_dir.glob("*.y*ml")):
        if path.name.startswith("alignment"):
            continue
        data = load_user_yaml(path)
        if not isinstance(data, dict) or "doc_id" not in data:
            raise InputError(path, "not an answer key (no doc_id)")
        keys[str(data["doc_id"])] = data
    if not keys:
        raise InputError(gold_dir, "no answer keys (*.yaml with a doc_id) found")
    return keys


def alignment_key_paths(gold_dir: Path) -> list[Path]:
    return sorted(gold_dir.glob(ALIGNMENT_KEYS))


def load_alignment_key(path: Path) -> list[dict[str, Any]]:
    """An alignment key: a list of items, each naming its ``district_item``."""
    try:
        items = load_user_yaml(path)
    except FileNotFoundError:
        raise InputError(path, "answer key not found") from None
    if not isinstance(items, list) or not all(isinstance(i, dict) and "district_item" in i for i in items):
        raise InputError(path, "not an alignment key (a list of items with district_item)")
    return items
