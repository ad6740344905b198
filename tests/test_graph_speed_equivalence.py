"""The graph written as N-Triples text (issue 12 item 2): the term writers escape as the spec and
Oxigraph do, lines sort as the terms do, and the fast path states the same quads as rdflib reads."""
from __future__ import annotations

import pyoxigraph as ox
import pytest
import rdflib
from rdflib import Dataset

from kg.rdf.namespace import KG, VocabularyText, doc_iri, iri_text, literal_text, section_iri
from support import synthetic_corpus

XSD = "http://www.w3.org/2001/XMLSchema#"

CRAFTED = [
    "",
    "plain",
    'say "quoted"',
    "back\\slash \\n not a newline",
    "line\nbreak",
    "carriage\rreturn\r\n",
    "tab\there",
    "bell\b form\f feed",
    "nul\x00 unit\x1f del\x7f",
    "non-BMP 😀 𠀀 and U+2028\u2028 U+FEFF\ufeff U+0085\x85",
    "中文“引号”《书名》",
    "ends with backslash\\",
    '"',
]


@pytest.mark.parametrize("value", CRAFTED)
@pytest.mark.parametrize("language, datatype", [(None, None), ("zh", None), ("EN-us", None),
                                                (None, XSD + "string"), (None, XSD + "integer")])
def test_literal_text_is_what_oxigraph_writes_and_reads_back(value, language, datatype):
    expected = ox.Literal(value, language=language) if language else \
        ox.Literal(value, datatype=ox.NamedNode(datatype)) if datatype else ox.Literal(value)
    text = literal_text(value, language=language, datatype=f"<{datatype}>" if datatype else None)
    assert text == str(expected)
    line = f"<http://example.org/s> <http://example.org/p> {text} .\n"
    (parsed,) = ox.parse(line.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)
    assert parsed.object == expected
    (rdflib_parsed,) = rdflib.Graph().parse(data=line, format="nt")
    assert str(rdflib_parsed[2]) == value


def test_literal_text_escapes_each_special_character_once():
    assert literal_text('a"b\\c\nd\re\tf') == '"a\\"b\\\\c\\nd\\re\\tf"'
    assert literal_text("\x00\x7f") == '"\\u0000\\u007F"'
    assert literal_text("😀") == '"😀"'  # UTF-8 in the file, not \U escapes
    assert literal_text("x", language="ZH") == '"x"@zh'


@pytest.mark.parametrize("iri", ["http://example.org/a", "https://w3id.org/policy-kg/id/doc/%E9%83%91/x",
                                 "http://例子.测试/路径?q=1#片段", "urn:x:😀"])
def test_iri_text_is_what_oxigraph_writes(iri):
    assert iri_text(iri) == str(ox.NamedNode(iri))


@pytest.mark.parametrize("iri", ["http://example.org/a b", "http://example.org/<a>", 'http://e.org/"',
                                 "http://e.org/a\nb", "http://e.org/{x}", "http://e.org/a\\b", "http://e.org/`"])
def test_iri_text_refuses_what_no_iri_holds(iri):
    with pytest.raises(ValueError):
        iri_text(iri)


def test_minted_text_is_the_minted_term():
    for doc_id, label in [("004_f29dea3288537dee", "3.1"), ("a b#c", "（一）"), ("%25", "x/y")]:
        assert doc_iri.text(doc_id) == iri_text(str(doc_iri(doc_id)))
        assert section_iri.text(doc_id, label) == str(ox.NamedNode(str(section_iri(doc_id, label))))
    assert VocabularyText(KG).docId == f"<{KG.docId}>"
    with pytest.raises(AttributeError):
        _ = VocabularyText(KG).noSuchTerm  # the closed namespace still rejects a misspelt term


def test_lines_sort_as_the_terms_do():
    """Sorting whole lines gives the files' order: (str(s), str(p), str(o)) of the Oxigraph terms."""
    subjects = [ox.NamedNode(f"http://e.org/{s}") for s in ("a", "a/b", "a-b", "ab", "a%20")]
    predicates = [ox.NamedNode("http://e.org/p"), ox.NamedNode("http://e.org/p/q")]
    objects = [ox.Literal(v) for v in ("ab", "ab c", "ab\"", "ab\\", "ab\n", "a", "")] + \
        [ox.Literal("ab", language="zh"), ox.Literal("ab", language="zh-cn"),
         ox.Literal("ab", datatype=ox.NamedNode(XSD + "integer")), ox.NamedNode("http://e.org/o")]
    triples = [ox.Triple(s, p, o) for s in subjects for p in predicates for o in objects]
    by_terms = sorted(triples, key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))
    by_lines = sorted(triples, key=lambda t: f"{t.subject} {t.predicate} {t.object} .\n")
    assert by_lines == by_terms


def test_fast_path_states_the_quads_rdflib_reads(tmp_path, loaded_corpus):
    """write_graph (N-Triples text parsed by Oxigraph) and build_graph (the same text read by
    rdflib's parser, as rdflib terms) hold the same quads, and the store holds them too."""
    from kg.rdf.graph import build_graph, to_oxigraph
    from kg.rdf.store import open_store, write_graph

    write_graph(loaded_corpus, tmp_path)
    written = set(ox.parse(path=str(tmp_path / "graph.trig")))
    dataset = build_graph(loaded_corpus)
    assert isinstance(dataset, Dataset)
    assert written == set(to_oxigraph(dataset))
    reference = ox.Store()  # the store writes decimals canonically ("0.0" -> "0"): compare like with like
    reference.extend(written)
    assert set(open_store(tmp_path / "store")) == set(reference)


def test_the_build_makes_no_rdflib_term(tmp_path, monkeypatch):
    """The hot path writes text: once the vocabularies are looked up, no rdflib term is made."""
    from kg.rdf.store import write_graph

    corpus = synthetic_corpus()
    first = write_graph(corpus, tmp_path / "warm")  # vocabulary terms are looked up (and kept) once

    def refuse(cls, *args, **kwargs):
        raise AssertionError(f"an rdflib {cls.__name__} was made on the hot path")

    for term in (rdflib.term.URIRef, rdflib.term.Literal, rdflib.term.BNode):
        monkeypatch.setattr(term, "__new__", staticmethod(refuse))
    assert write_graph(corpus, tmp_path / "again") == first
    monkeypatch.undo()
    for name in ("graph.trig", "graph.ttl"):
        assert (tmp_path / "warm" / name).read_bytes() == (tmp_path / "again" / name).read_bytes()


def test_turtle_of_a_trig_block_is_what_oxigraph_writes_as_turtle():
    """graph.ttl reuses each graph's TriG block, de-indented: it must be Oxigraph's own Turtle."""
    from kg.rdf.store import _reserialized, _turtle_of_block

    vocabulary = VocabularyText(KG)
    subject, predicate = doc_iri.text("d"), vocabulary.docId
    lines = sorted({f"{subject} {predicate} {literal_text(value)} .\n" for value in CRAFTED}
                   | {f"{subject} {vocabulary.textLength} {literal_text('7', datatype=f'<{XSD}integer>')} .\n",
                      f"{section_iri.text('d', '一')} {predicate} {subject} .\n"})
    block = _reserialized(f"{iri_text('http://example.org/g')} {{\n{''.join(lines)}}}\n", ox.RdfFormat.TRIG)
    assert _turtle_of_block(block) == _reserialized("".join(lines), ox.RdfFormat.N_TRIPLES, ox.RdfFormat.TURTLE)
