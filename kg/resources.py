"""Where the domain data lives (``ontology/``) and how it is read: once, with clear errors."""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

from kg.errors import InputError

ONTOLOGY_DIR = Path(__file__).resolve().parent.parent / "ontology"
LEXICON_DIR = ONTOLOGY_DIR / "lexicon"


@functools.lru_cache(maxsize=None)
def read_yaml(path: Path | str) -> Any:
    """A YAML data file (cached: gazetteers and settings load once; do not mutate the result)."""
    path = Path(path)
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(path, "data file is missing") from None
    except yaml.YAMLError as err:
        raise InputError(path, f"not valid YAML ({err.__class__.__name__})") from None


def lexicon(name: str) -> dict[str, Any]:
    """One mapping-shaped file of ``ontology/lexicon/``."""
    data = read_yaml(LEXICON_DIR / name)
    if not isinstance(data, dict):
        raise InputError(LEXICON_DIR / name, "expected a mapping at the top level")
    return data
