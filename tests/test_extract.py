"""Extraction components on the real corpus text and on crafted inputs."""
from __future__ import annotations

import pytest

from kg.extract import extract, make_pipeline
from kg.records import Document, DocumentMeta
from kg.structure import parse_structure

HUIJI = "001_56320e920f24c20a"
CITY_PLAN = "002_37f57ac8b3229a3d"
EVAL_CENTRE = "000_16f97bdad5560e56"


@pytest.fixture(scope="module")
def nlp():
    return make_pipeline()


@pytest.fixture(scope="module")
def nlp_no_lexicon():
    return make_pipeline(use_lexicon=False)


@pytest.fixture(scope="module")
def corpus_mentions(documents, nlp):
    return {doc_id: extract(doc, parse_structure(doc), nlp) for doc_id, doc in documents.items()}


def crafted(text: str, nlp) -> list:
    return extract(Document(DocumentMeta("crafted"), text), [], nlp)


def texts(mentions, mention_type: str) -> set[str]:
    return {m.text for m in mentions if m.type == mention_type}


def test_every_mention_points_at_its_text(documents, corpus_mentions):
    for doc_id, mentions in corpus_mentions.items():
        text = documents[doc_id].text
        assert mentions, doc_id
        for m in mentions:
            assert m.text == text[m.start:m.end]
            assert m.sentence_start <= m.start < m.end <= m.sentence_end


def test_new_quality_junior_school_found_in_huiji_and_city_plan(corpus_mentions):
    for doc_id in (HUIJI, CITY_PLAN):
        assert any("新优质初中" in m.text for m in corpus_mentions[doc_id] if m.type == "program"), doc_id


def test_measure_label_is_the_enclosing_section(corpus_mentions):
    double_reduction = [m for m in corpus_mentions[HUIJI] if m.type == "program" and "双减" in m.text]
    assert "9" in {m.measure for m in double_reduction}  # 9. 推动“双减”工作向纵深发展


def test_places_carry_level_and_parent(corpus_mentions):
    places = {m.text: m for m in corpus_mentions[HUIJI] if m.type == "place"}
    assert (places["惠济区"].subtype, places["惠济区"].parent) == ("district", "郑州市")
    assert (places["郑州市"].subtype, places["郑州市"].parent) == ("city", "河南省")


def test_cited_titles_are_found_without_brackets(corpus_mentions):
    titles = {m.text: m.subtype for m in corpus_mentions[HUIJI] if m.type == "cited_document"}
    assert titles["关于健全学校家庭社会协同育人机制的意见"] == "opinion"
    assert titles["信访工作条例"] == "regulation"


def test_signatory_is_a_person(corpus_mentions):
    assert texts(corpus_mentions[EVAL_CENTRE], "person") == {"寇爽"}


def test_organizations_of_huiji(corpus_mentions):
    orgs = texts(corpus_mentions[HUIJI], "organization")
    assert {"郑州市惠济区教育局", "市教育局", "教育部", "郑州市第三十八高级中学"} <= orgs
    assert not any(o.endswith("中小学") for o in orgs)


def test_pipeline_without_lexicon_still_finds_quoted_programs(nlp_no_lexicon):
    mentions = crafted("全面推进“县管校聘”改革，实施阳光体育工程。", nlp_no_lexicon)
    assert texts(mentions, "program") == {"“县管校聘”改革", "阳光体育工程"}
    assert all(m.source != "lexicon" for m in mentions)


@pytest.mark.parametrize("text, mention_type, expected", [
    # quoted names take a following head word; slogans, periods and tendencies are no programs
    ("纵深开展“三标”活动。", "program", {"“三标”活动"}),
    ("坚持“公平、公正、公开”原则。", "program", set()),
    ("较“十二五末”下降了3个百分点。", "program", set()),
    ("防止幼儿园“小学化”倾向。", "program", set()),
    # head-noun names start after the verb; counts and generic wording are dropped
    ("启动第二项工程建设。", "program", set()),
    ("建立健全长效机制。", "program", set()),
    ("实施学前教育普及普惠工程。", "program", {"学前教育普及普惠工程"}),
    ("严格落实三提高一规范要求。", "program", {"三提高一规范"}),
    # a verb right before the head belongs to the name; the verb before the name does not
    ("实施大学生创新创业能力提升工程。", "program", {"大学生创新创业能力提升工程"}),
    ("实施职业院校教师素质提高计划，提高占比。", "program", {"职业院校教师素质提高计划"}),
    ("建设郑州市中小学美育实践基地。", "program", {"郑州市中小学美育实践基地"}),
    # a heading line is the full name, joining words included; a title-like heading is not
    ("专栏10  民办教育规范发展与质量提升工程\n按照要求。", "program", {"民办教育规范发展与质量提升工程"}),
    ("郑州教育未来三年重点推进的十七项工程\n", "program", set()),
    # a standing rule counts, one in a list or in a passage full of rules does not; 制度化 is no head
    ("落实双月报制度，督促项目按计划推进。", "program", {"双月报制度"}),
    ("健全教职工代表大会制度、理事会制度。", "program", set()),
    ("深入推进以案促改制度化、常态化。", "program", set()),
    # designations: counts (also ranges) are not part of the name
    ("创建100所校园足球特色学校和5所幼儿足球试点园。", "program", {"校园足球特色学校", "幼儿足球试点园"}),
    ("建成3-5个黄河文化研学基地。", "program", {"黄河文化研学基地"}),
    # organizations: left boundary at a place, a boundary verb or a known body
    ("成立智慧教育实验区建设领导小组。", "organization", {"智慧教育实验区建设领导小组"}),
    ("郑州市关于推行中小学校长职级制度。", "organization", set()),
    ("支持郑州师范学院建设。", "organization", {"郑州师范学院"}),
    # places: two-character counties inside a word are not places; titles are documents
    ("创建美育示范县。", "place", set()),
    ("《郑州都市区中小学布局规划》", "place", set()),
    ("与新疆哈密对口帮扶。", "place", {"新疆", "哈密"}),
])
def test_crafted_cases(nlp, text, mention_type, expected):
    assert texts(crafted(text, nlp), mention_type) == expected


def test_short_form_place_is_linked_to_full_name(nlp):
    (place,) = [m for m in crafted("与广州开展合作。", nlp) if m.type == "place"]
    assert (place.canonical, place.subtype, place.parent) == ("广州市", "city", "广东省")


def test_jieba_segmenter_keeps_exact_offsets():
    text = "推进“名校+”工程，郑州市教育局组织实施。"
    mentions = crafted(text, make_pipeline(segmenter="jieba"))
    assert {"“名校+”工程", "郑州市教育局"} <= {m.text for m in mentions}
    assert all(m.text == text[m.start:m.end] for m in mentions)
