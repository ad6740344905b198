"""Typed results of the analyses: continuity of programs and indicators, verbatim reuse.

What :mod:`kg.analysis.continuity` and :mod:`kg.analysis.align.reuse` return and the reports,
views and notebooks read. Frozen so a consumer cannot change a result another one reads; the
list and set fields are filled while a result is assembled and only read afterwards.
``as_dict()`` gives the fields in declaration order (nested records as dicts too), for tables
and JSON.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Optional


class _AsDict:
    __slots__ = ()

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload]


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
    """Programs new / continued / dropped from one document to the next of its issuer or level."""

    group: str  # "issuer: …" or "level: …"
    from_doc: str
    from_year: int
    to_doc: str
    to_year: int
    new: list[str]
    continued: list[str]
    dropped: list[str]


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
    """The values one indicator concept takes across documents and years."""

    indicator: str  # the concept's name
    names: list[str]  # as printed
    documents: list[str]
    points: list[IndicatorPoint]


@dataclass(frozen=True, slots=True)
class Continuity(_AsDict):
    """What :func:`kg.analysis.continuity.continuity` finds."""

    program: Optional[str]  # the one program asked for, None for all
    programs: list[ProgramTimeline]
    changes: list[ProgramChange]
    indicators: list[IndicatorTrajectory]


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
