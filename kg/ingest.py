"""Ingest: source files -> cleaned text, metadata and contained documents.

Reads .txt (UTF-8 with or without BOM, GB18030/GBK, UTF-16), .docx, text-based .pdf and
.html; removes conversion debris; infers metadata from the text and merges it with an
optional manifest (the manifest wins; disagreements are reported); splits compilations
(汇编) into their contained documents.
"""
from __future__ import annotations

import csv
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Optional

import yaml

from kg.errors import InputError
from kg.records import Document, DocumentMeta, Segment
from kg.resources import lexicon as load_yaml

SOURCE_SUFFIXES = {".txt": "txt", ".text": "txt", ".docx": "docx", ".pdf": "pdf", ".html": "html", ".htm": "html"}
MANIFEST_NAMES = ("manifest.yaml", "manifest.yml", "manifest.csv")
# Fields a manifest may set; the rest are computed.
MANIFEST_FIELDS = ("title", "issuer", "level", "region", "year", "period_start", "period_end",
                   "doc_type", "doc_number", "signatory")


@dataclass
class Disagreement:
    doc_id: str
    field: str
    manifest: object
    inferred: object


@dataclass
class IngestResult:
    documents: list[Document] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    disagreements: list[Disagreement] = field(default_factory=list)
    # doc_id -> upper-level doc ids declared in the manifest (`upper:`); an empty list is an
    # override too: the document has no upper-level documents
    upper_overrides: dict[str, list[str]] = field(default_factory=dict)


# --------------------------------------------------------------------------- reading

def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as data:
        for block in iter(lambda: data.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def decode_bytes(raw: bytes, path: Path) -> tuple[str, str]:
    """Decode Chinese text in any common encoding; return (text, encoding)."""
    for bom, encoding in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if raw.startswith(bom):
            return raw.decode(encoding), encoding
    if b"\x00" in raw and len(raw) % 2 == 0:
        # UTF-16 without a byte-order mark: UTF-8 and GB text never hold NUL bytes; the
        # line breaks tell the byte order
        encoding = "utf-16-le" if raw.count(b"\n\x00") >= raw.count(b"\x00\n") else "utf-16-be"
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            pass
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(raw).best()
    if best is None:
        raise InputError(path, "cannot decode text: not UTF-8, GB18030 or UTF-16 and no encoding detected")
    return str(best), best.encoding


def read_docx(path: Path) -> str:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    document = docx.Document(str(path))
    lines: list[str] = []
    for block in document.element.body.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.append(Paragraph(block, document).text)
        elif tag == "tbl":
            for row in Table(block, document).rows:
                lines.extend("\t" + cell.text for cell in row.cells)
            lines.append("")
    return "\n".join(lines)


def read_pdf(path: Path) -> str:
    import pdfplumber

    with pdfplumber.open(str(path)) as pdf:
        pages = [page.extract_text() or "" for page in pdf.pages]
    text = "\n".join(pages)
    if not text.strip():
        raise InputError(path, "PDF has no text layer (scanned image?); OCR it first")
    return text


def read_html(raw: bytes, path: Path) -> tuple[str, str]:
    import trafilatura

    html, encoding = decode_bytes(raw, path)
    # precision first keeps site navigation out; recall is the fallback for sparse pages
    text = trafilatura.extract(html, include_tables=True, include_comments=False, favor_precision=True)
    if not text or not text.strip():
        text = trafilatura.extract(html, include_tables=True, include_comments=False)
    if not text or not text.strip():
        raise InputError(path, "no article text found in HTML")
    return text, encoding


def read_source(path: Path) -> tuple[str, str, Optional[str]]:
    """Return (raw text, format, encoding) of one source file; InputError if unreadable."""
    path = Path(path)
    fmt = SOURCE_SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise InputError(path, f"unsupported file type {path.suffix!r} (expected .txt, .docx, .pdf or .html)")
    try:
        if fmt == "docx":
            return read_docx(path), fmt, None
        if fmt == "pdf":
            return read_pdf(path), fmt, None
        raw = path.read_bytes()
        if fmt == "html":
            text, encoding = read_html(raw, path)
            return text, fmt, encoding
        text, encoding = decode_bytes(raw, path)
        return text, fmt, encoding
    except InputError:
        raise
    except Exception as err:  # a corrupt .docx/.pdf raises library-specific errors
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise InputError(path, f"cannot read {fmt}: {reason}") from err


# --------------------------------------------------------------------------- cleaning

DEBRIS_PATTERNS = [
    re.compile(r"\[bookmark:[^\]]*\]"),
    re.compile(r"\[(?:image|picture|图片|图像)[^\]]*\]", re.IGNORECASE),
    re.compile(r"<!--\s*image\s*-->", re.IGNORECASE),
]
PAGE_NUMBER_LINE = re.compile(r"^\s*(?:[—–\-－]\s*\d{1,4}\s*[—–\-－]|第\s*\d{1,4}\s*页(?:\s*共\s*\d{1,4}\s*页)?|\d{1,4}\s*/\s*\d{1,4})\s*$")
SENTENCE_END = "。！？；：…”’」』)）】"
CLAUSE_MARKS = "，。；"
CJK_SPACE = re.compile(r"(?<=[\u4e00-\u9fff])[ \u3000]+(?=[\u4e00-\u9fff0-9])|(?<=[0-9])[ \u3000]+(?=[\u4e00-\u9fff])")


@lru_cache(maxsize=None)
def heading_start() -> re.Pattern:
    data = load_yaml("headings.yaml")
    alternatives = [level["pattern"] for level in data["levels"]] + [data["column"]["pattern"]]
    unnamed = [re.sub(r"\(\?P<\w+>", "(", p) for p in alternatives]
    return re.compile(r"^\s*(?:" + "|".join(f"(?:{p})" for p in unnamed) + ")")


def is_heading_like(line: str) -> bool:
    return bool(heading_start().match(line))


def is_body_line(line: str) -> bool:
    """A line of running prose (as opposed to a title or a heading-only line)."""
    stripped = line.strip()
    return any(mark in stripped for mark in CLAUSE_MARKS) or len(stripped) >= 30


def ends_mid_sentence(line: str) -> bool:
    stripped = line.rstrip()
    return bool(stripped) and stripped[-1] not in SENTENCE_END


def clean_text(raw: str) -> str:
    """Remove conversion debris and re-join sentences broken across lines.

    Keeps one paragraph per line; table cells (tab-indented lines) stay on their own lines.
    """
    text = unicodedata.normalize("NFC", raw).replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    text = text.replace("\ufeff", "").replace("\u00a0", " ")
    for pattern in DEBRIS_PATTERNS:
        text = pattern.sub("", text)
    lines: list[str] = []
    for line in text.split("\n"):
        is_cell = line.startswith("\t")
        if PAGE_NUMBER_LINE.match(line) and not is_cell:  # "65/30" in a table is data
            continue
        line = line.strip(" \u3000\t\v")
        if not line:
            continue
        lines.append(("\t" + line) if is_cell else line)

    paragraphs: list[str] = []
    for line in lines:
        previous = paragraphs[-1] if paragraphs else None
        if (
            previous is not None
            and not previous.startswith("\t")
            and not line.startswith("\t")
            and is_body_line(previous)
            and ends_mid_sentence(previous)
            and not is_heading_like(line)
        ):
            paragraphs[-1] = previous + line
        else:
            paragraphs.append(line)
    return "\n".join(paragraphs) + "\n"


# --------------------------------------------------------------------------- metadata

def compact(text: str) -> str:
    """Drop the stray spaces PDF/Word extraction leaves between Chinese characters and digits."""
    return CJK_SPACE.sub("", text).strip()


def infer_title(lines: list[str]) -> Optional[str]:
    """The plan's own title line: the first short line ending in a title word (工作要点, 规划 …).

    The cover notice ("…文件", "关于印发《…》的通知") is skipped; a title continued on the
    next line ("…重点工程" / "及2016年工作要点") is joined.
    """
    words = load_yaml("metadata.yaml")["title_words"]
    for index, line in enumerate(lines[:40]):
        candidate = compact(line)
        if "《" in candidate or "关于" in candidate or is_heading_like(candidate) or len(candidate) > 60:
            continue
        if candidate.endswith(("文件", "通知")) or is_body_line(candidate):
            continue
        if any(word in candidate for word in words):
            following = compact(lines[index + 1]) if index + 1 < len(lines) else ""
            if following.startswith(("及", "和", "暨")) and len(following) < 30:
                candidate += following
            return candidate
    return None


def infer_issuer(lines: list[str], title: Optional[str]) -> Optional[str]:
    cues = load_yaml("metadata.yaml")
    cover = re.compile(cues["cover_issuer"])
    for line in lines[:10]:
        found = cover.match(compact(line))
        if found:
            return found.group("issuer")
    if title:
        prefix = re.split(r"(?:19|20)\d{2}|未来|关于|“", title)[0]
        for suffix in cues["issuer_suffixes"]:
            if suffix in prefix:
                return prefix[: prefix.index(suffix) + len(suffix)]
    return None


def infer_level(issuer: Optional[str], title: Optional[str]) -> str:
    name = issuer or ""
    if not name and title:
        name = re.split(r"(?:19|20)\d{2}|教育事业|“", title)[0]
    for rule in load_yaml("metadata.yaml")["level_rules"]:
        if name and re.search(rule["pattern"], name):
            return rule["level"]
    return "unknown"


def infer_period(title: Optional[str], head: str) -> tuple[Optional[int], Optional[int]]:
    cues = load_yaml("metadata.yaml")
    text = (title or "") + "\n" + head
    found = re.search(cues["period"], text)
    if found:
        return int(found.group("start")), int(found.group("end"))
    for name, (start, end) in cues["five_year_plans"].items():
        if title and name in title:
            return start, end
    years = [int(y) for y in re.findall(r"((?:19|20)\d{2})\s*年", title or "")]
    if years:
        start = min(years)
        ahead = re.search(cues["years_ahead"], title or "")
        if ahead:
            span = {"二": 2, "两": 2, "三": 3, "四": 4}[ahead.group("n")]
            return start, start + span - 1
        return start, max(years)
    return None, None


def infer_doc_type(title: Optional[str]) -> Optional[str]:
    if not title:
        return None
    for rule in load_yaml("metadata.yaml")["doc_types"]:
        if rule["cue"] in title:
            return rule["type"]
    return "other"


def infer_region(issuer: Optional[str], title: Optional[str]) -> Optional[str]:
    """The administrative region of the issuer, as a chain of names (郑州市惠济区)."""
    from kg import places  # the gazetteer is shared with extraction

    source = issuer or title or ""
    return places.region_of(source)


def infer_metadata(text: str, doc_id: str, title: Optional[str] = None) -> DocumentMeta:
    """Metadata from the text alone: title lines, 〔YYYY〕N号, 签发人, years and issuer in the title."""
    cues = load_yaml("metadata.yaml")
    lines = [line for line in text.split("\n") if line.strip()]
    head = "\n".join(lines[:15])
    title = title or infer_title(lines)
    # a period printed under the title, "（2021—2025）", stands on a short line of its own
    short_lines = "\n".join(line for line in lines[:15] if len(compact(line)) <= 20)
    number = re.search(cues["doc_number"], head)
    signatory = re.search(cues["signatory"], head)
    issuer = infer_issuer(lines, title)
    start, end = infer_period(title, short_lines)
    return DocumentMeta(
        doc_id=doc_id,
        title=title,
        issuer=issuer,
        level=infer_level(issuer, title),
        region=infer_region(issuer, title),
        year=start,
        period_start=start,
        period_end=end,
        doc_type=infer_doc_type(title),
        doc_number=re.sub(r"\s+", "", number.group("number")) if number else None,
        signatory=signatory.group("name") if signatory else None,
    )


# --------------------------------------------------------------------------- manifest

def find_manifest(corpus_dir: Path) -> Optional[Path]:
    for name in MANIFEST_NAMES:
        candidate = corpus_dir / name
        if candidate.exists():
            return candidate
    return None


def coerce(name: str, value):
    if value in (None, ""):
        return None
    if name in ("year", "period_start", "period_end"):
        return int(value)
    return str(value)


def read_manifest(path: Path) -> dict[str, dict]:
    """doc_id -> manifest fields. YAML (a list of mappings, or `documents:` list) or CSV."""
    try:
        if path.suffix == ".csv":
            with path.open(encoding="utf-8-sig", newline="") as rows:
                entries = list(csv.DictReader(rows))
        else:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            entries = data.get("documents", []) if isinstance(data, dict) else data
    except (yaml.YAMLError, csv.Error, UnicodeDecodeError) as err:
        raise InputError(path, f"malformed manifest: {str(err).splitlines()[0]}") from err
    manifest: dict[str, dict] = {}
    for entry in entries or []:
        if not isinstance(entry, dict) or not entry.get("id"):
            raise InputError(path, f"manifest entry without an `id`: {entry!r}"[:200])
        record = {}
        for name in MANIFEST_FIELDS:
            if name in entry:
                record[name] = coerce(name, entry[name])
        if "period" in entry and entry["period"]:
            record["period_start"], record["period_end"] = (int(y) for y in entry["period"])
        if "upper" in entry:
            upper = entry["upper"]
            # CSV manifests list upper-level ids in one cell, separated by ; or spaces
            record["upper"] = re.split(r"[;,\s]+", upper.strip()) if isinstance(upper, str) and upper.strip() else (upper or [])
        manifest[str(entry["id"])] = record
    return manifest


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


# --------------------------------------------------------------------------- compilations

TOC_ENTRY = re.compile(r"^(?P<n>\d{1,2})[.．、]\s*(?P<title>.*?)\s*(?P<page>\d{1,4})?$")
NUMBERED = re.compile(r"^(?P<n>\d{1,3})[.．、]")


def is_compilation(lines: list[str]) -> bool:
    return any("汇编" in line for line in lines[:400]) and any(line.strip() == "目录" for line in lines)


def parse_toc(lines: list[str]) -> tuple[list[str], int, int]:
    """Titles of the contained documents, in order, and the line range of the table of contents."""
    start = next(i for i, line in enumerate(lines) if line.strip() == "目录")
    titles: list[str] = []
    index = start + 1
    while index < len(lines):
        found = TOC_ENTRY.match(lines[index].strip())
        if found and int(found.group("n")) == len(titles) + 1:
            title = found.group("title")
            if not title and index + 1 < len(lines):  # "1." with the title on the next line
                index += 1
                follow = re.match(r"^(?P<title>.*?)\s*\d{1,4}$", lines[index].strip())
                title = follow.group("title") if follow else lines[index].strip()
            titles.append(title.strip())
            index += 1
            continue
        break
    return titles, start, index


def outline_blocks(lines: list[str], begin: int, end: int) -> list[tuple[int, int]]:
    """Split a run of heading-only lines into per-document outlines where numbering restarts at 1."""
    blocks: list[tuple[int, int]] = []
    block_start = begin
    last_number = 0
    for index in range(begin, end):
        found = NUMBERED.match(lines[index])
        if not found:
            continue
        number = int(found.group("n"))
        if number == 1 and last_number > 1:
            # the new outline begins at the headings directly above its first measure
            first = index
            while first - 1 > block_start and not NUMBERED.match(lines[first - 1]):
                first -= 1
            blocks.append((block_start, first))
            block_start = first
        last_number = number
    blocks.append((block_start, end))
    return blocks


def split_compilation(text: str, parent: DocumentMeta) -> list[Document]:
    """Split a 汇编 into its documents `<id>#1..#N` in table-of-contents order.

    A compilation may carry, per contained document, its heading outline, its body, or both;
    a body cut off before its outline ends is marked truncated, an outline without a body
    outline-only.
    """
    lines = text.split("\n")
    titles, toc_start, toc_end = parse_toc(lines)
    compilation_title = next((l for l in lines[max(0, toc_start - 3):toc_start] if "汇编" in l), None)
    title_line = toc_start - 1 if compilation_title else toc_start

    # Outlines: heading-only lines before the compilation's own title page.
    leading = [i for i in range(title_line) if not is_body_line(lines[i]) or NUMBERED.match(lines[i])]
    outline_start = next((i for i in leading if is_heading_like(lines[i]) and not TOC_ENTRY.fullmatch(lines[i]) or i > 8), 0)
    # skip a stray table-of-contents fragment at the very top (entries ending in page numbers)
    while outline_start < title_line and re.match(r"^\d{1,2}[.．]\S*?\d{1,3}$|^\d{1,2}[.．]$", lines[outline_start]):
        outline_start += 1
    outlines = outline_blocks(lines, outline_start, title_line) if outline_start < title_line else []

    # Bodies: after the table of contents, each starting at a line equal to a TOC title.
    bodies: list[tuple[int, int, int]] = []  # (toc index, start line, end line)
    next_title = 0
    for index in range(toc_end, len(lines)):
        stripped = lines[index].strip()
        for position in range(next_title, len(titles)):
            if stripped == titles[position]:
                bodies.append((position, index, len(lines)))
                next_title = position + 1
                break
    bodies = [(pos, start, bodies[k + 1][1] if k + 1 < len(bodies) else len(lines)) for k, (pos, start, _) in enumerate(bodies)]
    body_by_position = {pos: (start, end) for pos, start, end in bodies}

    documents = []
    for position, title in enumerate(titles):
        outline = outlines[position] if position < len(outlines) else None
        body = body_by_position.get(position)
        parts: list[tuple[str, str]] = []
        status = "complete"
        if body:
            parts.append(("body", "\n".join(lines[body[0]:body[1]]).strip("\n")))
            body_measures = sum(1 for l in lines[body[0]:body[1]] if NUMBERED.match(l))
            outline_measures = sum(1 for l in lines[outline[0]:outline[1]] if NUMBERED.match(l)) if outline else 0
            last = lines[body[1] - 1].rstrip() if body[1] > body[0] else ""
            if body_measures < outline_measures or (last and last[-1] not in SENTENCE_END):
                status = "truncated"
                if outline:
                    parts.append(("outline", "\n".join(lines[outline[0]:outline[1]])))
        elif outline:
            status = "outline-only"
            parts.append(("outline", title + "\n" + "\n".join(lines[outline[0]:outline[1]])))
        else:
            status = "outline-only"
            parts.append(("outline", title))
        segments, chunks, offset = [], [], 0
        for kind, chunk in parts:
            chunk = chunk.strip("\n") + "\n"
            segments.append(Segment(kind, offset, offset + len(chunk)))
            chunks.append(chunk)
            offset += len(chunk)
        part_text = "".join(chunks)
        meta = infer_metadata(part_text, f"{parent.doc_id}#{position + 1}", title=title)
        meta = replace(
            meta, parent=parent.doc_id, status=status, sha256=parent.sha256,
            source=parent.source, source_format=parent.source_format, encoding=parent.encoding,
        )
        meta = replace(meta, **anonymised_issuer(title, meta))
        documents.append(Document(meta=meta, text=part_text, segments=segments))
    return documents


def anonymised_issuer(title: str, meta: DocumentMeta) -> dict:
    """Compilations of anonymised plans print "市教育局…" / "县教育局…": the place is "XX"."""
    found = re.match(r"^(?P<unit>[市县区])(?P<body>教育局|教体局|人民政府)", title)
    if not found:
        return {}
    unit = found.group("unit")
    issuer = f"XX{unit}{found.group('body')}"
    level = {"市": "city", "县": "county", "区": "district"}[unit]
    return {"issuer": issuer, "region": f"XX{unit}", "level": level}


# --------------------------------------------------------------------------- corpus

def ingest_file(path: Path) -> list[Document]:
    """One source file -> one document, or several for a compilation."""
    raw, fmt, encoding = read_source(path)
    text = clean_text(raw)
    if not text.strip():
        raise InputError(path, "file is empty after cleaning")
    meta = infer_metadata(text, path.stem)
    meta = replace(meta, sha256=sha256_of(path), source=path.name, source_format=fmt, encoding=encoding)
    lines = text.split("\n")
    if is_compilation(lines):
        parts = split_compilation(text, meta)
        if parts:
            return parts
    return [Document(meta=meta, text=text, segments=[Segment("body", 0, len(text))])]


def source_files(corpus_dir: Path) -> list[Path]:
    return sorted(
        p for p in corpus_dir.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.name not in MANIFEST_NAMES
        and p.suffix.lower() not in (".md", ".yaml", ".yml", ".csv", ".json")
    )


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
    declared = read_manifest(manifest_path) if manifest_path else {}
    result = IngestResult(upper_overrides={
        doc_id: list(entry["upper"]) for doc_id, entry in declared.items() if "upper" in entry})
    for path in source_files(corpus_dir):
        try:
            documents = ingest_file(path)
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

