"""Programs learned from the corpus being built (issue 10, item 2): crafted documents of other
fields (health, employment, culture) and other provinces, never sentences of the bundled texts."""
from __future__ import annotations

import re

import pytest

from kg.components.programs import coordinated_programs, find_programs
from kg.extract import extract, make_pipeline
from kg.lexicon import DEFAULT_LEXICON, Lexicon, load_lexicon
from kg.link import learned_heads, link
from kg.records import Corpus, Document, DocumentMeta
from kg.structure import parse_structure

HEALTH = "一、深化医疗改革\n推进“县域医疗卫生联合体”建设，组建“城市医疗集团联合体”。\n"
EMPLOYMENT = "一、促进就业\n实施“粤菜师傅”培训，组建区域技能人才联合体。推动“体教融合”。\n"
CULTURE = "一、繁荣文化\n成立县域公共文化服务联合体，深化体教融合，办好“岭南文化讲坛”。\n"


@pytest.fixture(scope="module")
def nlp():
    return make_pipeline(use_lexicon=False)


def _build(nlp, *texts: str):
    documents = [Document(DocumentMeta(f"d{i}"), text) for i, text in enumerate(texts)]
    mentions = []
    for document in documents:
        mentions += extract(document, parse_structure(document), nlp)
    return documents, mentions


def _programs(linked, doc_id):
    return [(m.text, m.start, m.source) for m in linked if m.type == "program" and m.doc_id == doc_id]


def test_a_final_word_ending_two_quoted_names_becomes_a_head(nlp):
    documents, mentions = _build(nlp, HEALTH, EMPLOYMENT, CULTURE)
    texts = {d.doc_id: d.match_text for d in documents}
    assert learned_heads(mentions, texts, Lexicon()) == {"联合体": None}
    linked, _ = link(mentions, Lexicon(), corpus=Corpus(documents=documents))
    assert ("区域技能人才联合体", 20, "learned-head") in _programs(linked, "d1")
    assert ("县域公共文化服务联合体", 9, "learned-head") in _programs(linked, "d2")


def test_a_name_quoted_once_is_found_unquoted_in_other_documents(nlp):
    documents, mentions = _build(nlp, HEALTH, EMPLOYMENT, CULTURE)
    linked, _ = link(mentions, Lexicon(), corpus=Corpus(documents=documents))
    assert ("体教融合", 23, "corpus-repeat") in _programs(linked, "d2")
    # 讲坛 ends one name only: no head, and 岭南文化讲坛 is not looked for in its own document again
    assert [p for p in _programs(linked, "d2") if "讲坛" in p[0]] == [("“岭南文化讲坛”", 30, "quoted")]


def test_a_held_out_document_teaches_nothing(nlp):
    """Leave-one-document-out: with d1 held out, 体教融合 (quoted in d1 only) is not learned, so
    d2's plain 体教融合 is not found; d1 itself is still extracted as before."""
    documents, mentions = _build(nlp, HEALTH, EMPLOYMENT, CULTURE)
    linked, _ = link(mentions, Lexicon(), corpus=Corpus(documents=documents), held_out="d1")
    assert ("体教融合", 23, "corpus-repeat") not in _programs(linked, "d2")
    assert ("“体教融合”", 32, "quoted") in _programs(linked, "d1")
    linked, _ = link(mentions, Lexicon(), corpus=Corpus(documents=documents), held_out="d2")
    assert ("体教融合", 23, "corpus-repeat") in _programs(linked, "d2")


def test_a_word_mostly_outside_names_is_not_learned(nlp):
    # 标准 ends two quoted names but stands four times in plain wording
    texts = ("一、人才\n落实“浙江人才标准”和“杭州工匠标准”。\n",
             "一、卫生\n提高补助标准，执行收费标准，达到建设标准，明确评价标准。\n")
    documents, mentions = _build(nlp, *texts)
    assert learned_heads(mentions, {d.doc_id: d.match_text for d in documents}, Lexicon()) == {}


def test_generic_wording_quoted_once_is_not_propagated(nlp):
    documents, mentions = _build(nlp, "一、教育\n改进“课堂教学”。\n", "一、教育\n提升课堂教学质量。\n")
    linked, _ = link(mentions, Lexicon(), corpus=Corpus(documents=documents))
    assert _programs(linked, "d1") == []


def test_lexicon_keeps_only_national_and_provincial_programs():
    text = DEFAULT_LEXICON.read_text(encoding="utf-8")
    blocks = [b for b in text.split("\n\n") if "a skos:Concept ;" in b]
    scopes = [re.search(r'kg:scope "(\w+)"', b) for b in blocks]
    assert all(scopes) and {s.group(1) for s in scopes} == {"national", "provincial"}
    lexicon = load_lexicon()
    for local in ("道德课堂", "学在郑州", "美好教育", "郑州标准", "新优质初中", "名师工作室"):
        assert lexicon.lookup(local) is None
    assert lexicon.lookup("双减").pref_label == "双减" and lexicon.lookup("县管校聘") is not None


# --- discovery without the lexicon (issue 10, part P2): crafted sentences of health, employment,
# culture, sport and party work, never sentences of the bundled texts ---


def _found(text):
    return [(text[s:e], s, rule) for s, e, _, rule in find_programs(text, use_lexicon=False)]


@pytest.mark.parametrize("text, expected", [
    # a generic last word before a specific head names the field
    ("全面落实安全生产工作责任制。", [("安全生产工作责任制", 4, "head-noun")]),
    ("建成医保基金监管平台。", [("医保基金监管平台", 2, "head-noun")]),
    # ... before 工程, “X建设工程” is a project's proper name
    ("实施乡风文明建设工程。", [("乡风文明建设工程", 2, "head-noun")]),
    # ... before 改革, the arrangement reformed, after specific words
    ("推进医药卫生体制改革。", [("医药卫生体制改革", 2, "head-noun")]),
    # generic words before a compound specific head name its field
    ("浙江省开展学前教育宣传月活动。", [("学前教育宣传月", 5, "head-noun")]),
    ("培育一批中医药文化特色学校。", [("中医药文化特色学校", 4, "head-noun")]),
])
def test_specific_heads_keep_names_the_generic_rules_used_to_reject(text, expected):
    assert _found(text) == expected


@pytest.mark.parametrize("text", [
    "完善回访核实工作制度。",      # 制度 after a generic word: an ordinary arrangement
    "实施卫生健康工作机制。",
    "推进人事管理体制改革。",      # the arrangement reformed after generic words only
    "依托社区医院，联合康复工作室。",  # two characters before 工作室: wording
    "促进示范校际交流。",          # 示范校际: another word
])
def test_generic_wording_stays_rejected(text):
    assert _found(text) == []


@pytest.mark.parametrize("text, expected", [
    ("班子成员参加民主生活会。", [("民主生活会", 6, "head-noun")]),
    ("推动法治进校园。", [("法治进校园", 2, "head-noun")]),
    ("深入开展爱国卫生运动，组织运动员参加比赛。", [("爱国卫生运动", 4, "head-noun")]),
    ("举办全省青年创新创业比赛。", [("青年创新创业比赛", 4, "head-noun")]),
    ("开展残疾人就业帮扶。", [("残疾人就业帮扶", 2, "head-noun")]),
    ("申报省级文化产业试点城市。", [("文化产业试点城市", 4, "head-noun")]),
    ("争创农村卫生健康示范县。", [("农村卫生健康示范县", 2, "head-noun")]),
    ("严格落实中央八项规定精神。", [("中央八项规定", 4, "head-noun")]),
    ("遵守新时代高校教师职业行为十项准则。", [("新时代高校教师职业行为十项准则", 2, "head-noun")]),
    ("推动中西医结合项目。", [("中西医结合项目", 2, "head-noun")]),
])
def test_event_meeting_designation_and_code_heads(text, expected):
    assert _found(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("实施乡村振兴和城乡融合工程。", [("乡村振兴工程", 2, 13)]),
    # a final verb of the core is shared with a conjunct naming whom the plan is for
    ("实施乡村医生和社区医生培训计划。", [("乡村医生培训计划", 2, 15)]),
    ("实施青年人才、高技能人才和乡村工匠培育计划。", [("高技能人才培育计划", 7, 21), ("青年人才培育计划", 2, 21)]),
    # not parallel: the core shared is longer than the conjunct, one plan
    ("落实乡村医生和基层医务人员全科转岗培训计划。", []),
    # a list of facilities, and attributes, share no head
    ("建设智慧病房、远程会诊工作室。", []),
    ("实施基础性、战略性、引领性工程。", []),
])
def test_coordinated_names_share_the_head(text, expected):
    found = find_programs(text, use_lexicon=False)
    assert [(name, s, e) for s, e, _, _, name in coordinated_programs(text, found)] == expected


def test_a_coordinated_name_is_its_own_concept(nlp):
    documents, mentions = _build(nlp, "一、卫生\n实施乡村医生和社区医生培训计划。\n")
    linked, concepts = link(mentions, Lexicon(), corpus=Corpus(documents=documents))
    assert sorted((m.canonical, m.text, m.source) for m in linked if m.type == "program") == [
        ("乡村医生培训计划", "乡村医生和社区医生培训计划", "coordinated"),
        ("社区医生培训计划", "社区医生培训计划", "head-noun")]
    assert sorted(c.pref_label for c in concepts if c.scheme == "programs") == ["乡村医生培训计划", "社区医生培训计划"]


@pytest.mark.parametrize("text, expected", [
    # a body leading a mechanism is part of its name
    ("全面实行公立医院党委领导下的院长负责制。", [("公立医院党委领导下的院长负责制", 4, "head-noun")]),
    ("落实党组织领导的校长负责制，健全制度。", [("党组织领导的校长负责制", 2, "head-noun")]),
    # a boundary word standing alone before a core-free head is its core
    ("认真落实组织生活会制度。", [("组织生活会", 4, "head-noun"), ("组织生活会制度", 4, "head-noun")]),
    ("各支部按时组织生活会。", []),
    # campaign designations named by a quality of the unit
    ("深化文明单位、平安社区创建。", [("文明单位", 2, "designation"), ("平安社区", 7, "designation")]),
    ("推进智慧校园建设，完善校园安全制度。", [("智慧校园", 2, "designation"), ("校园安全制度", 11, "head-noun")]),
    ("推进清廉医院建设，支持薄弱学校发展。", [("清廉医院", 2, "designation")]),
    ("引导学生回归校园。", []),
    ("各校实现学校校园网全覆盖。", []),
])
def test_governing_bodies_core_words_and_designations(text, expected):
    assert _found(text) == expected


@pytest.mark.parametrize("text, expected", [
    # the families the issue names: a generic filter used to reject these ...
    ("实施中小学生健康教育行动计划，推进全民健康。", [("中小学生健康教育行动计划", 2, "head-noun")]),
    ("推进依法治校示范校创建。", [("依法治校示范校", 2, "head-noun")]),
    ("建设就业创业服务管理平台。", [("就业创业服务管理平台", 2, "head-noun")]),
    # ... and these heads were not in the list
    ("举办非遗文化成就巡礼。", [("非遗文化成就巡礼", 2, "head-noun")]),
    ("组织开展优秀科技工作者评选。", [("优秀科技工作者评选", 4, "head-noun")]),
])
def test_the_issues_named_misses_are_found(text, expected):
    assert _found(text) == expected
