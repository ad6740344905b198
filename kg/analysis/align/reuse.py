"""Reuse, refinement and coverage analytics of aligned documents.

Per lower document: how much of its measure text is copied verbatim from its upper documents
(containment, not Jaccard), what each measure adds of its own, and how much of each upper
document some measure takes up.
"""
from __future__ import annotations

import bisect
import re
from collections import Counter, OrderedDict, defaultdict
from dataclasses import dataclass
from typing import Iterable, Optional

from kg.analysis.align.heap import collect_cycles_later
from kg.analysis.align.names import QUOTED_NAME, attach_names, normalise_name
from kg.analysis.align.units import Unit, alignable_units, measure_units, plain_text
from kg.analysis.align.verbatim import seed_index, seed_starts, seed_windows, verbatim_spans
from kg.analysis.results import CopiedSpan, DocumentReuse, MeasureReuse, Refinements
from kg.records import Alignment, Corpus, Mention
from kg.resources import AlignmentSettings, alignment_settings


def _union_length(spans: Iterable[tuple[int, int]]) -> int:
    total, cursor = 0, -1
    for start, end in sorted(spans):
        if end > cursor:
            total += end - max(start, cursor)
            cursor = end
    return total


def refinements(text: str, offset: int, copied: list[tuple[int, int]], mentions: list[Mention],
                upper_names: set[str], settings: AlignmentSettings, upper_plain: str = "") -> Refinements:
    """What a lower measure adds of its own: numbers, local programs (named nowhere upstream),
    deadlines and responsible units, outside the stretches it copied."""
    ref = settings.refinement

    def local(name: str) -> bool:
        key = normalise_name(name, settings)
        return key not in upper_names and key not in upper_plain

    def own(start: int, end: int) -> bool:
        return not any(s <= offset + start and offset + end <= e for s, e in copied)

    numbers = [m.group() for m in re.finditer(ref.number_pattern, text) if own(m.start(), m.end())]
    deadlines = [m.group() for m in re.finditer(ref.deadline_pattern, text) if own(m.start(), m.end())]
    programs, units = [], []
    for mention in mentions:
        if mention.type == "program" and local(mention.canonical or mention.text):
            programs.append(mention.canonical or mention.text)
        elif mention.type == "organization":
            units.append(mention.text)
        elif mention.type == "target" and mention.value:
            numbers.append(mention.text)
    if not any(m.type == "program" for m in mentions):
        programs = [m.group(1) for m in QUOTED_NAME.finditer(text) if local(m.group(1))]
    dedupe = lambda items: list(dict.fromkeys(items))  # noqa: E731 - keep first-seen order
    return Refinements(numbers=dedupe(numbers), programs=dedupe(programs), deadlines=dedupe(deadlines),
                       units=dedupe(units))


@dataclass
class _UpperDocument:
    """What every lower document aligned with one upper document reads of it, made once."""

    text: str  # the matching text
    seeds: dict[str, list[int]]  # its seed_index
    units: list[Unit]  # alignable passages, reviews left out, names attached
    names: set[str]  # the names of those passages
    plain: str  # plain_text of the matching text


class _UpperDocuments:
    """Upper documents read on first use; the most recent few kept (``reuse_summary`` takes the
    lower documents in the order of their upper documents, so each is read about once), so memory
    stays bounded: a seed table is many times the size of its text."""

    def __init__(self, corpus: Corpus, mentions_by_doc: dict[str, list[Mention]], settings: AlignmentSettings,
                 keep: int = 16):
        self.corpus, self.mentions_by_doc, self.settings, self.keep = corpus, mentions_by_doc, settings, keep
        self.cache: OrderedDict[str, _UpperDocument] = OrderedDict()

    def __getitem__(self, doc_id: str) -> _UpperDocument:
        if doc_id in self.cache:
            self.cache.move_to_end(doc_id)
            return self.cache[doc_id]
        document = self.corpus.document(doc_id)
        text = document.match_text
        # reviews of past achievements are no candidates, so no share of what can be taken up
        units = [x for x in alignable_units(document, self.corpus.sections.get(doc_id, []), self.settings)
                 if not x.retrospective]
        attach_names(units, self.mentions_by_doc.get(doc_id, []), self.settings)
        upper = _UpperDocument(text=text, seeds=seed_index(text, self.settings.reuse.seed_chars), units=units,
                               names={k for unit in units for k in unit.names}, plain=plain_text(text))
        self.cache[doc_id] = upper
        if len(self.cache) > self.keep:
            self.cache.popitem(last=False)
        return upper


class _MentionsByStart:
    """One document's mentions, found by offset: those starting inside a unit, in their own order,
    without scanning the whole document for every unit."""

    def __init__(self, mentions: list[Mention]):
        self.mentions = mentions
        self.order = sorted(range(len(mentions)), key=lambda n: mentions[n].start)
        self.starts = [mentions[n].start for n in self.order]

    def inside(self, unit: Unit) -> list[Mention]:
        found = {self.order[k] for start, end in unit.pieces
                 for k in range(bisect.bisect_left(self.starts, start), bisect.bisect_left(self.starts, end))}
        return [self.mentions[n] for n in sorted(found)]


@collect_cycles_later
def reuse_summary(corpus: Corpus, alignments: Optional[list[Alignment]] = None,
                  settings: Optional[AlignmentSettings] = None) -> dict[str, DocumentReuse]:
    """Per lower document: verbatim reuse (share of its measure text copied from any of its upper
    documents; containment, not Jaccard), what each measure adds, coverage of each upper document
    (share of its alignable passages some measure takes up), local-only share, top shared programs.
    Alignments with later context (``period == "later"``) are left out."""
    settings = settings or alignment_settings()
    alignments = corpus.alignments if alignments is None else alignments
    by_lower: dict[str, list[Alignment]] = defaultdict(list)
    for alignment in alignments:
        # later context is no taking-up: a lower text cannot copy from or cover a later one
        if alignment.period != "later":
            by_lower[alignment.lower_doc].append(alignment)
    # mentions grouped by document once, in corpus order (what a scan of corpus.mentions would give)
    mentions_by_doc: dict[str, list[Mention]] = defaultdict(list)
    for mention in corpus.mentions:
        mentions_by_doc[mention.doc_id].append(mention)
    upper_documents = _UpperDocuments(corpus, mentions_by_doc, settings)
    upper_ids = {doc_id: sorted({a.upper_doc for a in rows if a.upper_doc}) for doc_id, rows in by_lower.items()}
    summary: dict[str, DocumentReuse] = {}
    # lower documents with the same upper documents one after another, so that each upper
    # document is read about once however small the cache; reported in the alignments' order
    for doc_id in sorted(by_lower, key=lambda d: upper_ids[d]):
        summary[doc_id] = _document_reuse(corpus, doc_id, by_lower[doc_id],
                                          {u: upper_documents[u] for u in upper_ids[doc_id]},
                                          mentions_by_doc, settings)
    return {doc_id: summary[doc_id] for doc_id in by_lower}


def _document_reuse(corpus: Corpus, doc_id: str, rows: list[Alignment], uppers: dict[str, _UpperDocument],
                    mentions_by_doc: dict[str, list[Mention]], settings: AlignmentSettings) -> DocumentReuse:
    """The reuse summary of one lower document (``rows``: its alignments, later context left out)."""
    reuse = settings.reuse
    document = corpus.document(doc_id)
    upper_names: set[str] = set()
    for upper in uppers.values():
        upper_names |= upper.names
    upper_plain = "".join(upper.plain for upper in uppers.values())
    doc_mentions = _MentionsByStart(mentions_by_doc.get(doc_id, []))
    local_measures = {a.lower_measure for a in rows if a.local_only}
    measures, copied_total, length_total = [], 0, 0
    for unit in measure_units(document, corpus.sections.get(doc_id, []), settings):
        spans = []
        windows = seed_windows(unit.text, reuse.seed_chars)  # cut once, looked up in every upper text
        for upper_doc, upper in uppers.items():
            starts = seed_starts(unit.text, upper.seeds, reuse.seed_chars, windows)
            for ls, le, us, ue in verbatim_spans(unit.text, upper.text, reuse.seed_chars,
                                                 reuse.min_chars, upper.seeds, starts=starts):
                spans.append((unit.doc_offset(ls), unit.doc_offset(ls) + le - ls, upper_doc, us, ue))
        copied = [(s, e) for s, e, *_ in spans]
        length = len(unit.text)
        copied_len = _union_length(copied)
        copied_total, length_total = copied_total + copied_len, length_total + length
        inside = doc_mentions.inside(unit)
        measures.append(MeasureReuse(
            measure=unit.label, title=unit.title, reuse=round(copied_len / max(1, length), 4),
            copied=[CopiedSpan(lower_start=s, lower_end=e, upper_doc=u, upper_start=us, upper_end=ue,
                               text=document.text[s:e]) for s, e, u, us, ue in spans],
            local_only=unit.label in local_measures,
            refinements=refinements(unit.text, unit.pieces[0][0], copied, inside, upper_names,
                                    settings, upper_plain),
        ))
    taken = {(a.upper_doc, a.upper_measure) for a in rows if not a.local_only}
    coverage = {u: round(sum((u, x.label) in taken for x in upper.units) / max(1, len(upper.units)), 4)
                for u, upper in uppers.items()}
    programs = Counter(p for a in rows for p in a.shared_programs)
    return DocumentReuse(
        measures=measures,
        reuse=round(copied_total / max(1, length_total), 4),
        coverage=coverage,
        local_share=round(sum(m.local_only for m in measures) / max(1, len(measures)), 4),
        direct_share=round(len({a.lower_measure for a in rows if a.strength == "direct"}) / max(1, len(measures)), 4),
        top_programs=programs.most_common(10),
    )
