"""Text relations (kg.relations, issue 11): crafted plans of other provinces and fields (talent,
employment, health), built through the real pipeline; and the bundled corpus, every span exact."""
from __future__ import annotations

from collections import Counter

import pytest

from kg.extract import extract, make_pipeline
from kg.governments import government_of
from kg.lexicon import load_lexicon
from kg.link import link
from kg.records import Corpus, Document, DocumentMeta
from kg.relations import document_relations
from kg.structure import parse_structure

CITY = {"level": "city", "region": "广东省广州市", "issuer": "广州市人力资源和社会保障局", "year": 2025}


@pytest.fixture(scope="module")
def nlp():
    return make_pipeline(use_model=False)


def relations(nlp, text: str, title: str = "广州市人才工作2025年要点", corpus_titles=None, **meta):
    document = Document(DocumentMeta("crafted", title=title, **(meta or CITY)), text)
    sections = parse_structure(document)
    mentions, _ = link(extract(document, sections, nlp), load_lexicon(), corpus=Corpus(documents=[document]))
    found = document_relations(document, sections, mentions, government_of(document.meta), corpus_titles)
    for relation in found:
        assert relation.text == text[relation.start:relation.end]
    return found


def of_type(found, relation_type):
    return [r for r in found if r.type == relation_type]


def span_of(text: str, part: str) -> tuple[int, int]:
    start = text.index(part)
    return start, start + len(part)


# ---------------------------------------------------------------- carries_out

def test_a_measure_carries_out_each_program_once_from_its_first_sentence(nlp):
    text = ("一、人才引进\n1. 实施“青年英才计划”。扩大“青年英才计划”资助范围。\n"
            "2. 优化服务。推进“青年英才计划”评审改革。\n")
    found = of_type(relations(nlp, text), "carries_out")
    assert [(r.subject, r.object_label) for r in found] == [("1", "青年英才计划"), ("2", "青年英才计划")]
    assert (found[0].start, found[0].end) == span_of(text, "1. 实施“青年英才计划”。")
    assert found[1].text == "推进“青年英才计划”评审改革。"
    assert found[0].subject_type == "section" and found[0].object_type == "program"


# ---------------------------------------------------------------- sets_target

def test_a_target_in_the_programs_clause_is_set_for_it(nlp):
    text = "一、技能就业\n1. 提升技能。今年建成“南粤家政”服务站30个，培训学员一千人次。\n"
    found = of_type(relations(nlp, text), "sets_target")
    assert [(r.subject_label, r.text, r.source) for r in found] == [
        ("南粤家政", "今年建成“南粤家政”服务站30个，", "same-clause")]


def test_each_item_of_a_list_has_its_own_target(nlp):
    text = "一、健康促进\n1. 建设健康场所。创建30个“岭南名医工作室”和5个“健康示范社区”。\n"
    found = of_type(relations(nlp, text), "sets_target")
    assert sorted((r.subject_label, r.object) for r in found) == [
        ("健康示范社区", f"{text.index('5个')}-{text.index('5个') + 2}"),
        ("岭南名医工作室", f"{text.index('30个')}-{text.index('30个') + 3}")]


def test_a_value_given_to_each_item_is_set_for_every_program(nlp):
    text = "一、医疗服务\n1. 发展数字医疗。遴选“智慧医院”、“互联网医院”各10家。\n"
    found = of_type(relations(nlp, text), "sets_target")
    assert sorted((r.subject_label, r.source) for r in found) == [("互联网医院", "each-item"), ("智慧医院", "each-item")]


def test_a_program_opening_the_sentence_is_its_subject(nlp):
    text = "一、人才培养\n1. 深化培养。“岭南工匠工程”覆盖企业达到200家，惠及职工3万人。\n"
    found = of_type(relations(nlp, text), "sets_target")
    assert sorted((r.object_label, r.source) for r in found) == [
        ("“岭南工匠工程”覆盖企业200家", "same-clause"), ("惠及职工3万人", "program-subject")]
    tied = next(r for r in found if r.source == "program-subject")
    assert tied.text == "“岭南工匠工程”覆盖企业达到200家，惠及职工3万人。"


def test_a_target_in_another_sentence_of_the_section_is_not_the_programs(nlp):
    text = "一、教师管理\n1. 深化改革。推行“县管校聘”改革。遴选示范学校5所。\n"
    found = relations(nlp, text)
    assert of_type(found, "sets_target") == []
    assert [r.object_label for r in of_type(found, "carries_out")] == ["县管校聘"]


# ---------------------------------------------------------------- target_for

def test_a_target_is_for_the_place_named_before_it(nlp):
    text = "一、托育服务\n1. 扩大供给。全市新增托位5000个，其中天河区新建托育机构20所。\n"
    found = {r.subject_label: r for r in of_type(relations(nlp, text), "target_for")}
    assert found["新增托位5000个"].object == "广州市"  # the innermost unit, as the graph names the place
    assert found["新增托位5000个"].source == "own-government-word"
    assert found["天河区新建托育机构20所"].object == "天河区"
    assert found["天河区新建托育机构20所"].source == "place-in-clause"
    assert found["天河区新建托育机构20所"].text == "全市新增托位5000个，其中天河区新建托育机构20所。"


def test_a_place_in_another_clause_is_not_the_targets(nlp):
    text = "一、人才待遇\n1. 提高补助。落实广东省政策，乡村教师每月增加生活补助300元。\n"
    (found,) = of_type(relations(nlp, text), "target_for")
    assert (found.object, found.source) == ("广州市", "document-government")


def test_the_own_district_named_is_the_documents_government(nlp):
    meta = {"level": "district", "region": "广东省广州市天河区", "issuer": "广州市天河区卫生健康局", "year": 2025}
    text = "一、托育\n1. 扩大供给。天河区新建托育机构20所。\n"
    (found,) = of_type(relations(nlp, text, title="天河区卫生健康局2025年工作要点", **meta), "target_for")
    assert (found.object, found.source) == ("天河区", "place-in-clause")


def test_a_target_without_a_place_is_for_the_documents_government(nlp):
    text = "一、就业\n1. 稳定就业。开发公益性岗位800个。\n"
    (found,) = of_type(relations(nlp, text), "target_for")
    assert (found.object, found.source, found.object_type) == ("广州市", "document-government", "place")


def test_a_masked_government_is_its_key(nlp):
    meta = {"level": "county", "region": "XX县", "issuer": "XX县卫生健康局", "year": 2024}
    text = "一、基层卫生\n1. 建设村卫生室。新建标准化村卫生室12个。\n"
    (found,) = of_type(relations(nlp, text, title="县卫生健康局2024年工作要点", **meta), "target_for")
    assert found.object == "XX县@crafted" and "XX县" in found.object_label


# ---------------------------------------------------------------- responsible_for

def roles(found):
    return sorted((r.subject, r.role, r.object, r.text) for r in of_type(found, "responsible_for"))


def test_a_responsibility_bracket_names_the_lead_units_of_its_measure(nlp):
    text = "一、人才引进\n1. 实施引才工程。全年引进博士200名。（责任单位：市人力资源和社会保障局、市科技局）\n2. 其他。\n"
    bracket = "（责任单位：市人力资源和社会保障局、市科技局）"
    assert roles(relations(nlp, text)) == [("市人力资源和社会保障局", "lead", "1", bracket),
                                           ("市科技局", "lead", "1", bracket)]


def test_a_bracket_with_lead_and_support_units(nlp):
    text = "一、医疗服务\n1. 改善就医体验。（牵头单位：市卫生健康委员会；配合单位：市医疗保障局、市民政局）\n"
    bracket = "（牵头单位：市卫生健康委员会；配合单位：市医疗保障局、市民政局）"
    found = relations(nlp, text)
    assert roles(found) == [("市医疗保障局", "support", "1", bracket), ("市卫生健康委员会", "lead", "1", bracket),
                            ("市民政局", "support", "1", bracket)]
    assert {r.source for r in of_type(found, "responsible_for")} == {"responsibility-bracket"}
    assert of_type(found, "responsible_for")[0].start == text.index(bracket)


def test_a_responsible_office_bracket(nlp):
    # the office, not also the bureau its name begins with
    text = "一、人才评价\n1. 改进职称评审。（责任科室：市人社局职称处）\n"
    assert roles(relations(nlp, text)) == [("市人社局职称处", "lead", "1", "（责任科室：市人社局职称处）")]


def test_by_a_unit_responsible_and_others_supporting(nlp):
    text = "一、技能\n1. 建设实训基地。由市人力资源和社会保障局负责，市财政局、市教育局配合，新建实训基地10个。\n"
    found = relations(nlp, text)
    assert roles(found) == [("市人力资源和社会保障局", "lead", "1", "由市人力资源和社会保障局负责，"),
                            ("市教育局", "support", "1", "市财政局、市教育局配合，"),
                            ("市财政局", "support", "1", "市财政局、市教育局配合，")]
    lead = next(r for r in of_type(found, "responsible_for") if r.role == "lead")
    assert lead.source == "by-unit-verb" and (lead.start, lead.end) == span_of(text, "由市人力资源和社会保障局负责，")


def test_a_unit_leads_and_a_list_joined_by_he_supports(nlp):
    text = "一、就业\n1. 帮扶困难群体。市民政局牵头，市妇联和市总工会协同，做好兜底帮扶。\n"
    assert roles(relations(nlp, text)) == [("市妇联", "support", "1", "市妇联和市总工会协同，"),
                                           ("市总工会", "support", "1", "市妇联和市总工会协同，"),
                                           ("市民政局", "lead", "1", "市民政局牵头，")]


def test_a_listed_unit_not_extracted_as_a_mention_is_skipped(nlp):
    # 市残疾人联合会 is no organization mention of the rules: only 市总工会 of the list is kept
    text = "一、就业\n1. 帮扶困难群体。市残疾人联合会和市总工会配合，做好兜底帮扶。\n"
    assert [(s, role) for s, role, _, _ in roles(relations(nlp, text))] == [("市总工会", "support")]


def test_an_overseeing_unit(nlp):
    text = "一、基层卫生\n1. 开展专项检查。市人民政府教育督导委员会督导，各区按期完成整改。\n"
    assert [(s, role) for s, role, _, _ in roles(relations(nlp, text))] == [("市人民政府教育督导委员会", "oversight")]


def test_units_after_peihe_lead_the_work_the_author_helps_with(nlp):
    text = "一、卫生\n1. 做好健康宣传。配合市卫生健康委员会开展健康科普活动。\n"
    assert [(s, role) for s, role, _, _ in roles(relations(nlp, text))] == [("市卫生健康委员会", "lead")]


def test_because_and_persons_in_charge_are_no_responsibility(nlp):
    text = ("一、卫生\n1. 改善服务。由于经费紧张，市卫生健康委员会负责人出席会议。"
            "推进学校家庭社会协同育人。实行校长负责制。\n")
    assert roles(relations(nlp, text)) == []


# ---------------------------------------------------------------- cites, implements

def test_a_title_after_genju_is_implemented_and_cited(nlp):
    text = ("为深入贯彻落实《四川省人才发展条例》，结合本市实际，制定本要点。\n一、人才\n"
            "1. 出台政策。出台《成都市青年人才驿站管理办法》。\n")
    found = relations(nlp, text, title="成都市人才工作2025年要点", corpus_titles={"四川省人才发展条例": "sc-1"},
                      level="city", region="四川省成都市", issuer="成都市人力资源和社会保障局", year=2025)
    assert sorted((r.type, r.object_type, r.object) for r in found if r.type in ("cites", "implements")) == [
        ("cites", "document", "sc-1"), ("cites", "work", "成都市青年人才驿站管理办法"),
        ("implements", "document", "sc-1")]
    implements = of_type(found, "implements")[0]
    assert (implements.start, implements.end) == span_of(text, "为深入贯彻落实《四川省人才发展条例》，结合本市实际，制定本要点。")


def test_issuers_between_the_cue_and_the_title_and_a_second_title(nlp):
    text = "一、卫生\n1. 规范管理。按照国家卫生健康委员会印发的《医疗机构管理条例》和《护士条例》要求，加强监管。\n"
    found = relations(nlp, text)
    assert sorted(r.object for r in of_type(found, "implements")) == ["医疗机构管理条例", "护士条例"]


def test_a_title_cited_twice_is_one_citation_and_the_own_title_none(nlp):
    text = "广州市人才工作2025年要点\n一、人才\n1. 宣传。宣传《广东省人才发展条例》。解读《广东省人才发展条例》。\n"
    found = relations(nlp, text)
    cites = of_type(found, "cites")
    assert [(r.object, r.text) for r in cites] == [("广东省人才发展条例", "宣传《广东省人才发展条例》。")]
    assert of_type(found, "implements") == []


def test_output_is_sorted_and_without_duplicates(nlp):
    text = ("一、人才\n1. 实施“青年英才计划”。“青年英才计划”资助青年人才100名。（责任单位：市科技局）\n"
            "2. 落实《广东省人才发展条例》。\n")
    found = relations(nlp, text)
    keys = [(r.doc_id, r.start, r.type, r.subject, r.object) for r in found]
    assert keys == sorted(keys)
    assert len({(r.type, r.subject, r.object, r.role) for r in found}) == len(found)


# ---------------------------------------------------------------- the bundled corpus

@pytest.fixture(scope="module")
def corpus_relations():
    from kg.build import analyse
    corpus = analyse("corpus")
    titles = {d.meta.title: d.doc_id for d in corpus.documents if d.meta.title}
    found = []
    for document in corpus.documents:
        mentions = [m for m in corpus.mentions if m.doc_id == document.doc_id]
        found.append((document, document_relations(document, corpus.sections[document.doc_id], mentions,
                                                   government_of(document.meta), titles)))
    return found


def test_corpus_relations_have_exact_spans_and_every_type(corpus_relations):
    types = Counter()
    for document, found in corpus_relations:
        for relation in found:
            assert relation.text == document.text[relation.start:relation.end]
            assert relation.doc_id == document.doc_id
            types[relation.type] += 1
    assert set(types) == {"carries_out", "sets_target", "target_for", "responsible_for", "cites", "implements"}
