"""Reports a researcher reads on one screen: a summary per lower document by short names, a table
of contents that resolves, links into the reader and the views that exist, ids only in the machine
column, quotes cut at sentence boundaries with their figure, tables that fit the page."""
from __future__ import annotations

import csv
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from browser import open_page, requires_chromium

from kg.rdf.query import run_canned
from kg.report import ALIGNMENT_TITLE, MACHINE_COLUMN, SAME_QUOTE, views_href
from kg.text import SENTENCE_ENDS, one_line
from kg.views.evidence import document_short_names
from kg.views.reader import reader_file_name

HASH_ID = re.compile(r"\d{3}_[0-9a-f]{16}")
VIEWPORT = 1400
CHINESE_NUMERALS = {"1": "一", "2": "两", "3": "三", "4": "四", "5": "五"}


class Page(HTMLParser):
    """Ids, links and the visible text outside the machine column of one report page."""

    def __init__(self):
        super().__init__()
        self.ids, self.hrefs, self.text = set(), [], []
        self.machine_depth = 0  # inside a td / th of the machine column
        self.skip_depth = 0  # inside <style> / <title>

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "a" and "href" in attrs:
            self.hrefs.append(attrs["href"])
        if tag in ("td", "th") and "machine" in (attrs.get("class") or ""):
            self.machine_depth += 1
        if tag in ("style", "title"):
            self.skip_depth += 1

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.machine_depth:
            self.machine_depth -= 1
        if tag in ("style", "title") and self.skip_depth:
            self.skip_depth -= 1

    def handle_data(self, data):
        if not self.machine_depth and not self.skip_depth:
            self.text.append(data)


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


@pytest.fixture(scope="module")
def reports(built_corpus) -> Path:
    return built_corpus / "reports"


@pytest.fixture(scope="module")
def lower_docs(built_corpus) -> list[str]:
    rows = [json.loads(line) for line in (built_corpus / "alignments.jsonl").read_text(encoding="utf-8").splitlines()]
    return list(dict.fromkeys(row["lower_doc"] for row in rows))


@pytest.fixture(scope="module")
def short_names(loaded_corpus) -> dict[str, str]:
    return document_short_names(loaded_corpus.documents)


def test_a_summary_per_lower_document_by_short_name(reports, lower_docs, short_names):
    markdown = (reports / "alignment.md").read_text(encoding="utf-8")
    html = (reports / "alignment.html").read_text(encoding="utf-8")
    assert markdown.startswith(f"# {ALIGNMENT_TITLE}\n") and "City-to-district" not in markdown + html
    summary = markdown.split("## Contents")[0]
    assert len(lower_docs) >= 2
    for doc_id in lower_docs:
        name = short_names[doc_id]
        card = summary.split(f"## {name} — ", 1)[1].split("\n## ", 1)[0]
        for label in ("coverage of each upper plan", "verbatim reuse", "local-only measures", "top shared programs"):
            assert f"**{label}" in card, (name, label)
        assert "郑州2021–25" in card  # the upper plan in force, by its short name
        assert f'<h2>{name} — ' in html


def test_contents_anchors_resolve(reports):
    for name in ("alignment", "continuity"):
        page = parse(reports / f"{name}.html")
        local = [href[1:] for href in page.hrefs if href.startswith("#")]
        assert len(local) >= 5 and set(local) <= page.ids, name
        markdown = (reports / f"{name}.md").read_text(encoding="utf-8")
        anchors = set(re.findall(r'<a id="([^"]+)"></a>', markdown))
        assert set(re.findall(r"\]\(#([^)]+)\)", markdown)) <= anchors and anchors, name


def test_no_hash_id_outside_the_machine_column(reports):
    for name in ("alignment", "continuity"):
        page = parse(reports / f"{name}.html")
        visible = "".join(page.text)
        assert not HASH_ID.search(visible), HASH_ID.search(visible)
        for line, columns in markdown_rows(reports / f"{name}.md"):
            cells = [cell for cell, column in zip(line, columns) if column != MACHINE_COLUMN]
            text = re.sub(r"\]\([^)]*\)", "]", " ".join(cells))  # link targets name files by id
            assert not HASH_ID.search(text), line
    # the CSVs keep ids, for machines
    rows = list(csv.DictReader((reports / "alignment.csv").open(encoding="utf-8")))
    assert all(HASH_ID.fullmatch(row["lower_doc"]) for row in rows)


def markdown_rows(path: Path):
    """(cells, header) of every table row of a Markdown file; outside tables, the whole line as one cell."""
    columns = ["text"]
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("|---"):
            continue
        if not line.startswith("| "):
            columns = ["text"]
            yield [re.sub(r"<a id=[^>]*></a>", "", line)], columns
            continue
        cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]]
        if columns == ["text"]:
            columns = cells
        else:
            yield cells, columns


def flat(text: str) -> str:
    return one_line(text)


def assert_sentence_quote(quote: str, document: str):
    """``quote`` is a stretch of ``document`` that ends where a sentence does (an end mark, a line
    end, the end of the text) and starts at a sentence or, after an ellipsis, at a clause."""
    body = quote.removeprefix("…")
    places = [m.start() for m in re.finditer(re.escape(body), document)]
    assert places, quote

    def cut_at_sentences(at: int) -> bool:  # the same words may stand elsewhere mid-sentence
        after = document[at + len(body):at + len(body) + 1]
        before = document[at - 1:at] if at else ""
        ends = body[-1] in SENTENCE_ENDS or after in ("", " ")
        return ends and (before in ("", " ") or before in SENTENCE_ENDS or quote.startswith("…"))

    assert any(cut_at_sentences(at) for at in places), quote


def test_quotes_are_whole_sentences_with_their_figure(reports, loaded_corpus):
    texts = {doc.doc_id: flat(doc.text) for doc in loaded_corpus.documents}
    alignment = list(csv.DictReader((reports / "alignment.csv").open(encoding="utf-8")))
    for row in alignment:
        assert_sentence_quote(row["lower_quote"], texts[row["lower_doc"]])
        if row["upper_doc"]:
            assert_sentence_quote(row["upper_quote"], texts[row["upper_doc"]])
        if row["shared_targets"] and not row["reuse_ratio"].strip("0."):  # quoted for its shared target
            assert re.search(r"\d", row["lower_quote"]) and re.search(r"\d", row["upper_quote"]), row
    indicators = list(csv.DictReader((reports / "continuity_indicators.csv").open(encoding="utf-8")))
    assert len(indicators) > 100
    for row in indicators:
        assert_sentence_quote(row["quote"], texts[row["doc_id"]])
        printed = (row["value"], CHINESE_NUMERALS.get(row["value"], "-") + row["unit"])  # 1 次: 一次
        assert any(figure in row["quote"] for figure in printed), row
    for row in csv.DictReader((reports / "continuity_programs.csv").open(encoding="utf-8")):
        assert_sentence_quote(row["quote"], texts[row["doc_id"]])
    markdown = (reports / "alignment.md").read_text(encoding="utf-8")
    assert SAME_QUOTE in markdown  # a measure's quote is not repeated on each of its links


def test_links_to_the_reader_and_views_exist(reports, loaded_corpus):
    page = parse(reports / "alignment.html")
    outside = [href for href in page.hrefs if not href.startswith("#")]
    measures = {(reader_file_name(doc_id), s.label) for doc_id, sections in loaded_corpus.sections.items()
                for s in sections}
    reader_pages = [href for href in outside if "/reader/" in href and "#" in href]
    assert reader_pages and any(href.endswith("views/alignment.html") for href in outside)
    for href in outside:
        parts = urlsplit(href)
        target = (reports / unquote(parts.path)).resolve()
        assert target.is_file(), href
        if parts.fragment:  # the reader opens at that measure
            assert (target.name, unquote(parts.fragment)) in measures, href


def test_tables_wrap_to_the_page(reports):
    for name in ("alignment", "continuity"):
        html = (reports / f"{name}.html").read_text(encoding="utf-8")
        assert "table-layout: fixed" in html and "word-break" in html and "max-width: 100%" in html


def test_indicator_trajectory_quotes_the_sentence(built_corpus):
    rows = run_canned(built_corpus, "indicator_trajectory", {"indicator": "覆盖率"}).records()
    assert rows
    for row in rows:
        assert str(row["value"]) in row["quote"] and len(row["quote"]) > len(str(row["value"])) + 4, row


@requires_chromium
@pytest.mark.browser
def test_alignment_report_fits_the_viewport(browser, reports):
    for name in ("alignment", "continuity"):
        with open_page(browser, (reports / f"{name}.html").resolve().as_uri()) as (page, log):
            scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
            widest = page.evaluate(
                "() => Math.max(...Array.from(document.querySelectorAll('body *'), e => e.getBoundingClientRect().right))")
            assert scroll_width <= VIEWPORT and widest <= VIEWPORT, (name, scroll_width, widest)
            log.assert_clean()


def test_a_filtered_report_links_to_the_same_views(tmp_path):
    build = tmp_path / "build"
    assert views_href(build / "reports") == "../views"
    assert views_href(build / "reports" / "align" / "a--b") == "../../../views"
    assert views_href(tmp_path / "elsewhere") == "../views"  # -o DIR: beside it
