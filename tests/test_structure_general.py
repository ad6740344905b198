"""Structure on crafted documents of other fields and provinces: any numbering carries the measures.

The texts are written for these tests (talent, employment, health, culture; Zhejiang, Guangdong,
Sichuan, Jiangsu); none is a sentence of the bundled corpus.
"""
from __future__ import annotations

from collections import Counter

import pytest

from kg.ingest import ingest_file
from kg.records import Document, DocumentMeta, Segment
from kg.structure import parse_structure


def structure(text: str):
    doc = Document(DocumentMeta(doc_id="x"), text, [Segment("body", 0, len(text))])
    return parse_structure(doc)


def measure_labels(sections):
    return [s.label for s in sections if s.is_measure]


TALENT_ZHEJIANG = (
    "关于进一步加强县域人才工作的实施意见\n"
    "一、总体要求\n"
    "（一）指导思想。坚持党管人才原则，围绕县域经济发展需求引进人才。\n"
    "（二）工作目标：到2020年，全县人才资源总量达到12万人。\n"
    "二、主要任务\n"
    "（一）加大高层次人才引进力度。各乡镇要建立人才需求清单，每年发布一次。\n"
    "（二）完善人才评价机制。探索以业绩为导向的评价办法。\n"
    "（三）优化人才服务。为引进人才提供住房、子女入学等保障。\n"
    "三、保障措施\n"
    "（一）加强组织领导。县委人才工作领导小组负责统筹协调。\n"
    "（二）强化经费保障。县财政每年安排人才专项资金。\n"
)


def test_subsections_are_the_measures_when_no_arabic_numbering():
    sections = structure(TALENT_ZHEJIANG)
    assert Counter(s.kind for s in sections) == {"part": 3, "subsection": 7}
    assert measure_labels(sections) == ["一(一)", "一(二)", "二(一)", "二(二)", "二(三)", "三(一)", "三(二)"]
    by_label = {s.label: s for s in sections}
    assert by_label["二(一)"].parent == "二"
    # a heading glued to its body: the title runs to the first full stop
    assert by_label["二(一)"].title == "加大高层次人才引进力度"
    assert by_label["三(二)"].title == "强化经费保障"
    assert by_label["一(二)"].title == "工作目标"  # glued with a colon
    start = TALENT_ZHEJIANG.index("（一）加大高层次")
    assert (by_label["二(一)"].start, by_label["二(一)"].end) == (start, TALENT_ZHEJIANG.index("\n（二）完善人才"))


HEALTH_PARTS_ONLY = (
    "四川省某县卫生健康局关于做好2019年基层卫生工作的通知\n"
    "各乡镇卫生院：\n"
    "一、加强基层医疗卫生机构建设。推进乡镇卫生院标准化建设。\n"
    "二、提升家庭医生签约服务质量。重点人群签约率达到60%以上。\n"
    "三、做好基本公共卫生服务。按季度开展绩效评价。\n"
)


def test_parts_are_the_measures_of_a_notice_numbered_only_by_parts():
    sections = structure(HEALTH_PARTS_ONLY)
    assert measure_labels(sections) == ["一", "二", "三"]
    assert [s.title for s in sections] == ["加强基层医疗卫生机构建设", "提升家庭医生签约服务质量", "做好基本公共卫生服务"]


EMPLOYMENT_ARTICLES = (
    "广东省某市就业见习补贴管理办法\n"
    "第一章 总则\n"
    "第一条 为促进高校毕业生就业，制定本办法。\n"
    "第二条 本办法适用于本市行政区域内的就业见习单位。\n"
    "第二章 补贴标准\n"
    "第三条 见习补贴按当地最低工资标准的60%发放。\n"
    "第四条 符合下列条件的单位，可申请补贴：\n"
    "（一）依法登记注册；\n"
    "（二）见习岗位不少于5个。\n"
    "第五条 见习单位应与见习人员签订见习协议。\n"
    "第三条规定的补贴由市财政承担。\n"
    "第三章 附则\n"
    "第六条 本办法自2019年1月1日起施行。\n"
)


def test_articles_are_the_measures_of_a_regulation():
    sections = structure(EMPLOYMENT_ARTICLES)
    assert measure_labels(sections) == ["第一条", "第二条", "第三条", "第四条", "第五条", "第六条"]
    by_label = {s.label: s for s in sections}
    assert [s.label for s in sections if s.kind == "part"] == ["第一章", "第二章", "第三章"]
    assert by_label["第三条"].parent == "第二章" and by_label["第六条"].parent == "第三章"
    # the enumerated conditions nest under their article and are not measures
    assert by_label["第四条(一)"].parent == "第四条" and not by_label["第四条(一)"].is_measure
    assert by_label["第一章"].title == "总则"
    assert by_label["第四条"].title == "符合下列条件的单位，可申请补贴"
    # "第三条规定的…" opening a line cites an article, it is none: 第五条 runs to 第三章
    fifth = by_label["第五条"]
    assert EMPLOYMENT_ARTICLES[fifth.start:fifth.end] == "第五条 见习单位应与见习人员签订见习协议。\n第三条规定的补贴由市财政承担。"


CULTURE_ORDINALS = (
    "一、主要任务\n"
    "一是加强公共文化设施建设。每个乡镇建成一个综合文化站。\n"
    "二是推进文化惠民演出。每年送戏下乡不少于200场。\n"
    "二、保障措施\n"
    "一是加强组织领导。\n"
    "二是强化经费保障。\n"
    "三是严格考核评估。\n"
)


def test_ordinal_lines_are_the_measures_when_they_number_every_part():
    sections = structure(CULTURE_ORDINALS)
    assert measure_labels(sections) == ["一一是", "一二是", "二一是", "二二是", "二三是"]
    assert [s.kind for s in sections if s.is_measure] == ["item"] * 5
    assert next(s for s in sections if s.label == "一二是").title == "推进文化惠民演出"


def test_circled_numbers_are_the_measures_when_they_number_every_part():
    text = "一、就业服务\n①开展招聘活动。\n②建立岗位清单。\n二、技能培训\n①组织职业技能培训。\n②落实培训补贴。\n"
    sections = structure(text)
    assert measure_labels(sections) == ["一①", "一②", "二①", "二②"]
    assert [s.number for s in sections if s.is_measure] == ["①", "②", "①", "②"]


def test_a_few_ordinals_under_one_measure_do_not_become_the_measures():
    text = ("1.完善人才政策。\n一是提高补贴。\n二是简化流程。\n2.优化服务环境。\n3.加强宣传。\n4.落实责任。\n")
    sections = structure(text)
    assert measure_labels(sections) == ["1", "2", "3", "4"]
    assert [s.label for s in sections if s.kind == "item"] == ["1一是", "1二是"]


def test_arabic_items_under_one_subsection_leave_the_subsections_as_measures():
    text = ("一、重点任务\n（一）完善就业政策。\n1.落实社保补贴。\n2.发放创业贷款。\n（二）加强职业培训。\n"
            "（三）健全服务体系。\n二、保障措施\n（一）加强组织领导。\n（二）强化资金保障。\n")
    sections = structure(text)
    assert measure_labels(sections) == ["一(一)", "一(二)", "一(三)", "二(一)", "二(二)"]
    assert [s.label for s in sections if s.kind == "measure"] == ["一(一)1", "一(一)2"]


def test_ascii_brackets_and_numbers_above_twenty():
    text = "三、深化改革\n(二十)推进职称制度改革。\n(二十一)完善人才流动机制。\n四、组织实施\n(二十二)加强督查。\n"
    sections = structure(text)
    assert [(s.label, s.number, s.title) for s in sections if s.is_measure] == [
        ("(二十)", "二十", "推进职称制度改革"), ("(二十一)", "二十一", "完善人才流动机制"), ("(二十二)", "二十二", "加强督查")]
    assert next(s for s in sections if s.number == "二十一").parent == "三"


def test_enumerations_in_running_text_are_not_numbering():
    text = ("1.实施人才分类认定。\n"
            "1、2、3类人才分别给予30万元、20万元、10万元安家补贴。\n"
            "2.落实住房保障。\n"
            "3类人才可申请人才公寓。\n"
            "一、二年级学生每天校外活动不少于1小时。\n"
            "3.加强服务保障。\n")
    sections = structure(text)
    assert [s.label for s in sections] == ["1", "2", "3"]
    second = sections[1]
    assert text[second.start:second.end] == "2.落实住房保障。\n3类人才可申请人才公寓。\n一、二年级学生每天校外活动不少于1小时。"


def test_one_sentence_per_line_layout_keeps_headings_on_their_lines(tmp_path):
    """Through ingest (cleaning re-joins broken lines): new heading shapes are never joined."""
    source = tmp_path / "jiangsu_culture.txt"
    source.write_text(
        "江苏省某区文化广电和旅游局2020年工作要点\n"
        "一、完善公共文化服务体系\n"
        "一是推进区图书馆总分馆建设，\n"
        "新建分馆5个。\n"
        "二是开展全民阅读活动\n"
        "二、繁荣文艺创作\n"
        "一是扶持本土文艺团队\n"
        "二是举办群众文艺展演\n", encoding="utf-8")
    document = ingest_file(source, "jiangsu")[0]
    sections = parse_structure(document)
    assert measure_labels(sections) == ["一一是", "一二是", "二一是", "二二是"]
    first = next(s for s in sections if s.label == "一一是")
    assert first.title == "推进区图书馆总分馆建设，新建分馆5个"


@pytest.mark.parametrize("line, is_heading", [
    ("三、一流学科建设行动\n", True),  # a numeral opening the title is no enumeration
    ("二、十大民生实事\n", True),
    ("三、四个方面的重点任务\n", False),  # 三、四个: "three or four", running text
    ("一、二、三等奖分别奖励5000元、3000元、1000元。\n", False),
    ("第十二条 本细则由县人力资源和社会保障局负责解释。\n", True),
    ("第十二条所称人才，是指……\n", False),
    ("⑩完善医疗联合体建设。\n", True),
])
def test_false_numbering_at_a_line_start(line, is_heading):
    assert bool(structure(line)) is is_heading
