"""Time in the hierarchy and in alignment: only a plan in force is a link; later plans are context;
reviews of past achievements are no directives (crafted documents, then the bundled corpus)."""
from __future__ import annotations

import pytest

from kg.analysis.align import align, alignable_units, measure_units, reuse_summary
from kg.analysis.align.units import is_review
from kg.analysis.hierarchy import context_documents, hierarchy, hierarchy_context, period_relation, upper_documents
from kg.records import Corpus, Document, DocumentMeta, Section

DISTRICT = DocumentMeta("district", level="district", region="郑州市惠济区", year=2023)
IN_FORCE = DocumentMeta("plan", level="city", region="郑州市", year=2021, period_start=2021, period_end=2025)
LATER = DocumentMeta("later", level="city", region="郑州市", year=2024, period_start=2024, period_end=2024)
EARLIER = DocumentMeta("earlier", level="city", region="郑州市", year=2016, period_start=2016, period_end=2018)
NOT_YET = DocumentMeta("next", level="city", region="郑州市", year=2023, period_start=2026, period_end=2030)
METAS = [DISTRICT, IN_FORCE, LATER, EARLIER, NOT_YET]


@pytest.mark.parametrize(("upper", "relation"), [
    (IN_FORCE, "in_force"),  # 2021-2025 covers 2023
    (LATER, "later"),  # issued 2024, after the 2023 plan
    (EARLIER, "earlier"),  # 2016-2018 is over by 2023
    (NOT_YET, "later"),  # issued in 2023 but in force from 2026 only
    (DocumentMeta("undated", level="city", region="郑州市"), "in_force"),  # nothing to compare
])
def test_period_relation(upper, relation):
    assert period_relation(upper, 2023) == relation


def test_only_the_plan_in_force_is_an_upper_document_and_later_ones_are_context():
    assert upper_documents(METAS, DISTRICT) == ["plan"]
    assert context_documents(METAS, DISTRICT) == ["later", "next"]
    assert context_documents(METAS, DISTRICT, relations=("earlier",)) == ["earlier"]
    assert hierarchy(METAS) == {"district": ["plan"]}  # the shape build/hierarchy.json keeps
    assert hierarchy_context(METAS) == {"district": ["later", "next"]}
    # a manual override wins, with an earlier plan too (kept with its period); a later one stays context
    override = {"district": ["later", "plan", "earlier"]}
    assert upper_documents(METAS, DISTRICT, overrides=override) == ["plan", "earlier"]
    assert context_documents(METAS, DISTRICT, overrides=override) == ["later"]


SHARED = "全面推进义务教育优质均衡发展，实施“新优质初中”培育工程，扩大优质教育资源覆盖面，建设一批新优质学校。"
REVIEW = "“十三五”期间，全市累计新建改扩建学校120所。已建成新优质初中30所。教育质量取得显著成效。"


def _doc(meta: DocumentMeta, measures: list[tuple[str, str]]) -> tuple[Document, list[Section]]:
    text, sections = "", []
    for number, (title, body) in enumerate(measures, start=1):
        start = len(text)
        text += f"{number}. {title}。{body}\n"
        sections.append(Section(meta.doc_id, str(number), "measure", str(number), title, start, len(text),
                                start + len(f"{number}. {title}。"), is_measure=True))
    return Document(meta, text), sections


@pytest.fixture(scope="module")
def crafted():
    docs = {
        "district": _doc(DISTRICT, [("推进优质均衡", "我区" + SHARED + "本区新建学校两所。"),
                                    ("回顾成绩", REVIEW)]),
        "plan": _doc(IN_FORCE, [("推进优质均衡", SHARED), ("发展成效回顾", REVIEW)]),
        "later": _doc(LATER, [("推进优质均衡", SHARED + "继续开展新优质学校评估。")]),
        "earlier": _doc(EARLIER, [("推进优质均衡", SHARED)]),
    }
    return Corpus(documents=[d for d, _ in docs.values()], sections={k: s for k, (_, s) in docs.items()})


def test_a_later_plan_is_context_after_every_link_never_rank_1_nor_direct(crafted):
    rows = [a for a in align(crafted, lower="district") if not a.local_only]
    assert {a.upper_doc for a in rows} == {"plan", "later"}  # the 2016-2018 plan is over: not aligned
    links = [a for a in rows if a.period == "in_force"]
    context = [a for a in rows if a.period == "later"]
    assert links and context and all(a.upper_doc == "plan" for a in links)
    assert all(a.upper_doc == "later" for a in context)
    assert min(a.rank for a in context) > max(a.rank for a in links)
    assert not [a for a in context if a.rank == 1 or a.strength == "direct" or a.shared_programs]
    assert any(a.strength == "direct" and "新优质初中" in a.shared_programs for a in links)
    # the later plan shares text too, but a 2023 plan cannot have copied a 2024 one: not reuse
    assert any(a.evidence for a in context)
    assert set(reuse_summary(crafted, rows)["district"].coverage) == {"plan"}


def test_a_manual_override_keeps_an_earlier_plan_as_a_link_with_its_period(crafted):
    rows = [a for a in align(crafted, lower="district", overrides={"district": ["earlier", "later"]})
            if not a.local_only]
    assert {(a.upper_doc, a.period) for a in rows} == {("earlier", "earlier"), ("later", "later")}
    assert [a.rank for a in rows if a.period == "earlier"][:1] == [1]
    assert not [a for a in rows if a.period == "later" and (a.rank == 1 or a.strength == "direct")]


def test_review_passages_are_neither_candidates_nor_aligned(crafted):
    plan_doc, plan_sections = crafted.document("plan"), crafted.sections["plan"]
    assert [u.retrospective for u in alignable_units(plan_doc, plan_sections)] == [False, True]
    lower = measure_units(crafted.document("district"), crafted.sections["district"])
    assert [u.retrospective for u in lower] == [False, True]
    rows = align(crafted, lower="district")
    assert {a.lower_measure for a in rows} == {"1"}  # the district's own review is not aligned
    assert "2" not in {a.upper_measure for a in rows if a.upper_doc == "plan"}


@pytest.mark.parametrize(("text", "review"), [
    (REVIEW, True),
    ("过去五年，全市教育事业取得了长足进展。学前教育普及率已达到90%。", True),
    (SHARED, False),
    # a forward target that happens to use a review word once among several tasks
    ("到2025年，建设一批示范校。推进集团化办学。累计培训教师3万人次。完善评价机制。", False),
])
def test_review_by_the_passages_own_sentences(text, review):
    assert is_review(text) is review


def test_a_title_that_aims_at_a_base_is_no_review():
    """A heading that aims at a base (筑牢…的发展基础, crafted) is a task, not a 发展基础 review part."""
    text = "八、筑牢城乡一体的发展基础\n28. 完善基层卫生服务网络。加强乡村医生培训，落实定期巡诊制度。\n"
    doc = Document(DISTRICT, text)
    part_end = len(text)
    measure_start = text.index("28.")
    sections = [Section("district", "八", "part", "八", "筑牢城乡一体的发展基础", 0, part_end, measure_start),
                Section("district", "28", "measure", "28", "完善基层卫生服务网络", measure_start, part_end,
                        text.index("。", measure_start) + 1, parent="八", is_measure=True)]
    [unit] = measure_units(doc, sections)
    assert not unit.retrospective


# ---------------------------------------------------------------- the bundled corpus, fully analysed

@pytest.fixture(scope="module")
def analysed():
    from kg.build import analyse

    return analyse("corpus")


def test_bundled_corpus_no_later_document_is_a_best_link(analysed):
    metas = {d.doc_id: d.meta for d in analysed.documents}
    rows = [a for a in analysed.alignments if not a.local_only]
    assert rows and all(a.period in ("in_force", "later") for a in rows)
    for a in rows:
        assert a.period == period_relation(metas[a.upper_doc], metas[a.lower_doc].year)
    assert not [a for a in rows if a.period == "later" and (a.rank == 1 or a.strength == "direct")]
    # plans no longer in force are not aligned (the bundled manifest overrides nothing here)
    assert not [a for a in rows if a.period == "earlier"]
    # was 8 of Huiji's 30 best links from the centre's 2024 plan: now every best link is the plan in force
    best = {a.upper_doc for a in rows if a.lower_doc == "001_56320e920f24c20a" and a.rank == 1}
    assert best == {"002_37f57ac8b3229a3d"}
