"""Cited documents: titles in 《》, with a kind read from how the title ends."""
from __future__ import annotations

import re
from typing import Optional

from spacy.language import Language
from spacy.tokens import Doc

from kg.components import doc_text, load_yaml, make_span, set_spans
from kg.text import book_title

TITLE = book_title(1, 80)
CONTEXT_CHARS = 8


def title_kind(title: str, before: str = "", after: str = "") -> str:
    config = load_yaml("cited_documents.yaml")
    context = before[-CONTEXT_CHARS:] + after[:CONTEXT_CHARS]
    if any(cue in context for cue in config.get("column_cues", [])):
        return "column"
    if any(cue in context for cue in config.get("journal_cues", [])):
        return "journal"
    core = re.sub(config["trailing_period"], "", title).strip()
    endings = sorted(config["kinds_by_ending"].items(), key=lambda item: len(item[0]), reverse=True)
    for ending, kind in endings:
        if core.endswith(ending):
            return kind
    if any(re.search(pattern, core) for pattern in config.get("plan_patterns", [])):
        return "plan"
    return "other"


def find_titles(text: str) -> list[tuple[int, int, str, Optional[str]]]:
    """(start, end, title, kind); the span covers the title without its 《》."""
    found = []
    for match in TITLE.finditer(text):
        title = match.group(1)
        if not title.strip():
            continue
        kind = title_kind(title, text[max(0, match.start() - CONTEXT_CHARS):match.start()],
                          text[match.end():match.end() + CONTEXT_CHARS])
        found.append((match.start(1), match.end(1), title, kind))
    return found


@Language.factory("kg_cited_documents")
def make_cited_documents(nlp: Language, name: str):
    def cited_documents(doc: Doc) -> Doc:
        return set_spans(doc, "kg_cited_documents", (
            make_span(doc, start, end, "cited_document", subtype=kind, canonical=title, source="title-brackets")
            for start, end, title, kind in find_titles(doc_text(doc))
        ))

    return cited_documents
