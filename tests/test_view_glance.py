"""Views that help at a glance: search finds what the frequency filter hides, a match stays in view
below the headers, labels stay readable at every zoom, "+N more" evidence opens, the continuity
view counts what the report counts, and a large corpus gets an aggregated overview."""
from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from browser import open_page, requires_chromium, screenshot
from kg.records import Corpus, Document, DocumentMeta, Mention
from kg.views import continuity_view, overview_view
from kg.views.continuity import followed_programs
from kg.views.evidence import QUOTES_PER_TIP, evidence_parts
from kg.views.fonts import css_font_family
from kg.views.html import LABEL_MAX_PX, VIS_OPTIONS
from kg.views.overview import AGGREGATE_ABOVE_DOCUMENTS, MAX_GOVERNMENTS, TOP_PROGRAMS

VIEWS = ("overview", "alignment", "continuity")


def embedded_data(path: Path) -> dict:
    match = re.search(r"window\.KG_DATA = (\{.*?\});</script>", path.read_text(encoding="utf-8"), re.S)
    return json.loads(match.group(1))


# --------------------------------------------------------------------------- unit


def test_a_tooltip_quotes_each_passage_once_and_keeps_the_rest_for_more():
    quotes = ["“甲”", "“甲”", "“乙”", "“丙”", "“丁”", "“丁”", "“戊”"]
    shown, more = evidence_parts(quotes)
    assert shown.count("“甲”") == 1
    assert shown.startswith("“甲”\n\n“乙”\n\n“丙”") and "(+2 more" in shown
    assert more == ["“丁”", "“戊”"]
    assert evidence_parts(["“甲”"]) == ("“甲”", [])


def test_canvas_labels_use_the_pages_font_stack():
    assert VIS_OPTIONS["nodes"]["font"]["face"] == css_font_family()


def large_corpus(documents: int = 300, governments: int = 40, programs: int = 400) -> Corpus:
    """Small plans of many district governments, each naming a few of many programs."""
    corpus = Corpus()
    for i in range(documents):
        names = [f"第{(i * 7 + k * 13) % programs}号工程" for k in range(6)]
        text = "推进" + "，".join(names) + "。"
        meta = DocumentMeta(doc_id=f"d{i:04d}", title=f"第{i % governments}区教育局{2016 + i % 9}年工作要点",
                            issuer=f"第{i % governments}区教育局", level="district", year=2016 + i % 9, measures=1)
        corpus.documents.append(Document(meta, text))
        for name in names:
            start = text.index(name)
            corpus.mentions.append(Mention(meta.doc_id, "program", name, start, start + len(name), measure="1",
                                           canonical=name))
    return corpus


def test_a_large_corpus_gets_an_overview_of_governments_and_top_programs():
    corpus = large_corpus()
    assert len(corpus.documents) > AGGREGATE_ABOVE_DOCUMENTS
    view = overview_view(corpus)
    kinds = {node["kind"] for node in view.nodes}
    governments = [node for node in view.nodes if node["kind"] == "government"]
    programs = [node for node in view.nodes if node["kind"] == "program"]
    assert kinds == {"government", "program"}  # no document or mention nodes
    assert len(governments) == 40 and all("documents" in node["label"] for node in governments)
    assert sum(int(node["label"].rsplit("\n", 1)[1].split()[0]) for node in governments) == len(corpus.documents)
    assert len(programs) == TOP_PROGRAMS
    assert len(view.nodes) <= MAX_GOVERNMENTS + TOP_PROGRAMS
    assert len(view.edges) < 20 * len(programs)
    assert len(view.hidden_nodes) == 400 - TOP_PROGRAMS  # search still finds the rest
    assert {node["kind"] for node in view.hidden_nodes} == {"program"}
    ids = {node["id"] for node in view.nodes}
    assert all(edge["to"] in ids for edge in view.edges + view.hidden_edges)
    # the same corpus, small enough, keeps one node per document
    small = Corpus(documents=corpus.documents[:100],
                   mentions=[m for m in corpus.mentions if m.doc_id < "d0100"])
    assert sum(1 for node in overview_view(small).nodes if node["kind"] == "document") == 100


def test_continuity_view_follows_the_programs_the_report_follows(loaded_corpus):
    from kg.analysis.continuity import continuity

    report = [t for t in continuity(loaded_corpus).programs if len(t.documents) > 1]
    view = continuity_view(loaded_corpus)
    rows = [node for node in view.nodes if node["id"].startswith("row:")]
    assert len(rows) == len(report) == len(followed_programs(loaded_corpus))
    assert [node["id"] for node in rows] == [f"row:{t.concept}" for t in report]  # in the report's order
    assert f"{len(report)} programs" in view.subtitle
    capped = continuity_view(loaded_corpus, max_programs=10)
    assert f"10 of {len(report)} programs" in capped.subtitle


# --------------------------------------------------------------------------- browser

FONT_HOOK = """() => {
    window.__labelPx = [];
    const fill = CanvasRenderingContext2D.prototype.fillText;
    CanvasRenderingContext2D.prototype.fillText = function (text, x, y) {
        const px = (this.font.match(/([\\d.]+)px/) || [0, 0])[1];
        if (String(text).trim()) { window.__labelPx.push(parseFloat(px) * this.getTransform().a); }
        return fill.apply(this, arguments);
    };
}"""


def drawn(page) -> None:
    page.wait_for_function("window.kgDrawn === true", timeout=15000)


def screen_box(page, node_id: str) -> dict:
    """Where a node is drawn, in page pixels, and where the headers above the canvas end."""
    return page.evaluate("""(id) => {
        const net = window.kgView.network, graph = document.getElementById('graph').getBoundingClientRect();
        const box = net.getBoundingBox(id);
        const top = net.canvasToDOM({x: box.left, y: box.top}), bottom = net.canvasToDOM({x: box.right, y: box.bottom});
        const band = document.getElementById('column-headers');
        return {top: graph.top + top.y, bottom: graph.top + bottom.y, left: graph.left + top.x, right: graph.left + bottom.x,
                centreX: graph.left + (top.x + bottom.x) / 2, centreY: graph.top + (top.y + bottom.y) / 2,
                headerBottom: document.querySelector('header').getBoundingClientRect().bottom,
                bandBottom: band.hidden ? 0 : band.getBoundingClientRect().bottom,
                graphBottom: graph.bottom, graphRight: graph.right, graphLeft: graph.left};
    }""", node_id)


def assert_in_view_below_headers(box: dict) -> None:
    assert box["top"] >= max(box["headerBottom"], box["bandBottom"]), box
    assert box["bottom"] <= box["graphBottom"] and box["graphLeft"] <= box["centreX"] <= box["graphRight"], box


@requires_chromium
@pytest.mark.browser
def test_search_offers_programs_the_frequency_filter_hides(browser, built_corpus):
    path = built_corpus / "views" / "overview.html"
    data = embedded_data(path)
    names = {node["tip"].split("\n")[0].split(" (")[0]: node["id"] for node in data["hiddenNodes"]}
    assert len(names) > 100  # the bundled build hides about 350 entities
    name = next((n for n in ("书香校园", "两学一做", "三名工程") if n in names), min(names))
    with open_page(browser, path.resolve().as_uri()) as (page, log):
        drawn(page)
        page.fill("#search", name)
        status = page.inner_text("#status")
        assert "hidden by the frequency filter" in status, status
        assert page.evaluate("(id) => window.kgView.nodeView.get(id)", names[name]) is None
        page.click("#show-hidden")
        assert page.evaluate("(id) => window.kgView.nodeView.get(id) !== null", names[name])
        assert names[name] in page.evaluate("window.kgView.network.body.nodeIndices")
        assert page.inner_text("#status").startswith("1 found")
        assert names[name] in page.evaluate("window.kgView.network.getSelectedNodes()")
        assert name in page.inner_text("#details")
        assert_in_view_below_headers(screen_box(page, names[name]))
        assert page.evaluate("(id) => window.kgView.edgeView.get().some(e => e.from === id)", names[name])
        screenshot(page, "glance_overview_revealed")
        log.assert_clean()


@requires_chromium
@pytest.mark.browser
@pytest.mark.parametrize("name", ["alignment", "continuity"])
def test_a_search_match_is_shown_below_the_headers(browser, built_corpus, name):
    path = built_corpus / "views" / f"{name}.html"
    data = embedded_data(path)
    # a node far down the page: the last program row, the last measure of the first column
    if name == "continuity":
        target = [n for n in data["nodes"] if n["id"].startswith("row:")][-1]
    else:
        target = [n for n in data["nodes"] if n.get("kind") == "lower"][-1]
    needle = target["label"]
    with open_page(browser, path.resolve().as_uri()) as (page, log):
        drawn(page)
        header_before = page.evaluate("document.querySelector('header').getBoundingClientRect().height")
        page.fill("#search", needle)
        page.press("#search", "Enter")
        focused = page.evaluate("window.kgView.focused")
        assert focused in page.evaluate("window.kgView.network.getSelectedNodes()")
        box = screen_box(page, focused)
        assert_in_view_below_headers(box)
        header_after = page.evaluate("document.querySelector('header').getBoundingClientRect().height")
        assert header_after <= header_before + 4  # the page header does not grow
        assert box["bandBottom"] - box["headerBottom"] <= 160  # nor the pinned column headers
        screenshot(page, f"glance_{name}_search")
        log.assert_clean()


@requires_chromium
@pytest.mark.browser
@pytest.mark.parametrize("name", VIEWS)
def test_labels_stay_readable_at_every_zoom(browser, built_corpus, name):
    path = built_corpus / "views" / f"{name}.html"
    with open_page(browser, path.resolve().as_uri()) as (page, log):
        drawn(page)
        page.evaluate(FONT_HOOK)
        for scale in (1.2, 3.0, 10.0):  # 10: vis-network's largest zoom by wheel
            page.evaluate("""(scale) => {
                const net = window.kgView.network, ids = window.kgView.nodeView.getIds();
                const id = ids.find(i => window.kgView.nodes.get(i).label) || ids[0];
                window.__labelPx = [];
                net.moveTo({position: net.getPositions([id])[id], scale: scale});
                net.redraw();
            }""", scale)
            page.wait_for_timeout(150)  # a frame or two: the redraw after the clamp
            sizes = page.evaluate("window.__labelPx")
            assert sizes, (name, scale)
            assert max(sizes) <= LABEL_MAX_PX + 0.5, (name, scale, max(sizes))
        screenshot(page, f"glance_{name}_zoomed")
        log.assert_clean()


@requires_chromium
@pytest.mark.browser
def test_more_evidence_opens_in_the_side_panel(browser, built_corpus):
    for name in VIEWS:
        path = built_corpus / "views" / f"{name}.html"
        node = next((n for n in embedded_data(path)["nodes"] if n.get("more")), None)
        if node is None:
            continue
        assert "more: click to list them" in node["tip"]
        assert node["tip"].count("“") <= QUOTES_PER_TIP + 2  # the tooltip stays short
        with open_page(browser, path.resolve().as_uri()) as (page, log):
            drawn(page)
            page.evaluate("""(id) => { const net = window.kgView.network;
                                        net.moveTo({position: net.getPositions([id])[id], scale: 1.5}); }""", node["id"])
            box = screen_box(page, node["id"])
            page.mouse.click(box["centreX"], box["centreY"])
            page.click("#details button.kg-more")
            details = page.inner_text("#details")
            assert node["more"][0].split("\n")[0] in details and node["more"][-1].split("\n")[0] in details
            screenshot(page, f"glance_{name}_more")
            log.assert_clean()
        return
    pytest.fail("no node of the bundled build has more quotes than its tooltip shows")


def report_program_count(reports: Path) -> int:
    """Programs the continuity report lists in more than one document (its programs CSV)."""
    with (reports / "continuity_programs.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return len({row["program"] for row in rows if int(row["documents"]) > 1})


@requires_chromium
@pytest.mark.browser
def test_continuity_view_counts_the_reports_programs(browser, built_corpus, loaded_corpus):
    from kg.analysis.continuity import continuity

    expected = sum(1 for t in continuity(loaded_corpus).programs if len(t.documents) > 1)
    csv_path = built_corpus / "reports" / "continuity_programs.csv"
    if csv_path.exists():
        header = csv_path.read_text(encoding="utf-8").split("\n", 1)[0].split(",")
        if {"program", "documents"} <= set(header):
            assert report_program_count(built_corpus / "reports") == expected
    with open_page(browser, (built_corpus / "views" / "continuity.html").resolve().as_uri()) as (page, log):
        drawn(page)
        rows = page.evaluate("window.kgView.network.body.nodeIndices.filter(id => id.startsWith('row:')).length")
        assert rows == expected
        assert f"{expected} programs" in page.inner_text("header .subtitle")
        log.assert_clean()
