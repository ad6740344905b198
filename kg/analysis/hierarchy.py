"""Who is above whom: which documents are upper-level for a lower-level one.

A document is upper-level for another when its administrative level ranks higher and its
region contains the other's region (惠济区 ⊂ 郑州市, resolved with kg.places: cpca's table of Chinese
administrative divisions). Anonymised regions ("XX市", "XX县"; :func:`kg.places.is_anonymised`) cannot be placed on the map:
they only form chains with the other parts of the same compilation. A manual override (a list
of upper doc ids per lower doc) always wins. The level order lives in
``ontology/lexicon/alignment.yaml`` (:func:`kg.resources.alignment_settings`).
"""
from __future__ import annotations

from typing import Iterable, Literal, Mapping, Optional

from kg import places
from kg.records import DocumentMeta
from kg.resources import AlignmentSettings, alignment_settings

PeriodRelation = Literal["in_force", "earlier", "later"]  # keys of scoring.period_factor
_RELATION_ORDER: dict[PeriodRelation, int] = {"in_force": 0, "earlier": 1, "later": 2}


def level_rank(level: Optional[str], settings: Optional[AlignmentSettings] = None) -> Optional[int]:
    return (settings or alignment_settings()).hierarchy.level_rank.get(level or "unknown")


def _named_chain(place: str) -> tuple[str, ...]:
    """province > city > district of a place name or an issuer containing one (kg.places)."""
    return tuple(unit.name for unit in places.region_chain(place))


def region_chain(meta: DocumentMeta) -> tuple[str, ...]:
    """The nested regions of a document, outermost first; () when it cannot be placed."""
    region = meta.region or ""
    if places.is_anonymised(region) or (not region and places.is_anonymised(meta.issuer)):
        # own chain per compilation: all anonymised parts of one compilation share a root
        return ("anonymised:" + (meta.parent or meta.doc_id), region or meta.issuer or "")
    for place in (region, meta.issuer or ""):
        if place:
            chain = _named_chain(place)
            if chain:
                return chain
    return ()


def region_contains(upper: tuple[str, ...], lower: tuple[str, ...]) -> bool:
    """True when ``upper`` is ``lower`` or one of its enclosing regions."""
    if not upper or not lower or len(upper) > len(lower):
        return False
    if upper[0].startswith("anonymised:"):
        # anonymised parts of one compilation: same root, any part name (their places are unknown)
        return upper[0] == lower[0]
    return lower[: len(upper)] == upper


def is_upper(upper: DocumentMeta, lower: DocumentMeta, settings: Optional[AlignmentSettings] = None) -> bool:
    """Whether ``upper`` is an upper-level document for ``lower`` (by level and region)."""
    settings = settings or alignment_settings()
    if upper.doc_id == lower.doc_id:
        return False
    upper_rank, lower_rank = level_rank(upper.level, settings), level_rank(lower.level, settings)
    if upper_rank is None or lower_rank is None or upper_rank >= lower_rank:
        return False
    return region_contains(region_chain(upper), region_chain(lower))


def period_relation(upper: DocumentMeta, year: Optional[int]) -> PeriodRelation:
    """``in_force`` when the upper document's period covers ``year``, else ``earlier``/``later``."""
    start = upper.period_start or upper.year
    end = upper.period_end or start
    if year is None or start is None:
        return "in_force"
    if start <= year <= (end or start):
        return "in_force"
    return "earlier" if (end or start) < year else "later"


def upper_documents(
    metas: Iterable[DocumentMeta],
    lower: DocumentMeta,
    overrides: Optional[Mapping[str, list[str]]] = None,
    settings: Optional[AlignmentSettings] = None,
) -> list[str]:
    """Doc ids of the upper-level documents of ``lower``: in force first, then nearest in time."""
    settings = settings or alignment_settings()
    metas = list(metas)
    if overrides and lower.doc_id in overrides:
        wanted = set(overrides[lower.doc_id])
        chosen = [m for m in metas if m.doc_id in wanted]
    else:
        chosen = [m for m in metas if is_upper(m, lower, settings)]

    def key(meta: DocumentMeta):
        relation = period_relation(meta, lower.year)
        distance = abs((meta.period_start or meta.year or 0) - (lower.year or 0))
        return (_RELATION_ORDER[relation], distance, meta.doc_id)

    return [m.doc_id for m in sorted(chosen, key=key)]


def hierarchy(
    metas: Iterable[DocumentMeta],
    overrides: Optional[Mapping[str, list[str]]] = None,
    settings: Optional[AlignmentSettings] = None,
) -> dict[str, list[str]]:
    """doc id -> its upper-level doc ids (only documents that have any)."""
    metas = list(metas)
    result = {}
    for meta in metas:
        uppers = upper_documents(metas, meta, overrides, settings)
        if uppers:
            result[meta.doc_id] = uppers
    return result
