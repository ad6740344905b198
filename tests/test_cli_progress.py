"""`kg build` in a log (stderr not a terminal): a line per stage and per tenth of the documents."""
from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from kg.cli import BuildLog, main

STAGES = ("ingest", "extract", "link", "relations", "align", "tables", "graph", "export", "reports", "views")


@pytest.fixture(scope="module")
def logged_build(corpus_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("progress") / "build"
    result = CliRunner().invoke(main, ["build", str(corpus_dir), "-o", str(out), "--workers", "1"])
    assert result.exit_code == 0, result.output
    return result.stderr.splitlines()


def test_a_line_as_each_stage_starts_and_ends(logged_build):
    for stage in STAGES:
        assert f"Building: {stage} ..." in logged_build, stage
        ends = [line for line in logged_build if re.fullmatch(rf"Building: {stage} done in \d+\.\ds", line)]
        assert len(ends) == 1, (stage, logged_build)
    started = [line.split()[1] for line in logged_build if line.endswith(" ...")]
    assert sorted(started) == sorted(STAGES)  # each once
    assert started[:5] == list(STAGES[:5])  # the analyses in pipeline order
    # tables, reports and views are written beside graph and export (kg.fanout.beside): two orders
    assert [s for s in started if s in ("tables", "reports", "views")] == ["tables", "reports", "views"]
    assert [s for s in started if s in ("graph", "export")] == ["graph", "export"]
    assert not any("[" in line or "\r" in line for line in logged_build)  # no progress bar redrawn in a log


def test_document_steps_in_order(logged_build):
    steps = [line for line in logged_build if re.fullmatch(r"Building: extract \d+/9 documents", line)]
    # nine documents: each is more than a tenth, so each has its line
    assert steps == [f"Building: extract {done}/9 documents" for done in range(1, 10)]
    extract = logged_build.index("Building: extract ...")
    assert logged_build.index(steps[0]) > extract and logged_build.index(steps[-1]) < logged_build.index(
        next(line for line in logged_build if line.startswith("Building: extract done")))


@pytest.mark.parametrize("total, expected", [
    (100, [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]),
    (25, [3, 5, 8, 10, 13, 15, 18, 20, 23, 25]),
    (3, [1, 2, 3]),
    (1, [1]),
])
def test_a_line_per_tenth(total, expected, capsys):
    log = BuildLog()
    for done in range(1, total + 1):
        log.progress(done, total, None)
    lines = capsys.readouterr().err.splitlines()
    assert lines == [f"Building: extract {done}/{total} documents" for done in expected]
