"""Continuity of programs and target indicators across documents and years.

Programs: where each program concept appears (documents, years, levels), first and last seen,
gap years; per government (``kg.governments.government_of(meta).key``: issuer + region) its first
and last year (:class:`ProgramSpell`), and which programs are new / continued / dropped / renamed
between successive plans of that one government — never across governments, so an anonymised
part (XX市) is never compared with 郑州. Occurrences come from the linked mentions; a program asked for by name is
also found verbatim in the text (any of its labels), so continuity works before extraction too.

Indicators: the values a target indicator takes across documents and years, with their kind
(baseline / achieved / target), one trajectory per (indicator, government, unit class); who else
set an indicator is the separate table of :func:`indicator_governments`. A target's indicator concept is the one the link stage gave it
(``Mention.canonical``, see :mod:`kg.indicators`); targets of older builds without it are linked
here the same way.
"""
from __future__ import annotations

import bisect
import functools
import re
from collections import defaultdict
from dataclasses import replace
from itertools import pairwise
from typing import Optional

from kg.analysis.align.names import QUOTED_NAME, normalise_name
from kg.analysis.results import (
    Continuity,
    GovernmentValues,
    IndicatorGovernments,
    IndicatorPoint,
    IndicatorTrajectory,
    ProgramChange,
    ProgramOccurrence,
    ProgramOccurrences,
    ProgramSpell,
    ProgramTimeline,
)
from kg.governments import government_of
from kg.indicators import link_indicators, unit_class
from kg.lexicon import DEFAULT_LEXICON
from kg.records import Corpus, Document, DocumentMeta, Mention, Section
from kg.resources import AlignmentSettings, alignment_settings, lexicon
from kg.text import section_at, snippet


RENAMED_ARROW = " → "  # between the old and the new name in ProgramChange.renamed


def _occurrence(doc: Document, sections: list[Section], start: int, end: int, source: str) -> ProgramOccurrence:
    meta, section = doc.meta, section_at(sections, start)
    return ProgramOccurrence(doc_id=doc.doc_id, title=meta.title, issuer=meta.issuer, level=meta.level,
                             year=meta.year, measure=section.label if section else None, start=start, end=end,
                             text=doc.text[start:end], quote=snippet(doc.text, start, end), source=source,
                             government=government_of(meta).key)


def program_occurrences(corpus: Corpus, program: Optional[str] = None) -> dict[str, ProgramOccurrences]:
    """concept key -> its label, labels and occurrences; ``program`` (a name or concept id) selects one."""
    settings = alignment_settings()
    docs = {d.doc_id: d for d in corpus.documents}
    concepts = {c.concept_id: c for c in corpus.concepts if c.scheme == "programs"}
    programs: dict[str, ProgramOccurrences] = {}

    def entry(key: str, label: str) -> ProgramOccurrences:
        return programs.setdefault(key, ProgramOccurrences(concept=key, label=label, labels={label}))

    mentions = [m for m in corpus.mentions if m.type == "program" and m.doc_id in docs]
    for mention in mentions:
        label = mention.canonical or mention.text
        item = entry(mention.concept or normalise_name(label, settings), label)
        item.labels.add(mention.text)
        item.occurrences.append(_occurrence(docs[mention.doc_id], corpus.sections.get(mention.doc_id, []),
                                               mention.start, mention.end, mention.source or "mention"))
    if not mentions:
        # no extraction yet: “quoted” names are the programs
        for doc in corpus.documents:
            for match in QUOTED_NAME.finditer(doc.match_text):  # traditional script: its simplified form
                item = entry(normalise_name(match.group(1), settings), match.group(1))
                item.occurrences.append(_occurrence(doc, corpus.sections.get(doc.doc_id, []),
                                                    match.start(1), match.end(1), "quoted"))
    for key, concept in concepts.items():
        if key in programs:
            item = programs[key]
            programs[key] = replace(item, label=concept.pref_label,
                                    labels=item.labels | {concept.pref_label, *concept.alt_labels})
    if program is None:
        return programs
    wanted = normalise_name(program, settings)
    chosen = {k: v for k, v in programs.items()
              if k == program or wanted in {normalise_name(label, settings) for label in v.labels}}
    if not chosen:
        chosen = {wanted: ProgramOccurrences(concept=wanted, label=program, labels={program})}
    for item in chosen.values():
        _add_verbatim(item, corpus, settings)
    return chosen


def _add_verbatim(item: ProgramOccurrences, corpus: Corpus, settings: AlignmentSettings) -> None:
    """Add every verbatim occurrence of the program's labels not already found as a mention."""
    seen = {(o.doc_id, o.start) for o in item.occurrences}
    labels = sorted({label for label in item.labels if len(label) >= settings.names.min_chars},
                    key=len, reverse=True)
    for doc in corpus.documents:
        taken: list[tuple[int, int]] = [(o.start, o.end) for o in item.occurrences if o.doc_id == doc.doc_id]
        for label in labels:
            for match in re.finditer(re.escape(label), doc.match_text):
                if (doc.doc_id, match.start()) in seen or any(s <= match.start() < e for s, e in taken):
                    continue
                taken.append((match.start(), match.end()))
                item.occurrences.append(_occurrence(doc, corpus.sections.get(doc.doc_id, []),
                                                    match.start(), match.end(), "verbatim"))


def _program_timeline(item: ProgramOccurrences, corpus_years: list[int]) -> ProgramTimeline:
    occurrences = sorted(item.occurrences, key=lambda o: (o.year or 0, o.doc_id, o.start))
    years = sorted({o.year for o in occurrences if o.year is not None})
    first, last = (years[0], years[-1]) if years else (None, None)
    gaps = [y for y in corpus_years if first is not None and first < y < last and y not in years]
    return ProgramTimeline(
        concept=item.concept, label=item.label, labels=sorted(item.labels),
        documents=list(dict.fromkeys(o.doc_id for o in occurrences)),
        years=years, levels=sorted({o.level for o in occurrences if o.level}),
        first_seen=first, last_seen=last, gaps=gaps, occurrences=occurrences,
    )


@functools.lru_cache(maxsize=1)
def _renamed_min_core_chars() -> int:
    return int(lexicon("alignment.yaml")["continuity_series"]["renamed_min_core_chars"])


@functools.lru_cache(maxsize=1)
def related_concepts() -> frozenset[frozenset[str]]:
    """Pairs of curated program concept ids joined by skos:related (either direction)."""
    import rdflib
    from rdflib.namespace import SKOS

    graph = rdflib.Graph()
    graph.parse(DEFAULT_LEXICON, format="turtle")
    local = lambda node: re.split(r"[/#:]", str(node))[-1]  # as kg.lexicon names them
    return frozenset(frozenset((local(a), local(b))) for a, b in graph.subject_objects(SKOS.related))


def is_variant(old_key: str, old_label: str, new_key: str, new_label: str,
               settings: Optional[AlignmentSettings] = None) -> bool:
    """Whether a dropped program and a new one are one program renamed: curated skos:related, or
    one name's core opens or closes the other's (新优质初中 → 新优质初中培育工程)."""
    return _is_variant(old_key, normalise_name(old_label, settings), new_key, normalise_name(new_label, settings))


def _is_variant(old_key: str, old_core: str, new_key: str, new_core: str) -> bool:
    """is_variant on names already normalised (``normalise_name``)."""
    if frozenset((old_key, new_key)) in related_concepts():
        return True
    shorter, longer = sorted((old_core, new_core), key=len)
    # the core opens or closes the other name (a qualifier added: 郑州市…, …示范校), not just
    # inside it: 学校建设 in the middle of 市属高中阶段学校建设三年行动计划 is another program
    return len(shorter) >= _renamed_min_core_chars() and (longer.startswith(shorter) or longer.endswith(shorter))


def _renamed(dropped: list[str], new: list[str], labels: dict[str, str],
             settings: AlignmentSettings) -> list[tuple[str, str]]:
    """(old key, new key) pairs of renamed programs, each program in at most one pair: for each
    dropped program (by label), the first new one (by label) not yet taken that ``is_variant`` of it."""
    cores = {key: normalise_name(labels[key], settings) for key in (*dropped, *new)}
    candidates = sorted(new, key=lambda k: labels[k])
    position = {key: number for number, key in enumerate(candidates)}
    variants = _VariantIndex([(cores[key], key) for key in candidates], _renamed_min_core_chars())
    related = _related_by_concept()
    pairs, used = [], set()
    for old in sorted(dropped, key=lambda k: labels[k]):
        found = variants.of(cores[old]) | {key for key in related.get(old, ()) if key in position}
        match = min((key for key in found if key not in used), key=position.__getitem__, default=None)
        if match is not None:
            used.add(match)
            pairs.append((old, match))
    return pairs


@functools.lru_cache(maxsize=1)
def _related_by_concept() -> dict[str, frozenset[str]]:
    related: dict[str, set[str]] = defaultdict(set)
    for pair in related_concepts():
        first, second = (*pair, *pair)[:2]  # a concept related to itself is a pair of one
        related[first].add(second)
        related[second].add(first)
    return {key: frozenset(keys) for key, keys in related.items()}


class _VariantIndex:
    """The names of which a core is a variant by ``_is_variant``'s rule (one opens or closes the
    other, the shorter at least ``min_chars`` long), found by lookups instead of comparing a
    dropped name with every new one: the shorter names are its prefixes and suffixes, the
    longer ones those that sort right after it, forwards or backwards."""

    def __init__(self, names: list[tuple[str, str]], min_chars: int):
        self.min_chars = min_chars
        self.by_core: dict[str, list[str]] = defaultdict(list)
        for core, key in names:
            self.by_core[core].append(key)
        self.forwards = sorted(names)
        self.backwards = sorted((core[::-1], key) for core, key in names)

    def of(self, core: str) -> set[str]:
        found: set[str] = set()
        if len(core) < self.min_chars:
            return found
        for length in range(self.min_chars, len(core) + 1):  # shorter names, and an equal one
            found.update(self.by_core.get(core[:length], ()))
            found.update(self.by_core.get(core[-length:], ()))
        for ordered, wanted in ((self.forwards, core), (self.backwards, core[::-1])):  # longer names
            number = bisect.bisect_left(ordered, (wanted,))
            while number < len(ordered) and ordered[number][0].startswith(wanted):
                found.add(ordered[number][1])
                number += 1
        return found


def government_series(corpus: Corpus) -> dict[str, list[DocumentMeta]]:
    """Government key -> its dated documents in time order: the one axis a series runs along."""
    series: dict[str, list[DocumentMeta]] = defaultdict(list)
    for doc in corpus.documents:
        if doc.meta.year is not None:
            series[government_of(doc.meta).key].append(doc.meta)
    for metas in series.values():
        metas.sort(key=lambda m: (m.year, m.doc_id))
    return dict(series)


def program_changes(corpus: Corpus, programs: dict[str, ProgramOccurrences]) -> list[ProgramChange]:
    """New / continued / dropped / renamed programs between successive plans of one government."""
    settings = alignment_settings()
    present: dict[str, set[str]] = defaultdict(set)
    labels = {}
    for key, item in programs.items():
        labels[key] = item.label
        for occurrence in item.occurrences:
            present[occurrence.doc_id].add(key)
    changes = []
    for government, metas in sorted(government_series(corpus).items()):
        for before, after in pairwise(metas):
            if before.year == after.year:
                continue  # two plans of one year: neither follows the other
            old, new = present[before.doc_id], present[after.doc_id]
            renamed = _renamed(sorted(old - new), sorted(new - old), labels, settings)
            gone, came = {o for o, _ in renamed}, {n for _, n in renamed}
            changes.append(ProgramChange(
                group=f"government: {government}", from_doc=before.doc_id, from_year=before.year,
                to_doc=after.doc_id, to_year=after.year,
                new=sorted(labels[k] for k in new - old - came), continued=sorted(labels[k] for k in new & old),
                dropped=sorted(labels[k] for k in old - new - gone),
                renamed=[f"{labels[o]}{RENAMED_ARROW}{labels[n]}" for o, n in renamed], government=government,
            ))
    return changes


def program_spells(corpus: Corpus, programs: dict[str, ProgramOccurrences]) -> list[ProgramSpell]:
    """First and last year each government names each program, with its documents."""
    metas = {d.doc_id: d.meta for d in corpus.documents}
    governments = {d.doc_id: government_of(d.meta) for d in corpus.documents}  # once, not per program
    spells = []
    for key, item in programs.items():
        by_government: dict[str, list[DocumentMeta]] = defaultdict(list)
        for doc_id in dict.fromkeys(o.doc_id for o in item.occurrences):
            by_government[governments[doc_id].key].append(metas[doc_id])
        for government, docs in by_government.items():
            docs.sort(key=lambda m: (m.year or 0, m.doc_id))
            years = [m.year for m in docs if m.year is not None]
            spells.append(ProgramSpell(
                concept=key, label=item.label, government=government,
                government_name=governments[docs[0].doc_id].name,
                first_seen=min(years) if years else None, last_seen=max(years) if years else None,
                documents=[m.doc_id for m in docs]))
    spells.sort(key=lambda s: (s.label, s.government))
    return spells


# ---------------------------------------------------------------- indicators

def indicator_trajectories(corpus: Corpus, mentions: Optional[list[Mention]] = None) -> list[IndicatorTrajectory]:
    """One trajectory per (indicator concept, government, unit class), points in time order."""
    docs = {d.doc_id: d for d in corpus.documents}
    targets = [m for m in (corpus.mentions if mentions is None else mentions)
               if m.type == "target" and m.indicator and m.doc_id in docs]
    unlinked = [m.indicator for m in targets if not m.canonical]
    linked = link_indicators(unlinked) if unlinked else {}
    groups: dict[tuple[str, str, str], list[IndicatorPoint]] = defaultdict(list)
    names: dict[str, str] = {}
    governments = {doc_id: government_of(doc.meta) for doc_id, doc in docs.items()}  # once, not per target
    for mention in targets:
        doc = docs[mention.doc_id]
        government = governments[mention.doc_id]
        names[government.key] = government.name
        key = (mention.canonical or linked[mention.indicator], government.key, unit_class(mention.unit))
        groups[key].append(IndicatorPoint(
            doc_id=doc.doc_id, title=doc.meta.title, level=doc.meta.level,
            doc_year=doc.meta.year, year=mention.year, indicator=mention.indicator,
            value=mention.value, unit=mention.unit, comparator=mention.comparator, kind=mention.kind,
            measure=mention.measure, start=mention.start, end=mention.end,
            quote=snippet(doc.text, mention.start, mention.end),
        ))
    trajectories = []
    for (name, government, unit_kind), points in groups.items():
        points.sort(key=lambda p: (p.year or p.doc_year or 0, p.doc_id, p.start))
        trajectories.append(IndicatorTrajectory(indicator=name, names=sorted({p.indicator for p in points}),
                                                documents=list(dict.fromkeys(p.doc_id for p in points)),
                                                points=points, government=government,
                                                government_name=names[government], unit_class=unit_kind))
    # indicators followed across documents first: those are the trajectories worth reading
    trajectories.sort(key=lambda t: (-len(t.documents), -len(t.points), t.indicator, t.government or "",
                                     t.unit_class))
    return trajectories


def _value(point: IndicatorPoint) -> str:
    year = point.year or point.doc_year
    return f"{point.value or '?'}{point.unit or ''} ({year or '?'}, {point.kind or '?'})"


def indicator_governments(corpus: Corpus, trajectories: Optional[list[IndicatorTrajectory]] = None,
                          min_governments: int = 2) -> list[IndicatorGovernments]:
    """Who else set this indicator: each indicator (per unit class) set by ``min_governments`` or
    more governments, each government's values side by side. A comparison, not a trajectory."""
    trajectories = indicator_trajectories(corpus) if trajectories is None else trajectories
    grouped: dict[tuple[str, str], list[IndicatorTrajectory]] = defaultdict(list)
    for trajectory in trajectories:
        grouped[(trajectory.indicator, trajectory.unit_class)].append(trajectory)
    table = []
    for (indicator, unit_kind), items in grouped.items():
        if len(items) < min_governments:
            continue
        table.append(IndicatorGovernments(indicator=indicator, unit_class=unit_kind, governments=[
            GovernmentValues(government=t.government or "", government_name=t.government_name or "",
                             documents=t.documents, values=[_value(p) for p in t.points], points=t.points)
            for t in sorted(items, key=lambda t: t.government or "")]))
    table.sort(key=lambda row: (-len(row.governments), row.indicator, row.unit_class))
    return table


def continuity(corpus: Corpus, program: Optional[str] = None) -> Continuity:
    """Programs (timelines, per-government spells, changes between successive plans of one
    government) and indicator trajectories (one government each) with the cross-government table.

    ``program`` (a name or concept id) restricts programs to that one, and indicators to those
    stated in measures where it appears.
    """
    programs = program_occurrences(corpus, program)
    corpus_years = sorted({d.meta.year for d in corpus.documents if d.meta.year is not None})
    timelines = sorted((_program_timeline(item, corpus_years) for item in programs.values()),
                       key=lambda t: (-len(t.documents), t.first_seen or 0, t.label))
    indicators = indicator_trajectories(corpus)
    if program is not None:
        places = {(o.doc_id, o.measure) for t in timelines for o in t.occurrences}
        indicators = [t for t in indicators if any((p.doc_id, p.measure) in places for p in t.points)]
    return Continuity(program=program, programs=timelines,
                      changes=[] if program else program_changes(corpus, programs), indicators=indicators,
                      spells=program_spells(corpus, programs),
                      indicator_governments=indicator_governments(corpus, indicators))
