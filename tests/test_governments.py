"""Identity scoped by government: short names read in the government that prints them.

Crafted metadata and names of other provinces (Luoyang, Guangzhou, a masked county), not the
bundled texts' own sentences.
"""
from __future__ import annotations

from kg.governments import full_name, government_body, government_of, issuer_keys, organization_name
from kg.link import link, link_organizations
from kg.records import DocumentMeta, Mention

LUOYANG = DocumentMeta("ly", title="洛阳市教育局2022年工作要点", issuer="洛阳市教育局", level="city",
                       region="洛阳市", year=2022)
JIANXI = DocumentMeta("jx", title="洛阳市涧西区教育局2022年工作要点", issuer="洛阳市涧西区教育局", level="district",
                      region="洛阳市涧西区", year=2022)
GUANGZHOU = DocumentMeta("gz", title="广州市人力资源和社会保障局2021年工作要点", issuer="广州市人力资源和社会保障局",
                         level="city", region="广州市", year=2021)
MASKED_A = DocumentMeta("part#1", title="县卫生健康局2023年工作要点", issuer="XX县卫生健康局", level="county",
                        region="XX县", year=2023, parent="part")
MASKED_B = DocumentMeta("part#2", title="县卫生健康局2023年工作要点", issuer="XX县卫生健康局", level="county",
                        region="XX县", year=2023, parent="part")


def key(name: str, meta: DocumentMeta, org_type: str | None = "government") -> str:
    government = government_of(meta)
    return organization_name(name, government, org_type).key(government)


def test_government_of_a_district_a_city_and_a_masked_part():
    assert government_of(JIANXI).key == "洛阳市涧西区"
    assert government_of(JIANXI).unit("city") == "洛阳市"
    assert government_of(LUOYANG).key == "洛阳市"
    masked = government_of(MASKED_A)
    assert masked.anonymised and masked.key == "part#1"  # each part on its own
    assert government_of(MASKED_B).key != masked.key
    assert government_of(DocumentMeta("x")).key == "document:x"


def test_short_forms_are_written_out_in_the_printing_government():
    assert key("市教育局", JIANXI) == "洛阳市教育局"  # a district plan's 市 is its city
    assert key("区教育局", JIANXI) == "洛阳市涧西区教育局"
    assert key("区委", JIANXI, "party") == "洛阳市涧西区委"
    assert key("中共市委", LUOYANG, "party") == "中共洛阳市委"
    assert key("市人社局", GUANGZHOU) == "广州市人社局"
    assert key("市教育局", GUANGZHOU) != key("市教育局", LUOYANG)  # two cities, two bureaus
    # the full name and the short form are one body
    assert key("涧西区教育局", LUOYANG) == key("区教育局", JIANXI)
    assert key("市政府", LUOYANG) == "洛阳市人民政府"


def test_national_organs_and_every_governments_bodies():
    assert key("教育部", JIANXI) == key("教育部", GUANGZHOU) == "教育部"
    assert key("全国妇联", JIANXI, "other") == "全国妇联"
    assert key("妇联", GUANGZHOU, "other") == "广州市妇联"  # each government has its own
    assert key("团市委", LUOYANG, "other") == "团市委@洛阳市"  # no written-out form: kept within Luoyang
    assert key("团市委", LUOYANG, "other") != key("团市委", GUANGZHOU, "other")


def test_words_that_only_start_like_a_level_character():
    assert key("市场监督管理局", LUOYANG) == "洛阳市市场监督管理局"  # 市场: no short form of 市
    assert full_name("区域教育联盟", government_of(JIANXI), "association").label == "区域教育联盟"


def test_a_county_body_named_in_a_city_plan_stays_unresolved_within_the_city():
    assert key("县政府", LUOYANG) == "县人民政府@洛阳市"


def test_masked_places_join_only_inside_their_part():
    assert key("县卫生健康局", MASKED_A) == "XX县卫生健康局@part#1"
    assert key("县卫生健康局", MASKED_A) != key("县卫生健康局", MASKED_B)
    assert government_body(government_of(MASKED_A)).key(government_of(MASKED_A)) == "XX县人民政府@part#1"


def test_issuers_are_keyed_like_mentions():
    assert issuer_keys(JIANXI) == ["洛阳市涧西区教育局"]
    joint = DocumentMeta("j", issuer="中共广州市委", co_issuers=["广州市人民政府"], level="city", region="广州市")
    assert issuer_keys(joint) == ["中共广州市委", "广州市人民政府"]


def _org(doc_id: str, text: str, subtype: str = "government", parent: str | None = None) -> Mention:
    return Mention(doc_id, "organization", text, 0, len(text), subtype=subtype, parent=parent)


def test_link_organizations_gives_one_node_per_government_and_nests_units():
    mentions = [_org("ly", "市教育局"), _org("jx", "市教育局"), _org("gz", "市教育局"),
                _org("jx", "区教育局基础教育科", "section", parent="区教育局"),
                _org("part#1", "县卫生健康局"), _org("part#2", "县卫生健康局")]
    linked, organizations = link_organizations(mentions, [LUOYANG, JIANXI, GUANGZHOU, MASKED_A, MASKED_B])
    keys = [m.concept for m in linked]
    assert keys[0] == keys[1] == "洛阳市教育局" and keys[2] == "广州市教育局"
    assert linked[0].canonical == "洛阳市教育局" and linked[0].text == "市教育局"  # printed form kept
    assert keys[4] != keys[5] and linked[4].scope == "part#1"
    by_key = {o.key: o for o in organizations}
    assert "市教育局" in by_key["洛阳市教育局"].alt_labels
    section = by_key[keys[3]]
    assert section.label == "洛阳市涧西区教育局基础教育科" and section.org_type == "section"
    # 科室 -> 局 -> 人民政府
    assert section.parent == "洛阳市涧西区教育局"
    assert by_key["洛阳市涧西区教育局"].parent == "洛阳市涧西区人民政府"
    assert by_key["洛阳市教育局"].parent == "洛阳市人民政府"
    assert by_key["洛阳市教育局"].government == "洛阳市"
    assert "广州市人力资源和社会保障局" in by_key  # issuers are organizations too


def _program(doc_id: str, text: str) -> Mention:
    return Mention(doc_id, "program", text, 0, len(text), source="quoted")


def test_place_prefixed_programs_join_their_general_concept_with_the_place_kept():
    mentions = [_program("a", "乡村教师支持计划"), _program("b", "洛阳市乡村教师支持计划"),
                _program("c", "广州市青年英才培育行动")]
    linked, concepts = link(mentions)
    general, local, alone = linked
    assert local.concept == general.concept and local.scope == "洛阳市"
    assert alone.scope is None  # no general program of that name: it keeps its own concept
    assert alone.concept != general.concept


def test_parts_are_narrower_and_access_points_merge():
    mentions = [_program("a", "校园足球"), _program("a", "校园足球特色学校"),
                _program("b", "智慧就业"), _program("b", "智慧就业平台")]
    linked, concepts = link(mentions)
    by_label = {c.pref_label: c for c in concepts if c.scheme == "programs"}
    assert by_label["校园足球特色学校"].broader == [by_label["校园足球"].concept_id]
    assert linked[2].concept == linked[3].concept  # 智慧就业平台 is how 智慧就业 is reached
