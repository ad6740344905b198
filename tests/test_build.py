"""The whole pipeline: `kg build` outputs, analyst tables, evidence offsets, atomicity, bad input."""
from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.build import build
from kg.builddir import DOCUMENTS_CSV_COLUMNS, load_corpus
from kg.cli import main

HUIJI, PLAN = "001_56320e920f24c20a", "002_37f57ac8b3229a3d"


def read_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as rows:
        return list(csv.DictReader(rows))


def mentions_of(build_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (build_dir / "mentions.jsonl").read_text(encoding="utf-8").splitlines()]


def test_build_writes_everything(built_corpus):
    for name in ("documents.csv", "mentions.jsonl", "sections.jsonl", "concepts.jsonl", "alignments.jsonl",
                 "graph.trig", "graph.ttl", "store", "views/overview.html", "reports/alignment.html",
                 "reports/continuity.md", f"text/{HUIJI}.txt"):
        assert (built_corpus / name).exists(), name
    assert not [p for p in built_corpus.parent.iterdir() if p.name.startswith(".build")]  # no staging left


def test_documents_csv(built_corpus):
    rows = {row["doc_id"]: row for row in read_csv(built_corpus / "documents.csv")}
    assert list(next(iter(rows.values()))) == DOCUMENTS_CSV_COLUMNS
    assert len(rows) == 9
    huiji = rows[HUIJI]
    assert (huiji["level"], huiji["region"], huiji["year"], huiji["doc_number"], huiji["measures"]) == (
        "district", "郑州市惠济区", "2023", "惠教〔2023〕4号", "30")
    assert len(huiji["sha256"]) == 64
    assert rows["004_f29dea3288537dee#3"]["parent"] == "004_f29dea3288537dee"
    assert (rows[PLAN]["period_start"], rows[PLAN]["period_end"]) == ("2021", "2025")


def test_every_mention_quotes_the_cleaned_text(built_corpus):
    texts: dict[str, str] = {}
    mentions = mentions_of(built_corpus)
    assert len(mentions) > 1000
    for mention in mentions:
        if mention["doc_id"] not in texts:
            texts[mention["doc_id"]] = (built_corpus / "text" / f"{mention['doc_id']}.txt").read_text(encoding="utf-8")
        text = texts[mention["doc_id"]]
        assert text[mention["start"]:mention["end"]] == mention["text"]
        assert mention["sentence_start"] <= mention["start"] < mention["end"] <= mention["sentence_end"]
    assert {m["type"] for m in mentions} == {"program", "organization", "cited_document", "place", "person", "target"}


def test_xinyouzhi_program_linked_across_documents(built_corpus):
    found = [m for m in mentions_of(built_corpus) if m["type"] == "program" and "新优质初中" in m["text"]]
    assert {m["doc_id"] for m in found} >= {HUIJI, PLAN}
    assert len({m["concept"] for m in found}) == 1
    assert {m["canonical"] for m in found} == {"新优质初中"}


def test_indicator_table_baseline_and_target(built_corpus):
    pairs = {(m["value"], m["year"], m["kind"]) for m in mentions_of(built_corpus)
             if m["type"] == "target" and m["doc_id"] == PLAN and m["indicator"] and "毛入园率" in m["indicator"]}
    assert {("95", 2020, "baseline"), ("96", 2025, "target")} <= pairs


def test_load_corpus_round_trips(built_corpus):
    corpus = load_corpus(built_corpus)
    assert len(corpus.documents) == 9
    assert sum(1 for s in corpus.sections[HUIJI] if s.is_measure) == 30
    assert len(corpus.mentions) == len(mentions_of(built_corpus))
    assert corpus.alignments and any(a.local_only is False for a in corpus.alignments)


def test_cli_build_with_a_bad_file(tmp_path, corpus_dir):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(corpus_dir / f"{HUIJI}.txt", corpus)
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.4 this is not a pdf")
    out = tmp_path / "build"
    result = CliRunner().invoke(main, ["build", str(corpus), "-o", str(out), "--no-views", "--no-reports"])
    assert result.exit_code == 2
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and str(corpus / "broken.pdf") in errors[0] and "cannot read pdf" in errors[0]
    assert HUIJI in result.output and "measures" in result.output  # the summary table
    assert [r["doc_id"] for r in read_csv(out / "documents.csv")] == [HUIJI]


def test_failed_build_leaves_previous_build_intact(tmp_path, corpus_dir, monkeypatch):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(corpus_dir / f"{HUIJI}.txt", corpus)
    out = tmp_path / "build"
    build(corpus, out, views=False, reports=False)
    before = (out / "mentions.jsonl").read_bytes()

    import kg.rdf.store

    def explode(corpus):
        raise RuntimeError("disk full")

    monkeypatch.setattr(kg.rdf.store, "corpus_graphs", explode)
    with pytest.raises(RuntimeError):
        build(corpus, out, views=False, reports=False)
    assert (out / "mentions.jsonl").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build", "corpus"]


def test_empty_folder_is_bad_input(tmp_path):
    (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(main, ["build", str(tmp_path / "empty"), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "nothing to build" in result.output
    assert not (tmp_path / "out").exists()


def test_no_manifest_reports_inferred_metadata(tmp_path, corpus_dir):
    from kg.build import analyse

    corpus = analyse(corpus_dir, use_manifest=False)
    levels = {d.doc_id: d.meta.level for d in corpus.documents}
    assert levels[HUIJI] == "district" and levels["000_16f97bdad5560e56"] == "city-agency"


@pytest.mark.slow
def test_console_script_smoke(tmp_path, corpus_dir):
    """One real subprocess: the installed `kg` entry point builds the bundled corpus."""
    kg = Path(sys.executable).with_name("kg")
    result = subprocess.run([str(kg), "build", str(corpus_dir), "-o", str(tmp_path / "b"), "--no-views"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "total" in result.stdout and "triples" in result.stdout


def test_manifest_upper_override_wins(tmp_path, corpus_dir):
    """`upper:` in the manifest decides which documents a measure is aligned against."""
    from kg.build import analyse

    centre, huiji = "000_16f97bdad5560e56", HUIJI
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for doc_id in (centre, huiji):
        shutil.copy(corpus_dir / f"{doc_id}.txt", corpus)
    natural = analyse(corpus)
    assert {(a.lower_doc, a.upper_doc) for a in natural.alignments if not a.local_only} == {(huiji, centre)}

    (corpus / "manifest.yaml").write_text(
        f"documents:\n  - id: {centre}\n    upper: [{huiji}]\n  - id: {huiji}\n    upper: []\n", encoding="utf-8")
    overridden = analyse(corpus)
    pairs = {(a.lower_doc, a.upper_doc) for a in overridden.alignments if not a.local_only}
    assert pairs == {(centre, huiji)}

    # the build keeps the overrides, so `kg align` re-runs on the same hierarchy
    from kg.analysis.align import align

    out = tmp_path / "build"
    build(corpus, out, views=False, reports=False)
    hierarchy = json.loads((out / "hierarchy.json").read_text(encoding="utf-8"))
    assert hierarchy["upper"] == {centre: [huiji]}
    reloaded = load_corpus(out)
    assert reloaded.upper_overrides == {centre: [huiji], huiji: []}
    assert {(a.lower_doc, a.upper_doc) for a in align(reloaded) if not a.local_only} == pairs
