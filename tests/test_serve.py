"""kg.serve: a read-only SPARQL 1.1 Protocol endpoint, over real HTTP on a free localhost port."""
from __future__ import annotations

import contextlib
import csv
import io
import json
import threading
import urllib.error
import urllib.parse
import urllib.request

import pytest
from rdflib import Graph, Literal
from SPARQLWrapper import CSV, JSON, POST, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

from browser import open_page, requires_chromium, screenshot
from kg.errors import InputError
from kg.serve import accepted_types, choose_format, make_server, page_queries
from support import EX, LABELS, SLOW_QUERY, XSS_LABEL, Running, http, make_build

LABEL_QUERY = f"SELECT ?s ?label WHERE {{ ?s <{EX}label> ?label }} ORDER BY ?s"


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    server = Running(make_build(tmp_path_factory.mktemp("build")))
    yield server
    server.stop()


def set_query(page, text: str) -> None:
    """Replace the text of the page's editor (CodeMirror keeps its own document, not the textarea's)."""
    page.evaluate("text => window.kgEditor.setValue(text)", text)


def sparql(running: Running, query: str, fmt: str) -> SPARQLWrapper:
    client = SPARQLWrapper(running.endpoint)
    client.setQuery(query)
    client.setReturnFormat(fmt)
    return client


# --------------------------------------------------------------------------- negotiation (pure)


def test_accept_header_order_and_quality():
    assert accepted_types("text/csv;q=0.5, application/sparql-results+xml, */*;q=0.1") == [
        "application/sparql-results+xml", "text/csv", "*/*"]
    assert choose_format("results", None, "text/csv;q=0.5, application/sparql-results+xml") == "XML"
    assert choose_format("results", "tsv", "application/json") == "TSV"  # the parameter wins
    assert choose_format("graph", None, "") == "TURTLE"
    assert choose_format("graph", "json-ld", "") == "JSON_LD"
    assert choose_format("results", None, "image/png") is None


def test_canned_query_parameters_reach_the_page():
    from kg.rdf.query import CannedQuery, Param

    canned = CannedQuery("p", "A program", "", "SELECT ?program {}", [Param("program", "string", True, "label")])
    untitled = CannedQuery("q", "", "", "ASK {}")
    assert page_queries({"p": canned, "q": untitled}) == [
        {"name": "p", "title": "A program", "sparql": "SELECT ?program {}",
         "params": [{"name": "program", "type": "string", "required": True, "description": "label"}]},
        {"name": "q", "title": "q", "sparql": "ASK {}"}]


def test_missing_store_is_one_clear_error(tmp_path):
    with pytest.raises(InputError, match="store"):
        make_server(tmp_path, port=0)


# --------------------------------------------------------------------------- protocol over HTTP


def test_select_json_over_the_union_of_graphs(running):
    data = sparql(running, LABEL_QUERY, JSON).query().convert()
    assert data["head"]["vars"] == ["s", "label"]
    assert [row["label"]["value"] for row in data["results"]["bindings"]] == LABELS


def test_select_xml_and_csv(running):
    xml = sparql(running, LABEL_QUERY, XML).query().convert()
    assert [node.firstChild.data for node in xml.getElementsByTagName("literal")] == LABELS
    table = sparql(running, LABEL_QUERY, CSV).query().convert().decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(table)))
    assert [row["label"] for row in rows] == LABELS


def test_tsv_by_accept_header_and_post_forms(running):
    status, ctype, body = http(running.endpoint + "?" + urllib.parse.urlencode({"query": LABEL_QUERY}),
                               headers={"Accept": "text/tab-separated-values"})
    assert status == 200 and ctype.startswith("text/tab-separated-values")
    assert body.decode("utf-8").splitlines()[0] == "?s\t?label"
    status, _, body = http(running.endpoint, data=urllib.parse.urlencode({"query": LABEL_QUERY}).encode(),
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200 and len(json.loads(body)["results"]["bindings"]) == 3
    status, _, body = http(running.endpoint, data=LABEL_QUERY.encode(),
                           headers={"Content-Type": "application/sparql-query", "Accept": "application/json"})
    assert status == 200 and len(json.loads(body)["results"]["bindings"]) == 3


def test_named_graph_parameters(running):
    url = running.endpoint + "?" + urllib.parse.urlencode({"query": LABEL_QUERY, "default-graph-uri": f"{EX}graph/1"})
    status, _, body = http(url)
    assert status == 200
    assert [row["label"]["value"] for row in json.loads(body)["results"]["bindings"]] == [LABELS[1]]


def test_ask_and_construct(running):
    assert sparql(running, f"ASK {{ ?s <{EX}label> \"新优质初中\" }}", JSON).query().convert()["boolean"] is True
    assert sparql(running, f"ASK {{ ?s <{EX}label> \"不存在\" }}", JSON).query().convert()["boolean"] is False
    construct = f"CONSTRUCT {{ ?s <{EX}name> ?label }} WHERE {{ ?s <{EX}label> ?label }}"
    turtle = sparql(running, construct, TURTLE).query().convert()
    graph = Graph().parse(data=turtle, format="turtle")
    assert sorted(str(o) for o in graph.objects()) == sorted(LABELS)
    status, ctype, body = http(running.endpoint + "?" + urllib.parse.urlencode({"query": construct, "format": "json-ld"}))
    assert status == 200 and ctype == "application/ld+json"
    assert len(Graph().parse(data=body, format="json-ld")) == 3


def test_turtle_and_trig_use_the_builds_prefixes(running):
    from kg.rdf.namespace import PREFIXES

    construct = (f"CONSTRUCT {{ ?s kg:name ?label ; a skos:Concept }} WHERE {{ ?s <{EX}label> ?label }}")
    for accept, media in (("text/turtle", "text/turtle"), ("application/trig", "application/trig")):
        status, ctype, body = http(running.endpoint + "?" + urllib.parse.urlencode({"query": construct}),
                                   headers={"Accept": accept})
        text = body.decode("utf-8")
        assert status == 200 and ctype.startswith(media), (accept, ctype)
        assert f"@prefix kg: <{PREFIXES['kg']}> ." in text and "@prefix skos:" in text
        assert "kg:name" in text and "skos:Concept" in text and f"<{PREFIXES['kg']}name>" not in text
        graph = Graph().parse(data=text, format="trig" if "trig" in media else "turtle")
        assert sorted(str(o) for o in graph.objects() if isinstance(o, Literal)) == sorted(LABELS)
    status, ctype, _ = http(running.endpoint + "?" + urllib.parse.urlencode({"query": construct, "format": "trig"}))
    assert status == 200 and ctype.startswith("application/trig")


@contextlib.contextmanager
def cors_server(build_dir, origins):
    server = make_server(build_dir, "127.0.0.1", 0, timeout=5, workers=1, cors=origins)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.url
    finally:
        server.shutdown()
        server.server_close()


def raw_request(url: str, method: str = "GET", headers: dict | None = None):
    """(status, headers) of one request, 4xx included."""
    request = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            response.read()
            return response.status, response.headers
    except urllib.error.HTTPError as err:
        err.read()
        return err.code, err.headers


PREFLIGHT = {"Origin": "https://yasgui.example", "Access-Control-Request-Method": "POST",
             "Access-Control-Request-Headers": "content-type"}


def test_without_cors_no_origin_may_read_and_preflights_are_refused(running):
    ask = running.endpoint + "?" + urllib.parse.urlencode({"query": "ASK {}"})
    status, headers = raw_request(ask, headers={"Origin": "https://yasgui.example"})
    assert status == 200 and headers.get("Access-Control-Allow-Origin") is None
    status, headers = raw_request(running.endpoint, "OPTIONS", PREFLIGHT)
    assert status == 405 and headers.get("Access-Control-Allow-Origin") is None


def test_cors_origin_may_read_sparql_and_its_preflight_is_answered(tmp_path):
    with cors_server(make_build(tmp_path), ["https://yasgui.example", "http://localhost:3000"]) as url:
        ask = url + "sparql?" + urllib.parse.urlencode({"query": "ASK {}"})
        status, headers = raw_request(ask, headers={"Origin": "https://yasgui.example"})
        assert status == 200 and headers["Access-Control-Allow-Origin"] == "https://yasgui.example"
        assert "Origin" in headers["Vary"] and "X-KG-Build" in headers["Access-Control-Expose-Headers"]
        status, headers = raw_request(ask, headers={"Origin": "http://localhost:3000"})
        assert headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
        status, headers = raw_request(ask, headers={"Origin": "https://evil.example"})
        assert status == 200 and headers.get("Access-Control-Allow-Origin") is None
        status, headers = raw_request(url + "sparql", "OPTIONS", PREFLIGHT)
        assert status == 204 and headers["Access-Control-Allow-Origin"] == "https://yasgui.example"
        assert headers["Access-Control-Allow-Methods"] == "GET, POST"
        assert {"Content-Type", "Accept"} <= {h.strip() for h in headers["Access-Control-Allow-Headers"].split(",")}
        assert raw_request(url + "sparql", "OPTIONS", {**PREFLIGHT, "Origin": "https://evil.example"})[0] == 405
        # errors carry the header too, so that the client can read the message
        bad = url + "sparql?" + urllib.parse.urlencode({"query": "SELECT nonsense"})
        status, headers = raw_request(bad, headers={"Origin": "https://yasgui.example"})
        assert status == 400 and headers["Access-Control-Allow-Origin"] == "https://yasgui.example"
        status, headers = raw_request(url, headers={"Origin": "https://yasgui.example"})  # the page is ours only
        assert status == 200 and headers.get("Access-Control-Allow-Origin") is None


def test_cors_star_allows_any_origin(tmp_path):
    with cors_server(make_build(tmp_path), ["*"]) as url:
        status, headers = raw_request(url + "sparql", "OPTIONS", {**PREFLIGHT, "Origin": "https://any.example"})
        assert status == 204 and headers["Access-Control-Allow-Origin"] == "*"


def test_bad_cors_origins_are_one_line_errors(tmp_path):
    from click.testing import CliRunner

    from kg.cli import main

    for origin in ("yasgui.example", "https://x.example/path", "ftp://x.example"):
        with pytest.raises(InputError, match="--cors"):
            make_server(tmp_path, port=0, cors=[origin])  # refused before the store is opened
    result = CliRunner().invoke(main, ["serve", str(tmp_path), "--port", "0", "--cors", "not an origin"])
    assert result.exit_code == 2 and "--cors" in result.output and "Traceback" not in result.output


def count_triples(running) -> int:
    data = sparql(running, "SELECT (COUNT(*) AS ?n) WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }", JSON)
    return int(data.query().convert()["results"]["bindings"][0]["n"]["value"])


def test_updates_are_refused_and_change_nothing(running):
    before = count_triples(running)
    client = sparql(running, f"INSERT DATA {{ <{EX}x> <{EX}y> <{EX}z> }}", JSON)
    client.setMethod(POST)
    with pytest.raises((SPARQLWrapperException, urllib.error.HTTPError)) as refused:
        client.query()
    assert "403" in str(refused.value) or getattr(refused.value, "code", None) == 403
    update = b"DELETE WHERE { ?s ?p ?o }"
    assert http(running.endpoint, data=update, headers={"Content-Type": "application/sparql-update"})[0] == 403
    # an update smuggled in as a query does not parse as a query
    status, _, body = http(running.endpoint + "?" + urllib.parse.urlencode({"query": "DELETE WHERE { ?s ?p ?o }"}))
    assert status == 400 and b"invalid SPARQL" in body
    assert count_triples(running) == before


@pytest.mark.parametrize("method, path, status", [
    ("PUT", "sparql", 405), ("DELETE", "sparql", 405), ("PATCH", "sparql", 405), ("GET", "admin", 404),
    ("GET", "sparql", 400),  # no query
])
def test_other_methods_and_paths(running, method, path, status):
    data = b"x" if method in ("PUT", "PATCH") else None
    assert http(running.url + path, data=data, method=method)[0] == status


def test_foreign_host_header_is_refused(running):
    query = running.endpoint + "?" + urllib.parse.urlencode({"query": "ASK {}"})
    assert http(query, headers={"Host": "evil.example:80"})[0] == 403
    assert http(query, headers={"Host": "localhost"})[0] == 200


def test_a_query_past_the_time_limit_is_stopped_and_the_server_recovers(running):
    status, _, body = http(running.endpoint + "?" + urllib.parse.urlencode({"query": SLOW_QUERY}))
    assert status == 503 and b"stopped" in body
    assert sparql(running, "ASK { ?s ?p ?o }", JSON).query().convert()["boolean"] is True


def test_query_page_is_self_contained(running):
    request = urllib.request.Request(running.url)
    with urllib.request.urlopen(request, timeout=20) as response:
        html, ctype, csp = response.read().decode("utf-8"), response.headers["Content-Type"], response.headers["Content-Security-Policy"]
    assert ctype.startswith("text/html")
    assert "<script src" not in html and "<link" not in html
    assert "default-src 'none'" in csp and "connect-src 'self'" in csp and "unsafe-inline" not in csp.split(";")[1]


# --------------------------------------------------------------------------- the query page in Chromium


@requires_chromium
@pytest.mark.browser
def test_query_page_runs_a_query_and_shows_rows_as_text(browser, running):
    with open_page(browser, running.url, allowed_prefixes=(running.url,)) as (page, log):
        set_query(page, LABEL_QUERY)
        page.click("#run")
        page.wait_for_selector("#result-table tbody tr")
        cells = page.eval_on_selector_all("#result-table tbody tr td:nth-child(3)", "tds => tds.map(td => td.textContent)")
        assert cells == LABELS
        assert page.evaluate("document.images.length") == 0 and page.evaluate("window.__xss === undefined")
        assert page.inner_text("#status").startswith("3 rows")
        set_query(page, "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 1")
        page.click("#run")
        page.wait_for_selector("#graph-output")
        assert "<http" in page.inner_text("#graph-output")
        set_query(page, "SELECT nonsense")
        page.click("#run")
        page.wait_for_selector("#status.error")
        assert "400" in page.inner_text("#status")
        screenshot(page, "serve_query_page")
        # the failed query logs a 400 resource error on the console; nothing else may
        log.console_errors = [e for e in log.console_errors if "400" not in e]
        log.assert_clean()


# --------------------------------------------------------------------------- the real build


@pytest.fixture(scope="module")
def real_server(built_corpus):
    server = Running(built_corpus, timeout=20)
    yield server
    server.stop()


def canned(running: Running, name: str, **values) -> tuple[int, bytes]:
    form = {"canned": name, **{f"param.{key}": value for key, value in values.items()}}
    status, _, body = http(running.endpoint, data=urllib.parse.urlencode(form).encode(),
                           headers={"Content-Type": "application/x-www-form-urlencoded",
                                    "Accept": "application/sparql-results+json"})
    return status, body


def test_canned_query_parameters_are_bound_not_pasted(real_server):
    status, body = canned(real_server, "program_documents", program="新优质初中")
    rows = json.loads(body)["results"]["bindings"] if status == 200 else body
    assert status == 200 and rows, rows
    assert {row["program"]["value"] for row in rows} == {"新优质初中"}
    # text that would change the query if it were pasted into it is just a label that matches nothing
    for value in ['新优质初中" || true || "', "新优质初中\") } UNION { ?s ?p ?o } #", XSS_LABEL]:
        status, body = canned(real_server, "program_documents", program=value)
        assert status == 200 and json.loads(body)["results"]["bindings"] == [], value


@pytest.mark.parametrize("name, values, message", [
    ("program_documents", {}, b"missing required parameter ?program"),
    ("program_documents", {"program": "x", "bogus": "1"}, b"unknown parameter ?bogus"),
    ("no_such_query", {}, b"no canned query"),
])
def test_bad_canned_requests_are_one_line_errors(real_server, name, values, message):
    status, body = canned(real_server, name, **values)
    assert status == 400 and message in body


def test_canned_queries_answer_on_the_real_build(real_server):
    from kg.serve import canned_query_list

    queries = canned_query_list()
    assert len(queries) >= 10
    for query in queries:
        status, _, body = http(real_server.endpoint, data=query["sparql"].encode("utf-8"),
                               headers={"Content-Type": "application/sparql-query"})
        assert status == 200, f"{query['name']}: {body[:300]!r}"


@requires_chromium
@pytest.mark.browser
def test_query_page_shows_parameter_fields_and_binds_them(browser, real_server):
    with open_page(browser, real_server.url, allowed_prefixes=(real_server.url,)) as (page, log):
        page.select_option("#canned", "program_documents")
        field = page.locator("#params input[data-param=program]")
        assert field.count() == 1 and "program" in page.inner_text("#params")
        assert "?program" in page.evaluate("window.kgEditor.getValue()")  # the query text keeps its variable
        field.fill("新优质初中")
        page.click("#run")
        page.wait_for_selector("#result-table tbody tr")
        programs = page.eval_on_selector_all("#result-table tbody tr td:nth-child(2)", "tds => tds.map(td => td.textContent)")
        assert programs and {program.removesuffix(" @zh") for program in programs} == {"新优质初中"}
        screenshot(page, "serve_canned_parameters")
        field.fill(XSS_LABEL)
        page.click("#run")
        page.wait_for_selector("#status:text-matches('^0 rows')")  # the page's CSP forbids eval'd predicates
        assert page.evaluate("document.images.length") == 0 and page.evaluate("window.__xss === undefined")
        page.select_option("#canned", "")
        assert page.locator("#params input").count() == 0
        log.assert_clean()
