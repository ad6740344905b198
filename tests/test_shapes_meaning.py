"""SHACL that checks meaning: each shape of ontology/shapes.ttl's "meaning" part catches the
mistake it is for on an otherwise valid graph (the synthetic corpus), and the valid graph conforms."""
from __future__ import annotations

from dataclasses import replace

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import RDF

from kg.rdf.graph import build_graph
from kg.rdf.namespace import ID, KG, target_iri
from kg.rdf.validate import validate_graph
from kg.records import Mention, Organization, Relation
from support import CITY, HUIJI, synthetic_corpus


def _violations(corpus_or_dataset) -> str:
    dataset = corpus_or_dataset if not hasattr(corpus_or_dataset, "documents") else build_graph(corpus_or_dataset)
    report = validate_graph(dataset)
    return "" if report.conforms else report.results_text


@pytest.fixture(scope="module")
def valid():
    return synthetic_corpus()


def test_the_synthetic_graph_conforms(valid):
    assert _violations(valid) == ""


def test_an_upper_plan_issued_after_the_lower_cannot_be_its_best_link(valid):
    corpus = synthetic_corpus()
    city = next(d for d in corpus.documents if d.doc_id == CITY)
    city.meta.year, city.meta.period_start = 2024, 2024  # now issued after Huiji's 2023 plan
    text = _violations(corpus)
    assert "issued after the lower one" in text
    assert "cannot quote a document issued after its own" in text  # the reuse made a quotation
    # marked as later context, ranked after the links and not quoted, it is allowed
    corpus.alignments = [replace(a, period="later", rank=2, evidence=[], reuse_ratio=0.0)
                         if not a.local_only else a for a in corpus.alignments]
    assert _violations(corpus) == ""


def test_relation_evidence_must_lie_in_its_document(valid):
    corpus = synthetic_corpus()
    huiji = next(d for d in corpus.documents if d.doc_id == HUIJI)
    end = len(huiji.text) + 5
    corpus.relations.append(Relation("cites", "document", HUIJI, "work", "某规划", HUIJI, start=end - 10, end=end,
                                     text="x" * 10, source="test"))
    assert "outside its document's text" in _violations(corpus)


def test_one_short_form_of_two_governments_is_two_organizations(valid):
    corpus = synthetic_corpus()
    huiji = next(d for d in corpus.documents if d.doc_id == HUIJI)
    start = huiji.text.index("市教育局")
    # 市教育局 printed in a Zhengzhou district plan, wrongly joined to Guangzhou's bureau
    corpus.mentions.append(Mention(HUIJI, "organization", "市教育局", start, start + 4, canonical="广州市教育局",
                                   concept="广州市教育局", subtype="government"))
    corpus.organizations.append(Organization("广州市教育局", "广州市教育局", ["市教育局"], "government",
                                             government="广州市"))
    assert "a government the printing document does not belong to" in _violations(corpus)


def test_a_trajectory_never_mixes_governments(valid):
    dataset = build_graph(valid)
    graph = dataset.graph(URIRef(f"{ID}graph/continuity"))
    trajectory = URIRef(f"{ID}trajectory/mixed")
    targets = [m for m in valid.mentions if m.type == "target" and m.indicator == "普惠性幼儿园覆盖率"]
    assert {m.doc_id for m in targets} == {HUIJI, CITY}
    graph.add((trajectory, RDF.type, KG.IndicatorTrajectory))
    graph.add((trajectory, KG.governmentKey, Literal("郑州市")))
    for mention in targets:
        graph.add((trajectory, KG.point, target_iri(mention.doc_id, mention.start, mention.end)))
    assert "another government than its own" in _violations(dataset)
    graph.remove((trajectory, KG.point, target_iri(targets[0].doc_id, targets[0].start, targets[0].end)))
    graph.remove((trajectory, KG.point, target_iri(targets[1].doc_id, targets[1].start, targets[1].end)))
    graph.add((trajectory, KG.point, target_iri(CITY, *next((m.start, m.end) for m in targets if m.doc_id == CITY))))
    assert _violations(dataset) == ""
