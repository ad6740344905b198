"""Incremental builds: unchanged documents' structure and extract come from the previous build's cache."""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import kg.build
from kg.build import build
from kg.builddir import CACHE_FOLDER, CACHE_KEY
from kg.cli import main
from kg.parallel import PipelineSettings, pipeline_version

CHANGED = "001_56320e920f24c20a.txt"  # one plain document (not the compilation: its five parts share a file)
DOCUMENTS = 9  # the bundled corpus's documents, the compilation's parts counted


def outputs(build_dir: Path) -> dict[str, str]:
    """sha256 of every output; the store's binary files, the build marker and the cache left out."""
    return {path.relative_to(build_dir).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(build_dir.rglob("*"))
            if path.is_file() and path.relative_to(build_dir).parts[0] not in ("store", CACHE_FOLDER)
            and not path.name.startswith(".kg-build")}


def cache_entries(build_dir: Path) -> list[Path]:
    """The per-document analyses in the cache (beside them: the graph's index, kg.rdf.reuse)."""
    return [path for path in (build_dir / CACHE_FOLDER).glob("*.json") if CACHE_KEY.fullmatch(path.stem)]


def change_one_file(corpus: Path) -> None:
    path = corpus / CHANGED
    text = path.read_text(encoding="utf-8")
    assert "全面" in text
    path.write_text(text.replace("全面", "全力", 1), encoding="utf-8")


@pytest.fixture()
def corpus(corpus_dir, tmp_path) -> Path:
    copy = tmp_path / "corpus"
    shutil.copytree(corpus_dir, copy)
    return copy


@pytest.mark.slow
def test_rebuild_after_one_change_redoes_that_document_only(corpus, tmp_path):
    out = tmp_path / "build"
    first = build(corpus, out, workers=1)
    assert first.from_cache == 0 and first.analysed == DOCUMENTS
    assert len(cache_entries(out)) == DOCUMENTS

    change_one_file(corpus)
    again = build(corpus, out, workers=1)
    assert (again.from_cache, again.analysed) == (DOCUMENTS - 1, DOCUMENTS)
    assert len(cache_entries(out)) == DOCUMENTS  # the stale entry is not kept

    fresh = tmp_path / "fresh"
    build(corpus, fresh, workers=1, use_cache=False)
    assert not (fresh / CACHE_FOLDER).exists()
    assert outputs(out) == outputs(fresh)
    assert (out / "text" / CHANGED).read_text(encoding="utf-8").count("全力") >= 1


@pytest.mark.slow
def test_summary_says_how_many_came_from_cache(corpus, tmp_path):
    out = tmp_path / "build"
    runner = CliRunner()
    first = runner.invoke(main, ["build", str(corpus), "-o", str(out), "--workers", "1"])
    assert first.exit_code == 0, first.output
    assert "from cache" not in first.stdout
    change_one_file(corpus)
    again = runner.invoke(main, ["build", str(corpus), "-o", str(out), "--workers", "1"])
    assert again.exit_code == 0, again.output
    assert f"{DOCUMENTS - 1} of {DOCUMENTS} documents from cache" in again.stdout
    unused = runner.invoke(main, ["build", str(corpus), "-o", str(out), "--workers", "1", "--no-cache"])
    assert unused.exit_code == 0, unused.output
    assert "from cache" not in unused.stdout
    assert not (out / CACHE_FOLDER).exists()  # --no-cache neither reads nor keeps one


@pytest.mark.slow
def test_a_new_pipeline_version_invalidates_the_cache(corpus, tmp_path, monkeypatch):
    out = tmp_path / "build"
    quick = dict(workers=1, views=False, reports=False)
    build(corpus, out, **quick)
    monkeypatch.setattr(kg.build, "pipeline_version", lambda settings: "a different kg")
    assert build(corpus, out, **quick).from_cache == 0
    # other settings are another pipeline too
    monkeypatch.undo()
    assert build(corpus, out, **quick, use_model=False).from_cache == 0


def test_the_version_covers_settings_code_and_data():
    versions = {pipeline_version(PipelineSettings(lexicon, model)) for lexicon in (True, False)
                for model in (True, False)}
    assert len(versions) == 4
    assert all(len(v) == 64 for v in versions)


@pytest.mark.slow
def test_an_unreadable_cache_entry_is_analysed_again(corpus, tmp_path):
    out = tmp_path / "build"
    build(corpus, out, workers=1, views=False, reports=False)
    entries = sorted(cache_entries(out))
    entries[0].write_bytes(b"{not json")
    again = build(corpus, out, workers=1, views=False, reports=False)
    assert again.from_cache == DOCUMENTS - 1 and not again.errors
