"""Quantitative targets: "学前教育三年毛入园率达到96%" -> indicator, value, unit, comparator, year, kind.

``find_targets(text, doc_year, period)`` does the work on plain text (testable without spaCy);
the ``kg_targets`` spaCy factory wraps it and writes ``doc.spans["kg_targets"]``.

What counts: an Arabic number (or range "3-5") followed by a unit word of
``ontology/lexicon/units.yaml``; a Chinese-numeral count only after a cue such as 至少/每周;
the cells of an indicator table (a header of year columns, rows "indicator（unit）" + one cell
per year). Not counted: ordinals (第3位), document numbers (〔2023〕4号), codes (1+X), dates and
durations (the unit words contain no 年/月/日).

The kind and year come from the context, because the same shape means different things:
figures under a report-back heading (发展基础, 发展成效 …) or with a past cue (截至, 五年来,
累计 …) are ``achieved``; table columns before the plan's first year are ``baseline``;
everything else is a ``target`` for the year named in the sentence (到2025年), the horizon of
the paragraph (三年总目标 -> first year + 2), the year of the work-plan title above it, or by
default the plan's last year (an annual plan's own year).
Cue words live in ``ontology/lexicon/targets.yaml``.
"""
from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass
from typing import Any, Optional

import cn2an
from spacy.language import Language
from spacy.tokens import Doc, Span

from kg.components import alternation, doc_text, load_yaml, make_span, set_spans

SPAN_KEY = "kg_targets"
LABEL = "TARGET"
RESULT_FIELDS = ("indicator", "value", "unit", "comparator", "year", "kind", "source")

if not Span.has_extension("kg"):
    Span.set_extension("kg", default=None)

NUMBER = r"\d+(?:\.\d+)?"


# --------------------------------------------------------------------------- lexicon

@dataclass(frozen=True)
class Lexicon:
    """The compiled cue words of units.yaml and targets.yaml."""

    quantity: re.Pattern
    range_dash: re.Pattern
    chinese_quantity: re.Pattern
    cn_cues: tuple[str, ...]
    cn_window: int
    cn_at_least: tuple[str, ...]
    cn_excluded_after: str
    unit_aliases: dict
    bare_magnitude: dict
    money_magnitude: dict
    money_words: tuple[str, ...]
    suffixes: dict
    suffix_re: re.Pattern
    prefixes: dict
    near: dict
    near_window: int
    symbols: dict
    link_words: tuple[str, ...]
    fillers: tuple[str, ...]
    noun_breaks: tuple[str, ...]
    generic_nouns: frozenset
    max_indicator: int
    excluded_before: frozenset
    excluded_after: frozenset
    achieved_headings: tuple[str, ...]
    achieved_cues: tuple[str, ...]
    past_year_cues: tuple[str, ...]
    year_ref_before: tuple[str, ...]
    year_ref_after: tuple[str, ...]
    horizon: re.Pattern
    year_title: re.Pattern
    table_header: re.Pattern
    table_unit: re.Pattern
    table_empty: frozenset
    table_attributes: frozenset
    table_attribute_headers: frozenset
    table_attribute_char: str
    table_attribute_max: int
    table_alternatives: re.Pattern
    table_alternative_name: str  # format of one alternative's indicator: {stem}, {alternative}
    sentence_end: str
    clause_end: str
    clause_end_after: str
    clause_brackets: tuple[tuple[str, str], ...]
    year_mention: re.Pattern
    title_window: int
    title_span: re.Pattern
    title_horizon: re.Pattern
    heading_patterns: tuple[re.Pattern, ...]
    book_title: re.Pattern
    future_year: re.Pattern
    future_cues: tuple[str, ...]
    previous_period_cues: tuple[str, ...]
    previous_period_end_cues: tuple[str, ...]
    lead_end_marks: tuple[str, ...]
    indicator_leading: tuple[re.Pattern, ...]
    indicator_trim: str
    indicator_right_trim: str


@functools.lru_cache(maxsize=None)
def lexicon() -> Lexicon:
    units = load_yaml("units.yaml")
    cues = load_yaml("targets.yaml")
    infixes = tuple(units.get("more_than_infixes") or [])
    infix = f"(?P<infix>{alternation(infixes)})?" if infixes else "(?P<infix>)?"
    unit = (
        f"(?P<std>{alternation(units['standalone'])})"
        f"|(?P<mag>{alternation(units['magnitudes'])})?(?P<infix2>{alternation(infixes)})?"
        f"(?P<base>{alternation(units['base'])})"
        f"|(?P<baremag>{alternation({**(units.get('bare_magnitude') or {}), **(units.get('money_magnitude') or {})})})"
    )
    range_dash = "[" + "".join(map(re.escape, cues["range_dashes"])) + "]"
    quantity = re.compile(
        rf"(?<![\d.A-Za-z])(?P<num>{NUMBER}(?:\s*{range_dash}\s*{NUMBER})?)\s*{infix}\s*(?:{unit})"
    )
    cn = cues["chinese_numeral"]
    cn_digits = "".join(map(re.escape, cn["digits"]))
    chinese_quantity = re.compile(rf"(?P<num>[{cn_digits}]{{1,4}})(?P<base>{alternation(cn['units'])})")
    table = cues["table"]
    title = cues["title_period"]
    return Lexicon(
        quantity=quantity,
        range_dash=re.compile(range_dash),
        chinese_quantity=chinese_quantity,
        cn_cues=tuple(cn["cues"]),
        cn_window=int(cn.get("window", 8)),
        cn_at_least=tuple(cn["at_least_cues"]),
        cn_excluded_after=str(cn["excluded_after"]),
        unit_aliases=dict(units.get("aliases") or {}),
        bare_magnitude=dict(units.get("bare_magnitude") or {}),
        money_magnitude=dict(units.get("money_magnitude") or {}),
        money_words=tuple(units.get("money_words") or []),
        suffixes=dict(cues["comparator_suffixes"]),
        suffix_re=re.compile(rf"\s*(?:{alternation(cues['comparator_suffixes'])})"),
        prefixes=dict(cues["comparator_prefixes"]),
        near=dict(cues.get("comparator_near") or {}),
        near_window=int(cues.get("comparator_near_window", 6)),
        symbols=dict(cues["comparator_symbols"]),
        link_words=tuple(sorted(cues["link_words"], key=len, reverse=True)),
        fillers=tuple(sorted(cues["leading_fillers"], key=len, reverse=True)),
        noun_breaks=tuple(cues["noun_breaks"]),
        generic_nouns=frozenset(cues.get("generic_nouns") or []),
        max_indicator=int(cues.get("max_indicator_chars", 30)),
        excluded_before=frozenset(cues["excluded_before"]),
        excluded_after=frozenset(cues["excluded_after"]),
        achieved_headings=tuple(cues["achieved_headings"]),
        achieved_cues=tuple(cues["achieved_cues"]),
        past_year_cues=tuple(cues["past_year_cues"]),
        year_ref_before=tuple(cues["year_reference_before"]),
        year_ref_after=tuple(cues["year_reference_after"]),
        horizon=re.compile(cues["horizon_pattern"]),
        year_title=re.compile(cues["year_title_pattern"]),
        table_header=re.compile(table["header_cell"]),
        table_unit=re.compile(table["unit_pattern"]),
        table_empty=frozenset(table["empty_cells"]),
        table_attributes=frozenset(table["attribute_cells"]),
        table_attribute_headers=frozenset(table["attribute_headers"]),
        table_attribute_char=str(table["attribute_header_char"]),
        table_attribute_max=int(table["attribute_header_max"]),
        table_alternatives=re.compile(table["alternatives_pattern"]),
        table_alternative_name=str(table["alternative_name"]),
        sentence_end=cues["sentence_end"],
        clause_end=cues["clause_end"],
        clause_end_after=cues["clause_end_after"],
        clause_brackets=tuple(cues["clause_brackets"].items()),
        year_mention=re.compile(cues["year_mention_pattern"]),
        title_window=int(title["window"]),
        title_span=re.compile(title["span_pattern"]),
        title_horizon=re.compile(title["horizon_pattern"]),
        heading_patterns=tuple(re.compile(p) for p in cues["heading_patterns"]),
        book_title=re.compile(cues["book_title_pattern"]),
        future_year=re.compile(cues["future_year_pattern"]),
        future_cues=tuple(cues["future_cues"]),
        previous_period_cues=tuple(cues["previous_period_cues"]),
        previous_period_end_cues=tuple(cues["previous_period_end_cues"]),
        lead_end_marks=tuple(cues["lead_end_marks"]),
        indicator_leading=tuple(re.compile(cues[key]) for key in (
            "indicator_leading_connectors", "indicator_leading_year", "indicator_leading_duration")),
        indicator_trim=cues["indicator_trim_chars"],
        indicator_right_trim=cues["indicator_right_trim_chars"],
    )


# --------------------------------------------------------------------------- document context

@dataclass
class Context:
    """What the position of a figure in the document says about it."""

    text: str
    start_year: Optional[int]
    end_year: Optional[int]
    line_starts: list[int]
    achieved_lines: set[int]
    title_years: list[tuple[int, int]]  # (offset, year) of work-plan titles
    masked: str  # the text with 《…》 contents blanked, so titles never give years
    sentence_end: str

    def line_index(self, offset: int) -> int:
        return bisect.bisect_right(self.line_starts, offset) - 1

    def line_span(self, offset: int) -> tuple[int, int]:
        index = self.line_index(offset)
        start = self.line_starts[index]
        end = self.text.find("\n", start)
        return start, len(self.text) if end < 0 else end

    def sentence_span(self, start: int, end: int) -> tuple[int, int]:
        left = max(self.text.rfind(ch, 0, start) for ch in self.sentence_end) + 1
        rights = [i for i in (self.text.find(ch, end) for ch in self.sentence_end) if i >= 0]
        return left, min(rights) if rights else len(self.text)


def chinese_number(word: str) -> Optional[int]:
    try:
        return int(cn2an.cn2an(word, "smart"))
    except (ValueError, KeyError, TypeError):
        return None


def infer_period(text: str) -> tuple[Optional[int], Optional[int]]:
    """Fallback when the caller knows no metadata: read the years off the title lines."""
    lex = lexicon()
    head = text[:lex.title_window]
    span = lex.title_span.search(head)
    if span:
        return int(span.group(1)), int(span.group(2))
    year = lex.year_mention.search(head)
    if not year:
        return None, None
    first = int(year.group(1))
    horizon = lex.title_horizon.search(head)
    length = chinese_number(horizon.group(1)) if horizon else None
    return first, first + length - 1 if length else first


def resolve_period(text: str, doc_year: Optional[int], period: Optional[tuple]) -> tuple[Optional[int], Optional[int]]:
    start, end = (period or (None, None))[:2] if period else (None, None)
    start = start or doc_year
    if start is None:
        return infer_period(text)
    return start, end or start


def heading_level(line: str, lex: Lexicon) -> Optional[int]:
    stripped = line.strip()
    for level, pattern in enumerate(lex.heading_patterns, start=1):
        if pattern.match(stripped):
            return level
    return None


def achieved_lines(lines: list[str], lex: Lexicon) -> set[int]:
    """Indexes of lines under a report-back heading (发展基础, 发展成效 …)."""
    flags = {1: False, 2: False}
    result: set[int] = set()
    for index, line in enumerate(lines):
        level = heading_level(line, lex)
        if level is not None and len(line.strip()) <= 40:
            flags[level] = any(word in line for word in lex.achieved_headings)
            if level == 1:
                flags[2] = False
        if flags[1] or flags[2]:
            result.add(index)
    return result


def mask_titles(text: str, lex: Lexicon) -> str:
    return lex.book_title.sub(lambda m: m.group(0)[0] + "□" * (len(m.group(0)) - 2) + m.group(0)[-1], text)


def build_context(text: str, start_year: Optional[int], end_year: Optional[int], lex: Lexicon) -> Context:
    lines = text.split("\n")
    starts, offset = [], 0
    for line in lines:
        starts.append(offset)
        offset += len(line) + 1
    titles = []
    for line, start in zip(lines, starts):
        match = lex.year_title.match(line.strip())
        if match:
            titles.append((start, int(match.group(1))))
    return Context(text, start_year, end_year, starts, achieved_lines(lines, lex), titles, mask_titles(text, lex),
                   lex.sentence_end)


# --------------------------------------------------------------------------- year and kind

def years_in(ctx: Context, start: int, end: int, lex: Lexicon) -> list[tuple[int, int, bool]]:
    """(offset, year, is_reference) for each "20XX年" in masked text[start:end]."""
    found = []
    for match in lex.year_mention.finditer(ctx.masked[start:end]):
        at = start + match.start()
        before = ctx.text[max(0, at - 3):at]
        after = ctx.text[start + match.end():start + match.end() + 4]
        reference = any(before.endswith(w) for w in lex.year_ref_before) or any(w in after for w in lex.year_ref_after)
        found.append((at, int(match.group(1)), reference))
    return found


def horizon_year(fragment: str, ctx: Context, lex: Lexicon) -> Optional[int]:
    matches = list(lex.horizon.finditer(fragment))
    if not matches or ctx.start_year is None:
        return None
    word = matches[-1].group(1)
    length = int(word) if word.isdigit() else chinese_number(word)
    if not length or length > 15:
        return None
    return ctx.start_year + length - 1


def stated_year(ctx: Context, start: int, left: int, lex: Lexicon) -> Optional[int]:
    """The last non-reference year named in text[left:start], or the horizon there."""
    candidates = [(at, year) for at, year, ref in years_in(ctx, left, start, lex) if not ref]
    horizon = horizon_year(ctx.masked[left:start], ctx, lex)
    if candidates:
        return candidates[-1][1]
    return horizon


def is_achieved(ctx: Context, start: int, lex: Lexicon) -> bool:
    if ctx.line_index(start) in ctx.achieved_lines:
        return True
    s_start, s_end = ctx.sentence_span(start, start)
    sentence = ctx.text[s_start:s_end]
    if lex.future_year.search(sentence) or any(cue in sentence for cue in lex.future_cues):
        return False
    before = ctx.text[s_start:start]
    if any(cue in before for cue in lex.achieved_cues):
        return True
    if ctx.start_year is not None:
        for at, year, ref in years_in(ctx, s_start, start, lex):
            tail = ctx.text[at + 5:at + 8]
            if not ref and year < ctx.start_year and any(tail.startswith(c) for c in lex.past_year_cues):
                return True
    return False


def target_year(ctx: Context, start: int, lex: Lexicon) -> Optional[int]:
    s_start, _ = ctx.sentence_span(start, start)
    year = stated_year(ctx, start, s_start, lex)
    if year is None:
        l_start, _ = ctx.line_span(start)
        lead_end = -1
        for mark in lex.lead_end_marks:
            lead_end = ctx.text.find(mark, l_start, start)
            if lead_end >= 0:
                break
        if lead_end >= 0:
            year = stated_year(ctx, lead_end, l_start, lex)
    if year is None:
        titles = [y for at, y in ctx.title_years if at <= start]
        if titles:
            year = titles[-1]
    if year is None:
        year = ctx.end_year
    return year


def achieved_year(ctx: Context, start: int, lex: Lexicon) -> Optional[int]:
    s_start, _ = ctx.sentence_span(start, start)
    sentence = ctx.text[s_start:start]
    years = [year for at, year, ref in years_in(ctx, s_start, start, lex) if not ref]
    whole_period = any(cue in sentence for cue in lex.previous_period_cues)
    if not years and not whole_period:
        # "截至2020年底，全市共有幼儿园1848所。全市有公办幼儿园472所" — the paragraph's date holds.
        l_start, _ = ctx.line_span(start)
        years = [year for at, year, ref in years_in(ctx, l_start, start, lex) if not ref]
    if years:
        return years[-1]
    period_end = any(cue in sentence for cue in lex.previous_period_end_cues)
    if ctx.start_year and ctx.end_year and ctx.end_year > ctx.start_year and (whole_period or period_end):
        return ctx.start_year - 1
    return None


# --------------------------------------------------------------------------- indicator wording

def strip_words(text: str, words: tuple[str, ...], *, from_end: bool) -> str:
    changed = True
    while changed and text:
        changed = False
        for word in words:
            if from_end and text.endswith(word):
                text, changed = text[: -len(word)], True
                break
            if not from_end and text.startswith(word):
                text, changed = text[len(word):], True
                break
    return text


def clean_left(left: str, lex: Lexicon) -> str:
    left = re.sub(r"\s+", "", left)
    for leading in lex.indicator_leading:
        left = leading.sub("", left, count=1)
    left = strip_words(left, lex.fillers, from_end=False)
    left = strip_words(left, lex.link_words, from_end=True)
    return left.strip(lex.indicator_trim)


def clean_right(right: str, lex: Lexicon) -> str:
    right = re.sub(r"\s+", "", right).lstrip(lex.indicator_right_trim)
    # "700元或500元生活补助": the noun after the next figure is not this figure's.
    digit = re.search(r"\d", right)
    if digit:
        right = right[: digit.start()]
    if any(right.startswith(word) for word in lex.noun_breaks):
        return ""
    cut = len(right)
    for word in lex.noun_breaks:
        at = right.find(word)
        if 0 < at < cut:
            cut = at
    return right[:cut]


def indicator_of(left: str, right: str, lex: Lexicon) -> Optional[str]:
    """The indicator: the words before the value ("普惠率在90%以上"), or — for a quantity
    placed before its noun ("遴选50所美育示范学校") — a short verb plus that noun."""
    left, right = clean_left(left, lex), clean_right(right, lex)
    if right in lex.generic_nouns:
        right = ""
    if right and len(right) >= 2:
        verb = left if len(left) <= 6 else ""
        wording = verb + right
    else:
        wording = left
    wording = wording[-lex.max_indicator:] if wording else ""
    return wording or None


# --------------------------------------------------------------------------- inline figures

def comparator_of(ctx: Context, num_start: int, unit_end: int, infix: bool, lex: Lexicon) -> tuple[str, int]:
    """(comparator, end of the phrase including a suffix such as 以上)."""
    suffix = lex.suffix_re.match(ctx.text, unit_end)
    if suffix:
        word = suffix.group(0).strip()
        return lex.suffixes[word], suffix.end()
    if infix:
        return ">", unit_end
    before = ctx.text[max(0, num_start - 4):num_start].rstrip()
    for word in sorted(lex.prefixes, key=len, reverse=True):
        if before.endswith(word):
            return lex.prefixes[word], unit_end
    clause_start, _ = clause_bounds(ctx, num_start, unit_end, lex)
    window = ctx.text[max(clause_start, num_start - lex.near_window):num_start]
    for word, comparator in lex.near.items():
        if word in window:
            return comparator, unit_end
    return "=", unit_end


def clause_bounds(ctx: Context, start: int, end: int, lex: Lexicon) -> tuple[int, int]:
    text = ctx.text
    left = max(text.rfind(ch, 0, start) for ch in lex.clause_end) + 1
    # An opening bracket not closed before the figure starts the clause ("（含公办院校7所").
    for bracket, closing in lex.clause_brackets:
        at = text.rfind(bracket, left, start)
        if at >= 0 and text.find(closing, at, start) < 0:
            left = at + 1
    rights = [i for i in (text.find(ch, end) for ch in lex.clause_end + lex.clause_end_after) if i >= 0]
    return left, min(rights) if rights else len(text)


def normalise_unit(ctx: Context, match: re.Match, lex: Lexicon) -> Optional[str]:
    """The unit as the key writes it; None for a bare 万 with no money word beside it."""
    if match.group("std"):
        unit = match.group("std")
    elif match.group("base"):
        unit = (match.group("mag") or "") + match.group("base")
    elif match.group("baremag") in lex.bare_magnitude:
        unit = lex.bare_magnitude[match.group("baremag")]
    else:
        clause_start, clause_end = clause_bounds(ctx, match.start(), match.end(), lex)
        if not any(word in ctx.text[clause_start:clause_end] for word in lex.money_words):
            return None
        unit = lex.money_magnitude[match.group("baremag")]
    return lex.unit_aliases.get(unit, unit)


def excluded(ctx: Context, start: int, end: int, lex: Lexicon) -> bool:
    before = ctx.text[max(0, start - 3):start].rstrip()
    after = ctx.text[end:end + 1]
    return (bool(before) and before[-1] in lex.excluded_before) or after in lex.excluded_after


def inline_targets(ctx: Context, lex: Lexicon, skip: list[tuple[int, int]]) -> list[dict]:
    hits: list[dict] = []
    previous_end = -1
    for match in lex.quantity.finditer(ctx.text):
        start, unit_end = match.start("num"), match.end()
        if any(a <= start < b for a, b in skip) or excluded(ctx, start, unit_end, lex):
            continue
        value = re.sub(r"\s+", "", match.group("num"))
        unit = normalise_unit(ctx, match, lex)
        if unit is None:
            continue
        infix = bool(match.group("infix") or match.group("infix2"))
        if unit == "%" and not lex.range_dash.search(value) and float(value) > 1000:
            continue
        comparator, phrase_end = comparator_of(ctx, start, unit_end, infix, lex)
        hits.append(describe(ctx, lex, start, unit_end, phrase_end, value, unit, comparator, previous_end, "pattern"))
        previous_end = phrase_end
    for match in lex.chinese_quantity.finditer(ctx.text):
        start, end = match.span()
        window = ctx.text[max(0, start - lex.cn_window):start]
        if not any(cue in window for cue in lex.cn_cues) or ctx.text[end:end + 1] in lex.cn_excluded_after:
            continue
        number = chinese_number(match.group("num"))
        if number is None:
            continue
        comparator = ">=" if any(w in window for w in lex.cn_at_least) else "="
        hits.append(describe(ctx, lex, start, end, end, str(number), match.group("base"), comparator, -1, "chinese-numeral"))
    return hits


def describe(ctx: Context, lex: Lexicon, start: int, end: int, phrase_end: int, value: str, unit: str,
             comparator: str, previous_end: int, source: str) -> dict:
    clause_start, clause_end = clause_bounds(ctx, start, end, lex)
    if clause_start <= previous_end <= start:
        clause_start = previous_end
    left = ctx.text[clause_start:start]
    right = ctx.text[phrase_end:clause_end]
    kind = "achieved" if is_achieved(ctx, start, lex) else "target"
    year = achieved_year(ctx, start, lex) if kind == "achieved" else target_year(ctx, start, lex)
    return {
        "start": start, "end": end, "text": ctx.text[start:end],
        "indicator": indicator_of(left, right, lex), "value": value, "unit": unit,
        "comparator": comparator, "year": year, "kind": kind, "source": f"targets:{source}",
    }


# --------------------------------------------------------------------------- tables

def cell_lines(text: str) -> list[tuple[int, int, str]]:
    """(start, end, stripped text) of every line."""
    result, offset = [], 0
    for line in text.split("\n"):
        stripped = line.strip()
        lead = len(line) - len(line.lstrip())
        result.append((offset + lead, offset + lead + len(stripped), stripped))
        offset += len(line) + 1
    return result


def parse_cell(cell: str, lex: Lexicon) -> list[tuple[int, int, str, str]]:
    """(start, end, value, comparator) within the cell; "80/65" gives two values."""
    match = re.fullmatch(rf"([{''.join(map(re.escape, lex.symbols))}]?)\s*({NUMBER}(?:/{NUMBER})*)\s*%?", cell)
    if not match:
        return []
    comparator = lex.symbols.get(match.group(1), "=") if match.group(1) else "="
    values, at = [], match.start(2)
    for part in match.group(2).split("/"):
        values.append((at, at + len(part), part, comparator))
        at += len(part) + 1
    return values


def looks_like_cell(cell: str, lex: Lexicon) -> bool:
    return bool(parse_cell(cell, lex)) or cell in lex.table_empty or (len(cell) <= 8 and not lex.table_unit.search(cell))


def is_attribute_header(cell: str, lex: Lexicon) -> bool:
    return cell in lex.table_attribute_headers or (
        len(cell) <= lex.table_attribute_max and lex.table_attribute_char in cell)


def table_targets(ctx: Context, lex: Lexicon) -> tuple[list[dict], list[tuple[int, int]]]:
    """Targets of indicator tables; also the text ranges the tables cover."""
    lines = [line for line in cell_lines(ctx.text) if line[2]]
    hits: list[dict] = []
    ranges: list[tuple[int, int]] = []
    index = 0
    while index < len(lines):
        years = []
        while index + len(years) < len(lines) and lex.table_header.match(lines[index + len(years)][2]):
            years.append(int(lines[index + len(years)][2][:4]))
        if len(years) < 2:
            index += 1
            continue
        table_start = lines[index][0]
        row = index + len(years)
        if row < len(lines) and is_attribute_header(lines[row][2], lex):
            row += 1
        while row < len(lines):
            start, end, label = lines[row]
            unit_match = lex.table_unit.search(label)
            if heading_level(label, lex) or len(label) > 60 or not unit_match:
                break
            cells = []
            probe = row + 1
            while probe < len(lines) and len(cells) < len(years) and looks_like_cell(lines[probe][2], lex) \
                    and lines[probe][2] not in lex.table_attributes:
                cells.append(lines[probe])
                probe += 1
            while probe < len(lines) and lines[probe][2] in lex.table_attributes:
                probe += 1
            hits.extend(table_row(ctx, lex, label, unit_match, years, cells))
            row = probe
        table_end = lines[row - 1][1] if row - 1 < len(lines) else len(ctx.text)
        ranges.append((table_start, table_end))
        index = row
    return hits, ranges


def table_row(ctx: Context, lex: Lexicon, label: str, unit_match: re.Match, years: list[int],
              cells: list[tuple[int, int, str]]) -> list[dict]:
    unit = lex.unit_aliases.get(unit_match.group(1), unit_match.group(1))
    indicator = label[: unit_match.start()].strip()
    parts = lex.table_alternatives.search(indicator)
    hits = []
    for column, (cell_start, _cell_end, cell) in enumerate(cells):
        year = years[column] if column < len(years) else None
        first_year = ctx.start_year if ctx.start_year is not None else years[0] + 1
        kind = "baseline" if year is not None and year < first_year else "target"
        values = parse_cell(cell, lex)
        for position, (a, b, value, comparator) in enumerate(values):
            name = indicator
            if parts and len(values) > 1 and position < 2:
                # "比例中职/高职": the alternatives are as long as each other, so the first is "中职".
                second = parts.group(2)
                first = parts.group(1)[-len(second):]
                stem = indicator.replace(first + "/" + second, "")
                name = lex.table_alternative_name.format(stem=stem, alternative=(first, second)[position])
            hits.append({
                "start": cell_start + a, "end": cell_start + b, "text": ctx.text[cell_start + a:cell_start + b],
                "indicator": name, "value": value, "unit": unit, "comparator": comparator,
                "year": year, "kind": kind, "source": "targets:table",
            })
    return hits


# --------------------------------------------------------------------------- public API

def find_targets(text: str, doc_year: Optional[int] = None, period: Optional[tuple] = None) -> list[dict]:
    """Quantitative targets in ``text``, sorted by offset.

    Each dict: start, end (character offsets of the value+unit; ``text[start:end]`` is the
    evidence), text, indicator, value (as printed), unit, comparator, year, kind, source.
    ``doc_year``/``period`` (first, last year) are the document's; read off its title if absent.
    """
    lex = lexicon()
    start_year, end_year = resolve_period(text, doc_year, period)
    ctx = build_context(text, start_year, end_year, lex)
    table_hits, table_ranges = table_targets(ctx, lex)
    hits = table_hits + inline_targets(ctx, lex, table_ranges)
    unique: dict[tuple[int, int], dict] = {}
    for hit in hits:
        unique.setdefault((hit["start"], hit["end"]), hit)
    return sorted(unique.values(), key=lambda h: (h["start"], h["end"]))


def doc_period(doc: Doc) -> tuple[Optional[int], Optional[tuple]]:
    """The document year and period the caller put in ``doc.user_data``."""
    data = doc.user_data
    meta = data.get("meta")
    year = data.get("doc_year") or data.get("year") or getattr(meta, "year", None)
    period = data.get("period")
    if period is None and meta is not None and getattr(meta, "period_start", None):
        period = (meta.period_start, meta.period_end)
    if period is None and data.get("period_start"):
        period = (data.get("period_start"), data.get("period_end"))
    return year, period


class TargetsComponent:
    """Writes ``doc.spans["kg_targets"]``; ``span._.kg`` holds the target fields."""

    def __call__(self, doc: Doc) -> Doc:
        year, period = doc_period(doc)
        spans = [
            make_span(doc, hit["start"], hit["end"], LABEL, **{k: hit[k] for k in RESULT_FIELDS})
            for hit in find_targets(doc_text(doc), doc_year=year, period=period)
        ]
        return set_spans(doc, SPAN_KEY, spans)


@Language.factory("kg_targets")
def make_targets_component(nlp: Language, name: str) -> TargetsComponent:
    return TargetsComponent()


def target_fields(span: Span) -> dict[str, Any]:
    """The Mention fields of a ``kg_targets`` span (for kg.extract)."""
    data = dict(span._.kg or {})
    return {k: data.get(k) for k in RESULT_FIELDS}
