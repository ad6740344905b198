"""Metadata inferred from a document's text: title, issuer, level, region, period, type, number.

Cues: ``ontology/lexicon/metadata.yaml``; regions through the gazetteer (kg.places).
"""
from __future__ import annotations

import re
from typing import Optional

import cn2an

from kg import places
from kg.ingest.clean import is_body_line, is_heading_like
from kg.records import DocumentMeta
from kg.resources import lexicon as load_yaml

CJK_SPACE = re.compile(r"(?<=[\u4e00-\u9fff])[ \u3000]+(?=[\u4e00-\u9fff0-9])|(?<=[0-9])[ \u3000]+(?=[\u4e00-\u9fff])")


def compact(text: str) -> str:
    """Drop the stray spaces PDF/Word extraction leaves between Chinese characters and digits."""
    return CJK_SPACE.sub("", text).strip()


def infer_title(lines: list[str]) -> Optional[str]:
    """The plan's own title line: the first short line ending in a title word (工作要点, 规划 …).

    The cover notice ("…文件", "关于印发《…》的通知") is skipped; a title continued on the
    next line ("…重点工程" / "及2016年工作要点") is joined.
    """
    cues = load_yaml("metadata.yaml")
    for index, line in enumerate(lines[:40]):
        candidate = compact(line)
        if any(cue in candidate for cue in cues["title_skip_containing"]) or is_heading_like(candidate) \
                or len(candidate) > 60:
            continue
        if candidate.endswith(tuple(cues["title_skip_ending"])) or is_body_line(candidate):
            continue
        if any(word in candidate for word in cues["title_words"]):
            following = compact(lines[index + 1]) if index + 1 < len(lines) else ""
            if following.startswith(tuple(cues["title_continued_by"])) and len(following) < 30:
                candidate += following
            return candidate
    return None


def infer_issuer(lines: list[str], title: Optional[str]) -> Optional[str]:
    cues = load_yaml("metadata.yaml")
    cover = re.compile(cues["cover_issuer"])
    for line in lines[:10]:
        found = cover.match(compact(line))
        if found:
            return found.group("issuer")
    if title:
        prefix = re.split(cues["issuer_ends_before"], title)[0]
        for suffix in cues["issuer_suffixes"]:
            if suffix in prefix:
                return prefix[: prefix.index(suffix) + len(suffix)]
    return None


def infer_level(issuer: Optional[str], title: Optional[str]) -> str:
    cues = load_yaml("metadata.yaml")
    name = issuer or ""
    if not name and title:
        name = re.split(cues["level_name_ends_before"], title)[0]
    for rule in cues["level_rules"]:
        if name and re.search(rule["pattern"], name):
            return rule["level"]
    return "unknown"


def infer_period(title: Optional[str], head: str) -> tuple[Optional[int], Optional[int]]:
    cues = load_yaml("metadata.yaml")
    text = (title or "") + "\n" + head
    found = re.search(cues["period"], text)
    if found:
        return int(found.group("start")), int(found.group("end"))
    for name, (start, end) in cues["five_year_plans"].items():
        if title and name in title:
            return start, end
    years = [int(y) for y in re.findall(cues["title_year"], title or "")]
    if years:
        start = min(years)
        ahead = re.search(cues["years_ahead"], title or "")
        if ahead:
            span = int(cn2an.cn2an(ahead.group("n"), "smart"))
            return start, start + span - 1
        return start, max(years)
    return None, None


def infer_doc_type(title: Optional[str]) -> Optional[str]:
    if not title:
        return None
    for rule in load_yaml("metadata.yaml")["doc_types"]:
        if rule["cue"] in title:
            return rule["type"]
    return "other"


def infer_region(issuer: Optional[str], title: Optional[str]) -> Optional[str]:
    """The administrative region of the issuer, as a chain of names (郑州市惠济区)."""
    source = issuer or title or ""
    return places.region_of(source)


def infer_metadata(text: str, doc_id: str, title: Optional[str] = None) -> DocumentMeta:
    """Metadata from the text alone: title lines, 〔YYYY〕N号, 签发人, years and issuer in the title."""
    cues = load_yaml("metadata.yaml")
    lines = [line for line in text.split("\n") if line.strip()]
    head = "\n".join(lines[:15])
    title = title or infer_title(lines)
    # a period printed under the title, "（2021—2025）", stands on a short line of its own
    short_lines = "\n".join(line for line in lines[:15] if len(compact(line)) <= 20)
    number = re.search(cues["doc_number"], head)
    signatory = re.search(cues["signatory"], head)
    issuer = infer_issuer(lines, title)
    start, end = infer_period(title, short_lines)
    return DocumentMeta(
        doc_id=doc_id,
        title=title,
        issuer=issuer,
        level=infer_level(issuer, title),
        region=infer_region(issuer, title),
        year=start,
        period_start=start,
        period_end=end,
        doc_type=infer_doc_type(title),
        doc_number=re.sub(r"\s+", "", number.group("number")) if number else None,
        signatory=signatory.group("name") if signatory else None,
    )
