"""Organizations: known national bodies and short forms (市教育局, 市政府), and named
institutions found by their suffix (…学校, …学院, …委员会) with a left boundary at a place
name, a name starter, or — for committees named by their remit — a boundary word."""
from __future__ import annotations

import functools
import re
from typing import Optional

from spacy.language import Language
from spacy.tokens import Doc

from kg.components import CLAUSE_BREAK, Gazetteer, after_last_boundary, alternation, load_yaml, make_span, set_spans
from kg.components.places import gazetteer as place_gazetteer
from kg.text import BOOK_TITLE

MAX_NAME_CHARS = 20
NAME_CHAR = re.compile(r"[\u4e00-\u9fff0-9A-Za-z·]")


@functools.lru_cache(maxsize=1)
def _config() -> dict:
    return load_yaml("organizations.yaml")


@functools.lru_cache(maxsize=1)
def known_bodies() -> Gazetteer:
    return Gazetteer({name: org_type for org_type, names in _config()["known"].items() for name in names})


@functools.lru_cache(maxsize=1)
def suffix_pattern() -> re.Pattern:
    config = _config()
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
    for starter in _config()["name_starters"]:
        starts += [context_start + m.start() for m in re.finditer(re.escape(starter), context)]
    return sorted(set(starts))


def _after_boundary(context_start: int, context: str) -> int:
    """Offset just after the last boundary word (成立, 和, 的 …) of ``context``."""
    return context_start + after_last_boundary(context, _config()["left_boundaries"])


def _name_start(text: str, context_start: int, context: str, suffix_start: int, remit: bool) -> Optional[int]:
    """Where the name ending at ``suffix_start`` begins: the first place name, name starter or
    known body with nothing but name words between it and the suffix."""
    place_starts = set(_starts(context_start, context))
    starts = list(place_starts) + [context_start + s for s, _, _ in known_bodies().finditer(context)]
    for start in sorted(set(starts)):
        rest = _strip_leading_names(text[start:suffix_start], with_known=True)
        if not rest and start not in place_starts:
            continue  # 市委市政府: two known bodies side by side, found by their own names
        if _after_boundary(0, rest) == 0 and not suffix_pattern().search(rest):
            return start
    if remit:
        start = _after_boundary(context_start, context)
        # 与 joins words inside a remit (终身教育与学习型城市…委员会), so it is no boundary word —
        # except as the first word of the clause (…，与市场监督管理局等配合)
        if text[start:start + 1] in _config()["clause_opening_joiners"]:
            start += 1
        inner = suffix_pattern().search(text[start:suffix_start])
        return start if inner is None else None
    return None


def _is_generic(core: str) -> bool:
    """True when the part before the suffix is only generic words (民办学校, 高水平大学)."""
    words = sorted(_config()["generic_name_words"], key=len, reverse=True)
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
    starters = sorted(_config()["name_starters"], key=len, reverse=True)
    while core:
        match = next(iter(place_gazetteer().finditer(core)), None)
        if match is not None and match[0] == 0:
            core = core[match[1]:]
            continue
        if with_known:
            known = next(iter(known_bodies().finditer(core)), None)
            if known is not None and known[0] == 0:
                core = core[known[1]:]
                continue
        starter = next((w for w in starters if core.startswith(w)), None)
        if starter is None:
            break
        core = core[len(starter):]
    return core


def find_organizations(text: str) -> list[tuple[int, int, str, str]]:
    """(start, end, type, rule) of organization names; the longest name wins where they overlap."""
    config = _config()
    found: list[tuple[int, int, str, str]] = [(s, e, t, "known-body") for s, e, t in known_bodies().finditer(text)]
    titles = [m.span() for m in BOOK_TITLE.finditer(text)]
    remit = set(config["remit_suffixes"])
    bare = set(config["bare_suffixes"])
    not_preceded_by = config["suffix_not_preceded_by"]
    for match in suffix_pattern().finditer(text):
        suffix, end = match.group(0), match.end()
        if text[match.start() - 1:match.start()] in not_preceded_by.get(suffix, ()):
            continue
        context_start, context = _left_context(text, match.start())
        start = _name_start(text, context_start, context, match.start(), suffix in remit)
        if start is None:
            continue
        core = text[start:match.start()]
        core = _strip_leading_names(core)
        if not core and suffix not in bare:
            continue
        if core and _is_generic(core):
            continue
        if end - start < len(suffix) + 2:
            continue
        found.append((start, end, config["suffixes"][suffix], "suffix"))
    found += short_form_schools(text)
    # 《XX市…专门教育学校管理办法》 names a document, not the school
    return _longest([f for f in found if not any(a < f[0] and f[1] < b for a, b in titles)])


def short_form_schools(text: str) -> list[tuple[int, int, str, str]]:
    """Schools named by the city's short form: 市二中, 市十一中学, 市荀子中学."""
    config = _config()
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


@Language.factory("kg_organizations")
def make_organizations(nlp: Language, name: str):
    known_bodies(), suffix_pattern(), place_gazetteer()

    def organizations(doc: Doc) -> Doc:
        return set_spans(doc, "kg_organizations", (
            make_span(doc, start, end, "organization", subtype=org_type, source=rule)
            for start, end, org_type, rule in find_organizations(doc.text)
        ))

    return organizations
