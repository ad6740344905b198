"""The synthetic collections of the scale benchmark (benchmarks/generate.py): deterministic, varied
(not copies), and read by kg.ingest as the governments, years and levels they were made for."""
from __future__ import annotations

import importlib.util
import itertools
import re
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
MOST_SHARED_LINES = 0.5  # of the shorter document's lines (longer than 10 characters)


def load_generator():
    spec = importlib.util.spec_from_file_location("bench_generate", REPO / "benchmarks" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while being made
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generator():
    return load_generator()


@pytest.fixture(scope="module")
def collection(generator, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("generated")
    generator.generate(12, seed=3, out=out)
    return out


def texts(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.txt"))}


def test_same_seed_same_collection_other_seed_another(generator, collection, tmp_path):
    generator.generate(12, seed=3, out=tmp_path / "again")
    generator.generate(12, seed=4, out=tmp_path / "other")
    assert texts(tmp_path / "again") == texts(collection)
    assert set(texts(tmp_path / "other").values()).isdisjoint(texts(collection).values())


def test_no_manifest_and_names_that_say_nothing(collection):
    assert not list(collection.glob("manifest.*"))
    assert all(re.fullmatch(r"\d{5}_[0-9a-f]{16}\.txt", name) for name in texts(collection))


def test_documents_are_not_copies(collection):
    lines = [{line for line in text.splitlines() if len(line) > 10} for text in texts(collection).values()]
    for first, second in itertools.combinations(lines, 2):
        assert len(first & second) <= MOST_SHARED_LINES * min(len(first), len(second))


def test_metadata_inferred_from_six_documents_varies(generator, tmp_path):
    from kg.ingest import ingest_corpus

    generator.generate(6, seed=1, out=tmp_path)
    ingested = ingest_corpus(tmp_path)
    metas = [d.meta for d in ingested.documents]
    assert len(metas) == 6 and not ingested.errors
    assert all(m.title and m.year in range(2016, 2025) and m.level != "unknown" for m in metas)
    assert len({m.level for m in metas}) >= 3
    assert len({m.year for m in metas}) >= 3
    assert len({m.region for m in metas if m.region}) >= 2


def test_lower_plans_cite_their_city(collection):
    """The hierarchy: a district's or county's 工作要点 implements its own city's of the same year."""
    from kg.ingest import ingest_corpus

    checked = 0
    for document in ingest_corpus(collection).documents:
        meta = document.meta
        cited = re.search(r"全面落实《(.+?)》部署", document.text)
        if meta.level in ("district", "county") and cited:
            city = re.match(r".+?市", meta.region).group(0)
            assert cited.group(1).startswith(f"{city}教育局") and cited.group(1).endswith(f"{meta.year}年工作要点")
            checked += 1
    assert checked >= 3
