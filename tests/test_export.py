"""GraphML / GEXF / JSON-LD exports of a (synthetic) build."""
from __future__ import annotations

import json

import networkx as nx
import pytest
from rdflib import Dataset

from kg.errors import InputError
from kg.rdf.export import export, network
from kg.rdf.namespace import concept_iri, doc_iri, place_iri
from support import CITY, HUIJI, synthetic_corpus


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory):
    from kg.rdf.graph import build_graph
    from kg.rdf.store import write_store

    out = tmp_path_factory.mktemp("export-build")
    write_store(build_graph(synthetic_corpus()), out / "store")
    return out


def test_network_nodes_and_edges(build_dir):
    graph = network(build_dir)
    huiji, city = str(doc_iri(HUIJI)), str(doc_iri(CITY))
    assert graph.nodes[huiji]["kind"] == "document" and graph.nodes[huiji]["level"] == "district"
    program = str(concept_iri("xin-you-zhi"))
    assert graph.nodes[program] == {"kind": "program", "label": "新优质初中", "subtype": "project", "curated": True}
    assert graph.edges[huiji, program]["kind"] == "mentions"
    assert graph.edges[city, program]["weight"] == 1
    assert graph.edges[str(place_iri("惠济区")), str(place_iri("郑州市"))]["kind"] == "within"
    assert graph.edges[huiji, city] == {"kind": "aligned", "weight": 2}
    kinds = {data["kind"] for _, data in graph.nodes(data=True)}
    assert kinds == {"document", "program", "organization", "place", "cited_document"}


@pytest.mark.parametrize("fmt,reader", [("graphml", nx.read_graphml), ("gexf", nx.read_gexf)])
def test_graphml_and_gexf_round_trip(build_dir, tmp_path, fmt, reader):
    path = export(build_dir, fmt, tmp_path / f"g.{fmt}")
    again = reader(path)
    original = network(build_dir)
    assert again.number_of_nodes() == original.number_of_nodes()
    assert again.number_of_edges() == original.number_of_edges()
    labels = {data.get("label") for _, data in again.nodes(data=True)}
    assert {"新优质初中", "惠济区教育局2023年工作要点"} <= labels
    # stable output: exporting twice gives the same bytes
    assert export(build_dir, fmt, tmp_path / f"h.{fmt}").read_bytes() == path.read_bytes()


def test_jsonld_keeps_named_graphs(build_dir):
    path = export(build_dir, "jsonld")
    assert path == build_dir / "export" / "graph.jsonld"
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["@context"]["oa"] == "http://www.w3.org/ns/oa#"
    parsed = Dataset()
    parsed.parse(path, format="json-ld")
    names = {str(g.identifier) for g in parsed.graphs() if len(g)}
    assert f"{doc_iri(HUIJI)}/graph" in names


def test_unknown_format_and_missing_store(build_dir, tmp_path):
    with pytest.raises(InputError, match="unknown export format"):
        export(build_dir, "pdf")
    with pytest.raises(InputError, match="kg build"):
        export(tmp_path, "graphml")


def test_cli_export(build_dir, tmp_path):
    from click.testing import CliRunner

    from kg.cli import main

    out = CliRunner().invoke(main, ["export", "-b", str(build_dir), "--format", "gexf", "-o", str(tmp_path / "x.gexf")])
    assert out.exit_code == 0, out.output
    assert nx.read_gexf(tmp_path / "x.gexf").number_of_nodes() > 5


def test_export_networks_writes_what_export_writes(build_dir, tmp_path):
    from kg.rdf.export import export_networks

    singles = {fmt: export(build_dir, fmt, tmp_path / f"single.{fmt}").read_bytes() for fmt in ("graphml", "gexf")}
    outs = export_networks(build_dir)
    assert [out.name for out in outs] == ["graph.graphml", "graph.gexf"]
    assert {out.suffix[1:]: out.read_bytes() for out in outs} == singles
    with pytest.raises(InputError):
        export_networks(build_dir, ("jsonld",))
