"""Extraction stage: a blank Chinese spaCy pipeline with the kg_* components -> Mentions.

Offsets are into the cleaned ``doc.text``; every Mention's text is exactly ``text[start:end]``.
The pipeline reads the document's matching form (``Document.match_text``: simplified characters
for a traditional-script text, same length) in pieces of at most PIECE_CHARS characters cut at
line ends, so documents of any length are processed in bounded memory; offsets are shifted back
into the whole text.
"""
from __future__ import annotations

import bisect
from typing import Optional, Sequence

import spacy
from spacy.language import Language
from spacy.tokens import Span

import kg.components  # noqa: F401  (registers Span._.kg)
import kg.components.cited_documents  # noqa: F401  (registers the factories)
import kg.components.entities  # noqa: F401
import kg.components.organizations  # noqa: F401
import kg.components.people  # noqa: F401
import kg.components.places  # noqa: F401
import kg.components.programs  # noqa: F401
import kg.components.targets  # noqa: F401
from kg.components import made_from
from kg.records import Document, Mention, Section
from kg.text import SENTENCE_END, SectionIndex, sentence_around, sentence_bounds

# spans key -> Mention.type, in pipeline order
SPAN_KEYS = {
    "kg_programs": "program",
    "kg_organizations": "organization",
    "kg_cited_documents": "cited_document",
    "kg_places": "place",
    "kg_people": "person",
    "kg_targets": "target",
}
# spaCy refuses texts over nlp.max_length (10^6) and its memory grows with the text; the rules
# never look across a line end
PIECE_CHARS = 100_000
MENTION_FIELDS = ("canonical", "subtype", "parent", "indicator", "value", "unit", "comparator", "year", "kind")


def make_pipeline(use_lexicon: bool = True, segmenter: str = "char", use_model: bool = True) -> Language:
    """``spacy.blank("zh")`` with the rule components, then (``use_model``) the trained recogniser's
    names where the rules found none (``kg.components.entities``)."""
    config = {"nlp": {"tokenizer": {"segmenter": segmenter}}}
    nlp = spacy.blank("zh", config=config)
    if segmenter == "jieba":
        nlp.tokenizer.initialize()
    nlp.add_pipe("kg_programs", config={"use_lexicon": use_lexicon})
    nlp.add_pipe("kg_organizations")
    nlp.add_pipe("kg_cited_documents")
    nlp.add_pipe("kg_places")
    nlp.add_pipe("kg_people")
    nlp.add_pipe("kg_targets")
    if use_model:
        nlp.add_pipe("kg_entities")
    return nlp


def _offsets(span: Span) -> tuple[int, int]:
    data = span._.kg or {}
    return data.get("char_start", span.start_char), data.get("char_end", span.end_char)


def pieces(text: str, limit: int = PIECE_CHARS, preferred: Sequence[int] = ()) -> list[tuple[int, int]]:
    """``text`` cut into spans of at most ``limit`` characters: before one of the ``preferred``
    offsets (top-level headings: the targets rules carry a heading's context down to the next
    one) in the second half of the window, else at a line end, else after a sentence end, else
    anywhere. A text within the limit is one piece."""
    spans = []
    start = 0
    while len(text) - start > limit:
        window_end = start + limit
        at = bisect.bisect_right(preferred, window_end) - 1
        cut = preferred[at] if at >= 0 and preferred[at] > start + limit // 2 else 0
        if cut <= start:
            cut = text.rfind("\n", start, window_end) + 1
        if cut <= start:
            ends = [m.end() for m in SENTENCE_END.finditer(text, start + limit // 2, window_end)]
            cut = ends[-1] if ends else window_end
        spans.append((start, cut))
        start = cut
    spans.append((start, len(text)))
    return spans


def extract(doc: Document, sections: list[Section], nlp: Language,
            piece_chars: Optional[int] = None) -> list[Mention]:
    """All mentions of one document, ordered by position then type."""
    text = doc.match_text
    printed = doc.text
    top_level = sorted(section.start for section in sections if section.depth == 0)
    spans = pieces(text, piece_chars or PIECE_CHARS, top_level)

    def piece_docs():
        for start, end in spans:
            piece_text = text[start:end]
            piece = made_from(nlp.make_doc(piece_text), piece_text)
            # components that need the plan's year and period (targets) read them from here
            piece.user_data["meta"] = doc.meta
            yield piece

    bounds = sentence_bounds(text)
    index = SectionIndex(sections)
    mentions = []
    for (shift, _), parsed in zip(spans, nlp.pipe(piece_docs())):
        for key, mention_type in SPAN_KEYS.items():
            for span in parsed.spans.get(key, []):
                start, end = _offsets(span)
                start, end = start + shift, end + shift
                data = span._.kg or {}
                sentence_start, sentence_end = sentence_around(bounds, len(text), start, end)
                section = index.at(start)
                mentions.append(Mention(
                    doc_id=doc.doc_id, type=mention_type, text=printed[start:end], start=start, end=end,
                    measure=section.label if section is not None else None, sentence_start=sentence_start,
                    sentence_end=sentence_end, source=data.get("source", key),
                    match_text=text[start:end] if text is not printed and text[start:end] != printed[start:end] else None,
                    **{f: data.get(f) for f in MENTION_FIELDS},
                ))
    mentions.sort(key=lambda m: (m.start, m.end, m.type))
    return mentions
