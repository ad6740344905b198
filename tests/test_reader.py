"""kg.views.reader: the alignment reader pages (structure, text-only rendering, keyboard, offline)."""
from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import quote

import pytest

from browser import open_page, requires_chromium, screenshot
from support import elements
from test_fonts import GLYPH_CHECK
from kg.records import (
    Alignment, Concept, Corpus, Document, DocumentMeta, EvidenceSpan, Mention, Relation, Section,
)
from kg.views import write_corpus_views
from kg.views.fonts import css_font_family
from kg.views.reader import INDEX_PAGE, READER_FOLDER, reader_file_name, reader_pages

DOCS = Path(__file__).resolve().parent.parent / "docs"
XSS_SCRIPT = "</script><script>window.__xss=1;alert(1)</script>"
XSS_IMAGE = '<img src=x onerror="window.__xss=2;alert(2)">'
COPIED = "推进新优质初中建设"
LOWER_TEXT = (f"惠济区教育局2024年工作要点\n1. 提高质量。{COPIED}，2025年底前建成10所，由区教育局负责。"
              f"实施书香校园{XSS_IMAGE}工程。\n2. 开展课后服务{XSS_SCRIPT}。\n")
UPPER_TEXT = f"郑州市教育事业发展规划\n1. 优质发展。{COPIED}，提高覆盖率。\n2. 课后服务全覆盖。\n"


def section(doc_id: str, text: str, label: str, title: str) -> Section:
    start = text.index(f"{label}. ")
    end = text.index("\n", start) + 1
    return Section(doc_id, label, "measure", label, title, start, end, start + len(label) + 2 + len(title),
                   is_measure=True)


def mention(doc: Document, mention_type: str, surface: str, **extra) -> Mention:
    start = doc.text.index(surface, doc.text.index("1. "))  # in the measures, not the title line
    return Mention(doc.doc_id, mention_type, surface, start, start + len(surface),
                   canonical=extra.pop("canonical", surface),
                   **extra)


def crafted_reader_corpus() -> Corpus:
    """A district plan taking up a city plan: one copied clause, and its own deadline, number,
    program and responsible unit; its texts carry markup that must stay text."""
    lower = Document(DocumentMeta(doc_id="dist24#1", title="惠济区教育局2024年工作要点" + XSS_SCRIPT,
                                  region="郑州市惠济区", level="district", year=2024, measures=2), LOWER_TEXT)
    upper = Document(DocumentMeta(doc_id="city21", title="郑州市教育事业发展规划", region="郑州市", level="city",
                                  year=2021, period_end=2025, measures=2), UPPER_TEXT)
    corpus = Corpus(documents=[lower, upper],
                    concepts=[Concept("xinyouzhi", "新优质初中"), Concept("shuxiang", "书香校园")])
    corpus.sections = {
        "dist24#1": [section("dist24#1", LOWER_TEXT, "1", "提高质量"),
                     section("dist24#1", LOWER_TEXT, "2", "开展课后服务")],
        "city21": [section("city21", UPPER_TEXT, "1", "优质发展"),
                   section("city21", UPPER_TEXT, "2", "课后服务全覆盖")],
    }
    corpus.mentions = [
        mention(lower, "program", "新优质初中", concept="xinyouzhi", measure="1"),
        mention(upper, "program", "新优质初中", concept="xinyouzhi", measure="1"),
        mention(lower, "program", "书香校园", concept="shuxiang", measure="1"),
        mention(lower, "target", "10所", indicator="新优质初中", value="10", unit="所", year=2025, kind="target",
                measure="1"),
        mention(lower, "organization", "区教育局", measure="1"),
    ]
    sentence = lower.text.index(COPIED)
    corpus.relations = [Relation("responsible_for", "organization", "区教育局", "section", "1", "dist24#1",
                                 sentence, sentence + 20, lower.text[sentence:sentence + 20], "1", "lead", "test",
                                 "区教育局", "提高质量")]
    copied = EvidenceSpan(lower.text.index(COPIED), lower.text.index(COPIED) + len(COPIED),
                          upper.text.index(COPIED), upper.text.index(COPIED) + len(COPIED), COPIED)
    corpus.alignments = [
        Alignment("dist24#1", "1", "city21", "1", 0.42, "direct", 1, ["新优质初中"], ["覆盖率"], 0.3, "test", [copied],
                  period="in_force"),
        Alignment("dist24#1", "1", "city21", "2", 0.05, "thematic", 2, [], [], 0.0, "test", [], period="in_force"),
        Alignment("dist24#1", "2", local_only=True),
    ]
    return corpus


@pytest.fixture(scope="module")
def crafted() -> Corpus:
    return crafted_reader_corpus()


@pytest.fixture(scope="module")
def crafted_pages(tmp_path_factory, crafted) -> Path:
    out = tmp_path_factory.mktemp("views")
    write_corpus_views(crafted, out, reader=True)
    return out / READER_FOLDER


def reader_data(html: str) -> dict:
    match = re.search(r"window\.KG_READER = (\{.*?\});</script>", html, re.S)
    return json.loads(match.group(1))


def page_data(folder: Path, doc_id: str) -> dict:
    return reader_data((folder / reader_file_name(doc_id)).read_text(encoding="utf-8"))


def all_passages(data: dict):
    for measure in data["measures"]:
        yield measure["passage"]
        for link in measure["links"] + measure["context"]:
            yield link["passage"]


def assert_alignments_shown(corpus: Corpus, folder: Path) -> None:
    """Every alignment of a lower document shows up on its page, local-only measures labelled."""
    lower_docs = {a.lower_doc for a in corpus.alignments}
    index = (folder / INDEX_PAGE).read_text(encoding="utf-8")
    for doc_id in lower_docs:
        assert f'href="{quote(reader_file_name(doc_id))}"' in index
        data = page_data(folder, doc_id)
        shown = {(m["label"], link["upper_doc"], link["upper_measure"])
                 for m in data["measures"] for link in m["links"] + m["context"]}
        expected = {(a.lower_measure, a.upper_doc, a.upper_measure)
                    for a in corpus.alignments if a.lower_doc == doc_id and not a.local_only}
        assert shown == expected, doc_id
        local = {a.lower_measure for a in corpus.alignments if a.lower_doc == doc_id and a.local_only}
        labelled = {m["label"] for m in data["measures"] if m["local_only"]}
        assert labelled == local, doc_id
        for measure in data["measures"]:
            if measure["local_only"]:
                assert measure["summary"].startswith("local only") and not measure["links"]
        later = [link for m in data["measures"] for link in m["links"] if link["period"] == "later"]
        assert not later  # a later plan is context, never a link


def assert_marks_match_text(corpus: Corpus, folder: Path) -> int:
    """Each highlighted stretch is the text at its offsets, in the passage and in its document."""
    texts = {doc.doc_id: doc.text for doc in corpus.documents}
    checked = 0
    for doc_id in {a.lower_doc for a in corpus.alignments}:
        data = page_data(folder, doc_id)
        for measure in data["measures"]:
            passage = measure["passage"]
            assert texts[doc_id][passage["start"]:passage["start"] + len(passage["text"])] == passage["text"]
            for link in measure["links"] + measure["context"]:
                upper = link["passage"]
                assert texts[link["upper_doc"]][upper["start"]:upper["start"] + len(upper["text"])] == upper["text"]
            for one in [passage] + [link["passage"] for link in measure["links"] + measure["context"]]:
                for mark in one["marks"]:
                    assert 0 <= mark["start"] < mark["end"] <= len(one["text"])
                    assert one["text"][mark["start"]:mark["end"]] == mark["text"], (doc_id, one["label"], mark)
                    checked += 1
    return checked


# --------------------------------------------------------------------------- crafted corpus


def test_reader_pages_are_an_index_and_one_page_per_lower_document(crafted, crafted_pages):
    assert sorted(p.name for p in crafted_pages.iterdir()) == sorted([INDEX_PAGE, reader_file_name("dist24#1")])
    assert set(reader_pages(crafted)) == {INDEX_PAGE, reader_file_name("dist24#1")}
    index = (crafted_pages / INDEX_PAGE).read_text(encoding="utf-8")
    assert 'href="dist24%231.html"' in index  # a # in a doc id is quoted in links
    assert "惠济2024" in index and "dist24#1</a>" not in index  # short names, not ids


def test_every_alignment_and_local_only_measure_shows_up(crafted, crafted_pages):
    assert_alignments_shown(crafted, crafted_pages)


def test_highlighted_spans_equal_the_text_at_their_offsets(crafted, crafted_pages):
    assert assert_marks_match_text(crafted, crafted_pages) > 0
    data = page_data(crafted_pages, "dist24#1")
    lower = data["measures"][0]["passage"]
    kinds = {(mark["kind"], mark["text"]) for mark in lower["marks"]}
    assert ("reused", COPIED) in kinds
    assert {("shared", "新优质初中"), ("number", "10所"), ("deadline", "2025年底"), ("program", "书香校园"),
            ("unit", "区教育局")} <= kinds
    upper = data["measures"][0]["links"][0]["passage"]
    assert {(m["kind"], m["text"]) for m in upper["marks"]} == {("reused", COPIED), ("shared", "新优质初中")}
    copied = next(m for m in lower["marks"] if m["kind"] == "reused")
    assert lower["start"] + copied["start"] == LOWER_TEXT.index(COPIED)  # the evidence span's own offsets


def test_links_and_additions_are_said_in_words(crafted_pages):
    data = page_data(crafted_pages, "dist24#1")
    first, local = data["measures"]
    words = [link["words"] for link in first["links"]]
    assert words[0].startswith(f"strong: {len(COPIED)} characters copied verbatim, "
                               "shares 新优质初中 and the indicator 覆盖率")
    assert words[1].startswith("thematic: no verbatim copy, similar wording only")
    assert first["summary"].startswith("best link: 郑州2021–25 · 1 — strong")
    for added in ("own numbers 10所", "deadlines 2025年底", "local programs 书香校园", "responsible units 区教育局"):
        assert added in first["summary"]
    assert local["local_only"] and "no passage of an upper plan in force" in local["summary"]
    assert data["doc"]["name"] == "惠济2024"
    html = (crafted_pages / reader_file_name("dist24#1")).read_text(encoding="utf-8")
    options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)', html)
    assert [(value, name.split(" — ")[0]) for value, name in options] == [("dist24%231.html", "惠济2024")]


def test_crafted_text_stays_data(crafted_pages):
    html = (crafted_pages / reader_file_name("dist24#1")).read_text(encoding="utf-8")
    tags = elements(html)
    scripts = [attrs for tag, attrs in tags if tag == "script"]
    assert len(scripts) == 2 and not any("src" in attrs for attrs in scripts)
    assert not [tag for tag, _ in tags if tag in ("img", "link", "iframe", "object")]
    assert "<img src=x" not in html and "</script><script>window" not in html
    csp = next(attrs["content"] for tag, attrs in tags if tag == "meta" and attrs.get("http-equiv"))
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    texts = "".join(p["text"] for p in all_passages(reader_data(html)))
    assert XSS_IMAGE in texts and XSS_SCRIPT in texts  # kept verbatim, as text
    index = (crafted_pages / INDEX_PAGE).read_text(encoding="utf-8")
    assert not [tag for tag, _ in elements(index) if tag in ("script", "img")] and "&lt;/script&gt;" in index


def test_document_menu_stays_bounded_on_large_corpora(monkeypatch):
    import kg.views.reader as reader

    corpus = crafted_reader_corpus()
    lower = corpus.document("dist24#1")
    for i in range(2, 8):  # six more parts of the same compilation, each taking up the city plan
        doc_id = f"dist24#{i}"
        corpus.documents.append(Document(DocumentMeta(doc_id=doc_id, title=lower.meta.title, region="郑州市惠济区",
                                                      level="district", year=2024), lower.text))
        corpus.sections[doc_id] = [Section(**{**vars(s), "doc_id": doc_id}) for s in corpus.sections["dist24#1"]]
        corpus.alignments += [Alignment(**{**vars(a), "lower_doc": doc_id}) for a in corpus.alignments
                              if a.lower_doc == "dist24#1"]
    monkeypatch.setattr(reader, "MENU_DOCUMENTS", 3)
    pages = reader_pages(corpus)
    assert len(pages) == 1 + 7
    index = pages[INDEX_PAGE]
    assert all(f'href="{quote(reader_file_name(f"dist24#{i}"))}"' in index for i in range(1, 8))
    for i in range(1, 8):
        options = re.findall(r'<option value="([^"]*)"', pages[reader_file_name(f"dist24#{i}")])
        assert len(options) == 3 and quote(reader_file_name(f"dist24#{i}")) in options


def test_reader_is_deterministic(crafted):
    assert reader_pages(crafted) == reader_pages(crafted_reader_corpus())


# --------------------------------------------------------------------------- the real corpus


@pytest.fixture(scope="module")
def real_reader(built_corpus) -> Path:
    return built_corpus / "views" / READER_FOLDER


def test_real_reader_shows_every_alignment(loaded_corpus, real_reader):
    assert_alignments_shown(loaded_corpus, real_reader)
    assert assert_marks_match_text(loaded_corpus, real_reader) > 0
    kinds = {mark["kind"] for doc_id in {a.lower_doc for a in loaded_corpus.alignments}
             for measure in page_data(real_reader, doc_id)["measures"] for mark in measure["passage"]["marks"]}
    assert {"reused", "shared", "number", "program", "unit"} <= kinds


# --------------------------------------------------------------------------- browser


def state(page) -> dict:
    return page.evaluate("""() => ({
        current: window.kgReader.current(),
        selected: [...document.querySelectorAll('#measures button[aria-current="true"]')].map(b => b.dataset.label),
        focused: document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.label : null,
        heading: document.querySelector('#reading h2').textContent,
        hash: decodeURIComponent(location.hash.slice(1)),
        xss: window.__xss === undefined ? null : window.__xss,
        images: document.images.length,
    })""")


@requires_chromium
@pytest.mark.browser
def test_crafted_reader_renders_markup_as_text(browser, crafted_pages):
    path = crafted_pages / reader_file_name("dist24#1")
    with open_page(browser, path.resolve().as_uri()) as (page, log):
        page.wait_for_function("window.kgReader && window.kgReader.ready")
        reading = page.inner_text("#reading")
        assert XSS_IMAGE in reading and "2025年底" in reading
        # overlapping marks cut the copied clause into pieces (新优质初中 is also a shared program)
        assert "".join(page.locator("#reading .lower mark.kg-reused").all_inner_texts()) == COPIED
        assert "".join(page.locator("#reading .upper mark.kg-reused").all_inner_texts()) == COPIED
        assert page.locator("#reading .lower mark.kg-program").inner_text() == "书香校园"
        page.keyboard.press("j")
        assert state(page)["current"] == 1
        assert "local only: no passage" in page.inner_text("#reading") and XSS_SCRIPT in page.inner_text("#reading")
        assert state(page)["xss"] is None and state(page)["images"] == 0
        page.goto((crafted_pages / INDEX_PAGE).resolve().as_uri())
        page.click("text=惠济2024")
        page.wait_for_function("window.kgReader && window.kgReader.ready")
        assert state(page)["xss"] is None
        log.assert_clean()


@requires_chromium
@pytest.mark.browser
def test_real_reader_keyboard_navigation_and_document_switch(browser, real_reader, loaded_corpus):
    lower_docs = sorted({a.lower_doc for a in loaded_corpus.alignments})
    first = real_reader / reader_file_name(lower_docs[0])
    with open_page(browser, first.resolve().as_uri()) as (page, log):
        page.wait_for_function("window.kgReader && window.kgReader.ready")
        labels = [m["label"] for m in page_data(real_reader, lower_docs[0])["measures"]]
        start = state(page)
        assert start["current"] == 0 and start["selected"] == [labels[0]]
        page.keyboard.press("j")
        after = state(page)
        assert after["current"] == 1 and after["selected"] == [labels[1]] and after["focused"] == labels[1]
        assert after["hash"] == labels[1] and after["heading"].split(" · ")[1].startswith(labels[1])
        page.keyboard.press("ArrowDown")
        page.keyboard.press("k")
        assert state(page)["current"] == 1
        page.click("#next")
        assert state(page)["current"] == 2
        page.locator("#measures button").nth(0).focus()
        page.keyboard.press("Enter")
        assert state(page)["current"] == 0
        strong = next(i for i, m in enumerate(page_data(real_reader, lower_docs[0])["measures"])
                      if any(link["strength"] == "direct" for link in m["links"]))
        page.evaluate("(i) => window.kgReader.show(i, true)", strong)
        assert page.locator("#reading .upper").count() >= 1
        assert "strong:" in page.inner_text("#reading")
        screenshot(page, "reader_real")  # docs/img/reader.png is this view
        options = page.eval_on_selector_all("#document option", "os => os.map(o => o.value)")
        assert len(options) == len(lower_docs) >= 2
        other = page_data(real_reader, lower_docs[1])["doc"]
        assert other["href"] in options
        page.select_option("#document", other["href"])
        page.wait_for_url(re.compile(re.escape(other["href"]) + "(#.*)?$"))
        page.wait_for_function("window.kgReader && window.kgReader.ready")
        assert state(page)["current"] == 0
        heading = page.inner_text("h1")
        assert other["name"] in heading and other["doc_id"] not in heading
        log.assert_clean()


@requires_chromium
@pytest.mark.browser
def test_real_reader_pages_declare_the_font_stack_and_draw_chinese(browser, real_reader):
    pages = sorted(real_reader.glob("*.html"))
    assert len(pages) >= 3
    for path in pages:
        assert css_font_family() in path.read_text(encoding="utf-8"), path.name
        with open_page(browser, path.resolve().as_uri()) as (page, log):
            family = page.evaluate("() => getComputedStyle(document.body).fontFamily")
            assert page.evaluate(GLYPH_CHECK, family)["real"], f"{path.name}: Chinese renders as missing glyphs"
            log.assert_clean()


def test_docs_screenshot_exists():
    assert (DOCS / "img" / "reader.png").is_file()
