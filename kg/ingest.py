"""Ingest: source files -> cleaned text, metadata and contained documents.

Reads .txt (UTF-8 with or without BOM, GB18030/GBK, Big5, UTF-16; the decoding that reads most
like Chinese wins), .docx, text-based .pdf and .html; removes conversion debris; infers metadata
from the text (for traditional-script text, from its simplified matching form, see kg.script)
and merges it with an optional manifest (the manifest wins; disagreements are reported); splits
compilations (汇编) into their contained documents. Every file gets a unique, stable document id.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Callable, Optional

from kg.errors import InputError, MissingDependency, require
from kg.manifest import (  # noqa: F401  (MANIFEST_FIELDS is re-exported)
    MANIFEST_FIELDS, MANIFEST_NAMES, Disagreement, find_manifest, merge_metadata, read_manifest,
)
from kg.records import Document, DocumentMeta, Segment
from kg.resources import lexicon as load_yaml
from kg.script import TRADITIONAL, detect_script, matching_form, simplified_line

SOURCE_SUFFIXES = {".txt": "txt", ".text": "txt", ".docx": "docx", ".pdf": "pdf", ".html": "html", ".htm": "html"}

class MissingPackage(InputError):
    """A file that needs an optional package which is not installed: an installation problem
    (exit 3), reported for that file like any other error line."""

    exit_code = MissingDependency.exit_code


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


# --------------------------------------------------------------------------- reading

def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as data:
        for block in iter(lambda: data.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@lru_cache(maxsize=1)
def encoding_settings() -> dict:
    return load_yaml("encodings.yaml")


@lru_cache(maxsize=1)
def not_common() -> re.Pattern:
    """Everything but the common characters of ``encodings.yaml`` (decoded from their byte ranges)."""
    chars: set[str] = set()
    for block in encoding_settings()["common_characters"]:
        first, last = (int(b, 16) for b in block["lead"])
        for lead in range(first, last + 1):
            for low, high in block["trail"]:
                for trail in range(int(low, 16), int(high, 16) + 1):
                    try:
                        chars.add(bytes((lead, trail)).decode(block["encoding"]))
                    except UnicodeDecodeError:
                        continue
    return re.compile("[^" + "".join(re.escape(c) for c in sorted(chars)) + "]+")


# U+FFFD, private use, C0/C1 controls except tab, line feed, form feed, carriage return and NUL
SUSPICIOUS = "\ufffd\ue000-\uf8ff\U000f0000-\U0010ffff\x01-\x08\x0b\x0e-\x1f\x7f-\x9f"
NOT_SUSPICIOUS = re.compile(f"[^{SUSPICIOUS}]+")
NOT_COUNTED = re.compile(f"(?:(?![{SUSPICIOUS}])[\\x00-\\x7f\\s])+")


@dataclass
class Plausibility:
    """How much a decoding reads like Chinese (see ontology/lexicon/encodings.yaml)."""

    score: float
    common_share: float
    counted: int
    suspicious: int


def plausibility(text: str) -> Plausibility:
    counted = len(NOT_COUNTED.sub("", text))
    common = len(not_common().sub("", text))
    suspicious = len(NOT_SUSPICIOUS.sub("", text))
    weight = encoding_settings()["penalty_weight"]
    if not counted:
        return Plausibility(0.0, 0.0, 0, suspicious)
    return Plausibility((common - weight * suspicious) / counted, common / counted, counted, suspicious)


def is_plausible(judged: Plausibility) -> bool:
    settings = encoding_settings()
    if judged.counted < settings["min_counted"]:  # (nearly) plain ASCII
        return judged.suspicious == 0
    return judged.score >= settings["min_plausibility"]


def _decoded(raw: bytes, encoding: str) -> str:
    return raw.decode(encoding, errors="replace").replace("\x00", "")


def best_candidate(raw: bytes, encodings: list[str]) -> tuple[Plausibility, str]:
    """The most plausible decoding of ``raw``; of equals, the first."""
    best: Optional[tuple[Plausibility, str]] = None
    for encoding in encodings:
        judged = plausibility(_decoded(raw, encoding))
        if best is None or judged.score > best[0].score:
            best = (judged, encoding)
    return best


def decode_bytes(raw: bytes, path: Path) -> tuple[str, str]:
    """Decode Chinese text in any common encoding; return (text, encoding).

    A byte-order mark decides; otherwise the candidate decoding that reads most like Chinese
    wins (ties: the first candidate); charset_normalizer's guess is asked when none does. NUL
    bytes are dropped (never text; UTF-8 files with a few of them exist). Refused in one line when
    no decoding gives plausible Chinese.
    """
    settings = encoding_settings()
    for mark in settings["byte_order_marks"]:
        if raw.startswith(bytes.fromhex(mark["bytes"])):
            try:
                return raw.decode(mark["encoding"]).replace("\x00", ""), mark["encoding"]
            except UnicodeDecodeError:
                break  # a stray mark: judge the bytes like any others
    # candidates are ranked on the first bytes (an even number: UTF-16 stays aligned); the winner
    # then decodes the whole file and is judged on all of it (all are, if it fails there)
    sample = raw[: settings["sample_bytes"]]
    judged, encoding = best_candidate(sample, settings["candidates"])
    text = _decoded(raw, encoding)
    if len(raw) > len(sample):
        judged = plausibility(text)
        if not is_plausible(judged):
            judged, encoding = best_candidate(raw, settings["candidates"])
            text = _decoded(raw, encoding)
    if not is_plausible(judged):
        from charset_normalizer import from_bytes

        guess = from_bytes(raw).best()
        if guess is not None:
            guessed = str(guess).replace("\x00", "")
            guessed_judged = plausibility(guessed)
            if guessed_judged.score > judged.score:
                judged, encoding, text = guessed_judged, guess.encoding, guessed
    if not is_plausible(judged):
        raise InputError(path, f"cannot decode text: no encoding gives plausible Chinese (best: {encoding}, "
                               f"{judged.common_share * 100:.0f} % common characters)")
    return text, encoding


def read_docx(path: Path) -> str:
    docx = require("docx", "python-docx", needed_for="reading .docx")
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
    pdfplumber = require("pdfplumber", needed_for="reading .pdf")

    with pdfplumber.open(str(path)) as pdf:
        pages = [page.extract_text() or "" for page in pdf.pages]
    text = "\n".join(pages)
    if not text.strip():
        raise InputError(path, "PDF has no text layer (scanned image?); OCR it first")
    return text


def read_html(raw: bytes, path: Path) -> tuple[str, str]:
    # trafilatura's boilerplate removal imports lxml.html.clean, a separate package since lxml 5.2
    require("lxml_html_clean", needed_for="reading .html")
    trafilatura = require("trafilatura", needed_for="reading .html")

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
    except (InputError, MissingDependency):
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


def _remove_matches(text: str, key: str, patterns: list[re.Pattern]) -> tuple[str, str]:
    """Remove what ``patterns`` find in ``key`` from both ``text`` and ``key`` (same length)."""
    for pattern in patterns:
        spans = [m.span() for m in pattern.finditer(key)]
        if not spans:
            continue
        kept, kept_key, last = [], [], 0
        for start, end in spans:
            kept.append(text[last:start])
            kept_key.append(key[last:start])
            last = end
        text = "".join(kept) + text[last:]
        key = "".join(kept_key) + key[last:]
    return text, key


def clean_text(raw: str, to_match: Optional[Callable[[str], str]] = None) -> str:
    """Remove conversion debris and re-join sentences broken across lines.

    Keeps one paragraph per line; table cells (tab-indented lines) stay on their own lines.
    ``to_match`` gives a line's matching form (simplified, same length) for traditional-script
    text: the decisions are made on it, the printed characters are kept. Linear in the text length.
    """
    text = unicodedata.normalize("NFC", raw).replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    text = text.replace("\ufeff", "").replace("\u00a0", " ")
    key = "\n".join(to_match(line) for line in text.split("\n")) if to_match else text
    text, key = _remove_matches(text, key, DEBRIS_PATTERNS)
    lines: list[tuple[str, str]] = []  # (printed, matching form)
    for line, line_key in zip(text.split("\n"), key.split("\n")):
        is_cell = line.startswith("\t")
        if PAGE_NUMBER_LINE.match(line_key) and not is_cell:  # "65/30" in a table is data
            continue
        stripped = line.strip(" \u3000\t\v")
        if not stripped:
            continue
        at = len(line) - len(line.lstrip(" \u3000\t\v"))
        line_key = line_key[at:at + len(stripped)]
        lines.append((("\t" + stripped, "\t" + line_key) if is_cell else (stripped, line_key)))

    # a paragraph: its printed pieces, and what the join decision needs of its matching form
    paragraphs: list[list[str]] = []
    previous_key, previous_is_body = None, False
    for line, line_key in lines:
        if (
            previous_key is not None
            and not previous_key.startswith("\t")
            and not line_key.startswith("\t")
            and previous_is_body
            and ends_mid_sentence(previous_key)
            and not is_heading_like(line_key)
        ):
            paragraphs[-1].append(line)
            previous_key = line_key
            previous_is_body = True  # longer than the body-line minimum, or had a clause mark
        else:
            paragraphs.append([line])
            previous_key, previous_is_body = line_key, is_body_line(line_key)
    return "\n".join("".join(pieces) for pieces in paragraphs) + "\n"


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


def split_compilation(text: str, parent: DocumentMeta, match_text: Optional[str] = None) -> list[Document]:
    """Split a 汇编 into its documents `<id>#1..#N` in table-of-contents order.

    A compilation may carry, per contained document, its heading outline, its body, or both;
    a body cut off before its outline ends is marked truncated, an outline without a body
    outline-only. Decisions are made on ``match_text`` (the simplified form of a traditional
    text, same length), the parts keep the printed text.
    """
    lines = (match_text or text).split("\n")
    printed = text.split("\n")
    titles, toc_start, toc_end = parse_toc(lines)

    def printed_title(title: str) -> str:
        for index in range(toc_start, toc_end):
            at = lines[index].find(title)
            if at >= 0:
                return printed[index][at:at + len(title)]
        return title
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
            parts.append(("body", "\n".join(printed[body[0]:body[1]]).strip("\n")))
            body_measures = sum(1 for l in lines[body[0]:body[1]] if NUMBERED.match(l))
            outline_measures = sum(1 for l in lines[outline[0]:outline[1]] if NUMBERED.match(l)) if outline else 0
            last = lines[body[1] - 1].rstrip() if body[1] > body[0] else ""
            if body_measures < outline_measures or (last and last[-1] not in SENTENCE_END):
                status = "truncated"
                if outline:
                    parts.append(("outline", "\n".join(printed[outline[0]:outline[1]])))
        elif outline:
            status = "outline-only"
            parts.append(("outline", printed_title(title) + "\n" + "\n".join(printed[outline[0]:outline[1]])))
        else:
            status = "outline-only"
            parts.append(("outline", printed_title(title)))
        segments, chunks, offset = [], [], 0
        for kind, chunk in parts:
            chunk = chunk.strip("\n") + "\n"
            segments.append(Segment(kind, offset, offset + len(chunk)))
            chunks.append(chunk)
            offset += len(chunk)
        part_text = "".join(chunks)
        part_match = matching_form(part_text, parent.script)
        meta = infer_metadata(part_match, f"{parent.doc_id}#{position + 1}", title=title)
        meta = replace(
            meta, parent=parent.doc_id, status=status, sha256=parent.sha256,
            source=parent.source, source_format=parent.source_format, encoding=parent.encoding,
            script=parent.script,
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


# Reserved in ids derived from file names: `#` marks compilation parts (`<id>#1`), `%` the escape.
ID_ESCAPES = {"%": "%25", "#": "%23"}


def doc_id_of(file_name: str, whole_name: bool = False) -> str:
    """The document id a file name gives: its stem (or whole name), `#` and `%` percent-encoded,
    so that `comp#1.txt` (`comp%231`) never collides with part 1 of the compilation `comp.txt`."""
    name = file_name if whole_name else Path(file_name).stem
    return "".join(ID_ESCAPES.get(char, char) for char in name)


def document_ids(files: list[Path]) -> tuple[dict[Path, str], list[str]]:
    """A unique, stable id for every source file, and a notice for each set of files sharing a stem.

    The id is the stem; files sharing one (`x.txt`, `x.docx`) are all named by their file name
    instead (`x.txt`, `x.docx`), again until no two share an id (`x.txt.pdf` next to them).
    """
    ids = {path: doc_id_of(path.name) for path in files}
    notices = []
    while True:
        by_id: dict[str, list[Path]] = {}
        for path in files:
            by_id.setdefault(ids[path], []).append(path)
        shared = [group for group in by_id.values() if len(group) > 1]
        if not shared:
            return ids, notices
        for group in shared:
            for path in group:
                ids[path] = doc_id_of(path.name, whole_name=True)
            notices.append(f"{', '.join(p.name for p in group)}: same file stem, so each document's id is its "
                           f"file name ({', '.join(ids[p] for p in group)})")


def case_collisions(ids: dict[Path, str]) -> list[InputError]:
    """Ids that differ only by case would overwrite each other's text file on a case-insensitive
    disk (macOS, Windows): all but the first (in file name order) are refused."""
    errors = []
    first: dict[str, Path] = {}
    for path in sorted(ids):
        key = ids[path].casefold()
        if key in first:
            errors.append(InputError(path, f"id {ids[path]!r} differs only by case from {ids[first[key]]!r} of "
                                           f"{first[key].name}; rename one of the two files"))
        else:
            first[key] = path
    return errors


IGNORED_SUFFIXES = (".md", ".yaml", ".yml", ".csv", ".json")


def scan_corpus(corpus_dir: Path) -> tuple[list[Path], list[InputError]]:
    """The source files of a corpus folder, and one error per symbolic link not followed:
    broken ones and those leading outside the folder."""
    root = corpus_dir.resolve()
    files, errors = [], []
    for path in sorted(corpus_dir.iterdir()):
        if path.name.startswith(".") or path.name in MANIFEST_NAMES or path.suffix.lower() in IGNORED_SUFFIXES:
            continue
        if path.is_symlink():
            try:
                target = path.resolve(strict=True)
            except (OSError, RuntimeError):  # missing target, or a loop
                errors.append(InputError(path, "broken symbolic link"))
                continue
            if not target.is_relative_to(root):
                errors.append(InputError(path, "symbolic link to outside the corpus folder, not followed"))
                continue
        if path.is_file():
            files.append(path)
    return files, errors


def source_files(corpus_dir: Path) -> list[Path]:
    """The source files of a corpus folder (symbolic links leading outside it left out)."""
    return scan_corpus(corpus_dir)[0]


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

