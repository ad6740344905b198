"""Records -> RDF: one named graph per document, plus concepts, entities and alignments.

The model reuses standard vocabularies (see ontology/README.md): DCMI Terms and PROV for
documents, Web Annotation for mentions (exact offsets as ``oa:TextPositionSelector``),
SKOS for programs and indicators, W3C ORG for organizations, FOAF for people and
OWL-Time for plan periods. Every IRI is minted by ``kg.rdf.namespace`` from ids and labels,
so the same corpus always gives the same graph.

One producer: ``corpus_graphs`` yields the corpus as named graphs of N-Triples lines, sorted,
one document graph at a time, so memory does not grow with the corpus; kg.rdf.store writes them.
Terms are N-Triples text from the start (kg.rdf.namespace: ``doc_iri.text``, ``literal_text``),
never rdflib or Oxigraph objects: the build makes a few strings per triple and Oxigraph parses
them in bulk. ``build_graph`` is the same graphs as an rdflib Dataset (for tests, SHACL and small
graphs), and ``dataset_graphs`` reads a Dataset back as named graphs, so both reach the one writer.
"""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal, InvalidOperation
from typing import Iterable, Iterator

import pyoxigraph as ox
from rdflib import BNode, Dataset, Literal, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import NamespaceManager
from rdflib.namespace import DCTERMS, FOAF, ORG, PROV, RDF, RDFS, SKOS, TIME, XSD

import kg.rdf.namespace as namespace
from kg.rdf.namespace import KG, OA, PREFIXES, VocabularyText, iri_text, literal_text
from kg import places
from kg.analysis.align.units import review_sections
from kg.analysis.continuity import (
    RENAMED_ARROW, indicator_trajectories, program_changes, program_occurrences, program_spells,
)
from kg.governments import government_of, issuer_keys, organization_name
from kg.rdf.relations import relation_triples
from kg.records import Alignment, Concept, Corpus, Document, EvidenceSpan, Mention, Organization, Section
from kg.text import cited_title

# OWL-Time 2017 term missing from rdflib's closed TIME namespace
IN_XSD_GYEAR = iri_text(f"{TIME}inXSDGYear")
CONTEXT_CHARS = 16  # characters of oa:prefix / oa:suffix around a quote

# Below, terms are N-Triples text: `RDF.type` is "<http://…#type>", `doc_iri(id)` is "<…/doc/id>".
DCTERMS, FOAF, KG, OA, ORG, PROV, RDF, RDFS, SKOS, TIME, XSD = map(
    VocabularyText, (DCTERMS, FOAF, KG, OA, ORG, PROV, RDF, RDFS, SKOS, TIME, XSD))
(alignment_iri, concept_iri, continuity_iri, doc_iri, graph_iri, mention_iri, org_iri, org_type_iri, person_iri,
 place_iri, section_iri, target_iri, work_iri, year_iri) = (getattr(namespace, rule).text for rule in (
    "alignment_iri", "concept_iri", "continuity_iri", "doc_iri", "graph_iri", "mention_iri", "org_iri",
    "org_type_iri", "person_iri", "place_iri", "section_iri", "target_iri", "work_iri", "year_iri"))
CONCEPTS_GRAPH, ENTITIES_GRAPH, ALIGNMENTS_GRAPH, CONTINUITY_GRAPH = (iri_text(str(name)) for name in (
    namespace.CONCEPTS_GRAPH, namespace.ENTITIES_GRAPH, namespace.ALIGNMENTS_GRAPH, namespace.CONTINUITY_GRAPH))

IRI = str  # N-Triples text of an IRI: "<…>"
Term = str  # N-Triples text of any term
Quad = tuple  # (subject, predicate, object, graph), each N-Triples text
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def build_graph(corpus: Corpus) -> Dataset:
    """The whole corpus as an rdflib Dataset with one named graph per document: the lines of
    ``corpus_graphs`` read by rdflib's own N-Triples parser (a second reader of the same text)."""
    dataset = Dataset()
    dataset.namespace_manager = NamespaceManager(dataset, bind_namespaces="none")
    for prefix, vocabulary in PREFIXES.items():
        dataset.bind(prefix, vocabulary)
    for name, lines in corpus_graphs(corpus):
        dataset.graph(URIRef(name[1:-1])).parse(data="".join(lines), format="nt")
    return dataset


class _CorpusContext:
    """What the triples of one document need to know about the others (titles, concepts)."""

    def __init__(self, corpus: Corpus):
        self.corpus = corpus
        self.concepts = _ConceptIndex(corpus.concepts)
        self.titles = {doc.meta.title: doc.doc_id for doc in corpus.documents if doc.meta.title}
        self.mentions: dict[str, list[Mention]] = defaultdict(list)
        for mention in corpus.mentions:
            self.mentions[mention.doc_id].append(mention)
        self.relations = defaultdict(list)
        for relation in corpus.relations:
            self.relations[relation.doc_id].append(relation)

    def sections(self, doc: Document) -> list[Section]:
        return self.corpus.sections.get(doc.doc_id, [])


def _document_graph_triples(doc: Document, context: _CorpusContext) -> Iterator[tuple]:
    """The triples of the document's own named graph."""
    graph = graph_iri(doc.doc_id)
    yield from _document_triples(doc)
    yield from _section_triples(doc.doc_id, context.sections(doc), review_sections(doc, context.sections(doc)))
    for mention in context.mentions.get(doc.doc_id, []):
        for s, p, o, g in _mention_quads(doc, mention, context.concepts, context.titles):
            if g == graph:
                yield s, p, o
    for relation in context.relations.get(doc.doc_id, []):
        yield from relation_triples(relation, context.concepts.lookup, context.titles)


def _document_shared_quads(doc: Document, context: _CorpusContext) -> Iterator[Quad]:
    """The quads a document adds to the shared graphs (entities, concepts it mentions)."""
    graph = graph_iri(doc.doc_id)
    yield from _with_graph(_shared_resource_triples(doc), ENTITIES_GRAPH)
    for mention in context.mentions.get(doc.doc_id, []):
        # only the body says which concepts a mention discovers: the annotation is not needed
        _, body_triples, body_graph = _body(doc, mention, mention_iri(doc.doc_id, mention.start, mention.end,
                                                                     mention.type), context.concepts, context.titles)
        if body_graph != graph:
            yield from _with_graph(body_triples, body_graph)


def _corpus_shared_quads(context: _CorpusContext) -> Iterator[Quad]:
    """Alignments and concept schemes: due once every document has registered its concepts."""
    corpus = context.corpus
    cited = {cited_title(m.canonical or m.text) for m in corpus.mentions
             if m.type == "cited_document"}
    # alignments before the schemes: a shared program the linker never saw becomes a discovered concept
    yield from _with_graph(_alignment_triples(corpus.alignments, context.concepts, cited, context.titles),
                           ALIGNMENTS_GRAPH)
    # continuity before the schemes too: it names programs by label
    yield from _with_graph(_continuity_triples(corpus, context.concepts), CONTINUITY_GRAPH)
    yield from _with_graph(_scheme_triples(context.concepts), CONCEPTS_GRAPH)
    yield from _with_graph(_organization_triples(corpus.organizations), ENTITIES_GRAPH)


def _with_graph(triples: Iterable[tuple], graph: IRI) -> Iterator[Quad]:
    for s, p, o in triples:
        yield (s, p, o, graph)


def _child(iri: IRI, path: str) -> IRI:
    """A resource named under another: ``<…/mention/x>`` -> ``<…/mention/x/target>``."""
    return f"{iri[:-1]}/{path}>"


# ------------------------------------------------------------------ literals

def _plain(text: str) -> Term:
    return literal_text(text)


def _zh(text: str) -> Term:
    return literal_text(text, language="zh")


def _int(value: int) -> Term:
    return f'"{int(value)}"^^{XSD.integer}'


def _bool(value: bool) -> Term:
    return f'"{"true" if value else "false"}"^^{XSD.boolean}'


def _gyear(year: int) -> Term:
    return f'"{int(year):04d}"^^{XSD.gYear}'


def _decimal(value) -> Term | None:
    """``xsd:decimal`` of a printed number ("81.85", "1,200"); None for ranges like "3-5"."""
    try:
        number = Decimal(str(value).replace(",", "").replace("，", "").strip())  # thousands separators
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite():
        return None
    return literal_text(format(number.normalize() if number == number.to_integral() else number, "f"),
                        datatype=XSD.decimal)


def _score(value: float) -> Term:
    return literal_text(format(Decimal(str(round(float(value), 4))), "f"), datatype=XSD.decimal)


# ------------------------------------------------------------------ documents

def _document_triples(doc: Document) -> Iterator[tuple]:
    meta = doc.meta
    iri = doc_iri(doc.doc_id)
    yield iri, RDF.type, KG.PolicyDocument
    yield iri, RDF.type, PROV.Entity
    yield iri, KG.docId, _plain(doc.doc_id)
    if meta.title:
        yield iri, DCTERMS.title, _zh(meta.title)
    if meta.doc_type:
        yield iri, DCTERMS.type, _plain(meta.doc_type)
    if meta.doc_number:
        yield iri, DCTERMS.identifier, _plain(meta.doc_number)
    if meta.year:
        yield iri, DCTERMS.date, _gyear(meta.year)
    yield iri, KG.level, _plain(meta.level or "unknown")
    yield iri, KG.governmentKey, _plain(government_of(meta).key)
    yield iri, KG.status, _plain(meta.status or "complete")
    yield iri, KG.measureCount, _int(meta.measures or 0)
    yield iri, KG.textLength, _int(len(doc.text))
    for prop, value in ((KG.sha256, meta.sha256), (KG.sourceFile, meta.source),
                        (KG.sourceFormat, meta.source_format)):
        if value:
            yield iri, prop, _plain(value)
    if meta.period_start or meta.period_end:
        period = _child(iri, "period")
        yield iri, DCTERMS.temporal, period
        yield period, RDF.type, TIME.Interval
        for prop, year in ((TIME.hasBeginning, meta.period_start), (TIME.hasEnd, meta.period_end)):
            if year:
                yield period, prop, year_iri(year)
    for issuer in issuer_keys(meta):
        yield iri, DCTERMS.creator, org_iri(issuer)
    if meta.signatory:
        yield iri, KG.signatory, person_iri(meta.signatory)
    if meta.region:
        yield iri, DCTERMS.spatial, _region_place(doc)
    if meta.parent:
        yield iri, DCTERMS.isPartOf, doc_iri(meta.parent)


def _shared_resource_triples(doc: Document) -> Iterator[tuple]:
    """Resources a document points to that other documents share (issuer, years, places ...).

    They go to the entities graph, never into a document graph: a triple stated in two
    graphs would be counted twice by queries over the union default graph.
    """
    meta = doc.meta
    for year in (meta.period_start, meta.period_end):
        if year:
            yield year_iri(year), RDF.type, TIME.Instant
            yield year_iri(year), IN_XSD_GYEAR, _gyear(year)
    government = government_of(meta)
    for printed, key in zip([meta.issuer, *meta.co_issuers] if meta.issuer else meta.co_issuers, issuer_keys(meta)):
        yield org_iri(key), RDF.type, ORG.Organization
        yield org_iri(key), RDFS.label, _zh(organization_name(printed, government).label)
    if meta.signatory:
        yield person_iri(meta.signatory), RDF.type, FOAF.Person
        yield person_iri(meta.signatory), FOAF.name, _zh(meta.signatory)
    if meta.parent:
        yield doc_iri(meta.parent), RDF.type, KG.Compilation
        yield doc_iri(meta.parent), KG.docId, _plain(meta.parent)
    yield from _region_triples(doc)


def _region_place(doc: Document) -> IRI:
    """The document's own region; a masked one (XX市) is a place of its part alone."""
    government = government_of(doc.meta)
    name = _region_chain(doc.meta.region)[-1][0]
    return place_iri(f"{name}@{government.key}" if government.anonymised else name)


def _region_triples(doc: Document) -> Iterator[tuple]:
    """The document's region as a chain of places, outermost first (河南省 ⊃ 郑州市 ⊃ 惠济区)."""
    if not doc.meta.region:
        return
    outer = None
    chain = _region_chain(doc.meta.region)
    for number, (name, level) in enumerate(chain):
        place = _region_place(doc) if number == len(chain) - 1 else place_iri(name)
        yield place, RDF.type, KG.Place
        yield place, RDFS.label, _zh(name)
        if level:
            yield place, KG.level, _plain(level)
        if outer is not None:
            yield place, KG.withinPlace, outer
        outer = place


def _region_chain(region: str) -> tuple[tuple[str, str | None], ...]:
    """Split a region string into (name, level) from province down (kg.places: cpca's divisions).

    Anonymised or foreign names ("XX市") cannot be placed: the string is kept whole."""
    return tuple((place.name, place.level) for place in places.region_chain(region)) or ((region, None),)


# ------------------------------------------------------------------ sections

def _section_triples(doc_id: str, sections: list[Section], review: frozenset[str] | set[str] = frozenset()
                     ) -> Iterator[tuple]:
    document = doc_iri(doc_id)
    for order, section in enumerate(sections):
        iri = section_iri(doc_id, section.label)
        yield iri, RDF.type, KG.Section
        if section.is_measure:
            yield iri, RDF.type, KG.Measure
        if section.label in review:
            yield iri, KG.reviewPassage, _bool(True)
        yield iri, RDFS.label, _plain(section.label)
        if section.title:
            yield iri, DCTERMS.title, _zh(section.title)
        yield iri, DCTERMS.isPartOf, section_iri(doc_id, section.parent) if section.parent else document
        yield iri, KG.inDocument, document
        yield iri, KG.sectionKind, _plain(section.kind)
        if section.number:
            yield iri, KG.number, _plain(section.number)
        yield iri, KG.order, _int(order)
        yield iri, KG.depth, _int(section.depth)
        if section.outline_only:
            yield iri, KG.outlineOnly, _bool(True)
        position = _child(iri, "position")
        yield iri, KG.textPosition, position
        yield position, RDF.type, OA.TextPositionSelector
        yield position, OA.start, _int(section.start)
        yield position, OA.end, _int(section.end)


# ------------------------------------------------------------------ mentions

def _mention_quads(doc: Document, mention: Mention, concepts: "_ConceptIndex",
                   titles: dict[str, str]) -> Iterator[Quad]:
    graph = graph_iri(doc.doc_id)
    document = doc_iri(doc.doc_id)
    annotation = mention_iri(doc.doc_id, mention.start, mention.end, mention.type)
    body, body_triples, body_graph = _body(doc, mention, annotation, concepts, titles)
    yield from _with_graph(body_triples, body_graph)
    if mention.type == "cited_document" and body != document:  # a notice naming its own plan is no citation
        yield document, DCTERMS.references, body, graph
    target = _child(annotation, "target")
    position = _child(annotation, "position")
    quote = _child(annotation, "quote")
    triples = [
        (annotation, RDF.type, OA.Annotation),
        (annotation, OA.motivatedBy, OA.identifying),
        (annotation, KG.mentionType, _plain(mention.type)),
        (annotation, OA.hasBody, body),
        (annotation, OA.hasTarget, target),
        (annotation, PROV.wasDerivedFrom, document),
        (target, RDF.type, OA.SpecificResource),
        (target, OA.hasSource, document),
        (target, OA.hasSelector, position),
        (target, OA.hasSelector, quote),
        (position, RDF.type, OA.TextPositionSelector),
        (position, OA.start, _int(mention.start)),
        (position, OA.end, _int(mention.end)),
        (quote, RDF.type, OA.TextQuoteSelector),
        (quote, OA.exact, _plain(mention.text)),
    ]
    prefix = doc.text[max(0, mention.start - CONTEXT_CHARS):mention.start]
    suffix = doc.text[mention.end:mention.end + CONTEXT_CHARS]
    if prefix:
        triples.append((quote, OA.prefix, _plain(prefix)))
    if suffix:
        triples.append((quote, OA.suffix, _plain(suffix)))
    if mention.measure:
        triples.append((annotation, KG.inSection, section_iri(doc.doc_id, mention.measure)))
    if mention.source:
        triples.append((annotation, KG.extractedBy, _plain(mention.source)))
    if mention.type == "program" and mention.scope:
        triples.append((annotation, KG.localScope, place_iri(_region_chain(mention.scope)[-1][0])))
    if mention.sentence_start is not None and mention.sentence_end is not None:
        sentence = _child(annotation, "sentence")
        triples += [
            (annotation, KG.sentence, sentence),
            (annotation, KG.sentenceText, _plain(doc.text[mention.sentence_start:mention.sentence_end])),
            (sentence, RDF.type, OA.TextPositionSelector),
            (sentence, OA.start, _int(mention.sentence_start)),
            (sentence, OA.end, _int(mention.sentence_end)),
        ]
    yield from _with_graph(triples, graph)


def _body(doc: Document, mention: Mention, annotation: IRI, concepts: "_ConceptIndex",
          titles: dict[str, str]) -> tuple[IRI, list[tuple], IRI]:
    """The resource a mention identifies, the triples describing it and the graph they go in."""
    name = (mention.canonical or mention.text).strip()
    kind = mention.type
    if kind == "program":
        return concepts.program(mention), [], CONCEPTS_GRAPH
    if kind == "target":
        return _target(doc, mention, annotation, concepts)
    if kind == "organization":
        iri = org_iri(mention.concept or name)
        triples = [(iri, RDF.type, ORG.Organization), (iri, RDFS.label, _zh(name))]
        if mention.concept:  # linked (kg.link.link_organizations): the Organization record says the rest
            return iri, triples, ENTITIES_GRAPH
        if mention.subtype:
            triples.append((iri, KG.orgType, _plain(mention.subtype)))
        if mention.parent:
            triples += [(iri, ORG.subOrganizationOf, org_iri(mention.parent)),
                        (org_iri(mention.parent), RDF.type, ORG.Organization),
                        (org_iri(mention.parent), RDFS.label, _zh(mention.parent))]
    elif kind == "place":
        iri = place_iri(f"{name}@{mention.scope}" if mention.scope else name)
        triples = [(iri, RDF.type, KG.Place), (iri, RDFS.label, _zh(name))]
        if mention.subtype:
            triples.append((iri, KG.level, _plain(mention.subtype)))
        if mention.parent:
            triples += [(iri, KG.withinPlace, place_iri(mention.parent)),
                        (place_iri(mention.parent), RDF.type, KG.Place),
                        (place_iri(mention.parent), RDFS.label, _zh(mention.parent))]
    elif kind == "person":
        iri = person_iri(name)
        triples = [(iri, RDF.type, FOAF.Person), (iri, FOAF.name, _zh(name))]
    elif kind == "cited_document":
        title = cited_title(name)
        if title in titles:  # cites a document of the corpus: link to it, not to a copy
            return doc_iri(titles[title]), [], ENTITIES_GRAPH
        iri = work_iri(title)
        triples = [(iri, RDF.type, DCTERMS.BibliographicResource), (iri, DCTERMS.title, _zh(title))]
        if mention.subtype:
            triples.append((iri, KG.citedKind, _plain(mention.subtype)))
        return iri, triples, ENTITIES_GRAPH
    else:  # a mention type this model does not know yet: keep its text as a textual body
        iri = _child(annotation, "body")
        return iri, [(iri, RDF.type, OA.TextualBody), (iri, RDF.value, _plain(mention.text))], \
            graph_iri(doc.doc_id)
    if name != mention.text.strip():
        triples.append((iri, SKOS.altLabel, _zh(mention.text.strip())))
    return iri, triples, ENTITIES_GRAPH


def _target(doc: Document, mention: Mention, annotation: IRI,
            concepts: "_ConceptIndex") -> tuple[IRI, list[tuple], IRI]:
    iri = target_iri(doc.doc_id, mention.start, mention.end)
    triples = [
        (iri, RDF.type, KG.QuantitativeTarget),
        (iri, KG.evidence, annotation),
        (iri, PROV.wasDerivedFrom, doc_iri(doc.doc_id)),
    ]
    indicator = concepts.indicator(mention)
    if indicator is not None:
        triples.append((iri, KG.indicator, indicator))
    if mention.indicator:
        triples.append((iri, KG.indicatorLabel, _plain(mention.indicator)))
    if mention.value is not None:
        triples.append((iri, KG.printedValue, _plain(str(mention.value))))
        number = _decimal(mention.value)
        if number is not None:
            triples.append((iri, KG.value, number))
    for prop, value in ((KG.unit, mention.unit), (KG.comparator, mention.comparator),
                        (KG.targetKind, mention.kind)):
        if value:
            triples.append((iri, prop, _plain(value)))
    if mention.year:
        triples.append((iri, KG.targetYear, _gyear(mention.year)))
    if mention.measure:
        triples.append((iri, KG.inSection, section_iri(doc.doc_id, mention.measure)))
    return iri, triples, graph_iri(doc.doc_id)


# ------------------------------------------------------------------ concepts

class _ConceptIndex:
    """The corpus concepts, plus concepts discovered while mapping mentions (no linker output)."""

    def __init__(self, concepts: list[Concept]):
        self.concepts: dict[IRI, Concept] = {}
        self.by_label: dict[tuple[str, str], IRI] = {}
        for concept in concepts:
            self._add(concept)

    def _add(self, concept: Concept) -> IRI:
        iri = concept_iri(concept.concept_id, concept.scheme)
        self.concepts.setdefault(iri, concept)
        self.by_label.setdefault((concept.scheme, concept.concept_id), iri)
        for label in [concept.pref_label, *concept.alt_labels]:
            self.by_label.setdefault((concept.scheme, label), iri)
        return iri

    def lookup(self, key: str, scheme: str = "programs") -> IRI:
        return self.by_label.get((scheme, key)) or self._add(Concept(concept_id=key, pref_label=key, scheme=scheme))

    def program(self, mention: Mention) -> IRI:
        key = mention.concept or mention.canonical or mention.text.strip()
        return self.lookup(key, "programs")

    def indicator(self, mention: Mention) -> IRI | None:
        if mention.concept and ("indicators", mention.concept) in self.by_label:
            return self.by_label[("indicators", mention.concept)]
        label = "".join((mention.indicator or "").split())
        return self.lookup(label, "indicators") if label else None


def _scheme_triples(concepts: _ConceptIndex) -> Iterator[tuple]:
    for scheme, label in ((KG.programScheme, "政策项目"), (KG.indicatorScheme, "指标")):  # = rdfs:label@zh in kg.ttl
        yield scheme, RDF.type, SKOS.ConceptScheme
        yield scheme, SKOS.prefLabel, _zh(label)
    for iri, concept in list(concepts.concepts.items()):
        scheme = KG.indicatorScheme if concept.scheme == "indicators" else KG.programScheme
        yield iri, RDF.type, SKOS.Concept
        yield iri, SKOS.inScheme, scheme
        yield iri, SKOS.prefLabel, _zh(concept.pref_label)
        for alt in concept.alt_labels:
            if alt != concept.pref_label:
                yield iri, SKOS.altLabel, _zh(alt)
        if concept.kind:
            yield iri, KG.programKind, _plain(concept.kind)
        yield iri, KG.curated, _bool(concept.curated)
        for broader in concept.broader:
            yield iri, SKOS.broader, concepts.lookup(broader, concept.scheme)


def _organization_triples(organizations: list[Organization]) -> Iterator[tuple]:
    """Organizations with their printed forms, type (org:classification) and the body they belong to."""
    types = set()
    for record in organizations:
        iri = org_iri(record.key)
        yield iri, RDF.type, ORG.Organization
        yield iri, RDFS.label, _zh(record.label)
        yield iri, SKOS.prefLabel, _zh(record.label)
        for alt in record.alt_labels:
            yield iri, SKOS.altLabel, _zh(alt)
        if record.org_type:
            types.add(record.org_type)
            yield iri, KG.orgType, _plain(record.org_type)
            yield iri, ORG.classification, org_type_iri(record.org_type)
            if record.org_type == "section":
                yield iri, RDF.type, ORG.OrganizationalUnit
        if record.parent:
            yield iri, ORG.subOrganizationOf, org_iri(record.parent)
            yield org_iri(record.parent), ORG.hasSubOrganization, iri
        if record.government:
            yield iri, KG.governmentKey, _plain(record.government)
    for org_type in sorted(types):
        yield org_type_iri(org_type), RDF.type, SKOS.Concept
        yield org_type_iri(org_type), SKOS.inScheme, KG.organizationTypeScheme
        yield org_type_iri(org_type), SKOS.prefLabel, literal_text(org_type, language="en")
    if types:
        yield KG.organizationTypeScheme, RDF.type, SKOS.ConceptScheme


# ------------------------------------------------------------------ continuity

def _continuity_triples(corpus: Corpus, concepts: _ConceptIndex) -> Iterator[tuple]:
    """Programs through time within each government (kg.analysis.continuity): when each government
    first and last names a program, and what changes from one of its plans to the next."""
    occurrences = program_occurrences(corpus)
    for spell in program_spells(corpus, occurrences):
        iri = continuity_iri("spell", spell.government, spell.concept)
        yield iri, RDF.type, KG.ProgramSpell
        yield iri, KG.program, concepts.lookup(spell.concept, "programs")
        yield iri, KG.governmentKey, _plain(spell.government)
        yield iri, RDFS.label, _zh(f"{spell.label} · {spell.government_name}")
        if spell.first_seen is not None:
            yield iri, KG.firstSeen, _gyear(spell.first_seen)
        if spell.last_seen is not None:
            yield iri, KG.lastSeen, _gyear(spell.last_seen)
        for doc_id in spell.documents:
            yield iri, KG.seenIn, doc_iri(doc_id)
    for change in program_changes(corpus, occurrences):
        iri = continuity_iri("change", change.from_doc, change.to_doc)
        yield iri, RDF.type, KG.ProgramChange
        yield iri, KG.fromDocument, doc_iri(change.from_doc)
        yield iri, KG.toDocument, doc_iri(change.to_doc)
        if change.government:
            yield iri, KG.governmentKey, _plain(change.government)
        for prop, labels in ((KG.newProgram, change.new), (KG.continuedProgram, change.continued),
                             (KG.droppedProgram, change.dropped)):
            for label in labels:
                yield iri, prop, concepts.lookup(label, "programs")
        for pair in change.renamed:  # "old → new"
            old, _, new = pair.partition(RENAMED_ARROW)
            yield iri, KG.renamedProgram, concepts.lookup(old.strip(), "programs")
            if new.strip():
                yield concepts.lookup(old.strip(), "programs"), SKOS.related, concepts.lookup(new.strip(), "programs")
    for trajectory in indicator_trajectories(corpus):
        if len(trajectory.points) < 2:
            continue  # one value is no trajectory
        iri = continuity_iri("trajectory", trajectory.government or "", trajectory.unit_class, trajectory.indicator)
        yield iri, RDF.type, KG.IndicatorTrajectory
        yield iri, RDFS.label, _zh(f"{trajectory.indicator} · {trajectory.government_name or ''}")
        if trajectory.government:
            yield iri, KG.governmentKey, _plain(trajectory.government)
        yield iri, KG.unitClass, _plain(trajectory.unit_class)
        for point in trajectory.points:
            yield iri, KG.point, target_iri(point.doc_id, point.start, point.end)


# ------------------------------------------------------------------ alignments

def _alignment_triples(alignments: list[Alignment], concepts: _ConceptIndex, cited: set[str],
                       titles: dict[str, str]) -> Iterator[tuple]:
    seen: set[IRI] = set()
    for alignment in alignments:
        lower = section_iri(alignment.lower_doc, alignment.lower_measure)
        if alignment.local_only or not alignment.upper_doc or not alignment.upper_measure:
            yield lower, KG.localOnly, _bool(True)
            continue
        upper = section_iri(alignment.upper_doc, alignment.upper_measure)
        iri = alignment_iri(alignment.lower_doc, alignment.lower_measure, alignment.upper_doc,
                            alignment.upper_measure)
        if iri in seen:  # the same pair found twice (e.g. by two methods): keep them apart
            iri = _child(iri, f"{len(seen)}")
        seen.add(iri)
        yield iri, RDF.type, KG.Alignment
        yield iri, KG.lowerSection, lower
        yield iri, KG.upperSection, upper
        yield iri, KG.score, _score(alignment.score)
        if alignment.strength:
            yield iri, KG.strength, _plain(alignment.strength)
        if alignment.method:
            yield iri, KG.method, _plain(alignment.method)
        yield iri, KG.rank, _int(alignment.rank)
        yield iri, KG.reuseRatio, _score(alignment.reuse_ratio)
        for program in alignment.shared_programs:
            name = cited_title(program)
            if ("programs", program) not in concepts.by_label and (name in cited or name in titles):
                # both passages cite the same document: a shared citation, not a program
                yield iri, KG.sharedCitation, doc_iri(titles[name]) if name in titles else work_iri(name)
            else:
                yield iri, KG.sharedProgram, concepts.lookup(program, "programs")
        for target in alignment.shared_targets:
            yield iri, KG.sharedTarget, _plain(target)
        if alignment.period:
            yield iri, KG.period, _plain(alignment.period)
        if (alignment.evidence or alignment.reuse_ratio > 0) and alignment.period != "later":
            # a plan issued after the lower one cannot have been quoted by it
            yield lower, PROV.wasQuotedFrom, upper
        for number, span in enumerate(alignment.evidence, start=1):
            yield from _evidence_span(iri, number, span, lower, upper, quoted=alignment.period != "later")


def _evidence_span(alignment: IRI, number: int, span: EvidenceSpan, lower: IRI, upper: IRI,
                   quoted: bool = True) -> Iterator[tuple]:
    """A shared stretch of text; a quotation only when the upper text was there to be quoted."""
    iri = _child(alignment, f"evidence/{number}")
    yield alignment, KG.evidence, iri
    yield iri, RDF.type, KG.EvidenceSpan
    if quoted:
        yield lower, PROV.qualifiedQuotation, iri
        yield iri, RDF.type, PROV.Quotation
    yield iri, PROV.entity, upper
    if span.text:
        yield iri, KG.quote, _plain(span.text)
    for value, prop in ((span.lower_start, KG.lowerStart), (span.lower_end, KG.lowerEnd),
                        (span.upper_start, KG.upperStart), (span.upper_end, KG.upperEnd)):
        yield iri, prop, _int(value)


# ------------------------------------------------------------------ serialisation

def to_oxigraph(dataset: Dataset) -> list[ox.Quad]:
    """The dataset's quads as pyoxigraph quads, sorted (graph, subject, predicate, object)."""
    convert = _TermConverter()
    quads = []
    for graph in dataset.graphs():
        name = convert(graph.identifier)
        if graph.identifier == DATASET_DEFAULT_GRAPH_ID:
            name = ox.DefaultGraph()
        quads.extend(ox.Quad(convert(s), convert(p), convert(o), name) for s, p, o in graph)
    quads.sort(key=lambda quad: (str(quad.graph_name), str(quad.subject), str(quad.predicate), str(quad.object)))
    return quads


def to_rdflib(term):
    """pyoxigraph term -> rdflib term."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    datatype = term.datatype.value
    if datatype == XSD_STRING:
        return Literal(term.value)
    return Literal(term.value, datatype=URIRef(datatype))


def corpus_graphs(corpus: Corpus) -> CorpusGraphs:
    """The corpus graph as named graphs of N-Triples lines, produced one at a time (see CorpusGraphs)."""
    return CorpusGraphs(corpus)


def _line(subject: Term, predicate: Term, obj: Term) -> str:
    return f"{subject} {predicate} {obj} .\n"


class CorpusGraphs:
    """The named graphs of the corpus, sorted and de-duplicated, without holding the corpus graph.

    Each graph is its name (``<iri>``) and its triples as sorted N-Triples lines. Since a term's
    text is ``str()`` of its Oxigraph term and no term's text is a prefix of another's followed by
    a character above the space, sorting lines sorts by (str(s), str(p), str(o)) as the files
    always have. Together they are ``to_oxigraph(build_graph(corpus))``, but only one document
    graph lives in memory at a time. The shared graphs (entities, concepts, alignments) are the
    only part that draws on every document; they are small and are collected up front in
    ``shared``, so a writer knows them before any document graph.
    """

    def __init__(self, corpus: Corpus):
        self._context = _CorpusContext(corpus)
        self._documents: dict[IRI, list[Document]] = defaultdict(list)
        for doc in corpus.documents:
            self._documents[graph_iri(doc.doc_id)].append(doc)
        shared: dict[IRI, set[str]] = defaultdict(set)
        for doc in corpus.documents:
            for s, p, o, g in _document_shared_quads(doc, self._context):
                shared[g].add(_line(s, p, o))
        for s, p, o, g in _corpus_shared_quads(self._context):
            shared[g].add(_line(s, p, o))
        self.shared: dict[IRI, list[str]] = {name: sorted(lines) for name, lines in shared.items()}

    def names(self) -> list[IRI]:
        """Every graph name, in the order of the files: by IRI (``<iri>``, as Oxigraph prints it)."""
        return sorted({*self._documents, *self.shared})

    def __iter__(self) -> Iterator[tuple[IRI, list[str]]]:
        for name in self.names():
            if name not in self._documents:
                yield name, self.shared[name]
                continue
            lines = set(self.shared.get(name, ()))
            for doc in self._documents[name]:
                lines.update(_line(s, p, o) for s, p, o in _document_graph_triples(doc, self._context))
            yield name, sorted(lines)


class DatasetGraphs:
    """An rdflib Dataset read as the writer reads ``CorpusGraphs``: named graphs in IRI order,
    triples as sorted N-Triples lines, the entities, concepts and alignments graphs as ``shared``."""

    SHARED = (ENTITIES_GRAPH, CONCEPTS_GRAPH, ALIGNMENTS_GRAPH, CONTINUITY_GRAPH)

    def __init__(self, dataset: Dataset):
        graphs: dict[IRI, set[str]] = defaultdict(set)
        for quad in to_oxigraph(dataset):  # str() of an Oxigraph term is its N-Triples text
            graphs[str(quad.graph_name)].add(_line(quad.subject, quad.predicate, quad.object))
        if str(ox.DefaultGraph()) in graphs:
            raise ValueError("the default graph has triples: only named graphs are written")
        self._graphs = {name: sorted(lines) for name, lines in graphs.items()}
        self.shared = {name: lines for name, lines in self._graphs.items() if name in self.SHARED}

    def names(self) -> list[IRI]:
        return sorted(self._graphs)

    def __iter__(self) -> Iterator[tuple[IRI, list[str]]]:
        for name in self.names():
            yield name, self._graphs[name]


def dataset_graphs(dataset: Dataset) -> DatasetGraphs:
    return DatasetGraphs(dataset)


class _TermConverter:
    """rdflib term -> pyoxigraph term, caching IRIs (most terms repeat)."""

    def __init__(self):
        self.nodes: dict[str, ox.NamedNode] = {}

    def named(self, iri: str) -> ox.NamedNode:
        node = self.nodes.get(iri)
        if node is None:
            node = self.nodes[iri] = ox.NamedNode(iri)
        return node

    def __call__(self, term):
        if isinstance(term, URIRef):
            return self.named(str(term))
        if isinstance(term, BNode):
            return ox.BlankNode(str(term))
        if isinstance(term, Literal):
            if term.language:
                return ox.Literal(str(term), language=term.language)
            if term.datatype:
                return ox.Literal(str(term), datatype=self.named(str(term.datatype)))
            return ox.Literal(str(term))
        if hasattr(term, "identifier"):
            return self(term.identifier)
        raise TypeError(f"cannot convert {term!r} to an Oxigraph term")
