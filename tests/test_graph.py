"""The RDF model: namespace vs ontology, graph shape, determinism, store, SHACL validation.

``synthetic_corpus()`` builds a small Corpus from the real texts of 001 (Huiji 2023, district)
and 002 (the city's 2021–2025 plan) with hand-placed sections, mentions, concepts and
alignments, so graph/query/export tests do not depend on the extraction pipeline.
(It lives in support.py, shared with test_query.py and test_export.py.)
"""
from __future__ import annotations

import re
from decimal import Decimal

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS

from kg.rdf.namespace import (
    ALIGNMENTS_GRAPH, CONCEPTS_GRAPH, CONTINUITY_GRAPH, ENTITIES_GRAPH, KG, OA, ONTOLOGY_FILE, concept_iri, doc_iri, graph_iri,
    mention_iri, section_iri,
)
from kg.records import Corpus
from support import CITY, HUIJI, synthetic_corpus

def _union(dataset) -> Graph:
    union = Graph()
    for graph in dataset.graphs():
        union += graph
    return union


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return synthetic_corpus()


@pytest.fixture(scope="module")
def dataset(corpus):
    from kg.rdf.graph import build_graph

    return build_graph(corpus)


def test_namespace_matches_ontology_terms():
    ontology = Graph().parse(ONTOLOGY_FILE)
    prefix = str(KG._NS)
    declared = {str(s)[len(prefix):] for s in ontology.subjects() if str(s).startswith(prefix)}
    in_code = set(KG.__annotations__)
    assert declared == in_code
    assert (URIRef(str(KG._NS)[:-1]), RDF.type, OWL.Ontology) in ontology
    with pytest.raises(AttributeError):
        KG.misspeltTerm  # noqa: B018 - the namespace is closed


def test_every_ontology_term_has_a_label_and_type():
    ontology = Graph().parse(ONTOLOGY_FILE)
    for name in KG.__annotations__:
        term = KG[name]
        assert ontology.value(term, RDF.type) is not None, name
        assert ontology.value(term, RDFS.label) is not None, name


def test_iris_are_stable_and_percent_encoded():
    iri = section_iri("004_f29dea3288537dee#1", "三(三)2")
    assert iri == section_iri("004_f29dea3288537dee#1", "三(三)2")
    assert str(iri).isascii() and "#" not in str(iri)
    assert doc_iri("a#1") != doc_iri("a%231")
    assert str(graph_iri(HUIJI)).startswith(str(doc_iri(HUIJI)))


def test_one_named_graph_per_document_plus_shared_graphs(dataset):
    names = {g.identifier for g in dataset.graphs() if len(g)}
    assert {graph_iri(HUIJI), graph_iri(CITY), CONCEPTS_GRAPH, ALIGNMENTS_GRAPH} <= names
    huiji_graph = dataset.graph(graph_iri(HUIJI))
    assert (doc_iri(HUIJI), DCTERMS.title, Literal("惠济区教育局2023年工作要点", lang="zh")) in huiji_graph
    # the city's facts stay in the city's graph
    assert (doc_iri(CITY), RDF.type, KG.PolicyDocument) not in huiji_graph


def test_no_triple_is_stated_in_two_graphs(dataset):
    # queries run over the union default graph, where a repeated triple would double counts
    seen: dict = {}
    for graph in dataset.graphs():
        for triple in graph:
            assert triple not in seen, (triple, seen.get(triple), graph.identifier)
            seen[triple] = graph.identifier


def test_mention_is_a_web_annotation_with_exact_offsets(corpus, dataset):
    mention = corpus.mentions[0]
    annotation = mention_iri(HUIJI, mention.start, mention.end, "program")
    graph = dataset.graph(graph_iri(HUIJI))
    assert graph.value(annotation, OA.hasBody) == concept_iri("xin-you-zhi")
    target = graph.value(annotation, OA.hasTarget)
    assert graph.value(target, OA.hasSource) == doc_iri(HUIJI)
    selectors = set(graph.objects(target, OA.hasSelector))
    position = next(s for s in selectors if (s, RDF.type, OA.TextPositionSelector) in graph)
    quote = next(s for s in selectors if (s, RDF.type, OA.TextQuoteSelector) in graph)
    start, end = graph.value(position, OA.start).toPython(), graph.value(position, OA.end).toPython()
    text = corpus.document(HUIJI).text
    assert text[start:end] == str(graph.value(quote, OA.exact)) == "新优质初中"
    assert text[:start].endswith(str(graph.value(quote, OA.prefix)))
    assert graph.value(annotation, KG.inSection) == section_iri(HUIJI, mention.measure)
    assert "新优质初中" in str(graph.value(annotation, KG.sentenceText))


def test_program_concepts_are_skos_in_their_scheme(dataset):
    concepts = dataset.graph(CONCEPTS_GRAPH)
    concept = concept_iri("xin-you-zhi")
    assert (concept, SKOS.inScheme, KG.programScheme) in concepts
    assert (concept, SKOS.prefLabel, Literal("新优质初中", lang="zh")) in concepts
    assert (concept, KG.curated, Literal(True)) in concepts
    assert (concept_iri("shuang-pei-yang"), KG.curated, Literal(False)) in concepts


def test_target_has_decimal_value_and_evidence(corpus, dataset):
    graph = dataset.graph(graph_iri(CITY))
    targets = {graph.value(t, KG.printedValue).toPython(): t for t in graph.subjects(RDF.type, KG.QuantitativeTarget)}
    assert set(targets) == {"165", "81.85"}
    achieved = targets["81.85"]
    assert graph.value(achieved, KG.value).toPython() == Decimal("81.85")
    assert str(graph.value(achieved, KG.targetKind)) == "achieved"
    assert str(graph.value(achieved, KG.targetYear)) == "2020"
    assert (graph.value(achieved, KG.evidence), RDF.type, OA.Annotation) in graph
    # a printed range keeps its string and has no numeric value
    huiji = dataset.graph(graph_iri(HUIJI))
    ranged = next(huiji.subjects(RDF.type, KG.QuantitativeTarget))
    assert str(huiji.value(ranged, KG.printedValue)) == "3-5" and huiji.value(ranged, KG.value) is None


def test_region_becomes_a_place_chain(dataset):
    from kg.rdf.namespace import ENTITIES_GRAPH, place_iri

    entities = dataset.graph(ENTITIES_GRAPH)
    assert dataset.graph(graph_iri(HUIJI)).value(doc_iri(HUIJI), DCTERMS.spatial) == place_iri("惠济区")
    assert entities.value(place_iri("惠济区"), KG.withinPlace) == place_iri("郑州市")
    assert entities.value(place_iri("郑州市"), KG.withinPlace) == place_iri("河南省")


def test_alignments_and_local_only(dataset):
    graph = dataset.graph(ALIGNMENTS_GRAPH)
    alignments = list(graph.subjects(RDF.type, KG.Alignment))
    assert len(alignments) == 2
    assert (section_iri(HUIJI, "12"), KG.localOnly, Literal(True)) in graph
    direct = next(a for a in alignments if str(graph.value(a, KG.strength)) == "direct")
    lower, upper = graph.value(direct, KG.lowerSection), graph.value(direct, KG.upperSection)
    assert (lower, PROV.wasQuotedFrom, upper) in graph
    assert graph.value(direct, KG.sharedProgram) == concept_iri("xin-you-zhi")
    span = graph.value(direct, KG.evidence)
    assert str(graph.value(span, KG.quote)) == "新优质初中"


def test_graph_files_are_deterministic(tmp_path, corpus):
    from kg.rdf.graph import build_graph
    from kg.rdf.store import write_graph_files

    write_graph_files(build_graph(corpus), tmp_path / "a")
    write_graph_files(build_graph(synthetic_corpus()), tmp_path / "b")
    for name in ("graph.trig", "graph.ttl"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    union = Graph().parse(tmp_path / "a" / "graph.ttl")
    assert (doc_iri(CITY), RDF.type, KG.PolicyDocument) in union
    # only the prefixes of kg.rdf.namespace.PREFIXES are declared
    declared = re.findall(r"@prefix (\w+):", (tmp_path / "a" / "graph.ttl").read_text(encoding="utf-8"))
    from kg.rdf.namespace import PREFIXES

    assert set(declared) <= set(PREFIXES)


def test_store_roundtrip_and_atomic_swap(tmp_path, dataset):
    from kg.rdf.store import open_store, write_store

    store_dir = tmp_path / "store"
    write_store(dataset, store_dir)
    write_store(dataset, store_dir)  # rewriting swaps in a fresh store
    store = open_store(store_dir)
    assert len(store) == len(list(dataset.quads((None, None, None, None))))
    assert not any(p.name.startswith(".store") for p in tmp_path.iterdir())


def test_open_store_missing_is_input_error(tmp_path):
    from kg.errors import InputError
    from kg.rdf.store import open_store

    with pytest.raises(InputError, match="store"):
        open_store(tmp_path / "nowhere")


def test_validate_conforms_then_reports_bad_selector(tmp_path, dataset):
    from kg.rdf.validate import validate_graph

    report = validate_graph(dataset)
    assert report.conforms, report.results_text
    bad = _union(dataset)
    position = next(s for s in bad.subjects(RDF.type, OA.TextPositionSelector)
                    if (None, OA.hasSelector, s) in bad)
    bad.set((position, OA.start, Literal(10**6)))
    report = validate_graph(bad)
    assert not report.conforms
    assert "start" in report.results_text


def test_validate_flags_bad_target_kind_and_strength(dataset):
    from kg.rdf.validate import validate_graph

    bad = _union(dataset)
    target = next(bad.subjects(RDF.type, KG.QuantitativeTarget))
    bad.set((target, KG.targetKind, Literal("wish")))
    alignment = next(bad.subjects(RDF.type, KG.Alignment))
    bad.set((alignment, KG.strength, Literal("vague")))
    report = validate_graph(bad)
    assert not report.conforms
    assert "wish" in report.results_text and "vague" in report.results_text


def test_validate_build_dir(tmp_path, dataset):
    from kg.rdf.store import write_graph_files, write_store
    from kg.rdf.validate import validate

    write_graph_files(dataset, tmp_path)
    write_store(dataset, tmp_path / "store")
    assert validate(tmp_path).conforms


def test_cli_validate_exit_code_on_violation(tmp_path):
    from click.testing import CliRunner

    from kg.cli import main
    from kg.rdf.graph import build_graph
    from kg.rdf.store import write_store

    corpus = synthetic_corpus()
    corpus.alignments[0].strength = "vague"
    write_store(build_graph(corpus), tmp_path / "store")
    out = CliRunner().invoke(main, ["validate", "-b", str(tmp_path)])
    assert out.exit_code == 1
    assert "vague" in out.output and "violation" in out.output


def test_build_writes_the_dataset_graph_by_graph(tmp_path, loaded_corpus):
    """write_graph streams the real build's named graphs; files and store must hold the Dataset exactly."""
    import pyoxigraph as ox

    from kg.rdf.graph import build_graph, to_oxigraph
    from kg.rdf.store import open_store, serialize_trig, write_graph

    expected = to_oxigraph(build_graph(loaded_corpus))
    count = write_graph(loaded_corpus, tmp_path)
    # same bytes as serialising the whole sorted dataset at once: graphs in IRI order, prefixes once
    trig = (tmp_path / "graph.trig").read_bytes()
    assert trig == serialize_trig(expected)
    assert set(ox.parse(path=str(tmp_path / "graph.trig"))) == set(expected)
    union = {quad.triple for quad in expected}
    stated = [quad.triple for quad in ox.parse(path=str(tmp_path / "graph.ttl"))]
    assert len(stated) == len(set(stated)) == len(union) == count
    assert set(stated) == union
    reference = ox.Store()  # the store writes decimals canonically ("0.0" -> "0"): compare like with like
    reference.extend(expected)
    assert set(open_store(tmp_path / "store")) == set(reference)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["graph.trig", "graph.ttl", "store"]


def test_graphs_come_one_at_a_time_in_iri_order(loaded_corpus):
    import pyoxigraph as ox

    from kg.rdf.graph import corpus_graphs

    graphs = corpus_graphs(loaded_corpus)
    names = [name for name, _ in graphs]  # N-Triples text, "<iri>": the order Oxigraph's terms sort in
    assert names == sorted(names, key=lambda name: str(ox.NamedNode(name[1:-1]))) == graphs.names()
    documents = {graph_iri.text(doc.doc_id) for doc in loaded_corpus.documents}
    shared = {f"<{g}>" for g in (ALIGNMENTS_GRAPH, CONCEPTS_GRAPH, CONTINUITY_GRAPH, ENTITIES_GRAPH)}
    assert set(names) == documents | shared
    assert set(graphs.shared) == shared


def test_union_file_states_a_triple_of_two_graphs_once(tmp_path):
    """A document that is the parent of another is described in its own graph and in the entities graph."""
    import pyoxigraph as ox

    from kg.rdf.store import write_graph

    corpus = synthetic_corpus()
    corpus.documents[0].meta.parent = corpus.documents[1].doc_id
    count = write_graph(corpus, tmp_path)
    both = ox.Triple(ox.NamedNode(doc_iri(CITY)), ox.NamedNode(KG.docId), ox.Literal(CITY))
    graphs = {quad.graph_name.value for quad in ox.parse(path=str(tmp_path / "graph.trig")) if quad.triple == both}
    assert graphs == {str(graph_iri(CITY)), str(ENTITIES_GRAPH)}
    stated = [quad.triple for quad in ox.parse(path=str(tmp_path / "graph.ttl"))]
    assert stated.count(both) == 1
    assert len(stated) == len(set(stated)) == count


@pytest.mark.parametrize("region, chain", [
    ("郑州市惠济区", (("河南省", "province"), ("郑州市", "city"), ("惠济区", "district"))),
    ("郑州市", (("河南省", "province"), ("郑州市", "city"))),
    ("XX县", (("XX县", None),)),  # anonymised: kept whole, never guessed onto the map
])
def test_region_chains(region, chain):
    from kg.rdf.graph import _region_chain

    assert _region_chain(region) == chain


def test_store_load_error_reaches_the_writer_without_hanging(tmp_path):
    """The store is loaded from a pipe as graph.trig is written: a load that stops reading
    (bad input) raises its own error in the writer, which must not wait on a full pipe."""
    import io

    from kg.rdf.store import _PipedBulkLoad

    (tmp_path / "store").mkdir()
    written = io.BytesIO()
    with pytest.raises(SyntaxError):
        with _PipedBulkLoad(tmp_path / "store", written) as trig:
            for _ in range(1000):  # far more than a pipe buffers
                trig.write(b"not trig at all { ." * 100)
    assert written.getvalue().startswith(b"not trig")


def test_failed_graph_leaves_no_files_and_no_store(tmp_path, loaded_corpus):
    """An error while the graphs are produced ends the store's load and keeps the old outputs."""
    from kg.rdf.graph import corpus_graphs
    from kg.rdf.store import write_graphs

    class Failing:
        def __init__(self, graphs):
            self.shared = graphs.shared
            self._graphs = graphs

        def __iter__(self):
            for number, graph in enumerate(self._graphs):
                if number == 2:
                    raise RuntimeError("producer failed")
                yield graph

    with pytest.raises(RuntimeError, match="producer failed"):
        write_graphs(Failing(corpus_graphs(loaded_corpus)), tmp_path)
    assert list(tmp_path.iterdir()) == []
