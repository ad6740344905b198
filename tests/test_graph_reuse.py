"""A rebuild reuses the previous build's unchanged named graphs and updates its store (kg.rdf.reuse):
whatever it reuses, graph.trig, graph.ttl and the store equal those of a build from nothing."""
from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from rdflib import BNode, Dataset, Literal, URIRef

import kg.rdf.store
from kg.build import BuildSummary, build
from kg.cli import format_summary, main
from kg.rdf.graph import dataset_graphs
from kg.rdf.reuse import INDEX_PATH, PreviousGraphs, read_index
from kg.rdf.store import SERIALIZER, write_named_graphs

QUICK = dict(workers=1, views=False, reports=False)
CHANGED = "001_56320e920f24c20a.txt"  # a plain document (the compilation's five parts share one file)
ADDED = "900_added_then_removed.txt"  # a document without a manifest entry, so it can go again


@pytest.fixture()
def corpus(corpus_dir, tmp_path) -> Path:
    copy = tmp_path / "corpus"
    shutil.copytree(corpus_dir, copy)
    return copy


def change_one_file(corpus: Path) -> None:
    path = corpus / CHANGED
    text = path.read_text(encoding="utf-8")
    assert "全面" in text
    path.write_text(text.replace("全面", "全力", 1), encoding="utf-8")


def store_quads(build_dir: Path) -> set[ox.Quad]:
    store = ox.Store.read_only(str(build_dir / "store"))
    try:
        return set(store)
    finally:
        del store


def assert_same_graph(build_dir: Path, fresh: Path) -> None:
    for name in ("graph.trig", "graph.ttl"):
        assert (build_dir / name).read_bytes() == (fresh / name).read_bytes(), name
    assert store_quads(build_dir) == store_quads(fresh)


def fresh_build(corpus: Path, tmp_path: Path) -> Path:
    fresh = tmp_path / "fresh"
    build(corpus, fresh, **QUICK, use_cache=False)
    assert not (fresh / INDEX_PATH).exists()  # --no-cache keeps no index either
    return fresh


@pytest.fixture()
def update_always(monkeypatch):
    """Any change is applied to the old store (the bundled documents are few, so one changed
    document is a large share of the store)."""
    monkeypatch.setattr(kg.rdf.store, "UPDATE_LIMIT", 100.0)


@pytest.mark.slow
def test_one_changed_document_rewrites_its_graphs_and_updates_the_store(corpus, tmp_path, update_always):
    out = tmp_path / "build"
    first = build(corpus, out, **QUICK)
    assert first.graphs_reused == 0 and not first.store_updated
    index = read_index(out)
    assert index is not None and set(index.trig.blocks) == set(index.ttl.blocks)
    assert index.quads == len(store_quads(out))

    change_one_file(corpus)
    again = build(corpus, out, **QUICK)
    assert again.store_updated
    assert 0 < again.graphs_reused < again.graphs == first.graphs
    rewritten = {name for name, block in read_index(out).trig.blocks.items() if index.trig.blocks[name] != block}
    assert any(CHANGED.removesuffix(".txt") in name for name in rewritten)
    assert not any("000_16f97bdad5560e56" in name for name in rewritten)  # an unchanged document's graph
    assert_same_graph(out, fresh_build(corpus, tmp_path))


@pytest.mark.slow
def test_a_large_change_loads_the_store_anew(corpus, tmp_path, monkeypatch):
    out = tmp_path / "build"
    build(corpus, out, **QUICK)
    change_one_file(corpus)
    monkeypatch.setattr(kg.rdf.store, "UPDATE_LIMIT", 0.0)  # every change outgrows the limit
    again = build(corpus, out, **QUICK)
    assert not again.store_updated and again.graphs_reused > 0
    assert_same_graph(out, fresh_build(corpus, tmp_path))


@pytest.mark.slow
def test_a_removed_document_leaves_no_graph_in_the_updated_store(corpus, tmp_path, update_always):
    out = tmp_path / "build"
    added = corpus / ADDED
    added.write_text((corpus / CHANGED).read_text(encoding="utf-8").replace("全面", "全力"), encoding="utf-8")
    first = build(corpus, out, **QUICK)
    assert any(ADDED.removesuffix(".txt") in name for name in read_index(out).trig.blocks)
    added.unlink()
    again = build(corpus, out, **QUICK)
    assert again.store_updated and again.graphs == first.graphs - 1
    names = {str(name) for name in ox.Store.read_only(str(out / "store")).named_graphs()}
    assert not any(ADDED.removesuffix(".txt") in name for name in names)
    assert_same_graph(out, fresh_build(corpus, tmp_path))


@pytest.mark.slow
def test_edited_graph_files_are_not_reused(corpus, tmp_path, update_always):
    out = tmp_path / "build"
    build(corpus, out, **QUICK)
    trig = out / "graph.trig"
    trig.write_bytes(trig.read_bytes().replace("全面".encode(), "全力".encode(), 1))  # same size, other bytes
    again = build(corpus, out, **QUICK)
    assert again.graphs_reused == 0 and not again.store_updated
    assert_same_graph(out, fresh_build(corpus, tmp_path))


@pytest.mark.slow
def test_a_store_that_differs_from_its_files_is_loaded_anew(corpus, tmp_path, update_always):
    out = tmp_path / "build"
    build(corpus, out, **QUICK)
    store = ox.Store(str(out / "store"))
    store.add(ox.Quad(ox.NamedNode("https://example.org/s"), ox.NamedNode("https://example.org/p"), ox.Literal("x"),
                      ox.NamedNode("https://example.org/g")))
    del store
    again = build(corpus, out, **QUICK)
    assert again.graphs_reused == again.graphs and not again.store_updated  # the files still serve
    assert_same_graph(out, fresh_build(corpus, tmp_path))


@pytest.mark.slow
def test_an_index_from_another_serialiser_is_not_trusted(corpus, tmp_path, monkeypatch):
    out = tmp_path / "build"
    build(corpus, out, **QUICK)
    monkeypatch.setattr(kg.rdf.store, "SERIALIZER", "another pyoxigraph")
    again = build(corpus, out, **QUICK)
    assert again.graphs_reused == 0 and not again.store_updated
    assert read_index(out).serializer == "another pyoxigraph"


@pytest.mark.slow
def test_the_summary_says_what_was_reused(corpus, tmp_path):
    out = tmp_path / "build"
    runner = CliRunner()
    options = ["build", str(corpus), "-o", str(out), "--workers", "1"]
    first = runner.invoke(main, options)
    assert first.exit_code == 0, first.output
    assert "named graphs" not in first.stdout
    again = runner.invoke(main, options)
    assert again.exit_code == 0, again.output
    assert "13 of 13 named graphs unchanged, copied from the previous build; the previous store kept" in again.stdout


@pytest.mark.parametrize("reused, updated, says", [
    (12, True, "12 of 13 named graphs unchanged, copied from the previous build; the previous store updated"),
    (13, True, "13 of 13 named graphs unchanged, copied from the previous build; the previous store kept"),
    (12, False, "12 of 13 named graphs unchanged, copied from the previous build; the store loaded anew"),
])
def test_the_summary_line_names_what_happened_to_the_store(tmp_path, reused, updated, says):
    summary = BuildSummary(out_dir=tmp_path, graphs=13, graphs_reused=reused, store_updated=updated)
    assert says in format_summary(summary).splitlines()


def small_dataset(label: str, with_blank_node: bool = False):
    dataset = Dataset()
    for number in range(3):
        graph = dataset.graph(URIRef(f"https://example.org/graph/{number}"))
        graph.add((URIRef(f"https://example.org/s{number}"), URIRef("https://example.org/p"), Literal(f"{number}")))
    changed = dataset.graph(URIRef("https://example.org/graph/changed"))
    subject = BNode("b0") if with_blank_node else URIRef("https://example.org/changed")
    changed.add((subject, URIRef("https://example.org/label"), Literal(label)))
    changed.add((subject, URIRef("https://example.org/kept"), Literal("kept")))  # unchanged, beside a change
    changed.add((URIRef("https://example.org/other"), URIRef("https://example.org/kept"), Literal("kept")))
    return dataset


def write_over(dataset, out: Path, previous: Path | None):
    old = PreviousGraphs.open(previous, SERIALIZER) if previous else None
    try:
        return write_named_graphs(dataset_graphs(dataset), out, previous=old, keep_index=True)
    finally:
        if old:
            old.close()


def test_only_the_changed_graph_is_written_again(tmp_path, update_always):
    first = write_over(small_dataset("before"), tmp_path / "one", None)
    assert (first.graphs, first.reused, first.store_updated) == (4, 0, False)
    again = write_over(small_dataset("after"), tmp_path / "two", tmp_path / "one")
    assert (again.graphs, again.reused, again.store_updated) == (4, 3, True)
    fresh = write_over(small_dataset("after"), tmp_path / "fresh", None)
    assert fresh.triples == again.triples == 6
    assert_same_graph(tmp_path / "two", tmp_path / "fresh")
    assert {quad.object.value for quad in store_quads(tmp_path / "one")} == {"0", "1", "2", "before", "kept"}  # untouched


def test_graphs_with_blank_nodes_load_the_store_anew(tmp_path, update_always):
    write_over(small_dataset("before", with_blank_node=True), tmp_path / "one", None)
    again = write_over(small_dataset("after", with_blank_node=True), tmp_path / "two", tmp_path / "one")
    assert again.reused == 3 and not again.store_updated
    assert {quad.object.value for quad in store_quads(tmp_path / "two")} == {"0", "1", "2", "after", "kept"}
    assert len(store_quads(tmp_path / "two")) == 6
