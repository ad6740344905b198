"""What a researcher's folder really holds: one build over good, odd and broken files.

A good plan as .txt, .docx, .pdf and an .html article page, a Big5 file, a traditional-script
copy, a 3 M-character file, and an empty file, a binary file, a truncated .docx and a text file
named .pdf. Every good file builds with its measures and entities, every bad one is one line
on stderr, the exit status is 2, and nothing half-written is left behind.
"""
from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
HUIJI = REPO / "corpus" / "001_56320e920f24c20a.txt"
CENTRE = REPO / "corpus" / "000_16f97bdad5560e56.txt"
PLAN_2016 = REPO / "corpus" / "003_e4eb59aa704bb68c.txt"
LONG_CHARS = 3_000_000

GOOD = {"plan.txt", "plan.docx", "plan.pdf", "article.html", "centre-big5.txt", "plan2016-traditional.txt",
        "long.txt"}
BAD = {"empty.txt", "binary.txt", "truncated.docx", "not-really.pdf"}


def write_docx(path: Path, lines: list[str]) -> None:
    import docx

    document = docx.Document()
    for line in lines:
        document.add_paragraph(line)
    document.save(str(path))


def write_pdf(path: Path, lines: list[str]) -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    page = canvas.Canvas(str(path))
    y = 800
    for line in lines:
        # one PDF line per 38 characters, as a narrow page would wrap them
        for start in range(0, max(len(line), 1), 38):
            if y < 40:
                page.showPage()
                y = 800
            page.setFont("STSong-Light", 12)
            page.drawString(30, y, line[start:start + 38])
            y -= 16
    page.save()


def long_document() -> str:
    """A plan of ≥ 3 M characters: numbered measures built from the 2016 plan's paragraphs, varied."""
    paragraphs = [line for line in PLAN_2016.read_text(encoding="utf-8").splitlines() if len(line) > 40]
    lines = ["某市教育事业发展长期规划（2021—2035年）"]
    size, number = 0, 0
    while size < LONG_CHARS:
        number += 1
        if number % 40 == 1:
            lines.append(f"第{number // 40 + 1}部分 重点任务")
        body = paragraphs[number % len(paragraphs)]
        line = f"{number}.第{number}项任务。{body}到{2021 + number % 15}年，覆盖率达到{50 + number % 50}%。"
        lines.append(line)
        size += len(line) + 1
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def mixed_folder(tmp_path_factory) -> Path:
    import opencc

    folder = tmp_path_factory.mktemp("mixed") / "corpus"
    folder.mkdir()
    plan = HUIJI.read_text(encoding="utf-8")
    lines = [line for line in plan.splitlines() if line.strip()]
    (folder / "plan.txt").write_text(plan, encoding="utf-8")
    write_docx(folder / "plan.docx", lines)
    write_pdf(folder / "plan.pdf", lines)
    body = "".join(f"<p>{line}</p>" for line in lines)
    (folder / "article.html").write_text(
        "<html><head><meta charset='utf-8'><title>通知</title></head><body>"
        "<nav><a href='/'>首页</a> | <a href='/news'>新闻</a></nav>"
        f"<article>{body}</article><footer>版权所有</footer></body></html>", encoding="utf-8")
    to_traditional = opencc.OpenCC("s2t")
    centre = CENTRE.read_text(encoding="utf-8")
    (folder / "centre-big5.txt").write_bytes(to_traditional.convert(centre).encode("big5", errors="replace"))
    (folder / "plan2016-traditional.txt").write_text(
        to_traditional.convert(PLAN_2016.read_text(encoding="utf-8")), encoding="utf-8")
    (folder / "long.txt").write_text(long_document(), encoding="utf-8")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 64)
    complete = folder / "truncated.docx"
    write_docx(complete, lines)
    complete.write_bytes(complete.read_bytes()[: complete.stat().st_size // 2])
    (folder / "not-really.pdf").write_text(plan, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def mixed_build(mixed_folder):
    out = mixed_folder.parent / "build"
    result = subprocess.run(
        [str(Path(sys.executable).parent / "kg"), "build", str(mixed_folder), "-o", str(out), "--no-views"],
        capture_output=True, text=True, cwd=mixed_folder.parent, timeout=1800,
        env={**os.environ, "PYTHONUTF8": "1"},
    )
    return out, result


def documents(out: Path) -> dict[str, dict]:
    with (out / "documents.csv").open(encoding="utf-8", newline="") as rows:
        return {row["source"] if "source" in row else row["doc_id"]: row for row in csv.DictReader(rows)}


def test_exit_status_and_one_line_per_bad_file(mixed_build, mixed_folder):
    out, result = mixed_build
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    for name in BAD:
        named = [line for line in errors if str(mixed_folder / name) in line]
        assert len(named) == 1, (name, errors)
    for name in GOOD:
        assert not [line for line in errors if str(mixed_folder / name) in line], name


def test_every_good_file_builds_with_measures_and_entities(mixed_build):
    out, _ = mixed_build
    rows = [json.loads(line) for line in (out / "documents.jsonl").read_text(encoding="utf-8").splitlines()]
    by_source = {row["source"]: row for row in rows}
    assert set(by_source) == GOOD
    mentions = [json.loads(line) for line in (out / "mentions.jsonl").read_text(encoding="utf-8").splitlines()]
    kinds: dict[str, set[str]] = {}
    for mention in mentions:
        kinds.setdefault(mention["doc_id"], set()).add(mention["type"])
    for source, row in by_source.items():
        assert row["measures"] >= 20, source
        assert {"organization", "target"} <= kinds.get(row["doc_id"], set()), source
    # the same plan in four formats gives the same metadata and measure count
    same = [by_source[name] for name in ("plan.txt", "plan.docx", "plan.pdf", "article.html")]
    assert {(r["issuer"], r["level"], r["year"], r["doc_type"], r["measures"]) for r in same} == {
        ("郑州市惠济区教育局", "district", 2023, "工作要点", 30)}
    assert by_source["centre-big5.txt"]["encoding"] == "big5"
    assert by_source["centre-big5.txt"]["year"] == 2024
    assert by_source["plan2016-traditional.txt"]["year"] == 2016
    assert len({row["doc_id"] for row in rows}) == len(rows)


def test_offsets_exact_in_every_document(mixed_build):
    out, _ = mixed_build
    from kg.builddir import load_corpus

    corpus = load_corpus(out)
    texts = {d.doc_id: d.text for d in corpus.documents}
    assert max(len(t) for t in texts.values()) >= LONG_CHARS
    for mention in corpus.mentions:
        assert texts[mention.doc_id][mention.start:mention.end] == mention.text


def test_no_partial_output_left(mixed_build, mixed_folder):
    out, _ = mixed_build
    assert (out / ".kg-build.json").is_file() and (out / "store").is_dir() and (out / "graph.trig").is_file()
    leftovers = [p.name for p in out.parent.iterdir() if p.name.startswith(".")]
    assert leftovers == []
    assert sorted(p.name for p in mixed_folder.iterdir()) == sorted(GOOD | BAD)
