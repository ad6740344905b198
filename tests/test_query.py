"""SPARQL over the Oxigraph store: canned queries, safe parameter binding, output formats."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from kg.errors import InputError
from kg.rdf.query import (CannedQuery, Param, bind_params, canned_queries, graph_stats, run_canned, run_query,
                          with_values)
from support import CITY, HUIJI, synthetic_corpus

# parameters for the synthetic corpus (support.synthetic_corpus)
SYNTHETIC_PARAMS = {
    "program_documents": {"program": "新优质初中"},
    "indicator_trajectory": {"indicator": "覆盖率"},
    "documents_citing": {"cited": "《中国共产党章程》"},
    "program_changes": {"from": CITY, "to": HUIJI},
    "document_targets": {"document": CITY},
    "documents_implementing": {"cited": "中国共产党章程"},
    "program_first_seen": {"program": "新优质初中"},
}


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory):
    from kg.rdf.graph import build_graph
    from kg.rdf.store import write_graph_files, write_store

    out = tmp_path_factory.mktemp("query-build")
    dataset = build_graph(synthetic_corpus())
    write_graph_files(dataset, out)
    write_store(dataset, out / "store")
    return out


def test_canned_queries_have_headers_and_declared_params():
    queries = canned_queries()
    assert len(queries) >= 10
    for name, query in queries.items():
        assert query.title and query.title != name, name
        assert query.description, name
        body = "\n".join(line for line in query.sparql.splitlines() if not line.startswith("#"))
        where = body[body.index("WHERE"):]
        for param in query.params:
            assert f"?{param.name}" in where, (name, param.name)  # a declared parameter is used
    assert [p.name for p in queries["program_changes"].params] == ["from", "to"]
    assert all(p.required for p in queries["program_changes"].params)
    assert not queries["local_only_measures"].params[0].required


@pytest.mark.parametrize("name", sorted(canned_queries()))
def test_every_canned_query_returns_rows(build_dir, name):
    result = run_canned(build_dir, name, SYNTHETIC_PARAMS.get(name))
    assert result.rows, name


def test_program_documents_lists_both_levels(build_dir):
    rows = run_canned(build_dir, "program_documents", {"program": "新优质初中"}).records()
    assert {(r["document"], r["level"], r["year"]) for r in rows} == {(HUIJI, "district", "2023"), (CITY, "city", "2021")}
    # an alternative label finds the same concept
    assert run_canned(build_dir, "program_documents", {"program": "“新优质初中”"}).rows


def test_program_changes_between_documents(build_dir):
    rows = run_canned(build_dir, "program_changes", {"from": CITY, "to": HUIJI}).records()
    changes = {(r["change"], r["program"]) for r in rows}
    assert ("continued", "新优质初中") in changes and ("new", "县管校聘") in changes
    reverse = {(r["change"], r["program"]) for r in
               run_canned(build_dir, "program_changes", {"from": HUIJI, "to": CITY}).records()}
    assert ("dropped", "县管校聘") in reverse


def test_optional_parameter_filters(build_dir):
    everything = run_canned(build_dir, "programs_by_year_level")
    city = run_canned(build_dir, "programs_by_year_level", {"level": "city"})
    assert {r["level"] for r in city.records()} == {"city"}
    assert len(city.rows) < len(everything.rows)


def test_document_targets_in_text_order(build_dir):
    rows = run_canned(build_dir, "document_targets", {"document": CITY}).records()
    assert [r["value"] for r in rows] == ["81.85", "165"]
    assert rows[0]["kind"] == "achieved" and rows[1]["year"] == "2025"


def test_parameters_are_bound_not_pasted(build_dir):
    """A value is one literal (tests/test_query_binding.py); an unknown one is refused before the query runs."""
    hostile = '新优质初中") } UNION { ?s ?p ?o } #'
    with pytest.raises(InputError, match="no program named"):
        run_canned(build_dir, "program_documents", {"program": hostile})


def test_parameter_errors_are_input_errors(build_dir):
    with pytest.raises(InputError, match="missing required parameter \\?program"):
        run_canned(build_dir, "program_documents", {})
    with pytest.raises(InputError, match="unknown parameter \\?nonsense"):
        run_canned(build_dir, "program_documents", {"program": "x", "nonsense": "1"})
    with pytest.raises(InputError, match="no canned query"):
        run_canned(build_dir, "no_such_query")
    typed = CannedQuery("t", "T", "d", "SELECT ?n WHERE {}", [Param("n", "integer", True, "")])
    with pytest.raises(InputError, match="must be integer"):
        bind_params(typed, {"n": "twelve"})
    assert bind_params(typed, {"n": "12"})["n"].value == "12"


def test_run_query_select_ask_construct(build_dir):
    result = run_query(build_dir, "SELECT ?d WHERE { ?d a kg:PolicyDocument } ORDER BY ?d")
    assert len(result.rows) == 2
    assert run_query(build_dir, "ASK { ?s kg:localOnly true }").boolean is True
    constructed = run_query(build_dir, "CONSTRUCT { ?c skos:prefLabel ?l } WHERE { ?c skos:prefLabel ?l }")
    assert constructed.kind == "construct" and constructed.columns == ["subject", "predicate", "object"]
    assert "新优质初中" in {row[2] for row in constructed.rows}


def test_run_query_bindings(build_dir):
    result = run_query(build_dir, "SELECT ?id ?level WHERE { ?d kg:docId ?id ; kg:level ?level }", {"level": "city"})
    assert result.rows == [[CITY, "city"]]


def test_syntax_error_and_missing_store(build_dir, tmp_path):
    with pytest.raises(InputError, match="SPARQL syntax error"):
        run_query(build_dir, "SELEKT ?x WHERE { }")
    with pytest.raises(InputError, match="kg build"):
        run_query(tmp_path, "ASK {}")


def test_output_formats(build_dir):
    result = run_canned(build_dir, "document_targets", {"document": CITY})
    parsed = list(csv.DictReader(io.StringIO(result.to_csv())))
    assert parsed[0]["value"] == "81.85"
    assert json.loads(result.to_json())[1]["unit"] == "所"
    table = result.to_table().splitlines()
    assert table[0].startswith("document") and table[-1] == "(2 rows)"


def test_graph_stats(build_dir):
    stats = dict(graph_stats(build_dir).rows)
    assert stats["documents"] == 2
    assert stats["mentions: program"] == 4
    assert stats["alignments"] == 2
    assert "graph: concepts" in stats
    assert sum(1 for key in stats if key.startswith("graph: ")) == 2 + 4  # two documents, four shared graphs


def test_cli_query_and_stats(build_dir, tmp_path):
    from click.testing import CliRunner

    from kg.cli import main

    runner = CliRunner()
    out = runner.invoke(main, ["query", "--name", "program_documents", "--param", "program=新优质初中",
                               "-b", str(build_dir), "-f", "json"])
    assert out.exit_code == 0, out.output
    assert {row["document"] for row in json.loads(out.output)} == {HUIJI, CITY}
    rq = tmp_path / "q.rq"
    rq.write_text("SELECT ?id WHERE { ?d kg:docId ?id } ORDER BY ?id", encoding="utf-8")
    out = runner.invoke(main, ["query", str(rq), "-b", str(build_dir), "-f", "csv"])
    assert out.exit_code == 0 and out.output.splitlines() == ["id", HUIJI, CITY]
    out = runner.invoke(main, ["query", "--name", "program_documents", "-b", str(build_dir)])
    assert out.exit_code == 2 and "missing required parameter" in out.output
    out = runner.invoke(main, ["stats", "-b", str(build_dir)])
    assert out.exit_code == 0 and "documents" in out.output
    out = runner.invoke(main, ["validate", "-b", str(build_dir)])
    assert out.exit_code == 0, out.output


# ------------------------------------------------------------------ the real corpus

REAL_PARAMS = {
    "program_documents": {"program": "新优质初中"},
    "indicator_trajectory": {"indicator": "覆盖率"},
    "documents_citing": {"cited": "中国教育现代化2035"},
    "program_changes": {"from": "003_e4eb59aa704bb68c", "to": "002_37f57ac8b3229a3d"},
    "document_targets": {"document": "002_37f57ac8b3229a3d"},
    "documents_implementing": {"cited": "十四五"},
    "program_first_seen": {"program": "新优质初中"},
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(canned_queries()))
def test_canned_queries_on_the_real_build(built_corpus, name):
    result = run_canned(built_corpus, name, REAL_PARAMS.get(name))
    assert result.rows, name


@pytest.mark.slow
def test_real_build_validates(built_corpus):
    from kg.rdf.validate import validate

    report = validate(built_corpus)
    assert report.conforms, report.results_text[:3000]


PLAIN_QUERIES = Path(__file__).parent / "plain_queries"
PLAIN_PARAMS = {
    "place_hierarchy": [{}],
    "documents_citing": [{"cited": "十四五"}, {"cited": "中国教育现代化2035"}, {"cited": "《教育"}],
    "documents_implementing": [{"cited": "十四五"}, {"cited": "中国共产党章程"}, {"cited": "教育"}],
    "indicator_trajectory": [{"indicator": "覆盖率"}, {"indicator": "率"},
                             {"indicator": "率", "government": "郑州市"}],
    "upper_measures_not_taken_up": [{}, {"upper": "002_37f57ac8b3229a3d"}],
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(PLAIN_PARAMS))
def test_rewritten_queries_answer_as_their_plain_formulation(built_corpus, name):
    """A canned query rewritten for speed gives the rows of the query as first written
    (tests/plain_queries), parameter by parameter, on the bundled build."""
    plain = canned_queries(PLAIN_QUERIES)[name]
    assert set(PLAIN_PARAMS) == {path.stem for path in PLAIN_QUERIES.glob("*.rq")}
    answered = 0
    for params in PLAIN_PARAMS[name]:
        rewritten = run_canned(built_corpus, name, params).rows
        reference = run_query(built_corpus, with_values(plain.sparql, bind_params(plain, params))).rows
        assert sorted(map(repr, rewritten)) == sorted(map(repr, reference)), params
        answered += bool(rewritten)
    assert answered  # at least one case with rows: the comparison is not of two empty answers
