"""Input robustness: encodings, traditional script, symbolic links, document ids, very long
documents, missing optional packages, files that break their reader."""
from __future__ import annotations

import importlib.util
import json
import random
import sys
from dataclasses import asdict
from pathlib import Path

import pytest

from kg.ingest import decode_bytes, document_ids, ingest_corpus, ingest_file
from kg.records import Document, text_file_name

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"
# the 2016 Huiji plan: small, simplified, metadata inferred from its text
SMALL_PLAN = CORPUS / "003_e4eb59aa704bb68c.txt"
# the city plan 2021-2025: a table of indicators, 专栏 columns, many programs
CITY_PLAN = CORPUS / "002_37f57ac8b3229a3d.txt"


def to_traditional(text: str) -> str:
    import opencc

    return opencc.OpenCC("s2t.json").convert(text)


@pytest.fixture(scope="module")
def nlp():
    from kg.extract import make_pipeline

    return make_pipeline()


def long_plan(chars: int) -> str:
    """The benchmark's synthetic plan (benchmarks/bench_long_document.py)."""
    spec = importlib.util.spec_from_file_location("bench_long_document", REPO / "benchmarks" / "bench_long_document.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.long_plan(chars)


def mentions_of(document: Document, nlp):
    """Structure, extraction and linking of one document, as the build runs them."""
    from kg.extract import extract
    from kg.lexicon import load_lexicon
    from kg.link import link
    from kg.records import Corpus
    from kg.structure import parse_structure

    sections = parse_structure(document)
    corpus = Corpus(documents=[document], sections={document.doc_id: sections})
    mentions, _ = link(extract(document, sections, nlp), load_lexicon(), corpus=corpus)
    return sections, mentions


# ----------------------------------------------------------------------------- encodings

def corpus_passage() -> str:
    return SMALL_PLAN.read_text(encoding="utf-8")[:4000]


@pytest.mark.parametrize("encoding", ["big5", "cp950"])
def test_big5_is_decoded_as_big5_not_gb18030_mojibake(tmp_path, encoding):
    traditional = to_traditional(corpus_passage())
    raw = traditional.encode(encoding, errors="ignore")  # a few characters Big5 lacks are dropped
    text, detected = decode_bytes(raw, tmp_path / "x.txt")
    assert detected in ("big5", "cp950")
    assert text == raw.decode(encoding)
    assert text.startswith("鄭州市教育局未來三年重點工程")


def test_gbk_and_utf16_without_mark(tmp_path):
    passage = corpus_passage()
    assert decode_bytes(passage.encode("gbk"), tmp_path / "x.txt") == (passage, "gb18030")
    assert decode_bytes(passage.encode("utf-16-le"), tmp_path / "x.txt") == (passage, "utf-16-le")
    assert decode_bytes(passage.encode("utf-16-be"), tmp_path / "x.txt") == (passage, "utf-16-be")


def test_utf8_with_a_few_nul_bytes_is_utf8_without_them(tmp_path):
    passage = corpus_passage()
    # NUL bytes between characters; an even length once passed for UTF-16
    with_nuls = b"\x00".join(passage[i:i + 700].encode("utf-8") for i in range(0, len(passage), 700))
    with_nuls += b"\x00" * (len(with_nuls) % 2)
    assert with_nuls.count(b"\x00") >= 3
    text, detected = decode_bytes(with_nuls, tmp_path / "x.txt")
    assert detected == "utf-8"
    assert text == passage


def test_random_bytes_are_refused_in_one_line(tmp_path):
    noise = random.Random(8).randbytes(20000)
    (tmp_path / "noise.txt").write_bytes(noise)
    (tmp_path / "plan.txt").write_bytes(SMALL_PLAN.read_bytes())
    result = ingest_corpus(tmp_path, use_manifest=False)
    [error] = result.errors
    assert str(error).startswith(f"{tmp_path / 'noise.txt'}: cannot decode text: no encoding gives plausible Chinese")
    assert "\n" not in str(error)
    assert [d.doc_id for d in result.documents] == ["plan"]


def test_ascii_text_is_still_read(tmp_path):
    assert decode_bytes(b"Annex 1. Budget 2021\n", tmp_path / "x.txt") == ("Annex 1. Budget 2021\n", "utf-8")


# ----------------------------------------------------------------------------- traditional script

def test_traditional_copy_gives_the_same_metadata_and_mentions(tmp_path, nlp):
    simplified = SMALL_PLAN.read_text(encoding="utf-8")
    traditional = to_traditional(simplified)
    assert traditional != simplified and len(traditional) == len(simplified)
    (tmp_path / "trad").mkdir()
    (tmp_path / "trad" / SMALL_PLAN.name).write_text(traditional, encoding="utf-8")
    [original] = ingest_file(SMALL_PLAN)
    [copy] = ingest_file(tmp_path / "trad" / SMALL_PLAN.name)

    assert (original.meta.script, copy.meta.script) == ("simplified", "traditional")
    differing = {k for k, v in asdict(copy.meta).items() if asdict(original.meta)[k] != v}
    assert differing == {"sha256", "script"}
    assert original.meta.title and original.meta.issuer and original.meta.year
    assert copy.text != original.text and len(copy.text) == len(original.text)
    assert copy.match_text == original.text  # this plan round-trips exactly through s2t/t2s

    sections_s, mentions_s = mentions_of(original, nlp)
    sections_t, mentions_t = mentions_of(copy, nlp)
    assert [(s.label, s.start, s.end) for s in sections_t] == [(s.label, s.start, s.end) for s in sections_s]
    for section in sections_t:  # titles as printed
        assert section.title in copy.text[section.start:section.heading_end]
    assert {(m.type, m.canonical, m.start, m.end) for m in mentions_t} == \
           {(m.type, m.canonical, m.start, m.end) for m in mentions_s}
    assert all(m.text == copy.text[m.start:m.end] for m in mentions_t)
    assert any(m.text != m.canonical for m in mentions_t if m.type == "program")
    assert "match_text" not in mentions_t[0].to_json()


def test_simplified_documents_are_left_alone(documents):
    for document in documents.values():
        assert document.meta.script == "simplified"
        assert document.match_text is document.text


# ----------------------------------------------------------------------------- symbolic links

def test_symbolic_links_outside_the_folder_and_broken_ones_are_errors(tmp_path):
    corpus, outside = tmp_path / "corpus", tmp_path / "outside"
    corpus.mkdir(), outside.mkdir()
    (corpus / "plan.txt").write_bytes(SMALL_PLAN.read_bytes())
    (outside / "secret.txt").write_bytes(CITY_PLAN.read_bytes())
    (corpus / "escape.txt").symlink_to(outside / "secret.txt")
    (corpus / "gone.txt").symlink_to(tmp_path / "nowhere.txt")
    (corpus / "inside.txt").symlink_to(corpus / "plan.txt")
    result = ingest_corpus(corpus, use_manifest=False)
    assert sorted(str(e) for e in result.errors) == [
        f"{corpus / 'escape.txt'}: symbolic link to outside the corpus folder, not followed",
        f"{corpus / 'gone.txt'}: broken symbolic link",
    ]
    assert sorted(d.doc_id for d in result.documents) == ["inside", "plan"]


def test_build_goes_on_past_a_bad_link_and_exits_2(tmp_path):
    from click.testing import CliRunner

    from kg.cli import main

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "plan.txt").write_bytes(SMALL_PLAN.read_bytes())
    (corpus / "gone.txt").symlink_to(tmp_path / "nowhere.txt")
    result = CliRunner().invoke(main, ["build", str(corpus), "-o", str(tmp_path / "build"), "--no-views",
                                       "--no-reports"])
    assert result.exit_code == 2, result.output
    assert f"{corpus / 'gone.txt'}: broken symbolic link" in result.output
    assert (tmp_path / "build" / "text" / "plan.txt").is_file()


# ----------------------------------------------------------------------------- document ids

def write_docx(path: Path, text: str) -> None:
    import docx

    document = docx.Document()
    for line in text.splitlines():
        document.add_paragraph(line)
    document.save(path)


def test_files_sharing_a_stem_are_all_built_under_their_file_names(tmp_path):
    (tmp_path / "x.txt").write_bytes(SMALL_PLAN.read_bytes())
    write_docx(tmp_path / "x.docx", CITY_PLAN.read_text(encoding="utf-8")[:5000])
    (tmp_path / "y.txt").write_bytes(SMALL_PLAN.read_bytes())
    result = ingest_corpus(tmp_path, use_manifest=False)
    assert sorted(d.doc_id for d in result.documents) == ["x.docx", "x.txt", "y"]
    assert result.notices == ["x.docx, x.txt: same file stem, so each document's id is its file name (x.docx, x.txt)"]
    assert not result.errors


def test_ids_stay_unique_after_renaming():
    files = [Path("x.txt"), Path("x.docx"), Path("x.txt.pdf")]
    ids, _ = document_ids(files)
    assert ids == {Path("x.txt"): "x.txt", Path("x.docx"): "x.docx", Path("x.txt.pdf"): "x.txt.pdf"}


def test_a_file_named_like_a_compilation_part_gets_its_own_id(tmp_path):
    (tmp_path / "comp.txt").write_bytes((CORPUS / "004_f29dea3288537dee.txt").read_bytes())
    (tmp_path / "comp#1.txt").write_bytes(SMALL_PLAN.read_bytes())
    result = ingest_corpus(tmp_path, use_manifest=False)
    ids = [d.doc_id for d in result.documents]
    assert ids == ["comp%231", "comp#1", "comp#2", "comp#3", "comp#4", "comp#5"]
    assert result.documents[0].meta.source == "comp#1.txt"


def test_ids_differing_only_by_case_are_refused_in_one_line(tmp_path):
    (tmp_path / "Plan.txt").write_bytes(SMALL_PLAN.read_bytes())
    (tmp_path / "plan.txt").write_bytes(CITY_PLAN.read_bytes())
    result = ingest_corpus(tmp_path, use_manifest=False)
    [error] = result.errors
    assert str(error) == (f"{tmp_path / 'plan.txt'}: id 'plan' differs only by case from 'Plan' of Plan.txt; "
                          "rename one of the two files")
    assert [d.doc_id for d in result.documents] == ["Plan"]


def test_text_file_names_are_safe_and_distinct():
    names = {doc_id: text_file_name(doc_id) for doc_id in [
        "plan", "comp#1", "comp%231", "规划 2021", "-rf", ".hidden", "长" * 120, "长" * 121, "a/b", "x~0123456789abcdef"]}
    assert names["plan"] == "plan.txt" and names["comp#1"] == "comp#1.txt" and names["规划 2021"] == "规划 2021.txt"
    assert len(set(names.values())) == len(names)
    for doc_id, name in names.items():
        assert not name.startswith(("-", ".")) and "/" not in name and len(name.encode()) <= 200, doc_id
    assert names["-rf"].startswith("rf~") and names["长" * 121].startswith("长" * 26)


AWKWARD_STEMS = ["two words", "规划（2021—2025）", "-leading-dash", "50% done", "hash#tag", "é<>\"{}|^`\\x",
                 "长" * 80]


def test_awkward_ids_build_with_exact_offsets_and_valid_iris(tmp_path):
    import pyoxigraph as ox

    from kg.build import build
    from kg.builddir import load_corpus, read_documents_csv
    from kg.rdf.namespace import doc_iri, graph_iri, mention_iri, section_iri

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for stem in AWKWARD_STEMS:
        (corpus / f"{stem}.txt").write_bytes(SMALL_PLAN.read_bytes())
    (corpus / "comp.txt").write_bytes((CORPUS / "004_f29dea3288537dee.txt").read_bytes())
    out = tmp_path / "build"
    summary = build(corpus, out, views=False, reports=False)
    assert not summary.errors
    csv_ids = [row["doc_id"] for row in read_documents_csv(out)]  # (a leading "-" is quoted against formulas)
    assert len(csv_ids) == len(set(csv_ids)) == len(AWKWARD_STEMS) + 5
    loaded = load_corpus(out)
    ids = [d.doc_id for d in loaded.documents]
    assert len(ids) == len(set(ids)) == len(csv_ids)
    assert {"two words", "-leading-dash", "50%25 done", "hash%23tag", "comp#3", "长" * 80} <= set(ids)
    texts = {d.doc_id: d.text for d in loaded.documents}
    mentions = [json.loads(line) for line in (out / "mentions.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {m["doc_id"] for m in mentions} == set(ids)
    for mention in mentions:
        assert texts[mention["doc_id"]][mention["start"]:mention["end"]] == mention["text"]
    for doc_id in ids:
        assert (out / "text" / text_file_name(doc_id)).read_text(encoding="utf-8") == texts[doc_id]
        for iri in (doc_iri(doc_id), graph_iri(doc_id), section_iri(doc_id, "一(一)2"),
                    mention_iri(doc_id, 1, 2, "program")):
            ox.NamedNode(str(iri))  # raises ValueError on an invalid IRI
    store = ox.Store.read_only(str(out / "store"))
    graphs = {str(g.value) for g in store.named_graphs()}
    assert {str(graph_iri(doc_id)) for doc_id in ids} <= graphs


# ----------------------------------------------------------------------------- long documents

def test_pieces_cut_at_preferred_offsets_lines_and_sentences():
    from kg.extract import pieces

    assert pieces("abc", 8) == [(0, 3)]
    assert pieces("aaaa\nbbbbbb\ncc\ndddd\n", 8) == [(0, 5), (5, 12), (12, 20)]
    assert pieces("aaaa\nbbbbbb\ncc\ndddd\n", 8, [9]) == [(0, 5), (5, 12), (12, 20)]
    assert pieces("aa\nbbbbbbbb\ncccc\n", 12, [12]) == [(0, 12), (12, 17)]
    assert pieces("a" * 10 + "。" + "b" * 30, 16) == [(0, 11), (11, 27), (27, 41)]
    assert pieces("x" * 40, 16) == [(0, 16), (16, 32), (32, 40)]


def test_pieces_find_what_the_whole_text_finds(nlp):
    """Cutting a document at top-level headings loses nothing the rules see."""
    from kg.extract import extract
    from kg.structure import parse_structure

    [document] = ingest_file(CORPUS / "000_16f97bdad5560e56.txt")
    sections = parse_structure(document)
    whole = extract(document, sections, nlp)
    cut = extract(document, sections, nlp, piece_chars=2500)
    assert sum(1 for s in sections if s.depth == 0) > 2
    assert cut == whole


@pytest.fixture(scope="module")
def over_spacy_max_length() -> str:
    """Longer than spaCy's max_length (1,000,000), which used to stop the whole build (E088).
    The full build of a 3 M-character document beside others is tests/test_mixed_corpus.py."""
    text = long_plan(1_200_000)
    assert len(text) >= 1_200_000
    return text


def assert_exact(documents: list[Document], mentions) -> dict[str, int]:
    texts = {d.doc_id: d.text for d in documents}
    counts = dict.fromkeys(texts, 0)
    for mention in mentions:
        assert texts[mention.doc_id][mention.start:mention.end] == mention.text
        counts[mention.doc_id] += 1
    return counts


@pytest.mark.slow
def test_a_document_over_spacys_limit_is_analysed_in_pieces(tmp_path, over_spacy_max_length):
    """Ingest, structure, extraction, linking and alignment, and a second extraction cut into
    other pieces that must find exactly the same mentions."""
    from kg.build import analyse

    (tmp_path / "long.txt").write_text(over_spacy_max_length, encoding="utf-8")
    corpus = analyse(tmp_path, use_manifest=False)
    [document] = corpus.documents
    assert document.text == over_spacy_max_length  # nothing to clean in it
    counts = assert_exact(corpus.documents, corpus.mentions)
    assert counts["long"] > 20_000
    measures = [s for s in corpus.sections["long"] if s.is_measure]
    assert len(measures) == document.meta.measures > 6_000
    assert measures[-1].end == len(document.text.rstrip("\n"))  # the last measure is found and ends the text
    # nothing is lost or changed at the piece boundaries: pieces cut elsewhere find the same
    from kg.extract import PIECE_CHARS, extract, make_pipeline, pieces

    sections = corpus.sections["long"]
    nlp = make_pipeline()
    assert len(pieces(document.text, PIECE_CHARS)) >= 12
    assert extract(document, sections, nlp) == extract(document, sections, nlp, piece_chars=70_000)


# ----------------------------------------------------------------------------- missing packages

def test_missing_html_cleaner_is_an_installation_error_for_that_file(tmp_path, monkeypatch):
    html = "".join(f"<p>{line}</p>" for line in SMALL_PLAN.read_text(encoding="utf-8").splitlines()[:30])
    (tmp_path / "page.html").write_text(f"<html><body><article>{html}</article></body></html>", encoding="utf-8")
    (tmp_path / "plan.txt").write_bytes(SMALL_PLAN.read_bytes())
    monkeypatch.setitem(sys.modules, "lxml_html_clean", None)  # import fails as if not installed
    result = ingest_corpus(tmp_path, use_manifest=False)
    [error] = result.errors
    assert str(error) == (f"{tmp_path / 'page.html'}: reading .html needs the Python package 'lxml_html_clean', "
                          "which is not installed: pip install lxml_html_clean")
    assert error.exit_code == 3
    assert [d.doc_id for d in result.documents] == ["plan"]


def test_missing_docx_reader_names_the_package_to_install(tmp_path, monkeypatch):
    write_docx(tmp_path / "plan.docx", SMALL_PLAN.read_text(encoding="utf-8")[:3000])
    monkeypatch.setitem(sys.modules, "docx", None)
    [error] = ingest_corpus(tmp_path, use_manifest=False).errors
    assert str(error).endswith("reading .docx needs the Python package 'python-docx', which is not installed: "
                               "pip install python-docx")


def test_html_cleaner_is_declared_in_setup_cfg():
    from setuptools.config.setupcfg import read_configuration

    required = read_configuration(REPO / "setup.cfg")["options"]["install_requires"]
    names = {r.split(">")[0].split("<")[0].split("=")[0].strip().lower().replace("-", "_") for r in required}
    assert {"lxml_html_clean", "opencc", "trafilatura"} <= names


# ----------------------------------------------------------------------------- files that break their reader

def test_each_broken_file_is_one_error_line_and_the_others_ingest(tmp_path):
    write_docx(tmp_path / "whole.docx", SMALL_PLAN.read_text(encoding="utf-8")[:3000])
    data = (tmp_path / "whole.docx").read_bytes()
    (tmp_path / "truncated.docx").write_bytes(data[: len(data) // 2])
    (tmp_path / "corrupt.docx").write_bytes(b"PK\x03\x04" + random.Random(1).randbytes(3000))
    (tmp_path / "binary.pdf").write_bytes(random.Random(2).randbytes(3000))
    (tmp_path / "text.pdf").write_bytes(SMALL_PLAN.read_bytes())
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.txt").write_text("\n \u3000\n\t\n", encoding="utf-8")
    (tmp_path / "plan.txt").write_bytes(SMALL_PLAN.read_bytes())
    result = ingest_corpus(tmp_path, use_manifest=False)
    errors = {Path(e.path).name: e.problem for e in result.errors}
    assert set(errors) == {"truncated.docx", "corrupt.docx", "binary.pdf", "text.pdf", "empty.txt", "blank.txt"}
    assert errors["empty.txt"] == "empty file"
    assert errors["blank.txt"] == "empty file"
    assert errors["text.pdf"].startswith("cannot read pdf")
    assert errors["truncated.docx"].startswith("cannot read docx")
    assert all("\n" not in str(e) for e in result.errors)
    assert sorted(d.doc_id for d in result.documents) == ["plan", "whole"]


def test_an_unexpected_failure_on_one_file_is_one_error_line(tmp_path, monkeypatch):
    import kg.ingest

    (tmp_path / "a.txt").write_bytes(SMALL_PLAN.read_bytes())
    (tmp_path / "b.txt").write_bytes(CITY_PLAN.read_bytes())
    real = kg.ingest.infer_metadata

    def fails_on_the_city_plan(text, doc_id, title=None):
        if doc_id == "b":
            raise ZeroDivisionError("division by zero")
        return real(text, doc_id, title)

    monkeypatch.setattr(kg.ingest, "infer_metadata", fails_on_the_city_plan)
    result = ingest_corpus(tmp_path, use_manifest=False)
    assert [str(e) for e in result.errors] == [f"{tmp_path / 'b.txt'}: cannot ingest (ZeroDivisionError: division by zero)"]
    assert [d.doc_id for d in result.documents] == ["a"]

