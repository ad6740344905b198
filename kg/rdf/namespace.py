"""The project's vocabulary and the rules for minting stable IRIs.

``KG`` is a closed namespace mirroring ``ontology/kg.ttl`` (a misspelt term raises
``AttributeError``; tests/test_graph.py checks the two agree). Every resource IRI is
derived from document ids, section labels and names only, so rebuilding the same corpus
yields the same IRIs. Non-ASCII and reserved characters are percent-encoded, which keeps
the mapping injective (``004_…#1`` and ``004_…%231`` cannot collide).
"""
from __future__ import annotations

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


def _segment(text: str) -> str:
    return quote(str(text), safe="")


def doc_iri(doc_id: str) -> URIRef:
    return URIRef(f"{ID}doc/{_segment(doc_id)}")


def graph_iri(doc_id: str) -> URIRef:
    """The named graph holding one document's facts."""
    return URIRef(f"{doc_iri(doc_id)}/graph")


CONCEPTS_GRAPH = URIRef(f"{ID}graph/concepts")
ENTITIES_GRAPH = URIRef(f"{ID}graph/entities")
ALIGNMENTS_GRAPH = URIRef(f"{ID}graph/alignments")
CONTINUITY_GRAPH = URIRef(f"{ID}graph/continuity")


def section_iri(doc_id: str, label: str) -> URIRef:
    return URIRef(f"{doc_iri(doc_id)}/section/{_segment(label)}")


def concept_iri(concept_id: str, scheme: str = "programs") -> URIRef:
    kind = "indicator" if scheme == "indicators" else "program"
    return URIRef(f"{ID}{kind}/{_segment(concept_id)}")


def mention_iri(doc_id: str, start: int, end: int, type: str) -> URIRef:
    return URIRef(f"{doc_iri(doc_id)}/mention/{_segment(type)}/{int(start)}-{int(end)}")


def target_iri(doc_id: str, start: int, end: int) -> URIRef:
    return URIRef(f"{doc_iri(doc_id)}/target/{int(start)}-{int(end)}")


def place_iri(name: str) -> URIRef:
    return URIRef(f"{ID}place/{_segment(name)}")


def org_iri(name: str) -> URIRef:
    return URIRef(f"{ID}org/{_segment(name)}")


def person_iri(name: str) -> URIRef:
    return URIRef(f"{ID}person/{_segment(name)}")


def relation_iri(doc_id: str, kind: str, digest: str) -> URIRef:
    return URIRef(f"{doc_iri(doc_id)}/relation/{_segment(kind)}/{_segment(digest)}")


def org_type_iri(org_type: str) -> URIRef:
    return URIRef(f"{ID}org-type/{_segment(org_type)}")


def continuity_iri(kind: str, *parts: str) -> URIRef:
    return URIRef(f"{ID}{_segment(kind)}/" + "/".join(_segment(p) for p in parts))


def work_iri(title: str) -> URIRef:
    """A cited document (《…》 title) that is not itself in the corpus."""
    return URIRef(f"{ID}work/{_segment(title)}")


def year_iri(year: int) -> URIRef:
    return URIRef(f"{ID}year/{int(year)}")


def alignment_iri(lower_doc: str, lower_measure: str, upper_doc: str | None = None,
                  upper_measure: str | None = None) -> URIRef:
    tail = f"/{_segment(upper_doc)}/{_segment(upper_measure)}" if upper_doc else ""
    return URIRef(f"{ID}alignment/{_segment(lower_doc)}/{_segment(lower_measure)}{tail}")
