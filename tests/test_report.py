"""Alignment and continuity reports: files, content and HTML escaping of untrusted text."""
from __future__ import annotations

import csv

import pytest

from kg.records import Alignment, Corpus, Document, DocumentMeta, Section
from kg.report import write_alignment_report, write_continuity_report

EVIL = "<img src=x onerror=alert(1)>工程"


@pytest.fixture()
def hostile_corpus():
    upper_text = f"1. 实施“新优质初中”建设。持续开展“{EVIL}”全面推进义务教育优质均衡发展，建设一批。\n"
    lower_text = f"1. 落实“新优质初中”建设。持续开展“{EVIL}”全面推进义务教育优质均衡发展，本区新建学校两所。\n"
    upper = Document(DocumentMeta("up", title="市<b>规划</b>", level="city", region="郑州市", year=2021,
                                  period_start=2021, period_end=2025), upper_text)
    lower = Document(DocumentMeta("low", title="区要点", level="district", region="郑州市惠济区", year=2023), lower_text)
    sections = {d.doc_id: [Section(d.doc_id, "1", "measure", "1", "标题", 0, len(d.text), d.text.index("。") + 1,
                                   is_measure=True)] for d in (upper, lower)}
    return Corpus(documents=[upper, lower], sections=sections)


def test_alignment_report_escapes_document_text(hostile_corpus, tmp_path):
    paths = write_alignment_report(hostile_corpus, tmp_path)
    assert {p.name for p in paths} == {"alignment.md", "alignment.html", "alignment.csv", "reuse.csv"}
    html = (tmp_path / "alignment.html").read_text(encoding="utf-8")
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;工程" in html
    assert "<b>规划</b>" not in html
    assert "<script" not in html and "http" not in html.split("<body>")[0]  # self-contained head
    markdown = (tmp_path / "alignment.md").read_text(encoding="utf-8")
    assert "<img" not in markdown
    rows = list(csv.DictReader((tmp_path / "alignment.csv").open(encoding="utf-8")))
    assert len(rows) == 1 and rows[0]["upper_doc"] == "up" and rows[0]["strength"] == "direct"
    assert "新优质初中" in rows[0]["shared_programs"]
    assert EVIL + "”全面推进义务教育优质均衡发展" in rows[0]["lower_quote"]


def test_continuity_report_escapes_program_names(hostile_corpus, tmp_path):
    write_continuity_report(hostile_corpus, tmp_path, program=EVIL)
    html = (tmp_path / "continuity.html").read_text(encoding="utf-8")
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;工程" in html
    rows = list(csv.DictReader((tmp_path / "continuity_programs.csv").open(encoding="utf-8")))
    assert {r["doc_id"] for r in rows} == {"up", "low"}
    assert all(EVIL in r["quote"] for r in rows)


def test_local_only_measure_is_reported_as_such(hostile_corpus, tmp_path):
    local = [Alignment("low", "1", local_only=True)]
    write_alignment_report(hostile_corpus, tmp_path, alignments=local)
    rows = list(csv.DictReader((tmp_path / "alignment.csv").open(encoding="utf-8")))
    assert rows[0]["strength"] == "local_only" and rows[0]["upper_doc"] == ""
    assert "local-only measures**: 1 of 1 (100%)" in (tmp_path / "alignment.md").read_text(encoding="utf-8")


def test_continuity_report_names_the_government_of_every_series(tmp_path):
    """Changes and trajectories run within one government and say which; other governments'
    values are in the separate "who else set this indicator" table."""
    from kg.records import Mention

    docs, mentions = [], []
    for doc_id, region, level, year, program, value in (
            ("c2016", "郑州市", "city", 2016, "普通高中多样化发展", "80"),
            ("c2021", "郑州市", "city", 2021, "普通高中多样化发展示范校", "85"),
            ("d2023", "郑州市惠济区", "district", 2023, "校园足球", "90")):
        text = f"实施“{program}”。普惠性幼儿园覆盖率达到{value}%。"
        docs.append(Document(DocumentMeta(doc_id, level=level, region=region, year=year), text))
        start = text.index(program)
        mentions.append(Mention(doc_id, "program", program, start, start + len(program), canonical=program))
        start = text.index("普惠性")
        mentions.append(Mention(doc_id, "target", "普惠性幼儿园覆盖率", start, start + 9, indicator="普惠性幼儿园覆盖率",
                                value=value, unit="%", kind="target", year=year, canonical="普惠性幼儿园覆盖率"))
    corpus = Corpus(documents=docs, sections={d.doc_id: [] for d in docs}, mentions=mentions)
    write_continuity_report(corpus, tmp_path)
    [change] = list(csv.DictReader((tmp_path / "continuity_changes.csv").open(encoding="utf-8")))
    assert (change["government"], change["from_doc"], change["to_doc"]) == ("郑州市", "c2016", "c2021")
    assert change["renamed"] == "普通高中多样化发展 → 普通高中多样化发展示范校" and change["dropped"] == ""
    points = list(csv.DictReader((tmp_path / "continuity_indicators.csv").open(encoding="utf-8")))
    assert {(p["government"], p["doc_id"]) for p in points} == {
        ("郑州市", "c2016"), ("郑州市", "c2021"), ("郑州市惠济区", "d2023")}
    markdown = (tmp_path / "continuity.md").read_text(encoding="utf-8")
    assert "**change series (one government each)**: 郑州市 2016→2021" in markdown
    assert '## <a id="table-4"></a>Who else set this indicator (across governments)' in markdown
    # documents by their short names, ids in the machine column only
    assert "| 普惠性幼儿园覆盖率 | percent | 郑州市惠济区 | 90% (2023, target) | 惠济2023 | d2023 |" in markdown
    assert all(p["value"] in p["quote"] and p["quote"].endswith("。") for p in points)
