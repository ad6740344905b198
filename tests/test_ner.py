"""The shipped NER model (kg.ner): loads offline, finds ORG/LOC/PER with exact offsets on crafted
sentences from other policy fields and provinces; MSRA conversion keeps offsets; gating is learned."""
from __future__ import annotations

from pathlib import Path

import pytest

import kg.ner as ner
from kg.ner import msra


@pytest.fixture(scope="module")
def nlp():
    import spacy
    return spacy.load(ner.MODEL_DIR)  # registered functions come from importing kg.ner


def ents(nlp, text):
    return {(e.start_char, e.end_char, e.label_) for e in nlp(text).ents}


def span_of(text, name, label):
    i = text.index(name)
    return (i, i + len(name), label)


def test_model_is_shipped_small_and_has_the_pipeline(nlp):
    assert nlp.pipe_names == ["kg_char_bigrams", "tok2vec", "ner"]
    assert set(nlp.get_pipe("ner").labels) == {"ORG", "LOC", "PER"}
    size = sum(p.stat().st_size for p in Path(ner.MODEL_DIR).rglob("*") if p.is_file())
    assert size <= 30 * 1024 * 1024
    gate = ner.load_gate()
    assert gate["finals"] and gate["initials"]


def test_char_bigram_features(nlp):
    doc = nlp.make_doc("卫健委")
    ner.char_bigrams(doc)
    assert [t.norm_ for t in doc] == [ner.BOS + "卫", "卫健", "健委"]
    assert [t.lemma_ for t in doc] == ["卫健", "健委", "委" + ner.EOS]


CASES = [
    # (sentence, [(name, label)]) - crafted, health / employment / talent, other provinces
    ("广东省卫生健康委员会近日印发通知，要求各地加强基层医疗卫生服务能力建设。",
     [("广东省卫生健康委员会", "ORG")]),
    ("今年以来，深圳市新增城镇就业人数超过十万人。",
     [("深圳市", "LOC")]),
    ("会上，王建国同志就做好高层次人才引进工作作了讲话。",
     [("王建国", "PER")]),
    ("四川省人力资源和社会保障厅将在成都市举办高校毕业生专场招聘会。",
     [("成都市", "LOC")]),
    # Known miss of the shipped model (MODEL_CARD.md): a long body name joined by 和 is read as
    # its leading place only (四川省 LOC). strict: an improved model must turn this into a pass.
    pytest.param("四川省人力资源和社会保障厅将在成都市举办高校毕业生专场招聘会。",
                 [("四川省人力资源和社会保障厅", "ORG")],
                 marks=pytest.mark.xfail(strict=True, reason="long coordinated ORG names")),
]


@pytest.mark.parametrize("text,expected", CASES)
def test_finds_names_with_exact_offsets(nlp, text, expected):
    found = ents(nlp, text)
    for name, label in expected:
        assert span_of(text, name, label) in found, (name, sorted(found))


def test_find_entities_offsets_are_into_the_whole_text(nlp):
    text = ("一、总体要求\n坚持就业优先战略。\n"
            "二、主要任务\n广东省卫生健康委员会牵头，深圳市人民政府配合，做好人才服务保障工作。")
    for gated in (True, False):
        found = ner.find_entities(text, nlp=nlp, gated=gated)
        for s, e, label in found:
            assert 0 <= s < e <= len(text)
        assert span_of(text, "广东省卫生健康委员会", "ORG") in found
        texts = {text[s:e] for s, e, _ in found}
        assert "深圳市人民政府" in texts or "深圳市" in texts


def test_gating_keeps_name_clauses_and_drops_plain_ones():
    gate = ner.load_gate()
    text = "坚持以人民为中心的发展思想，全面提高服务质量。广东省卫生健康委员会负责组织实施。"
    spans = ner.candidate_spans(text, gate)
    kept = "".join(text[s:e] for s, e in spans)
    assert "广东省卫生健康委员会" in kept
    assert "全面提高服务质量" not in kept


def test_gate_is_learned_from_labelled_data():
    sents = [("某某局和某某县", [(0, 3, "ORG"), (4, 7, "LOC")])] * 30 + [("张三说", [(0, 2, "PER")])] * 30
    gate = ner.learn_gate(sents, min_ratio=0.25, min_count=20)
    assert set(gate["finals"]) == {"局", "县"}
    assert gate["initials"] == "张"


BMES = """中 B-ORG
国 M-ORG
银 M-ORG
行 E-ORG
在 O
京 S-LOC
召 O
开 O
， O
李 B-PER
明 E-PER
出 O
席 O

广 B-LOC
州 E-LOC
"""

BIO = """上 B-LOC
海 I-LOC
市 I-LOC
教 B-ORG
委 I-ORG
发 O
文 O
"""


def test_msra_conversion_round_trips_offsets(tmp_path):
    import spacy
    p = tmp_path / "bmes.txt"
    p.write_text(BMES, encoding="utf-8")
    sents = msra.read_sentences(p)
    assert sents == [("中国银行在京召开，李明出席", [(0, 4, "ORG"), (5, 6, "LOC"), (9, 11, "PER")]),
                     ("广州", [(0, 2, "LOC")])]
    q = tmp_path / "bio.txt"
    q.write_text(BIO, encoding="utf-8")
    (text, spans), = msra.read_sentences(q)
    assert [(text[s:e], lab) for s, e, lab in spans] == [("上海市", "LOC"), ("教委", "ORG")]
    nlp = spacy.blank("zh")
    docs = msra.to_docs(nlp, sents)
    for (text, spans), doc in zip(sents, docs):
        assert doc.text == text
        assert [(e.start_char, e.end_char, e.label_) for e in doc.ents] == spans
    out = tmp_path / "x.spacy"
    assert msra.to_docbin(nlp, sents, out) == 2
    from spacy.tokens import DocBin
    back = list(DocBin().from_disk(out).get_docs(nlp.vocab))
    assert [[(e.start_char, e.end_char, e.label_) for e in d.ents] for d in back] == [s for _, s in sents]
