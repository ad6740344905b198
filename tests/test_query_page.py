"""The query page of `kg serve` in headless Chromium, on the real build: the editor, prefixes,
canned queries with parameters, sorting, paging, downloads, the query in the URL, errors in place,
and nothing loaded from anywhere but the server."""
from __future__ import annotations

import csv
import http.server
import io
import json
import re
import threading
import urllib.parse
from pathlib import Path

import pytest

from browser import open_page, requires_chromium
from kg.rdf.namespace import PREFIXES
from kg.serve import make_server
from support import Running, make_build

REPO = Path(__file__).resolve().parent.parent
SCREENSHOT = REPO / "docs" / "img" / "query-page.png"
# every program with the length of its label: several pages of rows and a numeric column
PROGRAMS = ("SELECT ?concept ?label (STRLEN(?label) AS ?length)\n"
            "WHERE { ?concept skos:inScheme kg:programScheme ; skos:prefLabel ?label }")
BROKEN = "SELECT ?x WHERE {\n  ?x ?y }"

pytestmark = [requires_chromium, pytest.mark.browser]


@pytest.fixture(scope="module")
def server(built_corpus):
    running = Running(built_corpus, timeout=20)
    yield running
    running.stop()


def editor_text(page) -> str:
    return page.evaluate("window.kgEditor.getValue()")


def type_query(page, text: str) -> None:
    """Type over the editor's text as a user would: focus it, select all, enter the new text
    (in one input event, as a paste or an input method does: no automatic indentation)."""
    page.click(".CodeMirror-code")
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(text)


def column(page, index: int) -> list[str]:
    """Texts of one column of the shown page of results (1 = the row number), without the
    language tag the page shows after a literal ("新优质初中 @zh")."""
    texts = page.eval_on_selector_all(f"#result-table tbody tr td:nth-child({index})",
                                      "tds => tds.map(td => td.textContent)")
    return [re.sub(r" @[A-Za-z-]+$", "", text) for text in texts]


def wait_for_rows(page, count_text: str) -> None:
    # a selector, not wait_for_function: the page's CSP forbids the eval that polling a predicate needs
    page.wait_for_selector(f"#status:text-matches('^{re.escape(count_text)}')")


def hash_state(page) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(page.url).fragment))


def test_query_page_edits_runs_sorts_pages_and_keeps_the_query_in_the_url(browser, server, tmp_path):
    with open_page(browser, server.url, allowed_prefixes=(server.url,)) as (page, log):
        assert page.locator(".CodeMirror").count() == 1  # the vendored editor took over the textarea
        type_query(page, PROGRAMS)
        assert editor_text(page) == PROGRAMS
        # SPARQL highlighting: keywords and variables get their own classes
        assert page.locator(".CodeMirror .cm-keyword").count() >= 2
        assert page.locator(".CodeMirror .cm-atom, .CodeMirror .cm-variable-2").count() >= 2
        # a prefix button adds its PREFIX line once
        page.click("#prefixes button[data-prefix=skos]")
        page.click("#prefixes button[data-prefix=skos]")
        assert editor_text(page).splitlines()[0] == f"PREFIX skos: <{PREFIXES['skos']}>"
        assert editor_text(page).count("PREFIX skos:") == 1

        page.keyboard.press("Control+Enter")
        page.wait_for_selector("#result-table tbody tr")
        total = int(page.inner_text("#status").split()[0])
        assert total > 100
        assert len(column(page, 1)) == 50 and column(page, 1)[0] == "1"
        assert page.inner_text("#page-info") == f"page 1 of {-(-total // 50)}"
        assert column(page, 2)[0].startswith("https://")

        # sort by the numeric column: numbers by value, then the other way round
        page.click("#result-table th[data-column=length] button")
        lengths = [int(text) for text in column(page, 4)]
        assert lengths == sorted(lengths) and page.get_attribute("th[data-column=length]", "aria-sort") == "ascending"
        page.click("#result-table th[data-column=length] button")
        lengths = [int(text) for text in column(page, 4)]
        assert lengths == sorted(lengths, reverse=True)
        assert page.get_attribute("th[data-column=length]", "aria-sort") == "descending"
        longest = column(page, 3)[0]

        # paging
        page.click("#page-next")
        assert column(page, 1)[0] == "51" and page.inner_text("#page-info").startswith("page 2 of")
        assert max(int(text) for text in column(page, 4)) <= lengths[-1]
        page.click("#page-last")
        assert int(column(page, 1)[-1]) == total
        page.select_option("#page-size", "100")
        assert len(column(page, 1)) == 100 and column(page, 3)[0] == longest

        # downloads are made from the answer in hand, in the order shown
        with page.expect_download() as download:
            page.click("#download-csv")
        rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
        assert rows[0] == ["concept", "label", "length"] and len(rows) == total + 1
        assert rows[1][1] == longest and rows[1][0].startswith("https://")
        with page.expect_download() as download:
            page.click("#download-json")
        data = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
        assert data["head"]["vars"] == ["concept", "label", "length"] and len(data["results"]["bindings"]) == total

        # the URL carries the query: a reload (or a shared link) restores and runs it
        assert hash_state(page)["query"] == editor_text(page)
        page.reload()
        wait_for_rows(page, f"{total} rows")
        assert editor_text(page).startswith("PREFIX skos:") and "STRLEN" in editor_text(page)
        log.assert_clean()


def test_canned_query_parameters_names_and_a_shared_link(browser, server):
    with open_page(browser, server.url, allowed_prefixes=(server.url,)) as (page, log):
        page.select_option("#canned", "program_documents")
        field = page.locator("#params input[data-param=program]")
        assert field.get_attribute("list") == "names-program"
        # the known program names come from a small query, for the field's suggestions
        page.wait_for_selector("#names-program option >> nth=100", state="attached")
        known = page.eval_on_selector_all("#names-program option", "options => options.map(o => o.value)")
        assert "新优质初中" in known
        field.fill("新优质初中")
        field.press("Enter")
        page.wait_for_selector("#result-table tbody tr")
        assert set(column(page, 2)) == {"新优质初中"}
        shown = page.inner_text("#status")
        state = hash_state(page)
        assert state["canned"] == "program_documents" and state["param.program"] == "新优质初中"
        assert "query" not in state  # the canned text itself is not repeated in the URL

        with open_page(browser, page.url, allowed_prefixes=(server.url,)) as (shared, shared_log):
            wait_for_rows(shared, shown.split(" in ")[0])
            assert shared.input_value("#canned") == "program_documents"
            assert shared.input_value("#params input[data-param=program]") == "新优质初中"
            assert column(shared, 2) == column(page, 2)
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            shared.screenshot(path=str(SCREENSHOT))
            shared_log.assert_clean()
        log.assert_clean()


def test_errors_are_shown_in_place_as_text(browser, server):
    with open_page(browser, server.url, allowed_prefixes=(server.url,)) as (page, log):
        type_query(page, BROKEN)
        page.click("#run")
        page.wait_for_selector("#query-error")
        message = page.inner_text("#query-error pre")
        assert message.startswith("invalid SPARQL query: error at 2:")
        assert page.get_attribute("#status", "class") == "error"
        assert page.inner_text("#query-error strong").startswith("Error 400")
        assert page.locator(".CodeMirror .error-line").count() == 1  # the line the parser names
        assert page.locator("#result-table").count() == 0 and page.is_hidden("#result-bar")
        # a canned query without its required parameter: the server's one line
        page.select_option("#canned", "program_documents")
        page.click("#run")
        page.wait_for_selector("#query-error")
        assert "missing required parameter ?program" in page.inner_text("#query-error pre")
        assert page.locator(".CodeMirror .error-line").count() == 0
        # the browser logs each 400 answer as a failed resource; nothing else may be logged
        log.console_errors = [error for error in log.console_errors if "400" not in error]
        log.assert_clean()


class BlankSite:
    """Another origin on this machine: a page like an external YASGUI, which fetches from our endpoint."""

    def __init__(self):
        class Blank(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = b"<!DOCTYPE html><title>another site</title>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Blank)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


FETCH = """async endpoint => {
  try {
    const response = await fetch(endpoint, { method: "POST", body: "ASK { ?s ?p ?o }",
      headers: { "Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json" } });
    return (await response.json()).boolean;
  } catch (error) { return "blocked"; }
}"""


@pytest.mark.parametrize("allowed", [True, False])
def test_an_external_page_reads_the_endpoint_only_with_cors(browser, tmp_path, allowed):
    site = BlankSite()
    server = make_server(make_build(tmp_path), "127.0.0.1", 0, timeout=5, workers=1,
                         cors=[site.origin] if allowed else [])
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with open_page(browser, site.origin + "/", allowed_prefixes=(site.origin, server.url)) as (page, log):
            # a JSON POST is not a "simple" request: the browser sends a preflight (OPTIONS) first
            assert page.evaluate(FETCH, server.url + "sparql") == (True if allowed else "blocked")
            if not allowed:  # the browser reports the refused cross-origin read, and only that
                assert log.console_errors and all("CORS" in error or "Failed to fetch" in error or "ERR_FAILED" in error
                                                  for error in log.console_errors), log.console_errors
                log.console_errors = []
            log.assert_clean()
    finally:
        server.shutdown()
        server.server_close()
        site.close()
