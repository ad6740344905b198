"""kg.evaluate on a tiny crafted answer key and build (exact P/R figures)."""
from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from kg.cli import main
from kg.errors import InputError
from kg.evaluate import comparable_name, evaluate, indicator_similarity, name_keys, values_equal
from kg.evaluate.matching import normalise_unit
from kg.fileio import write_jsonl, write_text
from kg.records import DocumentMeta, Mention

DOC = "d1"
TEXT = "深化“县管校聘”改革，实施“名校+”工程。保持学前教育普惠率在90%以上，新建公办园 3 所、投用 1 所。组织开展一次中招体育质量测试。\n"

KEY = {
    "doc_id": DOC,
    "metadata": {"title": "某区2023年工作要点", "issuer": None, "level": "district", "year": 2023,
                 "doc_type": "工作要点", "doc_number": "惠教〔2023〕4号"},
    "programs": [
        {"name": "县管校聘", "surface": ["“县管校聘”改革"]},
        {"name": "名校+", "surface": ["“名校+”工程"]},
        {"name": "质量提升年", "surface": ["质量提升年"], "uncertain": True},
    ],
    "organizations": [{"name": "郑州市教育局", "surface": ["市教育局"]}],
    "cited_documents": [{"title": "信访工作条例"}],
    "places": [{"name": "惠济区"}, {"name": "郑州市"}],
    "targets": [
        {"indicator": "学前教育普惠率", "value": 90, "unit": "%", "comparator": ">=", "year": 2023, "kind": "target",
         "quote": "保持学前教育普惠率在90%以上"},
        {"indicator": "新建公办园", "value": 3, "unit": "所", "comparator": "=", "year": 2023, "kind": "target",
         "quote": "新建公办园 3 所"},
        {"indicator": "中招体育质量测试", "value": 1, "unit": "次", "comparator": "=", "year": 2023, "kind": "target",
         "quote": "组织开展一次中招体育质量测试", "uncertain": True},
    ],
}


def mention(type_, text, start=0, **fields):
    return Mention(doc_id=DOC, type=type_, text=text, start=start, end=start + len(text), **fields).to_json()


def target(value, unit, indicator, start, kind="target", year=2023, comparator="="):
    text = TEXT[start:start + len(value) + 1]
    return mention("target", text, start, value=value, unit=unit, indicator=indicator, kind=kind, year=year,
                   comparator=comparator)


def make_case(tmp_path: Path, mentions: list[dict], meta: dict | None = None) -> tuple[Path, Path]:
    gold, build = tmp_path / "gold", tmp_path / "build"
    gold.mkdir()
    (gold / f"{DOC}.yaml").write_text(yaml.safe_dump(KEY, allow_unicode=True), encoding="utf-8")
    (gold / "README.md").write_text("not a key", encoding="utf-8")
    write_text(build / "text" / f"{DOC}.txt", TEXT)
    write_jsonl(build / "mentions.jsonl", mentions)
    row = {"doc_id": DOC, "issuer": "", "level": "district", "year": 2023, "doc_type": "工作要点",
           "doc_number": "惠教〔2023〕4号", **(meta or {})}
    write_jsonl(build / "documents.jsonl", [{**asdict(DocumentMeta(**row)), "segments": []}])
    return gold, build


def perfect_mentions() -> list[dict]:
    at90, at3 = TEXT.index("90%"), TEXT.index("3 所")
    return [
        mention("program", "“县管校聘”改革", canonical="县管校聘", concept="xgxp"),
        mention("program", "县管校聘", canonical="县管校聘", concept="xgxp"),  # same concept: counts once
        mention("program", "“名校+”工程", canonical="名校+", concept="mx"),
        mention("organization", "市教育局", canonical="郑州市教育局"),
        mention("cited_document", "《信访工作条例》"),
        mention("place", "惠济区"),
        mention("place", "郑州市"),
        mention("target", "90%", at90, value="90", unit="%", indicator="学前教育普惠率", kind="target", year=2023,
                comparator=">="),
        mention("target", "3 所", at3, value="3", unit="所", indicator="新建公办园", kind="target", year=2023,
                comparator="="),
    ]


def figures(score):
    return (score.tp, score.fp, score.neutral, score.found, score.fn,
            round(score.precision, 4), round(score.recall, 4))


def test_perfect_build(tmp_path):
    report = evaluate(*make_case(tmp_path, perfect_mentions()))
    for category, score in report.categories.items():
        assert (score.precision, score.recall, score.f1) == (1.0, 1.0, 1.0), category
    assert figures(report.categories["program"]) == (2, 0, 0, 2, 0, 1.0, 1.0)
    assert report.metadata["accuracy"] == 1.0  # null issuer in the key = empty prediction
    assert report.target_attributes["agreement"] == {"kind": 1.0, "year": 1.0, "comparator": 1.0}
    assert report.below(0.99) == []
    assert report.errors == {}


def test_partial_build_with_suffix_tolerance_and_uncertain_items(tmp_path):
    at90, at3, at1 = TEXT.index("90%"), TEXT.index("3 所"), TEXT.index("1 所")
    mentions = [
        mention("program", "县管校聘改革"),  # suffix 改革 may be added: matches
        mention("program", "双减"),  # not in the key: spurious
        mention("program", "质量提升年行动"),  # matches an uncertain item: neutral
        mention("organization", "郑州市教育局"),
        mention("organization", "惠济区人民政府"),
        mention("place", "郑州市"),
        # matches on value+unit+similar wording
        mention("target", "90%", at90, value="90.0", unit="%", indicator="普惠率", kind="target", comparator="="),
        # wording unlike the key's, but inside the quote's occurrence
        mention("target", "3 所", at3, value="3", unit="所", indicator="xyz", kind="achieved"),
        mention("target", "1 所", at1, value="1", unit="所", indicator="投用"),  # spurious
        mention("target", "一次", TEXT.index("一次"), value="1", unit="次", indicator="中招体育质量测试"),  # neutral
    ]
    report = evaluate(*make_case(tmp_path, mentions, meta={"year": 2022, "doc_number": ""}))
    assert figures(report.categories["program"]) == (1, 1, 1, 1, 1, 0.5, 0.5)
    assert figures(report.categories["organization"]) == (1, 1, 0, 1, 0, 0.5, 1.0)
    assert figures(report.categories["place"]) == (1, 0, 0, 1, 1, 1.0, 0.5)
    assert figures(report.categories["cited_document"]) == (0, 0, 0, 0, 1, 0.0, 0.0)
    assert figures(report.categories["target"]) == (2, 1, 1, 2, 0, 0.6667, 1.0)
    assert report.categories["target"].f1 == pytest.approx(0.8)
    assert report.metadata["correct"] == 3 and report.metadata["total"] == 5
    assert report.target_attributes["agreement"]["kind"] == 0.5
    errors = report.errors[DOC]
    assert errors["program"] == {"missed": ["名校+"], "spurious": ["双减"]}
    assert errors["target"]["spurious"] == ["投用=1所"]
    assert set(report.below(0.75)) == {"program", "organization", "place", "cited_document"}
    text = report.to_text()
    assert "program spurious (1): 双减" in text and "metadata year" in text


def test_wrong_value_or_unit_never_matches(tmp_path):
    at90 = TEXT.index("90%")
    mentions = [
        mention("target", "90%", at90, value="91", unit="%", indicator="学前教育普惠率"),
        mention("target", "90%", at90, value="90", unit="个", indicator="学前教育普惠率"),
    ]
    report = evaluate(*make_case(tmp_path, mentions))
    assert figures(report.categories["target"]) == (0, 2, 0, 0, 2, 0.0, 0.0)


@pytest.mark.parametrize("a, b, equal", [
    ("83.30", 83.3, True), ("3—5", "3-5", True), ("3-5", "3-4", False), ("65/30", "65/30", True), ("96", 95, False),
    ("3 至 5", "3-5", True), ("3～5", "3到5", True),
])
def test_values_equal(a, b, equal):
    assert values_equal(a, b) is equal


def test_name_keys_and_similarity():
    assert "县管校聘" in name_keys("“县管校聘”改革")
    assert name_keys("三名工程") & name_keys("三名")
    assert indicator_similarity("学前教育毛入园率", "学前教育三年毛入园率") > 0.8
    assert indicator_similarity("学校", "河南省中小学数字校园标杆校") < 0.5


def test_comparable_names_are_looser_than_the_builds():
    # the yardstick drops title marks and folds widths and case; kg.text.normalise_name does not
    assert comparable_name("《信访工作条例》") == comparable_name("信访工作条例")
    assert comparable_name("“双减” （试点）AB") == comparable_name("双减(试点)ab") == "双减(试点)ab"
    assert comparable_name(None) == "" and name_keys(None) == set()
    assert name_keys("工程") == {"工程"}  # dropping the word would leave less than two characters
    assert normalise_unit(" ％") == "%" and normalise_unit("") is None


def test_missing_build_is_an_input_error(tmp_path):
    gold, build = make_case(tmp_path, [])
    (build / "mentions.jsonl").unlink()
    with pytest.raises(InputError, match="mentions.jsonl"):
        evaluate(gold, build)
    with pytest.raises(InputError, match="answer-key folder"):
        evaluate(tmp_path / "nowhere", build)
    (build / "mentions.jsonl").write_text("{not json\n", encoding="utf-8")
    with pytest.raises(InputError, match="not JSON Lines"):
        evaluate(gold, build)


def test_cli_eval_json_and_threshold(tmp_path):
    gold, build = make_case(tmp_path, perfect_mentions()[:3])
    runner = CliRunner()
    result = runner.invoke(main, ["eval", "--gold", str(gold), "--build", str(build), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["categories"]["program"]["f1"] == 1.0
    result = runner.invoke(main, ["eval", "--gold", str(gold), "--build", str(build), "--min-f1", "0.5"])
    assert result.exit_code == 1
    assert "target 0.000" in result.output


@pytest.mark.slow
def test_leave_one_out_scores_each_keyed_document_on_its_own_build(gold_dir, corpus_dir):
    from kg.build import evaluate_left_out

    report = evaluate_left_out(gold_dir, corpus_dir)
    assert sorted(report.documents) == ["001_56320e920f24c20a", "002_37f57ac8b3229a3d", "003_e4eb59aa704bb68c"]
    for category, total in report.categories.items():
        assert total.tp == sum(scores[category].tp for scores in report.documents.values())
        assert total.fn == sum(scores[category].fn for scores in report.documents.values())
    assert report.categories["program"].f1 > 0.7 and report.categories["target"].f1 > 0.9
    assert any("leave-one-document-out" in note for note in report.notes)
