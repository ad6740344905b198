"""Nothing lost: the output directory, atomic writes and the CLI's one-line errors.

A build replaces only an empty folder or an earlier build; a user's folder, the corpus, a file
and the current folder are refused before any work. Swaps are atomic, builds that readers hold
are parked, stale staging folders are cleaned. Failing writes are one line, exit 2.
Permission, read-only and full-disk failures are injected (root ignores chmod, and CI runs as
root); name-too-long and not-a-folder failures are real.
"""
from __future__ import annotations

import ctypes
import errno
import fcntl
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

import kg.fileio as fileio
from kg.build import build
from kg.builddir import read_documents_csv
from kg.cli import main
from kg.errors import InputError
from kg.fileio import (
    BUILD_LOCK, BUILD_MARKER, build_directory, check_build_target, exchange, hold_build, read_build_marker,
    write_text,
)

CENTRE, HUIJI = "000_16f97bdad5560e56", "001_56320e920f24c20a"
QUICK = {"views": False, "reports": False}


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden ones too) with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def small_corpus(tmp_path, corpus_dir) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(corpus_dir / f"{HUIJI}.txt", corpus)
    return corpus


@pytest.fixture
def user_folder(tmp_path) -> Path:
    folder = tmp_path / "important"
    (folder / "sub").mkdir(parents=True)
    (folder / "thesis.docx").write_bytes(b"years of work")
    (folder / "sub" / "notes.txt").write_text("mine", encoding="utf-8")
    return folder


def stage(target: Path, content: str = "x") -> None:
    """A tiny build through the real staging and swap (no pipeline)."""
    with build_directory(target) as staging:
        (staging / "content.txt").write_text(content, encoding="utf-8")


# --------------------------------------------------------------------------- what -o may be


def test_user_folder_is_refused_and_untouched(small_corpus, user_folder):
    before = snapshot(user_folder)
    with pytest.raises(InputError) as caught:
        build(small_corpus, f"{user_folder}/", **QUICK)
    assert str(caught.value) == f"{user_folder}/: not a kg build directory; choose another -o or remove it"
    assert snapshot(user_folder) == before
    assert sorted(p.name for p in user_folder.parent.iterdir()) == ["corpus", "important"]


@pytest.mark.parametrize("where,expected", [
    ("corpus", "is the corpus folder"),
    ("corpus/build", "is inside the corpus folder"),
    (".", "contains the corpus folder"),
])
def test_corpus_folder_is_refused_and_untouched(small_corpus, where, expected):
    before = snapshot(small_corpus)
    out = small_corpus.parent / where
    with pytest.raises(InputError, match=expected):
        build(small_corpus, out, **QUICK)
    assert snapshot(small_corpus) == before
    assert sorted(p.name for p in small_corpus.parent.iterdir()) == ["corpus"]


def test_output_that_is_a_file_is_refused_and_kept(small_corpus):
    somefile = small_corpus.parent / "somefile"
    somefile.write_text("a user's file", encoding="utf-8")
    for _ in range(2):  # the old code hid it as .somefile.old, then crashed on every later build
        with pytest.raises(InputError) as caught:
            build(small_corpus, somefile, **QUICK)
        assert str(caught.value) == f"{somefile}: is a file, not a build directory; choose another -o"
    assert somefile.read_text(encoding="utf-8") == "a user's file"
    assert sorted(p.name for p in small_corpus.parent.iterdir()) == ["corpus", "somefile"]


@pytest.mark.parametrize("empty", [True, False])
def test_current_folder_is_refused_empty_or_not(small_corpus, tmp_path, monkeypatch, empty):
    """Decision: `-o .` is refused even when empty. A build replaces the folder itself, which would
    leave the user's shell in a deleted folder; the message suggests a folder inside it."""
    here = tmp_path / "parent" / "here"  # so that `..` does not contain the corpus
    here.mkdir(parents=True)
    if not empty:
        (here / "draft.txt").write_text("keep", encoding="utf-8")
    before = snapshot(here)
    monkeypatch.chdir(here)
    with pytest.raises(InputError, match=r"^\.: is the current folder, which a build would replace; "
                                         r"choose a folder inside it \(e\.g\. -o build\)$"):
        build(small_corpus, ".", **QUICK)
    with pytest.raises(InputError, match="contains the current folder"):
        build(small_corpus, "..", **QUICK)
    assert snapshot(here) == before and sorted(os.listdir(here)) == sorted(before)


def test_root_and_overlong_names_are_one_line(tmp_path):
    with pytest.raises(InputError, match="^/: is the root folder; choose another -o$"):
        check_build_target("/")
    # the parked name .<name>.old-<32 hex> must fit the file system's 255 bytes
    with pytest.raises(InputError, match=r"name too long for a build directory \(230 bytes; at most 217 here\)"):
        check_build_target(tmp_path / ("b" * 230))
    assert check_build_target(tmp_path / ("b" * 217)) == tmp_path / ("b" * 217)


def test_parent_that_is_a_file_is_one_line(tmp_path):
    (tmp_path / "somefile").write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match=r"somefile: is a file, not a folder$"):
        check_build_target(tmp_path / "somefile" / "build")
    assert (tmp_path / "somefile").read_text(encoding="utf-8") == "x"


def test_odd_spellings_resolve_to_the_same_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "real").mkdir()
    os.symlink(tmp_path / "real", tmp_path / "link")
    assert check_build_target("build/") == tmp_path / "build"
    assert check_build_target("x/../build") == tmp_path / "build"
    assert check_build_target("link") == tmp_path / "real"  # empty: accepted, and the link keeps working
    monkeypatch.setenv("HOME", str(tmp_path))
    assert check_build_target("~/build") == tmp_path / "build"


def test_empty_folder_and_earlier_build_are_replaced(small_corpus, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    build(small_corpus, out, **QUICK)
    first = read_build_marker(out)
    assert first["tool"] == "policy-kg" and first["version"] and len(first["build_id"]) == 32 and first["created"]
    assert (out / BUILD_LOCK).is_file() and (out / "documents.csv").is_file()
    build(small_corpus, out, **QUICK)  # carries the marker: replaced
    assert read_build_marker(out)["build_id"] != first["build_id"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus", "out"]  # nothing parked, nothing staged


def test_cli_refuses_a_user_folder_in_a_real_subprocess(small_corpus, user_folder):
    before = snapshot(user_folder)
    kg = Path(sys.executable).with_name("kg")
    result = subprocess.run([str(kg), "build", str(small_corpus), "-o", f"{user_folder}/", "--no-views"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        f"Error: {user_folder}/: not a kg build directory; choose another -o or remove it")
    assert "Traceback" not in result.stderr
    assert snapshot(user_folder) == before


# --------------------------------------------------------------------------- staging, swap, parking


def test_stale_staging_is_removed_but_locked_folders_are_kept(tmp_path):
    target = tmp_path / "build"
    stage(target)
    dead = tmp_path / ".build.staging-dead"  # a killed build's staging: lock file, nobody holds it
    held_by_fd = tmp_path / ".build.staging-live"  # a running build's staging
    held_by_process = tmp_path / ".build.old-held"  # a parked build another process reads
    not_ours = tmp_path / ".build.staging-nolock"  # no lock file: not a folder kg made
    for folder in (dead, held_by_fd, held_by_process, not_ours):
        folder.mkdir()
        (folder / "file.txt").write_text("x", encoding="utf-8")
    for folder in (dead, held_by_fd, held_by_process):
        (folder / BUILD_LOCK).touch()
    fd = os.open(held_by_fd / BUILD_LOCK, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, sys; f = open(sys.argv[1]); fcntl.flock(f, fcntl.LOCK_SH); "
                               "print('locked', flush=True); sys.stdin.read()", str(held_by_process / BUILD_LOCK)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        stage(target, "second")
        assert not dead.exists()
        assert held_by_fd.is_dir() and held_by_process.is_dir() and not_ours.is_dir()
        assert (held_by_process / "file.txt").read_text(encoding="utf-8") == "x"
    finally:
        os.close(fd)
        holder.communicate("", timeout=10)
    stage(target, "third")  # released: cleaned now
    assert sorted(p.name for p in tmp_path.iterdir()) == [".build.staging-nolock", "build"]
    assert (target / "content.txt").read_text(encoding="utf-8") == "third"


def test_a_reader_never_finds_the_build_missing_during_swaps(tmp_path):
    target = tmp_path / "build"
    stage(target)
    misses, stop = [], threading.Event()

    def poll():
        while not stop.is_set():
            if not os.path.exists(target / BUILD_MARKER):
                misses.append(1)

    reader = threading.Thread(target=poll)
    reader.start()
    try:
        for round_ in range(150):
            stage(target, str(round_))
    finally:
        stop.set()
        reader.join()
    assert misses == []
    assert (target / "content.txt").read_text(encoding="utf-8") == "149"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build"]


def test_rename_exchange_swaps_two_paths(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.write_text("file", encoding="utf-8")
    assert exchange(first, second) is True
    assert first.read_text(encoding="utf-8") == "file" and second.is_dir()
    with pytest.raises(OSError) as caught:
        exchange(tmp_path / "missing", first)
    assert caught.value.errno == errno.ENOENT


@pytest.mark.parametrize("code", [errno.EINVAL, errno.ENOSYS])
def test_without_exchange_support_the_rename_aside_fallback_still_builds(tmp_path, monkeypatch, code):
    def unsupported(*args):
        ctypes.set_errno(code)
        return -1

    monkeypatch.setattr(fileio, "_renameat2", lambda: unsupported)
    assert exchange(tmp_path, tmp_path) is False
    target = tmp_path / "build"
    stage(target, "old")
    stage(target, "new")
    assert (target / "content.txt").read_text(encoding="utf-8") == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build"]


def test_a_held_build_is_parked_then_cleaned_after_release(tmp_path):
    target = tmp_path / "build"
    stage(target, "first")
    with hold_build(target) as marker:
        first_id = marker["build_id"]
        stage(target, "second")
        parked = tmp_path / f".build.old-{first_id}"
        assert parked.is_dir() and (parked / "content.txt").read_text(encoding="utf-8") == "first"
        assert read_build_marker(target)["build_id"] != first_id  # the path holds the new build
        stage(target, "third")  # still held: kept
        assert parked.is_dir()
    stage(target, "fourth")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build"]
    assert (target / "content.txt").read_text(encoding="utf-8") == "fourth"


def test_hold_build_of_a_missing_folder_is_one_line(tmp_path):
    with pytest.raises(InputError, match="cannot open the build directory: no such file or folder"):
        with hold_build(tmp_path / "nothing"):
            pass


def test_full_disk_during_a_build_keeps_the_old_build(small_corpus, tmp_path, monkeypatch):
    out = tmp_path / "build"
    build(small_corpus, out, **QUICK)
    before = snapshot(out)

    import kg.build

    def full(corpus, folder, previous, keep_index):
        (Path(folder) / "graph.trig").write_bytes(b"partial")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(Path(folder) / "graph.trig"))

    monkeypatch.setattr(kg.build, "write_graph_reusing", full)
    with pytest.raises(InputError) as caught:
        build(small_corpus, out, **QUICK)
    assert str(caught.value) == f"{out / 'graph.trig'}: cannot write: no space left on the device"
    assert snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build", "corpus"]


# --------------------------------------------------------------------------- single files: export, view


@pytest.fixture(scope="module")
def store_build(tmp_path_factory):
    from kg.rdf.graph import build_graph
    from kg.rdf.store import write_store
    from test_graph import synthetic_corpus

    out = tmp_path_factory.mktemp("safety-build")
    write_store(build_graph(synthetic_corpus()), out / "store")
    return out


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def error_lines(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip() and not line.startswith("Building")]


def test_export_into_a_folder_writes_graph_file(store_build, tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    result = run("export", "-b", store_build, "-f", "gexf", "-o", folder)
    assert result.exit_code == 0, result.output
    assert (folder / "graph.gexf").stat().st_size > 100
    result = run("export", "-b", store_build, "-f", "graphml", "-o", f"{tmp_path / 'new'}/")
    assert result.exit_code == 0 and (tmp_path / "new" / "graph.graphml").is_file()


@pytest.mark.parametrize("code,reason,where", [
    (errno.EACCES, "permission denied", "create"),
    (errno.EROFS, "read-only file system", "create"),
    (errno.ENOSPC, "no space left on the device", "write"),
])
def test_export_into_a_failing_place_is_one_line_and_keeps_the_old_file(store_build, tmp_path, monkeypatch,
                                                                           code, reason, where):
    import networkx as nx

    out = tmp_path / "graph.gexf"
    out.write_text("the previous export", encoding="utf-8")
    failure = OSError(code, os.strerror(code))
    if where == "create":
        def refuse(*args, **kwargs):
            raise failure

        monkeypatch.setattr(fileio.tempfile, "mkstemp", refuse)
    else:
        def fill(graph, path, **kwargs):
            Path(path).write_bytes(b"<gexf half")
            raise failure

        monkeypatch.setattr(nx, "write_gexf", fill)
    result = run("export", "-b", store_build, "-f", "gexf", "-o", out)
    assert result.exit_code == 2
    assert error_lines(result) == [f"Error: {out}: cannot write: {reason}"]
    assert out.read_text(encoding="utf-8") == "the previous export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["graph.gexf"]  # no temporary file left


def test_export_file_names_up_to_the_limit_work_longer_ones_are_one_line(store_build, tmp_path):
    name = "g" * 244  # mkstemp's old ".<name>.XXXXXXXX.tmp" made this 258 bytes
    result = run("export", "-b", store_build, "-f", "gexf", "-o", tmp_path / name)
    assert result.exit_code == 0, result.output
    assert (tmp_path / name).is_file() and sorted(os.listdir(tmp_path)) == [name]
    write_text(tmp_path / ("t" * 255), "fits exactly")
    assert (tmp_path / ("t" * 255)).read_text(encoding="utf-8") == "fits exactly"
    too_long = tmp_path / ("g" * 256)
    result = run("export", "-b", store_build, "-f", "gexf", "-o", too_long)
    assert result.exit_code == 2
    assert error_lines(result) == [f"Error: {too_long}: file name too long (256 bytes; at most 255 here)"]


def test_export_below_a_file_is_one_line(store_build, tmp_path):
    (tmp_path / "somefile").write_text("x", encoding="utf-8")
    result = run("export", "-b", store_build, "-f", "gexf", "-o", tmp_path / "somefile" / "g.gexf")
    assert result.exit_code == 2
    assert error_lines(result) == [f"Error: {tmp_path / 'somefile'}: is a file, not a folder"]
    result = run("export", "-b", store_build, "-f", "gexf", "-o", tmp_path / "somefile" / "deeper" / "g.gexf")
    assert error_lines(result) == [
        f"Error: {tmp_path / 'somefile' / 'deeper'}: cannot create the folder: {tmp_path / 'somefile'} is a file, "
        "not a folder"]


@pytest.fixture
def small_build(small_corpus, tmp_path) -> Path:
    out = tmp_path / "build"
    build(small_corpus, out, **QUICK)
    return out


def test_view_into_failing_places_is_one_line(small_build, tmp_path, monkeypatch):
    (tmp_path / "somefile").write_text("x", encoding="utf-8")
    result = run("view", "-b", small_build, "-o", tmp_path / "somefile")
    assert result.exit_code == 2
    assert error_lines(result) == [f"Error: {tmp_path / 'somefile'}: is a file, not a folder"]

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(fileio.tempfile, "mkstemp", read_only)
    views = tmp_path / "views"
    result = run("view", "-b", small_build, "-o", views)
    assert result.exit_code == 2
    [line] = error_lines(result)
    assert line.startswith(f"Error: {views}/") and line.endswith(".html: cannot write: read-only file system")
    assert list(views.iterdir()) == []


# --------------------------------------------------------------------------- the CLI's errors


def test_internal_error_says_please_report_with_traceback(store_build, monkeypatch):
    import kg.cli

    def bug(*args, **kwargs):
        raise ValueError("boom\nsecond line")

    monkeypatch.setattr(kg.cli, "export", bug)
    result = run("export", "-b", store_build, "-f", "gexf")
    assert result.exit_code == 4
    lines = result.stderr.splitlines()
    assert lines[0] == "Error: internal error, please report: ValueError: boom second line"
    assert lines[1] == "Traceback (most recent call last):" and "in bug" in result.stderr


def test_interrupt_is_one_line_exit_130(store_build, monkeypatch):
    import kg.cli

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(kg.cli, "export", interrupted)
    result = run("export", "-b", store_build, "-f", "gexf")
    assert result.exit_code == 130
    assert [line for line in result.stderr.splitlines() if line.strip()] == ["Interrupted"]


def test_clicks_own_errors_still_behave():
    missing = run("build")
    assert missing.exit_code == 2 and "Missing argument 'CORPUS_DIR'" in missing.stderr
    bad_choice = run("export", "-f", "pdf")
    assert bad_choice.exit_code == 2 and "Invalid value" in bad_choice.stderr
    assert run("build", "--help").exit_code == 0


# --------------------------------------------------------------------------- one document failing


def crash_on(doc_id: str, error: Exception):
    from kg.structure import parse_structure

    def parse(document):
        if document.doc_id == doc_id:
            raise error
        return parse_structure(document)

    return parse


def test_one_crashing_document_is_one_line_and_the_others_build(small_corpus, corpus_dir, tmp_path, monkeypatch):
    import kg.build

    shutil.copy(corpus_dir / f"{CENTRE}.txt", small_corpus)
    monkeypatch.setattr(kg.build, "parse_structure", crash_on(CENTRE, RuntimeError("unexpected heading")))
    out = tmp_path / "build"
    result = run("build", small_corpus, "-o", out, "--no-views", "--no-reports")
    assert result.exit_code == 2
    assert error_lines(result) == [
        f"Error: {small_corpus / (CENTRE + '.txt')}: internal error, please report: RuntimeError: unexpected heading"]
    assert [row["doc_id"] for row in read_documents_csv(out)] == [HUIJI]


def test_a_document_with_bad_input_is_its_own_line(small_corpus, corpus_dir, monkeypatch):
    import kg.build

    shutil.copy(corpus_dir / f"{CENTRE}.txt", small_corpus)
    monkeypatch.setattr(kg.build, "parse_structure", crash_on(HUIJI, InputError("ignored", "no headings found")))
    summary = kg.build.BuildSummary(out_dir=Path("."))
    corpus = kg.build.analyse(small_corpus, summary=summary)
    assert [d.doc_id for d in corpus.documents] == [CENTRE] and set(corpus.sections) == {CENTRE}
    assert [str(e) for e in summary.errors] == [f"{small_corpus / (HUIJI + '.txt')}: no headings found"]


def test_nothing_built_writes_nothing_and_keeps_the_old_build(small_build, small_corpus, monkeypatch):
    import kg.build

    before = snapshot(small_build)
    monkeypatch.setattr(kg.build, "parse_structure", crash_on(HUIJI, RuntimeError("broken")))
    with pytest.raises(InputError, match="nothing to build: .*internal error, please report: RuntimeError: broken"):
        build(small_corpus, small_build, **QUICK)
    assert snapshot(small_build) == before
    assert json.loads((small_build / BUILD_MARKER).read_text(encoding="utf-8")) == read_build_marker(small_build)
