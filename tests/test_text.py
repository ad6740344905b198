"""The shared text primitives (kg.text) that every stage reads text with."""
from kg.records import Section
from kg.text import (BOOK_TITLE, QUOTED, SectionIndex, book_title, clip, double_quoted, name_key, normalise_name,
                     section_at, sentence_around, sentence_bounds, snippet)


def _section(label, start, end, depth):
    return Section(doc_id="d", label=label, kind="measure", number=None, title="", start=start, end=end,
                   heading_end=start, depth=depth)


def test_titles_and_quotes_have_their_bounds():
    text = "按照《教育法》和《“十四五”规划》推进“双减”与「强基」"
    assert [m.group(1) for m in BOOK_TITLE.finditer(text)] == ["教育法", "“十四五”规划"]
    assert book_title(4, 10).findall(text) == ["“十四五”规划"]
    assert double_quoted(2, 2).findall(text) == ["双减"]
    assert [m.group(1) for m in QUOTED.finditer(text)] == ["十四五", "双减", "强基"]


def test_sentence_around_a_span_includes_its_end_mark():
    text = "第一句。第二句有目标；第三句\n第四句"
    bounds = sentence_bounds(text)
    start = text.index("目标")
    assert text[slice(*sentence_around(bounds, len(text), start, start + 2))] == "第二句有目标；"
    start = text.index("第四")
    assert text[slice(*sentence_around(bounds, len(text), start, start + 2))] == "第四句"


def test_section_at_and_the_index_agree_on_the_innermost():
    sections = [_section("一", 10, 100, 0), _section("1", 20, 50, 1), _section("2", 50, 90, 1)]
    index = SectionIndex(sections)
    for offset, label in ((0, None), (15, "一"), (20, "1"), (49, "1"), (50, "2"), (95, "一"), (100, None)):
        assert (section_at(sections, offset) or _section(None, 0, 0, 0)).label == label
        assert (index.at(offset) or _section(None, 0, 0, 0)).label == label


def test_snippet_and_clip():
    text = "上一行\n前文前文前文目标句后文后文\n下一行"
    start = text.index("目标")
    assert snippet(text, start, start + 2, width=3) == "文前文目标句后文"
    assert snippet(text, start, start + 2, width=30) == "前文前文前文目标句后文后文"
    assert clip("一二三四五", 5) == "一二三四五"
    assert clip("一二三四五六", 5) == "一二三四…"
    assert clip("一二三四五六", 5, mark_inside=False) == "一二三四五…"


def test_names_lose_marks_and_one_or_all_generic_words():
    assert normalise_name("“县管校聘” 改革") == "县管校聘改革"
    assert normalise_name("a（b）", "（）") == "ab"
    assert name_key("县管校聘改革", ("改革",), 2) == "县管校聘"
    assert name_key("改革", ("改革",), 2) == "改革"  # would leave too little
    assert name_key("双减工作改革", ("工作", "改革"), 2) == "双减工作"
    assert name_key("双减工作改革", ("工作", "改革"), 2, repeat=True) == "双减"


def test_one_table_printer_aligns_chinese_and_clips():
    from kg.text import display_width, format_table

    table = format_table(["name", "n"], [["新优质初中", 3], ["ab", None]]).splitlines()
    assert table == ["name        n", "----------  -", "新优质初中  3", "ab"]
    assert display_width("新优质初中") == 10
    clipped = format_table(["name"], [["一二三四五六七八九十"]], max_width=8).splitlines()[2]
    assert clipped.endswith("…") and display_width(clipped) <= 8
