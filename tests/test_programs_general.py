"""Programs learned from the corpus being built (issue 10, item 2): crafted documents of other
fields (health, employment, culture) and other provinces, never sentences of the bundled texts."""
from __future__ import annotations

import re

import pytest

from kg.extract import extract, make_pipeline
from kg.lexicon import DEFAULT_LEXICON, Lexicon, load_lexicon
from kg.link import learned_heads, link
from kg.records import Corpus, Document, DocumentMeta
from kg.structure import parse_structure

HEALTH = "一、深化医疗改革\n推进“县域医疗卫生联合体”建设，组建“城市医疗集团联合体”。\n"
EMPLOYMENT = "一、促进就业\n实施“粤菜师傅”培训，组建区域技能人才联合体。推动“体教融合”。\n"
CULTURE = "一、繁荣文化\n成立县域公共文化服务联合体，深化体教融合，办好“岭南文化讲坛”。\n"


@pytest.fixture(scope="module")
def nlp():
    return make_pipeline(use_lexicon=False)


def _build(nlp, *texts: str):
    documents = [Document(DocumentMeta(f"d{i}"), text) for i, text in enumerate(texts)]
    mentions = []
    for document in documents:
        mentions += extract(document, parse_structure(document), nlp)
    return documents, mentions


def _programs(linked, doc_id):
    return [(m.text, m.start, m.source) for m in linked if m.type == "program" and m.doc_id == doc_id]


def test_a_final_word_ending_two_quoted_names_becomes_a_head(nlp):
    documents, mentions = _build(nlp, HEALTH, EMPLOYMENT, CULTURE)
    texts = {d.doc_id: d.match_text for d in documents}
    assert learned_heads(mentions, texts, Lexicon()) == {"联合体": None}
    linked, _ = link(mentions, Lexicon(), corpus=Corpus(documents=documents))
    assert ("区域技能人才联合体", 20, "learned-head") in _programs(linked, "d1")
    assert ("县域公共文化服务联合体", 9, "learned-head") in _programs(linked, "d2")


def test_a_name_quoted_once_is_found_unquoted_in_other_documents(nlp):
    documents, mentions = _build(nlp, HEALTH, EMPLOYMENT, CULTURE)
    linked, _ = link(mentions, Lexicon(), corpus=Corpus(documents=documents))
    assert ("体教融合", 23, "corpus-repeat") in _programs(linked, "d2")
    # 讲坛 ends one name only: no head, and 岭南文化讲坛 is not looked for in its own document again
    assert [p for p in _programs(linked, "d2") if "讲坛" in p[0]] == [("“岭南文化讲坛”", 30, "quoted")]


def test_a_held_out_document_teaches_nothing(nlp):
    """Leave-one-document-out: with d1 held out, 体教融合 (quoted in d1 only) is not learned, so
    d2's plain 体教融合 is not found; d1 itself is still extracted as before."""
    documents, mentions = _build(nlp, HEALTH, EMPLOYMENT, CULTURE)
    linked, _ = link(mentions, Lexicon(), corpus=Corpus(documents=documents), held_out="d1")
    assert ("体教融合", 23, "corpus-repeat") not in _programs(linked, "d2")
    assert ("“体教融合”", 32, "quoted") in _programs(linked, "d1")
    linked, _ = link(mentions, Lexicon(), corpus=Corpus(documents=documents), held_out="d2")
    assert ("体教融合", 23, "corpus-repeat") in _programs(linked, "d2")


def test_a_word_mostly_outside_names_is_not_learned(nlp):
    # 标准 ends two quoted names but stands four times in plain wording
    texts = ("一、人才\n落实“浙江人才标准”和“杭州工匠标准”。\n",
             "一、卫生\n提高补助标准，执行收费标准，达到建设标准，明确评价标准。\n")
    documents, mentions = _build(nlp, *texts)
    assert learned_heads(mentions, {d.doc_id: d.match_text for d in documents}, Lexicon()) == {}


def test_generic_wording_quoted_once_is_not_propagated(nlp):
    documents, mentions = _build(nlp, "一、教育\n改进“课堂教学”。\n", "一、教育\n提升课堂教学质量。\n")
    linked, _ = link(mentions, Lexicon(), corpus=Corpus(documents=documents))
    assert _programs(linked, "d1") == []


def test_lexicon_keeps_only_national_and_provincial_programs():
    text = DEFAULT_LEXICON.read_text(encoding="utf-8")
    blocks = [b for b in text.split("\n\n") if "a skos:Concept ;" in b]
    scopes = [re.search(r'kg:scope "(\w+)"', b) for b in blocks]
    assert all(scopes) and {s.group(1) for s in scopes} == {"national", "provincial"}
    lexicon = load_lexicon()
    for local in ("道德课堂", "学在郑州", "美好教育", "郑州标准", "新优质初中", "名师工作室"):
        assert lexicon.lookup(local) is None
    assert lexicon.lookup("双减").pref_label == "双减" and lexicon.lookup("县管校聘") is not None
