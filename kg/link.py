"""Concept linking: program mentions -> SKOS concepts (curated lexicon + discovered names).

A program's canonical name is its core name: no quotation marks, no spaces, no generic trailing
word the texts add or drop (“县管校聘”改革 -> 县管校聘), and only what is inside the quotes when
a qualifier precedes them (义务教育“双减” -> 双减). Variant names become one concept.
"""
from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Optional

import rdflib
from rdflib.namespace import SKOS

from kg.errors import InputError
from kg.records import Concept, Mention

ONTOLOGY_DIR = Path(__file__).resolve().parents[1] / "ontology"
DEFAULT_LEXICON = ONTOLOGY_DIR / "programs.skos.ttl"
KIND = rdflib.URIRef("https://w3id.org/policy-kg/ontology#kind")
QUOTES = "“”‘’\"「」『』"
QUOTED = re.compile(r"[“‘\"「『]([^“”‘’\"「」『』]+)[”’\"」』]")


@dataclass
class Lexicon:
    """Curated program concepts, indexed by every label (pref and alt)."""

    concepts: dict[str, Concept] = field(default_factory=dict)  # concept_id -> Concept
    by_label: dict[str, str] = field(default_factory=dict)  # normalised label -> concept_id

    def lookup(self, label: str) -> Optional[Concept]:
        concept_id = self.by_label.get(_normalise(label))
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


def _normalise(surface: str) -> str:
    return re.sub(rf"[{QUOTES}\s\u3000]", "", surface)


@functools.lru_cache(maxsize=1)
def generic_trailing() -> tuple[str, ...]:
    from kg.components import load_yaml

    words = load_yaml("program_patterns.yaml")["generic_trailing"]
    return tuple(sorted(words, key=len, reverse=True))


@functools.lru_cache(maxsize=1)
def entity_heads() -> tuple[str, ...]:
    """Head nouns that make a quoted name plus its head a thing of its own (训练营, 平台)."""
    from kg.components import load_yaml

    heads = load_yaml("program_patterns.yaml")["heads"]
    return tuple(h for h in heads if h not in generic_trailing())


def _strip_generic(name: str, repeat: bool) -> str:
    while True:
        for word in generic_trailing():
            if name.endswith(word) and len(name) - len(word) >= 2:
                name = name[: -len(word)]
                break
        else:
            return name
        if not repeat:
            return name


def merge_key(label: str) -> str:
    """What two variant names of one program share: the name without generic trailing words."""
    return _strip_generic(_normalise(label), repeat=True)


def canonical_form(surface: str, lexicon: Optional[Lexicon] = None) -> str:
    """The canonical program name of a surface form (see the module docstring)."""
    lexicon = lexicon if lexicon is not None else load_lexicon()
    plain = _normalise(surface)
    curated = lexicon.lookup(plain)
    if curated is not None:
        return curated.pref_label
    quoted = QUOTED.search(surface)
    if quoted:
        inner = _normalise(quoted.group(1))
        trailing = _strip_generic(_normalise(surface[quoted.end():]), repeat=True)
        if trailing in generic_trailing() or not trailing.endswith(entity_heads()):
            trailing = ""  # “3+2”人才培养模式 is 3+2; “满天星”训练营 names the camp itself
        name = inner + trailing
        curated = lexicon.lookup(name) or lexicon.lookup(inner)
        if curated is not None and not trailing:
            return curated.pref_label
        return name
    stripped = _strip_generic(plain, repeat=False)
    curated = lexicon.lookup(stripped)
    if curated is not None:
        return curated.pref_label
    return plain


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
            lexicon.by_label.setdefault(_normalise(label), concept.concept_id)
    return lexicon


def load_lexicon(path: Optional[Path | str] = None, use_lexicon: bool = True) -> Lexicon:
    """The curated program lexicon (``ontology/programs.skos.ttl`` by default); cached.
    ``use_lexicon=False`` gives an empty lexicon: concepts then rest on discovery alone."""
    if not use_lexicon:
        return Lexicon()
    return _load_lexicon_cached(str(path or DEFAULT_LEXICON))


def link(mentions: list[Mention], lexicon: Optional[Lexicon] = None) -> tuple[list[Mention], list[Concept]]:
    """Set ``canonical`` and ``concept`` on program mentions; one Concept per program concept.

    Names that differ only by a generic trailing word (校长职级制 / 校长职级制改革) share a concept.
    """
    lexicon = lexicon if lexicon is not None else load_lexicon()
    canonicals = {id(m): canonical_form(m.text, lexicon) for m in mentions if m.type == "program"}

    groups: dict[str, list[Mention]] = {}
    curated_by_key: dict[str, Concept] = {}
    for mention in mentions:
        if mention.type != "program":
            continue
        canonical = canonicals[id(mention)]
        curated = lexicon.lookup(canonical)
        key = curated.concept_id if curated else merge_key(canonical)
        if curated:
            curated_by_key[key] = curated
        groups.setdefault(key, []).append(mention)

    concepts: list[Concept] = []
    linked: dict[int, tuple[str, str]] = {}
    for key, members in sorted(groups.items()):
        if key in curated_by_key:
            base = curated_by_key[key]
            pref, cid, kind = base.pref_label, base.concept_id, base.kind
            known = {_normalise(label) for label in [base.pref_label, *base.alt_labels]}
            extra = sorted({_normalise(m.text) for m in members} - known)
            concept = replace(base, alt_labels=sorted(set(base.alt_labels) | set(extra)))
        else:
            names = [canonicals[id(m)] for m in members]
            pref = min(set(names), key=lambda n: (len(n), -names.count(n), n))
            cid = concept_id(pref)
            kinds = [m.subtype for m in members if m.subtype]
            kind = max(sorted(set(kinds)), key=kinds.count) if kinds else None
            alts = sorted({_normalise(m.text) for m in members} - {pref})
            concept = Concept(cid, pref, "programs", alts, kind, False)
        concepts.append(concept)
        for member in members:
            linked[id(member)] = (concept.pref_label, concept.concept_id)

    out = []
    for mention in mentions:
        if mention.type == "program":
            pref, cid = linked[id(mention)]
            mention = replace(mention, canonical=pref, concept=cid)
        elif mention.type == "organization" and mention.canonical is None:
            mention = replace(mention, canonical=_normalise(mention.text))
        out.append(mention)
    return out, concepts
