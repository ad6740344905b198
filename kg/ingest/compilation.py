"""Compilations (汇编): one file holding several plans, split into its documents `<id>#1..#N`.

Cues (marker word, table-of-contents shapes): ``ontology/lexicon/compilations.yaml``.
"""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Optional

from kg.ingest.clean import SENTENCE_END, is_body_line, is_heading_like
from kg import places
from kg.ingest.metadata import infer_metadata
from kg.script import matching_form
from kg.records import Document, DocumentMeta, Segment
from kg.resources import lexicon as load_yaml

CUES = load_yaml("compilations.yaml")
TOC_ENTRY = re.compile(CUES["toc_entry"])
NUMBERED = re.compile(CUES["numbered"])
STRAY_TOC_ENTRY = re.compile(CUES["stray_toc_entry"])
ANONYMISED_ISSUER = re.compile(CUES["anonymised"]["issuer"])


def is_compilation(lines: list[str]) -> bool:
    marker, heading = CUES["marker"], CUES["contents_heading"]
    return (any(marker in line for line in lines[:CUES["marker_within_lines"]])
            and any(line.strip() == heading for line in lines))


def parse_toc(lines: list[str]) -> tuple[list[str], int, int]:
    """Titles of the contained documents, in order, and the line range of the table of contents."""
    start = next(i for i, line in enumerate(lines) if line.strip() == CUES["contents_heading"])
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
    compilation_title = next((l for l in lines[max(0, toc_start - 3):toc_start] if CUES["marker"] in l), None)
    title_line = toc_start - 1 if compilation_title else toc_start

    # Outlines: heading-only lines before the compilation's own title page.
    leading = [i for i in range(title_line) if not is_body_line(lines[i]) or NUMBERED.match(lines[i])]
    outline_start = next((i for i in leading if is_heading_like(lines[i]) and not TOC_ENTRY.fullmatch(lines[i]) or i > 8), 0)
    # skip a stray table-of-contents fragment at the very top (entries ending in page numbers)
    while outline_start < title_line and STRAY_TOC_ENTRY.match(lines[outline_start]):
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
    """Compilations of anonymised plans print "市教育局…" / "县教育局…": the place is written
    with the mask of places.yaml ("XX")."""
    found = ANONYMISED_ISSUER.match(title)
    if not found:
        return {}
    masks = places.anonymisation()
    unit, place = found.group("unit"), masks.mask
    level = masks.levels[unit]
    return {"issuer": f"{place}{unit}{found.group('body')}", "region": f"{place}{unit}", "level": level}
