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
    # --- rules from the 2024 plans (000, the anonymised compilation 004) ---
    # a heading that opens with a verb names what follows the verb
    ("（三）深化教育集团化改革\n", "program", {"教育集团化改革"}),
    # a classifier opening a word is no count (项目化); a count inside the words ends the prefix
    ("遴选项目化学习示范校20所。", "program", {"项目化学习示范校"}),
    ("在幼儿园培育52个科学保教示范项目。", "program", {"科学保教示范项目"}),
    ("制定完善2026年体育中考考试项目规则。", "program", set()),
    # construction work on a building is no programme; 工程师 is no 工程
    ("市十一中学逸夫楼西综合楼加固续建项目竣工投用。", "program", set()),
    ("加快南方科技大学卓越工程师学院发展。", "program", set()),
    # name-internal verbs and verb phrases joined by 与 stay in the name
    ("开展学习型社会建设促进行动。", "program", {"学习型社会建设促进行动"}),
    ("推进中小学名师素质提升专项行动。", "program", {"中小学名师素质提升专项行动"}),
    ("实施义务教育薄弱环节改善与能力提升项目。", "program", {"义务教育薄弱环节改善与能力提升项目"}),
    ("完善招生考试制度。", "program", set()),
    # one quoted character is a watchword; the bureau running a programme is not in its name
    ("在“融”字上下功夫，在“转”字上创实效。", "program", set()),
    ("组织开展郑州市教育局家校社共育工程项目成果展示活动。", "program", {"家校社共育工程"}),
    ("依托中心教研组，联合技能工作室。", "program", set()),
    # festivals and publicity weeks; the ordinal before them is not part of the name
    ("组织开展第27届全国推广普通话宣传周。", "program", {"全国推广普通话宣传周"}),
    ("举办第三十五届全市中小学生艺术节。", "program", {"中小学生艺术节"}),
    # anonymised names are real names with the place masked: XX理工大学 is a university, XX市 a place
    ("推动XX理工大学加快设立。", "organization", {"XX理工大学"}),
    ("增强XX市教育发展基金会的公益力量。", "organization", {"XX市教育发展基金会"}),
    ("增强XX市教育发展基金会的公益力量。", "place", {"XX市"}),
    ("评选认定XX市中等职业学校“双师型”名师工作室10个。", "organization", set()),
    ("出台《XX市严重不良行为未成年人入读专门教育学校管理办法》。", "organization", set()),
    # a place plus 大学 is a university; short-form schools of the city; bureaus named by remit
    ("支持北京大学建设。", "organization", {"北京大学"}),
    ("市二中学生宿舍楼、市第四职业中学综合楼、市实验小学新建综合教学楼开工。", "organization",
     {"市二中", "市第四职业中学", "市实验小学"}),
    ("统筹全市重点中学和市区中小学。", "organization", set()),
    ("与市场监督管理局等相关局委紧密配合。", "organization", {"市场监督管理局"}),
    ("配合市教育局和关工委做好郑州市教育局“百校万家”项目。", "organization", {"市教育局", "关工委", "郑州市教育局"}),
    # a county name that would start inside a word is no place
    ("助力乡村振兴和县域特色经济发展。", "place", set()),
    ("提高XX区域教育数字化发展影响力，推进XX市中小学规范汉字书写。", "place", {"XX市"}),
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


def test_the_text_components_read_is_the_documents_own(nlp, documents):
    """Components read the text through doc_text, made once per piece: it must be exactly what
    spaCy would join from the tokens, on every bundled text (spaces, line breaks and all)."""
    from kg.components import doc_text, made_from

    for doc in documents.values():
        piece = doc.match_text[:5000]
        made = nlp.make_doc(piece)
        assert doc_text(made) == made.text == piece
        assert doc_text(made_from(nlp.make_doc(piece), piece)) == piece
