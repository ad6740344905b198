"""Continuity within one government: change series, per-government spells, trajectories split by
government and unit class, the explicit cross-government table, renamed programs."""
from __future__ import annotations

import pytest

from kg.analysis.continuity import continuity, indicator_governments, is_variant
from kg.analysis.results import ProgramSpell
from kg.governments import government_of
from kg.indicators import unit_class
from kg.records import Corpus, Document, DocumentMeta, Mention


def _meta(doc_id, year, level="city", region="郑州市", parent=None, issuer=None):
    return DocumentMeta(doc_id, level=level, region=region, year=year, period_start=year, period_end=year,
                        parent=parent, issuer=issuer)


def _corpus(docs: list[tuple[DocumentMeta, list[str]]], targets=()) -> Corpus:
    """Documents naming the given programs (one mention each); targets: (doc_id, name, value, unit)."""
    documents, mentions = [], []
    for meta, programs in docs:
        text = "".join(f"实施“{p}”。" for p in programs) + "".join(
            f"{name}达到{value}{unit}。" for d, name, value, unit in targets if d == meta.doc_id)
        documents.append(Document(meta, text))
        for program in programs:
            start = text.index(program)
            mentions.append(Mention(meta.doc_id, "program", program, start, start + len(program),
                                    canonical=program, concept=program))
        for doc_id, name, value, unit in targets:
            if doc_id == meta.doc_id:
                start = text.index(name + "达到" + value)
                mentions.append(Mention(doc_id, "target", name, start, start + len(name), indicator=name,
                                        value=value, unit=unit, kind="target", year=meta.year, canonical=name,
                                        concept="ind-" + name))
    return Corpus(documents=documents, sections={d.doc_id: [] for d in documents}, mentions=mentions)


CITY_2016, CITY_2021 = _meta("c2016", 2016), _meta("c2021", 2021)
DISTRICT_2023 = _meta("d2023", 2023, level="district", region="郑州市惠济区")
ANON_CITY = _meta("004#1", 2024, region="XX市", parent="004", issuer="XX市教育局")
ANON_COUNTY = _meta("004#4", 2024, level="county", region="XX县", parent="004", issuer="XX县教育局")


@pytest.fixture(scope="module")
def crafted():
    return _corpus([
        (CITY_2016, ["普通高中多样化发展", "校园足球", "学校建设"]),
        (CITY_2021, ["普通高中多样化发展示范校", "校园足球", "市属高中阶段学校建设三年行动计划"]),
        (DISTRICT_2023, ["校园足球", "新优质初中"]),
        (ANON_CITY, ["新优质初中"]),
        (ANON_COUNTY, ["校园足球"]),
    ], targets=[("c2021", "幼儿园", "100", "%"), ("c2021", "幼儿园", "1848", "所"),
                ("d2023", "幼儿园", "95", "%"), ("004#1", "幼儿园", "90", "%")])


def test_change_series_run_within_one_government_only(crafted):
    [change] = continuity(crafted).changes  # Zhengzhou 2016 -> 2021; no other government has two plans
    assert (change.government, change.from_doc, change.to_doc) == ("郑州市", "c2016", "c2021")
    assert change.continued == ["校园足球"]


def test_a_renamed_program_is_followed_not_dropped(crafted):
    [change] = continuity(crafted).changes
    assert change.renamed == ["普通高中多样化发展 → 普通高中多样化发展示范校"]
    assert "普通高中多样化发展" not in change.dropped and "普通高中多样化发展示范校" not in change.new
    # 学校建设 only inside the other name: another program, dropped
    assert change.dropped == ["学校建设"] and change.new == ["市属高中阶段学校建设三年行动计划"]


@pytest.mark.parametrize(("old", "new", "variant"), [
    ("新优质初中", "新优质初中培育工程", True),
    ("乡村教师支持计划", "郑州市乡村教师支持计划", True),
    ("学校建设", "市属高中阶段学校建设三年行动计划", False),
    ("课堂", "智慧课堂", False),  # a core too short to say so
])
def test_is_variant(old, new, variant):
    assert is_variant(old, old, new, new) is variant


def test_spells_are_per_government(crafted):
    spells = {(s.label, s.government): s for s in continuity(crafted).spells}
    football = spells[("校园足球", "郑州市")]
    assert isinstance(football, ProgramSpell)
    assert (football.first_seen, football.last_seen, football.documents) == (2016, 2021, ["c2016", "c2021"])
    assert spells[("校园足球", "郑州市惠济区")].documents == ["d2023"]
    assert spells[("校园足球", "004#4")].government_name == "XX县 (004#4)"  # an anonymised part stands alone
    assert {s.government for s in continuity(crafted).spells if s.label == "新优质初中"} == {"郑州市惠济区", "004#1"}


def test_trajectories_split_by_government_and_unit_class(crafted):
    trajectories = continuity(crafted).indicators
    government = {d.doc_id: government_of(d.meta).key for d in crafted.documents}
    for trajectory in trajectories:
        assert {government[p.doc_id] for p in trajectory.points} == {trajectory.government}
    keys = sorted((t.indicator, t.government, t.unit_class, tuple(p.value for p in t.points)) for t in trajectories)
    assert keys == [("幼儿园", "004#1", "percent", ("90",)), ("幼儿园", "郑州市", "count", ("1848",)),
                    ("幼儿园", "郑州市", "percent", ("100",)), ("幼儿园", "郑州市惠济区", "percent", ("95",))]


def test_who_else_set_this_indicator_is_a_separate_table(crafted):
    [row] = indicator_governments(crafted)  # the count is set by Zhengzhou alone
    assert (row.indicator, row.unit_class) == ("幼儿园", "percent")
    assert [(g.government, g.values) for g in row.governments] == [
        ("004#1", ["90% (2024, target)"]), ("郑州市", ["100% (2021, target)"]),
        ("郑州市惠济区", ["95% (2023, target)"])]


@pytest.mark.parametrize(("unit", "kind"), [("%", "percent"), ("％", "percent"), ("所", "count"),
                                            ("万个", "count"), ("人次", "people"), ("亿元", "money"),
                                            (None, "none"), ("公里", "unit:公里")])
def test_unit_class(unit, kind):
    assert unit_class(unit) == kind


# ---------------------------------------------------------------- the bundled corpus, fully analysed

@pytest.fixture(scope="module")
def analysed():
    from kg.build import analyse

    corpus = analyse("corpus")
    return corpus, continuity(corpus)


def test_bundled_corpus_no_series_mixes_governments(analysed):
    corpus, result = analysed
    government = {d.doc_id: government_of(d.meta).key for d in corpus.documents}
    assert result.indicators and result.changes
    assert not [t for t in result.indicators if len({government[p.doc_id] for p in t.points}) > 1]
    assert not [t for t in result.indicators if t.government != government[t.points[0].doc_id]]
    assert not [c for c in result.changes if government[c.from_doc] != government[c.to_doc]]
    # the anonymised compilation parts are never set beside 郑州 in a trajectory or a change series
    for trajectory in result.indicators:
        assert len({p.doc_id.startswith("004_") for p in trajectory.points}) == 1
    for change in result.changes:
        assert change.from_doc.startswith("004_") == change.to_doc.startswith("004_")
    for spell in result.spells:
        assert len({government[d] for d in spell.documents}) == 1
    # 普惠性幼儿园覆盖率 was one trajectory of Zhengzhou and XX市: now a row of the separate table
    rows = {r.indicator: r for r in result.indicator_governments}
    assert len(rows["普惠性幼儿园覆盖率"].governments) >= 2
