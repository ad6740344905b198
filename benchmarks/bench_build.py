"""Benchmark `kg build`: the bundled corpus, and synthetic corpora k times its size.

Each configuration is built in a fresh subprocess (so peak memory is the build's own),
`--repeat` times; the table reports medians and the ratio to the bundled corpus.
Run: `.venv/bin/python benchmarks/bench_build.py [--repeat 3] [--scales 1,4,16]`.
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"

CHILD = r"""
import json, resource, sys, time
from kg.build import build
started = time.perf_counter()
summary = build(sys.argv[1], sys.argv[2], views=True, reports=True)
elapsed = time.perf_counter() - started
peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": elapsed, "peak_mib": peak_mib, "documents": len(summary.documents),
                  "mentions": sum(sum(c.values()) for c in summary.mention_counts.values()),
                  "triples": summary.triples, "errors": [str(e) for e in summary.errors],
                  "stages": summary.seconds}))
"""


def scaled_corpus(scale: int, target: Path) -> Path:
    """`scale` copies of every source file under new names (the manifest only covers the originals)."""
    target.mkdir(parents=True)
    for copy in range(scale):
        for source in sorted(CORPUS.glob("*.txt")):
            shutil.copy(source, target / f"{source.stem}_{copy:03d}{source.suffix}")
    return target


def run_once(corpus: Path, out: Path) -> dict:
    result = subprocess.run([sys.executable, "-c", CHILD, str(corpus), str(out)], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"build of {corpus} failed:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scales", default="1,4,16")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for scale in (int(s) for s in args.scales.split(",")):
            corpus = CORPUS if scale == 1 else scaled_corpus(scale, tmp / f"corpus_x{scale}")
            runs = [run_once(corpus, tmp / f"build_x{scale}_{n}") for n in range(args.repeat)]
            stages = {name: statistics.median(r["stages"].get(name, 0.0) for r in runs) for name in runs[0]["stages"]}
            rows.append({
                "scale": scale, "documents": runs[0]["documents"], "triples": runs[0]["triples"],
                "seconds": statistics.median(r["seconds"] for r in runs),
                "peak_mib": statistics.median(r["peak_mib"] for r in runs), "stages": stages,
            })
    base = rows[0]
    print(f"| corpus | documents | triples | build s (median of {args.repeat}) | s / document | time ratio | peak MiB | slowest stages |")
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        slowest = ", ".join(f"{k} {v:.1f}s" for k, v in sorted(row["stages"].items(), key=lambda kv: -kv[1])[:3])
        print(f"| bundled ×{row['scale']} | {row['documents']} | {row['triples']} | {row['seconds']:.1f} | "
              f"{row['seconds'] / row['documents']:.2f} | {row['seconds'] / base['seconds']:.1f}× | "
              f"{row['peak_mib']:.0f} | {slowest} |")


if __name__ == "__main__":
    main()
