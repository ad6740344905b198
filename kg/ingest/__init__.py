"""Ingest: source files -> cleaned text, metadata and contained documents.

Reads each source file (:mod:`kg.ingest.read`), removes conversion debris
(:mod:`kg.ingest.clean`), infers metadata from the text (:mod:`kg.ingest.metadata`; for
traditional-script text from its simplified matching form, :mod:`kg.script`) and merges it
with an optional manifest (:mod:`kg.ingest.manifest`: the manifest wins, disagreements are
reported); splits compilations (汇编, :mod:`kg.ingest.compilation`) into their contained documents.
Every file gets a unique, stable document id (:mod:`kg.ingest.ids`).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Optional

from kg.errors import InputError, MissingDependency
from kg.ingest.clean import clean_text
from kg.ingest.compilation import is_compilation, split_compilation
from kg.ingest.ids import case_collisions, doc_id_of, document_ids
from kg.ingest.manifest import (
    MANIFEST_FIELDS, Disagreement, ManifestError, find_manifest, merge_metadata, read_manifest,
)
from kg.ingest.metadata import infer_metadata
from kg.ingest.read import MissingPackage, decode_bytes, read_source, scan_corpus, sha256_of, source_files
from kg.script import TRADITIONAL, detect_script, matching_form, simplified_line
from kg.records import Document, Segment

__all__ = [
    "MANIFEST_FIELDS", "Disagreement", "IngestResult", "ManifestError", "MissingPackage", "clean_text",
    "decode_bytes", "doc_id_of", "document_ids", "infer_metadata", "ingest_corpus", "ingest_file",
    "ingest_one", "matching_form", "read_manifest", "read_source", "source_files",
]


@dataclass
class IngestResult:
    documents: list[Document] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    # things worth saying that are not errors (files sharing a stem and the ids they got)
    notices: list[str] = field(default_factory=list)
    disagreements: list[Disagreement] = field(default_factory=list)
    # doc_id -> upper-level doc ids declared in the manifest (`upper:`); an empty list is an
    # override too: the document has no upper-level documents
    upper_overrides: dict[str, list[str]] = field(default_factory=dict)


def ingest_file(path: Path, doc_id: Optional[str] = None) -> list[Document]:
    """One source file -> one document, or several for a compilation.

    ``doc_id`` defaults to the file's own id (:func:`doc_id_of`); ingest_corpus passes the
    corpus-wide unique one. A traditional-script text is cleaned, structured and read for
    metadata through its simplified matching form (kg.script); its text stays as printed.
    """
    path = Path(path)
    raw, fmt, encoding = read_source(path)
    script = detect_script(raw)
    text = clean_text(raw, simplified_line if script == TRADITIONAL else None)
    if not text.strip():
        raise InputError(path, "empty file" if not raw.strip() else "file is empty after cleaning")
    match_text = matching_form(text, script)
    meta = infer_metadata(match_text, doc_id or doc_id_of(path.name))
    meta = replace(meta, sha256=sha256_of(path), source=path.name, source_format=fmt, encoding=encoding,
                   script=script)
    if is_compilation(match_text.split("\n")):
        parts = split_compilation(text, meta, match_text)
        if parts:
            return parts
    return [Document(meta=meta, text=text, segments=[Segment("body", 0, len(text))])]


def ingest_one(path: Path, doc_id: str) -> list[Document]:
    """ingest_file, with every failure turned into one error line for that file."""
    try:
        return ingest_file(path, doc_id)
    except InputError:
        raise
    except MissingDependency as err:
        raise MissingPackage(path, str(err)) from err
    except Exception as err:  # a bug or a file no check foresaw: this file fails, the others go on
        reason = str(err).splitlines()[0] if str(err).strip() else ""
        raise InputError(path, f"cannot ingest ({type(err).__name__}{': ' + reason if reason else ''})") from err


def ingest_corpus(
    corpus_dir: Path | str, manifest: Optional[Path | str] = None, use_manifest: bool = True
) -> IngestResult:
    """Read every source file of a folder. Unreadable files become errors; the rest still ingest.

    Metadata is inferred from each text; a manifest (given, or `manifest.yaml|csv` in the folder)
    overrides it field by field, and each field where the two differ is reported.
    """
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.is_dir():
        raise InputError(corpus_dir, "not a directory")
    manifest_path = (Path(manifest) if manifest else find_manifest(corpus_dir)) if use_manifest else None
    if manifest_path and not manifest_path.exists():
        raise InputError(manifest_path, "manifest not found")
    files, link_errors = scan_corpus(corpus_dir)
    declared = read_manifest(manifest_path, files) if manifest_path else {}
    result = IngestResult(upper_overrides={
        doc_id: list(entry["upper"]) for doc_id, entry in declared.items() if "upper" in entry})
    result.errors.extend(link_errors)
    ids, result.notices = document_ids(files)
    refused = case_collisions(ids)
    result.errors.extend(refused)
    refused_paths = {Path(err.path) for err in refused}
    for path in files:
        if path in refused_paths:
            continue
        try:
            documents = ingest_one(path, ids[path])
        except InputError as err:
            result.errors.append(err)
            continue
        for document in documents:
            if document.doc_id in declared:
                meta, disagreements = merge_metadata(document.meta, declared[document.doc_id])
                document.meta = meta
                result.disagreements.extend(disagreements)
            result.documents.append(document)
    return result

