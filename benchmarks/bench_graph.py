"""Benchmark the graph stage against Oxigraph's own bulk loader on the same quads (issue 12 item 2).

The corpus is analysed once in memory (``kg.build.analyse``); then, `--repeat` times each:
``write_graph(corpus, tmp)`` (graph.trig, graph.ttl and the store) and ``Store.bulk_load`` of the
resulting graph.trig into a fresh on-disk store (what the stage itself writes), and, for scale, into
an in-memory store. Prints medians, quads per second and the ratio "graph stage / bulk load"
(target: <= 2, i.e. the stage at >= 0.5x the loader's speed).
Run: `.venv/bin/python benchmarks/bench_graph.py [CORPUS] [--repeat 5]`.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

REPO = Path(__file__).resolve().parent.parent


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def bulk_load(trig: Path, directory: Path | None) -> None:
    store = ox.Store(str(directory)) if directory else ox.Store()
    store.bulk_load(path=str(trig), format=ox.RdfFormat.TRIG)
    store.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("corpus", nargs="?", default=str(REPO / "corpus"))
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from kg.build import analyse
    from kg.rdf.store import write_graph

    corpus = analyse(args.corpus)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        stage, loader, in_memory = [], [], []
        for run in range(args.repeat):
            out = tmp / f"graph_{run}"
            stage.append(timed(lambda out=out: write_graph(corpus, out)))
            loader.append(timed(lambda out=out, run=run: bulk_load(out / "graph.trig", tmp / f"store_{run}")))
            in_memory.append(timed(lambda out=out: bulk_load(out / "graph.trig", None)))
        triples = sum(1 for _ in ox.parse(path=str(tmp / "graph_0" / "graph.trig")))
    stage_s, loader_s = statistics.median(stage), statistics.median(loader)
    print(f"corpus {args.corpus}: {len(corpus.documents)} documents, {triples} quads, median of {args.repeat}")
    print(f"graph stage (write_graph)  {stage_s:7.3f} s  {triples / stage_s:9.0f} quads/s")
    print(f"bulk load of graph.trig    {loader_s:7.3f} s  {triples / loader_s:9.0f} quads/s")
    memory_s = statistics.median(in_memory)
    print(f"  (in-memory store)        {memory_s:7.3f} s  {triples / memory_s:9.0f} quads/s")
    print(f"graph stage / bulk load    {stage_s / loader_s:7.2f}x time (target <= 2; "
          f"{stage_s / memory_s:.2f}x the in-memory load)")


if __name__ == "__main__":
    main()
