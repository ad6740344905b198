"""Scale benchmark of `kg build` on varied synthetic collections (issue 12).

For each size: a collection from benchmarks/generate.py (cached under --cache by size, seed and the
generator's own source), `kg build` in a fresh subprocess through the Python API (per-stage seconds
from kg.build.BuildSummary.seconds, peak RSS of the build process and of its largest worker from
getrusage), `--repeat` times (medians). Then, once per size, what the ratios need:
- raw `spacy.blank("zh")` on the same cleaned texts (nlp.pipe, one process) vs the extract stage;
- Oxigraph's bulk loader on the build's graph.trig (into an on-disk store) vs the graph stage;
- an incremental rebuild after one changed file, when the build keeps a cache;
- `workers=1` against the default of 2, when the build takes `workers`.
Exponents k of t ∝ N^k are fitted between consecutive sizes and between the first and last.

    .venv/bin/python benchmarks/bench_scale.py [--sizes 50 200 800 2000] [--repeat 1] [--json FILE]

Options the build does not (yet) have are left out and reported as "n/a".
"""
from __future__ import annotations

import argparse
import datetime
import hashlib
import itertools
import json
import math
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Optional

REPO = Path(__file__).resolve().parent.parent
GENERATOR = REPO / "benchmarks" / "generate.py"
DEFAULT_CACHE = REPO / ".cache" / "bench-scale"

BUILD_CHILD = r"""
import inspect, json, resource, sys, time
from kg.build import build
corpus, out, options = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
accepted = inspect.signature(build).parameters
started = time.perf_counter()
summary = build(corpus, out, **{k: v for k, v in options.items() if k in accepted})
elapsed = time.perf_counter() - started
print(json.dumps({
    "seconds": elapsed, "stages": summary.seconds, "documents": len(summary.documents),
    "triples": summary.triples, "errors": [str(e) for e in summary.errors],
    "from_cache": getattr(summary, "from_cache", None),
    "graphs": getattr(summary, "graphs", None), "graphs_reused": getattr(summary, "graphs_reused", None),
    "store_updated": getattr(summary, "store_updated", None),
    "unsupported": [k for k in options if k not in accepted],
    "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "worker_peak_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
}))
"""

# The two references on the same data as the build: the tokenizer every extract pipeline starts
# from, and the store's own loader.
REFERENCE_CHILD = r"""
import json, sys, tempfile, time
from pathlib import Path
import pyoxigraph, spacy
build = Path(sys.argv[1])
texts = [p.read_text(encoding="utf-8") for p in sorted((build / "text").glob("*.txt"))]
nlp = spacy.blank("zh")
nlp.max_length = max(nlp.max_length, max(map(len, texts)) + 1)
started = time.perf_counter()
tokens = sum(len(doc) for doc in nlp.pipe(texts))
spacy_seconds = time.perf_counter() - started
with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp:
    store = pyoxigraph.Store(tmp)
    started = time.perf_counter()
    store.bulk_load(path=str(build / "graph.trig"), format=pyoxigraph.RdfFormat.TRIG)
    bulk_seconds = time.perf_counter() - started
    quads = len(store)
    del store  # closes the store before its folder goes
print(json.dumps({"chars": sum(map(len, texts)), "tokens": tokens, "spacy_seconds": spacy_seconds,
                  "bulk_seconds": bulk_seconds, "quads": quads}))
"""


def generator_version() -> str:
    """The collection depends on the generator and on the bundled templates it reads."""
    digest = hashlib.sha256(GENERATOR.read_bytes())
    for path in sorted((REPO / "corpus").glob("*")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def collection(size: int, seed: int, cache: Path) -> Path:
    folder = cache / f"n{size}-seed{seed}-{generator_version()}"
    if not (folder / ".complete").exists():
        shutil.rmtree(folder, ignore_errors=True)
        run([sys.executable, str(GENERATOR), "--documents", str(size), "--seed", str(seed), "--out", str(folder)])
        (folder / ".complete").write_text("")
    return folder


def run(command: list[str]) -> str:
    result = subprocess.run(command, capture_output=True, text=True, cwd=REPO, check=False)
    if result.returncode != 0:
        sys.exit(f"{' '.join(command[:3])} … failed:\n{result.stderr[-3000:]}")
    return result.stdout


def build_once(corpus: Path, out: Path, **options) -> dict:
    stdout = run([sys.executable, "-c", BUILD_CHILD, str(corpus), str(out), json.dumps(options)])
    result = json.loads(stdout.strip().splitlines()[-1])
    if result["errors"]:
        print(f"warning: {len(result['errors'])} documents failed, e.g. {result['errors'][0]}", file=sys.stderr)
    return result


def change_one_file(corpus: Path) -> None:
    """A new closing sentence in the middle document: a different source hash, the same kind of text."""
    files = sorted(corpus.glob("*.txt"))
    target = files[len(files) // 2]
    target.write_text(target.read_text(encoding="utf-8") + "\n本要点由教育局办公室负责解释。\n", encoding="utf-8")


def measure_size(size: int, seed: int, repeat: int, cache: Path, work: Path, quick: bool) -> dict:
    source = collection(size, seed, cache)
    corpus = work / f"corpus-{size}"  # a copy: the incremental run changes a file
    shutil.copytree(source, corpus, ignore=shutil.ignore_patterns(".complete"))
    print(f"[{size}] building {repeat}×", file=sys.stderr, flush=True)
    runs = [build_once(corpus, work / f"build-{size}-{n}", workers=2) for n in range(repeat)]
    row = {
        "documents": runs[0]["documents"], "triples": runs[0]["triples"],
        "seconds": statistics.median(r["seconds"] for r in runs),
        "stages": {s: statistics.median(r["stages"].get(s, 0.0) for r in runs) for s in runs[0]["stages"]},
        "peak_mib": statistics.median(r["peak_mib"] for r in runs),
        "worker_peak_mib": statistics.median(r["worker_peak_mib"] for r in runs),
        "unsupported": runs[0]["unsupported"],
    }
    last_build = work / f"build-{size}-{repeat - 1}"
    print(f"[{size}] references", file=sys.stderr, flush=True)
    row["reference"] = json.loads(run([sys.executable, "-c", REFERENCE_CHILD, str(last_build)]).strip().splitlines()[-1])
    if quick:
        return row
    if "use_cache" not in row["unsupported"]:
        print(f"[{size}] incremental", file=sys.stderr, flush=True)
        change_one_file(corpus)
        incremental = build_once(corpus, last_build, workers=2)
        row["incremental"] = {key: incremental.get(key) for key in (
            "seconds", "from_cache", "graphs", "graphs_reused", "store_updated", "stages")}
    if "workers" not in row["unsupported"]:
        print(f"[{size}] workers=1", file=sys.stderr, flush=True)
        one = build_once(corpus, work / f"build-{size}-w1", workers=1)
        row["workers_1"] = {"seconds": one["seconds"], "stages": one["stages"], "peak_mib": one["peak_mib"]}
    return row


def exponent(n1: int, t1: float, n2: int, t2: float) -> Optional[float]:
    if min(t1, t2) <= 0 or n1 == n2:
        return None
    return math.log(t2 / t1) / math.log(n2 / n1)


def fmt(value: Optional[float], spec: str = ".2f", suffix: str = "") -> str:
    return "n/a" if value is None else f"{value:{spec}}{suffix}"


def stage_seconds(row: dict, stage: str) -> float:
    return row["seconds"] if stage == "build" else row["stages"].get(stage, 0.0)


def tables(rows: dict[int, dict], repeat: int) -> str:
    sizes = sorted(rows)
    stages = list(dict.fromkeys(s for size in sizes for s in rows[size]["stages"]))
    out = [f"Build (workers 2 where supported; median of {repeat}):", "",
           "| documents | chars | triples | build s | " + " | ".join(stages) + " | peak MiB (main / worker) |",
           "|---:|---:|---:|---:|" + "---:|" * len(stages) + "---|"]
    for size in sizes:
        row = rows[size]
        out.append(f"| {row['documents']} | {row['reference']['chars']} | {row['triples']} | {row['seconds']:.1f} | "
                   + " | ".join(f"{row['stages'].get(s, 0.0):.1f}" for s in stages)
                   + f" | {row['peak_mib']:.0f} / {row['worker_peak_mib']:.0f} |")
    if len(sizes) > 1:
        pairs = list(itertools.pairwise(sizes)) + ([(sizes[0], sizes[-1])] if len(sizes) > 2 else [])
        out += ["", "Growth exponents k (t ∝ N^k):", "",
                "| stage | " + " | ".join(f"{a}→{b}" for a, b in pairs) + " |",
                "|---|" + "---:|" * len(pairs)]
        for stage in ["build", *stages]:
            out.append(f"| {stage} | " + " | ".join(
                fmt(exponent(rows[a]["documents"], stage_seconds(rows[a], stage),
                             rows[b]["documents"], stage_seconds(rows[b], stage))) for a, b in pairs) + " |")
    out += ["", "Ratios:", "",
            ("| documents | extract chars/s | raw spacy.blank(\"zh\") chars/s | extract / raw | graph triples/s "
             "| Oxigraph bulk_load triples/s | graph / bulk | incremental s (documents, named graphs from cache) "
             "| full / incremental "
             "| workers 1 s | workers 1 / 2 |"),
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for size in sizes:
        row, ref = rows[size], rows[size]["reference"]
        extract, graph = row["stages"].get("extract"), row["stages"].get("graph")
        extract_speed = ref["chars"] / extract if extract else None
        raw_speed = ref["chars"] / ref["spacy_seconds"]
        graph_speed = row["triples"] / graph if graph else None
        bulk_speed = ref["quads"] / ref["bulk_seconds"]
        incremental, one = row.get("incremental"), row.get("workers_1")
        out.append(
            f"| {row['documents']} | {fmt(extract_speed, ',.0f')} | {raw_speed:,.0f} | "
            f"{fmt(extract_speed and extract_speed / raw_speed, '.3f')} | {fmt(graph_speed, ',.0f')} | "
            f"{bulk_speed:,.0f} | {fmt(graph_speed and graph_speed / bulk_speed, '.2f')} | "
            + (f"{incremental['seconds']:.1f} ({incremental['from_cache']}, {reused_graphs(incremental)}) | "
               f"{row['seconds'] / incremental['seconds']:.1f}× | " if incremental else "n/a | n/a | ")
            + (f"{one['seconds']:.1f} | {one['seconds'] / row['seconds']:.2f}× |" if one else "n/a | n/a |"))
    return "\n".join(out)


def reused_graphs(incremental: dict) -> str:
    if incremental.get("graphs_reused") is None:
        return "n/a"
    store = "store updated" if incremental.get("store_updated") else "store loaded"
    return f"{incremental['graphs_reused']}/{incremental['graphs']}, {store}"


def write_json(path: Path, seed: int, repeat: int, rows: dict) -> None:
    path.write_text(json.dumps({"seed": seed, "repeat": repeat, "rows": rows}, indent=1, ensure_ascii=False),
                    encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 200, 800, 2000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="where generated collections are kept")
    parser.add_argument("--quick", action="store_true", help="skip the incremental and workers=1 builds")
    parser.add_argument("--json", type=Path, default=None, help="also write the measurements as JSON")
    args = parser.parse_args()
    rows = {}
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        for size in args.sizes:
            rows[size] = measure_size(size, args.seed, args.repeat, args.cache, Path(tmp), args.quick)
            if args.json:  # after every size: a long run interrupted keeps what it measured
                write_json(args.json, args.seed, args.repeat, rows)
            for leftover in Path(tmp).glob(f"build-{size}-*"):
                shutil.rmtree(leftover, ignore_errors=True)  # builds of 2000 documents are large
    print(f"measured on {datetime.date.today().isoformat()}, seed {args.seed}\n")
    print(tables(rows, args.repeat))


if __name__ == "__main__":
    main()
