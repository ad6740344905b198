"""The typed records: a value outside a field's Literal fails where the record is made."""
from __future__ import annotations

from dataclasses import asdict

import pytest

from kg.analysis.results import ProgramChange
from kg.records import Alignment, DocumentMeta, EvidenceSpan, Mention, Section, Segment, record_dict


@pytest.mark.parametrize("make, field", [
    (lambda: DocumentMeta("d", level="City"), "DocumentMeta.level"),
    (lambda: DocumentMeta("d", status="partial"), "DocumentMeta.status"),
    (lambda: Segment("appendix", 0, 1), "Segment.kind"),
    (lambda: Section("d", "1", "chapter", "1", "t", 0, 1, 1), "Section.kind"),
    (lambda: Mention("d", "programme", "x", 0, 1), "Mention.type"),
    (lambda: Mention("d", "target", "x", 0, 1, comparator="≥"), "Mention.comparator"),
    (lambda: Mention("d", "target", "x", 0, 1, kind="goal"), "Mention.kind"),
])
def test_a_value_outside_the_literal_fails_naming_the_field(make, field):
    with pytest.raises(ValueError, match=field.replace(".", r"\.")):
        make()


def test_allowed_values_and_absent_optional_ones_pass():
    assert DocumentMeta("d", level="city-agency", status="outline-only").level == "city-agency"
    assert Section("d", "1", "measure", "1", "t", 0, 1, 1).kind == "measure"
    target = Mention("d", "target", "x", 0, 1, comparator=">=", kind="baseline")
    assert (target.comparator, target.kind) == (">=", "baseline")
    assert Mention("d", "program", "x", 0, 1).comparator is None


def test_results_are_frozen_and_as_dict_keeps_the_field_order():
    change = ProgramChange("level: city", "a", 2020, "b", 2021, ["x"], [], ["y"])
    assert list(change.as_dict()) == ["group", "from_doc", "from_year", "to_doc", "to_year", "new", "continued",
                                      "dropped", "renamed", "government"]
    with pytest.raises(AttributeError):
        change.group = "other"  # type: ignore[misc]


@pytest.mark.parametrize("record", [
    DocumentMeta("d", title="某区教育规划", co_issuers=["区财政局", "区人社局"], year=2021),
    Mention("d", "target", "达到95%", 3, 8, indicator="覆盖率", value=95.0, unit="%", comparator=">="),
    Alignment("lower", "一（2）", "upper", "三（1）", score=0.4375, shared_programs=["p1"],
              evidence=[EvidenceSpan(0, 4, 10, 14, "全面推进")]),
    Section("d", "1", "measure", "一", "标题", 0, 9, 1),
])
def test_record_dict_is_asdict_without_sharing_lists(record):
    """record_dict writes the tables and the cache: it must give what asdict gives, field order
    included, and new lists, so a change to a row never reaches the record."""
    plain = record_dict(record)
    assert plain == asdict(record) and list(plain) == list(asdict(record))
    for name, value in plain.items():
        if isinstance(value, list):
            assert value is not getattr(record, name)
