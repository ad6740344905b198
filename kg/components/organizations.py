"""Organizations: known national bodies and generic short forms (教育部, 市政府); departments
of a government or party committee by their national naming pattern (place or level character
+ remit + unit type: 市人社局, 杭州市医疗保障局, 省委组织部); and named institutions found by
their suffix (…学校, …学院, …委员会, …实验室) with a left boundary at a place name, a name
starter, or — for committees named by their remit — a boundary word. A name followed by a
character that continues the word (教育部门, 委员) is no organization."""
from __future__ import annotations

import functools
import re
from typing import Optional

from jieba import posseg

from spacy.language import Language
from spacy.tokens import Doc

from kg.components import (
    CLAUSE_BREAK, Gazetteer, after_last_boundary, alternation, doc_text, load_yaml, make_span, set_spans,
)
from kg.components.places import gazetteer as place_gazetteer
from kg.text import BOOK_TITLE

MAX_NAME_CHARS = 20
NAME_CHAR = re.compile(r"[\u4e00-\u9fff0-9A-Za-z·]")


IDEOGRAPHS = re.compile(r"[\u4e00-\u9fff]+")


@functools.lru_cache(maxsize=1)
def organization_config() -> dict:
    return load_yaml("organizations.yaml")


@functools.lru_cache(maxsize=1)
def known_bodies() -> Gazetteer:
    return Gazetteer({name: org_type for org_type, names in organization_config()["known"].items() for name in names})


def _known_in(text: str) -> list[tuple[int, int, str]]:
    """Known bodies not continued by another word (教育部门 is no 教育部)."""
    cut = set(organization_config()["known_not_followed_by"])
    return [(s, e, t) for s, e, t in known_bodies().finditer(text) if text[e:e + 1] not in cut]


@functools.lru_cache(maxsize=1)
def department_pattern() -> tuple[re.Pattern, dict[str, str]]:
    """remit + government unit, or 委 + party unit; the place or level in front is found by code."""
    config = organization_config()["departments"]
    units = {**config["government_units"], **config["party_units"]}
    cut = "".join(map(re.escape, config["not_followed_by"]))
    return re.compile(f"(?:(?P<remit>{alternation(config['government_remits'])})"
                      f"(?P<unit>{alternation(config['government_units'])})"
                      f"|{re.escape(config['party_committee'])}(?P<party>{alternation(config['party_units'])}))"
                      f"(?![{cut}])"), units


def _place_before(text: str, end: int) -> int:
    """Start of the run of place names (浙江省杭州市) that ends exactly at ``end``; ``end`` if none."""
    start = end
    while True:
        context_start, context = _left_context(text, start)
        found = [context_start + s for s, e, _ in place_gazetteer().finditer(context) if context_start + e == start]
        if not found:
            return start
        start = found[0]


def find_departments(text: str) -> list[tuple[int, int, str, str]]:
    """市人社局, 县退役军人事务局, 广东省卫生健康委员会, 省委组织部, 中共杭州市委宣传部: a department
    needs a place name or a level character in front (人社部门 and 卫健委员 are none)."""
    config = organization_config()["departments"]
    pattern, units = department_pattern()
    levels = sorted(config["level_characters"], key=len, reverse=True)
    found = []
    for match in pattern.finditer(text):
        start = match.start()
        place_start = _place_before(text, start)
        if place_start == start:
            level = next((w for w in levels if text.endswith(w, 0, start)), None)
            if level is None:
                continue
            start -= len(level)
        else:
            start = place_start
        prefix = organization_config()["departments"]["party_prefix"]
        if text.endswith(prefix, 0, start):
            start -= len(prefix)
        unit = match.group("party") or match.group("unit")
        found.append((start, match.end(), units[unit], "department"))
    return found


@functools.lru_cache(maxsize=1)
def suffix_pattern() -> re.Pattern:
    config = organization_config()
    not_followed_by = "".join(map(re.escape, config["suffix_not_followed_by"]))
    return re.compile(f"(?:{alternation(config['suffixes'])})(?![{not_followed_by}])")


def _left_context(text: str, end: int) -> tuple[int, str]:
    """The stretch before ``end`` that could belong to a name: back to a clause break."""
    start = end
    while start > 0 and end - start < MAX_NAME_CHARS and text[start - 1] not in CLAUSE_BREAK \
            and NAME_CHAR.match(text[start - 1]):
        start -= 1
    return start, text[start:end]


def _starts(context_start: int, context: str) -> list[int]:
    """Offsets (into the text) where a place name or a name starter begins inside ``context``."""
    starts = [context_start + s for s, _, _ in place_gazetteer().finditer(context)]
    for starter in organization_config()["name_starters"]:
        starts += [context_start + m.start() for m in re.finditer(re.escape(starter), context)]
    return sorted(set(starts))


def _after_boundary(context_start: int, context: str) -> int:
    """Offset just after the last boundary word (成立, 和, 的 …) of ``context``."""
    return context_start + after_last_boundary(context, organization_config()["left_boundaries"])


def _name_start(text: str, context_start: int, context: str, suffix_start: int, suffix: str,
                remit: bool) -> Optional[int]:
    """Where the name ending at ``suffix_start`` begins: the first place name, name starter or
    known body with nothing but name words between it and the suffix."""
    place_starts = set(_starts(context_start, context))
    starts = list(place_starts) + [context_start + s for s, _, _ in _bodies_in(context)]
    for start in sorted(set(starts)):
        rest = _strip_leading_names(text[start:suffix_start], with_known=True)
        if not rest and start not in place_starts:
            continue  # 市委市政府: two known bodies side by side, found by their own names
        if _after_boundary(0, rest) == 0 and not _inner_suffix(rest, suffix):
            return start
    if suffix in organization_config()["bare_suffixes"]:
        # a level character opening the name is the short form of its place (市教育电视台)
        start = _after_boundary(context_start, context)
        level = next((w for w in organization_config()["departments"]["level_characters"] if text.startswith(w, start)), "")
        rest = text[start + len(level):suffix_start]
        if level and rest and rest[0] not in organization_config()["departments"]["level_not_followed_by"] and _after_boundary(0, rest) == 0 and not _inner_suffix(rest, suffix):
            return start
    if remit:
        start = _after_boundary(context_start, context)
        # 与 joins words inside a remit (终身教育与学习型城市…委员会), so it is no boundary word —
        # except as the first word of the clause (…，与市场监督管理局等配合)
        if text[start:start + 1] in organization_config()["clause_opening_joiners"]:
            start += 1
        return None if _inner_suffix(text[start:suffix_start], suffix) else start
    return None


def _inner_suffix(rest: str, suffix: str) -> bool:
    """True when ``rest`` (the words before ``suffix``) holds another name's suffix — unless
    ``suffix`` names a unit of an institution and the other name ends right before it
    (浙江大学 + 研究生院, 人才工作领导小组 + 办公室) or is a university (四川大学 + 华西 + 医院)."""
    config = organization_config()
    if suffix not in config["sub_unit_suffixes"]:
        return suffix_pattern().search(rest) is not None
    return any(m.end() != len(rest) and config["suffixes"][m.group(0)] != "university"
               for m in suffix_pattern().finditer(rest))


def _bodies_in(text: str) -> list[tuple[int, int, str]]:
    """Known bodies and departments (市教育局 opens 市教育局党建工作领导小组), leftmost first."""
    found = sorted(_known_in(text) + [(s, e, t) for s, e, t, _ in find_departments(text)], key=lambda f: (f[0], -f[1]))
    kept = []
    for body in found:
        if not kept or body[0] >= kept[-1][1]:
            kept.append(body)
    return kept


def _tiled_by_known(name: str) -> bool:
    """True when ``name`` is nothing but known bodies one after another (市委市政府)."""
    covered = 0
    for start, end, _ in _bodies_in(name):
        if start != covered:
            return False
        covered = end
    return covered == len(name) and covered > 0


def _is_generic(core: str) -> bool:
    """True when the part before the suffix is only generic words (民办学校, 高水平大学)."""
    words = sorted(organization_config()["generic_name_words"], key=len, reverse=True)
    rest = core
    while rest:
        for word in words:
            if rest.startswith(word):
                rest = rest[len(word):]
                break
        else:
            return False
    return True


def _strip_leading_names(core: str, with_known: bool = False) -> str:
    """The core without the place names and name starters (and known bodies) it opens with."""
    starters = sorted(organization_config()["name_starters"], key=len, reverse=True)
    while core:
        match = next(iter(place_gazetteer().finditer(core)), None)
        if match is not None and match[0] == 0:
            core = core[match[1]:]
            continue
        if with_known:
            known = next(iter(_bodies_in(core)), None)
            if known is not None and known[0] == 0:
                core = core[known[1]:]
                continue
        starter = next((w for w in starters if core.startswith(w)), None)
        if starter is None:
            break
        core = core[len(starter):]
    return core


@functools.lru_cache(maxsize=1)
def _suffixes_longest_first() -> tuple[str, ...]:
    return tuple(sorted(organization_config()["suffixes"], key=len, reverse=True))


def _ending_suffix(name: str) -> Optional[str]:
    """The longest type word ``name`` ends with."""
    return next((suffix for suffix in _suffixes_longest_first() if name.endswith(suffix)), None)


def model_name(name: str) -> Optional[tuple[int, str]]:
    """A name the trained recogniser found, on the rules' terms: (where it starts, after any
    boundary word it opens with such as 联合 or 支持, its type), or None (see ``typed_name``)."""
    suffix = _ending_suffix(name)
    if suffix is None:
        return None
    start = after_last_boundary(name[:-len(suffix)], organization_config()["left_boundaries"])
    kind = typed_name(name[start:])
    return (start, kind) if kind is not None else None


def typed_name(name: str) -> Optional[str]:
    """The organization type of a name found by another source (the trained recogniser): the type
    of the longest suffix it ends with, when what precedes the suffix, less its place names, is a
    specific core (高水平大学 and 家长委员会 are kinds, not bodies) holding a proper noun
    (``model_core_tags``); None otherwise."""
    suffixes = organization_config()["suffixes"]
    suffix = _ending_suffix(name)
    if suffix is None:
        return None
    prefix = name[:-len(suffix)]
    core = _strip_leading_names(prefix, with_known=True)
    if len(core) < 2 or _is_generic(core) or core in suffixes or not IDEOGRAPHS.fullmatch(core):
        return None  # no core, a kind of body (高水平大学), or two type words (幼儿园学校)
    proper = tuple(organization_config()["model_core_tags"])
    if not any(word.flag in proper for word in posseg.cut(prefix, HMM=False)):
        return None
    return suffixes[suffix]


def find_organizations(text: str) -> list[tuple[int, int, str, str]]:
    """(start, end, type, rule) of organization names; the longest name wins where they overlap."""
    config = organization_config()
    found: list[tuple[int, int, str, str]] = [(s, e, t, "known-body") for s, e, t in _known_in(text)]
    found += find_departments(text)
    titles = [m.span() for m in BOOK_TITLE.finditer(text)]
    remit = set(config["remit_suffixes"])
    bare = set(config["bare_suffixes"])
    not_preceded_by = config["suffix_not_preceded_by"]
    for match in suffix_pattern().finditer(text):
        suffix, end = match.group(0), match.end()
        if text[match.start() - 1:match.start()] in not_preceded_by.get(suffix, ()):
            continue
        context_start, context = _left_context(text, match.start())
        start = _name_start(text, context_start, context, match.start(), suffix, suffix in remit)
        if start is None:
            continue
        core = text[start:match.start()]
        core = _strip_leading_names(core)
        if not core and suffix not in bare:
            continue
        if core and _is_generic(core):
            continue
        if end - start < len(suffix) + 2 or _tiled_by_known(text[start:end]):
            continue  # 县委县政府 is two bodies side by side, found by their own names
        found.append((start, end, config["suffixes"][suffix], "suffix"))
    found += short_form_schools(text)
    # 《XX市…专门教育学校管理办法》 names a document, not the school
    return _longest([f for f in found if not any(a < f[0] and f[1] < b for a, b in titles)])


def short_form_schools(text: str) -> list[tuple[int, int, str, str]]:
    """Schools named by the city's short form: 市二中, 市十一中学, 市荀子中学."""
    config = organization_config()
    found = []
    for match in re.finditer(config["short_school"], text):
        name = match.group("name")
        if name and re.search(config["short_school_reject"], name):
            continue
        found.append((match.start(), match.end(), "school", "short-school"))
    return found


def _longest(candidates: list[tuple[int, int, str, str]]) -> list[tuple[int, int, str, str]]:
    kept: list[tuple[int, int, str, str]] = []
    for cand in sorted(candidates, key=lambda c: (-(c[1] - c[0]), c[0])):
        if all(cand[1] <= k[0] or cand[0] >= k[1] for k in kept):
            kept.append(cand)
    return sorted(kept)


@functools.lru_cache(maxsize=1)
def section_unit_pattern() -> re.Pattern:
    config = organization_config()["section_units"]
    shortest, longest = config["core_chars"]
    not_opening = alternation([*config["not_opening"], *organization_config()["left_boundaries"]])
    cut = "".join(map(re.escape, config["ending_not_followed_by"]))
    return re.compile(f"(?!{not_opening})[\u4e00-\u9fff]{{{shortest},{longest}}}?"
                      f"(?:{alternation(config['endings'])})(?![{cut}])")


def find_section_units(text: str, bodies: list[tuple[int, int, str, str]]) -> list[tuple[int, int, int]]:
    """(start, end, body end) of the sections printed right after a body's name
    (温州市教育局基础教育处): the section's name includes its body's, ``text[start:body end]``."""
    config = organization_config()["section_units"]
    found = []
    for start, end, org_type, _ in bodies:
        if org_type not in config["body_types"]:
            continue
        match = section_unit_pattern().match(text, end)
        if match is not None:
            found.append((start, match.end(), end))
    return found


@Language.factory("kg_organizations")
def make_organizations(nlp: Language, name: str):
    known_bodies(), suffix_pattern(), department_pattern(), place_gazetteer()

    def organizations(doc: Doc) -> Doc:
        bodies = find_organizations(doc_text(doc))
        sections = find_section_units(doc_text(doc), bodies)
        return set_spans(doc, "kg_organizations", [
            *(make_span(doc, start, end, "organization", subtype=org_type, source=rule)
              for start, end, org_type, rule in bodies),
            *(make_span(doc, start, end, "organization", subtype="section", source="section-unit",
                        parent=doc_text(doc)[start:body_end])
              for start, end, body_end in sections),
        ])

    return organizations
