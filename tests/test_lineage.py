"""Relations from metadata, the hierarchy and the divisions (kg.analysis.lineage), on crafted
documents of another province: implements the plan in force, revision of, part of, within."""
from __future__ import annotations

from kg.analysis.lineage import lineage, title_span
from kg.records import Corpus, Document, DocumentMeta, Mention


def _doc(doc_id: str, title: str, **meta) -> Document:
    return Document(DocumentMeta(doc_id, title=title, **meta), f"\n{title}\n一、总体要求\n正文。\n")


CITY_PLAN = _doc("city-plan", "成都市“十四五”就业促进规划", issuer="成都市人民政府", level="city", region="成都市",
                 year=2021, period_start=2021, period_end=2025, doc_type="规划")
CITY_OLD = _doc("city-old", "成都市“十三五”就业促进规划", issuer="成都市人民政府", level="city", region="成都市",
                year=2016, period_start=2016, period_end=2020, doc_type="规划")
DISTRICT_2022 = _doc("wuhou-2022", "武侯区人社局2022年工作要点", issuer="成都市武侯区人力资源和社会保障局",
                     level="district", region="成都市武侯区", year=2022, period_start=2022, period_end=2022,
                     doc_type="工作要点")
DISTRICT_2023 = _doc("wuhou-2023", "武侯区人社局2023年工作要点", issuer="成都市武侯区人力资源和社会保障局",
                     level="district", region="成都市武侯区", year=2023, period_start=2023, period_end=2023,
                     doc_type="工作要点")
LATER_CITY = _doc("city-2024", "成都市人社局2024年工作要点", issuer="成都市人力资源和社会保障局", level="city",
                  region="成都市", year=2024, period_start=2024, period_end=2024, doc_type="工作要点")


def _relations(*docs: Document, mentions: list[Mention] | None = None):
    return lineage(Corpus(documents=list(docs), mentions=mentions or []))


def test_a_lower_plan_implements_the_upper_plans_in_force_only():
    found = {(r.subject, r.object) for r in _relations(CITY_PLAN, CITY_OLD, DISTRICT_2023, LATER_CITY)
             if r.type == "implements"}
    assert ("wuhou-2023", "city-plan") in found
    assert ("wuhou-2023", "city-old") not in found  # the 2016–2020 plan is no longer in force in 2023
    assert ("wuhou-2023", "city-2024") not in found  # issued after the district plan


def test_revision_of_the_same_governments_previous_plan_of_its_type():
    found = [r for r in _relations(CITY_PLAN, CITY_OLD, DISTRICT_2022, DISTRICT_2023, LATER_CITY)
             if r.type == "revision_of"]
    pairs = {(r.subject, r.object) for r in found}
    assert pairs == {("city-plan", "city-old"), ("wuhou-2023", "wuhou-2022")}
    # the city's work points are not a revision of its five-year plan, nor of the district's
    for relation in found:
        doc = {d.doc_id: d for d in (CITY_PLAN, DISTRICT_2023)}[relation.subject]
        assert relation.text == doc.text[relation.start:relation.end] == doc.meta.title


def test_parts_of_a_compilation_and_places_within_their_units():
    part = _doc("comp#1", "县人社局2023年工作要点", level="county", region="XX县", year=2023, parent="comp")
    text = part.text + "支持郫都区创业孵化。\n"
    part = Document(part.meta, text)
    start = text.index("郫都区")
    place = Mention("comp#1", "place", "郫都区", start, start + 3, canonical="郫都区", parent="成都市")
    found = _relations(part, mentions=[place])
    assert [(r.type, r.subject, r.object) for r in found] == [("part_of", "comp#1", "comp"),
                                                              ("within", "郫都区", "成都市")]
    assert all(r.text == text[r.start:r.end] for r in found)


def test_title_span_falls_back_to_the_first_line():
    untitled = Document(DocumentMeta("x"), "\n\n  关于做好高校毕业生就业工作的通知\n正文")
    start, end = title_span(untitled)
    assert untitled.text[start:end] == "关于做好高校毕业生就业工作的通知"
