"""Governments: who a document speaks for, and what its short names mean there.

A plan is issued by one government (or one of its agencies) of one place: 郑州市, 郑州市惠济区.
Its text names bodies the short way — 市教育局, 区委, 县政府 — and those mean the bodies of *that*
government: 市教育局 in a Zhengzhou plan is 郑州市教育局, in a Luoyang plan 洛阳市教育局. A place
masked by its publisher (XX市) is known only inside its own compilation part, so its bodies are
kept apart from every other part's.

The words read here (level characters of short forms, the prefixes that may open them) are in
``ontology/lexicon/organizations.yaml`` under ``government_scope``.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Optional

from kg import places
from kg.records import DocumentMeta
from kg.text import normalise_name
from kg.resources import lexicon


@dataclass(frozen=True)
class Government:
    """The government a document speaks for.

    ``key`` identifies it across the corpus: the region as a chain (郑州市, 郑州市惠济区), an agency's
    own name for a city-agency (it has its own plans), the document's own id for a masked place (XX市: known only in that part),
    ``document:<doc id>`` when the document says nothing of where it is from.
    """

    key: str
    name: str  # for people: 郑州市惠济区, 郑州市教育科学规划与评估中心, XX市 (004#1)
    level: str
    region: Optional[str]  # the region as a chain, or the masked region as printed
    units: tuple[tuple[str, str], ...] = ()  # (level, name) outermost first, from the divisions
    anonymised: bool = False

    def unit(self, level: str) -> Optional[str]:
        """The name of this government's unit at ``level`` (city of a district plan: 郑州市)."""
        wanted = {"district": ("district", "county"), "county": ("county", "district")}.get(level, (level,))
        for unit_level, name in self.units:
            if unit_level in wanted:
                return name
        return None

    def chain_to(self, level: str) -> Optional[str]:
        """The unit at ``level`` written with the units above it below the province (郑州市惠济区);
        a province alone for ``province``."""
        if level == "province":
            return self.unit("province")
        names = []
        for unit_level, name in self.units:
            if unit_level == "province":
                continue
            names.append(name)
            if unit_level in ({"district", "county"} if level in ("district", "county") else {level}):
                return "".join(names)
        return None


@dataclass(frozen=True)
class ScopeSettings:
    """``government_scope`` of organizations.yaml."""

    short_form_levels: dict[str, str]  # level character -> level (市 -> city)
    prefixes: tuple[str, ...]  # may open a short form: 中共市委
    unexpanded_prefixes: tuple[str, ...]  # open a short form that is not written out: 团市委
    not_followed_by: frozenset[str]  # a level character followed by one is another word: 市场, 区域
    joined_types: frozenset[str]  # bare bodies of these types (教育局) are the document's government's
    government_body: str  # 人民政府: what a government's departments belong to
    department_types: frozenset[str]  # organization types that are a government's departments
    same_body_endings: dict[str, str]  # 政府 -> 人民政府
    national_types: frozenset[str]  # known bodies of these types are national organs (教育部)
    national_markers: tuple[str, ...]  # a known body of another type is national if its name has one


@functools.lru_cache(maxsize=1)
def scope_settings() -> ScopeSettings:
    config = lexicon("organizations.yaml")["government_scope"]
    return ScopeSettings(
        short_form_levels=dict(config["short_form_levels"]), prefixes=tuple(config["prefixes"]),
        unexpanded_prefixes=tuple(config["unexpanded_prefixes"]),
        not_followed_by=frozenset(lexicon("organizations.yaml")["departments"]["level_not_followed_by"]),
        joined_types=frozenset(config["joined_types"]), government_body=config["government_body"],
        department_types=frozenset(config["department_types"]),
        same_body_endings=dict(config["same_body_endings"]),
        national_types=frozenset(config["national_types"]), national_markers=tuple(config["national_markers"]),
    )


def government_of(meta: DocumentMeta) -> Government:
    """The government a document speaks for, from its level, region and issuer."""
    return _government(meta.doc_id, meta.level, meta.region, meta.issuer)


# asked once per mention and per program occurrence by linking and continuity: worked out once
# per document (a Government is frozen, so callers share it safely)
@functools.lru_cache(maxsize=65536)
def _government(doc_id: str, level: str, region: Optional[str], issuer: Optional[str]) -> Government:
    region = region or (places.region_of(issuer) if issuer else None)
    if places.is_anonymised(region) or (not region and places.is_anonymised(issuer)):
        masked = region or places.anonymised_region(issuer or "") or issuer or ""
        return Government(key=doc_id, name=f"{masked} ({doc_id})", level=level,
                          region=masked, units=((level, masked),), anonymised=True)
    units = tuple((p.level, p.name) for p in places.region_chain(region)) if region else ()
    if level == "city-agency" and issuer:
        return Government(key=issuer, name=issuer, level=level, region=region, units=units)
    if region:
        return Government(key=region, name=region, level=level, region=region, units=units)
    if issuer:
        return Government(key=issuer, name=issuer, level=level, region=None)
    return Government(key=f"document:{doc_id}", name=doc_id, level=level, region=None)


def _written_out(label: str) -> str:
    """郑州市政府 -> 郑州市人民政府: one label for one body."""
    for ending, full in scope_settings().same_body_endings.items():
        if label.endswith(ending) and not label.endswith(full) and len(label) > len(ending):
            return label[: -len(ending)] + full
    return label


@dataclass(frozen=True)
class ScopedName:
    """An organization name read in a government: its full label and whether that label alone
    identifies it (郑州市教育局) or only together with the government (XX市教育局, 团市委)."""

    label: str
    scoped: bool

    def key(self, government: Government) -> str:
        return f"{self.label}@{government.key}" if self.scoped else self.label


def full_name(name: str, government: Government, org_type: Optional[str] = None,
              national: bool = False, local_body: bool = False) -> ScopedName:
    """What ``name``, printed in a document of ``government``, stands for.

    ``national``: the name is a national organ (教育部, 国务院) — the same body everywhere.
    ``local_body``: a body every government has (妇联, 关工委), the document's own when no place is named.
    """
    if national:
        return ScopedName(name, False)
    if places.is_anonymised(name):
        return ScopedName(name, True)
    settings = scope_settings()
    prefix = next((p for p in settings.prefixes if name.startswith(p)), "")
    rest = name[len(prefix):]
    placed = places.leading_place_chars(rest)
    if placed:
        chain = places.region_chain(rest[:placed])
        if chain:
            names = [p.name for p in chain if p.level != "province"] or [chain[0].name]
            return ScopedName(_written_out(prefix + "".join(names) + rest[placed:]), False)
    for character, level in settings.short_form_levels.items():
        if (rest.startswith(character) and len(rest) > len(character)
                and rest[len(character)] not in settings.not_followed_by):
            written = government.chain_to(level)
            if written is None:  # 县政府 named in a city plan: one of its counties, not known which
                return ScopedName(_written_out(name), True)
            return ScopedName(_written_out(prefix + written + rest[len(character):]), government.anonymised)
    for opening in settings.unexpanded_prefixes:
        if name.startswith(opening) and name[len(opening):len(opening) + 1] in settings.short_form_levels:
            return ScopedName(name, True)  # 团市委: this government's, with no written-out form
    if (local_body or org_type in settings.joined_types) and government.region:
        own = government.chain_to(government.level) or government.region
        return ScopedName(own + name, government.anonymised)
    return ScopedName(name, False)


def government_body(government: Government) -> Optional[ScopedName]:
    """The people's government of ``government``'s place (郑州市人民政府), where its bureaus belong."""
    if not government.region or government.level not in ("province", "city", "city-agency", "district", "county"):
        return None
    own = government.chain_to("city" if government.level == "city-agency" else government.level)
    own = own or government.region
    return ScopedName(own + scope_settings().government_body, government.anonymised)


@functools.lru_cache(maxsize=1)
def _known_bodies() -> tuple[frozenset[str], frozenset[str]]:
    """The known list of organizations.yaml split in two: national organs, the same body everywhere
    (教育部, 国务院, 全国妇联), and bodies every government has (妇联, 关工委, 市委, 区政府)."""
    settings, config = scope_settings(), lexicon("organizations.yaml")
    national, local = set(), set()
    for org_type, names in config["known"].items():
        for name in names:
            short_form = any(level in name[:2] for level in settings.short_form_levels)
            if not short_form and (org_type in settings.national_types
                                   or any(marker in name for marker in settings.national_markers)):
                national.add(name)
            else:
                local.add(name)
    return frozenset(national), frozenset(local)


def organization_name(name: str, government: Government, org_type: Optional[str] = None) -> ScopedName:
    """What an organization printed in a document of ``government`` stands for (kg.governments)."""
    national, local = _known_bodies()
    return full_name(name, government, org_type, national=name in national, local_body=name in local)


def issuer_keys(meta: DocumentMeta) -> list[str]:
    """Organization keys of a document's issuers, lead issuer first (dcterms:creator)."""
    government = government_of(meta)
    issuers = [meta.issuer, *meta.co_issuers] if meta.issuer else list(meta.co_issuers)
    return [organization_name(normalise_name(name), government).key(government) for name in issuers]
