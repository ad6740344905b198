"""Rules and the trained recogniser combined (kg.components.entities), on crafted sentences of
other fields and provinces: the model adds names the rules miss, on the rules' terms."""
from __future__ import annotations

import pytest

from kg.extract import extract, make_pipeline
from kg.records import Document, DocumentMeta
from kg.structure import parse_structure


@pytest.fixture(scope="module")
def nlp():
    return make_pipeline(use_lexicon=False)


def names(nlp, text: str, mention_type: str) -> list[tuple[str, int, str]]:
    document = Document(DocumentMeta("crafted"), text)
    found = extract(document, parse_structure(document), nlp)
    for mention in found:
        assert text[mention.start:mention.end] == mention.text
    return [(m.text, m.start, m.source) for m in found if m.type == mention_type]


def test_the_model_adds_an_organization_the_rules_miss(nlp):
    text = "一、加强合作\n支持复旦大学附属华山医院与县人民医院开展结对帮扶。\n"
    assert ("复旦大学附属华山医院", 9, "ner") in names(nlp, text, "organization")


def test_a_boundary_word_the_model_takes_in_is_cut_off(nlp):
    text = "一、健康促进\n联合中山大学肿瘤防治中心开展筛查。\n"
    assert [n for n in names(nlp, text, "organization") if n[2] == "ner"] == [("中山大学", 9, "ner")]


def test_a_person_is_kept_beside_a_title_only(nlp):
    text = "一、人才引进\n会议由副市长王建国同志主持，由局长李明华负责督导。\n"
    assert [n for n in names(nlp, text, "person")] == [("王建国", 13, "ner"), ("李明华", 24, "ner")]


def test_a_title_after_punctuation_still_opens_a_window(nlp):
    text = "一、就业服务\n召开推进会，局长李明华出席。\n"
    assert names(nlp, text, "person") == [("李明华", 15, "ner")]


def test_rules_win_where_both_find_a_name(nlp):
    text = "一、人才引进\n邀请北京协和医学院专家授课。\n"
    assert names(nlp, text, "organization") == [("北京协和医学院", 9, "suffix")]


def test_kinds_of_bodies_and_running_text_are_not_names(nlp):
    # common words or verbs before the type word: a kind of body, not one (音乐学院, 强化集团化办学)
    text = "一、艺术教育\n办好音乐学院，强化集团化办学，净化学校周边环境。\n"
    assert [n for n in names(nlp, text, "organization") if n[2] == "ner"] == []


def test_without_the_model_only_rules_speak(nlp):
    rules_only = make_pipeline(use_lexicon=False, use_model=False)
    text = "一、加强合作\n支持复旦大学附属华山医院开展帮扶。\n"
    assert names(rules_only, text, "organization") == []
