"""Concept linking: canonical names and one concept per program across variant names."""
from __future__ import annotations

import pytest

from kg.extract import extract, make_pipeline
from kg.lexicon import Lexicon, concept_id, load_lexicon
from kg.link import canonical_form, link
from kg.records import Mention
from kg.structure import parse_structure


@pytest.mark.parametrize("surface, canonical", [
    ("“县管校聘”改革", "县管校聘"),
    ("县管校聘", "县管校聘"),
    ("义务教育“双减”", "双减"),
    ("“双减”专项治理工程", "双减"),
    ("“名校+”工程", "名校+"),
    ("三名工程", "三名工程"),
    ("学校建设工程", "学校建设工程"),
    ("“满天星”训练营", "满天星训练营"),
    ("校长职级制改革", "校长职级制"),
    ("“3+2”人才培养模式", "3+2"),
    ("“学在郑州”学生学习平台", "学在郑州学生学习平台"),
])
def test_canonical_form(surface, canonical):
    assert canonical_form(surface) == canonical


def test_canonical_form_without_lexicon_rests_on_quotes():
    empty = Lexicon()
    assert canonical_form("“县管校聘”改革", empty) == "县管校聘"
    assert canonical_form("三名工程", empty) == "三名工程"


def test_lexicon_reads_curated_concepts():
    lexicon = load_lexicon()
    concept = lexicon.lookup("职级制")
    assert concept is not None and concept.pref_label == "校长职级制" and concept.curated
    assert all(c.kind for c in lexicon.concepts.values())


def program(text: str, doc_id: str = "d") -> Mention:
    return Mention(doc_id=doc_id, type="program", text=text, start=0, end=len(text))


def test_variant_names_share_one_concept_with_and_without_lexicon():
    for lexicon in (load_lexicon(), Lexicon()):
        mentions, concepts = link([program("“县管校聘”改革"), program("县管校聘", "e"),
                                   program("义务教育“双减”"), program("“双减”")], lexicon)
        assert mentions[0].concept == mentions[1].concept
        assert mentions[2].concept == mentions[3].concept != mentions[0].concept
        assert len(concepts) == 2


def test_discovered_programs_become_concepts_with_their_surfaces():
    mentions, concepts = link([program("阳光食堂平台"), program("“三标”活动"), program("三标")], load_lexicon())
    by_label = {c.pref_label: c for c in concepts}
    assert set(by_label) == {"阳光食堂平台", "三标"}
    assert not by_label["三标"].curated and "三标活动" in by_label["三标"].alt_labels
    assert mentions[0].concept == by_label["阳光食堂平台"].concept_id


def test_concept_ids_are_stable_and_iri_safe():
    assert concept_id("双减") == concept_id("“双减”工作")
    assert concept_id("双减").startswith("prog-") and concept_id("双减").isascii()


def test_new_quality_junior_school_is_one_concept_across_documents(documents):
    nlp = make_pipeline()
    mentions = []
    for doc_id in ("001_56320e920f24c20a", "002_37f57ac8b3229a3d"):
        mentions += extract(documents[doc_id], parse_structure(documents[doc_id]), nlp)
    linked, concepts = link(mentions, load_lexicon())
    ids = {(m.doc_id, m.concept) for m in linked if m.type == "program" and m.canonical == "新优质初中"}
    assert {doc for doc, _ in ids} == {"001_56320e920f24c20a", "002_37f57ac8b3229a3d"}
    assert len({cid for _, cid in ids}) == 1
    assert sum(1 for c in concepts if c.pref_label == "新优质初中") == 1


def _program(doc_id: str, text: str, start: int, source: str) -> Mention:
    return Mention(doc_id, "program", text, start, start + len(text), source=source)


def _corpus(*texts: str):
    from kg.records import Corpus, Document, DocumentMeta

    return Corpus(documents=[Document(DocumentMeta(f"d{i}"), text) for i, text in enumerate(texts)])


def test_corpus_pass_finds_confirmed_names_where_they_are_unquoted():
    corpus = _corpus("推进“道德课堂”建设。", "深化“道德课堂”改革。", "完善道德课堂评价，落实绿色通道。")
    mentions = [_program("d0", "“道德课堂”建设", 2, "quoted"), _program("d1", "“道德课堂”改革", 2, "quoted")]
    linked, concepts = link(mentions, Lexicon(), corpus=corpus)
    found = [m for m in linked if m.doc_id == "d2"]
    assert [(m.text, m.start, m.source) for m in found] == [("道德课堂", 2, "corpus-repeat")]
    assert len({m.concept for m in linked}) == 1 and len(concepts) == 1


def test_corpus_pass_ignores_names_seen_once_and_titles():
    corpus = _corpus("推进“道德课堂”建设。", "印发《道德课堂评价办法》，推进智慧课堂。")
    mentions = [_program("d0", "“道德课堂”建设", 2, "quoted")]
    linked, _ = link(mentions, Lexicon(), corpus=corpus)
    assert [m.doc_id for m in linked] == ["d0"]
    corpus = _corpus("推进“道德课堂”建设。", "深化“道德课堂”改革。", "印发《道德课堂评价办法》。")
    mentions.append(_program("d1", "“道德课堂”改革", 2, "quoted"))
    linked, _ = link(mentions, Lexicon(), corpus=corpus)
    assert {m.doc_id for m in linked} == {"d0", "d1"}


# ------------------------------------------------------------------ indicator concepts

def _targets(corpus, doc_prefix: str, indicator: str) -> list[Mention]:
    return [m for m in corpus.mentions if m.type == "target" and m.doc_id.startswith(doc_prefix)
            and m.indicator == indicator]


def test_indicator_wordings_of_two_documents_share_one_concept(loaded_corpus):
    [huiji] = _targets(loaded_corpus, "001", "学前教育普惠率")
    city = _targets(loaded_corpus, "002", "普惠性幼儿园覆盖率")
    assert city and {m.concept for m in city} == {huiji.concept}
    assert huiji.concept.startswith("ind-") and huiji.concept.isascii()
    assert huiji.canonical == "普惠性幼儿园覆盖率"
    [concept] = [c for c in loaded_corpus.concepts if c.concept_id == huiji.concept]
    assert concept.scheme == "indicators" and concept.curated
    assert concept.pref_label == "普惠性幼儿园覆盖率" and "学前教育普惠率" in concept.alt_labels


def test_every_indicator_target_is_linked_to_a_listed_concept(loaded_corpus):
    concepts = {c.concept_id: c for c in loaded_corpus.concepts if c.scheme == "indicators"}
    targets = [m for m in loaded_corpus.mentions if m.type == "target" and m.indicator]
    assert targets and all(m.concept in concepts for m in targets)
    assert all(concepts[m.concept].pref_label == m.canonical for m in targets)
    # linking merges wordings: fewer concepts than distinct wordings
    assert len(concepts) < len({m.indicator for m in targets})


def test_vocational_scopes_do_not_merge(loaded_corpus):
    from kg.indicators import dice, indicator_similarity, link_indicators, normalise_indicator

    secondary = _targets(loaded_corpus, "002", "职业教育双师型教师占专业教师比例（中职）")
    higher = _targets(loaded_corpus, "002", "职业教育双师型教师占专业教师比例（高职）")
    assert secondary and higher
    assert {m.concept for m in secondary}.isdisjoint({m.concept for m in higher})
    # the wordings are similar enough to merge: the scope words are what keep them apart
    a, b = secondary[0].indicator, higher[0].indicator
    assert dice(normalise_indicator(a), normalise_indicator(b)) >= indicator_similarity()
    linked = link_indicators([a, b, "职业教育双师型教师占专业教师比例(中职)", "公办园覆盖率", "民办园覆盖率"])
    assert linked[a] != linked[b] and linked["职业教育双师型教师占专业教师比例(中职)"] == linked[a]
    assert linked["公办园覆盖率"] != linked["民办园覆盖率"]


def test_link_gives_target_mentions_indicator_concepts():
    def target(indicator: str, doc_id: str) -> Mention:
        return Mention(doc_id=doc_id, type="target", text=indicator + "达到90%", start=0, end=10,
                       indicator=indicator, value="90", unit="%")

    mentions, concepts = link([target("学前三年毛入园率", "a"), target("学前教育毛入园率", "b"),
                               target("校园无线网络覆盖率", "a"), target("无线网络 覆盖率", "b")], Lexicon())
    indicators = {c.pref_label: c for c in concepts if c.scheme == "indicators"}
    assert set(indicators) == {"学前教育毛入园率", "校园无线网络覆盖率"}
    assert indicators["学前教育毛入园率"].curated and not indicators["校园无线网络覆盖率"].curated
    assert "无线网络覆盖率" in indicators["校园无线网络覆盖率"].alt_labels
    assert mentions[0].concept == mentions[1].concept == indicators["学前教育毛入园率"].concept_id
    assert mentions[2].concept == mentions[3].concept != mentions[0].concept


def test_graph_indicator_concept_has_targets_of_both_documents(built_corpus, loaded_corpus):
    from kg.rdf.query import run_query

    result = run_query(built_corpus, """
        SELECT DISTINCT ?indicator ?doc WHERE {
          ?target a kg:QuantitativeTarget ; kg:indicator ?indicator ; prov:wasDerivedFrom ?d .
          ?indicator skos:inScheme kg:indicatorScheme ; skos:prefLabel ?label .
          ?d kg:docId ?doc .
          FILTER(STR(?label) = "普惠性幼儿园覆盖率")
        }""")
    assert len({r["indicator"] for r in result.records()}) == 1
    documents = {r["doc"][:3] for r in result.records()}
    assert {"001", "002"} <= documents
    # the graph mints no indicator concepts of its own: it uses the linked ones
    count = run_query(built_corpus, "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c skos:inScheme kg:indicatorScheme }")
    assert count.rows[0][0] == sum(c.scheme == "indicators" for c in loaded_corpus.concepts)


def test_an_indicator_joins_only_within_one_meaning():
    """A share and a count under one wording are two indicators; a value without a unit joins the
    class most values use (crafted: a county's health plan)."""
    from kg.indicators import link_targets

    def target(value: str, unit: str | None, start: int) -> Mention:
        return Mention("d", "target", value, start, start + len(value), indicator="家庭医生签约", value=value,
                       unit=unit, kind="target")

    linked, concepts = link_targets([target("65", "%", 0), target("70", "%", 10), target("120", "个", 20),
                                     target("3", None, 30)])
    names = [m.canonical for m in linked]
    assert names == ["家庭医生签约", "家庭医生签约", "家庭医生签约（个）", "家庭医生签约"]
    assert len({m.concept for m in linked}) == 2 and len(concepts) == 2
