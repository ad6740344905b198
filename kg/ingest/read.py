"""Reading source files: bytes -> raw text.

.txt (UTF-8 with or without BOM, GB18030/GBK, Big5, UTF-16; the decoding that reads most like
Chinese wins, see ``ontology/lexicon/encodings.yaml``), .docx, text-based .pdf and .html. Also the
scan of a corpus folder for its source files (symbolic links leading outside it not followed).
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Optional

from kg.errors import InputError, MissingDependency, require
from kg.ingest.manifest import MANIFEST_NAMES
from kg.resources import lexicon as load_yaml

SOURCE_SUFFIXES = {".txt": "txt", ".text": "txt", ".docx": "docx", ".pdf": "pdf", ".html": "html", ".htm": "html"}


class MissingPackage(InputError):
    """A file that needs an optional package which is not installed: an installation problem
    (exit 3), reported for that file like any other error line."""

    exit_code = MissingDependency.exit_code


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
        # imported only for the rare file no candidate decodes: it is slow to import
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
    # an optional package (require() has named it if missing)
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
