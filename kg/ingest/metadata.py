"""Metadata inferred from a document's text: title, issuer, level, region, period, type, number.

Read the way GB/T 9704 lays out an official document: masthead ("…文件", possibly several joint
issuers), 文号 "X〔YYYY〕N号", title "发文机关+关于+事由+文种" (or a plan's own title "X2024年工作要点"),
signature and 成文日期 at the close. A wrapper notice "X关于印发《Y》的通知" whose enclosed text Y
follows in the same file is the document Y (issuer X); a wrapper without Y's text is a 通知.

Cues: ``ontology/lexicon/metadata.yaml``; regions and levels through the gazetteer (kg.places).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Optional

import cn2an

from kg import places
from kg.ingest.clean import is_heading_like
from kg.records import DocumentMeta
from kg.resources import lexicon as load_yaml
from kg.text import OPENING_PARENTHESES, SENTENCE_ENDS, TITLE_MARKS

CJK_SPACE = re.compile(r"(?<=[\u4e00-\u9fff])[ \u3000]+(?=[\u4e00-\u9fff0-9])|(?<=[0-9])[ \u3000]+(?=[\u4e00-\u9fff])")
NOT_IN_TITLES = SENTENCE_ENDS + "，"  # a title is a phrase, never a sentence or a clause


def compact(text: str) -> str:
    """Drop the stray spaces PDF/Word extraction leaves between Chinese characters and digits."""
    return CJK_SPACE.sub("", text).strip()


@lru_cache(maxsize=1)
def _cues() -> dict:
    cues = dict(load_yaml("metadata.yaml"))
    for name in ("wrapper", "masthead", "joint_marker", "date", "printed_by", "national_issuer", "zone_words",
                 "agency_ending", "doc_number", "doc_number_unbracketed", "doc_number_prefix_cut", "signatory",
                 "period", "years_ahead", "title_year", "title_qualifier", "issuer_ends_before",
                 "level_name_ends_before"):
        cues[name + "_re"] = re.compile(cues[name])
    cues["suffixes"] = tuple(sorted(cues["issuer_suffixes"], key=len, reverse=True))
    cues["year_digits"] = str.maketrans(cues["year_digit_characters"], cues["year_digit_values"])
    cues["words"] = tuple(sorted(cues["title_words"], key=len, reverse=True))
    return cues


# ---------------------------------------------------------------------------- titles

@dataclass
class TitleFinding:
    title: Optional[str] = None
    line: int = -1  # index of the title's first line
    wrapper: Optional[str] = None  # the wrapper notice's title, "X关于印发《Y》的通知"
    enclosed: Optional[str] = None  # Y, the enclosed document's title
    wrapper_issuer: Optional[str] = None  # X
    enclosed_line: int = -1  # where Y's own text begins, -1 when the file holds only the notice


def strip_qualifier(title: str) -> str:
    """The title without a trailing （试行） or period: the 文种 is what precedes it."""
    return _cues()["title_qualifier_re"].sub("", title).rstrip()


def ends_in_title_word(text: str) -> bool:
    return strip_qualifier(text).endswith(_cues()["words"])


def _title_shaped(line: str) -> bool:
    cues = _cues()
    return (bool(line) and not any(mark in line for mark in NOT_IN_TITLES)
            and not line.endswith(tuple(cues["not_title_ending"])) and not is_heading_like(line)
            and not cues["masthead_re"].match(line) and not cues["doc_number_re"].search(line)
            and not cues["doc_number_unbracketed_re"].search(line)
            and not cues["signatory_re"].search(line) and not cues["date_re"].fullmatch(line))


def _title_at(lines: list[str], index: int) -> Optional[tuple[str, int]]:
    """The title starting at ``lines[index]`` (over up to title_max_lines lines) and its last line."""
    cues = _cues()
    joined = ""
    for end in range(index, min(index + cues["title_max_lines"], len(lines))):
        line = compact(lines[end])
        if not _title_shaped(line):
            return None
        joined += line
        if len(joined) > cues["title_max_chars"]:
            return None
        if ends_in_title_word(joined):
            # a second document continues the title ("…重点工程" / "及2016年工作要点")
            if end + 1 < len(lines):
                following = compact(lines[end + 1])
                if (following.startswith(tuple(cues["title_continued_by"])) and _title_shaped(following)
                        and ends_in_title_word(following) and len(following) < 30):
                    return joined + following, end + 1
            return joined, end
    return None


def _unquote(title: str) -> str:
    return compact(title.translate(str.maketrans("", "", TITLE_MARKS)))


def find_title(lines: list[str]) -> TitleFinding:
    """The document's title among the first 40 lines; see the module docstring for wrappers."""
    cues = _cues()
    found = TitleFinding()
    index = 0
    limit = min(40, len(lines))
    while index < limit:
        at = _title_at(lines, index)
        if at is None:
            index += 1
            continue
        title, last = at
        wrapper = cues["wrapper_re"].match(title)
        if wrapper and found.wrapper is None:
            found.wrapper, found.line = title, index
            found.enclosed = _unquote(wrapper.group("enclosed"))
            found.wrapper_issuer = wrapper.group("issuer") or None
            # the enclosed document's own title line, further down
            for later in range(last + 1, min(len(lines), last + 80)):
                own = _title_at(lines, later)  # the enclosed title may be printed over two lines
                if own and _unquote(own[0]) == found.enclosed:
                    found.title, found.line, found.enclosed_line = found.enclosed, later, later
                    return found
            found.title = title
            return found
        if any(mark in title for mark in TITLE_MARKS):  # a cited title inside a cover line, not this document's
            index = last + 1
            continue
        found.title, found.line = title, index
        return found
    return found


def infer_title(lines: list[str]) -> Optional[str]:
    return find_title(lines).title


def infer_doc_type(title: Optional[str]) -> Optional[str]:
    """The 文种 that ends the title (a lead document's when two are joined: "A重点工程及B工作要点");
    else the first cue the title contains; "other" when none."""
    if not title:
        return None
    cues = _cues()
    rules = cues["doc_types"]
    by_length = sorted(rules, key=lambda rule: len(rule["cue"]), reverse=True)
    parts = re.split("|".join(map(re.escape, cues["title_continued_by"])), title)
    for part in [p for p in parts if ends_in_title_word(p)][:1] + [title]:
        bare = strip_qualifier(part)
        for rule in by_length:
            if bare.endswith(rule["cue"]):
                return rule["type"]
    for rule in rules:
        if rule["cue"] in title:
            return rule["type"]
    return "other"


# ---------------------------------------------------------------------------- issuers

def split_issuers(text: str) -> list[str]:
    """Joint issuers printed side by side: "中共X县委 X县人民政府" -> both. A new issuer starts where
    an issuer ending is followed by 中共/国务院… or by a place name of the gazetteer."""
    cues = _cues()
    out: list[str] = []
    for chunk in text.split():
        chunk = compact(chunk)
        start = 0
        for position in range(1, len(chunk)):
            head = chunk[start:position]
            if not head.endswith(cues["suffixes"]):
                continue
            rest = chunk[position:]
            if rest.startswith(tuple(cues["issuer_starts"])) or places.name_pattern().match(rest):
                out.append(head)
                start = position
        if chunk[start:]:
            out.append(chunk[start:])
    return [name for name in out if name]


def _issuer_like(name: str) -> bool:
    return bool(name) and name.endswith(_cues()["suffixes"]) and len(name) <= 30


def masthead_issuers(lines: list[str]) -> list[str]:
    """The masthead "…文件" (joint issuers side by side, or one per line above a lone "文件")."""
    cues = _cues()
    for index, line in enumerate(lines[:10]):
        stripped = line.strip()
        found = cues["masthead_re"].match(stripped)
        if not found:
            continue
        names = split_issuers(found.group("issuer")) if found.group("issuer") else []
        above = index - 1
        while above >= 0 and len(names) < 6 and _issuer_like(compact(lines[above])):
            names = split_issuers(lines[above].strip()) + names
            above -= 1
        names = [n for n in names if _issuer_like(n)]
        if names:
            return names
    return []


def title_issuers(title: Optional[str]) -> list[str]:
    """Issuers named by the title: the part before 关于, or a plain title's part before its year."""
    if not title:
        return []
    cues = _cues()
    if cues["about"] in title:
        prefix = title.split(cues["about"], 1)[0]
        prefix = cues["joint_marker_re"].sub("", prefix)
        return [n for n in split_issuers(prefix) if _issuer_like(n)]
    prefix = cues["issuer_ends_before_re"].split(title)[0]
    return [prefix] if _issuer_like(prefix) and prefix != title else []


def _chinese_year(text: str) -> int:
    if text.isdigit() and text.isascii():
        return int(text)
    return int(text.translate(_cues()["year_digits"]))


@dataclass
class Closing:
    issuers: list[str] = field(default_factory=list)
    year: Optional[int] = None  # 成文日期
    printed_year: Optional[int] = None  # the 版记 "…印发" date


def closing_block(lines: list[str], ends: list[int]) -> Closing:
    """Signature and date lines before each index of ``ends`` (the end of the text, or the end of a
    wrapper notice before the enclosed text): the first block with a signed date wins."""
    cues = _cues()
    closing = Closing()
    for end in ends:
        window = range(max(0, end - cues["closing_lines"]), end)
        for index in reversed(window):
            line = compact(lines[index])
            date = cues["date_re"].search(line)
            if not date or any(mark in line for mark in NOT_IN_TITLES) or len(line) > cues["signature_max_chars"]:
                continue
            year = _chinese_year(date.group("year"))
            before, after = line[:date.start()].strip(), line[date.end():].strip()
            if cues["printed_by_re"].search(after):  # 版记: the printing office's line
                closing.printed_year = closing.printed_year or year
                continue
            if after and not after.startswith(tuple(OPENING_PARENTHESES)):
                continue
            names = split_issuers(lines[index][:lines[index].find(date.group(0)[:4])]) if before else []
            above = index - 1
            while not names and above >= 0 and above >= index - 4:
                candidate = compact(lines[above])
                if _issuer_like(candidate) or all(_issuer_like(n) for n in split_issuers(lines[above]) or [""]):
                    names = split_issuers(lines[above].strip())
                    # joint signatures: one issuer per line
                    while above - 1 >= 0 and _issuer_like(compact(lines[above - 1])) and len(names) < 6:
                        above -= 1
                        names = split_issuers(lines[above].strip()) + names
                    break
                if candidate:
                    break
                above -= 1
            closing.issuers = [n for n in names if _issuer_like(n)]
            closing.year = year
            return closing
    return closing


def infer_issuers(lines: list[str], title: Optional[str], finding: Optional[TitleFinding] = None) -> list[str]:
    """All issuers, lead first: from the masthead, else the title (a wrapper notice's issuer for an
    enclosed document), else the closing signature."""
    finding = finding or TitleFinding(title=title)
    names = masthead_issuers(lines)
    if not names and finding.wrapper:
        names = title_issuers(finding.wrapper)
    if not names:
        names = title_issuers(title)
    if not names:
        ends = [len(lines)] + ([finding.enclosed_line] if finding.enclosed_line > 0 else [])
        names = closing_block(lines, ends).issuers
    return names


def infer_issuer(lines: list[str], title: Optional[str]) -> Optional[str]:
    names = infer_issuers(lines, title)
    return names[0] if names else None


# ---------------------------------------------------------------------------- level, region, year

def infer_level(issuer: Optional[str], title: Optional[str]) -> str:
    """National bodies by name; else the innermost administrative unit the issuer (or, without
    one, the title's opening) names: 县 and county-level 市 county, 区 district, a zone under a
    city district, a city body's centre or institute city-agency; masked units by their unit word."""
    cues = _cues()
    name = issuer or ""
    if not name and title:
        name = cues["level_name_ends_before_re"].split(title)[0]
    if not name:
        return "unknown"
    masked = places.anonymised_region(name)
    if masked:
        levels = places.anonymisation().levels
        unit = next((u for u in sorted(levels, key=len, reverse=True) if masked.endswith(u)), None)
        if unit:
            return levels[unit]
    chain = places.region_chain(name)
    if not chain:
        if cues["national_issuer_re"].search(name):
            return "national"
        for word, level in cues["bare_unit_levels"].items():
            if name.startswith(word):
                return "city-agency" if level == "city" and cues["agency_ending_re"].search(name) else level
        return "unknown"
    level = chain[-1].level
    if level == "city":
        rest = name[name.find(chain[-1].name) + len(chain[-1].name):] if chain[-1].name in name else name
        if cues["zone_words_re"].search(rest):
            return "district"
        if cues["agency_ending_re"].search(name):
            return "city-agency"
    return level


def infer_period(title: Optional[str], head: str) -> tuple[Optional[int], Optional[int]]:
    cues = _cues()
    text = (title or "") + "\n" + head
    found = cues["period_re"].search(text)
    if found:
        return int(found.group("start")), int(found.group("end"))
    for name, (start, end) in cues["five_year_plans"].items():
        if title and name in title:
            return start, end
    years = [int(y) for y in cues["title_year_re"].findall(title or "")]
    if years:
        start = min(years)
        ahead = cues["years_ahead_re"].search(title or "")
        if ahead:
            span = int(cn2an.cn2an(ahead.group("n"), "smart"))
            return start, start + span - 1
        return start, max(years)
    return None, None


def infer_region(issuer: Optional[str], title: Optional[str]) -> Optional[str]:
    """The administrative region of the issuer, as a chain of names (郑州市惠济区)."""
    source = issuer or title or ""
    return places.region_of(source)


# ---------------------------------------------------------------------------- 文号

def infer_doc_number(head_lines: list[str]) -> tuple[Optional[str], Optional[int]]:
    """The 文号 among the head lines and its year. A full issuer name glued before the 机关代字
    is cut off; an unbracketed number is written in the standard form X〔YYYY〕N号."""
    cues = _cues()
    for line in head_lines:
        text = compact(line)
        found = cues["doc_number_re"].search(text)
        if found:
            number = re.sub(r"\s+", "", found.group("number"))
            prefix = re.sub(r"\s+", "", found.group("prefix"))
            glued = cues["doc_number_prefix_cut_re"].match(prefix)
            if glued and len(glued.group(0)) >= 4 and len(prefix) > len(glued.group(0)):
                number = number[len(glued.group(0)):]
            return number, int(found.group("year"))
        bare = cues["doc_number_unbracketed_re"].search(text)
        if bare:
            prefix = bare.group("prefix")
            glued = cues["doc_number_prefix_cut_re"].match(prefix)
            if glued and len(glued.group(0)) >= 4 and len(prefix) > len(glued.group(0)):
                prefix = prefix[len(glued.group(0)):]
            return cues["doc_number_format"].format(prefix=prefix, year=bare.group("year"), n=bare.group("n")), \
                int(bare.group("year"))
    return None, None


# ---------------------------------------------------------------------------- all together

def infer_metadata(text: str, doc_id: str, title: Optional[str] = None) -> DocumentMeta:
    """Metadata from the text alone (see the module docstring). Co-issuers of a joint document
    are given by :func:`infer_issuers`; ``issuer`` holds the lead issuer."""
    cues = _cues()
    lines = [line for line in text.split("\n") if line.strip()]
    finding = TitleFinding(title=title) if title else find_title(lines)
    title = finding.title
    head_end = max(15, finding.line + 1) if finding.line >= 0 else 15
    head_lines = lines[:head_end]
    # a period printed under the title, "（2021—2025）", stands on a short line of its own
    short_lines = "\n".join(line for line in lines[:max(15, finding.line + 3)] if len(compact(line)) <= 20)
    number, number_year = infer_doc_number(head_lines)
    signatory = cues["signatory_re"].search("\n".join(head_lines))
    issuers = infer_issuers(lines, title, finding)
    issuer = issuers[0] if issuers else None
    start, end = infer_period(title, short_lines)
    year = start
    if year is None:
        ends = ([finding.enclosed_line] if finding.enclosed_line > 0 else []) + [len(lines)]
        closing = closing_block(lines, ends)
        year = number_year or closing.year or closing.printed_year
    return DocumentMeta(
        doc_id=doc_id,
        title=title,
        issuer=issuer,
        co_issuers=[name for name in issuers[1:] if name != issuer],
        level=infer_level(issuer, title),
        region=infer_region(issuer, title),
        year=year,
        period_start=start,
        period_end=end,
        doc_type=infer_doc_type(title),
        doc_number=number,
        signatory=signatory.group("name") if signatory else None,
    )
