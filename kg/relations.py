"""Text relations of one document: what its measures carry out, which targets are set for which
program and place, who is responsible for a measure, which documents it cites and implements.

Every relation carries the exact span of the sentence, clause or bracket of ``doc.text`` that
states it (``text == doc.text[start:end]``). Rules read the document's matching form (simplified
script, same offsets); their cue words are in ``ontology/lexicon/relations.yaml``.
"""
from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from kg.governments import Government, government_of
from kg.records import Document, Mention, Relation, Section
from kg.resources import lexicon
from kg.text import (
    BOOK_TITLE,
    CLAUSE_SEPARATORS,
    COLONS,
    PARENTHESES,
    QUOTE_MARKS,
    SENTENCE_BREAKS,
    SectionIndex,
    cited_title,
    normalise_name,
)

# a clause ends at a sentence break or a comma; 、 joins the items of one list and does not end it
CLAUSE_ENDS = SENTENCE_BREAKS + "".join(c for c in CLAUSE_SEPARATORS if c not in "、")
# what may stand before a sentence's subject: spaces, an item number (1. （2）), quote marks
NUMBERING = re.compile(rf"[\s\d.．、{re.escape(PARENTHESES + QUOTE_MARKS)}]")
# the bracket of a responsibility list, on one line: （责任单位：A、B） or (牵头单位：A；配合单位：B)
BRACKET = re.compile(r"[（(]([^（）()\n]{2,200})[）)]")


@dataclass(frozen=True)
class Cues:
    """``ontology/lexicon/relations.yaml``, read once."""

    bracket_labels: tuple[tuple[str, str], ...]  # (label, role), longest label first
    verbs: tuple[tuple[str, str], ...]  # (verb, role), longest first
    not_verbs: tuple[str, ...]
    agent_marker: str
    not_agent: tuple[str, ...]
    assisting_verbs: tuple[str, ...]
    list_joiners: tuple[str, ...]
    list_tails: tuple[str, ...]
    item_joiners: tuple[str, ...]
    distributive: tuple[str, ...]
    implementation_cues: tuple[str, ...]
    max_gap: int
    not_documents: frozenset[str]
    own_government: tuple[str, ...]


def _by_length(words: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(words), key=len, reverse=True))


def _roles(mapping: dict[str, list[str]]) -> tuple[tuple[str, str], ...]:
    pairs = [(word, role) for role, words in mapping.items() for word in words]
    return tuple(sorted(pairs, key=lambda pair: len(pair[0]), reverse=True))


@functools.lru_cache(maxsize=1)
def cues() -> Cues:
    data = lexicon("relations.yaml")
    responsibility = data["responsibility"]
    return Cues(
        bracket_labels=_roles(responsibility["bracket_labels"]), verbs=_roles(responsibility["verbs"]),
        not_verbs=_by_length(responsibility["not_verbs"]), agent_marker=responsibility["agent_marker"],
        not_agent=_by_length(responsibility["not_agent"]), assisting_verbs=_by_length(responsibility["assisting_verbs"]),
        list_joiners=_by_length(responsibility["list_joiners"]), list_tails=_by_length(responsibility["list_tails"]),
        item_joiners=_by_length(data["targets"]["item_joiners"]),
        distributive=_by_length(data["targets"]["distributive"]),
        implementation_cues=_by_length(data["implementation"]["cues"]), max_gap=int(data["implementation"]["max_gap"]),
        not_documents=frozenset(data["citation"]["not_documents"]),
        own_government=_by_length(data["places"]["own_government"]),
    )


# ---------------------------------------------------------------- spans

class Spans:
    """Sentence and clause spans of one text (end mark included), and its sections."""

    def __init__(self, doc: Document, sections: list[Section]):
        self.text = doc.match_text
        self.sentence_breaks = [i for i, c in enumerate(self.text) if c in SENTENCE_BREAKS]
        self.clause_breaks = [i for i, c in enumerate(self.text) if c in CLAUSE_ENDS]
        self.index = SectionIndex(sections)
        self.by_label = {s.label: s for s in sections}
        self.has_measures = any(s.is_measure for s in sections)

    @staticmethod
    def _around(breaks: list[int], length: int, start: int, end: int) -> tuple[int, int]:
        i = bisect.bisect_left(breaks, start)
        left = breaks[i - 1] + 1 if i > 0 else 0
        j = bisect.bisect_left(breaks, max(start, end - 1))
        right = breaks[j] + 1 if j < len(breaks) else length
        return left, right

    def sentence(self, start: int, end: int) -> tuple[int, int]:
        return self._around(self.sentence_breaks, len(self.text), start, end)

    def clause(self, start: int, end: int) -> tuple[int, int]:
        return self._around(self.clause_breaks, len(self.text), start, end)

    def measure(self, offset: int) -> Section | None:
        """The innermost measure around ``offset`` (the innermost section if the document has none)."""
        section = self.index.at(offset)
        if not self.has_measures:
            return section
        while section is not None and not section.is_measure:
            section = self.by_label.get(section.parent) if section.parent else None
        return section

    def section_label(self, offset: int) -> str | None:
        section = self.index.at(offset)
        return section.label if section else None


def _sentence_of(mention: Mention, spans: Spans) -> tuple[int, int]:
    if mention.sentence_start is not None and mention.sentence_end is not None:
        return mention.sentence_start, mention.sentence_end
    return spans.sentence(mention.start, mention.end)


def _relation(doc: Document, spans: Spans, span: tuple[int, int], **fields) -> Relation:
    start, end = span
    return Relation(doc_id=doc.doc_id, start=start, end=end, text=doc.text[start:end],
                    measure=spans.section_label(start), **fields)


def _org_key(mention: Mention) -> str:
    return mention.concept or mention.canonical or mention.text


# ---------------------------------------------------------------- carries_out

def carries_out(doc: Document, spans: Spans, programs: list[Mention]) -> list[Relation]:
    """Measure → program, one per (measure, concept), stated by the sentence of the first mention."""
    seen: set[tuple[str, str]] = set()
    found = []
    for mention in sorted(programs, key=lambda m: m.start):
        section = spans.measure(mention.start)
        if section is None or (section.label, mention.concept) in seen:
            continue
        seen.add((section.label, mention.concept))
        found.append(_relation(doc, spans, _sentence_of(mention, spans), type="carries_out",
                               subject_type="section", subject=section.label, object_type="program",
                               object=mention.concept, source="program-in-measure",
                               subject_label=section.title or section.label,
                               object_label=mention.canonical or mention.text))
    return found


# ---------------------------------------------------------------- sets_target, target_for

def _target_label(target: Mention) -> str:
    return "".join(part for part in (target.indicator, target.value, target.unit) if part) or target.text


def _opens(spans: Spans, sentence: tuple[int, int], mention: Mention) -> bool:
    """The program is the subject of its sentence: nothing but spaces, numbering and quote marks before it."""
    before = spans.text[sentence[0]:mention.start]
    return not NUMBERING.sub("", before)


# A target whose list item ends within this many characters after its value and unit names
# nothing of its own (53项省级、61项市级试点): the program after it is its shared head.
SHARED_HEAD_CHARS = 2


def _item(spans: Spans, clause: tuple[int, int], offset: int) -> tuple[int, int]:
    """The list item of ``clause`` around ``offset``: items are joined by 、 和 及 (创建5所A和2个B)."""
    text = spans.text
    start, end = clause
    for joiner in cues().item_joiners:
        before = text.rfind(joiner, start, offset)
        if before >= 0:
            start = max(start, before + len(joiner))
        after = text.find(joiner, offset, end)
        if after >= 0:
            end = min(end, after)
    return start, end


def _tied_programs(spans: Spans, clause: tuple[int, int], target: Mention,
                   programs: list[Mention]) -> tuple[list[Mention], str]:
    """The programs of the target's clause it is set for, and why: the same list item; every item
    (各15所); the program after a target that names nothing itself (shared head); the program
    opening the clause (its subject)."""
    in_clause = [p for p in programs if clause[0] <= p.start and p.end <= clause[1]]
    if not in_clause:
        return [], ""
    item = _item(spans, clause, target.start)
    lead_in = spans.text[item[0]:target.start]
    if any(word in lead_in for word in cues().distributive):
        return in_clause, "each-item"
    same_item = [p for p in in_clause if p.start < item[1] and p.end > item[0]]
    if same_item:
        return same_item, "same-clause"
    following = [p for p in in_clause if p.start >= target.end]
    if following and len(spans.text[target.end:item[1]].strip()) <= SHARED_HEAD_CHARS:
        return following[:1], "shared-head"
    opener = [p for p in in_clause if p.start < target.start and _opens(spans, clause, p)]
    return (opener[:1], "program-subject") if opener else ([], "")


def sets_target(doc: Document, spans: Spans, programs: list[Mention], targets: list[Mention]) -> list[Relation]:
    """Program → target, when the text ties them: within one comma clause (see :func:`_tied_programs`),
    or the program opens the sentence that sets the target in a later clause (its subject).
    Sharing only a section or a sentence is no tie; neither is another item of the same list."""
    found = []
    for target in targets:
        clause = spans.clause(target.start, target.end)
        sentence = spans.sentence(target.start, target.end)
        tied, source = _tied_programs(spans, clause, target, programs)
        span = clause
        if not tied:
            tied = [p for p in programs if sentence[0] <= p.start < clause[0] and _opens(spans, sentence, p)][:1]
            source, span = "program-subject", sentence
        for program in tied:
            found.append(_relation(doc, spans, span, type="sets_target", subject_type="program",
                                   subject=program.concept, object_type="target",
                                   object=f"{target.start}-{target.end}", source=source,
                                   subject_label=program.canonical or program.text,
                                   object_label=_target_label(target)))
    return found


def _own_place(government: Government) -> tuple[str, str]:
    """The place id and label of the document's own government, as the graph names places: its
    innermost unit (惠济区), or for a masked region ``XX县@<doc id>``, since XX县 of another part is
    another place."""
    if government.anonymised:
        return f"{government.region}@{government.key}", government.name
    place = government.units[-1][1] if government.units else (government.region or government.key)
    return place, government.region or place


def _place_of(mention: Mention, government: Government) -> tuple[str, str]:
    """A place mention as a place: the document's own government where it names it (惠济区 in a
    Huiji plan, XX市 in a masked city's), else the name as printed (a masked one within its part)."""
    name = mention.canonical or mention.text
    innermost = government.units[-1][1] if government.units else None
    if name in (government.region, innermost):
        return _own_place(government)
    return (f"{name}@{mention.scope}" if mention.scope else name), name


def _place_words(spans: Spans, clause: tuple[int, int]) -> list[tuple[int, int]]:
    """Spans of the words meaning the document's own government (全市) in ``clause``."""
    found = []
    for word in cues().own_government:
        for match in re.finditer(re.escape(word), spans.text[clause[0]:clause[1]]):
            found.append((clause[0] + match.start(), clause[0] + match.end()))
    return found


def target_for(doc: Document, spans: Spans, targets: list[Mention], place_mentions: list[Mention],
               government: Government) -> list[Relation]:
    """Target → place: the nearest place named before it in its comma clause (a place mention, or
    全市 meaning the document's own government), else the first after it there, else the
    document's own government (source ``document-government``). The span is the sentence."""
    own = _own_place(government)
    found = []
    for target in targets:
        clause = spans.clause(target.start, target.end)
        candidates = [(m.start, m.end, _place_of(m, government), "place-in-clause") for m in place_mentions
                      if clause[0] <= m.start and m.end <= clause[1]]
        candidates += [(s, e, own, "own-government-word") for s, e in _place_words(spans, clause)]
        before = [c for c in candidates if c[1] <= target.start]
        after = [c for c in candidates if c[0] >= target.end]
        chosen = max(before) if before else min(after) if after else (0, 0, own, "document-government")
        (place, label), source = chosen[2], chosen[3]
        found.append(_relation(doc, spans, spans.sentence(target.start, target.end), type="target_for",
                               subject_type="target", subject=f"{target.start}-{target.end}", object_type="place",
                               object=place, source=source, subject_label=_target_label(target),
                               object_label=label))
    return found


# ---------------------------------------------------------------- responsible_for

def _responsible(doc: Document, spans: Spans, span: tuple[int, int], org: Mention, role: str,
                 source: str) -> Relation | None:
    section = spans.measure(span[0])
    if section is None:
        return None
    return _relation(doc, spans, span, type="responsible_for", subject_type="organization",
                     subject=_org_key(org), object_type="section", object=section.label, role=role,
                     source=source, subject_label=org.canonical or org.text,
                     object_label=section.title or section.label)


def _orgs_in(orgs: list[Mention], start: int, end: int) -> list[Mention]:
    return [m for m in orgs if start <= m.start and m.end <= end]


def bracket_responsibility(doc: Document, spans: Spans, orgs: list[Mention]) -> list[Relation]:
    """（责任单位：A、B） and （牵头单位：A；配合单位：B）: each label's units in its role; the span is the bracket."""
    found = []
    for bracket in BRACKET.finditer(spans.text):
        position = bracket.start(1)
        for part in re.split("[；;]", bracket.group(1)):
            role = next((r for label, r in cues().bracket_labels
                         if part.lstrip().startswith(label) and part.lstrip()[len(label):][:1] in COLONS), None)
            if role is not None:
                for org in _orgs_in(orgs, position, position + len(part)):
                    found.append(_responsible(doc, spans, bracket.span(), org, role, "responsibility-bracket"))
            position += len(part) + 1
    return [r for r in found if r is not None]


def _verb_at(text: str, offset: int) -> tuple[str, str] | None:
    """The role verb starting at ``offset`` (not one of the nouns that begin like one)."""
    if any(text.startswith(word, offset) for word in cues().not_verbs):
        return None
    return next(((verb, role) for verb, role in cues().verbs if text.startswith(verb, offset)), None)


def _skip(text: str, offset: int, words: tuple[str, ...]) -> int:
    """``offset`` past the one of ``words`` (longest first) that starts there, if any."""
    word = next((w for w in words if text.startswith(w, offset)), "")
    return offset + len(word)


def _unit_lists(text: str, orgs: list[Mention]) -> list[tuple[list[Mention], int]]:
    """Runs of organization mentions joined by list words (A、B和C), with the offset after the run
    and its tail (等部门, 共同)."""
    runs: list[tuple[list[Mention], int]] = []
    current: list[Mention] = []
    for org in orgs:
        if current and _skip(text, current[-1].end, cues().list_joiners) == org.start > current[-1].end:
            current.append(org)
            continue
        if current:
            runs.append((current, _skip(text, current[-1].end, cues().list_tails)))
        current = [org]
    if current:
        runs.append((current, _skip(text, current[-1].end, cues().list_tails)))
    return runs


def _agent_before(text: str, offset: int) -> bool:
    """由 directly before ``offset`` and not the start of 由于 / 由此."""
    marker = cues().agent_marker
    start = offset - len(marker)
    return start >= 0 and text.startswith(marker, start) and not any(
        text.startswith(word, start) for word in cues().not_agent)


def _assisted(text: str, offset: int) -> bool:
    """配合 / 协助 directly before ``offset``: the units after it lead the work the author helps with."""
    return any(text.endswith(verb, 0, offset) for verb in cues().assisting_verbs)


def verb_responsibility(doc: Document, spans: Spans, orgs: list[Mention]) -> list[Relation]:
    """A list of units followed by its role verb: A牵头，B、C配合; 由A负责; X督导 — the list right
    before the verb (由 before it is allowed); or a list after 配合 / 协助 (配合A做好…: A leads).
    The span is the clause (up to the comma or sentence end): 由A负责，B配合 is two statements."""
    found = []
    for units, after in _unit_lists(spans.text, orgs):
        verb = _verb_at(spans.text, after)
        if verb is not None:
            source = "by-unit-verb" if _agent_before(spans.text, units[0].start) else "unit-verb"
            role, end = verb[1], after + len(verb[0])
        elif _assisted(spans.text, units[0].start):
            source, role, end = "assisted-units", "lead", after
        else:
            continue
        span = spans.clause(units[0].start, end)
        for org in units:
            found.append(_responsible(doc, spans, span, org, role, source))
    return [r for r in found if r is not None]


# ---------------------------------------------------------------- cites, implements

def _title(mention: Mention) -> str:
    name = mention.canonical or mention.text
    return normalise_name(name.strip("《》"))


def _implementation_cue(spans: Spans, mention: Mention) -> bool:
    """A cue (根据, 贯彻落实, 按照 …) before the title in its clause, at most ``max_gap`` characters
    before it (a 《title》 in between counts as one: 贯彻《A》和《B》)."""
    clause_start = spans.clause(mention.start, mention.end)[0]
    if spans.text[clause_start:mention.start].strip().endswith("、"):
        clause_start = spans.clause(clause_start - 1, clause_start)[0]
    before = BOOK_TITLE.sub("题", spans.text[clause_start:mention.start])
    before = before.removesuffix("《")
    for cue in cues().implementation_cues:
        at = before.rfind(cue)
        if at >= 0 and len(before) - (at + len(cue)) <= cues().max_gap:
            return True
    return False


def citations(doc: Document, spans: Spans, cited: list[Mention],
              corpus_titles: dict[str, str]) -> list[Relation]:
    """Document → cited title, once per title (its first sentence), and document → implemented
    title where a cue stands before it. A title in the corpus is a ``document`` (its id), any other
    a ``work``; the document's own title and periodicals are no citation."""
    own = normalise_name(doc.meta.title or "")
    titles = {normalise_name(title): doc_id for title, doc_id in corpus_titles.items()}
    found, seen = [], set()
    for mention in sorted(cited, key=lambda m: m.start):
        title = _title(mention)
        if not title or title == own or mention.subtype in cues().not_documents:
            continue
        target = titles.get(title)
        # a work is named as the graph names the cited document (kg.text.cited_title)
        kind, obj = (("document", target) if target and target != doc.doc_id
                     else ("work", cited_title(mention.canonical or mention.text)))
        common = {"subject_type": "document", "subject": doc.doc_id, "object_type": kind, "object": obj,
                  "subject_label": doc.meta.title or doc.doc_id, "object_label": title}
        if title not in seen:
            seen.add(title)
            found.append(_relation(doc, spans, _sentence_of(mention, spans), type="cites",
                                   source="title-brackets", **common))
        if _implementation_cue(spans, mention):
            found.append(_relation(doc, spans, spans.sentence(mention.start, mention.end), type="implements",
                                   source="implementation-cue", **common))
    return found


# ---------------------------------------------------------------- the document

def _unique(relations: list[Relation]) -> list[Relation]:
    """One relation per (type, subject, object, role): the first stated; sorted by position."""
    relations = sorted(relations, key=lambda r: (r.doc_id, r.start if r.start is not None else -1, r.type,
                                                 r.subject, r.object, r.role or "", r.end or 0))
    seen, kept = set(), []
    for relation in relations:
        key = (relation.type, relation.subject_type, relation.subject, relation.object_type, relation.object,
               relation.role)
        if key not in seen:
            seen.add(key)
            kept.append(relation)
    return kept


def _outermost(mentions: list[Mention]) -> list[Mention]:
    """Mentions not inside another (市人社局职称处, not also its 市人社局); sorted by start."""
    return [m for m in mentions
            if not any(o is not m and o.start <= m.start and m.end <= o.end and o.end - o.start > m.end - m.start
                       for o in mentions)]


def document_relations(doc: Document, sections: list[Section], mentions: list[Mention],
                       government: Government | None = None,
                       corpus_titles: dict[str, str] | None = None) -> list[Relation]:
    """The text relations of one document from its sections and its linked mentions.

    carries_out (measure → program), sets_target (program → target), target_for (target → place),
    responsible_for (organization → measure, role lead / support / oversight), cites and implements
    (document → document or work). Organizations are the organization mentions of the text: a unit
    listed in a responsibility bracket or sentence that was not extracted as a mention is skipped.
    """
    spans = Spans(doc, sections)
    own = [m for m in mentions if m.doc_id == doc.doc_id]
    by_type: dict[str, list[Mention]] = {}
    for mention in sorted(own, key=lambda m: (m.start, m.end)):
        by_type.setdefault(mention.type, []).append(mention)
    programs = [m for m in by_type.get("program", []) if m.concept]
    targets = [m for m in by_type.get("target", []) if m.kind in (None, "target")]
    orgs = _outermost(by_type.get("organization", []))
    relations = carries_out(doc, spans, programs)
    relations += sets_target(doc, spans, programs, targets)
    relations += target_for(doc, spans, targets, by_type.get("place", []), government or government_of(doc.meta))
    relations += bracket_responsibility(doc, spans, orgs)
    relations += verb_responsibility(doc, spans, orgs)
    relations += citations(doc, spans, by_type.get("cited_document", []), corpus_titles or {})
    return _unique(relations)

