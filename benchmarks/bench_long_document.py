"""Benchmark `kg build` on one very long document (1 M and 3 M characters by default).

The document is synthetic but shaped like a plan: a title, parts 一、… 九十九、, subsections （一）…
（十） and numbered measures whose bodies are paragraphs of the bundled corpus, in a varying order.
Each build runs in a fresh subprocess, so its peak RSS is the build's own.
Run: `.venv/bin/python benchmarks/bench_long_document.py [--chars 1000000,3000000] [--repeat 1]`.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # a sibling script, also when loaded by the tests
from bench_build import run_once  # noqa: E402  (one child process measures every build benchmark)

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"




def chinese_numeral(n: int) -> str:
    """1..99 as printed in part headings (一, 十, 十一, 二十, 九十九)."""
    digits = "一二三四五六七八九"
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else digits[tens - 1] + "十")
    return head + (digits[ones - 1] if ones else "")


def corpus_paragraphs() -> list[str]:
    """Body paragraphs of the bundled plans without their own heading numbers."""
    import re

    from kg.ingest import clean_text

    paragraphs = []
    for source in sorted(CORPUS.glob("*.txt")):
        for line in clean_text(source.read_text(encoding="utf-8")).split("\n"):
            body = re.sub(r"^\s*(?:\d{1,3}\s*[.．、]|[（(]\s*\d{1,2}\s*[）)]|[一二三四五六七八九十]+\s*[、，]"
                          r"|[（(][一二三四五六七八九十]+[）)])\s*", "", line)
            if len(body) >= 40 and not line.startswith("\t") and body.endswith("。"):
                paragraphs.append(body)
    return paragraphs


def long_plan(chars: int, title: str = "郑州市教育局2021年工作要点") -> str:
    """A plan of at least ``chars`` characters: up to 99 parts of 10 subsections of numbered measures."""
    paragraphs = corpus_paragraphs()
    lines = [title]
    length, count = len(title) + 1, 0
    measures_per_subsection = max(1, -(-chars // (99 * 10 * 150)))
    part = 0
    while length < chars:
        part += 1
        if part > 99:
            raise ValueError(f"{chars} characters need more than 99 parts")
        heading = f"{chinese_numeral(part)}、第{part}项重点任务"
        lines.append(heading)
        length += len(heading) + 1
        for subsection in range(1, 11):
            heading = f"（{chinese_numeral(subsection)}）推进第{part}-{subsection}组工作"
            lines.append(heading)
            length += len(heading) + 1
            for number in range(1, measures_per_subsection + 1):
                count += 1
                # a varying stride through the paragraphs, so neighbouring measures differ
                body = paragraphs[(count * 7 + part * 13) % len(paragraphs)]
                line = f"{number}. {body}"
                lines.append(line)
                length += len(line) + 1
            if length >= chars:
                break
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chars", default="1000000,3000000")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    print("| document | characters | mentions | triples | build s | s / 100k chars | peak MiB | slowest stages |")
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for chars in (int(c) for c in args.chars.split(",")):
            corpus = tmp / f"corpus_{chars}"
            corpus.mkdir()
            text = long_plan(chars)
            (corpus / "long.txt").write_text(text, encoding="utf-8")
            runs = [run_once(corpus, tmp / f"build_{chars}_{n}") for n in range(args.repeat)]
            seconds = statistics.median(r["seconds"] for r in runs)
            peak = statistics.median(r["peak_mib"] for r in runs)
            stages = {name: statistics.median(r["stages"].get(name, 0.0) for r in runs) for name in runs[0]["stages"]}
            slowest = ", ".join(f"{n} {s:.1f}s" for n, s in sorted(stages.items(), key=lambda kv: -kv[1])[:4])
            run = runs[0]
            print(f"| {chars / 1e6:g} M | {len(text)} | {run['mentions']} | {run['triples']} | {seconds:.1f} | "
                  f"{seconds / (len(text) / 1e5):.2f} | {peak:.0f} | {slowest} |", flush=True)
            if run["errors"]:
                print(f"errors: {run['errors']}", file=sys.stderr)


if __name__ == "__main__":
    main()
