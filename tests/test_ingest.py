"""Ingest: formats, encodings, cleaning, metadata inference, manifest, compilations, bad input."""
from __future__ import annotations

import hashlib

import pytest

from kg.errors import InputError
from kg.ingest import (
    clean_text, infer_metadata, ingest_corpus, ingest_file, read_manifest, read_source,
)

PLAN = (
    "郑州市惠济区教育局文件\n惠教〔2023〕4号\n"
    "惠济区教育局 2023 年工作要点\n"
    "一、坚持党的领导\n"
    "1. 深入推进“双减”工作。学前教育毛入园率达到96%。\n"
)


# ----------------------------------------------------------------------------- formats

@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16", "utf-16-le", "utf-16-be"])
def test_txt_in_common_chinese_encodings(tmp_path, encoding):
    path = tmp_path / "plan.txt"
    path.write_bytes(PLAN.encode(encoding))
    text, fmt, _ = read_source(path)
    assert fmt == "txt"
    assert text.replace("\ufeff", "") == PLAN


def test_docx_paragraphs_and_tables(tmp_path):
    import docx

    document = docx.Document()
    for line in PLAN.splitlines():
        document.add_paragraph(line)
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "学前教育三年毛入园率（%）"
    table.rows[0].cells[1].text = "95"
    path = tmp_path / "plan.docx"
    document.save(path)
    [doc] = ingest_file(path)
    assert doc.meta.source_format == "docx"
    assert "1. 深入推进“双减”工作。" in doc.text
    assert "\t学前教育三年毛入园率（%）\n\t95" in doc.text
    assert doc.meta.doc_number == "惠教〔2023〕4号"


def test_text_pdf(tmp_path):
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    path = tmp_path / "plan.pdf"
    page = canvas.Canvas(str(path))
    page.setFont("STSong-Light", 12)
    for row, line in enumerate(PLAN.splitlines()):
        page.drawString(72, 760 - 20 * row, line)
    page.drawString(250, 40, "— 1 —")  # a page number, to be dropped
    page.save()
    [doc] = ingest_file(path)
    assert doc.meta.source_format == "pdf"
    assert "深入推进“双减”工作" in doc.text
    assert "— 1 —" not in doc.text
    assert doc.meta.year == 2023


def test_html_article_without_navigation(tmp_path):
    article = "".join(f"<p>{line}</p>" for line in PLAN.splitlines())
    html = (
        "<html><head><meta charset='gb18030'><title>惠济区教育局</title></head><body>"
        "<nav><ul><li><a href='/'>首页</a></li><li><a href='/news'>新闻中心</a></li><li>网站地图</li></ul></nav>"
        f"<article>{article}</article>"
        "<footer>版权所有 惠济区教育局 豫ICP备00000000号</footer></body></html>"
    )
    path = tmp_path / "plan.html"
    path.write_bytes(html.encode("gb18030"))
    [doc] = ingest_file(path)
    assert doc.meta.source_format == "html"
    assert "深入推进“双减”工作" in doc.text
    assert "新闻中心" not in doc.text and "网站地图" not in doc.text


# ----------------------------------------------------------------------------- cleaning

@pytest.mark.parametrize("raw, cleaned", [
    ("[bookmark: _Toc25157]郑州市教育事业发展规划\n", "郑州市教育事业发展规划\n"),
    ("第一段。\n— 12 —\n第二段。\n", "第一段。\n第二段。\n"),
    ("第一段。\n- 3 -\n第二段。\n", "第一段。\n第二段。\n"),
    ("见下图。[image: 1.png]\n", "见下图。\n"),
    # a sentence broken across lines (even across a blank line) is re-joined …
    ("6. 持续强化全过程科研服务指导。以专业为基准，实现云端\n\n指导常态化。\n", "6. 持续强化全过程科研服务指导。以专业为基准，实现云端指导常态化。\n"),
    # … but a heading never swallows the next line, and table cells stay apart
    ("一、坚持党建引领\n1. 加强基层党的建设。\n", "一、坚持党建引领\n1. 加强基层党的建设。\n"),
    ("\t学前教育毛入园率（%）\n\t95\n\t96\n", "\t学前教育毛入园率（%）\n\t95\n\t96\n"),
    ("\t双师型教师比例中职/高职（%）\n\t65/30\n", "\t双师型教师比例中职/高职（%）\n\t65/30\n"),
])
def test_clean_text(raw, cleaned):
    assert clean_text(raw) == cleaned


def test_cleaned_corpus_has_no_debris(documents):
    for doc in documents.values():
        assert "[bookmark" not in doc.text, doc.doc_id
        assert "\r" not in doc.text


def test_source_hash_kept(documents, corpus_dir):
    expected = hashlib.sha256((corpus_dir / "001_56320e920f24c20a.txt").read_bytes()).hexdigest()
    assert documents["001_56320e920f24c20a"].meta.sha256 == expected


# ----------------------------------------------------------------------------- metadata

def test_metadata_inferred_from_text_alone(corpus_dir):
    result = ingest_corpus(corpus_dir, use_manifest=False)
    meta = {d.doc_id: d.meta for d in result.documents}
    huiji = meta["001_56320e920f24c20a"]
    assert (huiji.title, huiji.issuer, huiji.level, huiji.region) == (
        "惠济区教育局2023年工作要点", "郑州市惠济区教育局", "district", "郑州市惠济区")
    assert (huiji.year, huiji.doc_type, huiji.doc_number) == (2023, "工作要点", "惠教〔2023〕4号")
    centre = meta["000_16f97bdad5560e56"]
    assert (centre.level, centre.doc_number, centre.signatory) == ("city-agency", "郑教规评〔2024〕15号", "寇爽")
    assert centre.title == "郑州市教育科学规划与评估中心2024年工作要点"
    plan = meta["002_37f57ac8b3229a3d"]
    assert (plan.period_start, plan.period_end, plan.doc_type, plan.level) == (2021, 2025, "规划", "city")
    projects = meta["003_e4eb59aa704bb68c"]
    assert projects.title == "郑州市教育局未来三年重点工程及2016年工作要点"
    assert (projects.year, projects.period_end, projects.doc_type, projects.issuer) == (2016, 2018, "重点工程", "郑州市教育局")


def test_manifest_wins_and_disagreements_are_reported(tmp_path):
    (tmp_path / "plan.txt").write_text(PLAN, encoding="utf-8")
    (tmp_path / "manifest.yaml").write_text(
        "documents:\n  - id: plan\n    year: 2024\n    level: district\n", encoding="utf-8")
    result = ingest_corpus(tmp_path)
    [doc] = result.documents
    assert doc.meta.year == 2024
    assert [(d.field, d.manifest, d.inferred) for d in result.disagreements] == [("year", 2024, 2023)]


def test_manifest_csv(tmp_path):
    path = tmp_path / "manifest.csv"
    path.write_text("id,title,year,level\nplan,某计划,2020,county\n", encoding="utf-8")
    assert read_manifest(path) == {"plan": {"title": "某计划", "year": 2020, "level": "county"}}
    path.write_text("id,upper\nplan,a;b\nother,\n", encoding="utf-8")
    assert read_manifest(path) == {"plan": {"upper": ["a", "b"]}, "other": {"upper": []}}


def test_infer_metadata_of_a_bare_text():
    meta = infer_metadata("某某县教育局2022年工作要点\n一、总体要求\n", "x")
    assert (meta.year, meta.doc_type, meta.level, meta.doc_number) == (2022, "工作要点", "county", None)


# ----------------------------------------------------------------------------- compilations

def test_compilation_split_in_toc_order(documents):
    parts = [documents[f"004_f29dea3288537dee#{n}"] for n in range(1, 6)]
    assert [p.meta.title for p in parts] == [
        "市教育局2024年工作要点", "市教育局2024年工作要点", "市教育局2024年全市教育工作要点",
        "县教育局2024年工作要点", "县教育局2024年教育工作要点"]
    assert [p.meta.status for p in parts] == ["complete", "complete", "truncated", "outline-only", "outline-only"]
    assert all(p.meta.parent == "004_f29dea3288537dee" for p in parts)
    assert "004_f29dea3288537dee" not in documents  # the container itself is not a plan
    # each part keeps what the file has of it
    assert "学前三年毛入园率达到94.5%以上" in parts[0].text
    assert "深化西丽湖国际科教城" in parts[1].text and "西丽湖" not in parts[0].text
    assert [s.kind for s in parts[2].segments] == ["body", "outline"]
    assert parts[2].text.startswith("市教育局2024年全市教育工作要点")
    assert "26.强化校园安全稳定" in parts[2].text
    assert "15.积极培育教师示范" in parts[4].text
    assert [p.meta.level for p in parts] == ["city", "city", "city", "county", "county"]


# ----------------------------------------------------------------------------- bad input

def test_unreadable_file_is_one_line_error_and_others_still_ingest(tmp_path):
    (tmp_path / "good.txt").write_text(PLAN, encoding="utf-8")
    (tmp_path / "broken.docx").write_bytes(b"PK\x03\x04 not really a zip")
    (tmp_path / "empty.txt").write_bytes(b"")
    result = ingest_corpus(tmp_path)
    assert [d.doc_id for d in result.documents] == ["good"]
    messages = sorted(str(e) for e in result.errors)
    assert len(messages) == 2
    assert messages[0].startswith(str(tmp_path / "broken.docx")) and "cannot read docx" in messages[0]
    assert messages[1].startswith(str(tmp_path / "empty.txt")) and "empty" in messages[1]
    assert all("\n" not in m for m in messages)


def test_unsupported_type_and_missing_folder(tmp_path):
    path = tmp_path / "plan.xls"
    path.write_bytes(b"\xd0\xcf")
    with pytest.raises(InputError, match="unsupported file type"):
        read_source(path)
    with pytest.raises(InputError, match="not a directory"):
        ingest_corpus(tmp_path / "missing")


def test_malformed_manifest_names_the_file(tmp_path):
    (tmp_path / "plan.txt").write_text(PLAN, encoding="utf-8")
    (tmp_path / "manifest.yaml").write_text("documents: [ {id: plan, year: 2024\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        ingest_corpus(tmp_path)
    assert str(caught.value).startswith(str(tmp_path / "manifest.yaml"))
