"""Places: administrative divisions (kg.places, from cpca's adcodes), zones, regions and foreign places."""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Optional

from spacy.language import Language
from spacy.tokens import Doc

from kg import places
from kg.components import Gazetteer, doc_text, jieba_segmenter, load_yaml, make_span, set_spans
from kg.text import BOOK_TITLE

@dataclass(frozen=True)
class Place:
    name: str  # full name (郑州市 for the short form 郑州)
    level: str  # country | province | city | district | county | township | region | foreign
    parent: Optional[str] = None
    adcode: Optional[str] = None


@functools.lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """Every known place by the names texts use for it; short forms map to the full place."""
    config = load_yaml("places.yaml")
    ignore = set(config.get("ignore_names", []))
    _, divisions = places.gazetteer()
    entries: dict[str, Place] = {}
    for name, namesakes in divisions.items():
        if name in ignore:
            continue
        division = namesakes[0]
        # municipalities (北京市 …) are province-level units in running text
        level = "province" if division.parent_code is None else division.level
        if len(namesakes) > 1:  # 朝阳区 exists in several cities: the parent is unknown
            entries[name] = Place(name, level)
            continue
        parent = places.parent(division)
        entries[name] = Place(name, level, parent.name if parent else None, division.adcode[:6])

    short_ignore = set(config.get("ignore_short_forms", []))
    for place in list(entries.values()):
        for suffix in config["short_form_suffixes"].get(place.level, []):
            if place.name.endswith(suffix):
                short = place.name[: -len(suffix)]
                if len(short) >= 2 and short not in short_ignore and short not in entries:
                    entries[short] = place
                break

    for zone in config.get("zones", []):
        entries.setdefault(zone["name"], Place(zone["name"], zone["level"], zone.get("parent")))
    for name in config.get("regions", []):
        entries.setdefault(name, Place(name, "region"))
    for name in config.get("foreign", []):
        entries.setdefault(name, Place(name, "foreign"))
    masks = places.anonymisation()
    for word, level in masks.levels.items():
        entries.setdefault(masks.mask + word, Place(masks.mask + word, level))
    return Gazetteer(entries)


IDEOGRAPH = re.compile(r"[\u4e00-\u9fff]")


def find_places(text: str) -> list[tuple[int, int, Place]]:
    """Places named in the text; not those inside a cited title (《郑州都市区…规划》 names a document)
    nor a whole quoted name (“六安” is a safety campaign, not 六安市)."""
    titles = [m.span() for m in BOOK_TITLE.finditer(text)]
    found = []
    for start, end, place in gazetteer().finditer(text):
        if any(a < start and end < b for a, b in titles):
            continue
        if text[start - 1:start] == "“" and text[end:end + 1] == "”":
            continue
        if end - start == 2 and place.level in ("district", "county") and IDEOGRAPH.match(text[start - 1:start]):
            continue  # 范县 in 示范县, 新县 in 创新县: a two-character county inside a word
        if place.name.startswith(_mask()) and _splits_a_word(text, end):
            continue  # XX区域, XX市场: the administrative word starts another word
        if place.level in ("district", "county") and _splits_a_word(text, start):
            continue  # 兴和县 in 振兴和县域: the name would begin inside a word
        found.append((start, end, place))
    return found


def _mask() -> str:
    return places.anonymisation().mask


def _splits_a_word(text: str, start: int, reach: int = 4) -> bool:
    """Whether a word of the running text spans ``start`` (jieba segmentation of the stretch around it)."""
    if not IDEOGRAPH.match(text[start - 1:start]):
        return False
    left = max(0, start - reach)
    offset = left
    for token in jieba_segmenter().cut(text[left:start + reach], HMM=False):
        if offset < start < offset + len(token):
            return True
        offset += len(token)
    return False


@Language.factory("kg_places")
def make_places(nlp: Language, name: str):
    gazetteer()  # load once, when the pipeline is built

    def places(doc: Doc) -> Doc:
        return set_spans(doc, "kg_places", (
            make_span(doc, start, end, "place", subtype=place.level, parent=place.parent,
                      canonical=place.name, source="gazetteer")
            for start, end, place in find_places(doc_text(doc))
        ))

    return places
