"""Who is above whom: which documents are upper-level for a lower-level one.

A document is upper-level for another when its administrative level ranks higher and its
region contains the other's region (惠济区 ⊂ 郑州市, resolved with kg.places: cpca's table of Chinese
administrative divisions). Anonymised regions ("XX市", "XX县"; :func:`kg.places.is_anonymised`) cannot be placed on the map:
they only form chains with the other parts of the same compilation. A manual override (a list
of upper doc ids per lower doc) always wins. The level order lives in
``ontology/lexicon/alignment.yaml`` (:func:`kg.resources.alignment_settings`).

Time decides which upper documents count: only one issued no later than the lower document and
in force for its year is an upper document (:func:`upper_documents`, :func:`hierarchy`); one
issued later is context only (:func:`context_documents`, :func:`hierarchy_context`); an earlier
plan whose period is over is neither.
"""
from __future__ import annotations

from typing import Iterable, Literal, Mapping, Optional

from kg import places
from kg.records import DocumentMeta
from kg.resources import AlignmentSettings, alignment_settings

PeriodRelation = Literal["in_force", "earlier", "later"]  # keys of scoring.period_factor


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


class RegionIndex:
    """The documents that can be upper-level for a lower one, found by region instead of a scan:
    an upper document's region contains the lower's (``region_contains``), so its region
    chain is a prefix of the lower's (anonymised parts: the same compilation root). Candidates
    keep the corpus order; ``upper_documents`` / ``context_documents`` still decide on them."""

    def __init__(self, metas: list[DocumentMeta]):
        self.metas = metas
        self.by_chain: dict[tuple[str, ...], list[int]] = {}
        self.by_root: dict[str, list[int]] = {}
        for number, meta in enumerate(metas):
            chain = region_chain(meta)
            if chain:
                self.by_chain.setdefault(chain, []).append(number)
                self.by_root.setdefault(chain[0], []).append(number)

    def candidates(self, lower: DocumentMeta) -> list[DocumentMeta]:
        chain = region_chain(lower)
        if not chain:
            return []
        if chain[0].startswith("anonymised:"):
            numbers = self.by_root.get(chain[0], [])
        else:
            numbers = sorted(n for size in range(1, len(chain) + 1) for n in self.by_chain.get(chain[:size], []))
        return [self.metas[n] for n in numbers]


def period_relation(upper: DocumentMeta, year: Optional[int]) -> PeriodRelation:
    """How ``upper`` stands to a lower document of ``year``.

    ``in_force``: issued no later than ``year`` and its period (period_start..period_end, else its
    year) covers it — the 2021–2025 plan for a 2023 district plan. ``later``: issued after
    ``year``, or not yet in force then (a lower text cannot take up what was not yet written).
    ``earlier``: its period ended before ``year``. Unknown years count as in force (nothing to
    compare)."""
    start = upper.period_start or upper.year
    end = upper.period_end or start
    if year is None or start is None:
        return "in_force"
    if upper.year is not None and upper.year > year:
        return "later"
    if start <= year <= (end or start):
        return "in_force"
    return "earlier" if (end or start) < year else "later"


def _candidates(metas: list[DocumentMeta], lower: DocumentMeta, overrides: Optional[Mapping[str, list[str]]],
                settings: AlignmentSettings, regions: Optional[RegionIndex] = None) -> list[DocumentMeta]:
    """Upper-level documents of ``lower`` by level and region, or the override's, at any time
    (``regions``: the documents whose region can contain the lower's, instead of all of them)."""
    if overrides and lower.doc_id in overrides:
        wanted = set(overrides[lower.doc_id])
        return [m for m in metas if m.doc_id in wanted]
    return [m for m in (regions.candidates(lower) if regions else metas) if is_upper(m, lower, settings)]


def _by_time(chosen: list[DocumentMeta], lower: DocumentMeta) -> list[str]:
    def key(meta: DocumentMeta):
        distance = abs((meta.period_start or meta.year or 0) - (lower.year or 0))
        return (distance, meta.doc_id)

    return [m.doc_id for m in sorted(chosen, key=key)]


def upper_documents(
    metas: Iterable[DocumentMeta],
    lower: DocumentMeta,
    overrides: Optional[Mapping[str, list[str]]] = None,
    settings: Optional[AlignmentSettings] = None,
    regions: Optional[RegionIndex] = None,
) -> list[str]:
    """Doc ids of the upper-level documents *in force* for ``lower`` (issued no later, period
    covering its year), nearest in time first.

    A manual override wins: its documents are upper documents whatever their period (a
    researcher's decision, kept with its period on the alignment), except one issued later —
    a text cannot take up what was not yet written, so that one is context only."""
    settings = settings or alignment_settings()
    overridden = bool(overrides and lower.doc_id in overrides)
    allowed = ("in_force", "earlier") if overridden else ("in_force",)
    chosen = [m for m in _candidates(list(metas), lower, overrides, settings, regions)
              if period_relation(m, lower.year) in allowed]
    return _by_time(chosen, lower)


def context_documents(
    metas: Iterable[DocumentMeta],
    lower: DocumentMeta,
    overrides: Optional[Mapping[str, list[str]]] = None,
    settings: Optional[AlignmentSettings] = None,
    relations: tuple[PeriodRelation, ...] = ("later",),
    regions: Optional[RegionIndex] = None,
) -> list[str]:
    """Doc ids of upper-level documents of ``lower`` that are not in force for it, only as context:
    by default the ``later`` ones (issued after it). Earlier plans no longer in force are left
    out unless ``relations`` asks for them (or a manual override names them: then they are
    upper documents, :func:`upper_documents`)."""
    settings = settings or alignment_settings()
    chosen = [m for m in _candidates(list(metas), lower, overrides, settings, regions)
              if period_relation(m, lower.year) in relations]
    return _by_time(chosen, lower)


def _per_document(metas: Iterable[DocumentMeta], pick) -> dict[str, list[str]]:
    """doc id -> ``pick(metas, meta, regions)``, for the documents where it is not empty; the region
    index is built once, so the whole pass is linear in documents, not quadratic."""
    metas = list(metas)
    regions = RegionIndex(metas)
    result = {}
    for meta in metas:
        picked = pick(metas, meta, regions)
        if picked:
            result[meta.doc_id] = picked
    return result


def hierarchy(
    metas: Iterable[DocumentMeta],
    overrides: Optional[Mapping[str, list[str]]] = None,
    settings: Optional[AlignmentSettings] = None,
) -> dict[str, list[str]]:
    """doc id -> its upper-level doc ids in force for it (only documents that have any)."""
    return _per_document(metas, lambda all_metas, meta, regions: upper_documents(all_metas, meta, overrides, settings,
                                                                                 regions=regions))


def hierarchy_context(
    metas: Iterable[DocumentMeta],
    overrides: Optional[Mapping[str, list[str]]] = None,
    settings: Optional[AlignmentSettings] = None,
) -> dict[str, list[str]]:
    """doc id -> its upper-level documents issued later (context, never a link); only those with any."""
    return _per_document(metas, lambda all_metas, meta, regions: context_documents(all_metas, meta, overrides,
                                                                                   settings, regions=regions))
