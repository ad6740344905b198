"""Benchmark the trained NER (kg.ner) on the bundled corpus texts, single core.

Prints a markdown table: model chars/s (every clause of every document through ``nlp.pipe``) and
gated chars/s (whole-document characters per second when only the clauses picked by
``kg.ner.candidate_spans`` are run, gating time included), median of ``--repeat`` runs (3).
Run: `.venv/bin/python benchmarks/bench_ner.py [--repeat 3]`.
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"


def measure(repeat: int = 3) -> dict:
    import kg.ner as ner

    nlp = ner.load()
    gate = ner.load_gate()
    texts = [p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.txt"))]
    n_chars = sum(len(t) for t in texts)
    # warm-up
    ner.find_entities(texts[0][:2000], nlp=nlp, gate=gate)
    model, gated, gate_only = [], [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for t in texts:
            ner.find_entities(t, nlp=nlp, gate=gate, gated=False)
        model.append(n_chars / (time.perf_counter() - t0))
        t0 = time.perf_counter()
        for t in texts:
            ner.find_entities(t, nlp=nlp, gate=gate, gated=True)
        gated.append(n_chars / (time.perf_counter() - t0))
        t0 = time.perf_counter()
        for t in texts:
            ner.candidate_spans(t, gate)
        gate_only.append(n_chars / (time.perf_counter() - t0))
    covered = sum(e - s for t in texts for s, e in ner.candidate_spans(t, gate))
    return {"docs": len(texts), "chars": n_chars, "model": statistics.median(model),
            "gated": statistics.median(gated), "gate_only": statistics.median(gate_only),
            "coverage": covered / n_chars, "runs": repeat}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args(argv)
    m = measure(a.repeat)
    print(f"NER speed on {m['docs']} corpus texts ({m['chars']:,} chars), 1 thread, "
          f"median of {m['runs']} runs\n")
    print("| measure | chars/s |")
    print("|---|---:|")
    print(f"| model on every clause (ungated) | {m['model']:,.0f} |")
    print(f"| gated: whole documents, model on candidate clauses only "
          f"({m['coverage']:.1%} of chars) | {m['gated']:,.0f} |")
    print(f"| gating function alone | {m['gate_only']:,.0f} |")


if __name__ == "__main__":
    main()
