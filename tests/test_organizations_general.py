"""Organizations on text of other fields and provinces (issue 10): departments named by the
national pattern, type words beyond education, generic references, joint and list forms."""
import pytest

from kg.components.organizations import find_organizations


def orgs(text):
    return [(text[s:e], s, e, t) for s, e, t, _ in find_organizations(text)]


@pytest.mark.parametrize("text, expected", [
    # a list of a city's departments: each one, with its type (人社, 卫健, 医保 are national remits)
    ("由市人社局、市卫健委、市医保局按职责分工负责。",
     [("市人社局", 1, 5, "government"), ("市卫健委", 6, 10, "government"), ("市医保局", 11, 15, "government")]),
    ("县退役军人事务局牵头，县财政局配合。",
     [("县退役军人事务局", 0, 8, "government"), ("县财政局", 11, 15, "government")]),
    # party departments follow 委; the 中共 in front belongs to the name
    ("省委组织部、省委宣传部联合印发。", [("省委组织部", 0, 5, "party"), ("省委宣传部", 6, 11, "party")]),
    ("中共杭州市委宣传部、成都市医疗保障局", [("中共杭州市委宣传部", 0, 9, "party"), ("成都市医疗保障局", 10, 18, "government")]),
    ("省委教育工委组织开展培训。", [("省委教育工委", 0, 6, "party")]),
    ("市委人才工作领导小组办公室负责统筹。", [("市委人才工作领导小组办公室", 0, 13, "party")]),
    ("人才工作领导小组办公室负责统筹。", [("人才工作领导小组办公室", 0, 11, "agency")]),
    ("广东省卫生健康委员会和广东省文化和旅游厅联合主办。",
     [("广东省卫生健康委员会", 0, 10, "government"), ("广东省文化和旅游厅", 11, 20, "government")]),
    ("深圳市南山区科技创新局", [("深圳市南山区科技创新局", 0, 11, "government")]),
    # type words of research, universities and hospitals; a unit holds its institution's name
    ("支持浙江大学研究生院与杭州市人力资源和社会保障局共建。",
     [("浙江大学研究生院", 2, 10, "university"), ("杭州市人力资源和社会保障局", 11, 24, "government")]),
    ("依托四川省智能制造重点实验室建设。", [("四川省智能制造重点实验室", 2, 14, "research-center")]),
    ("四川大学华西医院", [("四川大学华西医院", 0, 8, "other")]),
    ("加入浙江省集成电路产业联盟。", [("浙江省集成电路产业联盟", 2, 13, "association")]),
    ("国家卫生健康委、人力资源社会保障部联合部署。",
     [("国家卫生健康委", 0, 7, "government"), ("人力资源社会保障部", 8, 17, "government")]),
    # joint forms: two bodies side by side are two
    ("县委县政府", [("县委", 0, 2, "party"), ("县政府", 2, 5, "government")]),
    # generic references and other words: X部门 is "the X departments", no body
    ("各级人社部门和财政部门要加强协调。", []),
    ("教育部门要会同卫生健康部门落实。", []),
    ("由财政部门统筹，教育部署到位。", []),
    ("建设5个重点实验室。", []),
    ("加快城市布局调整，委托第三方评估，杭州市优化学校布局。", []),
    ("完善县级政府投入机制，办好县级开放大学。", []),
])
def test_organizations_of_other_fields(text, expected):
    assert orgs(text) == expected


# --------------------------------------------------------------------------- sections of a body

def section_units(text):
    from kg.components.organizations import find_section_units

    return [(text[s:e], text[s:body_end]) for s, e, body_end in find_section_units(text, find_organizations(text))]


@pytest.mark.parametrize("text, expected", [
    ("温州市教育局基础教育处负责统筹，县卫生健康局医政科配合。",
     [("温州市教育局基础教育处", "温州市教育局"), ("县卫生健康局医政科", "县卫生健康局")]),
    ("由省人力资源社会保障厅职业能力建设处牵头。", [("省人力资源社会保障厅职业能力建设处", "省人力资源社会保障厅")]),
    # references to several sections, a following word, a title: no section
    ("县教育局各科室要落实责任，市教育局相关处室配合。", []),
    ("市教育局加强科学管理，市卫健委处理投诉。", []),
    ("市教育局处长会议。", []),
])
def test_a_section_printed_after_its_body_is_a_unit_of_it(text, expected):
    assert section_units(text) == expected


def test_a_section_reaches_the_graph_as_a_sub_organization():
    from rdflib.namespace import ORG

    from kg.extract import extract, make_pipeline
    from kg.rdf.graph import build_graph
    from kg.rdf.namespace import org_iri
    from kg.records import Corpus, Document, DocumentMeta
    from kg.structure import parse_structure

    text = "一、职责\n温州市教育局基础教育处负责统筹。\n"
    document = Document(DocumentMeta("crafted"), text)
    sections = parse_structure(document)
    mentions = extract(document, sections, make_pipeline(use_lexicon=False, use_model=False))
    corpus = Corpus(documents=[document], sections={"crafted": sections}, mentions=mentions)
    parents = {o for _, _, o, _ in build_graph(corpus).quads((org_iri("温州市教育局基础教育处"), ORG.subOrganizationOf,
                                                                  None, None))}
    assert parents == {org_iri("温州市教育局")}
