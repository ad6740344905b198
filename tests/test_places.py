"""kg.places: the gazetteer of administrative divisions and anonymised (masked) places."""
from __future__ import annotations

import pytest

from kg import places
from kg.analysis import hierarchy
from kg.ingest.metadata import infer_region
from kg.records import Document, DocumentMeta
from kg.views.evidence import place_name


@pytest.mark.parametrize("name, short", [
    ("郑州市", "郑州"), ("河南省", "河南"), ("惠济区", "惠济"), ("广西壮族自治区", "广西壮族"),
    ("城区", "城区"),  # would shrink below two characters
])
def test_short_name_drops_the_administrative_ending(name, short):
    assert places.short_name(name) == short


def test_grouping_rows_are_not_places():
    _, by_name = places.gazetteer()
    assert "市辖区" not in by_name and "省直辖县级行政区划" not in by_name
    assert places.level_of("410108000000", "惠济区") == "district"
    assert places.level_of("410122000000", "中牟县") == "county"


# The two kinds of input the two former rules each handled: a masked unit at the start (the old
# kg.places rule, ^XX市) and a marker inside the name (the old hierarchy rule, "XX" anywhere).
MASKED = ["XX市", "XX县教育局", "XXX市", "某区", "**县", "××县", "河南省XX市", "河南省××县教育局", "郑州市XX区"]
NOT_MASKED = ["郑州市", "郑州市惠济区教育局", "市教育局", "XX教育大讲堂", "某些地区", "", None]


@pytest.mark.parametrize("text", MASKED)
def test_a_masked_unit_is_anonymised_wherever_it_stands(text):
    assert places.is_anonymised(text)
    assert places.anonymised_region(text).endswith(text.removesuffix("教育局")[-2:])


@pytest.mark.parametrize("text", NOT_MASKED)
def test_a_named_place_or_a_bare_marker_is_not_anonymised(text):
    assert not places.is_anonymised(text)


@pytest.mark.parametrize("text", MASKED + NOT_MASKED)
def test_hierarchy_metadata_and_views_agree_on_what_is_anonymised(text):
    anonymised = places.is_anonymised(text)
    meta = DocumentMeta(doc_id="d", region=text or None, parent="c")
    assert (hierarchy.region_chain(meta)[:1] == ("anonymised:c",)) is anonymised  # own chain per compilation
    assert places.is_anonymised(infer_region(text, None)) is anonymised  # metadata keeps the mask
    if anonymised:  # a canvas label shows the region as printed
        assert place_name(Document(meta=meta, text="", segments=[])) == text


def test_the_region_of_a_masked_issuer_is_the_masked_unit_as_printed():
    assert infer_region("XX市教育局", None) == "XX市"
    assert infer_region("河南省××县教育局", None) == "××县"  # the province is left out, as for named places
    assert infer_region("郑州市XX区教育局", None) == "郑州市XX区"
    assert infer_region("郑州市惠济区教育局", None) == "郑州市惠济区"
