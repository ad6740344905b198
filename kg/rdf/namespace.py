"""The project's vocabulary and the rules for minting stable IRIs.

``KG`` is a closed namespace mirroring ``ontology/kg.ttl`` (a misspelt term raises
``AttributeError``; tests/test_graph.py checks the two agree). Every resource IRI is
derived from document ids, section labels and names only, so rebuilding the same corpus
yields the same IRIs. Non-ASCII and reserved characters are percent-encoded, which keeps
the mapping injective (``004_…#1`` and ``004_…%231`` cannot collide).

Each minting rule gives an rdflib term (``doc_iri(id)``, for tests and small graphs) and the
same IRI as N-Triples text (``doc_iri.text(id)``), which is what the build writes: it makes
no rdflib term per triple (kg.rdf.graph). ``iri_text``/``literal_text`` write any term as
N-Triples, character for character ``str()`` of the Oxigraph term, so lines sort and
de-duplicate exactly as the terms do.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Callable
from urllib.parse import quote

from rdflib import URIRef
from rdflib.namespace import DCTERMS, FOAF, ORG, OWL, PROV, RDF, RDFS, SKOS, TIME, XSD, DefinedNamespace, Namespace

from kg.resources import ONTOLOGY_DIR
ONTOLOGY_FILE = ONTOLOGY_DIR / "kg.ttl"
SHAPES_FILE = ONTOLOGY_DIR / "shapes.ttl"
QUERIES_DIR = ONTOLOGY_DIR / "queries"

ONTOLOGY_IRI = "https://w3id.org/policy-kg/def"
ID = "https://w3id.org/policy-kg/id/"
OA = Namespace("http://www.w3.org/ns/oa#")
# European Legislation Identifier ontology: eli:cites, eli:implements between documents
ELI = Namespace("http://data.europa.eu/eli/ontology#")


class KG(DefinedNamespace):
    """Terms of ``ontology/kg.ttl``."""

    _NS = Namespace(ONTOLOGY_IRI + "#")
    _fail = True

    # classes
    PolicyDocument: URIRef
    Compilation: URIRef
    Section: URIRef
    Measure: URIRef
    Place: URIRef
    QuantitativeTarget: URIRef
    Alignment: URIRef
    EvidenceSpan: URIRef
    # concept schemes
    programScheme: URIRef
    indicatorScheme: URIRef
    # documents
    docId: URIRef
    level: URIRef
    signatory: URIRef
    sha256: URIRef
    sourceFile: URIRef
    sourceFormat: URIRef
    status: URIRef
    measureCount: URIRef
    textLength: URIRef
    # sections
    inDocument: URIRef
    sectionKind: URIRef
    number: URIRef
    order: URIRef
    depth: URIRef
    outlineOnly: URIRef
    textPosition: URIRef
    localOnly: URIRef
    # mentions
    mentionType: URIRef
    inSection: URIRef
    sentence: URIRef
    sentenceText: URIRef
    extractedBy: URIRef
    # entities
    orgType: URIRef
    withinPlace: URIRef
    citedKind: URIRef
    programKind: URIRef
    curated: URIRef
    # quantitative targets
    indicator: URIRef
    indicatorLabel: URIRef
    value: URIRef
    printedValue: URIRef
    unit: URIRef
    comparator: URIRef
    targetYear: URIRef
    targetKind: URIRef
    evidence: URIRef
    # alignments
    lowerSection: URIRef
    upperSection: URIRef
    score: URIRef
    strength: URIRef
    method: URIRef
    rank: URIRef
    sharedProgram: URIRef
    sharedCitation: URIRef
    sharedTarget: URIRef
    reuseRatio: URIRef
    quote: URIRef
    lowerStart: URIRef
    lowerEnd: URIRef
    upperStart: URIRef
    upperEnd: URIRef
    period: URIRef
    reviewPassage: URIRef
    # relations
    StatedRelation: URIRef
    relationType: URIRef
    relationSubject: URIRef
    relationObject: URIRef
    role: URIRef
    carriesOut: URIRef
    hasTarget: URIRef
    responsibleUnit: URIRef
    leadUnit: URIRef
    supportUnit: URIRef
    oversightUnit: URIRef
    localScope: URIRef
    governmentKey: URIRef
    organizationTypeScheme: URIRef
    # continuity
    ProgramSpell: URIRef
    ProgramChange: URIRef
    program: URIRef
    firstSeen: URIRef
    lastSeen: URIRef
    seenIn: URIRef
    fromDocument: URIRef
    toDocument: URIRef
    newProgram: URIRef
    continuedProgram: URIRef
    droppedProgram: URIRef
    renamedProgram: URIRef
    IndicatorTrajectory: URIRef
    unitClass: URIRef
    point: URIRef


# Prefixes bound in every serialisation: only the vocabularies the graph uses. Resource IRIs
# stay written in full: their percent-encoded paths make unreadable prefixed names.
PREFIXES: dict[str, str] = {
    "kg": str(KG._NS),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "xsd": str(XSD),
    "owl": str(OWL),
    "dcterms": str(DCTERMS),
    "prov": str(PROV),
    "oa": str(OA),
    "skos": str(SKOS),
    "org": str(ORG),
    "foaf": str(FOAF),
    "time": str(TIME),
    "eli": str(ELI),
}


# ------------------------------------------------------------------ N-Triples text

# IRIREF excludes these; minted IRIs are percent-encoded, so one here is a bug, not data to escape
_NOT_IN_IRI = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_NEEDS_ESCAPE = re.compile(r'[\x00-\x1f"\\\x7f]')
# the escapes Oxigraph writes (ECHAR where one exists, UCHAR for the other control characters)
_LITERAL_ESCAPES = str.maketrans({
    **{chr(code): f"\\u{code:04X}" for code in (*range(0x20), 0x7F)},
    "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r", '"': '\\"', "\\": "\\\\",
})


def iri_text(iri: str) -> str:
    """An IRI as N-Triples (``<iri>``); ValueError for a character no IRI may hold (space, ``<``, ``"`` …)."""
    if _NOT_IN_IRI.search(iri):
        raise ValueError(f"not an IRI: {iri!r}")
    return f"<{iri}>"


def literal_text(value: str, language: str | None = None, datatype: str | None = None) -> str:
    """A literal as N-Triples: ``"value"``, ``"value"@language`` or ``"value"^^<datatype>``.

    ``datatype`` is N-Triples text too (``VocabularyText(XSD).integer``). As Oxigraph does, an
    xsd:string is written as a simple literal and a language tag in lower case."""
    if _NEEDS_ESCAPE.search(value):
        value = value.translate(_LITERAL_ESCAPES)
    if language:
        return f'"{value}"@{language.lower()}'
    if datatype and datatype != _XSD_STRING:
        return f'"{value}"^^{datatype}'
    return f'"{value}"'


_XSD_STRING = iri_text(str(XSD.string))


class VocabularyText:
    """A vocabulary's terms as N-Triples text: ``VocabularyText(RDF).type`` is ``"<http://…#type>"``.

    Terms are looked up in the rdflib namespace once (a closed one still rejects a misspelt
    term) and kept as attributes."""

    def __init__(self, namespace):
        self._namespace = namespace

    def __getattr__(self, name: str) -> str:
        if name.startswith("_"):
            raise AttributeError(name)
        text = iri_text(str(getattr(self._namespace, name)))
        setattr(self, name, text)
        return text


def _minting(rule: Callable[..., str]):
    """A rule minting an IRI string, as a function returning the rdflib term, with ``.text``
    (the IRI as N-Triples text) and ``.iri`` (the plain string) for the build's hot path."""

    @functools.wraps(rule)
    def term(*args) -> URIRef:
        return URIRef(rule(*args))

    term.iri = rule
    term.text = lambda *args: f"<{rule(*args)}>"  # percent-encoded segments: nothing to check
    return term


# ------------------------------------------------------------------ minting

@functools.lru_cache(maxsize=1 << 16)  # labels and ids repeat in every triple about them; bounded
def _segment(text: str) -> str:
    return quote(str(text), safe="")


@_minting
def doc_iri(doc_id: str) -> str:
    return f"{ID}doc/{_segment(doc_id)}"


@_minting
def graph_iri(doc_id: str) -> str:
    """The named graph holding one document's facts."""
    return f"{doc_iri.iri(doc_id)}/graph"


CONCEPTS_GRAPH = URIRef(f"{ID}graph/concepts")
ENTITIES_GRAPH = URIRef(f"{ID}graph/entities")
ALIGNMENTS_GRAPH = URIRef(f"{ID}graph/alignments")
CONTINUITY_GRAPH = URIRef(f"{ID}graph/continuity")


@_minting
def section_iri(doc_id: str, label: str) -> str:
    return f"{doc_iri.iri(doc_id)}/section/{_segment(label)}"


@_minting
def concept_iri(concept_id: str, scheme: str = "programs") -> str:
    kind = "indicator" if scheme == "indicators" else "program"
    return f"{ID}{kind}/{_segment(concept_id)}"


@_minting
def mention_iri(doc_id: str, start: int, end: int, type: str) -> str:
    return f"{doc_iri.iri(doc_id)}/mention/{_segment(type)}/{int(start)}-{int(end)}"


@_minting
def target_iri(doc_id: str, start: int, end: int) -> str:
    return f"{doc_iri.iri(doc_id)}/target/{int(start)}-{int(end)}"


@_minting
def place_iri(name: str) -> str:
    return f"{ID}place/{_segment(name)}"


@_minting
def org_iri(name: str) -> str:
    return f"{ID}org/{_segment(name)}"


@_minting
def person_iri(name: str) -> str:
    return f"{ID}person/{_segment(name)}"


@_minting
def relation_iri(doc_id: str, kind: str, digest: str) -> str:
    return f"{doc_iri.iri(doc_id)}/relation/{_segment(kind)}/{_segment(digest)}"


@_minting
def org_type_iri(org_type: str) -> str:
    return f"{ID}org-type/{_segment(org_type)}"


@_minting
def continuity_iri(kind: str, *parts: str) -> str:
    return f"{ID}{_segment(kind)}/" + "/".join(_segment(p) for p in parts)


@_minting
def work_iri(title: str) -> str:
    """A cited document (《…》 title) that is not itself in the corpus."""
    return f"{ID}work/{_segment(title)}"


@_minting
def year_iri(year: int) -> str:
    return f"{ID}year/{int(year)}"


@_minting
def alignment_iri(lower_doc: str, lower_measure: str, upper_doc: str | None = None,
                  upper_measure: str | None = None) -> str:
    tail = f"/{_segment(upper_doc)}/{_segment(upper_measure)}" if upper_doc else ""
    return f"{ID}alignment/{_segment(lower_doc)}/{_segment(lower_measure)}{tail}"
