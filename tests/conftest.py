"""Session fixtures: the bundled corpus, ingested once and built once."""
from __future__ import annotations

from pathlib import Path

import pytest

from browser import browser  # noqa: F401  (the session's headless Chromium, for every module)

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"
GOLD = REPO.parent / "shared" / "gold"  # answer keys: evaluation only


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    return CORPUS


@pytest.fixture(scope="session")
def ingested():
    from kg.ingest import ingest_corpus

    return ingest_corpus(CORPUS)


@pytest.fixture(scope="session")
def documents(ingested):
    """doc_id -> Document of the bundled corpus."""
    return {d.doc_id: d for d in ingested.documents}


@pytest.fixture(scope="session")
def structured_corpus(documents):
    """The bundled corpus ingested and structured, with no mentions (stages after structure absent)."""
    from kg.records import Corpus
    from kg.structure import parse_structure

    corpus = Corpus(documents=list(documents.values()))
    for doc in corpus.documents:
        corpus.sections[doc.doc_id] = parse_structure(doc)
    return corpus


@pytest.fixture(scope="session")
def built_corpus(tmp_path_factory) -> Path:
    """A full `kg build` of the bundled corpus; returns the build directory."""
    from kg.build import build

    out = tmp_path_factory.mktemp("build") / "build"
    build(CORPUS, out)
    return out


@pytest.fixture(scope="session")
def loaded_corpus(built_corpus):
    from kg.builddir import load_corpus

    return load_corpus(built_corpus)


@pytest.fixture(scope="session")
def gold_dir() -> Path:
    if not GOLD.is_dir():
        pytest.skip(f"answer keys not found at {GOLD}")
    return GOLD
