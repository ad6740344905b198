"""Hierarchy, measure alignment and reuse on the bundled corpus (ingest + structure only)."""
from __future__ import annotations

import pytest

from kg.analysis.align import align, alignable_units, reuse_summary, verbatim_spans
from kg.analysis.hierarchy import context_documents, hierarchy, hierarchy_context, is_upper, upper_documents
from kg.records import Corpus, Document, DocumentMeta, Section

HUIJI, PLAN, Y2016, CENTRE = "001_56320e920f24c20a", "002_37f57ac8b3229a3d", "003_e4eb59aa704bb68c", "000_16f97bdad5560e56"


@pytest.fixture(scope="module")
def corpus(structured_corpus):
    """Text and structure only: these tests must hold without extraction."""
    return structured_corpus


@pytest.fixture(scope="module")
def huiji_alignments(corpus):
    return align(corpus, lower=HUIJI)


def test_district_sits_below_city_documents_and_not_below_anonymised_parts(corpus):
    metas = [d.meta for d in corpus.documents]
    uppers = upper_documents(metas, corpus.document(HUIJI).meta)
    # was {PLAN, Y2016, CENTRE}: by level and region all three are above Huiji, but only the
    # 2021-2025 plan is in force in 2023; the centre's 2024 plan is later (context only) and the
    # 2016-2018 plan is over (neither)
    assert uppers == [PLAN]
    assert context_documents(metas, corpus.document(HUIJI).meta) == [CENTRE]
    assert hierarchy(metas)[HUIJI] == [PLAN] and hierarchy_context(metas)[HUIJI] == [CENTRE]
    anonymised = [m for m in metas if m.doc_id.startswith("004_")]
    assert anonymised and not any(is_upper(m, corpus.document(HUIJI).meta) for m in anonymised)
    assert not any(is_upper(corpus.document(PLAN).meta, m) for m in anonymised)
    assert HUIJI not in hierarchy(metas).get(PLAN, [])


def test_manual_override_wins():
    city = DocumentMeta("c", level="city", region="郑州市")
    district = DocumentMeta("d", level="district", region="郑州市惠济区")
    other = DocumentMeta("o", level="city", region="XX市")
    assert upper_documents([city, district, other], district) == ["c"]
    assert upper_documents([city, district, other], district, overrides={"d": ["o"]}) == ["o"]


def test_verbatim_spans_are_maximal_and_directional():
    upper = "全面推进义务教育优质均衡发展，建设新优质初中。"
    lower = "我区将全面推进义务教育优质均衡发展，另有本地工作。"
    spans = verbatim_spans(lower, upper, seed=4, min_chars=6)
    assert spans == [(3, 18, 0, 15)]  # maximal: runs on through the shared comma
    assert lower[3:18] == upper[0:15] == "全面推进义务教育优质均衡发展，"
    assert verbatim_spans("毫无关系的文字内容", upper, seed=4, min_chars=6) == []


def test_every_huiji_measure_is_aligned_with_ranked_city_passages(corpus, huiji_alignments):
    measures = {s.label for s in corpus.sections[HUIJI] if s.is_measure}
    assert {a.lower_measure for a in huiji_alignments} == measures  # none of Huiji's measures reviews
    for measure in measures:
        rows = [a for a in huiji_alignments if a.lower_measure == measure]
        links = [a for a in rows if not a.local_only and a.period == "in_force"]
        context = [a for a in rows if a.period == "later"]
        assert len(links) + len(context) + sum(a.local_only for a in rows) == len(rows)
        # links: the plan in force, ranked 1..3; later context (the centre's 2024 plan) after them
        assert [a.rank for a in links] == list(range(1, len(links) + 1)) and len(links) <= 3
        assert all(0 < a.score <= 1 and a.upper_doc == PLAN for a in links)
        assert [a.score for a in links] == sorted((a.score for a in links), reverse=True)
        assert all((a.strength == "direct") == bool(a.shared_programs or a.shared_targets) for a in rows)
        assert all(a.upper_doc == CENTRE and a.strength == "thematic" and a.rank > max(1, len(links))
                   for a in context)


def test_known_alignments_are_found(huiji_alignments):
    top = {(a.lower_measure, a.upper_doc, a.upper_measure) for a in huiji_alignments}
    # 双减 measure <-> the plan's 双减 column; 新优质初中 measure <-> 专栏2 which names it
    assert ("9", PLAN, "专栏9") in top
    direct = [a for a in huiji_alignments if a.lower_measure == "17" and a.upper_measure == "专栏2"]
    assert direct and direct[0].strength == "direct" and "新优质初中" in direct[0].shared_programs


def test_verbatim_evidence_points_at_equal_text_in_both_documents(corpus, huiji_alignments):
    with_reuse = [a for a in huiji_alignments if a.reuse_ratio > 0]
    assert with_reuse
    for alignment in with_reuse:
        lower, upper = corpus.document(alignment.lower_doc).text, corpus.document(alignment.upper_doc).text
        for span in alignment.evidence:
            assert lower[span.lower_start:span.lower_end] == span.text
            assert upper[span.upper_start:span.upper_end] == span.text
    # measure 8 shares the title of the opinion on school-family-society co-education with the
    # centre's item 19: the centre wrote in 2024, so it is later context, not a text Huiji quoted
    shared = [(a.period, e.text) for a in with_reuse if a.lower_measure == "8" for e in a.evidence]
    assert any(period == "later" and "关于健全学校家庭社会协同育人机制的意见" in text for period, text in shared)


def test_unrelated_measure_is_local_only(corpus):
    text = "1. 组织春季植树。在校园东侧栽种银杏树苗，安排专人浇水看护，确保成活。\n"
    doc = Document(DocumentMeta("x", level="district", region="郑州市惠济区", year=2023), text)
    section = Section("x", "1", "measure", "1", "组织春季植树", 0, len(text), text.index("。") + 1, is_measure=True)
    small = Corpus(documents=[doc, corpus.document(PLAN)], sections={"x": [section], PLAN: corpus.sections[PLAN]})
    rows = align(small, lower="x")
    assert len(rows) == 1 and rows[0].local_only
    everything_local = align(corpus, lower=HUIJI, local_only_below=1.01)
    assert everything_local and all(a.local_only for a in everything_local)


def test_reuse_summary_is_directional_containment(corpus, huiji_alignments):
    summary = reuse_summary(corpus, huiji_alignments)[HUIJI]
    assert 0 < summary.reuse < 0.5
    assert set(summary.coverage) == {PLAN}  # was {PLAN, Y2016, CENTRE}: only the plan in force is taken up
    assert all(0 < v <= 1 for v in summary.coverage.values())
    text = corpus.document(HUIJI).text
    copied = [c for m in summary.measures for c in m.copied]
    assert copied and all(text[c.lower_start:c.lower_end] == c.text for c in copied)
    measure_16 = next(m for m in summary.measures if m.measure == "16")
    assert "90%" in measure_16.refinements.numbers  # Huiji's own coverage target


def test_quality_against_the_alignment_key(gold_dir, huiji_alignments):
    from kg.evaluate.alignment import evaluate_alignment

    scores = evaluate_alignment(gold_dir / "alignment_001.yaml", huiji_alignments)
    assert scores["lower_doc"] == HUIJI
    assert scores["best_at_3"] >= 0.75
    assert scores["local_only_agreement"] >= 0.9
    assert scores["direct_precision"] >= 0.8


# ---------------------------------------------------------------- when a shared name makes a pair direct

def _unit(corpus, doc_id, label, lower=False):
    from kg.analysis.align import alignable_units, measure_units

    make = measure_units if lower else alignable_units
    return next(u for u in make(corpus.document(doc_id), corpus.sections[doc_id]) if u.label == label)


def _program_mentions(unit, names):
    """Program mentions of ``names`` at their real offsets in a unit (what extract + link give)."""
    from kg.records import Mention

    found = []
    for name in names:
        index = unit.text.find(name)
        assert index >= 0, (unit.label, name)
        start = unit.doc_offset(index)
        found.append(Mention(unit.doc_id, "program", name, start, start + len(name), canonical=name))
    return found


def test_slogans_and_routine_duties_do_not_make_a_pair_direct(corpus, huiji_alignments):
    from kg.analysis.align import attach_names, shared_names, specific_names
    from kg.resources import alignment_settings

    settings = alignment_settings()
    dropout = _unit(corpus, HUIJI, "26", lower=True)  # 继续抓好控辍保学工作, quotes “应入尽入”
    review = _unit(corpus, PLAN, "一(一)6(3)")  # the plan's record, also “应入尽入”
    column = _unit(corpus, PLAN, "专栏3")  # the plan's “控辍保学”工程
    attach_names([dropout, review, column], _program_mentions(dropout, ["控辍保学"]), settings)
    assert "应入尽入" in shared_names(dropout, review) and "控辍保学" in shared_names(dropout, column)
    assert specific_names(shared_names(dropout, review), dropout, review, {}, settings) == []
    assert specific_names(shared_names(dropout, column), dropout, column, {}, settings) == []
    assert not [a for a in huiji_alignments if a.lower_measure == "26" and a.strength == "direct"]


def test_routine_party_names_need_quotes_or_the_topic_of_both_passages(corpus):
    from kg.analysis.align import attach_names, name_kinds, shared_names, specific_names
    from kg.resources import alignment_settings
    from kg.records import Concept

    settings = alignment_settings()
    party = ["组织生活会", "三会一课", "全面从严治党", "党组织领导的校长负责制"]
    kinds = name_kinds([Concept(f"c{i}", name, kind="party") for i, name in enumerate(party)], settings)
    pairs = {  # (district measure, centre/plan passage, the party name they share)
        "in passing": (_unit(corpus, HUIJI, "2", True), _unit(corpus, CENTRE, "1"), "组织生活会"),
        "quoted by both": (_unit(corpus, HUIJI, "1", True), _unit(corpus, CENTRE, "3"), "三会一课"),
        "both titles": (_unit(corpus, HUIJI, "5", True), _unit(corpus, CENTRE, "4"), "全面从严治党"),
        "a long name": (_unit(corpus, HUIJI, "10", True), _unit(corpus, PLAN, "四(一)1"), "党组织领导的校长负责制"),
    }
    kept = {}
    for case, (lower, upper, name) in pairs.items():
        attach_names([lower, upper], _program_mentions(lower, [name]) + _program_mentions(upper, [name]), settings)
        assert name in shared_names(lower, upper), case
        kept[case] = name in specific_names([name], lower, upper, kinds, settings)
        # without its routine kind every shared name counts, but national slogans never do
        generic = name == "全面从严治党"
        assert specific_names([name], lower, upper, {}, settings) == ([] if generic else [name])
    # was "both titles": True; 全面从严治党 is national policy vocabulary (names.thematic): never direct
    assert kept == {"in passing": False, "quoted by both": True, "both titles": False, "a long name": True}


def test_a_review_passage_is_no_candidate_and_the_plans_task_is_the_link(corpus, huiji_alignments):
    # was: the review passage stayed a (thematic) candidate; now a review of past achievements is
    # no directive to take up, so it is not aligned at all
    review = _unit(corpus, PLAN, "一(一)3(1)")  # 十三五 achievements in sport, names “满天星”训练营
    assert "满天星" in review.text and review.retrospective
    rows = {a.upper_measure: a for a in huiji_alignments if a.lower_measure == "7" and a.upper_doc == PLAN}
    assert rows["三(一)3"].strength == "direct" and "满天星" in rows["三(一)3"].shared_programs
    reviews = {u.label for u in alignable_units(corpus.document(PLAN), corpus.sections[PLAN]) if u.retrospective}
    assert "一(一)3(1)" in reviews
    assert not {a.upper_measure for a in huiji_alignments if a.upper_doc == PLAN} & reviews


# ---------------------------------------------------------------- the fast paths agree with the plain definitions

def _plain_verbatim_spans(lower, upper, seed, min_chars):
    """The definition scanned position by position (what the seed-table shortcuts must reproduce)."""
    spans, i = [], 0
    while i <= len(lower) - seed:
        best = None
        for j in range(len(upper) - seed + 1):
            gram = upper[j:j + seed]
            if gram != lower[i:i + seed] or any(ch.isspace() for ch in gram):
                continue
            k = seed
            while i + k < len(lower) and j + k < len(upper) and lower[i + k] == upper[j + k]:
                k += 1
            if best is None or k > best[1]:
                best = (j, k)
        if best and best[1] >= min_chars:
            spans.append((i, i + best[1], best[0], best[0] + best[1]))
            i += best[1]
        else:
            i += 1
    return spans


def test_verbatim_spans_match_the_position_by_position_definition(corpus):
    from kg.analysis.align import alignable_units, measure_units, seed_index

    measures = measure_units(corpus.document(HUIJI), corpus.sections[HUIJI])
    passages = alignable_units(corpus.document(CENTRE), corpus.sections[CENTRE])
    found = 0
    for measure in measures[6:9]:  # measure 8 copies a title from the centre's item 19
        for passage in passages:
            expected = _plain_verbatim_spans(measure.text, passage.text, 6, 10)
            assert verbatim_spans(measure.text, passage.text, 6, 10) == expected
            assert verbatim_spans(measure.text, passage.text, 6, 10, seed_index(passage.text, 6),
                                  seed_index(measure.text, 6)) == expected
            found += len(expected)
    assert found  # the district copies from the centre's plan
    # seeds across whitespace are not seeds; a repeat inside a copied stretch starts no new one
    assert verbatim_spans("甲乙 丙丁戊己", "甲乙 丙丁戊己", seed=3, min_chars=3) == [(3, 7, 3, 7)]
    assert verbatim_spans("春风春风春风又绿", "春风春风春风又绿", seed=2, min_chars=2) == [(0, 8, 0, 8)]


def test_index_search_equals_plain_cosines_in_reach_order(corpus):
    from collections import defaultdict

    from kg.analysis.align import NgramIndex, alignable_units, measure_units
    from kg.resources import alignment_settings

    settings = alignment_settings()
    uppers = [u for d in (PLAN, Y2016, CENTRE) for u in alignable_units(corpus.document(d), corpus.sections[d])]
    lowers = measure_units(corpus.document(HUIJI), corpus.sections[HUIJI])
    index = NgramIndex(uppers, uppers + lowers, settings)
    for measure in lowers[::5]:
        for allowed in (None, {PLAN}, {CENTRE, Y2016}):
            plain = defaultdict(float)
            for gram, weight in measure.vector.items():
                for position, unit in enumerate(uppers):
                    if gram in unit.vector and (allowed is None or unit.doc_id in allowed):
                        plain[position] += weight * unit.vector[gram]
            found = index.search(measure.vector, allowed)
            assert list(found.items()) == list(plain.items())  # same floats, same order
            assert found and all(uppers[p].doc_id in (allowed or {PLAN, Y2016, CENTRE}) for p in found)


def test_name_finder_finds_exactly_the_passages_sharing_a_name(corpus):
    from kg.analysis.align import NameFinder, alignable_units, attach_names, measure_units, shared_names
    from kg.resources import alignment_settings

    settings = alignment_settings()
    uppers = [u for d in (PLAN, CENTRE) for u in alignable_units(corpus.document(d), corpus.sections[d])]
    lowers = measure_units(corpus.document(HUIJI), corpus.sections[HUIJI])
    attach_names(uppers + lowers, corpus.mentions, settings)
    finder = NameFinder(uppers)
    named = [m for m in lowers if m.names]
    assert named  # quoted names and 《titles》 even without the extract stage
    for measure in named:
        assert finder.sharing(measure) == {p for p, u in enumerate(uppers) if shared_names(measure, u)}


def test_char_ngrams_drop_only_grams_inside_stop_phrases():
    from kg.analysis.align import char_ngrams

    grams = char_ngrams("加强双减工作", [2, 3], ["加强", "工作"])
    assert "加强" not in grams and "工作" not in grams  # wholly inside a stop phrase
    assert {"强双", "双减", "减工", "加强双", "减工作"} <= set(grams)
    assert char_ngrams("双减，双减", [2]) == {"双减": 2}  # runs end at punctuation


def test_seed_finder_finds_the_seed_starts_of_every_passage(corpus):
    from kg.analysis.align import SeedFinder, evidence_spans, measure_units, seed_index, seed_starts
    from kg.resources import alignment_settings

    settings = alignment_settings()
    passages = [u for d in (PLAN, CENTRE) for u in alignable_units(corpus.document(d), corpus.sections[d])]
    finder = SeedFinder(passages, 6)
    everywhere = list(range(len(passages)))
    found = 0
    for measure in measure_units(corpus.document(HUIJI), corpus.sections[HUIJI]):
        starts = finder.starts(measure.text, everywhere)
        expected = {p: seed_starts(measure.text, seed_index(u.text, 6), 6) for p, u in enumerate(passages)}
        assert starts == {p: s for p, s in expected.items() if s}
        # the same seeds as the two texts' tables share, ascending
        lower = seed_index(measure.text, 6)
        assert all(s == sorted(i for g in lower.keys() & seed_index(passages[p].text, 6).keys() for i in lower[g])
                   for p, s in starts.items())
        for position, passage in enumerate(passages):
            spans = evidence_spans(measure, passage, settings, starts.get(position, []))
            assert spans == evidence_spans(measure, passage, settings)
            found += len(spans)
        assert finder.starts(measure.text, everywhere[::2]) == {p: s for p, s in starts.items() if p % 2 == 0}
    assert found and finder.starts("", everywhere) == {} and finder.starts(measure.text, []) == {}


def test_long_copies_are_extended_to_their_end():
    # stretches longer than the extension's first steps (8, 16, 32 ... characters) and ending anywhere
    text = "".join(chr(0x4e00 + (i * 7919) % 2000) for i in range(300))
    for end in (17, 40, 41, 200, 300):
        lower = "本区" + text[:end] + "另行" + text[:end - 5]
        assert verbatim_spans(lower, text, 6, 10) == _plain_verbatim_spans(lower, text, 6, 10)
    assert verbatim_spans(text, text, 6, 10) == [(0, 300, 0, 300)]


def test_char_ngrams_drop_grams_across_adjacent_stop_phrases_in_every_text():
    from kg.analysis.align import char_ngrams

    words: dict = {}
    for _ in range(2):  # once cut, once from the words already cut
        assert char_ngrams("加强推进双减", [2, 3], ["加强", "推进"], words) == {"进双": 1, "双减": 1, "推进双": 1, "进双减": 1}
        assert char_ngrams("加强推进双减", [2, 3], [], words) == char_ngrams("加强推进双减", [2, 3])
        assert char_ngrams("加强推进双减", [2, 3], ["推进"], words)["加强推"] == 1
        assert char_ngrams("双减，双减", [2], (), words) == {"双减": 2}


def test_cycle_collection_is_held_off_inside_a_stage_only():
    import gc

    from kg.analysis.align.heap import collect_cycles_later

    @collect_cycles_later
    def stage(fail: bool) -> bool:
        if fail:
            raise ValueError("stage failed")
        return gc.isenabled()

    assert gc.isenabled() and stage(False) is False and gc.isenabled()
    with pytest.raises(ValueError):
        stage(True)
    assert gc.isenabled()
    gc.disable()
    try:
        stage(False)
        assert not gc.isenabled()  # a caller's choice is kept
    finally:
        gc.enable()
