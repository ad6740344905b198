"""Extraction stage: a blank Chinese spaCy pipeline with the kg_* components -> Mentions.

Offsets are into the cleaned ``doc.text``; every Mention's text is exactly ``text[start:end]``.
"""
from __future__ import annotations

import bisect
import importlib
import re
from typing import Optional

import spacy
from spacy.language import Language
from spacy.tokens import Span

import kg.components  # noqa: F401  (registers Span._.kg)
import kg.components.cited_documents  # noqa: F401  (registers the factories)
import kg.components.organizations  # noqa: F401
import kg.components.people  # noqa: F401
import kg.components.places  # noqa: F401
import kg.components.programs  # noqa: F401
from kg.records import Document, Mention, Section

# spans key -> Mention.type, in pipeline order
SPAN_KEYS = {
    "kg_programs": "program",
    "kg_organizations": "organization",
    "kg_cited_documents": "cited_document",
    "kg_places": "place",
    "kg_people": "person",
    "kg_targets": "target",
}
SENTENCE_BREAK = re.compile(r"[。；！？\n]")
MENTION_FIELDS = ("canonical", "subtype", "parent", "indicator", "value", "unit", "comparator", "year", "kind")


def make_pipeline(use_lexicon: bool = True, segmenter: str = "char") -> Language:
    """``spacy.blank("zh")`` with the extraction components (and ``kg_targets`` when available)."""
    config = {"nlp": {"tokenizer": {"segmenter": segmenter}}}
    nlp = spacy.blank("zh", config=config)
    if segmenter == "jieba":
        nlp.tokenizer.initialize()
    nlp.add_pipe("kg_programs", config={"use_lexicon": use_lexicon})
    nlp.add_pipe("kg_organizations")
    nlp.add_pipe("kg_cited_documents")
    nlp.add_pipe("kg_places")
    nlp.add_pipe("kg_people")
    try:
        importlib.import_module("kg.components.targets")
    except ModuleNotFoundError as exc:
        if exc.name != "kg.components.targets":
            raise
    else:
        nlp.add_pipe("kg_targets")
    return nlp


def _sentence_bounds(text: str) -> list[int]:
    return [m.start() for m in SENTENCE_BREAK.finditer(text)]


def _sentence(bounds: list[int], text_length: int, start: int, end: int) -> tuple[int, int]:
    """The sentence (between 。；！？ or line breaks) around ``start``…``end``."""
    i = bisect.bisect_left(bounds, start)
    sentence_start = bounds[i - 1] + 1 if i > 0 else 0
    j = bisect.bisect_left(bounds, end)
    sentence_end = bounds[j] + 1 if j < len(bounds) else text_length
    return sentence_start, sentence_end


def _offsets(span: Span) -> tuple[int, int]:
    data = span._.kg or {}
    return data.get("char_start", span.start_char), data.get("char_end", span.end_char)


def _section_label(sections: list[Section], offset: int) -> Optional[str]:
    if not sections:
        return None
    from kg.structure import section_at

    section = section_at(sections, offset)
    return section.label if section is not None else None


def extract(doc: Document, sections: list[Section], nlp: Language) -> list[Mention]:
    """All mentions of one document, ordered by position then type."""
    text = doc.text
    spacy_doc = nlp.make_doc(text)
    # components that need the plan's year and period (targets) read them from here
    spacy_doc.user_data["meta"] = doc.meta
    parsed = nlp(spacy_doc)
    bounds = _sentence_bounds(text)
    mentions = []
    for key, mention_type in SPAN_KEYS.items():
        for span in parsed.spans.get(key, []):
            start, end = _offsets(span)
            data = span._.kg or {}
            sentence_start, sentence_end = _sentence(bounds, len(text), start, end)
            mentions.append(Mention(
                doc_id=doc.doc_id, type=mention_type, text=text[start:end], start=start, end=end,
                measure=_section_label(sections, start), sentence_start=sentence_start,
                sentence_end=sentence_end, source=data.get("source", key),
                **{f: data.get(f) for f in MENTION_FIELDS},
            ))
    mentions.sort(key=lambda m: (m.start, m.end, m.type))
    return mentions
