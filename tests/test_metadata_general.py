"""Metadata of policy documents nobody here wrote: other provinces, fields and layouts (issue 10).

Every document below is crafted (talent, employment, health, sport, culture; 浙江, 广东, 四川 …);
none is a bundled text or one of its sentences."""
from __future__ import annotations

import pytest

from kg.ingest.metadata import (
    find_title, infer_doc_number, infer_doc_type, infer_issuers, infer_level, infer_metadata, infer_region,
    split_issuers,
)


def lines_of(text: str) -> list[str]:
    return [line for line in text.split("\n") if line.strip()]


# A joint county document: masthead with two issuers, title over two lines, signature one per line.
JOINT_COUNTY = """中共苍南县委  苍南县人民政府文件
苍委发〔2019〕12号
中共苍南县委 苍南县人民政府
关于加快推进人才强县建设的实施意见
各乡镇党委、人民政府，县级各部门：
为深入实施人才强县战略，现提出如下意见。
一、总体要求
（一）指导思想。坚持党管人才原则。
二、主要举措
（一）实施青年人才集聚计划。每年引进高校毕业生一千名以上。
中共苍南县委
苍南县人民政府
2019年3月8日
"""

# A district bureau's wrapper notice, one sentence per line, whose enclosed 办法 follows; the 文号
# is printed without brackets and glued to the issuer's name.
WRAPPED_DISTRICT = """佛山市南海区人力资源和社会保障局佛南人社发202057号
佛山市南海区人力资源和社会保障局关于印发《南海区就业见习补贴管理办法》的通知
各镇人民政府（街道办事处），区直各单位：
现将《南海区就业见习补贴管理办法》印发给你们。
请认真贯彻执行。
佛山市南海区人力资源和社会保障局
2020年6月1日
南海区就业见习补贴管理办法
第一条 为促进高校毕业生就业见习，制定本办法。
第二条 本办法适用于在本区登记的见习单位。
"""

# An implementing opinion signed by a city's general office, dated in Chinese numerals, no 文号.
SIGNED_ONLY = """关于促进3岁以下婴幼儿照护服务发展的实施意见
各县（市、区）人民政府，市政府各部门：
为促进婴幼儿照护服务健康发展，结合本市实际，提出如下意见。
一、发展目标
到2025年，每千人口拥有3岁以下婴幼儿托位数达到4.5个。
嘉兴市人民政府办公室
二〇二〇年五月六日
（此件公开发布）
"""

# A county-level city's plan with a plain title and no issuer elsewhere.
COUNTY_CITY_PLAN = """都江堰市卫生健康局2018年工作要点
2018年，全市卫生健康工作的总体要求是：坚持以人民健康为中心。
一、深化医药卫生体制改革
1.推进分级诊疗制度建设。
"""

# A wrapper notice whose enclosed text is not in the file: the document is the 通知.
BARE_WRAPPER = """四川省人民政府办公厅关于印发四川省全民健身实施计划（2016—2020年）的通知
川办发〔2016〕88号
各市（州）、县（市、区）人民政府，省政府各部门：
《四川省全民健身实施计划（2016—2020年）》已经省政府同意，现印发给你们，请认真贯彻执行。
四川省人民政府办公厅
2016年10月10日
"""


def test_joint_county_document():
    meta = infer_metadata(JOINT_COUNTY, "a")
    assert meta.title == "中共苍南县委苍南县人民政府关于加快推进人才强县建设的实施意见"
    assert (meta.issuer, meta.level, meta.region) == ("中共苍南县委", "county", "温州市苍南县")
    assert (meta.year, meta.doc_type, meta.doc_number) == (2019, "实施意见", "苍委发〔2019〕12号")
    assert infer_issuers(lines_of(JOINT_COUNTY), meta.title) == ["中共苍南县委", "苍南县人民政府"]
    assert meta.co_issuers == ["苍南县人民政府"]


def test_co_issuers_reach_the_table_and_the_graph(tmp_path):
    from kg.builddir import read_documents_csv, write_tables
    from kg.rdf.graph import build_graph
    from kg.rdf.namespace import doc_iri, org_iri
    from kg.records import Corpus, Document
    from rdflib.namespace import DCTERMS

    document = Document(infer_metadata(JOINT_COUNTY, "a"), JOINT_COUNTY)
    corpus = Corpus(documents=[document], sections={"a": []})
    write_tables(corpus, tmp_path)
    assert read_documents_csv(tmp_path)[0]["co_issuers"] == "苍南县人民政府"
    creators = {o for _, _, o, _ in build_graph(corpus).quads((doc_iri("a"), DCTERMS.creator, None, None))}
    # as printed in the table; in the graph, each issuer's full name with its city (kg.governments)
    assert creators == {org_iri("中共温州市苍南县委"), org_iri("温州市苍南县人民政府")}


def test_wrapper_notice_with_its_enclosed_document_is_the_enclosed_document():
    lines = lines_of(WRAPPED_DISTRICT)
    finding = find_title(lines)
    assert finding.wrapper == "佛山市南海区人力资源和社会保障局关于印发《南海区就业见习补贴管理办法》的通知"
    assert (finding.enclosed, finding.enclosed_line) == ("南海区就业见习补贴管理办法", 7)
    meta = infer_metadata(WRAPPED_DISTRICT, "b")
    assert (meta.title, meta.doc_type) == ("南海区就业见习补贴管理办法", "办法")
    assert (meta.issuer, meta.level, meta.region) == ("佛山市南海区人力资源和社会保障局", "district", "佛山市南海区")
    assert (meta.doc_number, meta.year) == ("佛南人社发〔2020〕57号", 2020)


def test_enclosed_title_printed_over_two_lines_is_found():
    text = ("绍兴市文化广电旅游局关于印发《绍兴市公共文化服务\n体系建设实施方案》的通知\n各区、县（市）文化部门：\n"
            "现将方案印发给你们。\n绍兴市文化广电旅游局\n2021年4月2日\n绍兴市公共文化服务\n体系建设实施方案\n一、总体目标\n")
    meta = infer_metadata(text, "h")
    assert (meta.title, meta.doc_type, meta.issuer, meta.year) == (
        "绍兴市公共文化服务体系建设实施方案", "方案", "绍兴市文化广电旅游局", 2021)


def test_issuer_and_year_from_the_closing_signature_and_date():
    meta = infer_metadata(SIGNED_ONLY, "c")
    assert meta.title == "关于促进3岁以下婴幼儿照护服务发展的实施意见"
    assert (meta.issuer, meta.level, meta.region) == ("嘉兴市人民政府办公室", "city", "嘉兴市")
    assert (meta.year, meta.doc_type, meta.doc_number) == (2020, "实施意见", None)


def test_county_level_city_is_county_level():
    meta = infer_metadata(COUNTY_CITY_PLAN, "d")
    assert (meta.title, meta.issuer) == ("都江堰市卫生健康局2018年工作要点", "都江堰市卫生健康局")
    assert (meta.level, meta.region, meta.year, meta.doc_type) == ("county", "成都市都江堰市", 2018, "工作要点")


def test_wrapper_notice_without_the_enclosed_text_is_a_notice():
    meta = infer_metadata(BARE_WRAPPER, "e")
    assert meta.title == "四川省人民政府办公厅关于印发四川省全民健身实施计划（2016—2020年）的通知"
    assert (meta.doc_type, meta.issuer, meta.level, meta.region) == ("通知", "四川省人民政府办公厅", "province", None)
    assert (meta.doc_number, meta.year) == ("川办发〔2016〕88号", 2016)
    assert find_title(lines_of(BARE_WRAPPER)).enclosed == "四川省全民健身实施计划（2016—2020年）"


def test_standard_title_with_about_gives_issuer_type_and_year():
    text = "广州市教育局关于做好2017年义务教育阶段学校招生工作的通知\n各区教育局：\n现将有关事项通知如下。\n"
    meta = infer_metadata(text, "f")
    assert (meta.title, meta.issuer, meta.level) == (
        "广州市教育局关于做好2017年义务教育阶段学校招生工作的通知", "广州市教育局", "city")
    assert (meta.year, meta.doc_type, meta.region) == (2017, "通知", "广州市")


@pytest.mark.parametrize("title, doc_type", [
    ("温州市人民政府关于进一步促进就业创业的若干意见", "意见"),
    ("成都市武侯区文化市场综合执法实施细则（试行）", "细则"),
    ("宁波市鄞州区高层次人才引进管理办法（暂行）", "办法"),
    ("绵阳市全民健身实施方案（2016—2020年）", "方案"),
    ("关于加快城乡规划建设的意见", "意见"),  # 规划 inside, 意见 at the end
    ("湖州市文化旅游发展规划（2021—2025年）", "规划"),
    ("东莞市人力资源和社会保障局2019年工作要点", "工作要点"),
    ("台州市卫生健康委员会关于印发台州市健康促进行动方案的通知", "通知"),
    ("江门市人才发展重点工程及2017年工作要点", "重点工程"),  # the lead document's type
    ("肇庆市社会保障政策文件汇编", "汇编"),
])
def test_doc_type_from_the_end_of_the_title(title, doc_type):
    assert infer_doc_type(title) == doc_type


@pytest.mark.parametrize("lines, number, year", [
    (["杭州市富阳区财政局富人社〔2018〕7号"], "富人社〔2018〕7号", 2018),  # issuer glued on
    (["温政发202057号"], "温政发〔2020〕57号", 2020),  # printed without brackets
    (["浙人社发〔2017〕 103号"], "浙人社发〔2017〕103号", 2017),
    (["川教厅〔2019〕5号"], "川教厅〔2019〕5号", 2019),  # a short 代字 ending in 厅 stays whole
    (["第202057号"], None, None),
    (["2020年5月6日"], None, None),
])
def test_doc_number(lines, number, year):
    assert infer_doc_number(lines) == (number, year)


@pytest.mark.parametrize("issuer, level, region", [
    ("中共义马市委", "county", "三门峡市义马市"),
    ("荥阳市人力资源和社会保障局", "county", "郑州市荥阳市"),
    ("杭州市富阳区卫生健康局", "district", "杭州市富阳区"),
    ("北京市海淀区教育委员会", "district", "北京市海淀区"),
    ("瑞安市人民政府", "county", "温州市瑞安市"),
    ("广东省人力资源和社会保障厅", "province", None),
    ("浙江省温州市人民政府", "city", "温州市"),  # the innermost unit, not the first named
    ("成都市高新区管委会", "district", "成都市"),
    ("绍兴市文化广电旅游局", "city", "绍兴市"),
    ("温州市人才发展研究中心", "city-agency", "温州市"),
    ("国务院办公厅", "national", None),
    ("人力资源和社会保障部", "national", None),
    ("XX县卫生健康局", "county", "XX县"),
])
def test_level_and_region_through_the_administrative_divisions(issuer, level, region):
    assert (infer_level(issuer, None), infer_region(issuer, None)) == (level, region)


def test_joint_issuers_are_split_without_spaces():
    assert split_issuers("中共温州市委温州市人民政府") == ["中共温州市委", "温州市人民政府"]
    assert split_issuers("中共温州市委宣传部") == ["中共温州市委宣传部"]
    assert split_issuers("四川省教育厅 四川省财政厅") == ["四川省教育厅", "四川省财政厅"]


def test_joint_title_with_a_count_of_departments_keeps_the_lead():
    text = "浙江省人力资源和社会保障厅等五部门关于做好2018年高校毕业生就业创业工作的通知\n各市人力社保局：\n"
    meta = infer_metadata(text, "g")
    assert (meta.issuer, meta.level, meta.year, meta.doc_type) == (
        "浙江省人力资源和社会保障厅", "province", 2018, "通知")
