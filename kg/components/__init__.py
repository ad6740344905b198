"""spaCy components that find mentions in a policy text.

Each component is a spaCy factory writing character-exact spans to ``doc.spans[<name>]``;
``Span._.kg`` carries the extra Mention fields (subtype, canonical, source, parent, and for
targets indicator/value/unit/comparator/year/kind). Domain words live in ``ontology/lexicon``.
"""
from __future__ import annotations

import functools
import re
from typing import Any, Iterable, Optional

from spacy.tokens import Doc, Span

from kg.resources import lexicon as load_yaml  # noqa: F401  (the components read their data through it)
from kg.text import CLAUSE_BREAKS as CLAUSE_BREAK  # noqa: F401  (the name the components use)

if not Span.has_extension("kg"):
    Span.set_extension("kg", default=None)


def doc_text(doc: Doc) -> str:
    """``doc.text``, made once per document. spaCy joins it from every token on each access, and
    with one token per character that was 40 % of extraction when each component asked again."""
    text = doc.user_data.get(_TEXT_KEY)
    if text is None:
        text = doc.user_data[_TEXT_KEY] = doc.text
    return text


def made_from(doc: Doc, text: str) -> Doc:
    """Tell ``doc_text`` the text ``nlp.make_doc`` made ``doc`` from (spaCy keeps it exactly:
    ``doc.text == text``), so no component joins the tokens again."""
    doc.user_data[_TEXT_KEY] = text
    return doc


_TEXT_KEY = ("kg", "text")  # spaCy's own user_data keys are tuples too (extension attributes)


def make_span(doc: Doc, start: int, end: int, label: str, **fields: Any) -> Optional[Span]:
    """A span over exactly ``doc_text(doc)[start:end]``; the character offsets are kept in ``_.kg``
    because a word segmenter may not align with them."""
    span = doc.char_span(start, end, label=label, alignment_mode="expand")
    if span is None:
        return None
    span._.kg = {"char_start": start, "char_end": end, **{k: v for k, v in fields.items() if v is not None}}
    return span


def set_spans(doc: Doc, key: str, spans: Iterable[Optional[Span]]) -> Doc:
    doc.spans[key] = [s for s in spans if s is not None]
    return doc


def alternation(words: Iterable[str]) -> str:
    """A regex alternation trying longer words first."""
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


class Gazetteer:
    """Leftmost-longest matching of a fixed set of names (built once, reused for every document)."""

    def __init__(self, entries: dict[str, Any]):
        self.entries = dict(entries)
        self._by_first: dict[str, list[str]] = {}
        for name in sorted(self.entries, key=len, reverse=True):
            if name:
                self._by_first.setdefault(name[0], []).append(name)

    def finditer(self, text: str) -> Iterable[tuple[int, int, Any]]:
        i, n = 0, len(text)
        while i < n:
            for name in self._by_first.get(text[i], ()):
                if text.startswith(name, i):
                    yield i, i + len(name), self.entries[name]
                    i += len(name)
                    break
            else:
                i += 1


@functools.lru_cache(maxsize=1)
def jieba_segmenter():
    """jieba, initialised on first use only: loading its dictionary takes about a second."""
    import jieba

    jieba.setLogLevel(60)
    jieba.initialize()
    return jieba


def after_last_boundary(window: str, words: Iterable[str]) -> int:
    """Offset in ``window`` just after the last boundary word. Words of two or more characters
    match anywhere; a single character only as a whole jieba token (及 ends 普及, it is no boundary)."""
    words = set(words)
    best = 0
    for word in words:
        if len(word) > 1:
            position = window.rfind(word)
            if position >= 0:
                best = max(best, position + len(word))
    offset = 0
    for token in jieba_segmenter().cut(window, HMM=False):
        offset += len(token)
        if token in words and len(token) == 1:
            best = max(best, offset)
    return best
