"""Trained Chinese named-entity recogniser (ORG / LOC / PER) for policy-kg.

``spacy.blank("zh")`` (one token per character) + ``kg_char_bigrams`` + tok2vec + ner, trained
from scratch on the MSRA corpus (see ``kg/ner/MODEL_CARD.md``; ``python -m kg.ner.train``).

Importing this module registers the ``kg_char_bigrams`` component, so the shipped pipeline loads
offline with ``spacy.load(kg.ner.MODEL_DIR)``. Extraction runs the model through
``kg.components.entities`` (short windows around type words and titles no rule covers).
:func:`find_entities` is the model on its own: it reads only the clauses that
:func:`candidate_spans` picks (clauses holding a character that training data shows often ends an
ORG/LOC name or starts a PER name), batched with ``nlp.pipe``; the benchmarks and the model card
measure it.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from spacy.language import Language
from spacy.tokens import Doc

from kg.text import CLAUSE_BREAKS, INLINE_SPACES, QUOTE_MARKS

MODEL_DIR = Path(__file__).with_name("model")
GATE_FILE = "gate.json"
BOS, EOS = "\u0002", "\u0003"


@Language.component("kg_char_bigrams")
def char_bigrams(doc: Doc) -> Doc:
    """Per token: ``norm_`` = previous char + char, ``lemma_`` = char + next char.

    Lets ``MultiHashEmbed(attrs=[ORTH, NORM, LEMMA, ...])`` see character bigrams. Runs before
    tok2vec, in training and at inference alike.
    """
    words = [t.text for t in doc]
    n = len(words)
    for i, tok in enumerate(doc):
        w = words[i]
        tok.norm_ = (words[i - 1] if i else BOS) + w
        tok.lemma_ = w + (words[i + 1] if i + 1 < n else EOS)
    return doc


# ---------------------------------------------------------------- gating
_CLAUSE_END = re.compile(f"[{re.escape(CLAUSE_BREAKS)}]")


def clauses(text: str, max_len: int = 120) -> list[tuple[int, int]]:
    """Split text into clauses at punctuation/newlines (long runs are cut at ``max_len``)."""
    out: list[tuple[int, int]] = []
    start = 0
    for m in _CLAUSE_END.finditer(text):
        end = m.end()
        if end > start:
            out.append((start, end))
        start = end
    if start < len(text):
        out.append((start, len(text)))
    cut: list[tuple[int, int]] = []
    for s, e in out:
        while e - s > max_len:
            cut.append((s, s + max_len))
            s += max_len
        if e > s:
            cut.append((s, e))
    return cut


def candidate_spans(text: str, gate: dict | None = None) -> list[tuple[int, int]]:
    """(start, end) character ranges worth running the model on.

    A clause is kept when it holds a character of the learned sets ``finals`` (chars that end
    ORG/LOC names in training data far more often than they occur otherwise) or ``initials``
    (chars that start PER names, i.e. surnames, learned the same way). Adjacent kept clauses
    are merged so a name split by 、 or ， keeps its context.
    """
    gate = gate if gate is not None else load_gate()
    marks = set(gate.get("finals", ())) | set(gate.get("initials", ()))
    kept: list[tuple[int, int]] = []
    for s, e in clauses(text):
        seg = text[s:e]
        if any(c in marks for c in seg):
            if kept and kept[-1][1] == s and (e - kept[-1][0]) <= 200:
                kept[-1] = (kept[-1][0], e)
            else:
                kept.append((s, e))
    return kept


def learn_gate(sentences: Iterable[tuple[str, list[tuple[int, int, str]]]],
               min_ratio: float = 0.25, min_count: int = 20) -> dict:
    """Learn gating character sets from labelled sentences (text, [(start, end, label)]).

    ``finals``: chars c with #(c ends an ORG/LOC span) / #(c anywhere) >= ``min_ratio``.
    ``initials``: chars c with #(c starts a PER span) / #(c anywhere) >= ``min_ratio``.
    """
    total: Counter = Counter()
    fin: Counter = Counter()
    ini: Counter = Counter()
    for text, spans in sentences:
        total.update(text)
        for s, e, label in spans:
            if label in ("ORG", "LOC"):
                fin[text[e - 1]] += 1
            elif label == "PER":
                ini[text[s]] += 1

    def pick(cnt):
        return sorted(c for c, k in cnt.items()
                      if k >= min_count and k / total[c] >= min_ratio)
    return {"finals": "".join(pick(fin)), "initials": "".join(pick(ini)),
            "min_ratio": min_ratio, "min_count": min_count}


@lru_cache(maxsize=4)
def _gate(path: str) -> dict:
    p = Path(path) / GATE_FILE
    return json.loads(p.read_text(encoding="utf-8")) if p.exists() else {}


def load_gate(path: Path | str | None = None) -> dict:
    return _gate(str(path or MODEL_DIR))


# ---------------------------------------------------------------- model
_EDGE_PUNCT = set(CLAUSE_BREAKS + QUOTE_MARKS + INLINE_SPACES + "'")
@lru_cache(maxsize=4)
def _load(path: str):
    import spacy
    return spacy.load(path)


def load(path: Path | str | None = None):
    """The shipped pipeline (cached). Raises OSError if the model folder is missing."""
    return _load(str(path or MODEL_DIR))


def find_entities(text: str, nlp=None, gate: dict | None = None, gated: bool = True,
                  batch_size: int = 256) -> list[tuple[int, int, str]]:
    """Entities in ``text`` as (start_char, end_char, label), offsets into ``text``.

    With ``gated`` (default) the model only reads the clauses from :func:`candidate_spans`.
    """
    nlp = nlp if nlp is not None else load()
    if gated:
        spans = candidate_spans(text, gate if gate is not None else load_gate())
    else:
        spans = [(s, e) for s, e in clauses(text, max_len=400)]
    out: list[tuple[int, int, str]] = []
    segs = (text[s:e] for s, e in spans)
    for (s, _e), doc in zip(spans, nlp.pipe(segs, batch_size=batch_size)):
        for ent in doc.ents:
            a, b = s + ent.start_char, s + ent.end_char
            while a < b and text[a] in _EDGE_PUNCT:     # never keep quotes/commas at the edges
                a += 1
            while b > a and text[b - 1] in _EDGE_PUNCT:
                b -= 1
            if b - a >= 2 or (b - a == 1 and ent.label_ == "LOC"):
                out.append((a, b, ent.label_))
    return out


__all__ = ["MODEL_DIR", "char_bigrams", "candidate_spans", "clauses",
           "learn_gate", "load_gate", "load", "find_entities"]
