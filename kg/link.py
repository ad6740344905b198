"""Concept linking: program mentions -> SKOS concepts (curated lexicon + discovered names).

A program's canonical name is its core name: no quotation marks, no spaces, no generic trailing
word the texts add or drop (“县管校聘”改革 -> 县管校聘), and only what is inside the quotes when
a qualifier precedes them (义务教育“双减” -> 双减). Variant names become one concept.
Target indicators are linked here too (:mod:`kg.indicators`), once for every later stage.
"""
from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass, replace
from typing import Optional


from jieba import posseg

from kg.components.programs import head_noun_programs, is_generic, program_patterns
from kg.indicators import link_targets
from kg.lexicon import Lexicon, concept_id, generic_trailing, load_lexicon, merge_key, strip_generic
from kg.records import Concept, Corpus, Mention
from kg.resources import lexicon as load_yaml
from kg.text import BOOK_TITLE, CLOSING_QUOTES, QUOTED, SectionIndex, normalise_name, sentence_around, sentence_bounds



@functools.lru_cache(maxsize=1)
def entity_heads() -> tuple[str, ...]:
    """Head nouns that make a quoted name plus its head a thing of its own (训练营, 平台)."""
    heads = load_yaml("program_patterns.yaml")["heads"]
    return tuple(h for h in heads if h not in generic_trailing())


@dataclass(frozen=True)
class PropagationSettings:
    """``corpus_repetition`` of ``ontology/lexicon/program_patterns.yaml``."""

    sources: frozenset[str]  # extraction sources whose names are looked for again
    min_chars: int
    min_documents: int  # a name is confirmed by this many documents ...
    min_mentions: int  # ... or this many mentions


@functools.lru_cache(maxsize=1)
def propagation_settings() -> PropagationSettings:
    settings = dict(load_yaml("program_patterns.yaml")["corpus_repetition"])
    return PropagationSettings(**{**settings, "sources": frozenset(settings["sources"])})


@dataclass(frozen=True)
class LearningSettings:
    """``corpus_learning`` of ``ontology/lexicon/program_patterns.yaml``."""

    confident_sources: frozenset[str]  # a name from these is looked for again even if seen once
    head_sources: frozenset[str]  # names whose final word may become a head
    min_head_chars: int
    max_head_chars: int
    min_names: int  # a final word ending this many distinct names becomes a head
    head_pos: tuple[str, ...]  # jieba part-of-speech tags (prefixes) a learned head carries
    min_core_chars: int  # characters a name has before its final word
    min_name_share: float  # share of the word's occurrences in the corpus that end a found name
    other_documents_only: bool  # a name seen once is looked for in the other documents only


@functools.lru_cache(maxsize=1)
def learning_settings() -> LearningSettings:
    settings = dict(load_yaml("program_patterns.yaml")["corpus_learning"])
    return LearningSettings(**{
        **settings, "confident_sources": frozenset(settings["confident_sources"]),
        "head_sources": frozenset(settings["head_sources"]), "head_pos": tuple(settings["head_pos"]),
    })


def learned_heads(mentions: list[Mention], texts: dict[str, str],
                  lexicon: Optional[Lexicon] = None) -> dict[str, Optional[str]]:
    """Head nouns learned from the corpus being built: the final word (a noun of 2–4 characters,
    by jieba) shared by at least ``min_names`` distinct names found with confidence (quoted,
    head-noun, curated: 教育联合体 and 城乡联合体 -> 联合体). Known heads, generic trailing words and
    generic cores are not learned, nor a word most of whose occurrences in ``texts`` (doc id ->
    matched text) end no found name (标准, 校园: ordinary words that happen to end two names).
    Deterministic: the result depends on the names and the texts only.
    Returns head -> the kind most of its names carry (None when they carry none)."""
    lexicon = lexicon if lexicon is not None else load_lexicon()
    settings = learning_settings()
    config = program_patterns()
    excluded = set(config["heads"]) | set(generic_trailing()) | set(config["generic_cores"])
    kinds_of: dict[str, list[str]] = {}
    for mention in mentions:
        if mention.type == "program" and mention.source in settings.head_sources:
            kinds_of.setdefault(canonical_form(mention.matching, lexicon), []).extend(
                [mention.subtype] if mention.subtype else [])
    names_by_head: dict[str, set[str]] = {}
    for name in sorted(kinds_of):
        if not re.fullmatch(config["name_chars"] + "+", name):
            continue  # a slogan or a list, not one name
        words = list(posseg.cut(name, HMM=False))
        if not words:
            continue
        word, flag = words[-1].word, words[-1].flag
        if not settings.min_head_chars <= len(word) <= settings.max_head_chars or not flag.startswith(settings.head_pos):
            continue
        if len(name) - len(word) < settings.min_core_chars or word in excluded or word.endswith(tuple(config["heads"])):
            continue
        names_by_head.setdefault(word, set()).add(name)
    # where found names end: a mention's end, and inside it each closing quote mark (“…联合体”建设)
    ends = {(m.doc_id, m.end) for m in mentions if m.type == "program"}
    ends |= {(m.doc_id, m.start + i) for m in mentions if m.type == "program"
             for i, char in enumerate(m.text) if char in CLOSING_QUOTES}
    heads: dict[str, Optional[str]] = {}
    for head, names in sorted(names_by_head.items()):
        if len(names) < settings.min_names:
            continue
        places = [(doc_id, match.end()) for doc_id, text in texts.items() for match in re.finditer(re.escape(head), text)]
        if sum(place in ends for place in places) < settings.min_name_share * len(places):
            continue  # the word mostly stands outside names: it is not their head
        kinds = [k for n in sorted(names) for k in kinds_of[n]]
        heads[head] = max(sorted(set(kinds)), key=kinds.count) if kinds else None
    return heads


def canonical_form(surface: str, lexicon: Optional[Lexicon] = None) -> str:
    """The canonical program name of a surface form (see the module docstring)."""
    lexicon = lexicon if lexicon is not None else load_lexicon()
    plain = normalise_name(surface)
    curated = lexicon.lookup(plain)
    if curated is not None:
        return curated.pref_label
    quoted = QUOTED.search(surface)
    if quoted:
        inner = normalise_name(quoted.group(1))
        trailing = strip_generic(normalise_name(surface[quoted.end():]), repeat=True)
        if trailing in generic_trailing() or not trailing.endswith(entity_heads()):
            trailing = ""  # “3+2”人才培养模式 is 3+2; “满天星”训练营 names the camp itself
        name = inner + trailing
        curated = lexicon.lookup(name) or lexicon.lookup(inner)
        if curated is not None and not trailing:
            return curated.pref_label
        return name
    stripped = strip_generic(plain, repeat=False)
    curated = lexicon.lookup(stripped)
    if curated is not None:
        return curated.pref_label
    return plain


def _propagated_names(mentions: list[Mention], lexicon: Lexicon,
                      once: Optional[dict[str, set[str]]] = None) -> dict[str, Optional[str]]:
    """Discovered names worth looking for again elsewhere: each full name, and its core without
    the generic trailing word when the name was quoted or found more than once (集团化办学改革 ->
    集团化办学), since a core alone (质量提升 of 质量提升工程) is usually plain wording."""
    settings = propagation_settings()
    seen: dict[str, list[Mention]] = {}
    for mention in mentions:
        if mention.type == "program" and mention.source in settings.sources:
            seen.setdefault(canonical_form(mention.matching, lexicon), []).append(mention)
    names: dict[str, Optional[str]] = {}
    confident = learning_settings().confident_sources
    for name, found in seen.items():
        kind = next((m.subtype for m in found if m.subtype), None)
        documents = {m.doc_id for m in found}
        if len(documents) < settings.min_documents and len(found) < settings.min_mentions:
            if not any(m.source in confident for m in found) or is_generic(name):
                continue  # seen once, not quoted (or generic wording): the corpus does not confirm it
            if once is not None and learning_settings().other_documents_only:
                for form in {name, merge_key(name)}:
                    once[form] = documents
        for form in {name, merge_key(name)}:
            if len(form) >= settings.min_chars:
                names.setdefault(form, kind)
    return names


def propagate(mentions: list[Mention], corpus: Corpus, lexicon: Optional[Lexicon] = None,
              held_out: Optional[str] = None) -> list[Mention]:
    """The corpus-level pass: program names discovered anywhere in the corpus, found again where a
    document uses them without the quotes or head word that made them recognisable (道德课堂 quoted
    in one plan, plain in another). Returns the new mentions only; occurrences overlapping a program
    mention or inside a 《title》 are skipped. Extraction itself stays per document.

    ``held_out`` (a doc id) learns names and heads from the other documents only and applies them
    to all: the leave-one-document-out evaluation of this corpus-level learning."""
    lexicon = lexicon if lexicon is not None else load_lexicon()
    evidence = [m for m in mentions if m.doc_id != held_out] if held_out else mentions
    once: dict[str, set[str]] = {}  # name seen once -> the document it was seen in
    names = _propagated_names(evidence, lexicon, once)
    heads = learned_heads(evidence, {d.doc_id: d.match_text for d in corpus.documents if d.doc_id != held_out},
                          lexicon)
    if not names and not heads:
        return []
    pattern = re.compile("|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))) if names else None
    taken: dict[str, list[tuple[int, int]]] = {}
    for mention in mentions:
        if mention.type == "program":
            taken.setdefault(mention.doc_id, []).append((mention.start, mention.end))
    found = []
    for document in corpus.documents:
        text = document.match_text  # traditional-script text is matched in its simplified form
        blocked = _Spans(taken.get(document.doc_id, []) + [m.span() for m in BOOK_TITLE.finditer(text)])
        sections = SectionIndex(corpus.sections.get(document.doc_id) or [])
        breaks = sentence_bounds(text)
        candidates = [(m.start(), m.end(), names[m.group(0)], "corpus-repeat")
                      for m in (pattern.finditer(text) if pattern else [])
                      if document.doc_id not in once.get(m.group(0), ())]
        if heads:
            candidates += head_noun_programs(text, heads, rule="learned-head")
        accepted: list[tuple[int, int]] = []
        # a repeated name goes first; a learned-head name only where nothing else was found
        for start, end, kind, rule in sorted(candidates, key=lambda c: (c[3] != "corpus-repeat", c[0], -c[1])):
            if blocked.overlaps(start, end) or any(a < end and start < b for a, b in accepted):
                continue
            accepted.append((start, end))
            section = sections.at(start)
            sentence_start, sentence_end = sentence_around(breaks, len(text), start, end)
            printed = document.text[start:end]
            matched = text[start:end]
            found.append(Mention(
                doc_id=document.doc_id, type="program", text=printed, start=start, end=end,
                measure=section.label if section else None,
                sentence_start=sentence_start, sentence_end=sentence_end, source=rule,
                subtype=kind, match_text=matched if printed != matched else None,
            ))
    return sorted(found, key=lambda m: (m.doc_id, m.start, m.end))


class _Spans:
    """Does [start, end) overlap any of a set of spans? (binary search over a prefix maximum)"""

    def __init__(self, spans: list[tuple[int, int]]):
        spans = sorted(spans)
        self.starts = [a for a, _ in spans]
        self.reach, furthest = [], -1
        for _, b in spans:
            furthest = max(furthest, b)
            self.reach.append(furthest)

    def overlaps(self, start: int, end: int) -> bool:
        before = bisect.bisect_left(self.starts, end)  # spans starting before `end`
        return before > 0 and self.reach[before - 1] > start


def link(mentions: list[Mention], lexicon: Optional[Lexicon] = None, corpus: Optional[Corpus] = None,
         held_out: Optional[str] = None) -> tuple[list[Mention], list[Concept]]:
    """Set ``canonical`` and ``concept`` on program and target mentions; one Concept per program
    concept and per indicator concept (scheme ``indicators``, see :mod:`kg.indicators`).

    Names that differ only by a generic trailing word (校长职级制 / 校长职级制改革) share a concept.
    With ``corpus`` (its documents and sections), the corpus-level pass :func:`propagate` first
    adds the plain occurrences of names discovered elsewhere.
    """
    lexicon = lexicon if lexicon is not None else load_lexicon()
    if corpus is not None:
        extra = propagate(mentions, corpus, lexicon, held_out=held_out)
        mentions = sorted([*mentions, *extra], key=lambda m: (m.doc_id, m.start, m.end, m.type))
    # a coordination (甲和乙工程) carries the name it makes (甲工程) from extraction
    canonicals = {id(m): canonical_form(m.canonical if m.source == "coordinated" and m.canonical else m.matching, lexicon)
                  for m in mentions if m.type == "program"}

    groups: dict[str, list[Mention]] = {}
    curated_by_key: dict[str, Concept] = {}
    for mention in mentions:
        if mention.type != "program":
            continue
        canonical = canonicals[id(mention)]
        curated = lexicon.lookup(canonical)
        key = curated.concept_id if curated else merge_key(canonical)
        if curated:
            curated_by_key[key] = curated
        groups.setdefault(key, []).append(mention)

    concepts: list[Concept] = []
    linked: dict[int, tuple[str, str]] = {}
    for key, members in sorted(groups.items()):
        if key in curated_by_key:
            base = curated_by_key[key]
            pref, cid, kind = base.pref_label, base.concept_id, base.kind
            known = {normalise_name(label) for label in [base.pref_label, *base.alt_labels]}
            extra = sorted({normalise_name(m.text) for m in members} - known)
            concept = replace(base, alt_labels=sorted(set(base.alt_labels) | set(extra)))
        else:
            names = [canonicals[id(m)] for m in members]
            pref = min(set(names), key=lambda n: (len(n), -names.count(n), n))
            cid = concept_id(pref)
            kinds = [m.subtype for m in members if m.subtype]
            kind = max(sorted(set(kinds)), key=kinds.count) if kinds else None
            alts = sorted({normalise_name(m.text) for m in members} - {pref})
            concept = Concept(cid, pref, "programs", alts, kind, False)
        concepts.append(concept)
        for member in members:
            linked[id(member)] = (concept.pref_label, concept.concept_id)

    out = []
    for mention in mentions:
        if mention.type == "program":
            pref, cid = linked[id(mention)]
            mention = replace(mention, canonical=pref, concept=cid)
        elif mention.type == "organization" and mention.canonical is None:
            mention = replace(mention, canonical=normalise_name(mention.matching))
        out.append(mention)
    out, indicator_concepts = link_targets(out)
    return out, concepts + indicator_concepts
