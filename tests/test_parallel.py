"""Structure and extract in a process pool or on a Dask cluster: the same build as in one process."""
from __future__ import annotations

import dataclasses
import hashlib
import multiprocessing
import os
from pathlib import Path

import pytest

import kg.build
import kg.fanout
from kg.build import build
from kg.errors import InputError
from kg.fanout import beside
from kg.ingest import ingest_corpus
from kg.parallel import (
    DocumentAnalysis, DocumentFailure, PipelineSettings, analyse_documents, chunked, longest_first,
)


def outputs(build_dir: Path) -> dict[str, str]:
    """sha256 of every output file; the store's binary files (its content is graph.trig), the
    build marker and the cache (what the next build reads, not an output) left out."""
    return {path.relative_to(build_dir).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(build_dir.rglob("*"))
            if path.is_file() and path.relative_to(build_dir).parts[0] not in ("store", "cache")
            and not path.name.startswith(".kg-build")}


@pytest.fixture(scope="module")
def one_process(corpus_dir, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("one") / "build"
    build(corpus_dir, out, workers=1, use_cache=False)
    return out


@pytest.mark.slow
def test_two_workers_build_byte_identical_outputs(corpus_dir, one_process, tmp_path):
    summary = build(corpus_dir, tmp_path / "build", workers=2, use_cache=False)
    assert not summary.errors
    assert outputs(tmp_path / "build") == outputs(one_process)
    assert len(outputs(one_process)) > 30


def test_chunks_keep_the_order_and_balance_the_text():
    documents = ingest_corpus(Path(__file__).resolve().parent.parent / "corpus").documents
    chunks = chunked(documents, 2)
    assert [d.doc_id for chunk in chunks for d in chunk] == [d.doc_id for d in documents]
    assert 1 < len(chunks) <= 8
    lengths = [sum(len(d.text) for d in chunk) for chunk in chunks]
    assert [lengths[n] for n in longest_first(chunks)] == sorted(lengths, reverse=True)


def test_a_document_failing_in_a_worker_is_one_line_and_the_others_build(corpus_dir):
    documents = ingest_corpus(corpus_dir).documents[:4]
    broken = dataclasses.replace(documents[1], segments=[None])  # structure fails on it, inside the worker
    given = [documents[0], broken, *documents[2:]]
    alone, _ = analyse_documents(given, corpus_dir, PipelineSettings(), workers=1)
    pooled, seconds = analyse_documents(given, corpus_dir, PipelineSettings(), workers=2)
    assert seconds["extract"] > 0
    for outcomes in (alone, pooled):
        assert [type(o) for o in outcomes] == [DocumentAnalysis, DocumentFailure, DocumentAnalysis, DocumentAnalysis]
        error = outcomes[1].error
        assert error.path == str(Path(corpus_dir) / broken.meta.source)
        assert error.problem.startswith("internal error, please report: ") and "\n" not in error.problem
        assert error.__cause__ is not None  # the traceback, for the Python API
    assert str(pooled[1].error) == str(alone[1].error)
    assert "Traceback" in str(pooled[1].error.__cause__)
    for one, other in zip(alone, pooled):
        if isinstance(one, DocumentAnalysis):
            assert one == other


@pytest.mark.slow
def test_dask_local_cluster_builds_the_same(corpus_dir, one_process, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) \
            as cluster:
        summary = build(corpus_dir, tmp_path / "build", use_cache=False, dask=cluster.scheduler_address)
    assert not summary.errors
    assert outputs(tmp_path / "build") == outputs(one_process)


def test_dask_missing_is_an_installation_error(monkeypatch, corpus_dir, tmp_path):
    import builtins

    from kg.errors import MissingDependency

    real_import = builtins.__import__

    def without_distributed(name, *args, **kwargs):
        if name.split(".")[0] == "distributed":
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", without_distributed)
    with pytest.raises(MissingDependency) as raised:
        build(corpus_dir, tmp_path / "build", dask="tcp://127.0.0.1:1")
    assert "pip install 'policy-kg[dask]'" in str(raised.value)
    assert raised.value.exit_code == 3


def test_alignment_on_two_forked_workers_is_the_same(loaded_corpus):
    """align(workers=2) scores the lower documents in forked workers that inherit the indexes;
    every alignment, its rank, score and evidence, must be what one process gives."""
    from kg.analysis.align import align

    alone = align(loaded_corpus, workers=1)
    assert alone and align(loaded_corpus, workers=2) == alone


def test_forked_map_keeps_the_order_and_reads_what_the_parent_built():
    from kg.fanout import forked_map

    built_here = {number: number * number for number in range(50)}  # inherited by the workers, never pickled
    items = [list(range(start, min(start + 7, 50))) for start in range(0, 50, 7)]
    squares = forked_map(lambda chunk: [built_here[n] for n in chunk], items, workers=2)
    assert [n for chunk in squares for n in chunk] == [n * n for n in range(50)]


@pytest.fixture
def forking(monkeypatch):
    """Fork whatever threads earlier tests left (a Dask cluster's): this module's children do
    nothing that could deadlock on them."""
    monkeypatch.setattr(kg.fanout, "pool_context", lambda: multiprocessing.get_context("fork"))


def test_beside_runs_in_another_process_and_relays_its_reports_in_order(forking):
    built_here = list(range(1000))  # inherited by the child, never pickled
    heard = []

    def work(report):
        for step in ("first", "second"):
            report(step, os.getpid())
        return sum(built_here)

    assert beside(work, on_report=lambda step, pid: heard.append((step, pid))).result() == sum(range(1000))
    assert [step for step, _ in heard] == ["first", "second"]
    assert {pid for _, pid in heard} != {os.getpid()}  # the work ran in a forked child


def test_beside_without_fork_runs_here_when_the_result_is_asked_for(monkeypatch):
    monkeypatch.setattr(kg.fanout, "pool_context", lambda: multiprocessing.get_context("spawn"))
    heard = []
    later = beside(lambda report: report(os.getpid()) or "done", on_report=heard.append)
    assert heard == []  # nothing ran yet
    assert later.result() == "done" and heard == [os.getpid()]


def test_beside_raises_the_childs_error_with_its_type_and_fields(forking):
    def fail(_report):
        raise InputError("views/x.html", "cannot be written")

    with pytest.raises(InputError, match="views/x.html: cannot be written") as raised:
        beside(fail).result()
    assert (raised.value.path, raised.value.problem, raised.value.exit_code) == ("views/x.html", "cannot be written", 2)


def test_beside_says_so_when_the_child_dies_without_a_result(forking):
    with pytest.raises(RuntimeError, match="without a result.*exit code 3"):
        beside(lambda _report: os._exit(3)).result()


def test_a_build_whose_pages_fail_leaves_no_build(corpus_dir, tmp_path, monkeypatch):
    """The pages are written in the child: its error stops the build as one in this process would."""
    def broken(*_args, **_kwargs):
        raise InputError("reports", "disk full")

    monkeypatch.setattr(kg.build, "write_continuity_report", broken)
    with pytest.raises(InputError, match="reports: disk full"):
        build(corpus_dir, tmp_path / "build", workers=1, views=False, use_cache=False)
    assert not (tmp_path / "build").exists()
