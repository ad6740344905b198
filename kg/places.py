"""Gazetteer of Chinese administrative divisions, from the maintained `cpca` package's adcodes.

An adcode's digits give both the level and the parent: PP0000… province, PPCC00… city
(prefecture), PPCCDD… county-level (区 district, 县 county, county-level 市). The words read
here (grouping rows, name endings, the masks of anonymised places) are in
``ontology/lexicon/places.yaml``.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Optional

from kg.resources import lexicon

MUNICIPALITIES = {"11", "12", "31", "50"}  # 北京 天津 上海 重庆: cities at province level


@dataclass(frozen=True)
class Place:
    name: str
    adcode: str
    level: str  # province | city | district | county
    parent_code: Optional[str]


def level_of(adcode: str, name: str) -> str:
    if adcode[2:] == "0" * 10:
        return "city" if adcode[:2] in MUNICIPALITIES else "province"
    if adcode[4:] == "0" * 8:
        return "city"
    if name.endswith(_divisions()["district_ending"]):
        return "district"
    return "county"  # 县, 旗 and county-level 市


def parent_code_of(adcode: str) -> Optional[str]:
    if adcode[2:] == "0" * 10:
        return None
    if adcode[4:] == "0" * 8 or adcode[2:4] == "01" and adcode[:2] in MUNICIPALITIES:
        return adcode[:2] + "0" * 10
    return adcode[:4] + "0" * 8


def _divisions() -> dict:
    return lexicon("places.yaml")["divisions"]


@lru_cache(maxsize=1)
def gazetteer() -> tuple[dict[str, Place], dict[str, list[Place]]]:
    """(adcode -> Place, name -> Places with that name)."""
    by_code: dict[str, Place] = {}
    by_name: dict[str, list[Place]] = {}
    table = resources.files("cpca").joinpath("resources/adcodes.csv").read_text(encoding="utf-8")
    groupings = set(_divisions()["groupings"])
    for row in csv.DictReader(table.splitlines()):
        code, name = row["adcode"], row["name"].strip()
        if not name or name in groupings:
            continue
        place = Place(name, code, level_of(code, name), parent_code_of(code))
        by_code[code] = place
        by_name.setdefault(name, []).append(place)
    return by_code, by_name


def parent(place: Place) -> Optional[Place]:
    by_code, _ = gazetteer()
    code = place.parent_code
    while code and code not in by_code:  # municipalities skip the 市辖区 level
        code = parent_code_of(code)
    return by_code.get(code) if code else None


def chain(place: Place) -> list[Place]:
    """The place and its ancestors, outermost first."""
    out = [place]
    while (up := parent(out[0])) is not None:
        out.insert(0, up)
    return out


def short_name(name: str) -> str:
    """郑州市 -> 郑州, 河南省 -> 河南, 惠济区 -> 惠济 (the form plans use in running text);
    a name that would shrink below two characters stays whole (城区)."""
    stem = _short_name_ending().sub("", name)
    return stem if len(stem) >= 2 else name


@lru_cache(maxsize=1)
def _short_name_ending() -> re.Pattern:
    endings = sorted(_divisions()["short_name_endings"], key=len, reverse=True)
    return re.compile(f"(?:{'|'.join(map(re.escape, endings))})$")


# ---------------------------------------------------------------- anonymised places

@dataclass(frozen=True)
class Anonymisation:
    """``anonymised`` of places.yaml: how publishers mask a place name."""

    markers: tuple[str, ...]  # printed instead of the name: XX, ××, **, 某
    mask: str  # the marker this tool writes for a place a compilation leaves out
    levels: dict[str, str]  # administrative word after the marker -> level (市 -> city)


@lru_cache(maxsize=1)
def anonymisation() -> Anonymisation:
    data = lexicon("places.yaml")["anonymised"]
    return Anonymisation(tuple(data["markers"]), data["mask"], dict(data["levels"]))


@lru_cache(maxsize=1)
def _masked_units() -> re.Pattern:
    """A run of masked units (XX市, 某区, XX市XX区): a marker (repeated: XXX) then a unit word."""
    masks = anonymisation()
    marker = "|".join(_repeated(m) for m in sorted(masks.markers, key=len, reverse=True))
    unit = "|".join(map(re.escape, sorted(masks.levels, key=len, reverse=True)))
    return re.compile(f"(?:(?:{marker})(?:{unit}))+")


def _repeated(marker: str) -> str:
    """``marker`` or a longer run of it: XX -> X{2,} (XXX市), 某 -> 某+ (某某市)."""
    if len(set(marker)) == 1:
        return f"{re.escape(marker[0])}{{{len(marker)},}}"
    return f"(?:{re.escape(marker)})+"


def is_anonymised(text: Optional[str]) -> bool:
    """Whether ``text`` (a region, issuer or title) names a unit masked by its publisher,
    anywhere in it: XX市, XX县教育局, 河南省××县, 某区. A marker alone is no place (XX教育大讲堂)."""
    return bool(text) and _masked_units().search(text) is not None


def anonymised_region(text: str) -> Optional[str]:
    """The masked region ``text`` names, as printed (XX市; 郑州市XX区 with the named units before
    the mask, the province left out as in :func:`region_of`); None when nothing is masked."""
    masked = _masked_units().search(text)
    if masked is None:
        return None
    named = [p.name for p in region_chain(text[: masked.start()]) if p.level != "province"]
    return "".join(named) + masked.group(0)


def resolve(name: str, context: str = "") -> Optional[Place]:
    """The place called `name`; among namesakes, the one whose ancestors the context names."""
    _, by_name = gazetteer()
    candidates = by_name.get(name, [])
    if not candidates:
        return None
    if len(candidates) == 1:
        return candidates[0]
    for candidate in candidates:
        if any(short_name(up.name) in context for up in chain(candidate)[:-1]):
            return candidate
    return None  # ambiguous without context: better no answer than a wrong one


@lru_cache(maxsize=1)
def name_pattern() -> re.Pattern:
    _, by_name = gazetteer()
    names = sorted(by_name, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, names)))


def leading_place_chars(text: str) -> int:
    """Length of the run of place names that opens ``text`` (河南省郑州市教育局 -> 6; 0 if none)."""
    pattern, end = name_pattern(), 0
    while True:
        found = pattern.match(text, end)
        if not found or not found.group(0):
            return end
        end = found.end()


@lru_cache(maxsize=4096)
def region_chain(text: str) -> tuple[Place, ...]:
    """The innermost administrative unit the start of ``text`` names, with its ancestors,
    outermost first: "郑州市惠济区教育局" -> (河南省, 郑州市, 惠济区); () when none is named."""
    found = [m.group(0) for m in name_pattern().finditer(text[:40])]
    places = [p for p in (resolve(name, text) for name in found) if p]
    if not places:
        return ()
    return tuple(chain(max(places, key=lambda p: len(chain(p)))))


def region_of(text: str) -> Optional[str]:
    """The administrative region an issuer or title names, written as a chain (郑州市惠济区).

    Anonymised names (XX市, XX县) are returned as printed (:func:`anonymised_region`).
    """
    anonymised = anonymised_region(text)
    if anonymised:
        return anonymised
    names = [p.name for p in region_chain(text) if p.level != "province"]
    return "".join(names) or None
