"""kg.views: self-contained, injection-safe interactive views (unit tests + headless Chromium)."""
from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from browser import open_page, requires_chromium, screenshot
from support import elements
from kg.errors import InputError
from kg.records import Alignment, Concept, Corpus, Document, DocumentMeta, EvidenceSpan, Mention, Section
from kg.views import (
    alignment_frame, alignment_view, continuity_view, find_program, overview_view, program_view, program_year_frame,
    render_html, write_corpus_views,
)
from kg.views.canvas import doc_node_id
from kg.views.evidence import document_short_names
from kg.views.html import safe_json
from kg.views.overview import LABELLED_ENTITIES, MAX_OVERVIEW_ENTITIES
from kg.views.program import timeline_layout

XSS_PROGRAM = '<img src=x onerror="window.__xss=1;alert(1)">工程'
XSS_TITLE = "《</script><script>window.__xss=2;alert(2)</script>》"
SPECS = [  # doc_id, title, level, year
    ("city16", "郑州市教育局2016年工作要点", "city", 2016),
    ("city21", XSS_TITLE, "city", 2021),
    ("dist23", "惠济区教育局2023年工作要点", "district", 2023),
]
TERMS = [  # surface, type, concept id
    ("新优质初中", "program", "xinyouzhi"),
    (XSS_PROGRAM, "program", "xss"),
    ("集团化办学", "program", "jituan"),
    ("市教育局", "organization", None),
]


def crafted_corpus(extra_docs: int = 0) -> Corpus:
    """Three plans naming the same programs (one of them an injection attempt), with alignments."""
    corpus = Corpus(concepts=[Concept("xinyouzhi", "新优质初中", alt_labels=["新优质学校"]),
                              Concept("xss", XSS_PROGRAM), Concept("jituan", "集团化办学")])
    for doc_id, title, level, year in SPECS:
        text = (f"{title}\n1. 推进新优质初中建设。实施{XSS_PROGRAM}，由市教育局负责。\n"
                f"2. 开展课后服务，推进新优质初中和集团化办学。\n")
        corpus.documents.append(Document(DocumentMeta(doc_id=doc_id, title=title, level=level, year=year,
                                                      measures=2), text))
        first, second = text.index("1."), text.index("2.")
        corpus.sections[doc_id] = [
            Section(doc_id, "1", "measure", "1", "推进新优质初中建设", first, second, second, is_measure=True),
            Section(doc_id, "2", "measure", "2", "开展课后服务", second, len(text), len(text), is_measure=True)]
        for surface, kind, concept in TERMS:
            if doc_id == "city16" and concept == "jituan":
                continue  # so 集团化办学 starts in 2021
            for match in re.finditer(re.escape(surface), text):
                corpus.mentions.append(Mention(doc_id, kind, surface, match.start(), match.end(),
                                               measure="1" if match.start() < second else "2",
                                               canonical=surface, concept=concept))
    lower, upper = corpus.document("dist23").text, corpus.document("city21").text
    copied = EvidenceSpan(lower.index(XSS_PROGRAM), lower.index(XSS_PROGRAM) + len(XSS_PROGRAM),
                          upper.index(XSS_PROGRAM), upper.index(XSS_PROGRAM) + len(XSS_PROGRAM), XSS_PROGRAM)
    corpus.alignments = [
        Alignment("dist23", "1", "city21", "1", 0.8, "direct", 1, ["新优质初中"], [], 0.4, "test", [copied]),
        Alignment("dist23", "2", "city16", "2", 0.3, "thematic", 1, [], [], 0.0, "test", []),
        Alignment("dist23", "3", local_only=True),
    ]
    return corpus


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return crafted_corpus()


@pytest.fixture(scope="module")
def crafted_views(tmp_path_factory, corpus) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("views")
    paths = write_corpus_views(corpus, out, program="新优质学校")
    return {path.stem: path for path in paths}


def embedded_data(html: str) -> dict:
    match = re.search(r"window\.KG_DATA = (\{.*?\});</script>", html, re.S)
    return json.loads(match.group(1))


# --------------------------------------------------------------------------- unit


def test_safe_json_cannot_close_a_script_and_round_trips():
    value = {"t": XSS_TITLE + "\u2028\u2029&", "p": XSS_PROGRAM}
    text = safe_json(value)
    assert not set("<>&\u2028\u2029") & set(text)
    assert json.loads(text) == value


def test_views_are_written_for_every_kind(crafted_views):
    assert set(crafted_views) == {"overview", "alignment", "continuity", "program_新优质初中"}


def test_html_has_no_external_resource_and_no_injected_markup(crafted_views):
    for path in crafted_views.values():
        html = path.read_text(encoding="utf-8")
        tags = elements(html)
        scripts = [attrs for tag, attrs in tags if tag == "script"]
        assert len(scripts) == 3 and not any("src" in attrs for attrs in scripts), path.name
        assert not [tag for tag, _ in tags if tag in ("link", "img", "iframe", "object")], path.name
        assert "<img src=x" not in html and "</script><script>window" not in html
        csp = next(attrs["content"] for tag, attrs in tags if tag == "meta" and attrs.get("http-equiv"))
        assert "default-src 'none'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]


def test_untrusted_text_survives_as_data(crafted_views):
    data = embedded_data(crafted_views["overview"].read_text(encoding="utf-8"))
    tips = "\n".join(node.get("tip", "") for node in data["nodes"])
    assert XSS_PROGRAM in tips and XSS_TITLE in tips  # shown verbatim, as text
    assert not any("title" in node for node in data["nodes"])  # tooltips become DOM text in the page


def test_overview_nodes_colours_sizes_and_filters(corpus):
    view = overview_view(corpus)
    by_id = {node["id"]: node for node in view.nodes}
    assert len(view.nodes) == 3 + 4  # three documents, three programs, one organization
    assert by_id["doc:dist23"]["color"] != by_id["doc:city16"]["color"]  # district vs city
    assert by_id["doc:city16"]["color"] == by_id["doc:city21"]["color"]
    # 新优质初中 is named twice per document, 集团化办学 once in two documents only
    assert by_id["program:xinyouzhi"]["size"] > by_id["program:jituan"]["size"]
    assert sorted(by_id["program:jituan"]["docs"]) == ["doc:city21", "doc:dist23"]
    assert view.filters["year"] == ["2016", "2021", "2023"]
    assert view.filters["level"] == ["city", "district"]
    assert all(isinstance(node["x"], float) and isinstance(node["y"], float) for node in view.nodes)


def test_tooltips_quote_the_evidence_with_document_and_measure(corpus):
    view = overview_view(corpus)
    tip = next(node["tip"] for node in view.nodes if node["id"] == "program:jituan")
    assert "集团化办学" in tip and "推进新优质初中和集团化办学" in tip
    assert "《惠济区教育局2023年工作要点》 measure 2" in tip


def test_overview_prefilters_large_graphs():
    corpus = crafted_corpus()
    doc = corpus.documents[0]
    for i in range(MAX_OVERVIEW_ENTITIES + 50):
        corpus.mentions.append(Mention(doc.doc_id, "organization", f"机构{i}", 0, 2, canonical=f"机构{i}"))
    view = overview_view(corpus)
    assert len(view.nodes) == len(corpus.documents) + MAX_OVERVIEW_ENTITIES
    assert "hidden" in view.subtitle
    assert "program:xinyouzhi" in {node["id"] for node in view.nodes}  # widespread entities are kept
    # the rest ride along for search, each with its edges to the documents naming it
    assert len(view.nodes) + len(view.hidden_nodes) == len(corpus.documents) + len(TERMS) + MAX_OVERVIEW_ENTITIES + 50
    assert all(node["kind"] == "organization" for node in view.hidden_nodes)
    assert {edge["to"] for edge in view.hidden_edges} == {doc_node_id(doc.doc_id)}


def test_find_program_by_alias_and_unknown_program(corpus, tmp_path):
    assert find_program(corpus, "“新优质学校”") == "xinyouzhi"
    assert find_program(corpus, "集团化 办学") == "jituan"
    with pytest.raises(InputError, match="no program"):
        write_corpus_views(corpus, tmp_path, program="不存在的工程")


def test_program_view_is_a_timeline(corpus):
    view = program_view(corpus, "jituan")
    docs = sorted((node for node in view.nodes if node.get("kind") == "document"), key=lambda n: n["x"])
    assert [node["id"] for node in docs] == ["doc:city21", "doc:dist23"]  # by year, left to right
    measures = [node for node in view.nodes if node.get("kind") == "measure"]
    assert {node["id"] for node in measures} == {"measure:city21|2", "measure:dist23|2"}
    related = {node["id"] for node in view.nodes if node.get("kind") == "program"} - {"program:jituan"}
    assert related == {"program:xinyouzhi"}  # named in the same measures; the XSS program is not


def test_timeline_layout_gives_each_node_its_own_place_under_its_document():
    docs, years = ["a16", "b16", "c21"], [2016, 2016, 2021]
    measures = [("a16", str(n)) for n in range(1, 24)] + [("b16", "1"), ("c21", "1"), ("c21", "2")]
    related = {"program:late": [("c21", "2")], "program:early": [("a16", "3"), ("b16", "1")]}
    positions = timeline_layout("program:p", docs, years, measures, related)
    box = {doc: positions[doc_node_id(doc)] for doc in docs}
    assert box["a16"][0] == box["b16"][0] < box["c21"][0]  # a column per year, in year order
    assert len(set(positions.values())) == len(positions)  # no two nodes on one spot
    for doc, measure in measures:  # below its own box, above the next box of the column
        x, y = positions[f"measure:{doc}|{measure}"]
        assert y > box[doc][1] and abs(x - box[doc][0]) < 0.3
        if doc == "a16":
            assert y < box["b16"][1]
    lowest = max(y for _, y in positions.values())
    assert positions["program:p"][1] < min(y for _, y in box.values())  # the program on top
    assert positions["program:early"][1] == positions["program:late"][1] == lowest  # the row underneath
    assert positions["program:early"][0] < positions["program:late"][0]  # ordered by their measures' columns


def test_alignment_edges_show_strength_and_reuse(corpus):
    view = alignment_view(corpus)
    edges = {(edge["from"], edge["to"]): edge for edge in view.edges}
    direct = edges[("measure:dist23|1", "measure:city21|1")]
    thematic = edges[("measure:dist23|2", "measure:city16|2")]
    assert direct["dashes"] is False and thematic["dashes"] is True
    assert direct["width"] > thematic["width"]
    assert XSS_PROGRAM in direct["tip"] and "shared programs: 新优质初中" in direct["tip"]
    local = next(node for node in view.nodes if node["id"] == "measure:dist23|3")
    assert "local only" in local["tip"]
    assert not [edge for edge in view.edges if "measure:dist23|3" in (edge["from"], edge["to"])]


def test_short_names_are_place_and_years_and_unique():
    def doc(doc_id, title, region=None, year=2024, end=None):
        return Document(DocumentMeta(doc_id=doc_id, title=title, region=region, year=year, period_end=end), "")

    names = document_short_names([
        doc("a", "惠济区教育局2023年工作要点", "郑州市惠济区", 2023),
        doc("b", "郑州市教育事业发展“十四五”规划", "郑州市", 2021, 2025),
        doc("c#1", "市教育局2024年工作要点", "XX市"), doc("c#2", "市教育局2024年全市教育工作要点", "XX市"),
        doc("d", "县教育局2024年工作要点", "XX县"),
        doc("e", "新郑市教育局2024年工作要点"),  # no region: the place comes from the title
    ])
    assert names == {"a": "惠济2023", "b": "郑州2021–25", "c#1": "XX市2024#1", "c#2": "XX市2024#2",
                     "d": "XX县2024", "e": "新郑2024"}


def test_alignment_measures_are_labelled_in_document_columns(corpus):
    view = alignment_view(corpus)
    measures = [node for node in view.nodes if node["id"].startswith("measure:")]
    labels = {node["id"]: node["label"] for node in measures}
    assert labels["measure:dist23|1"] == "惠济2023 · 1" and labels["measure:city16|2"] == "郑州2016 · 2"
    headers = {node["id"]: node for node in view.nodes if node.get("kind") == "header"}
    assert set(headers) == {"header:dist23", "header:city16", "header:city21"}
    for node in measures:  # each measure sits in its document's column, below the header
        header = headers["header:" + node["id"].split(":", 1)[1].split("|")[0]]
        assert node["x"] == header["x"] and node["y"] > header["y"]
    assert headers["header:dist23"]["x"] < headers["header:city16"]["x"]  # lower level left
    tip = next(node["tip"] for node in measures if node["id"] == "measure:dist23|2")
    assert tip.startswith("开展课后服务") and "《惠济区教育局2023年工作要点》 measure 2" in tip
    assert "“2. 开展课后服务" in tip and "郑州2016 · 2 (thematic" in tip
    assert view.filters["lower"] == [["dist23", "惠济2023 — 惠济区教育局2023年工作要点"]]
    assert all(node["lower_docs"] == ["dist23"] for node in view.nodes)
    assert {edge["lower_doc"] for edge in view.edges} == {"dist23"}


def test_alignment_tip_quotes_both_passages_without_verbatim_evidence(corpus):
    tip = next(edge["tip"] for edge in alignment_view(corpus).edges if edge["to"] == "measure:city16|2")
    assert "“2. 开展课后服务，推进新优质初中和集团化办学。”\n— 《郑州市教育局2016年工作要点》 measure 2" in tip


def test_overview_marks_which_labels_show_before_zooming(corpus):
    crowded = crafted_corpus()
    for i in range(LABELLED_ENTITIES + 10):
        crowded.mentions.append(Mention("city16", "organization", f"机构{i}", 0, 2, canonical=f"机构{i}"))
    view = overview_view(crowded)
    tiers = Counter(node["tier"] for node in view.nodes)
    assert tiers[0] == 3 and tiers[1] == LABELLED_ENTITIES and tiers[2] == len(view.nodes) - 3 - LABELLED_ENTITIES
    assert next(n for n in view.nodes if n["id"] == "program:xinyouzhi")["tier"] == 1  # the most frequent
    assert [n["tier"] for n in view.nodes] == sorted((n["tier"] for n in view.nodes), reverse=True)  # docs drawn last
    assert view.frame["labelTiers"]["2"] < view.frame["drawThreshold"] - 1 < view.frame["labelTiers"]["1"]


def test_timelines_have_labelled_axes(corpus):
    continuity = continuity_view(corpus)
    axis = {node["label"] for node in continuity.nodes if node.get("kind") == "axis"}
    assert {"2016", "2021", "2023", "year →", "program ↓"} <= axis
    headers = {node["id"]: node["label"] for node in continuity.nodes if node.get("kind") == "document"}
    assert headers["doc:dist23"] == "惠济2023\ndistrict"
    program = program_view(corpus, "jituan")
    years = {node["label"]: node["x"] for node in program.nodes if node.get("kind") == "axis"}
    docs = {node["id"]: node["x"] for node in program.nodes if node.get("kind") == "document"}
    assert years == {"2021": docs["doc:city21"], "2023": docs["doc:dist23"]}
    assert {n["label"] for n in program.nodes if n.get("kind") == "measure"} == {"《</sc…2021 · 2", "惠济2023 · 2"}


def test_continuity_links_occurrences_in_time_order(corpus):
    view = continuity_view(corpus)
    rows = {node["id"] for node in view.nodes if node["id"].startswith("row:")}
    assert rows == {"row:xinyouzhi", "row:xss", "row:jituan"}
    chain = [(e["from"], e["to"]) for e in view.edges if e["from"].startswith("cell:jituan|")]
    assert chain == [("cell:jituan|city21", "cell:jituan|dist23")]
    assert len([e for e in view.edges if e["from"].startswith("cell:xinyouzhi|")]) == 2


def test_analysis_tables(corpus):
    years = program_year_frame(corpus)
    assert set(years[years.concept == "jituan"].year) == {2021, 2023}
    table = alignment_frame(corpus).set_index("lower_measure")
    assert table.loc["1", "strength"] == "direct" and table.loc["3", "strength"] == "local"
    assert table.loc["1", "reuse_ratio"] == pytest.approx(0.4)


def test_render_is_deterministic(corpus):
    assert render_html(overview_view(corpus)) == render_html(overview_view(corpus))


# --------------------------------------------------------------------------- the real corpus


@pytest.fixture(scope="module")
def real_build(built_corpus) -> Path:
    return built_corpus


def test_build_writes_views_of_the_real_corpus(real_build):
    from kg.builddir import load_corpus
    from kg.views import write_views

    paths = write_views(real_build, real_build / "views-test", program="新优质初中")
    names = {path.stem for path in paths}
    assert {"overview", "alignment", "continuity"} <= names
    assert any(name.startswith("program_") for name in names)
    corpus = load_corpus(real_build)
    overview = embedded_data((real_build / "views-test" / "overview.html").read_text(encoding="utf-8"))
    doc_nodes = [node for node in overview["nodes"] if node.get("kind") == "document"]
    assert len(doc_nodes) == len(corpus.documents)
    assert len(overview["nodes"]) <= len(corpus.documents) + MAX_OVERVIEW_ENTITIES


# --------------------------------------------------------------------------- browser


def open_view(browser, path: Path):
    return open_page(browser, path.resolve().as_uri())


def drawn(page) -> dict:
    page.wait_for_function("window.kgDrawn === true", timeout=15000)
    return page.evaluate("""() => ({
        dataset: window.kgView.nodes.length,
        rendered: window.kgView.network.body.nodeIndices.length,
        embedded: window.KG_DATA.nodes.length,
        xss: window.__xss === undefined ? null : window.__xss,
        images: document.querySelectorAll('img').length,
    })""")


@requires_chromium
@pytest.mark.browser
@pytest.mark.parametrize("name", ["overview", "alignment", "continuity", "program_新优质初中"])
def test_view_renders_offline_without_running_injected_code(browser, crafted_views, name):
    path = crafted_views[name]
    expected = len(embedded_data(path.read_text(encoding="utf-8"))["nodes"])
    with open_view(browser, path) as (page, log):
        state = drawn(page)
        assert state["dataset"] == state["rendered"] == state["embedded"] == expected
        assert state["xss"] is None and state["images"] == 0
        screenshot(page, f"view_{name}")
        log.assert_clean()


def hover_node(page, node_id: str) -> str:
    """Move the mouse over a node and return the tooltip's text."""
    point = page.evaluate("""(id) => {
        const net = window.kgView.network;
        const p = net.canvasToDOM(net.getPositions([id])[id]);
        const box = document.getElementById('graph').getBoundingClientRect();
        net.moveTo({position: net.getPositions([id])[id], scale: 1.0});
        const q = net.canvasToDOM(net.getPositions([id])[id]);
        return {x: box.left + q.x, y: box.top + q.y};
    }""", node_id)
    page.mouse.move(point["x"] + 3, point["y"] + 3)
    page.mouse.move(point["x"], point["y"])
    page.wait_for_selector("div.vis-tooltip", state="visible", timeout=5000)
    return page.inner_text("div.vis-tooltip")


@requires_chromium
@pytest.mark.browser
def test_tooltip_search_and_filters_treat_data_as_text(browser, crafted_views, corpus):
    with open_view(browser, crafted_views["overview"]) as (page, log):
        drawn(page)
        tip = hover_node(page, "program:xss")
        assert XSS_PROGRAM in tip and "《惠济区教育局2023年工作要点》" in tip
        tip = hover_node(page, "doc:city21")
        assert XSS_TITLE in tip
        page.fill("#search", XSS_PROGRAM)
        assert page.inner_text("#status") == "1 found"
        page.press("#search", "Enter")
        assert XSS_PROGRAM in page.inner_text("#details")
        # year 2016: its document and the entities it names (not 集团化办学, first named in 2021)
        page.select_option("#filter-year", "2016")
        shown = set(page.evaluate("window.kgView.nodeView.getIds()"))
        assert shown == {"doc:city16", "program:xinyouzhi", "program:xss", "organization:市教育局"}
        page.select_option("#filter-year", "all")
        page.uncheck("input.filter-type[value=organization]")
        assert page.evaluate("window.kgView.nodeView.length") == 6
        assert page.evaluate("window.__xss === undefined") and page.evaluate("document.images.length") == 0
        screenshot(page, "view_overview_filtered")
        log.assert_clean()


@requires_chromium
@pytest.mark.browser
def test_real_views_render_offline(browser, real_build):
    for path in sorted((real_build / "views").glob("*.html")):
        expected = len(embedded_data(path.read_text(encoding="utf-8"))["nodes"])
        with open_view(browser, path) as (page, log):
            state = drawn(page)
            assert state["dataset"] == state["rendered"] == expected > 0, path.name
            screenshot(page, f"real_{path.stem}")
            log.assert_clean()


def rendered_labels(page, threshold: float) -> list[dict]:
    """Nodes whose label vis-network draws at the current zoom (font size on screen above the threshold)."""
    return page.evaluate("""(threshold) => {
        const net = window.kgView.network, scale = net.getScale();
        return net.body.nodeIndices.map(id => net.body.nodes[id])
            .filter(n => n.options.label && n.labelModule.fontOptions.size * scale >= threshold - 1)
            .map(n => ({id: n.id, kind: n.options.kind, label: n.options.label}));
    }""", threshold)


@requires_chromium
@pytest.mark.browser
def test_real_alignment_is_labelled_and_filters_by_lower_document(browser, real_build):
    with open_view(browser, real_build / "views" / "alignment.html") as (page, log):
        state = drawn(page)
        shown = rendered_labels(page, 11)  # readable: at least 10 px on screen
        measures = [n for n in shown if n["kind"] in ("lower", "upper")]
        assert measures and all(re.fullmatch(r"\S+ · \S+", n["label"]) for n in measures)
        assert any(n["kind"] == "header" for n in shown)
        tip = hover_node(page, measures[0]["id"])
        assert "《" in tip and "measure" in tip
        screenshot(page, "real_alignment_hover")
        lower_docs = page.eval_on_selector_all("#filter-lower option", "options => options.map(o => o.value)")[1:]
        assert len(lower_docs) >= 2
        for doc_id in lower_docs:
            page.select_option("#filter-lower", doc_id)
            visible = page.evaluate("window.kgView.nodeView.get()")
            assert 0 < len(visible) < state["dataset"]
            assert all(doc_id in node["lower_docs"] for node in visible)
            assert {edge["lower_doc"] for edge in page.evaluate("window.kgView.edgeView.get()")} == {doc_id}
        screenshot(page, "real_alignment_filtered")
        page.select_option("#filter-lower", "all")
        assert page.evaluate("window.kgView.nodeView.length") == state["dataset"]
        log.assert_clean()


@requires_chromium
@pytest.mark.browser
def test_real_overview_labels_documents_and_frequent_entities_first(browser, real_build):
    path = real_build / "views" / "overview.html"
    data = embedded_data(path.read_text(encoding="utf-8"))
    threshold = data["frame"]["drawThreshold"]
    documents = sum(1 for node in data["nodes"] if node["kind"] == "document")
    with open_view(browser, path) as (page, log):
        drawn(page)
        shown = rendered_labels(page, threshold)
        assert sum(1 for n in shown if n["kind"] == "document") == documents
        assert documents < len(shown) <= documents + LABELLED_ENTITIES
        hidden = next(n["id"] for n in data["nodes"] if n["tier"] == 2)
        point = page.evaluate("""(id) => {
            const net = window.kgView.network, box = document.getElementById('graph').getBoundingClientRect();
            const p = net.canvasToDOM(net.getPositions([id])[id]);
            return {x: box.left + p.x, y: box.top + p.y};
        }""", hidden)
        page.mouse.move(point["x"] + 2, point["y"] + 2)
        page.mouse.move(point["x"], point["y"])
        page.wait_for_selector("div.vis-tooltip", state="visible", timeout=5000)
        assert hidden in {n["id"] for n in rendered_labels(page, threshold)}  # its label grows on hover
        screenshot(page, "real_overview_hover")
        page.mouse.move(5, 5)
        page.evaluate("window.kgView.network.moveTo({scale: window.kgView.network.getScale() * 2.2})")
        assert len(rendered_labels(page, threshold)) > len(shown)  # zooming in reveals the rest
        log.assert_clean()


def pan_down(page, pixels: int = 400) -> None:
    """Drag the graph upwards, as a reader does to see lower rows."""
    box = page.eval_on_selector("#graph", "e => { const r = e.getBoundingClientRect(); "
                                          "return {x: r.left + r.width / 2, y: r.top + r.height / 2}; }")
    page.mouse.move(box["x"], box["y"])
    page.mouse.down()
    page.mouse.move(box["x"], box["y"] - pixels, steps=8)
    page.mouse.up()
    page.mouse.move(5, 5)


def header_state(page) -> dict:
    """Where the page header, the canvas column headers and their pinned copies are on screen."""
    return page.evaluate("""() => {
        const net = window.kgView.network, graph = document.getElementById('graph').getBoundingClientRect();
        const header = document.querySelector('header').getBoundingClientRect();
        const sticky = window.kgView.nodeView.get().filter(n => typeof n.sticky === 'number');
        const canvasTop = Math.min(...sticky.map(n => net.canvasToDOM({x: 0, y: net.getBoundingBox(n.id).top}).y));
        const pins = [...document.querySelectorAll('#column-headers .kg-pin')].filter(e => !e.hidden).map(e => {
            const r = e.getBoundingClientRect();
            return {text: e.textContent, top: r.top, bottom: r.bottom, centre: r.left + r.width / 2};
        });
        return {scrollY: window.scrollY, innerHeight: window.innerHeight, headerTop: header.top,
                headerBottom: header.bottom, graphTop: graph.top, graphLeft: graph.left, canvasTop: canvasTop,
                band: !document.getElementById('column-headers').hidden, pins: pins,
                columns: sticky.map(n => ({label: n.label, x: net.canvasToDOM(net.getPositions([n.id])[n.id]).x}))};
    }""")


def assert_headers_stay_in_view(page, name: str) -> dict:
    drawn(page)
    before = header_state(page)
    assert not before["band"] and before["canvasTop"] >= 0  # the canvas shows its own headers at first
    pan_down(page)
    page.evaluate("window.scrollTo(0, 100000)")  # the page itself never scrolls
    page.wait_for_selector("#column-headers", state="visible", timeout=5000)
    after = header_state(page)
    assert after["scrollY"] == 0 and 0 <= after["headerTop"] < after["headerBottom"] <= after["innerHeight"]
    assert after["canvasTop"] < 0  # panned: the canvas would have taken the headers out of view
    assert after["band"] and {p["text"] for p in after["pins"]} == {c["label"] for c in after["columns"]}
    for column in after["columns"]:
        pin = next(p for p in after["pins"] if p["text"] == column["label"])
        assert after["graphTop"] <= pin["top"] < pin["bottom"] <= after["graphTop"] + 220, (name, pin)
        assert abs(pin["centre"] - (after["graphLeft"] + column["x"])) <= 2, (name, pin, column)
    screenshot(page, f"headers_{name}")
    page.click("#fit")  # everything in view again: the canvas headers are back, the band goes
    page.wait_for_selector("#column-headers", state="hidden", timeout=5000)
    assert header_state(page)["canvasTop"] >= 0
    return after


@requires_chromium
@pytest.mark.browser
@pytest.mark.parametrize("name", ["alignment", "continuity"])
def test_headers_stay_in_view_while_panning_crafted(browser, crafted_views, name):
    with open_view(browser, crafted_views[name]) as (page, log):
        after = assert_headers_stay_in_view(page, f"crafted_{name}")
        if name == "alignment":  # a document title is untrusted: the pinned header shows it as text
            assert any("</script>" in pin["text"] for pin in after["pins"])
        assert page.evaluate("window.__xss === undefined") and page.evaluate("document.images.length") == 0
        log.assert_clean()


@requires_chromium
@pytest.mark.browser
@pytest.mark.parametrize("name", ["alignment", "continuity"])
def test_headers_stay_in_view_while_panning_real(browser, real_build, name):
    with open_view(browser, real_build / "views" / f"{name}.html") as (page, log):
        after = assert_headers_stay_in_view(page, f"real_{name}")
        assert len(after["pins"]) >= 3
        log.assert_clean()
