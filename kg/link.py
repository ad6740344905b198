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
from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Iterable, Optional


from jieba import posseg

from kg import places
from kg.components.programs import head_noun_programs, is_generic, program_patterns
from kg.indicators import link_targets
from kg.lexicon import Lexicon, concept_id, generic_trailing, load_lexicon, merge_key, strip_generic
from kg.governments import (
    Government, ScopedName, government_body, government_of, organization_name, scope_settings,
)
from kg.records import Concept, Corpus, DocumentMeta, Mention, Organization
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
    pattern = longest_name_pattern(names) if names else None
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


def longest_name_pattern(names: Iterable[str]) -> re.Pattern:
    """A pattern matching, at each position, the longest of ``names`` that starts there: what the
    alternation of the names longest first matches, as a trie (郑州(?:市(?:教育局)?)?...), so a
    position is tried against the names sharing its first characters only, not against every
    name of the corpus (the alternation grew with the corpus: quadratic)."""
    trie: dict = {}
    for name in names:
        node = trie
        for char in name:
            node = node.setdefault(char, {})
        node[""] = {}  # a name ends here

    def branch(node: dict) -> str:
        ends = "" in node
        # a longer continuation is tried first; the name ending here only when none matches
        choices = [re.escape(char) + branch(child) for char, child in sorted(node.items()) if char]
        if not choices:
            return ""
        body = choices[0] if len(choices) == 1 else "(?:" + "|".join(choices) + ")"
        return f"(?:{body})?" if ends else body

    return re.compile(branch(trie))


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

    keys, scopes = _concept_keys(mentions, canonicals, lexicon)
    groups: dict[str, list[Mention]] = {}
    curated_by_key: dict[str, Concept] = {}
    for mention in mentions:
        if mention.type != "program":
            continue
        key, curated = keys[id(mention)]
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
    concepts = _with_broader(concepts)

    out = []
    for mention in mentions:
        if mention.type == "program":
            pref, cid = linked[id(mention)]
            mention = replace(mention, canonical=pref, concept=cid, scope=scopes.get(id(mention)))
        elif mention.type == "organization" and mention.canonical is None:
            mention = replace(mention, canonical=normalise_name(mention.matching))
        out.append(mention)
    out, indicator_concepts = link_targets(out)
    return out, concepts + indicator_concepts


@dataclass(frozen=True)
class ConceptRelationSettings:
    """``concept_relations`` of ``ontology/lexicon/program_patterns.yaml``."""

    same_thing_suffixes: tuple[str, ...]
    min_placeless_chars: int
    narrower_min_chars: tuple[int, int]  # the shorter name, the addition


@functools.lru_cache(maxsize=1)
def concept_relation_settings() -> ConceptRelationSettings:
    settings = load_yaml("program_patterns.yaml")["concept_relations"]
    return ConceptRelationSettings(tuple(settings["same_thing_suffixes"]), int(settings["min_placeless_chars"]),
                                   tuple(settings["narrower_min_chars"]))


def _concept_keys(mentions: list[Mention], canonicals: dict[int, str], lexicon: Lexicon
                  ) -> tuple[dict[int, tuple[str, Optional[Concept]]], dict[int, str]]:
    """The concept key of each program mention (and its curated concept), and the place a
    place-prefixed name was scoped to (郑州市乡村教师支持计划 -> 乡村教师支持计划, 郑州市).

    A name joins a shorter concept only when that concept exists on its own — curated, or found
    elsewhere under that name — so a local program nobody else names keeps its own concept."""
    settings = concept_relation_settings()

    def key_of(name: str) -> tuple[str, Optional[Concept]]:
        curated = lexicon.lookup(name)
        return (curated.concept_id if curated else merge_key(name)), curated

    keys = {id(m): key_of(canonicals[id(m)]) for m in mentions if m.type == "program"}
    known = {key for key, _ in keys.values()}

    def existing(name: str) -> Optional[tuple[str, Optional[Concept]]]:
        found = key_of(name)
        return found if found[1] is not None or found[0] in known else None

    scopes: dict[int, str] = {}
    for mention in mentions:
        if mention.type != "program":
            continue
        name = canonicals[id(mention)]
        placed = places.leading_place_chars(name)
        if placed and len(name) - placed >= settings.min_placeless_chars:
            general = existing(name[placed:])
            if general is not None:
                keys[id(mention)] = general
                scopes[id(mention)] = places.region_of(name[:placed]) or name[:placed]
                name = name[placed:]
        for suffix in settings.same_thing_suffixes:
            if name.endswith(suffix) and len(name) - len(suffix) >= 2:
                same = existing(name[: -len(suffix)])
                if same is not None:
                    keys[id(mention)] = same
                break
    return keys, scopes


def _with_broader(concepts: list[Concept]) -> list[Concept]:
    """Each concept with the longest other concept its name begins with as ``broader``
    (校园足球特色学校 -> 校园足球): a part or a kind of that program."""
    shortest, addition = concept_relation_settings().narrower_min_chars
    by_label: dict[str, str] = {}
    for concept in concepts:
        for label in [concept.pref_label, *concept.alt_labels]:
            by_label.setdefault(normalise_name(label), concept.concept_id)
    out = []
    for concept in concepts:
        label = normalise_name(concept.pref_label)
        broader = next((by_label[label[:size]] for size in range(len(label) - addition, shortest - 1, -1)
                        if by_label.get(label[:size], concept.concept_id) != concept.concept_id), None)
        out.append(replace(concept, broader=[broader]) if broader else concept)
    return out


# ------------------------------------------------------------------ organizations

def _home_region(label: str) -> Optional[str]:
    """The region an organization's full name places it in, as a government key (郑州市惠济区,
    河南省); None for a name that names no place (a national organ)."""
    rest = label.removeprefix(next((p for p in scope_settings().prefixes if label.startswith(p)), ""))
    placed = places.leading_place_chars(rest)
    chain = places.region_chain(rest[:placed]) if placed else ()
    return "".join(p.name for p in chain if p.level != "province") or (chain[0].name if chain else None)


class _Organizations:
    """Organization records by key, filled while mentions are read."""

    def __init__(self):
        self.records: dict[str, Organization] = {}
        self.types: dict[str, list[str]] = defaultdict(list)

    def add(self, scoped: ScopedName, government: Government, printed: str, org_type: Optional[str] = None,
            parent: Optional[str] = None) -> str:
        key = scoped.key(government)
        record = self.records.get(key)
        if record is None:
            home = government.key if scoped.scoped else _home_region(scoped.label)
            record = self.records[key] = Organization(key=key, label=scoped.label, government=home)
        if printed != record.label and printed not in record.alt_labels:
            record.alt_labels.append(printed)
        if org_type:
            self.types[key].append(org_type)
        if parent and record.parent is None and parent != key:
            record.parent = parent
        return key

    def department_of(self, scoped: ScopedName, government: Government, org_type: Optional[str]) -> Optional[str]:
        """The people's government a department belongs to (郑州市教育局 -> 郑州市人民政府)."""
        settings = scope_settings()
        if org_type not in settings.department_types or scoped.label.endswith(("政府", settings.government_body)):
            return None
        if scoped.scoped:
            body = government_body(government)
        else:
            region = places.region_of(scoped.label)
            if not region or not scoped.label.startswith(region):
                return None
            body = ScopedName(region + settings.government_body, False)
        if body is None:
            return None
        return self.add(body, government, body.label, "government")

    def finished(self) -> list[Organization]:
        out = []
        for key, record in sorted(self.records.items()):
            kinds = self.types.get(key)
            org_type = max(sorted(set(kinds)), key=kinds.count) if kinds else record.org_type
            out.append(replace(record, org_type=org_type, alt_labels=sorted(record.alt_labels)))
        return out


def link_organizations(mentions: list[Mention], metas: Iterable[DocumentMeta]
                       ) -> tuple[list[Mention], list[Organization]]:
    """Organization mentions resolved within their document's government, and one Organization
    per key: 市教育局 in a Zhengzhou plan is 郑州市教育局 (the printed form kept as an alt label and
    in the mention's text), another city's 市教育局 another node, a masked city's (XX市教育局)
    known only within its part. Sections hang off their body and departments off their people's
    government (org:subOrganizationOf); issuers are organizations too. Masked places (XX县) get
    their part as ``scope`` the same way."""
    metas = list(metas)
    governments = {meta.doc_id: government_of(meta) for meta in metas}
    registry = _Organizations()
    for meta in metas:
        government = governments[meta.doc_id]
        for printed in [meta.issuer, *meta.co_issuers] if meta.issuer else meta.co_issuers:
            name = normalise_name(printed)
            registry.add(organization_name(name, government), government, name)
    out = []
    for mention in mentions:
        if mention.type not in ("place", "organization"):
            out.append(mention)
            continue
        government = governments.get(mention.doc_id) or government_of(DocumentMeta(doc_id=mention.doc_id))
        if mention.type == "place":
            if places.is_anonymised(mention.canonical or mention.text):
                mention = replace(mention, scope=government.key)  # XX县 of this part is no other part's XX县
            out.append(mention)
            continue
        name = mention.canonical or normalise_name(mention.matching)
        scoped = organization_name(name, government, mention.subtype)
        parent = None
        if mention.parent:
            body = organization_name(normalise_name(mention.parent), government, "government")
            parent = registry.add(body, government, normalise_name(mention.parent), "government",
                                  registry.department_of(body, government, "government"))
        else:
            parent = registry.department_of(scoped, government, mention.subtype)
        key = registry.add(scoped, government, normalise_name(mention.text), mention.subtype, parent)
        out.append(replace(mention, canonical=scoped.label, concept=key,
                           scope=government.key if scoped.scoped else None))
    return out, registry.finished()
