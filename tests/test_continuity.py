"""Continuity of programs and indicators across the bundled corpus (ingest + structure only)."""
from __future__ import annotations

import pytest

from kg.analysis.continuity import continuity, link_indicators
from kg.governments import government_of
from kg.records import Corpus, Mention

HUIJI, PLAN = "001_56320e920f24c20a", "002_37f57ac8b3229a3d"


@pytest.fixture(scope="module")
def corpus(structured_corpus):
    """Text and structure only: these tests must hold without extraction."""
    return structured_corpus


def test_new_quality_junior_high_continues_from_city_plan_to_huiji(corpus):
    result = continuity(corpus, program="新优质初中")
    [timeline] = result.programs
    assert timeline.documents[:2] == [PLAN, HUIJI]  # ordered by year: 2021 plan, then 2023
    assert timeline.first_seen == 2021 and timeline.last_seen == 2023
    assert {"city", "district"} <= set(timeline.levels)
    for occurrence in timeline.occurrences:
        text = corpus.document(occurrence.doc_id).text
        assert text[occurrence.start:occurrence.end] in timeline.labels
        assert text[occurrence.start:occurrence.end] in occurrence.quote
    plan_measures = {o.measure for o in timeline.occurrences if o.doc_id == PLAN}
    assert {"三(三)2", "专栏2"} <= plan_measures


def test_unknown_program_has_no_occurrences(corpus):
    [timeline] = continuity(corpus, program="不存在的计划名称").programs
    assert timeline.documents == [] and timeline.first_seen is None


def test_changes_between_successive_plans_of_one_government(corpus):
    # was "of one level": a level: group joined Zhengzhou with the anonymised XX市 parts
    changes = continuity(corpus).changes
    assert changes
    for change in changes:
        assert change.from_year < change.to_year
        assert not set(change.new) & set(change.continued)
        before, after = corpus.document(change.from_doc).meta, corpus.document(change.to_doc).meta
        assert government_of(before).key == government_of(after).key == change.government
        assert change.group == f"government: {change.government}"


def test_indicator_names_link_conservatively():
    names = ["普惠性幼儿园覆盖率", "普惠性幼儿园覆盖率（%）", "公办幼儿园占比", "学前教育三年毛入园率"]
    linked = link_indicators(names, threshold=0.85)
    assert linked["普惠性幼儿园覆盖率（%）"] == "普惠性幼儿园覆盖率"
    assert len(set(linked.values())) == 3


def test_indicator_trajectory_from_target_mentions(corpus):
    plan, huiji = corpus.document(PLAN).text, corpus.document(HUIJI).text
    mentions = []
    for doc_id, text, name, value, year in ((PLAN, plan, "普惠性幼儿园覆盖率", "85", 2025),
                                            (HUIJI, huiji, "学前教育普惠率", "90", 2023)):
        start = text.index(name)
        # no canonical (a build older than indicator linking): the alias file links the Huiji wording
        mentions.append(Mention(doc_id, "target", name, start, start + len(name), indicator=name,
                                value=value, unit="%", kind="target", year=year))
    with_targets = Corpus(documents=corpus.documents, sections=corpus.sections, mentions=mentions)
    result = continuity(with_targets)
    # was one trajectory Huiji 90 → Zhengzhou 85: two governments, so two trajectories (one point
    # each) and one row of the cross-government table
    trajectories = {t.government: t for t in result.indicators}
    assert set(trajectories) == {"郑州市", "郑州市惠济区"}
    assert {t.indicator for t in result.indicators} == {"普惠性幼儿园覆盖率"}  # the alias links the wordings
    assert [p.value for p in trajectories["郑州市惠济区"].points] == ["90"]
    assert [p.value for p in trajectories["郑州市"].points] == ["85"]
    assert all(t.unit_class == "percent" for t in result.indicators)
    [row] = result.indicator_governments
    assert row.indicator == "普惠性幼儿园覆盖率"
    assert [(g.government, g.values) for g in row.governments] == [
        ("郑州市", ["85% (2025, target)"]), ("郑州市惠济区", ["90% (2023, target)"])]


def test_indicator_trajectories_follow_the_linked_concept(corpus):
    """The link stage's decision (Mention.canonical) is used as is, not re-linked."""
    plan = corpus.document(PLAN).text
    start = plan.index("普惠性幼儿园覆盖率")

    def target(indicator: str, canonical: str, value: str) -> Mention:
        return Mention(PLAN, "target", indicator, start, start + 9, indicator=indicator, value=value,
                       unit="%", kind="target", year=2025, canonical=canonical, concept="ind-x")

    mentions = [target("普惠性幼儿园覆盖率", "甲", "85"), target("普惠性幼儿园覆盖率", "乙", "86"),
                target("完全不同的指标", "甲", "87")]
    with_targets = Corpus(documents=corpus.documents, sections=corpus.sections, mentions=mentions)
    trajectories = {t.indicator: t for t in continuity(with_targets).indicators}
    assert set(trajectories) == {"甲", "乙"}
    assert [p.value for p in trajectories["甲"].points] == ["85", "87"]


def test_renamed_pairs_match_comparing_every_pair():
    """_renamed finds variants by index lookups; it must pair exactly as comparing every dropped
    name with every new one by is_variant does (first new one by label, each used once)."""
    import random

    from kg.analysis.continuity import _renamed, is_variant
    from kg.resources import alignment_settings

    settings = alignment_settings()
    rng = random.Random(3)
    stems = ["课后服务", "集团化办学", "智慧校园", "教师培训", "劳动教育", "学前教育普惠"]
    qualifiers = ["", "示范校", "提升工程", "市级", "全面推进", "三年行动", "校"]
    for _ in range(30):
        names = {f"k{n}": rng.choice(qualifiers[:4]) + rng.choice(stems)[: rng.randint(2, 6)] + rng.choice(qualifiers)
                 for n in range(24)}
        keys = sorted(names)
        dropped, new = keys[:12], keys[12:]
        expected, used = [], set()
        for old in sorted(dropped, key=lambda k: names[k]):
            match = next((n for n in sorted(new, key=lambda k: names[k])
                          if n not in used and is_variant(old, names[old], n, names[n], settings)), None)
            if match is not None:
                used.add(match)
                expected.append((old, match))
        assert _renamed(dropped, new, names, settings) == expected
