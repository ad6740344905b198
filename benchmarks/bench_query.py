"""Graph build time and canned-query latency: Oxigraph store vs rdflib in memory.

Usage: python benchmarks/bench_query.py [BUILD_DIR] [--repeat N]
BUILD_DIR is a finished `kg build` (default: build). The graph is rebuilt from the build's
tables (kg.builddir.load_corpus), so extraction time is not included.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

# document_targets is left out: rdflib needs minutes for its property-path join (Oxigraph: ~40 ms)
QUERIES = {
    "program_documents": {"program": "新优质初中"},
    "programs_by_year_level": {},
    "organizations_per_document": {},
    "local_only_measures": {},
}


def timed(func, repeat: int) -> float:
    """Median wall time in milliseconds."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        func()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build_dir", nargs="?", default="build", type=Path)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)

    from rdflib import Literal

    from kg.builddir import load_corpus
    from kg.rdf.graph import build_graph, to_oxigraph
    from kg.rdf.query import bind_params, canned_queries, run_query
    from kg.rdf.store import open_store, rdflib_dataset, write_graph_files, write_store

    corpus = load_corpus(args.build_dir)
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        dataset = build_graph(corpus)
        built = time.perf_counter()
        quads = to_oxigraph(dataset)
        triples = write_graph_files(quads, tmp)
        written = time.perf_counter()
        write_store(quads, Path(tmp) / "store")
        stored = time.perf_counter()
    print(f"documents={len(corpus.documents)} quads={len(quads)} triples={triples}")
    print(f"build_graph {built - started:.2f} s | convert+graph.trig/ttl {written - built:.2f} s | "
          f"store {stored - written:.2f} s | total {stored - started:.2f} s")

    store = open_store(args.build_dir / "store")
    memory = rdflib_dataset(store)  # default_union=True: same semantics as Oxigraph's union default graph
    queries = canned_queries()
    print(f"{'query':30} {'oxigraph ms':>12} {'rdflib ms':>10} {'ratio':>7}  rows")
    for name, params in QUERIES.items():
        query = queries[name]
        bindings = bind_params(query, params)
        ox_rows = run_query(args.build_dir, query.sparql, bindings, store=store).rows
        init = {k: Literal(v.value) for k, v in bindings.items()}
        rdf_rows = list(memory.query(query.sparql, initBindings=init))
        ox_ms = timed(lambda: run_query(args.build_dir, query.sparql, bindings, store=store), args.repeat)
        rdf_ms = timed(lambda: list(memory.query(query.sparql, initBindings=init)), max(1, args.repeat // 2))
        print(f"{name:30} {ox_ms:12.1f} {rdf_ms:10.1f} {rdf_ms / ox_ms:7.1f}  {len(ox_rows)} / {len(rdf_rows)}")


if __name__ == "__main__":
    sys.exit(main())
