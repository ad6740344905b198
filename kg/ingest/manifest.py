"""The corpus manifest: declared metadata that overrides what is inferred from the texts.

A manifest is YAML (a list of entries, or a mapping whose ``documents:`` holds that list) or CSV
(a header row of field names, one row per entry). Every entry is checked against the declared
schema :class:`ManifestEntry` (pydantic): unknown fields, wrong types, levels outside
``kg.records.Level``, implausible years, a ``period`` that is not ``[start, end]``, duplicate ids
and ids that name no file of the corpus are all reported, one line each
(``<manifest>: entry <n> (id <id>): <field>: <problem>``), before anything is analysed.
"""
from __future__ import annotations

import csv
import datetime
import difflib
import io
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any, Iterable, Optional, get_args

from pydantic import (
    AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, ValidationError, model_validator,
)

from kg.errors import InputError, KGError
from kg.ingest.ids import document_ids
from kg.records import DocumentMeta, Level
from kg.resources import load_user_yaml, read_user_text

MANIFEST_NAMES = ("manifest.yaml", "manifest.yml", "manifest.csv")
LEVELS: tuple[str, ...] = get_args(Level)
# Plans of the People's Republic; a year outside this range is a typo (2203, 23) or a wrong column.
YEAR_MIN, YEAR_MAX = 1949, 2100
# A CSV cell (or YAML string) listing several ids: "a; b", "a,b", "a b"
ID_LIST_SEPARATORS = re.compile(r"[;,\s]+")
# A CSV period cell: "2021-2025", "2021—2025", "2021;2025", "2021 2025" (the full-width dashes and
# tilde are manifest syntax, as the ASCII ones, so they stay with the schema)
PERIOD_SEPARATORS = re.compile(r"[;,\s~～—–－-]+")
COMPILATION_PART = re.compile(r"^(?P<file>.+)#(?P<n>[1-9][0-9]*)$")
MAX_REPORTED = 100  # problems listed before "… and N more"


# --------------------------------------------------------------------------- schema

def _blank_is_absent(value: Any) -> Any:
    """An empty CSV cell (or YAML "") means "no value", as null does."""
    return None if isinstance(value, str) and value == "" else value


def _text(value: Any) -> Any:
    value = _blank_is_absent(value)
    # YAML reads an unquoted 2023-01-01 as a date; the manifest meant the text
    return str(value) if isinstance(value, (datetime.date, datetime.datetime)) else value


def _year(value: Any) -> Any:
    value = _blank_is_absent(value)
    if isinstance(value, bool):  # YAML `yes`/`no`: pydantic would read True as 1
        raise ValueError(f"expected a year such as 2023, got {value!r}")
    return value


def _period(value: Any) -> Any:
    value = _blank_is_absent(value)
    if isinstance(value, str):
        return [part for part in PERIOD_SEPARATORS.split(value.strip()) if part]
    return value


def _two_years(value: Optional[list[int]]) -> Optional[list[int]]:
    if value is not None and len(value) != 2:
        raise ValueError(f"expected [first year, last year], got {value}")
    return value


def _id_list(value: Any) -> Any:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [part for part in ID_LIST_SEPARATORS.split(value.strip()) if part]
    return value


Text = Annotated[Optional[str], BeforeValidator(_text)]
Year = Annotated[int, Field(ge=YEAR_MIN, le=YEAR_MAX)]
OptionalYear = Annotated[Optional[Year], BeforeValidator(_year)]
DocId = Annotated[str, StringConstraints(min_length=1)]


class ManifestEntry(BaseModel):
    """One document's declared metadata. Only the fields given override the inferred ones."""

    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)

    id: DocId
    title: Text = None
    issuer: Text = None
    level: Annotated[Optional[Level], BeforeValidator(_blank_is_absent)] = None
    region: Text = None
    year: OptionalYear = None
    period_start: OptionalYear = None
    period_end: OptionalYear = None
    doc_type: Text = None
    doc_number: Text = None
    signatory: Text = None
    period: Annotated[Optional[list[Annotated[Year, BeforeValidator(_year)]]],
                      BeforeValidator(_period), AfterValidator(_two_years)] = None
    upper: Annotated[Optional[list[DocId]], BeforeValidator(_id_list)] = None

    @model_validator(mode="after")
    def _consistent_period(self) -> "ManifestEntry":
        if self.period is not None:
            start, end = self.period
            if start > end:
                raise ValueError(f"period: first year {start} is after last year {end}")
            for name, year in (("period_start", start), ("period_end", end)):
                given = getattr(self, name)
                if given is not None and given != year:
                    raise ValueError(f"{name}: {given} contradicts period {self.period}")
        elif self.period_start is not None and self.period_end is not None and self.period_start > self.period_end:
            raise ValueError(f"period_start: {self.period_start} is after period_end {self.period_end}")
        return self


class ManifestFile(BaseModel):
    """The top level of a YAML manifest written as a mapping."""

    model_config = ConfigDict(extra="forbid")

    documents: Optional[list[Any]] = None


# Fields a manifest may set on DocumentMeta; `period` and `upper` are translated, `id` selects.
MANIFEST_FIELDS = tuple(name for name in ManifestEntry.model_fields if name not in ("id", "period", "upper"))
ENTRY_FIELDS = tuple(ManifestEntry.model_fields)


class ManifestError(InputError):
    """All problems of one manifest; ``lines`` holds them one per line (``path: problem``)."""

    def __init__(self, path, problems: list[str]):
        shown = problems[:MAX_REPORTED]
        if len(problems) > MAX_REPORTED:
            shown.append(f"… and {len(problems) - MAX_REPORTED} more problems")
        self.path = str(path)
        self.problems = shown
        self.problem = "\n".join(shown)
        self.lines = [f"{self.path}: {problem}" for problem in shown]
        KGError.__init__(self, "\n".join(self.lines))


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    return type(value).__name__


def _describe(error: dict) -> str:
    """A pydantic error as a short sentence about the value."""
    kind, value = error["type"], error.get("input")
    if kind == "missing":
        return "required"
    if kind == "extra_forbidden":
        return "unknown field (fields: " + ", ".join(ENTRY_FIELDS) + ")"
    if kind == "literal_error":
        return f"{_shown(value)} is not a level ({', '.join(LEVELS)})"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"expected a year such as 2023, got {_shown(value)}"
    if kind in ("greater_than_equal", "less_than_equal"):
        return f"{_shown(value)} is not a year between {YEAR_MIN} and {YEAR_MAX}"
    if kind == "string_type":
        return f"expected text, got {_kind(value)} {_shown(value)}"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "list_type":
        return f"expected a list, got {_kind(value)} {_shown(value)}"
    if kind == "model_type":
        return f"expected a mapping of fields, got {_kind(value)} {_shown(value)}"
    if kind == "value_error":
        return error["msg"].removeprefix("Value error, ")
    return f"{error['msg']} (got {_shown(value)})"


def _location(loc: tuple) -> str:
    """('period', 0) -> 'period item 1'."""
    parts = [str(loc[0])] if loc else []
    parts += [f"item {part + 1}" if isinstance(part, int) else str(part) for part in loc[1:]]
    return " ".join(parts)


def _entry_label(number: int, raw: Any) -> str:
    given = raw.get("id") if isinstance(raw, dict) else None
    return f"entry {number} (id {given})" if given not in (None, "") else f"entry {number} (no id)"


# --------------------------------------------------------------------------- reading

def _csv_entries(path: Path, text: str, problems: list[str]) -> list[dict]:
    """Rows of a CSV manifest as mappings. Unknown columns and ragged rows are problems."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for row in reader:
            rows.append((start, row))
            start = reader.line_num + 1
    except csv.Error as err:
        raise InputError(path, f"not valid CSV: {err} in the row starting on line {start}"
                               + (" (an unclosed quote?)" if "end of data" in str(err) else "")) from None
    rows = [(line, row) for line, row in rows if row]  # blank lines separate nothing
    if not rows:
        return []
    header = rows[0][1]
    unknown = [name for name in header if name not in ENTRY_FIELDS]
    for name in unknown:
        problems.append(f"line {rows[0][0]}: unknown column {name!r} (columns: {', '.join(ENTRY_FIELDS)})")
    repeated = sorted({name for name in header if header.count(name) > 1})
    for name in repeated:
        problems.append(f"line {rows[0][0]}: column {name!r} appears more than once")
    entries = []
    for number, (line, row) in enumerate(rows[1:], start=1):
        entry = {name: cell for name, cell in zip(header, row) if name not in unknown}
        if len(row) != len(header):
            problems.append(f"{_entry_label(number, entry)}: line {line} has {len(row)} cells, "
                            f"the header {len(header)}")
        entries.append(entry)
    return entries


def _yaml_entries(path: Path, problems: list[str]) -> list:
    data = load_user_yaml(path)
    if data is None:
        return []
    if isinstance(data, list):
        return data
    if not isinstance(data, dict):
        raise InputError(path, f"expected a list of entries or a mapping with `documents:`, got {_kind(data)}")
    try:
        top = ManifestFile.model_validate(data)
    except ValidationError as err:
        for error in err.errors():
            if error["type"] == "extra_forbidden":
                problems.append(f"{_location(error['loc'])}: unknown top-level key (expected `documents:`)")
            elif error["loc"] == ("documents",) and error["type"] == "list_type":
                problems.append(f"documents: expected a list of entries, got {_kind(error['input'])} "
                                f"{_shown(error['input'])}")
            else:
                problems.append(f"{_location(error['loc'])}: {_describe(error)}")
        documents = data.get("documents")
        return documents if isinstance(documents, list) else []
    return top.documents or []


class _CorpusIds:
    """Which manifest ids name a document of the corpus folder, and the doc_id each stands for.

    An entry may name a file by the id ingest gives it (``kg.ingest.ids.document_ids``: the stem, or
    the file name when two files share a stem), by its file name, or by its stem when no other
    file shares it; a compilation part is ``<any of these>#N``.
    """

    def __init__(self, files: Iterable[Path]):
        files = list(files)
        ids, _ = document_ids(files)
        self.doc_ids = set(ids.values())
        self.by_name = {path.name: ids[path] for path in files}
        self.by_stem: dict[str, list[Path]] = {}
        for path in files:
            self.by_stem.setdefault(path.stem, []).append(path)
        self.ids = ids

    def _file_id(self, given: str) -> tuple[Optional[str], Optional[str]]:
        if given in self.doc_ids:
            return given, None
        if given in self.by_name:
            return self.by_name[given], None
        sharing = self.by_stem.get(given, [])
        if len(sharing) == 1:
            return self.ids[sharing[0]], None
        if sharing:
            names = ", ".join(sorted(repr(self.ids[path]) for path in sharing))
            return None, f"{given!r} is the stem of several files; name one by its id ({names})"
        return None, None

    def resolve(self, given: str) -> tuple[Optional[str], str]:
        """(doc_id, "") for an id of the corpus, else (None, why not)."""
        part = COMPILATION_PART.match(given)
        if part:  # `#` is reserved for parts: a file's own `#` is percent-encoded in its id
            whole, problem = self._file_id(part.group("file"))
            if whole is not None:
                return f"{whole}#{part.group('n')}", ""
        doc_id, problem = self._file_id(given)
        if doc_id is not None:
            return doc_id, ""
        if problem:
            return None, problem
        target = part.group("file") if part else given
        close = difflib.get_close_matches(target, sorted(self.doc_ids), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return None, f"{'no compilation file' if part else 'no file'} {target!r} in the corpus folder{hint}"


def read_manifest(path: Path | str, corpus_files: Optional[Iterable[Path]] = None) -> dict[str, dict]:
    """doc_id -> declared fields (only those the entry gives), checked against the schema.

    With ``corpus_files`` (the corpus folder's source files) every id and `upper` id must name one
    of them (see :class:`_CorpusIds`); ids are returned as the doc ids ingest gives.
    Raises ManifestError listing every problem, or InputError for an unreadable file.
    """
    path = Path(path)
    problems: list[str] = []
    try:
        if path.suffix.lower() == ".csv":
            raw_entries = _csv_entries(path, read_user_text(path), problems)
        else:
            raw_entries = _yaml_entries(path, problems)
    except FileNotFoundError:
        raise InputError(path, "manifest not found") from None
    except OSError as err:
        raise InputError(path, f"cannot read manifest: {err.strerror or err}") from None

    corpus = _CorpusIds(corpus_files) if corpus_files is not None else None
    manifest: dict[str, dict] = {}
    first_entry: dict[str, int] = {}
    for number, raw in enumerate(raw_entries, start=1):
        label = _entry_label(number, raw)
        entry: Optional[ManifestEntry] = None
        try:
            entry = ManifestEntry.model_validate(raw)
        except ValidationError as err:
            for error in err.errors():
                where = _location(error["loc"])
                problems.append(f"{label}: {where}: {_describe(error)}" if where else f"{label}: {_describe(error)}")
        # the id is checked even when other fields are wrong, so every problem shows at once
        given = entry.id if entry else (raw.get("id") if isinstance(raw, dict) else None)
        if not isinstance(given, (str, int)) or isinstance(given, bool) or given == "":
            continue
        doc_id = str(given)
        if corpus is not None:
            doc_id, problem = corpus.resolve(str(given))
            if doc_id is None:
                problems.append(f"{label}: id: {problem}")
                continue
        if doc_id in first_entry:
            problems.append(f"{label}: id: duplicate of entry {first_entry[doc_id]}")
            continue
        first_entry[doc_id] = number
        if entry is None:
            continue
        record = {name: getattr(entry, name) for name in MANIFEST_FIELDS if name in entry.model_fields_set}
        if entry.period:
            record["period_start"], record["period_end"] = entry.period
        if "upper" in entry.model_fields_set:
            upper = entry.upper or []
            if corpus is not None:
                resolved = [corpus.resolve(other) for other in upper]
                problems.extend(f"{label}: upper: {problem}" for found, problem in resolved if found is None)
                upper = [found for found, _ in resolved if found is not None]
            record["upper"] = upper
        manifest[doc_id] = record
    if problems:
        raise ManifestError(path, problems)
    return manifest


def find_manifest(corpus_dir: Path) -> Optional[Path]:
    for name in MANIFEST_NAMES:
        candidate = corpus_dir / name
        if candidate.exists():
            return candidate
    return None


# --------------------------------------------------------------------------- merging

@dataclass
class Disagreement:
    doc_id: str
    field: str
    manifest: object
    inferred: object


def merge_metadata(inferred: DocumentMeta, declared: dict) -> tuple[DocumentMeta, list[Disagreement]]:
    """The manifest wins; every field where inference found something else is reported."""
    disagreements = []
    updates = {}
    for name in MANIFEST_FIELDS:
        if name not in declared:
            continue
        value, guess = declared[name], getattr(inferred, name)
        if guess is not None and value is not None and str(guess) != str(value):
            disagreements.append(Disagreement(inferred.doc_id, name, value, guess))
        updates[name] = value
    return replace(inferred, **updates), disagreements
