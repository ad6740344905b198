"""Continuity of programs and target indicators across documents and years.

Programs: where each program concept appears (documents, years, levels), first and last seen,
gap years, and which programs are new / continued / dropped between successive documents of one
issuer (or one level). Occurrences come from the linked mentions; a program asked for by name is
also found verbatim in the text (any of its labels), so continuity works before extraction too.

Indicators: the values a target indicator takes across documents and years, with their kind
(baseline / achieved / target). A target's indicator concept is the one the link stage gave it
(``Mention.canonical``, see :mod:`kg.indicators`); targets of older builds without it are linked
here the same way.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import replace
from typing import Optional

from kg.analysis.align.names import QUOTED_NAME, normalise_name
from kg.analysis.results import (
    Continuity,
    IndicatorPoint,
    IndicatorTrajectory,
    ProgramChange,
    ProgramOccurrence,
    ProgramOccurrences,
    ProgramTimeline,
)
from kg.indicators import link_indicators
from kg.records import Corpus, Document, Mention, Section
from kg.resources import AlignmentSettings, alignment_settings
from kg.text import section_at, snippet


def _occurrence(doc: Document, sections: list[Section], start: int, end: int, source: str) -> ProgramOccurrence:
    meta, section = doc.meta, section_at(sections, start)
    return ProgramOccurrence(doc_id=doc.doc_id, title=meta.title, issuer=meta.issuer, level=meta.level,
                             year=meta.year, measure=section.label if section else None, start=start, end=end,
                             text=doc.text[start:end], quote=snippet(doc.text, start, end), source=source)


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


def program_changes(corpus: Corpus, programs: dict[str, ProgramOccurrences]) -> list[ProgramChange]:
    """New / continued / dropped programs between successive documents of one issuer or level."""
    present: dict[str, set[str]] = defaultdict(set)
    labels = {}
    for key, item in programs.items():
        labels[key] = item.label
        for occurrence in item.occurrences:
            present[occurrence.doc_id].add(key)
    groups: dict[str, list] = defaultdict(list)
    for doc in corpus.documents:
        if doc.meta.year is None:
            continue
        if doc.meta.issuer:
            groups[f"issuer: {doc.meta.issuer}"].append(doc.meta)
        groups[f"level: {doc.meta.level}"].append(doc.meta)
    changes, seen_pairs = [], set()
    for group, metas in sorted(groups.items()):
        metas.sort(key=lambda m: (m.year, m.doc_id))
        for before, after in zip(metas, metas[1:]):
            if (before.doc_id, after.doc_id) in seen_pairs or before.year == after.year:
                continue
            seen_pairs.add((before.doc_id, after.doc_id))
            old, new = present[before.doc_id], present[after.doc_id]
            changes.append(ProgramChange(
                group=group, from_doc=before.doc_id, from_year=before.year,
                to_doc=after.doc_id, to_year=after.year,
                new=sorted(labels[k] for k in new - old), continued=sorted(labels[k] for k in new & old),
                dropped=sorted(labels[k] for k in old - new),
            ))
    return changes


# ---------------------------------------------------------------- indicators

def indicator_trajectories(corpus: Corpus, mentions: Optional[list[Mention]] = None) -> list[IndicatorTrajectory]:
    docs = {d.doc_id: d for d in corpus.documents}
    targets = [m for m in (corpus.mentions if mentions is None else mentions)
               if m.type == "target" and m.indicator and m.doc_id in docs]
    unlinked = [m.indicator for m in targets if not m.canonical]
    linked = link_indicators(unlinked) if unlinked else {}
    groups: dict[str, list[IndicatorPoint]] = defaultdict(list)
    for mention in targets:
        doc = docs[mention.doc_id]
        groups[mention.canonical or linked[mention.indicator]].append(IndicatorPoint(
            doc_id=doc.doc_id, title=doc.meta.title, level=doc.meta.level,
            doc_year=doc.meta.year, year=mention.year, indicator=mention.indicator,
            value=mention.value, unit=mention.unit, comparator=mention.comparator, kind=mention.kind,
            measure=mention.measure, start=mention.start, end=mention.end,
            quote=snippet(doc.text, mention.start, mention.end),
        ))
    trajectories = []
    for name, points in groups.items():
        points.sort(key=lambda p: (p.year or p.doc_year or 0, p.doc_id, p.start))
        trajectories.append(IndicatorTrajectory(indicator=name, names=sorted({p.indicator for p in points}),
                                                documents=list(dict.fromkeys(p.doc_id for p in points)),
                                                points=points))
    # indicators followed across documents first: those are the trajectories worth reading
    trajectories.sort(key=lambda t: (-len(t.documents), -len(t.points), t.indicator))
    return trajectories


def continuity(corpus: Corpus, program: Optional[str] = None) -> Continuity:
    """Programs (timelines and changes between successive documents) and indicator trajectories.

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
                      changes=[] if program else program_changes(corpus, programs), indicators=indicators)
