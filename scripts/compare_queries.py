"""Compare two versions of the canned queries on one build's store: same rows, and how fast?

    python scripts/compare_queries.py BUILD --before DIR [--after DIR] [--repeat N]

``DIR`` holds ``*.rq`` files (``--after`` defaults to ontology/queries); e.g. the queries of an
earlier commit: ``git archive REV ontology/queries | tar -x -C /tmp/before``. Each query present in
both runs with the parameters `benchmarks/bench_canned.py` reads from the build, and with each
optional parameter bound on its own. Rows are compared as a multiset (``same rows``) and in order
(``same order``); ties of an ORDER BY may come out in either order. Exit 0 when every query gives
the same rows, 1 otherwise.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))


def _median_ms(run, repeat: int):
    samples, rows = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        rows = run()
        samples.append((time.perf_counter() - started) * 1000)
    return rows, statistics.median(samples)


def _rows(store, query, params: dict[str, str]) -> list:
    from kg.rdf.query import bind_params, run_query, with_values

    return run_query("", with_values(query.sparql, bind_params(query, params)), store=store).rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build_dir", type=Path)
    parser.add_argument("--before", type=Path, required=True)
    parser.add_argument("--after", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    from bench_canned import build_parameters
    from kg.rdf.query import QUERIES_DIR, canned_queries
    from kg.rdf.store import held_store

    before, after = canned_queries(args.before), canned_queries(args.after or QUERIES_DIR)
    different = 0
    print("| query | parameters | rows | before ms | after ms | ratio | result |\n|---|---|---:|---:|---:|---:|---|")
    with held_store(args.build_dir) as store:
        values = build_parameters(store)
        for name in sorted(set(before) & set(after)):
            required = {p.name: values[p.name] for p in after[name].params if p.required}
            cases = [required] + [{**required, p.name: values[p.name]} for p in after[name].params if not p.required]
            for params in cases:
                old, old_ms = _median_ms(lambda: _rows(store, before[name], params), args.repeat)
                new, new_ms = _median_ms(lambda: _rows(store, after[name], params), args.repeat)
                same = Counter(map(repr, old)) == Counter(map(repr, new))
                result = ("same order" if old == new else "same rows") if same else "DIFFERENT"
                different += not same
                shown = ", ".join(f"{k}={v}" for k, v in params.items()) or "–"
                print(f"| {name} | {shown} | {len(new)} | {old_ms:.0f} | {new_ms:.0f} | "
                      f"{old_ms / max(new_ms, 0.01):.1f}× | {result} |")
    return 1 if different else 0


if __name__ == "__main__":
    sys.exit(main())
