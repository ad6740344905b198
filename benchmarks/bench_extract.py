"""Benchmark the extract stage over whole documents: rules only, and rules + the trained
recogniser (kg.components.entities), characters per second on one core, median of --repeat runs.
Run: `.venv/bin/python benchmarks/bench_extract.py [--repeat 5]`."""
from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core

from kg.extract import extract, make_pipeline  # noqa: E402
from kg.ingest import ingest_corpus  # noqa: E402
from kg.structure import parse_structure  # noqa: E402

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


def chars_per_second(nlp, documents, sections) -> float:
    started = time.perf_counter()
    for document in documents:
        extract(document, sections[document.doc_id], nlp)
    return sum(len(d.text) for d in documents) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    documents = ingest_corpus(CORPUS).documents
    sections = {d.doc_id: parse_structure(d) for d in documents}
    chars = sum(len(d.text) for d in documents)
    rows = []
    for label, use_model in (("rules only", False), ("rules + recogniser", True)):
        nlp = make_pipeline(use_model=use_model)
        chars_per_second(nlp, documents[:1], sections)  # warm up (jieba, model load)
        runs = [chars_per_second(nlp, documents, sections) for _ in range(args.repeat)]
        rows.append((label, statistics.median(runs)))
    print(f"extract stage, bundled corpus ({len(documents)} documents, {chars:,} chars), one thread, "
          f"median of {args.repeat}\n")
    print("| pipeline | chars/s | ratio |\n|---|---:|---:|")
    for label, speed in rows:
        print(f"| {label} | {speed:,.0f} | {speed / rows[0][1]:.2f} |")


if __name__ == "__main__":
    main()
