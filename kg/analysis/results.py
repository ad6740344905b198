"""Typed results of the analyses: continuity of programs and indicators, verbatim reuse.

What :mod:`kg.analysis.continuity` and :mod:`kg.analysis.align.reuse` return and the reports,
views and notebooks read. Frozen so a consumer cannot change a result another one reads; the
list and set fields are filled while a result is assembled and only read afterwards.
``as_dict()`` gives the fields in declaration order (nested records as dicts too), for tables
and JSON.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from kg.records import record_dict


class _AsDict:
    __slots__ = ()

    def as_dict(self) -> dict[str, Any]:
        return record_dict(self)


# ---------------------------------------------------------------- programs

@dataclass(frozen=True, slots=True)
class ProgramOccurrence(_AsDict):
    """One place a program is named: a linked mention, a “quoted” name or a verbatim label."""

    doc_id: str
    title: Optional[str]
    issuer: Optional[str]
    level: str
    year: Optional[int]
    measure: Optional[str]  # label of the enclosing section, None in the preamble
    start: int
    end: int
    text: str  # the document text at start:end
    quote: str  # the sentence around it
    source: str  # mention rule, "quoted" or "verbatim"
    government: Optional[str] = None  # government_of(meta).key of the document


@dataclass(frozen=True, slots=True)
class ProgramOccurrences(_AsDict):
    """Every occurrence of one program concept, under all its labels."""

    concept: str
    label: str
    labels: set[str]
    occurrences: list[ProgramOccurrence] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ProgramTimeline(_AsDict):
    """A program across documents and years: where and when it is named, and the gap years."""

    concept: str
    label: str
    labels: list[str]
    documents: list[str]  # doc ids in order of first occurrence by year
    years: list[int]
    levels: list[str]
    first_seen: Optional[int]
    last_seen: Optional[int]
    gaps: list[int]  # corpus years between first and last seen without the program
    occurrences: list[ProgramOccurrence]


@dataclass(frozen=True, slots=True)
class ProgramChange(_AsDict):
    """Programs new / continued / dropped / renamed from one plan to the next of one government.

    Both documents are of the same government (``kg.governments.government_of(meta).key``): a
    series never runs across governments, nor joins an anonymised part (XX市) with a named city."""

    group: str  # "government: <key>"
    from_doc: str
    from_year: int
    to_doc: str
    to_year: int
    new: list[str]
    continued: list[str]
    dropped: list[str]
    renamed: list[str] = field(default_factory=list)  # "old → new": a dropped program's variant is new
    government: Optional[str] = None  # the government's key (郑州市, 郑州市惠济区, a doc id for XX市)


@dataclass(frozen=True, slots=True)
class ProgramSpell(_AsDict):
    """When one government names a program: first and last year seen across its plans.

    A plain record for the graph (first/last seen per government) and the reports."""

    concept: str  # the program's concept key (concept id when linked, else its normalised name)
    label: str
    government: str  # government_of(meta).key
    government_name: str  # for people: 郑州市惠济区, XX市 (004_…#1)
    first_seen: Optional[int]
    last_seen: Optional[int]
    documents: list[str]  # doc ids by year


# ---------------------------------------------------------------- indicators

@dataclass(frozen=True, slots=True)
class IndicatorPoint(_AsDict):
    """One stated value of a target indicator."""

    doc_id: str
    title: Optional[str]
    level: str
    doc_year: Optional[int]
    year: Optional[int]  # the year the value is for
    indicator: str  # the indicator as printed
    value: Optional[str]
    unit: Optional[str]
    comparator: Optional[str]
    kind: Optional[str]  # target | baseline | achieved
    measure: Optional[str]
    start: int
    end: int
    quote: str


@dataclass(frozen=True, slots=True)
class IndicatorTrajectory(_AsDict):
    """The values one indicator concept takes across the plans of one government, in one unit class.

    Never two governments (a cross-government comparison is :class:`IndicatorGovernments`), never
    a share and a count together (幼儿园 100% vs 1848 所: ``unit_class``)."""

    indicator: str  # the concept's name
    names: list[str]  # as printed
    documents: list[str]
    points: list[IndicatorPoint]
    government: Optional[str] = None  # government_of(meta).key of every point's document
    government_name: Optional[str] = None
    unit_class: str = "none"  # percent | count | people | money | … (indicator_scopes.yaml unit_classes)


@dataclass(frozen=True, slots=True)
class GovernmentValues(_AsDict):
    """What one government set for an indicator: its values, by year, with their documents."""

    government: str
    government_name: str
    documents: list[str]
    values: list[str]  # "value unit (year, kind)" in time order
    points: list[IndicatorPoint]


@dataclass(frozen=True, slots=True)
class IndicatorGovernments(_AsDict):
    """Who else set this indicator: one indicator (in one unit class), side by side per government.

    An explicit cross-government table, not a trajectory: values of different governments are
    compared here only."""

    indicator: str
    unit_class: str
    governments: list[GovernmentValues]


@dataclass(frozen=True, slots=True)
class Continuity(_AsDict):
    """What :func:`kg.analysis.continuity.continuity` finds."""

    program: Optional[str]  # the one program asked for, None for all
    programs: list[ProgramTimeline]  # where a program appears, all governments (an overview, not a series)
    changes: list[ProgramChange]  # within one government each
    indicators: list[IndicatorTrajectory]  # within one government and unit class each
    spells: list[ProgramSpell] = field(default_factory=list)  # first/last seen per (program, government)
    indicator_governments: list[IndicatorGovernments] = field(default_factory=list)  # set by 2+ governments


# ---------------------------------------------------------------- reuse

@dataclass(frozen=True, slots=True)
class CopiedSpan(_AsDict):
    """A stretch of a lower measure copied verbatim from an upper document."""

    lower_start: int
    lower_end: int
    upper_doc: str
    upper_start: int
    upper_end: int
    text: str  # the lower document's text at lower_start:lower_end


@dataclass(frozen=True, slots=True)
class Refinements(_AsDict):
    """What a lower measure adds of its own, outside the stretches it copied."""

    numbers: list[str]
    programs: list[str]  # programs named nowhere upstream
    deadlines: list[str]
    units: list[str]  # responsible units


@dataclass(frozen=True, slots=True)
class MeasureReuse(_AsDict):
    measure: str
    title: str
    reuse: float  # share of the measure's text copied verbatim
    copied: list[CopiedSpan]
    local_only: bool
    refinements: Refinements


@dataclass(frozen=True, slots=True)
class DocumentReuse(_AsDict):
    """Reuse, coverage and refinement of one lower document against its upper documents."""

    measures: list[MeasureReuse]
    reuse: float  # share of all measure text copied verbatim (containment, not Jaccard)
    coverage: dict[str, float]  # upper doc id -> share of its alignable passages taken up
    local_share: float
    direct_share: float
    top_programs: list[tuple[str, int]]  # shared program -> number of alignments, most common first
