"""Programs: named, trackable policy initiatives.

General signals, plus the curated lexicon when ``use_lexicon`` is on:
- quoted names, “县管校聘”改革 (the quote marks the name; slogans and lists are filtered out);
- head-noun names, 阳光体育工程 / 英才计划 / 选课走班制度, starting after a verb or function word;
  the heads are classes in ``program_patterns.yaml`` (initiatives, events and meetings, contests,
  designations such as 示范县 / 试点城市, numbered codes such as 八项规定);
- quality designations, 平安校园 / 文明单位 (a campaign quality + the unit it is awarded to);
- numeric shorthand, 三提高一规范 (numeral + word, twice);
- coordinations sharing a head, 乡村振兴和城乡融合工程 -> 乡村振兴工程 (the span is the whole
  coordination, the name travels in the mention's ``canonical``).
"""
from __future__ import annotations

import functools
import re
from typing import Optional

from spacy.language import Language
from spacy.tokens import Doc

from kg.components import (
    CLAUSE_BREAK, Gazetteer, after_last_boundary, alternation, doc_text, jieba_segmenter, load_yaml, make_span,
    set_spans,
)
from kg.lexicon import load_lexicon
from kg.text import BOOK_TITLE, CLAUSE_SEPARATORS, LIST_SEPARATORS, double_quoted



QUOTE = double_quoted(1, 40)


@functools.lru_cache(maxsize=1)
def program_patterns() -> dict:
    """``program_patterns.yaml``, with its ``designations`` (quality x unit: 示范县, 试点城市) and
    ``numbered_codes`` (八项规定, 十条禁令) added to ``heads`` (a head listed there keeps its kind)."""
    config = load_yaml("program_patterns.yaml")
    made = {}
    designations = config.get("designations")
    if designations:
        made |= {quality + unit: designations["kind"] for quality in designations["qualities"]
                 for unit in designations["units"]}
    codes = config.get("numbered_codes")
    numbered = {}
    if codes:
        numbered = {numeral + counter + code: codes["kind"] for numeral in codes["numerals"]
                    for counter in codes["counters"] for code in codes["codes"]}
    return {**config, "heads": {**made, **numbered, **config["heads"]},
            "short_core_heads": [*config["core_free_heads"], *numbered]}


@functools.lru_cache(maxsize=1)
def _name_char() -> re.Pattern:
    """One character of a program name (``name_chars``)."""
    return re.compile(program_patterns()["name_chars"])


@functools.lru_cache(maxsize=1)
def _heads() -> re.Pattern:
    return re.compile(alternation(program_patterns()["heads"]))


@functools.lru_cache(maxsize=1)
def _quote_suffix() -> re.Pattern:
    return re.compile(alternation(program_patterns()["quote_suffixes"]))


@functools.lru_cache(maxsize=1)
def _lexicon_gazetteer() -> Gazetteer:
    return Gazetteer(load_lexicon().labels())


def _kind_of(name: str) -> Optional[str]:
    heads = program_patterns()["heads"]
    for head in sorted(heads, key=len, reverse=True):
        if name.endswith(head):
            return heads[head]
    return None


def _inside(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(a <= start and end <= b for a, b in spans)


def quoted_programs(text: str) -> list[tuple[int, int, Optional[str], str]]:
    """(start, end, kind, rule) of quoted names, with a following head word (“三标”活动)."""
    reject = program_patterns()["quote_reject"]
    patterns = [re.compile(p) for p in reject["patterns"]]
    found = []
    for match in QUOTE.finditer(text):
        inner = match.group(1).strip()
        separators = sum(inner.count(mark) for mark in CLAUSE_SEPARATORS)
        if len(inner) < reject["min_chars"] or separators > reject["max_separators"] or len(inner) > reject["max_chars"]:
            continue
        if any(p.search(inner) for p in patterns) or _is_slogan(inner):
            continue
        after = text[match.end():match.end() + 6]
        if any(after.startswith(word) for word in reject["followed_by"]):
            continue
        before = text[max(0, match.start() - 4):match.start()]
        if any(before.endswith(word) for word in reject["preceded_by"]):
            continue
        end = match.end()
        suffix = _quote_suffix().match(text, end)
        if suffix:
            end = suffix.end()
        found.append((match.start(), end, _kind_of(text[match.start():end]), "quoted"))
    return found


def _is_slogan(inner: str) -> bool:
    parts = re.split(f"[{LIST_SEPARATORS}]", inner)
    limit = program_patterns()["quote_reject"]["slogan_part_chars"]
    numerals = program_patterns()["shorthand"]["numerals"]
    return len(parts) > 1 and all(2 <= len(p) <= limit and p[0] not in numerals for p in parts)


def _left_boundary(text: str, head_start: int) -> int:
    """Where a head-noun name begins: after the last clause break or boundary word before the head."""
    config = program_patterns()
    limit = max(0, head_start - config["max_name_chars"])
    start = head_start
    while start > limit and text[start - 1] not in CLAUSE_BREAK and _name_char().match(text[start - 1]):
        start -= 1
    window_open = start == limit and start > 0 and _name_char().match(text[start - 1])
    window = text[start:head_start]
    best = after_last_boundary(window, config["left_boundaries"])
    # a verb right before the core belongs to the name (素质提升工程, 学习型社会建设促进行动,
    # 名师素质提升专项行动): while what is left is too short to be a name, look further left
    # … and so does a joiner between two such verb phrases (薄弱环节改善与能力提升项目)
    verbs = sorted(config["name_final_verbs"], key=len, reverse=True)
    while True:
        final_verb = next((v for v in verbs if window[:best].endswith(v)), None)
        joined = next((j for j in config["phrase_joiners"] if window[:best].endswith(j)), None)
        if joined and len(window) - best >= config["min_core_chars"]:
            final_verb = next((v for v in verbs if window[:best - len(joined)].endswith(v)), None)
            cut = best - len(joined) - len(final_verb) if final_verb else None
        elif final_verb and len(window) - best < config["min_core_chars"]:
            cut = best - len(final_verb)
        else:
            break
        if cut is None:
            break
        further = after_last_boundary(window[:cut], config["left_boundaries"])
        if len(re.findall(r"[\u4e00-\u9fff]", window[further:cut])) < 2:
            break  # nothing of a name before the verb: it introduces the name (完善督导制度)
        best = further
    if best == 0 and window_open:
        return -1  # no boundary within reach: the name would be cut in the middle of a word
    return start + best


def is_generic(core: str) -> bool:
    words = sorted(program_patterns()["generic_cores"], key=len, reverse=True)
    rest = core
    while rest:
        word = next((w for w in words if rest.startswith(w)), None)
        if word is None:
            return False
        rest = rest[len(word):]
    return True


def _generic_name(core: str, head: str) -> bool:
    """Whether core + head is generic wording rather than a name.

    - Too short a core is wording (基础工程): ``min_core_chars``, or ``min_core_chars_short``
      before a head that is the named form itself (``core_free_heads``: 民主生活会, 法治进校园)
      or counts its articles (``numbered_codes``: 中央八项规定).
    - Before a generic head (``generic_ending_heads``: 制度, 改革, 项目 …) a core ending in a
      generic word is wording (回访核实工作制度, 教育重大改革), except the arrangement a reform
      is about after specific words (``reformed_arrangements``: 育人方式改革). Before 工程 and the
      specific heads (责任制, 平台, 示范校, 活动周 …) that ending names the field
      (公民道德建设工程, 意识形态工作责任制, 校外培训监管平台).
    - A core made of generic words only is wording (教育教学改革, 教师工作室), unless a compound
      specific head (3+ characters, not a generic word) follows a long enough core
      (``min_generic_core_chars``: 职业教育活动周, 美育课程特色学校) or the head is core-free."""
    config = program_patterns()
    specific = _is_specific_head(head)
    compound = len(head) >= config["compound_head_chars"]
    if len(core) < (config["min_core_chars_short"] if head in config["short_core_heads"] else config["min_core_chars"]):
        return True
    if re.fullmatch(r"[\d.]+", core):
        return True
    if head in config["generic_ending_heads"]:
        ending = next((w for w in sorted(config["generic_core_endings"], key=len, reverse=True) if core.endswith(w)), None)
        objects = config["reformed_arrangements"]
        if ending is not None and not (head in objects["heads"] and ending in objects["words"]
                                       and not is_generic(core[:-len(ending)])):
            return True
    if is_generic(core):
        return not (head in config["core_free_heads"]
                    or specific and compound and len(core) >= config["min_generic_core_chars"])
    return False


def _is_specific_head(head: str) -> bool:
    config = program_patterns()
    return head not in config["generic_trailing"] and head not in config["list_averse_heads"]


def _heading_name_start(text: str, head_end: int) -> Optional[int]:
    """Where a name begins when it is a whole heading line (专栏10  民办教育规范发展与质量提升工程):
    a title names the programme in full, joining words (与, 和) included."""
    if text[head_end:head_end + 1] not in ("", "\n", "\r"):
        return None
    line_start = text.rfind("\n", 0, head_end) + 1
    lead = re.match(program_patterns()["heading_lead"], text[line_start:head_end])
    start = line_start + lead.end()
    # a heading that opens with a verb (深化教育集团化改革, 持续推进…) names what follows it
    verbs = sorted((w for w in program_patterns()["left_boundaries"] if len(w) > 1), key=len, reverse=True)
    while (verb := next((v for v in verbs if text.startswith(v, start)), None)) and start + len(verb) < head_end:
        start += len(verb)
    name = text[start:head_end]
    if len(name) > program_patterns()["max_heading_name_chars"] or not re.fullmatch(program_patterns()["name_chars"] + "+", name) \
            or re.search(program_patterns()["heading_reject"], name):
        return None
    return start


def _in_enumeration(text: str, start: int, end: int) -> bool:
    """Whether a name stands in a list (甲制度、乙制度和丙制度): lists enumerate ordinary arrangements."""
    joiners = program_patterns()["enumeration_joiners"]
    before, after = text[max(0, start - 1):start], text[end:end + 1]
    return before in joiners or after in joiners


def _among_many_arrangements(text: str, start: int, end: int) -> bool:
    """Whether a name sits in a passage dense with rules and mechanisms (完善…制度。健全…机制。
    落实…制度): such passages catalogue ordinary governance, not named initiatives."""
    dense = program_patterns()["dense_passage"]
    passage = text[max(0, start - dense["window"]):end + dense["window"]]
    return len(re.findall(alternation(dense["words"]), passage)) - 1 > dense["max_others"]


def _after_counts(text: str, start: int, head_start: int) -> int:
    """Where a name begins once the counts before it are dropped (40个…工作室, 第二批…示范校,
    幼儿园培育52个…示范项目); a classifier opening a word stays (项目化学习示范校)."""
    config = program_patterns()
    inner = None
    for inner in re.finditer(config["inner_count"], text[start:head_start]):
        pass
    if inner is not None and head_start - (start + inner.end()) >= config["min_core_chars"]:
        start += inner.end()
    lead = re.match(config["leading_count"], text[start:head_start])
    if lead is None:
        return start
    rest = text[start + lead.end():head_start]
    if lead.end() == 1 and rest and _first_word(text[start:head_start]) != text[start]:
        return start  # 项 opens 项目化: not a classifier
    return start + lead.end()


def _boundary_word_as_core(text: str, head_start: int) -> int:
    """Where a core-free name begins when a boundary word is its core (民主生活会、组织生活会;
    落实组织生活会制度): a word of the boundary list right before the head is no verb introducing
    it when nothing that could be its subject or verb stands before it (a break, a joiner or
    another boundary word). Returns ``head_start`` otherwise."""
    config = program_patterns()
    words = sorted((w for w in config["left_boundaries"] if len(w) > 1), key=len, reverse=True)
    word = next((w for w in words if text.endswith(w, 0, head_start)), None)
    if word is None:
        return head_start
    start = head_start - len(word)
    before = text[start - 1:start]
    if start == 0 or not _name_char().match(before) or before in config["enumeration_joiners"] \
            or any(text.endswith(w, 0, start) for w in words):
        return start
    return head_start


def _governing_body_start(text: str, start: int, kind: Optional[str]) -> int:
    """Where a mechanism's name begins when a body leading it is part of the name
    (党组织领导的校长负责制, 党委领导下的院长负责制): the 的 after a governing verb
    (``governing_clause``) does not end the name; else ``start`` unchanged."""
    clause = program_patterns()["governing_clause"]
    if kind not in clause["kinds"] or text[start - 1:start] != "的":
        return start
    verb = next((v for v in sorted(clause["verbs"], key=len, reverse=True) if text.endswith(v, 0, start - 1)), None)
    if verb is None:
        return start
    # the body: the nouns right before the verb (党组织 of 落实党组织领导: jieba words, since a
    # boundary word may stand inside a noun, 组织 in 党组织)
    end = start - 1 - len(verb)
    jieba_segmenter()
    from jieba import posseg
    boundaries = set(program_patterns()["left_boundaries"])
    outer = end
    for word in reversed(list(posseg.cut(text[max(0, end - program_patterns()["max_name_chars"]):end], HMM=False))):
        if not word.flag.startswith(tuple(clause["body_tags"])) or word.word in boundaries:
            break
        outer -= len(word.word)
    if end - outer < clause["min_body_chars"]:
        return start
    return outer


def _first_word(phrase: str) -> str:
    return next(iter(jieba_segmenter().cut(phrase, HMM=False)), "")


def head_noun_programs(text: str, heads: Optional[dict[str, Optional[str]]] = None,
                       rule: str = "head-noun") -> list[tuple[int, int, Optional[str], str]]:
    """(start, end, kind, rule) of names ending in a head noun (工程, 计划, 制度 …); ``heads``
    (head -> kind) replaces the configured list, as the corpus pass does with learned heads."""
    pattern = _heads() if heads is None else re.compile(alternation(heads))
    heads = program_patterns()["heads"] if heads is None else heads
    found = []
    for match in pattern.finditer(text):
        if text[match.end():match.end() + 1] in program_patterns()["head_not_followed_by"] \
                and not _heads().match(text, match.end()):
            continue  # 制度化, 项目式: the head word is part of another word (not so 生活会制度)
        start = _heading_name_start(text, match.end())
        if start is None:
            start = _left_boundary(text, match.start())
            if start > 0:
                start = _governing_body_start(text, start, heads[match.group(0)])
        if start < 0:
            continue
        start = _after_counts(text, start, match.start())
        owner = re.search(program_patterns()["owner_words"], text[start:match.start()])
        if owner and match.start() - (start + owner.end()) >= program_patterns()["min_core_chars"]:
            start += owner.end()  # 郑州市教育局家校社共育工程: the bureau runs it, the name follows
        if match.group(0) in program_patterns()["core_free_heads"]:
            start = min(start, _boundary_word_as_core(text, match.start()))
        elif text.startswith(tuple(program_patterns()["core_free_heads"]), start):
            start = _boundary_word_as_core(text, start)  # 组织生活会制度, not 生活会制度
        core = text[start:match.start()]
        if re.search(program_patterns()["object_words"], core) and match.group(0) in program_patterns()["object_averse_heads"]:
            continue  # 综合楼加固续建项目: a building site, not an initiative
        if _generic_name(core, match.group(0)):
            continue
        if match.group(0) in program_patterns()["list_averse_heads"] and (
                _in_enumeration(text, start, match.end()) or _among_many_arrangements(text, start, match.end())):
            continue
        found.append((start, match.end(), heads[match.group(0)], rule))
    return found


def _head_of(name: str, heads: dict[str, Optional[str]]) -> Optional[str]:
    return next((h for h in sorted(heads, key=len, reverse=True) if name.endswith(h)), None)


def coordinated_programs(text: str, found: list[tuple[int, int, Optional[str], str]]
                         ) -> list[tuple[int, int, Optional[str], str, str]]:
    """(start, end, kind, "coordinated", name) of the names a coordination shares a head between:
    in 乡村振兴和城乡融合工程 the head-noun rule finds 城乡融合工程; the conjunct before the joiner,
    乡村振兴, makes 乡村振兴工程 (and so on leftwards: 甲、乙和丙计划); a final verb of the core
    is shared with a conjunct that ends in a noun (乡村医生、社区医生培训计划 -> 乡村医生培训计划).
    The span is the whole
    coordination, the name is conjunct + head. A conjunct must parallel the core it is joined to
    (its length within ``max_length_difference``: 基层医生和乡村医生全科能力提升计划 shares a longer
    core and is one name), be a name of its own by the generic-wording rules, not be an attribute
    (基础性、战略性工程) and not end in a head itself (甲工程和乙工程 are two names already).
    Only initiative heads are shared (``coordination.heads``: 工程, 计划 …)."""
    config = program_patterns()
    settings = config["coordination"]
    heads = config["heads"]
    jieba_segmenter()  # initialised quietly, once
    from jieba import posseg
    out = []
    for start, end, kind, rule in found:
        if rule != "head-noun":
            continue
        head = _head_of(text[start:end], heads)
        if head not in settings["heads"]:
            continue  # 智慧教室、STEAM工作室: a list of facilities, each a noun of its own
        core = text[start:end - len(head)]
        words = list(posseg.cut(core, HMM=False))
        # a final verb (名班主任培养工程) is shared too when a conjunct names only whom it is for
        verb = words[-1].word if len(words) > 1 and words[-1].flag.startswith("v") else ""
        right = start
        while right > 0 and text[right - 1] in settings["joiners"]:
            joiner = right - 1
            left = _left_boundary(text, joiner)
            if left < 0:
                break
            left = _after_counts(text, left, joiner)
            conjunct = text[left:joiner]
            last = list(posseg.cut(conjunct, HMM=False))[-1:] if conjunct else []
            shared = verb if verb and last and last[0].flag.startswith("n") else ""
            if (not conjunct or abs(len(conjunct) - (len(core) - len(shared))) > settings["max_length_difference"]
                    or not re.fullmatch(config["name_chars"] + "+", conjunct)
                    or conjunct.endswith(tuple(settings["attribute_endings"]))
                    or _head_of(conjunct, heads) is not None or _generic_name(conjunct, head)):
                break
            out.append((left, end, kind, "coordinated", conjunct + shared + head))
            right = left
    return out


def quality_designation_programs(text: str) -> list[tuple[int, int, Optional[str], str]]:
    """(start, end, kind, "designation") of creation campaigns named by a short quality of the
    unit they create (平安校园, 文明校园, 书香校园; 清廉学校, 文明单位 with a listed quality:
    ``quality_designations``). The quality must
    stand alone (a boundary word or a break before it), not be a verb (回归校园) or generic wording
    (学校校园), and the term must end there or go on with a generic word only (智慧校园建设, not
    校园足球, 校园网)."""
    config = program_patterns()
    settings = config["quality_designations"]
    listed = settings["listed"]
    generic_after = re.compile(alternation(config["generic_trailing"]))
    found = []
    for match in re.finditer(alternation([*settings["units"], *listed["units"]]), text):
        start = match.start() - settings["core_chars"]
        if start < 0 or _left_boundary(text, match.start()) != start:
            continue
        after = text[match.end():match.end() + 1]
        if after and _name_char().match(after) and not generic_after.match(text, match.end()):
            continue
        core = text[start:match.start()]
        if is_generic(core) or not re.fullmatch(config["name_chars"] + "+", core):
            continue
        if match.group(0) not in settings["units"] and core not in listed["qualities"]:
            continue  # 学校, 单位 …: only a campaign quality makes a designation (清廉学校; not 薄弱学校)
        jieba_segmenter()
        from jieba import posseg
        words = list(posseg.cut(core, HMM=False))
        if len(words) != 1 or words[0].flag.startswith("v"):
            continue
        found.append((start, match.end(), settings["kind"], "designation"))
    return found


def shorthand_programs(text: str) -> list[tuple[int, int, Optional[str], str]]:
    """(start, end, kind, rule) of unquoted numeric shorthand (三提高一规范)."""
    config = program_patterns()["shorthand"]
    numerals, reject = config["numerals"], set(config["reject_chars"])
    found = []
    for match in re.finditer(config["pattern"], text):
        name = match.group(0)
        halves = re.split(f"[{numerals}]", name)[1:]
        if re.match(config["reject_pattern"], name):
            continue
        if len(halves) < 2 or any(not h or set(h) & reject for h in halves):
            continue
        if re.match(f"[{numerals}]", text[match.end():match.end() + 1] or "x"):
            continue
        found.append((match.start(), match.end(), "mechanism", "shorthand"))
    return found


def lexicon_programs(text: str) -> list[tuple[int, int, Optional[str], str]]:
    """(start, end, kind, rule) of curated names, with a generic word that follows (校长职级制改革)."""
    generic = re.compile(alternation(program_patterns()["generic_trailing"]))
    found = []
    for start, end, concept in _lexicon_gazetteer().finditer(text):
        trailing = generic.match(text, end)
        found.append((start, trailing.end() if trailing else end, concept.kind, "lexicon"))
    return found


def find_programs(text: str, use_lexicon: bool = True) -> list[tuple[int, int, Optional[str], str]]:
    titles = [m.span() for m in BOOK_TITLE.finditer(text)]
    quoted = quoted_programs(text)
    curated = lexicon_programs(text) if use_lexicon else []
    strong = [(s, e) for s, e, _, _ in quoted] + [(s, e) for s, e, _, _ in curated]
    found = list(quoted)
    # a curated name inside a quoted one is the same mention unless it names something smaller
    found += [c for c in curated if not _inside([(s, e) for s, e, _, _ in quoted], c[0], c[1])]
    for cand in head_noun_programs(text) + quality_designation_programs(text) + shorthand_programs(text):
        start, end = cand[0], cand[1]
        if any(s < end and start < e and not (start <= s and e <= end) for s, e in strong):
            continue  # overlaps a quoted or curated name without containing it
        if _inside(strong, start, end):
            continue
        found.append(cand)
    unique = {}
    for cand in found:
        if not _inside(titles, cand[0], cand[1]):
            unique.setdefault((cand[0], cand[1]), cand)
    return sorted(unique.values())


@Language.factory("kg_programs", default_config={"use_lexicon": True})
def make_programs(nlp: Language, name: str, use_lexicon: bool):
    if use_lexicon:
        _lexicon_gazetteer()

    def programs(doc: Doc) -> Doc:
        found = find_programs(doc_text(doc), use_lexicon)
        spans = [make_span(doc, start, end, "program", subtype=kind, source=rule) for start, end, kind, rule in found]
        # a name made from a coordination carries it (kg.link reads ``canonical`` of these)
        spans += [make_span(doc, start, end, "program", subtype=kind, source=rule, canonical=name)
                  for start, end, kind, rule, name in coordinated_programs(doc_text(doc), found)]
        return set_spans(doc, "kg_programs", spans)

    return programs
