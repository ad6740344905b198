"""The curated program lexicon (``ontology/programs.skos.ttl``): SKOS concepts indexed by label.

Read by extraction (the lexicon gazetteer) and by linking (canonical names, concept ids), so it
lives below both stages. ``merge_key`` / ``concept_id`` are what make variant names one concept.
"""
from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import rdflib
from rdflib.namespace import SKOS

from kg.errors import InputError
from kg.records import Concept
from kg.resources import ONTOLOGY_DIR, lexicon as load_yaml
from kg.text import name_key, normalise_name

DEFAULT_LEXICON = ONTOLOGY_DIR / "programs.skos.ttl"
KIND = rdflib.URIRef("https://w3id.org/policy-kg/ontology#kind")


@dataclass
class Lexicon:
    """Curated program concepts, indexed by every label (pref and alt)."""

    concepts: dict[str, Concept] = field(default_factory=dict)  # concept_id -> Concept
    by_label: dict[str, str] = field(default_factory=dict)  # normalised label -> concept_id

    def lookup(self, label: str) -> Optional[Concept]:
        concept_id = self.by_label.get(normalise_name(label))
        return self.concepts.get(concept_id) if concept_id else None

    def labels(self) -> dict[str, Concept]:
        """Every surface label -> its concept (used by the extraction gazetteer)."""
        out = {}
        for concept in self.concepts.values():
            for label in [concept.pref_label, *concept.alt_labels]:
                out[label] = concept
        return out


def concept_id(label: str) -> str:
    """Stable, IRI-safe id of a program concept: a short hash of its merge key."""
    return "prog-" + hashlib.sha1(merge_key(label).encode("utf-8")).hexdigest()[:10]


@functools.lru_cache(maxsize=1)
def generic_trailing() -> tuple[str, ...]:
    words = load_yaml("program_patterns.yaml")["generic_trailing"]
    return tuple(sorted(words, key=len, reverse=True))


def strip_generic(name: str, repeat: bool) -> str:
    return name_key(name, generic_trailing(), 2, repeat)


def merge_key(label: str) -> str:
    """What two variant names of one program share: the name without generic trailing words."""
    return strip_generic(normalise_name(label), repeat=True)


@functools.lru_cache(maxsize=4)
def _load_lexicon_cached(path: str) -> Lexicon:
    graph = rdflib.Graph()
    try:
        graph.parse(path, format="turtle")
    except FileNotFoundError:
        raise InputError(path, "program lexicon is missing") from None
    except Exception as exc:  # rdflib raises several parser error types
        raise InputError(path, f"not valid Turtle ({exc.__class__.__name__})") from None
    lexicon = Lexicon()
    for subject in graph.subjects(SKOS.prefLabel, None):
        if (subject, rdflib.RDF.type, SKOS.Concept) not in graph:
            continue
        pref = str(graph.value(subject, SKOS.prefLabel))
        alts = sorted(str(o) for o in graph.objects(subject, SKOS.altLabel))
        kind = graph.value(subject, KIND)
        local = re.split(r"[/#:]", str(subject))[-1]
        concept = Concept(local or concept_id(pref), pref, "programs", alts, str(kind) if kind else None, True)
        lexicon.concepts[concept.concept_id] = concept
        for label in [pref, *alts]:
            lexicon.by_label.setdefault(normalise_name(label), concept.concept_id)
    return lexicon


def load_lexicon(path: Optional[Path | str] = None, use_lexicon: bool = True) -> Lexicon:
    """The curated program lexicon (``ontology/programs.skos.ttl`` by default); cached.
    ``use_lexicon=False`` gives an empty lexicon: concepts then rest on discovery alone."""
    if not use_lexicon:
        return Lexicon()
    return _load_lexicon_cached(str(path or DEFAULT_LEXICON))
