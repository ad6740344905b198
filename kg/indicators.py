"""Indicator concepts: the target indicators of all documents linked to one SKOS concept each.

Linking is conservative and decided once, at the link stage (``kg.link.link`` calls
:func:`link_targets`); continuity, the graph and the views read ``Mention.canonical`` /
``Mention.concept`` of target mentions instead of linking again.

1. Curated aliases (``ontology/indicators.yaml``): a wording listed there is its entry's concept.
2. Otherwise the normalised wording (spaces, quotes, brackets and list punctuation dropped) joins
   the first-seen group whose head has a character-bigram Dice of at least
   ``continuity.indicator_similarity`` (``ontology/lexicon/alignment.yaml``, shared with
   ``kg.analysis.align``) -- and only if both name the same scopes (``ontology/lexicon/indicator_scopes.yaml``:
   中职 vs 高职, 公办 vs 民办 ... never merge).

This module imports no other pipeline stage, so link, align and continuity can all use it.
"""
from __future__ import annotations

import functools
import hashlib
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Iterable, Optional

from kg.errors import InputError
from kg.records import Concept, Mention
from kg.text import COLONS, LIST_SEPARATORS, PARENTHESES, normalise_name

from kg.resources import ONTOLOGY_DIR, alignment_settings, read_yaml
INDICATOR_ALIASES = ONTOLOGY_DIR / "indicators.yaml"
INDICATOR_SCOPES = ONTOLOGY_DIR / "lexicon" / "indicator_scopes.yaml"
SCHEME = "indicators"

Scopes = tuple[tuple[tuple[str, ...], ...], ...]  # dimension -> scope -> wordings


def normalise_indicator(name: str) -> str:
    # double quotes, brackets, list marks and colons are how a text prints a name, not part of it
    return normalise_name(name, "“”\"" + PARENTHESES + LIST_SEPARATORS + COLONS)


def display_form(name: str) -> str:
    """The wording as a label: the text's own characters, without its line-break spaces."""
    return "".join(name.split())


def dice(a: str, b: str) -> float:
    """Character-bigram Dice coefficient (1.0 for equal strings)."""
    if a == b:
        return 1.0
    grams_a = Counter(a[i:i + 2] for i in range(len(a) - 1))
    grams_b = Counter(b[i:i + 2] for i in range(len(b) - 1))
    total = sum(grams_a.values()) + sum(grams_b.values())
    return 2 * sum((grams_a & grams_b).values()) / total if total else 0.0


def indicator_concept_id(name: str) -> str:
    """Stable, IRI-safe id of an indicator concept: a short hash of its normalised name."""
    return "ind-" + hashlib.sha1(normalise_indicator(name).encode("utf-8")).hexdigest()[:10]


def indicator_similarity() -> float:
    return float(alignment_settings().continuity.indicator_similarity)


def load_indicator_entries(path: Optional[Path | str] = None) -> dict[str, list[str]]:
    """Curated indicator name -> its aliases, from the optional alias file."""
    path = Path(path or INDICATOR_ALIASES)
    if not path.exists():
        return {}
    data = read_yaml(path) or {}
    entries = data.get("indicators", data) if isinstance(data, dict) else data
    if isinstance(entries, dict):  # canonical: [aliases]
        entries = [{"name": k, "aliases": v or []} for k, v in entries.items()]
    if not isinstance(entries, list):
        raise InputError(path, "expected a list of {name, aliases} entries under 'indicators'")
    out: dict[str, list[str]] = {}
    for entry in entries:
        if not isinstance(entry, dict) or not entry.get("name"):
            raise InputError(path, f"an indicator entry without a name: {entry!r}")
        out[str(entry["name"])] = [str(a) for a in entry.get("aliases") or []]
    return out


@functools.lru_cache(maxsize=4)
def _aliases_cached(path: str) -> dict[str, str]:
    aliases = {}
    for name, alternatives in load_indicator_entries(path).items():
        for alias in [name, *alternatives]:
            aliases[normalise_indicator(alias)] = name
    return aliases


def load_indicator_aliases(path: Optional[Path | str] = None) -> dict[str, str]:
    """normalised alias -> canonical indicator name, from the optional alias file (cached)."""
    return dict(_aliases_cached(str(path or INDICATOR_ALIASES)))


@functools.lru_cache(maxsize=4)
def load_scopes(path: Optional[Path | str] = None) -> Scopes:
    path = Path(path or INDICATOR_SCOPES)
    data = read_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get("scopes"), dict):
        raise InputError(path, "expected a mapping 'scopes: {dimension: [[wordings], ...]}'")
    dimensions = []
    for dimension, scopes in data["scopes"].items():
        if not isinstance(scopes, list) or not all(isinstance(s, list) and s for s in scopes):
            raise InputError(path, f"scope dimension {dimension!r} must be a list of non-empty lists")
        dimensions.append(tuple(tuple(str(w) for w in scope) for scope in scopes))
    return tuple(dimensions)


def scope_signature(name: str, scopes: Scopes) -> tuple[frozenset[int], ...]:
    """For each dimension, which of its scopes the wording names."""
    return tuple(frozenset(i for i, words in enumerate(dimension) if any(w in name for w in words))
                 for dimension in scopes)


def link_indicators(names: Iterable[str], threshold: Optional[float] = None,
                    aliases: Optional[dict[str, str]] = None,
                    scopes: Optional[Scopes] = None) -> dict[str, str]:
    """indicator wording -> the name of its indicator concept.

    A curated alias gives its entry's name; otherwise the wording joins the first-seen group
    (curated or not) it is similar enough to and shares every scope with, or starts a group.
    Defaults: the configured threshold, the alias file and the scope file.
    """
    threshold = indicator_similarity() if threshold is None else threshold
    aliases = load_indicator_aliases() if aliases is None else aliases
    scopes = load_scopes() if scopes is None else scopes
    canonical: dict[str, str] = {}
    heads: list[tuple[str, tuple, str]] = []  # (normalised, scope signature, concept name)
    for name in names:
        if name in canonical:
            continue
        key = normalise_indicator(name)
        signature = scope_signature(key, scopes)
        if key in aliases:
            match = aliases[key]
        else:
            match = next((concept for head, head_scopes, concept in heads
                          if head_scopes == signature and dice(key, head) >= threshold), None)
        if match is None:
            match = display_form(name)
        # a curated wording also heads a group, so its unlisted near-variants join the curated concept
        if not any(head == key for head, _, _ in heads):
            heads.append((key, signature, match))
        canonical[name] = match
    return canonical


def link_targets(mentions: list[Mention], threshold: Optional[float] = None,
                 aliases_path: Optional[Path | str] = None) -> tuple[list[Mention], list[Concept]]:
    """Set ``canonical`` (concept name) and ``concept`` (``ind-…`` id) on every target mention with
    an indicator; one Concept (scheme ``indicators``) per indicator concept, its alternative labels
    the curated aliases plus every other wording seen. Other mentions pass through unchanged."""
    entries = load_indicator_entries(aliases_path)
    aliases = load_indicator_aliases(aliases_path)
    targets = [m for m in mentions if m.type == "target" and m.indicator]
    canonical = link_indicators([m.indicator for m in targets], threshold, aliases)
    meaning = _one_meaning_each(targets, canonical)
    wordings: dict[str, set[str]] = {}
    for mention in targets:
        wordings.setdefault(meaning[id(mention)], set()).add(display_form(mention.indicator))
    concepts = []
    for pref, seen in sorted(wordings.items()):
        curated = pref in entries
        alts = (set(entries.get(pref, [])) | seen) - {pref}
        concepts.append(Concept(indicator_concept_id(pref), pref, SCHEME, sorted(alts), None, curated))
    out = [replace(m, canonical=meaning[id(m)], concept=indicator_concept_id(meaning[id(m)]))
           if id(m) in meaning else m for m in mentions]
    return out, concepts


def _one_meaning_each(targets: list[Mention], canonical: dict[str, str]) -> dict[int, str]:
    """The indicator concept of each target, split by what its unit measures: wordings that join by
    name (幼儿园) but count schools in one plan and give a share in another are two indicators.
    The class most values use keeps the name; each other class is named with its unit (幼儿园（%）);
    a value without a unit stays with the name."""
    by_class: dict[str, Counter] = defaultdict(Counter)
    units: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for mention in targets:
        name, kind = canonical[mention.indicator], unit_class(mention.unit)
        if kind != "none":
            by_class[name][kind] += 1
            units[(name, kind)]["".join((mention.unit or "").split())] += 1
    meaning = {}
    for mention in targets:
        name, kind = canonical[mention.indicator], unit_class(mention.unit)
        classes = by_class.get(name)
        main = min(classes, key=lambda c: (-classes[c], c)) if classes else None
        if kind == "none" or kind == main:
            meaning[id(mention)] = name
        else:
            unit = min(units[(name, kind)], key=lambda u: (-units[(name, kind)][u], u))
            meaning[id(mention)] = f"{name}（{unit}）"
    return meaning


# ---------------------------------------------------------------- unit classes

@functools.lru_cache(maxsize=4)
def load_unit_classes(path: Optional[Path | str] = None) -> tuple[tuple[str, str], ...]:
    """(wording, class) of ``unit_classes`` in indicator_scopes.yaml, longest wording first."""
    path = Path(path or INDICATOR_SCOPES)
    data = read_yaml(path)
    classes = data.get("unit_classes") if isinstance(data, dict) else None
    if not isinstance(classes, dict):
        raise InputError(path, "expected a mapping 'unit_classes: {class: [unit wordings]}'")
    pairs = [(str(word), str(name)) for name, words in classes.items() for word in words or []]
    return tuple(sorted(pairs, key=lambda pair: -len(pair[0])))


def unit_class(unit: Optional[str], path: Optional[Path | str] = None) -> str:
    """What a target's unit measures: percent, count, people, money … ("none" without a unit).

    Values of one indicator are one trajectory only within one class (幼儿园 100% vs 1848 所)."""
    unit = "".join((unit or "").split())
    if not unit:
        return "none"
    for word, name in load_unit_classes(path):
        if unit.endswith(word):
            return name
    return f"unit:{unit}"
