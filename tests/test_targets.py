"""Quantitative targets (kg/components/targets.py) on crafted sentences and the real corpus."""
from __future__ import annotations

import pytest
import spacy

from kg.components.targets import find_targets


def only(text: str, **context) -> dict:
    hits = find_targets(text, **context)
    assert len(hits) == 1, hits
    return hits[0]


ANNUAL = {"doc_year": 2023, "period": (2023, 2023)}
PLAN = {"doc_year": 2021, "period": (2021, 2025)}
ANNUAL_2024 = {"doc_year": 2024, "period": (2024, 2024)}

# text, context, expected fields (indicator: a word it must contain)
CASES = [
    ("学前教育三年毛入园率达到96%。", PLAN,
     dict(indicator="学前教育三年毛入园率", value="96", unit="%", comparator="=", kind="target", year=2025)),
    ("普惠性幼儿园覆盖率巩固在85%以上。", PLAN,
     dict(indicator="普惠性幼儿园覆盖率", value="85", unit="%", comparator=">=", kind="target")),
    ("2022年秋季开学民办义务教育在校生占比控制在5%以内。", PLAN,
     dict(indicator="民办义务教育在校生占比", value="5", unit="%", comparator="<=", year=2022)),
    ("全市中等职业学校办学条件达标率不低于80%。", ANNUAL,
     dict(indicator="办学条件达标率", value="80", unit="%", comparator=">=", year=2023)),
    ("在校生规模突破45万人。", PLAN, dict(value="45", unit="万人", comparator=">")),
    ("遴选 3-5 所学校开展中小学校党组织领导的校长负责制试点工作。", ANNUAL,
     dict(indicator="学校", value="3-5", unit="所", comparator="=", kind="target", year=2023)),
    ("推动每所职业学校重点建设2—3个骨干专业群。", PLAN, dict(indicator="骨干专业群", value="2—3", unit="个")),
    ("全区计划总投资 13.73 亿元。", ANNUAL, dict(indicator="计划总投资", value="13.73", unit="亿元")),
    ("全部建成后增加3.4万个学位。", PLAN, dict(indicator="学位", value="3.4", unit="万个")),
    ("发放资助金额14.81亿，对学生进行资助。", PLAN, dict(value="14.81", unit="亿元")),
    ("下降了32.72个百分点。", PLAN, dict(value="32.72", unit="个百分点")),
    ("学龄残疾儿童生均公用经费达到6000元/年。", PLAN, dict(value="6000", unit="元/年")),
    ("保证每周至少一节足球课。", ANNUAL,
     dict(indicator="足球课", value="1", unit="节", comparator=">=", source="targets:chinese-numeral")),
    ("评选75名“郑州市最美教师”。", PLAN, dict(indicator="郑州市最美教师", value="75", unit="名")),
    ("到2023年，力争实现全市儿童青少年总体近视率在2018年的基础上每年降低1个百分点以上。", PLAN,
     dict(indicator="近视率", value="1", unit="个百分点", comparator=">=", year=2023)),
    ("三年内保证市区学校每个年级配备2名艺术教师。", PLAN, dict(value="2", unit="名", year=2023)),
    # 2024 annual plans (000 and the anonymised compilation 004)
    ("学前三年毛入园率达到94.5%以上。", ANNUAL_2024,
     dict(indicator="学前三年毛入园率", value="94.5", unit="%", comparator=">=", kind="target", year=2024)),
    ("创建智慧校园160所。", ANNUAL_2024, dict(indicator="智慧校园", value="160", unit="所", comparator="=")),
    ("评选市级骨干教师700-800人。", ANNUAL_2024, dict(indicator="骨干教师", value="700-800", unit="人")),
    ("面向社会人员免费开展职业技能培训2万人以上。", ANNUAL_2024,
     dict(indicator="职业技能培训", value="2", unit="万人", comparator=">=")),
    ("全年教育经费投入达到294.4亿元。", ANNUAL_2024, dict(indicator="教育经费投入", value="294.4", unit="亿元")),
    ("民办义务教育在校生规模占比不超过5%。", ANNUAL_2024, dict(value="5", unit="%", comparator="<=")),
    # a Chinese-numeral count after a frequency cue (每月, 每半年)
    ("通过“XX市家庭教育指导服务驿站”每月开展一次家庭教育集中宣讲。", ANNUAL_2024,
     dict(indicator="家庭教育集中宣讲", value="1", unit="次", comparator="=", source="targets:chinese-numeral")),
    ("每半年研究部署一次文明创建工作。", ANNUAL_2024,
     dict(indicator="文明创建", value="1", unit="次", source="targets:chinese-numeral")),
]


@pytest.mark.parametrize("text, context, expected", CASES, ids=[c[0][:12] for c in CASES])
def test_target_shapes(text, context, expected):
    hit = only(text, **context)
    for key, value in expected.items():
        if key == "indicator":
            assert value in (hit["indicator"] or ""), hit
        else:
            assert hit[key] == value, (key, hit)
    assert text[hit["start"]:hit["end"]] == hit["text"]
    if hit["source"] == "targets:pattern":
        assert hit["text"].startswith(hit["value"][0])


@pytest.mark.parametrize("text", [
    "惠教〔2023〕4号",
    "在学规模排名第3位。",
    "2023年，惠济教育工作总体思路是：",
    "将着重推进十七项重点工程。",
    "开展“1+X”证书和技能培训认证工作。",
    "出台本地、本校3-5年的行动规划。",
    "指导第三批创建学校。",
    "《郑州市幼儿园布局规划（2021-2035）》",
    "2017年第7期以“评价育人”为题。",
    "组织开展一次中招体育质量测试。",  # a Chinese-numeral count without a cue word
])
def test_not_targets(text):
    assert find_targets(text, **ANNUAL) == []


def test_several_figures_in_one_clause_get_their_own_indicators():
    hits = find_targets("新建中小学 1 所、续建 11 所、投用 1 所。", **ANNUAL)
    assert [(h["value"], h["unit"]) for h in hits] == [("1", "所"), ("11", "所"), ("1", "所")]
    assert [h["indicator"] for h in hits] == ["新建中小学", "续建", "投用"]


def test_more_than_and_nearly():
    hits = find_targets("在园幼儿43万余人，五年来财政投入近80亿元。", **PLAN)
    assert [(h["value"], h["unit"], h["comparator"]) for h in hits] == [("43", "万人", ">"), ("80", "亿元", "<")]


THREE_YEAR_PLAN = """郑州市教育局未来三年重点工程
第一项工程——“学校建设工程”
    工程设定的三年总目标为：新建改扩建中小学90所，平均每年30所，大班额比2013年减少60%以上。
    2016年的具体目标为：新建改扩建30所中小学，使中小学校大班额比2013年减少40%以上。
郑州市教育局2016年工作要点
    11.大力开展校园足球项目。创建100所校园足球特色学校和5所幼儿足球试点园。
"""


def test_three_year_and_annual_goals_get_their_years():
    hits = find_targets(THREE_YEAR_PLAN, doc_year=2016, period=(2016, 2018))
    got = [(h["value"], h["unit"], h["year"], h["comparator"]) for h in hits]
    assert got == [
        ("90", "所", 2018, "="), ("30", "所", 2018, "="), ("60", "%", 2018, ">="),
        ("30", "所", 2016, "="), ("40", "%", 2016, ">="),
        ("100", "所", 2016, "="), ("5", "所", 2016, "="),
    ]
    assert hits[5]["indicator"] == "创建校园足球特色学校"
    assert hits[6]["indicator"] == "幼儿足球试点园"
    assert {h["kind"] for h in hits} == {"target"}


def test_period_read_from_the_title_when_not_given():
    hits = find_targets(THREE_YEAR_PLAN.replace("郑州市教育局未来三年重点工程", "郑州市教育局未来三年重点工程及2016年工作要点"))
    assert [h["year"] for h in hits][:4] == [2018, 2018, 2018, 2016]


PLAN_TEXT = """郑州市教育事业发展“十四五”规划
（2021—2025）
一、发展基础
（一）发展成效
普惠性幼儿园建设推进有力。截至2020年底，全市共有幼儿园1848所，普惠性幼儿园覆盖率达到81.85%。
二、总体思路
——学前教育：学前教育三年毛入园率达到96%，普惠性幼儿园覆盖率巩固在85%以上。
3.主要指标
\t指   标
\t2020年
\t2025年
\t属  性
\t学前教育毛入园率（%）
\t95
\t96
\t预期性
\t普惠性幼儿园在园儿童比例（%）
\t81.85
\t＞85
\t约束性
\t域内义务教育优质均衡县（市、区）（个）
\t-
\t2
\t预期性
\t职业教育双师型教师占专业教师比例中职/高职（%）
\t65/30
\t80/65
\t预期性
三、主要任务
"""


def test_achievements_targets_and_table_of_a_plan():
    hits = find_targets(PLAN_TEXT)  # period (2021, 2025) read from the title
    got = [(h["indicator"], h["value"], h["unit"], h["comparator"], h["year"], h["kind"]) for h in hits]
    assert got[:2] == [
        ("幼儿园", "1848", "所", "=", 2020, "achieved"),
        ("普惠性幼儿园覆盖率", "81.85", "%", "=", 2020, "achieved"),
    ]
    assert got[2:4] == [
        ("学前教育三年毛入园率", "96", "%", "=", 2025, "target"),
        ("普惠性幼儿园覆盖率", "85", "%", ">=", 2025, "target"),
    ]
    assert got[4:] == [
        ("学前教育毛入园率", "95", "%", "=", 2020, "baseline"),
        ("学前教育毛入园率", "96", "%", "=", 2025, "target"),
        ("普惠性幼儿园在园儿童比例", "81.85", "%", "=", 2020, "baseline"),
        ("普惠性幼儿园在园儿童比例", "85", "%", ">", 2025, "target"),
        ("域内义务教育优质均衡县（市、区）", "2", "个", "=", 2025, "target"),
        ("职业教育双师型教师占专业教师比例（中职）", "65", "%", "=", 2020, "baseline"),
        ("职业教育双师型教师占专业教师比例（高职）", "30", "%", "=", 2020, "baseline"),
        ("职业教育双师型教师占专业教师比例（中职）", "80", "%", "=", 2025, "target"),
        ("职业教育双师型教师占专业教师比例（高职）", "65", "%", "=", 2025, "target"),
    ]
    for hit in hits:
        assert PLAN_TEXT[hit["start"]:hit["end"]] == hit["text"]


# --------------------------------------------------------------------------- real corpus

def corpus_targets(document):
    meta = document.meta
    return find_targets(document.text, meta.year, (meta.period_start, meta.period_end))


def test_plan_2021_2025_indicator_table_pair(documents):
    doc = documents["002_37f57ac8b3229a3d"]
    table = [h for h in corpus_targets(doc) if h["source"] == "targets:table" and h["indicator"] == "学前教育毛入园率"]
    assert [(h["value"], h["unit"], h["year"], h["kind"]) for h in table] == [
        ("95", "%", 2020, "baseline"), ("96", "%", 2025, "target")]
    achieved = [h for h in corpus_targets(doc) if h["value"] == "81.85" and h["kind"] == "achieved"]
    assert any(h["indicator"] == "普惠性幼儿园覆盖率" for h in achieved)


def test_2016_document_years(documents):
    hits = corpus_targets(documents["003_e4eb59aa704bb68c"])
    by_quote = {(h["indicator"], h["value"]): h["year"] for h in hits}
    assert by_quote[("新建改扩建中小学", "90")] == 2018
    assert by_quote[("新建改扩建中小学", "30")] == 2016
    assert by_quote[("遴选美育示范学校", "50")] == 2018
    assert by_quote[("遴选美育示范学校", "20")] == 2016
    assert ("每周足球课", "1") in by_quote


def test_offsets_are_exact_on_the_corpus(documents):
    for document in documents.values():
        for hit in corpus_targets(document):
            assert document.text[hit["start"]:hit["end"]] == hit["text"]
            assert hit["kind"] in ("target", "baseline", "achieved")
            assert hit["comparator"] in ("=", ">=", ">", "<=", "<")


# --------------------------------------------------------------------------- spaCy component

def test_spacy_component_writes_spans():
    import kg.components.targets  # noqa: F401  (registers the factory)

    nlp = spacy.blank("zh")
    nlp.add_pipe("kg_targets")
    doc = nlp.make_doc("保持学前教育普惠率在90%以上，新建公办园 3 所。")
    doc.user_data["period"] = (2023, 2023)
    doc = nlp(doc)
    spans = list(doc.spans["kg_targets"])
    assert [s.text for s in spans] == ["90%", "3 所"]
    first = spans[0]._.kg
    assert (first["indicator"], first["value"], first["unit"], first["comparator"], first["year"], first["kind"]) == (
        "学前教育普惠率", "90", "%", ">=", 2023, "target")
    assert doc.text[first["char_start"]:first["char_end"]] == "90%"


def test_every_lexicon_entry_is_used_by_the_code():
    # The cue words moved out of the code must all be read back; a key nobody reads is a dead rule.
    import pathlib

    import kg.components.targets as targets
    from kg.components import load_yaml

    source = pathlib.Path(targets.__file__).read_text(encoding="utf-8")
    cues = load_yaml("targets.yaml")
    keys = [*cues, *cues["table"], *cues["chinese_numeral"], *cues["title_period"]]
    unused = [key for key in keys if f'"{key}"' not in source and f"'{key}'" not in source]
    assert unused == []


def test_chinese_numeral_count_followed_by_a_rank_word_is_skipped():
    # chinese_numeral.excluded_after: "一次批" is not "一次" ("至少一次" is a count, >=).
    assert find_targets("每周至少开展一次批量检测。", doc_year=2024) == []
    hit, = find_targets("每周至少开展一次质量检测。", doc_year=2024)
    assert (hit["value"], hit["unit"], hit["comparator"]) == ("1", "次", ">=")
