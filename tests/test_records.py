"""The typed records: a value outside a field's Literal fails where the record is made."""
from __future__ import annotations

import pytest

from kg.analysis.results import ProgramChange
from kg.records import DocumentMeta, Mention, Section, Segment


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
