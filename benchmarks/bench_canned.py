"""Latency of every canned query (ontology/queries/*.rq) on a finished build's Oxigraph store.

Usage: python benchmarks/bench_canned.py [BUILD_DIR] [--repeat N] [--markdown]

Parameters come from the build itself, so the figures mean the same on any corpus: the
document with the most alignments, the program named in most documents, the commonest indicator
wording and government, a cited title word. Prints the median of N runs per query in ms (the
issue's target: <= 200 ms each on an 800-document build).
"""
from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter
from pathlib import Path


def build_parameters(store) -> dict[str, str]:
    """One realistic value per parameter name, read from the store."""
    from kg.rdf.query import run_query

    def first(sparql: str) -> str:
        rows = run_query("", sparql, store=store).rows
        return str(rows[0][0]) if rows else ""

    lower = first("SELECT ?id WHERE { ?a a kg:Alignment ; kg:lowerSection/kg:inDocument ?d . ?d kg:docId ?id } "
                  "GROUP BY ?id ORDER BY DESC(COUNT(?a)) LIMIT 1")
    upper = first("SELECT ?id WHERE { ?a a kg:Alignment ; kg:upperSection/kg:inDocument ?d . ?d kg:docId ?id } "
                  "GROUP BY ?id ORDER BY DESC(COUNT(?a)) LIMIT 1")
    program = first("SELECT (STR(?label) AS ?l) WHERE { ?an oa:hasBody ?c ; prov:wasDerivedFrom ?d . "
                    "?c skos:inScheme kg:programScheme ; skos:prefLabel ?label } "
                    "GROUP BY ?label ORDER BY DESC(COUNT(DISTINCT ?d)) LIMIT 1")
    government = first("SELECT ?g WHERE { ?d kg:governmentKey ?g } GROUP BY ?g ORDER BY DESC(COUNT(?d)) LIMIT 1")
    later = first("SELECT ?id WHERE { ?d kg:docId ?id ; kg:governmentKey ?g ; dcterms:date ?y } "
                  "ORDER BY DESC(?y) LIMIT 1")
    earlier = first("SELECT ?id WHERE { ?d kg:docId ?id ; dcterms:date ?y } ORDER BY ?y LIMIT 1")
    wordings = Counter(str(row[0]) for row in run_query(
        "", "SELECT ?w WHERE { ?t kg:indicatorLabel ?w } LIMIT 5000", store=store).rows)
    indicator = next((w[-3:] for w, _ in wordings.most_common() if len(w) >= 3), "率")
    return {"document": lower, "district": lower, "lower": lower, "lowerDocument": lower, "upper": upper,
            "program": program, "government": government, "indicator": indicator, "from": earlier, "to": later,
            "cited": "十四五", "contains": indicator, "unit": "教育局", "level": "district"}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build_dir", nargs="?", default="build", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args(argv)

    from kg.rdf.query import canned_queries, run_canned
    from kg.rdf.store import held_store

    with held_store(args.build_dir) as store:
        values = build_parameters(store)
        rows = []
        for name, query in canned_queries().items():
            params = {p.name: values[p.name] for p in query.params if p.required or p.name in ("document",)}
            samples, count = [], 0
            for _ in range(args.repeat):
                started = time.perf_counter()
                count = len(run_canned(args.build_dir, name, params, store=store).rows)
                samples.append((time.perf_counter() - started) * 1000)
            rows.append((name, statistics.median(samples), count, params))
    if args.markdown:
        print("| query | median ms | rows | parameters |\n|---|---:|---:|---|")
        for name, ms, count, params in rows:
            print(f"| {name} | {ms:.0f} | {count} | {', '.join(f'{k}={v}' for k, v in params.items())} |")
    else:
        for name, ms, count, params in rows:
            print(f"{name:34} {ms:9.1f} ms {count:7d} rows  {params}")


if __name__ == "__main__":
    main()
