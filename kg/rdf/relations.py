"""Relations (build/relations.jsonl) -> RDF: each as a plain triple for queries, and as a
kg:StatedRelation carrying its type, role and the exact span of the text that states it.

The plain triples use standard terms where they exist — eli:cites and eli:implements (with
dcterms:references) between documents, prov:wasRevisionOf, dcterms:isPartOf, dcterms:spatial —
and ours from ontology/kg.ttl otherwise (kg:carriesOut, kg:hasTarget, kg:leadUnit …).
Terms are N-Triples text, as everywhere in the build's graph (see kg.rdf.graph).
"""
from __future__ import annotations

import hashlib
from typing import Callable, Iterator

from rdflib.namespace import DCTERMS, PROV, RDF, XSD

import kg.rdf.namespace as namespace
from kg.rdf.namespace import ELI, KG, OA, VocabularyText, literal_text
from kg.records import Relation

# N-Triples text, not rdflib terms: `KG.carriesOut` is "<…#carriesOut>", `doc_iri(id)` is "<…/doc/id>"
DCTERMS, ELI, KG, OA, PROV, RDF, XSD = map(VocabularyText, (DCTERMS, ELI, KG, OA, PROV, RDF, XSD))
doc_iri, org_iri, place_iri, relation_iri, section_iri, target_iri, work_iri = (
    namespace.doc_iri.text, namespace.org_iri.text, namespace.place_iri.text, namespace.relation_iri.text,
    namespace.section_iri.text, namespace.target_iri.text, namespace.work_iri.text)
IRI = str  # N-Triples text of an IRI: "<…>"

ROLE_PROPERTIES = {"lead": KG.leadUnit, "support": KG.supportUnit, "oversight": KG.oversightUnit}


def node_iri(kind: str, value: str, doc_id: str, concept: Callable[[str, str], IRI],
             titles: dict[str, str]) -> IRI:
    """The resource a relation's subject or object names (see kg.records.Relation)."""
    if kind == "document":
        return doc_iri(value)
    if kind == "section":
        return section_iri(doc_id, value)
    if kind == "program":
        return concept(value, "programs")
    if kind == "target":
        start, end = value.split("-")
        return target_iri(doc_id, int(start), int(end))
    if kind == "organization":
        return org_iri(value)
    if kind == "place":
        return place_iri(value)
    return doc_iri(titles[value]) if value in titles else work_iri(value)


def plain_triples(relation: Relation, subject: IRI, obj: IRI) -> Iterator[tuple]:
    """The relation as the triple a query asks for."""
    kind = relation.type
    if kind == "carries_out":
        yield subject, KG.carriesOut, obj
    elif kind == "sets_target":
        yield subject, KG.hasTarget, obj
    elif kind == "target_for":
        yield subject, DCTERMS.spatial, obj
    elif kind == "responsible_for":  # organization -> section: the section names its unit
        yield obj, ROLE_PROPERTIES.get(relation.role or "lead", KG.responsibleUnit), subject
    elif kind == "cites":
        yield subject, ELI.cites, obj
        yield subject, DCTERMS.references, obj
    elif kind == "implements":
        yield subject, ELI.implements, obj
    elif kind == "revision_of":
        yield subject, PROV.wasRevisionOf, obj
    elif kind == "part_of":
        yield subject, DCTERMS.isPartOf, obj
    elif kind == "within":
        yield subject, KG.withinPlace, obj


def relation_triples(relation: Relation, concept: Callable[[str, str], IRI],
                     titles: dict[str, str]) -> Iterator[tuple]:
    """The plain triple and the stated relation with its evidence span."""
    subject = node_iri(relation.subject_type, relation.subject, relation.doc_id, concept, titles)
    obj = node_iri(relation.object_type, relation.object, relation.doc_id, concept, titles)
    yield from plain_triples(relation, subject, obj)
    digest = hashlib.sha1("\x1f".join(map(str, (relation.subject_type, relation.subject, relation.object_type,
                                                relation.object, relation.role, relation.start, relation.end))
                                      ).encode("utf-8")).hexdigest()[:16]
    iri = relation_iri(relation.doc_id, relation.type, digest)
    yield iri, RDF.type, KG.StatedRelation
    yield iri, KG.relationType, literal_text(relation.type)
    yield iri, KG.relationSubject, subject
    yield iri, KG.relationObject, obj
    yield iri, PROV.wasDerivedFrom, doc_iri(relation.doc_id)
    if relation.role:
        yield iri, KG.role, literal_text(relation.role)
    if relation.source:
        yield iri, KG.extractedBy, literal_text(relation.source)
    if relation.measure:
        yield iri, KG.inSection, section_iri(relation.doc_id, relation.measure)
    if relation.start is not None and relation.end is not None:
        position = f"{iri[:-1]}/position>"
        yield iri, KG.textPosition, position
        yield position, RDF.type, OA.TextPositionSelector
        yield position, OA.start, f'"{int(relation.start)}"^^{XSD.integer}'
        yield position, OA.end, f'"{int(relation.end)}"^^{XSD.integer}'
        if relation.text:
            yield iri, KG.quote, literal_text(relation.text)
