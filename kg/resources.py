"""Where the domain data lives (``ontology/``) and how it is read: once, with clear errors.

Files shipped in ``ontology/`` are read with the plain safe loader; files a user passes in
(manifests, answer keys) with :func:`load_user_yaml`, which also refuses anchors, aliases,
duplicate keys and oversized files.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kg.errors import InputError


def _ontology_dir() -> Path:
    """``kg/ontology`` in an installed wheel (setup.cfg maps it there), else the checkout's ``ontology/``.

    The only place that decides: everything else derives its data paths from ``ONTOLOGY_DIR``.
    An editable install imports kg from the checkout, so it takes the second branch.
    """
    package = Path(__file__).resolve().parent
    installed = package / "ontology"
    return installed if installed.is_dir() else package.parent / "ontology"


ONTOLOGY_DIR = _ontology_dir()
LEXICON_DIR = ONTOLOGY_DIR / "lexicon"


@functools.lru_cache(maxsize=None)
def read_yaml(path: Path | str) -> Any:
    """A YAML data file (cached: gazetteers and settings load once; do not mutate the result)."""
    path = Path(path)
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(path, "data file is missing") from None
    except yaml.YAMLError as err:
        raise InputError(path, f"not valid YAML ({err.__class__.__name__})") from None


# Manifests and answer keys are a few KB; anything far larger is a mistake or an attack.
USER_FILE_MAX_BYTES = 10 * 1024 * 1024


class RefusedYAML(yaml.MarkedYAMLError):
    """Valid YAML this tool does not accept in user-supplied files."""


class UserYAMLLoader(yaml.SafeLoader):
    """SafeLoader for files the user passes in (manifests, answer keys).

    Refuses anchors and aliases: an alias is a reference, so a 1 KB "billion laughs" file
    expands to gigabytes as soon as anything walks it; refusing at the first anchor costs
    nothing. Refuses duplicate keys too, which the plain loader silently resolves to the last.
    The pure-Python loader is used because the libyaml one composes nodes in C.
    """

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or event.anchor is not None:
            raise RefusedYAML(problem="YAML anchors and aliases are not accepted", problem_mark=event.start_mark)
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen = set()
            for key_node, _ in node.value:
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node)
                if key in seen:
                    raise RefusedYAML(problem=f"duplicate key {key!r}", problem_mark=key_node.start_mark)
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _line(mark) -> str:
    return f" (line {mark.line + 1})" if mark is not None else ""


def read_user_text(path: Path | str, max_bytes: int = USER_FILE_MAX_BYTES) -> str:
    """A user-supplied UTF-8 text file (BOM allowed), refused past ``max_bytes``.

    InputError for a file that is too large, unreadable or not UTF-8; FileNotFoundError
    propagates for the caller to word.
    """
    path = Path(path)
    try:
        with path.open("rb") as data:  # at most one byte past the limit: a pipe or /dev/zero has no size
            raw = data.read(max_bytes + 1)
    except FileNotFoundError:
        raise
    except OSError as err:
        raise InputError(path, f"cannot read: {err.strerror or err}") from None
    if len(raw) > max_bytes:
        size = path.stat().st_size
        shown = f" ({size:,} bytes)" if size > max_bytes else ""
        raise InputError(path, f"file is over the limit of {max_bytes // 1048576} MB{shown}")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise InputError(path, f"not UTF-8 text (line {line})") from None


def load_user_yaml(path: Path | str) -> Any:
    """A user-supplied YAML file, read with :class:`UserYAMLLoader` (not cached).

    Every problem is an InputError naming the file and, where known, the line;
    FileNotFoundError propagates for the caller to word.
    """
    path = Path(path)
    text = read_user_text(path)
    try:
        return yaml.load(text, Loader=UserYAMLLoader)
    except RefusedYAML as err:
        raise InputError(path, f"{err.problem}{_line(err.problem_mark)}") from None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        raise InputError(path, f"not valid YAML: {err.problem or err.context}{_line(mark)}") from None
    except yaml.YAMLError as err:
        raise InputError(path, f"not valid YAML: {str(err).splitlines()[0]}") from None
    except RecursionError:
        raise InputError(path, "not accepted: YAML nested too deeply") from None


def lexicon(name: str) -> dict[str, Any]:
    """One mapping-shaped file of ``ontology/lexicon/``."""
    data = read_yaml(LEXICON_DIR / name)
    if not isinstance(data, dict):
        raise InputError(LEXICON_DIR / name, "expected a mapping at the top level")
    return data


# ---------------------------------------------------------------- alignment settings

ALIGNMENT_SETTINGS = LEXICON_DIR / "alignment.yaml"


@dataclass(frozen=True)
class HierarchySettings:
    level_rank: dict[str, int]  # smaller = higher level


@dataclass(frozen=True)
class UnitSettings:
    kinds: tuple[str, ...]  # section kinds that are alignable passages
    min_own_chars: int
    retrospective_titles: str  # pattern of review-part titles


@dataclass(frozen=True)
class SimilaritySettings:
    ngram_sizes: tuple[int, ...]
    stop_phrases: tuple[str, ...]
    candidates: int


@dataclass(frozen=True)
class ReuseSettings:
    seed_chars: int
    min_chars: int


@dataclass(frozen=True)
class ScoringWeights:
    text: float
    reuse: float
    program: float
    target: float


@dataclass(frozen=True)
class ScoringSettings:
    weights: ScoringWeights
    max_named_bonus: float
    period_factor: dict[str, float]  # in_force / earlier / later
    retrospective_factor: float
    direct_min_relative_text: float
    direct_target_relative_text: float  # share of direct_min_relative_text a pair sharing a target needs
    local_only_below: float
    top_k: int


@dataclass(frozen=True)
class NameSettings:
    quoted_chars: tuple[int, int]  # shortest, longest name the text puts in quotes (kg.text.double_quoted)
    title_chars: tuple[int, int]  # shortest, longest cited document title (kg.text.book_title)
    ignored_characters: str  # pattern of characters a name is compared without (spaces, quotes)
    generic_suffixes: tuple[str, ...]
    min_chars: int
    ignore: tuple[str, ...] = ()
    thematic: tuple[str, ...] = ()
    thematic_patterns: tuple[str, ...] = ()
    routine_kinds: tuple[str, ...] = ()
    routine_max_chars: int = 8


@dataclass(frozen=True)
class RefinementSettings:
    deadline_pattern: str
    number_pattern: str


@dataclass(frozen=True)
class ContinuitySettings:
    indicator_similarity: float  # char-bigram Dice to link two indicator names


@dataclass(frozen=True)
class AlignmentSettings:
    """``ontology/lexicon/alignment.yaml``: hierarchy, alignment, reuse and continuity settings."""

    hierarchy: HierarchySettings
    units: UnitSettings
    similarity: SimilaritySettings
    reuse: ReuseSettings
    scoring: ScoringSettings
    names: NameSettings
    refinement: RefinementSettings
    continuity: ContinuitySettings

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> "AlignmentSettings":
        """The settings of a parsed file (TypeError / KeyError on a missing or unknown entry)."""
        def tuples(section: dict[str, Any]) -> dict[str, Any]:
            return {key: tuple(value) if isinstance(value, list) else value for key, value in section.items()}

        scoring = dict(data["scoring"])
        scoring["weights"] = ScoringWeights(**scoring["weights"])
        return cls(
            hierarchy=HierarchySettings(**tuples(data["hierarchy"])),
            units=UnitSettings(**tuples(data["units"])),
            similarity=SimilaritySettings(**tuples(data["similarity"])),
            reuse=ReuseSettings(**data["reuse"]),
            scoring=ScoringSettings(**scoring),
            names=NameSettings(**tuples(data["names"])),
            refinement=RefinementSettings(**tuples(data["refinement"])),
            continuity=ContinuitySettings(**data["continuity"]),
        )


@functools.lru_cache(maxsize=8)
def alignment_settings(path: Path | str = ALIGNMENT_SETTINGS) -> AlignmentSettings:
    """The alignment / hierarchy / continuity settings (cached; frozen)."""
    data = read_yaml(Path(path))
    if not isinstance(data, dict):
        raise InputError(path, "alignment settings must be a mapping")
    try:
        return AlignmentSettings.from_mapping(data)
    except (KeyError, TypeError) as err:
        raise InputError(path, f"alignment settings incomplete or unknown entry ({err})") from None
