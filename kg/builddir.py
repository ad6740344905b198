"""The one reader and writer of a build directory's tables: what `kg build` writes, later commands read.

The views, `kg query` and the Python API read a build back into a Corpus here (no re-extraction),
so no reader depends on the pipeline that wrote it.
"""
from __future__ import annotations

import csv
import json
import re
from dataclasses import fields
from pathlib import Path
from typing import Optional

from kg.analysis.hierarchy import hierarchy, hierarchy_context
from kg.errors import InputError
from kg.fileio import make_folder, read_jsonl, write_csv, write_json, write_jsonl, write_text
from kg.text import CELL_LIST_SEPARATOR
from kg.records import (
    Alignment, Concept, Corpus, Document, DocumentAnalysis, DocumentMeta, Mention, Organization, Relation, Section,
    Segment,
    record_dict, text_file_name,
)

# documents.csv: the analyst table promised in the README (stable column order)
DOCUMENTS_CSV_COLUMNS = [
    "doc_id", "title", "issuer", "co_issuers", "level", "region", "year", "period_start", "period_end", "doc_type",
    "doc_number", "signatory", "parent", "measures", "sha256", "status",
]


def write_tables(corpus: Corpus, out_dir: Path) -> None:
    """The analyst tables and the stage outputs later commands read back (see load_corpus)."""
    for document in corpus.documents:
        write_text(out_dir / "text" / text_file_name(document.doc_id), document.text)
    metas = [{**record_dict(d.meta), "co_issuers": CELL_LIST_SEPARATOR.join(d.meta.co_issuers)} for d in corpus.documents]
    write_csv(out_dir / "documents.csv", DOCUMENTS_CSV_COLUMNS, metas)
    write_jsonl(out_dir / "documents.jsonl", (
        {**record_dict(d.meta), "segments": [record_dict(s) for s in d.segments]} for d in corpus.documents
    ))
    write_jsonl(out_dir / "sections.jsonl", (record_dict(s) for doc in corpus.documents for s in corpus.sections[doc.doc_id]))
    write_jsonl(out_dir / "mentions.jsonl", (m.to_json() for m in corpus.mentions))
    write_jsonl(out_dir / "concepts.jsonl", (record_dict(c) for c in corpus.concepts))
    write_jsonl(out_dir / "alignments.jsonl", (a.to_json() for a in corpus.alignments))
    write_jsonl(out_dir / "organizations.jsonl", (record_dict(o) for o in corpus.organizations))
    write_jsonl(out_dir / "relations.jsonl", (record_dict(r) for r in corpus.relations))
    document_metas = [d.meta for d in corpus.documents]
    write_json(out_dir / "hierarchy.json", {
        "upper": hierarchy(document_metas, corpus.upper_overrides),  # in force for the lower document's year
        "later_context": hierarchy_context(document_metas, corpus.upper_overrides),  # issued after it: context only
        "manifest_overrides": corpus.upper_overrides,
    })


def _meta_from_row(row: dict) -> DocumentMeta:
    names = {f.name: f for f in fields(DocumentMeta)}
    values = {}
    for name, value in row.items():
        if name not in names:
            continue
        if name in ("year", "period_start", "period_end", "measures") and value not in (None, ""):
            value = int(value)
        values[name] = None if value == "" else value
    return DocumentMeta(**values)


def load_corpus(build_dir: Path | str) -> Corpus:
    """Read a build directory back into a Corpus (no re-extraction)."""
    build_dir = Path(build_dir)
    source = build_dir / "documents.jsonl"
    if not source.exists():
        raise InputError(build_dir, "not a build directory (no documents.jsonl); run `kg build` first")
    corpus = Corpus()
    for row in read_jsonl(source):
        segments = [Segment(**s) for s in row.pop("segments", [])]
        meta = _meta_from_row(row)
        text = (build_dir / "text" / text_file_name(meta.doc_id)).read_text(encoding="utf-8")
        corpus.documents.append(Document(meta=meta, text=text, segments=segments))
        corpus.sections[meta.doc_id] = []
    for row in read_jsonl(build_dir / "sections.jsonl"):
        corpus.sections.setdefault(row["doc_id"], []).append(Section(**row))
    corpus.mentions = read_mentions(build_dir)
    corpus.concepts = [Concept(**row) for row in read_jsonl(build_dir / "concepts.jsonl")]
    layers = build_dir / "hierarchy.json"
    if layers.exists():
        corpus.upper_overrides = json.loads(layers.read_text(encoding="utf-8"))["manifest_overrides"]
    alignments = build_dir / "alignments.jsonl"
    if alignments.exists():
        corpus.alignments = read_alignments(alignments)
    corpus.organizations = _read_records(build_dir / "organizations.jsonl", Organization)
    corpus.relations = read_relations(build_dir)
    return corpus


def _read_records(path: Path, record: type) -> list:
    """Records of a JSON Lines table; [] for a build made before the table existed."""
    if not path.exists():
        return []
    names = {f.name for f in fields(record)}
    return [record(**{k: v for k, v in row.items() if k in names}) for row in read_jsonl(path)]


def read_relations(build_dir: Path | str) -> list[Relation]:
    """``relations.jsonl``: every relation with the span of text that states it."""
    return _read_records(Path(build_dir) / "relations.jsonl", Relation)


def read_documents_csv(build_dir: Path | str) -> list[dict]:
    with (Path(build_dir) / "documents.csv").open(encoding="utf-8", newline="") as rows:
        return list(csv.DictReader(rows))


# Single tables of a build, for readers that need one table and not a whole Corpus (`kg eval`
# scores builds that may lack some tables, and a keyed document the build lacks).

def read_mentions(build_dir: Path | str) -> list[Mention]:
    """``mentions.jsonl`` as records; InputError if it is missing or not JSON Lines of mentions."""
    path = Path(build_dir) / "mentions.jsonl"
    if not path.is_file():
        raise InputError(path, "missing; run `kg build` first")
    try:
        return [Mention.from_json(row) for row in read_jsonl(path)]
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(path, f"not JSON Lines ({exc.__class__.__name__})") from None
    except TypeError as exc:  # a row without doc_id, type, text, start or end
        raise InputError(path, f"a row is not a mention ({exc})") from None


def read_document_metas(build_dir: Path | str) -> list[DocumentMeta]:
    """The documents' metadata from ``documents.jsonl`` (not documents.csv: its cells are made
    safe for spreadsheets); none for a build without it."""
    path = Path(build_dir) / "documents.jsonl"
    return [_meta_from_row(row) for row in read_jsonl(path)] if path.is_file() else []


def read_document_text(build_dir: Path | str, doc_id: str) -> str | None:
    """One document's cleaned text, None when the build has none for it."""
    path = Path(build_dir) / "text" / text_file_name(doc_id)
    return path.read_text(encoding="utf-8") if path.is_file() else None


def read_alignments(path: Path | str) -> list[Alignment]:
    """An ``alignments.jsonl`` file as records (columns the records lack are ignored)."""
    names = {f.name for f in fields(Alignment)}
    return [Alignment(**{k: v for k, v in row.items() if k in names}) for row in read_jsonl(path)]


# --------------------------------------------------------------------------- the analysis cache

# build/cache/<key>.json: one document's per-document analysis (kg.records.DocumentAnalysis),
# written by the build that made it, read by the next build of the same folder. JSON, not pickle:
# a build folder may come from someone else, and reading it must never run code. The key holds
# the pipeline version, so an entry is only read by the code that wrote it.
CACHE_FOLDER = "cache"
CACHE_KEY = re.compile(r"[0-9a-f]{64}")


class AnalysisCache:
    """The previous build's cached analyses, read on demand, and the entries the new build keeps.

    ``get`` reads ``previous/cache/<key>.json`` (None when absent or unreadable: the document is
    then analysed again); ``put`` keeps an analysis as it is now (later stages change mentions in
    place); ``write`` stores what was got or put into the new build directory, so entries of
    documents gone from the corpus are dropped."""

    def __init__(self, previous: Optional[Path | str] = None):
        self.previous = Path(previous) / CACHE_FOLDER if previous is not None else None
        self.entries: dict[str, bytes] = {}
        self.hits = 0

    def get(self, key: str) -> Optional[DocumentAnalysis]:
        if self.previous is None or not CACHE_KEY.fullmatch(key):
            return None
        try:
            raw = (self.previous / f"{key}.json").read_bytes()
            value = DocumentAnalysis.from_json(json.loads(raw))
        except Exception:  # absent, half-written or from an older kg: analysed again
            return None
        self.entries[key] = raw
        self.hits += 1
        return value

    def put(self, key: str, value: DocumentAnalysis) -> None:
        self.entries[key] = json.dumps(value.to_json(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def write(self, build_dir: Path | str) -> None:
        folder = make_folder(Path(build_dir) / CACHE_FOLDER)
        for key, raw in sorted(self.entries.items()):
            (folder / f"{key}.json").write_bytes(raw)
