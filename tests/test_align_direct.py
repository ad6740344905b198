"""When a pair is direct: a shared target indicator (crafted sentences), never a generic phrase."""
from __future__ import annotations

from kg.analysis.align import Unit, attach_names, shared_targets, specific_names
from kg.analysis.align.names import TargetsShared, same_indicator
from kg.indicators import normalise_indicator
from kg.records import Mention
from kg.resources import alignment_settings


def _unit(doc_id: str, text: str) -> Unit:
    return Unit(doc_id, "1", "", [(0, len(text))], text=text, printed=text, starts=[0])


def _target(doc_id: str, text: str, indicator: str, value: str, canonical=None) -> Mention:
    start = text.index(indicator)
    return Mention(doc_id, "target", indicator, start, start + len(indicator), indicator=indicator,
                   value=value, canonical=canonical)


def test_a_district_and_a_city_setting_numbers_for_one_indicator_share_it():
    settings = alignment_settings()
    lower_text = "到2025年，全县普惠性幼儿园覆盖率达到88%以上，新建乡镇中心幼儿园4所。"
    upper_text = "全市普惠性幼儿园覆盖率稳定在85%以上，学前教育毛入园率达到95%。"
    lower, upper = _unit("county", lower_text), _unit("city", upper_text)
    attach_names([lower, upper], [_target("county", lower_text, "普惠性幼儿园覆盖率", "88"),
                                  _target("city", upper_text, "普惠性幼儿园覆盖率", "85"),
                                  _target("city", upper_text, "学前教育毛入园率", "95")], settings)
    assert shared_targets(lower, upper, settings.continuity.indicator_similarity) == ["普惠性幼儿园覆盖率"]


def test_a_linked_alias_and_a_count_inside_a_longer_wording_are_one_indicator():
    settings = alignment_settings()
    lower_text = "保持学前教育普惠率在90%以上，年内新建中小学2所。"
    upper_text = "普惠性幼儿园覆盖率达到85%，新建、改扩建中小学（含农村寄宿制学校）120所。"
    lower, upper = _unit("d", lower_text), _unit("c", upper_text)
    attach_names([lower, upper], [
        _target("d", lower_text, "学前教育普惠率", "90", canonical="普惠性幼儿园覆盖率"),
        _target("d", lower_text, "新建中小学", "2"),
        _target("c", upper_text, "普惠性幼儿园覆盖率", "85"),
        _target("c", upper_text, "新建、改扩建中小学（含农村寄宿制学校）", "120")], settings)
    assert shared_targets(lower, upper, 0.85) == ["新建中小学", "普惠性幼儿园覆盖率"]
    shared = TargetsShared(lower, 0.85)  # one measure against many passages, wordings compared once
    assert shared(upper) == shared(upper) == shared_targets(lower, upper, 0.85)
    assert shared(lower) == shared_targets(lower, lower, 0.85) == sorted(lower.targets.values())
    assert TargetsShared(upper, 0.85)(lower) == shared_targets(upper, lower, 0.85)
    assert shared(_unit("e", "无指标。")) == []


def test_rates_counts_scopes_and_short_wordings_stay_apart():
    key = normalise_indicator
    assert not same_indicator(key("普惠性幼儿园"), key("普惠性幼儿园覆盖率"), 0.85)  # a count vs a rate
    assert not same_indicator(key("中小学"), key("新建中小学"), 0.85)  # too short to be an indicator
    assert not same_indicator(key("公办幼儿园在园幼儿占比"), key("民办幼儿园在园幼儿占比"), 0.85)


def test_generic_policy_phrases_make_no_pair_direct():
    settings = alignment_settings()
    lower = _unit("d", "聚焦课堂教学主阵地，落实全面从严治党要求，开展“青蓝工程”结对。")
    upper = _unit("c", "深化课堂教学改革，推进全面从严治党向基层延伸，实施“青蓝工程”。")
    mentions = [Mention("d", "program", n, lower.text.index(n), lower.text.index(n) + len(n), canonical=n)
                for n in ("课堂教学", "全面从严治党")]
    attach_names([lower, upper], mentions, settings)
    names = sorted(lower.names.values())
    assert "课堂教学" in names and "全面从严治党" in names
    assert specific_names(["课堂教学", "全面从严治党"], lower, upper, {}, settings) == []
    assert specific_names(["青蓝工程"], lower, upper, {}, settings) == ["青蓝工程"]
