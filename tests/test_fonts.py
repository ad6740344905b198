"""Chinese is legible everywhere: every page declares the CJK font stack, Chromium (with only the
font `make test` installs) draws real glyphs for it, and the notebooks' charts get a CJK font."""
from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from browser import open_page, requires_chromium
from kg.views.fonts import FONT_STACK, css_font_family, use_cjk_font

# Draws characters in a page's own font (the body's, and the one vis-network draws labels with) on a
# canvas: a missing glyph draws the same box (or nothing) for every character, so two different
# characters must give different, non-empty pixels.
GLYPH_CHECK = """(family) => {
    const canvas = document.createElement('canvas');
    canvas.width = 48; canvas.height = 48;
    const ctx = canvas.getContext('2d', {willReadFrequently: true});
    const draw = (text) => {
        ctx.clearRect(0, 0, 48, 48);
        ctx.font = '36px ' + family;
        ctx.fillStyle = '#000';
        ctx.fillText(text, 4, 38);
        return Array.from(ctx.getImageData(0, 0, 48, 48).data).join(',');
    };
    const blank = draw(' ');
    const zhong = draw('中'), guo = draw('国'), ce = draw('策');
    return {family, real: zhong !== blank && zhong !== guo && guo !== ce && zhong !== ce};
}"""


def html_pages(built: Path) -> list[Path]:
    return sorted([*built.joinpath("views").rglob("*.html"), *built.joinpath("reports").rglob("*.html")])


def test_the_stack_is_data_with_system_fonts_first():
    assert FONT_STACK[-1] == "sans-serif"
    assert {"PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC"} <= set(FONT_STACK)
    assert css_font_family(["Noto Sans CJK SC", "sans-serif"]) == '"Noto Sans CJK SC", sans-serif'


def test_every_page_declares_the_stack(built_corpus):
    pages = html_pages(built_corpus)
    assert len(pages) >= 6
    for page in pages:
        assert css_font_family() in page.read_text(encoding="utf-8"), page.name


@requires_chromium
@pytest.mark.browser
def test_chinese_renders_as_glyphs_in_every_page(browser, built_corpus):
    for path in html_pages(built_corpus):
        with open_page(browser, path.resolve().as_uri()) as (page, log):
            family = page.evaluate("() => getComputedStyle(document.body).fontFamily")
            checked = page.evaluate(GLYPH_CHECK, family)
            assert checked["real"], f"{path.name}: Chinese renders as missing glyphs in {family}"
            if page.evaluate("() => !!(window.KG_DATA && window.KG_DATA.options)"):
                face = page.evaluate("() => window.KG_DATA.options.nodes.font.face")
                assert page.evaluate(GLYPH_CHECK, face)["real"], f"{path.name}: canvas labels in {face}"
            log.assert_clean()


def test_charts_get_a_font_with_chinese_glyphs():
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    name = use_cjk_font()
    assert name, "no CJK font found for matplotlib (make test installs fonts-noto-cjk)"
    figure, axes = pyplot.subplots()
    axes.set_title("新优质初中 覆盖率")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph … missing from font(s)"
        figure.canvas.draw()
    pyplot.close(figure)
