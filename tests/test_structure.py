"""Structure: heading hierarchy, labels, spans, counts on the bundled corpus."""
from __future__ import annotations

from collections import Counter

import pytest

from kg.records import Document, DocumentMeta, Segment
from kg.structure import parse_structure
from kg.text import section_at

HUIJI, CENTRE, PLAN, PROJECTS = (
    "001_56320e920f24c20a", "000_16f97bdad5560e56", "002_37f57ac8b3229a3d", "003_e4eb59aa704bb68c")
COMPILATION = "004_f29dea3288537dee"


@pytest.fixture(scope="module")
def structures(documents):
    return {doc_id: parse_structure(doc) for doc_id, doc in documents.items()}


def kinds(sections):
    return Counter(s.kind for s in sections)


@pytest.mark.parametrize("doc_id, parts, measures", [(HUIJI, 8, 30), (CENTRE, 7, 36), (PLAN, 4, 82)])
def test_parts_and_measures(structures, doc_id, parts, measures):
    counted = kinds(structures[doc_id])
    assert (counted["part"], counted["measure"]) == (parts, measures)


def test_2016_document_has_17_projects_and_28_work_points(structures):
    counted = kinds(structures[PROJECTS])
    assert (counted["project"], counted["measure"]) == (17, 28)
    labels = [s.label for s in structures[PROJECTS]]
    assert labels[:3] == ["工程1", "工程2", "工程3"] and "工程14" in labels and "17" in labels


def test_labels_are_unique_per_document(structures):
    for doc_id, sections in structures.items():
        labels = [s.label for s in sections]
        assert len(labels) == len(set(labels)), doc_id


def test_huiji_measures_numbered_across_the_document(structures, documents):
    measures = [s for s in structures[HUIJI] if s.is_measure]
    assert [s.label for s in measures] == [str(n) for n in range(1, 31)]
    seventeen = next(s for s in measures if s.label == "17")
    assert seventeen.parent == "五"
    text = documents[HUIJI].text[seventeen.start:seventeen.end]
    assert text.startswith("17.") and "18." not in text[:5]


def test_plan_labels_are_heading_paths(structures, documents):
    by_label = {s.label: s for s in structures[PLAN]}
    for label in ("三(三)2", "一(一)3(1)", "一(一)5(2)", "三(十三)6", "四(一)3", "专栏2", "专栏10"):
        assert label in by_label, label
    assert by_label["三(三)2"].parent == "三(三)" and by_label["三(三)"].parent == "三"
    assert by_label["专栏2"].title == "义务教育优质均衡发展工程"
    text = documents[PLAN].text
    column = by_label["专栏2"]
    assert "专栏2" in text[column.start:column.heading_end]
    assert by_label["二(三)3"].title == "主要指标"


def test_spans_nest(structures):
    for sections in structures.values():
        by_label = {s.label: s for s in sections}
        for section in sections:
            assert section.start < section.end
            outer = by_label.get(section.parent)
            # a truncated body's heading keeps its children from the outline: different places
            if outer and outer.outline_only == section.outline_only:
                assert outer.start <= section.start and section.end <= outer.end, section.label


def test_section_at_finds_the_innermost(structures, documents):
    text = documents[HUIJI].text
    offset = text.index("依托“三会一课”")
    assert section_at(structures[HUIJI], offset).label == "1"
    assert section_at(structures[HUIJI], 0) is None  # the cover notice precedes all headings


def test_compilation_parts(structures):
    first = kinds(structures[f"{COMPILATION}#1"])
    assert (first["part"], first["measure"]) == (5, 53)  # "27构建…" lacks its dot but is in sequence
    assert kinds(structures[f"{COMPILATION}#2"])["measure"] == 34
    third = structures[f"{COMPILATION}#3"]
    assert sum(1 for s in third if s.is_measure and not s.outline_only) == 1  # the body is cut off
    assert sum(1 for s in third if s.is_measure) == 25  # the outline supplies the rest
    fifth = structures[f"{COMPILATION}#5"]
    assert all(s.outline_only for s in fifth) and kinds(fifth)["measure"] == 15


@pytest.mark.parametrize("text, labels", [
    ("一、总体要求\n（一）指导思想\n1.坚持党的领导。内容。\n（1）细则。\n2.第二条。\n二、主要任务\n1.任务。\n",
     ["一", "一(一)", "一(一)1", "一(一)1(1)", "一(一)2", "二", "二1"]),
    ("第一项工程——“学校建设工程”\n内容。\n第二项工程——“学校美育工程”\n一、狠抓党建\n1.制订意见。\n",
     ["工程1", "工程2", "一", "1"]),
    ("1.第一条。\n2.第二条。\n3第三条缺了点。\n", ["1", "2", "3"]),
    ("1.第一条。\n2021年目标。\n", ["1"]),  # a year is not a measure number
    ("1.第一条。\n（1）细则。\n2.第二条。\n", ["1", "1(1)", "2"]),
])
def test_crafted_hierarchies(text, labels):
    doc = Document(DocumentMeta(doc_id="x"), text, [Segment("body", 0, len(text))])
    assert [s.label for s in parse_structure(doc)] == labels
