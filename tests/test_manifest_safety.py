"""The manifest schema, user-supplied YAML (no anchors, aliases, duplicate keys, oversized files)
and spreadsheet-safe CSV outputs."""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from kg.errors import InputError
from kg.fileio import FORMULA_TRIGGERS, PLAIN_NUMBER, spreadsheet_safe
from kg.ingest import ingest_corpus, source_files
from kg.ingest.manifest import ManifestError, read_manifest

PLAN = (
    "郑州市惠济区教育局文件\n惠教〔2023〕4号\n"
    "惠济区教育局 2023 年工作要点\n"
    "一、坚持党的领导\n"
    "1. 深入推进“双减”工作。学前教育毛入园率达到96%。\n"
)


def corpus_with(tmp_path: Path, manifest: str, name: str = "manifest.yaml", files=("plan.txt",)) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for file_name in files:
        (corpus / file_name).write_text(PLAN, encoding="utf-8")
    (corpus / name).write_text(manifest, encoding="utf-8")
    return corpus


def problems_of(corpus: Path, name: str = "manifest.yaml") -> list[str]:
    with pytest.raises(InputError) as caught:
        ingest_corpus(corpus)
    assert caught.value.exit_code == 2
    lines = str(caught.value).splitlines()
    assert all(line.startswith(f"{corpus / name}: ") for line in lines), lines
    return [line.removeprefix(f"{corpus / name}: ") for line in lines]


# --------------------------------------------------------------------------- the schema

@pytest.mark.parametrize("entry, expected", [
    ('year: "abc"', "entry 1 (id plan): year: expected a year such as 2023, got 'abc'"),
    ("year: 1800", "entry 1 (id plan): year: 1800 is not a year between 1949 and 2100"),
    ("year: yes", "entry 1 (id plan): year: expected a year such as 2023, got True"),
    ("period: [2023]", "entry 1 (id plan): period: expected [first year, last year], got [2023]"),
    ("period: [2025, 2021]", "entry 1 (id plan): period: first year 2025 is after last year 2021"),
    ("period: [2021, 2025]\n    period_start: 2020",
     "entry 1 (id plan): period_start: 2020 contradicts period [2021, 2025]"),
    ("upper: 5", "entry 1 (id plan): upper: expected a list, got int 5"),
    ("upper: [nosuch]", "entry 1 (id plan): upper: no file 'nosuch' in the corpus folder"),
    ("level: galaxy", "entry 1 (id plan): level: 'galaxy' is not a level "
                      "(national, province, city, city-agency, district, county, unknown)"),
    ("title: {a: 1}", "entry 1 (id plan): title: expected text, got a mapping {'a': 1}"),
    ("titel: 某计划", "entry 1 (id plan): titel: unknown field (fields: id, title, issuer, level, region, year, "
                     "period_start, period_end, doc_type, doc_number, signatory, period, upper)"),
])
def test_each_violation_is_one_line_naming_manifest_entry_and_field(tmp_path, entry, expected):
    corpus = corpus_with(tmp_path, f"documents:\n  - id: plan\n    {entry}\n")
    assert problems_of(corpus) == [expected]


@pytest.mark.parametrize("manifest, expected", [
    ("documents: 42\n", "documents: expected a list of entries, got int 42"),
    ("document:\n  - id: plan\n", "document: unknown top-level key (expected `documents:`)"),
    ("documents:\n  - id: plan\n  - id: plan.txt\n", "entry 2 (id plan.txt): id: duplicate of entry 1"),
    ("documents:\n  - id: pla\n", "entry 1 (id pla): id: no file 'pla' in the corpus folder; did you mean 'plan'?"),
    ("documents:\n  - id: 'other#2'\n", "entry 1 (id other#2): id: no compilation file 'other' in the corpus folder"),
    ("documents:\n  - title: x\n", "entry 1 (no id): id: required"),
    ("documents:\n  - id: ''\n", "entry 1 (no id): id: must not be empty"),
    ("documents:\n  - plan\n", "entry 1 (no id): expected a mapping of fields, got str 'plan'"),
])
def test_shape_and_identity_errors(tmp_path, manifest, expected):
    assert problems_of(corpus_with(tmp_path, manifest)) == [expected]


def test_every_problem_is_reported_at_once(tmp_path):
    corpus = corpus_with(tmp_path, (
        "documents:\n"
        "  - {id: plan, year: abc, level: galaxy, period: [2023], upper: 5, title: {a: 1}}\n"
        "  - {id: plan.txt}\n"
        "  - {id: missing, year: 2020}\n"))
    problems = problems_of(corpus)
    assert [p.split(": ", 2)[:2] for p in problems] == [
        ["entry 1 (id plan)", "title"], ["entry 1 (id plan)", "level"], ["entry 1 (id plan)", "year"],
        ["entry 1 (id plan)", "period"], ["entry 1 (id plan)", "upper"],
        ["entry 2 (id plan.txt)", "id"], ["entry 3 (id missing)", "id"]]


def test_cli_build_stops_before_analysing_and_writes_nothing(tmp_path):
    from click.testing import CliRunner

    from kg.cli import main

    corpus = corpus_with(tmp_path, "documents:\n  - {id: plan, year: abc}\n  - {id: gone}\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", str(corpus), "-o", str(out), "--no-views"])
    assert result.exit_code == 2, result.output
    assert f"{corpus / 'manifest.yaml'}: entry 1 (id plan): year: expected a year" in result.output
    assert f"{corpus / 'manifest.yaml'}: entry 2 (id gone): id: no file 'gone'" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_unreadable_manifests_name_the_line(tmp_path):
    corpus = corpus_with(tmp_path, 'id,title\nplan,"unclosed title\n', name="manifest.csv")
    assert problems_of(corpus, "manifest.csv") == [
        "not valid CSV: unexpected end of data in the row starting on line 2 (an unclosed quote?)"]
    (corpus / "manifest.csv").write_text('id,title\nplan,"a"b\n', encoding="utf-8")
    assert problems_of(corpus, "manifest.csv") == ["not valid CSV: ',' expected after '\"' in the row starting on line 2"]
    (corpus / "manifest.csv").write_bytes("id,title\nplan,某计划\n".encode("gb18030"))
    assert problems_of(corpus, "manifest.csv") == ["not UTF-8 text (line 2)"]
    (corpus / "manifest.csv").unlink()
    (corpus / "manifest.yaml").write_text("documents: [ {id: plan, year: 2024\n", encoding="utf-8")
    assert problems_of(corpus) == ["not valid YAML: expected ',' or '}', but got '<stream end>' (line 2)"]


def test_csv_manifest_columns_and_rows_are_checked(tmp_path):
    corpus = corpus_with(tmp_path, "id,title,year,colour\nplan,某计划,2020,red\nplan,x\n", name="manifest.csv")
    assert problems_of(corpus, "manifest.csv") == [
        "line 1: unknown column 'colour' (columns: id, title, issuer, level, region, year, period_start, "
        "period_end, doc_type, doc_number, signatory, period, upper)",
        "entry 2 (id plan): line 3 has 2 cells, the header 4",
        "entry 2 (id plan): id: duplicate of entry 1"]


def test_valid_csv_values_are_read_as_before(tmp_path):
    corpus = corpus_with(tmp_path, (
        "id,title,year,period,level,upper,signatory\n"
        "plan.txt,某计划,2020,2020-2022,county,other; third,\n"
        "other,,,,,,\n"
        "third,,,,,,\n"), name="manifest.csv", files=("plan.txt", "other.docx", "third.txt"))
    declared = read_manifest(corpus / "manifest.csv", source_files(corpus))
    assert declared["plan"] == {"title": "某计划", "year": 2020, "period_start": 2020, "period_end": 2022,
                                "level": "county", "upper": ["other", "third"], "signatory": None}
    # an empty cell is a declared empty value, as before; an empty `upper` says "no upper documents"
    assert declared["other"] == {"title": None, "year": None, "level": None, "upper": [], "signatory": None}


def test_ids_follow_the_document_ids_ingest_gives(tmp_path):
    corpus = corpus_with(tmp_path, "documents:\n  - id: x\n", files=("x.txt", "x.docx", "comp.txt", "comp#1.txt"))
    files = source_files(corpus)
    # x.txt and x.docx share a stem, so their ids are their file names; `x` alone is ambiguous
    with pytest.raises(ManifestError) as caught:
        read_manifest(corpus / "manifest.yaml", files)
    assert caught.value.problems == ["entry 1 (id x): id: 'x' is the stem of several files; "
                                     "name one by its id ('x.docx', 'x.txt')"]
    (corpus / "manifest.yaml").write_text(
        "documents:\n  - {id: x.docx, year: 2020}\n  - {id: 'comp#1', year: 2021}\n  - {id: 'comp%231', year: 2022}\n"
        "  - {id: comp#1.txt, year: 2022}\n", encoding="utf-8")
    with pytest.raises(ManifestError) as caught:
        read_manifest(corpus / "manifest.yaml", files)
    # `comp#1` is part 1 of comp.txt; the file comp#1.txt is `comp%231`, also by its file name
    assert caught.value.problems == ["entry 4 (id comp#1.txt): id: duplicate of entry 3"]
    (corpus / "manifest.yaml").write_text(
        "documents:\n  - {id: x.docx, year: 2020}\n  - {id: 'comp#1', year: 2021}\n  - {id: 'comp%231', year: 2022}\n",
        encoding="utf-8")
    assert read_manifest(corpus / "manifest.yaml", files) == {
        "x.docx": {"year": 2020}, "comp#1": {"year": 2021}, "comp%231": {"year": 2022}}


def test_compilation_part_ids_need_their_compilation_file(tmp_path, corpus_dir):
    declared = read_manifest(corpus_dir / "manifest.yaml", source_files(corpus_dir))
    assert set(declared) == {
        "000_16f97bdad5560e56", "001_56320e920f24c20a", "002_37f57ac8b3229a3d", "003_e4eb59aa704bb68c",
        *(f"004_f29dea3288537dee#{n}" for n in range(1, 6))}
    assert declared["001_56320e920f24c20a"] == {
        "title": "惠济区教育局2023年工作要点", "issuer": "郑州市惠济区教育局", "level": "district",
        "region": "郑州市惠济区", "year": 2023, "period_start": 2023, "period_end": 2023, "doc_type": "工作要点",
        "doc_number": "惠教〔2023〕4号", "signatory": None}
    # the same manifest against a folder without the compilation file
    with pytest.raises(ManifestError) as caught:
        read_manifest(corpus_dir / "manifest.yaml", [p for p in source_files(corpus_dir) if not p.name.startswith("004")])
    assert len(caught.value.lines) == 5
    assert all("id: no compilation file '004_f29dea3288537dee' in the corpus folder" in line
               for line in caught.value.lines)


# --------------------------------------------------------------------------- user-supplied YAML

BILLION_LAUGHS = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
documents:
  - id: plan
    title: *i
"""


def test_billion_laughs_manifest_is_refused_at_the_first_anchor(tmp_path):
    corpus = corpus_with(tmp_path, BILLION_LAUGHS)
    assert len(BILLION_LAUGHS.encode()) < 1024
    # in a child process whose address space is capped at 512 MB: a loader that expanded the
    # aliases would die with MemoryError there instead of taking the machine's memory
    program = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (512 << 20, 512 << 20))\n"
        "from kg.errors import InputError\n"
        "from kg.ingest import ingest_corpus\n"
        "try:\n"
        f"    ingest_corpus({str(corpus)!r})\n"
        "except InputError as err:\n"
        "    print(err)\n"
    )
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == f"{corpus / 'manifest.yaml'}: YAML anchors and aliases are not accepted (line 1)"


def test_anchor_alias_and_merge_keys_are_refused_everywhere_user_yaml_is_read(tmp_path):
    from kg.evaluate import load_keys
    from kg.evaluate.alignment import evaluate_alignment

    corpus = corpus_with(tmp_path, "documents:\n  - id: plan\n    issuer: &who 某局\n  - {id: plan2, issuer: *who}\n")
    assert problems_of(corpus) == ["YAML anchors and aliases are not accepted (line 3)"]
    gold = tmp_path / "gold"
    gold.mkdir()
    (gold / "plan.yaml").write_text("doc_id: plan\nbase: &b {name: x}\nprograms:\n  - <<: *b\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"plan\.yaml: YAML anchors and aliases are not accepted \(line 2\)"):
        load_keys(gold)
    key = gold / "alignment_001.yaml"
    key.write_text("- district_item: 1\n  loci: &l [work1]\n- district_item: 2\n  loci: *l\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"alignment_001\.yaml: YAML anchors and aliases are not accepted \(line 2\)"):
        evaluate_alignment(key, [])


def test_duplicate_keys_and_oversized_files_are_refused(tmp_path):
    corpus = corpus_with(tmp_path, "documents:\n  - id: plan\n    year: 2023\n    year: 2024\n")
    assert problems_of(corpus) == ["duplicate key 'year' (line 4)"]
    with (corpus / "manifest.yaml").open("a", encoding="utf-8") as out:
        out.write("#" + "x" * (10 * 1024 * 1024) + "\n")
    [problem] = problems_of(corpus)
    size = (corpus / "manifest.yaml").stat().st_size
    assert problem == f"file is over the limit of 10 MB ({size:,} bytes)"


def test_shared_answer_keys_still_load(gold_dir):
    import yaml

    from kg.resources import load_user_yaml

    for path in sorted(gold_dir.glob("*.yaml")):
        assert load_user_yaml(path) == yaml.safe_load(path.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- spreadsheet-safe CSV

@pytest.mark.parametrize("value, written", [
    ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
    ("@SUM(1+1)", "'@SUM(1+1)"),
    ("-1+cmd|' /C calc'!A0", "'-1+cmd|' /C calc'!A0"),
    ("+1+1", "'+1+1"),
    ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"),
    ("=", "'="),
    ("-", "'-"),
    # plain numbers are data
    ("-5", "-5"), ("+3.2", "+3.2"), ("-0.5", "-0.5"), ("-1e5", "-1e5"), (-5, "-5"), (-0.5, "-0.5"),
    # anything else is left alone
    ("郑州市", "郑州市"), ("3-5", "3-5"), (">=", ">="), ("", ""), (None, ""), (2023, "2023"),
])
def test_spreadsheet_safe(value, written):
    assert spreadsheet_safe(value) == written


TITLE = '=HYPERLINK("http://x","y")'
SIGNATORY = "-1+cmd|' /C calc'!A0"
ISSUER = "@SUM(1+1)"
DISTRICT = (
    "郑州市惠济区教育局文件\n惠教〔2023〕4号\n惠济区教育局2023年工作要点\n一、坚持党的领导\n"
    "1.@SUM(1+1)深入实施“=1+1”工程，推进“县管校聘”改革，学前教育毛入园率达到96%。\n"
    "2.认真落实《-1+cmd|' /C calc'!A0》，普惠性幼儿园覆盖率达到90%以上。\n"
)
CITY = (  # the city's plan of the same year: in force for the district's, so the two align
    "郑州市教育局文件\n郑教〔2023〕1号\n郑州市教育局2023年工作要点\n一、坚持党的领导\n"
    "1.@SUM(1+1)深入实施“=1+1”工程，推进“县管校聘”改革，学前教育毛入园率达到95%。\n"
    "2.认真落实《-1+cmd|' /C calc'!A0》，普惠性幼儿园覆盖率达到85%以上。\n"
)


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory) -> Path:
    from kg.build import build

    root = tmp_path_factory.mktemp("hostile")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "district.txt").write_text(DISTRICT, encoding="utf-8")
    (corpus / "city.txt").write_text(CITY, encoding="utf-8")
    (corpus / "manifest.yaml").write_text(
        "documents:\n"
        f"  - id: district\n    title: '{TITLE}'\n    signatory: \"{SIGNATORY}\"\n"
        f"  - id: city\n    issuer: \"{ISSUER}\"\n", encoding="utf-8")
    out = root / "build"
    build(corpus, out, views=False)
    return out


def formula_cells(text: str) -> list[str]:
    """Cells a spreadsheet would evaluate: starting with a trigger and not a plain number."""
    return [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row
            if cell.startswith(FORMULA_TRIGGERS) and not PLAIN_NUMBER.fullmatch(cell)]


def csv_rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as rows:
        return list(csv.DictReader(rows))


def test_every_csv_of_a_build_is_neutralised(hostile_build):
    written = sorted(p.relative_to(hostile_build).as_posix() for p in hostile_build.rglob("*.csv"))
    assert written == ["documents.csv", "reports/alignment.csv", "reports/continuity_changes.csv",
                       "reports/continuity_indicators.csv", "reports/continuity_programs.csv", "reports/reuse.csv"]
    for name in written:
        assert formula_cells((hostile_build / name).read_text(encoding="utf-8")) == [], name

    documents = {row["doc_id"]: row for row in csv_rows(hostile_build / "documents.csv")}
    assert documents["district"]["title"] == "'" + TITLE
    assert documents["district"]["signatory"] == "'" + SIGNATORY
    assert documents["city"]["issuer"] == "'" + ISSUER
    assert documents["district"]["year"] == "2023"  # numbers untouched
    programs = csv_rows(hostile_build / "reports" / "continuity_programs.csv")
    assert "'=1+1" in {row["program"] for row in programs}
    for report in ("alignment.csv", "reuse.csv"):  # the measure's heading text
        titles = [row.get("lower_title", row.get("title")) for row in csv_rows(hostile_build / "reports" / report)]
        assert any(title.startswith("'@SUM(1+1)深入实施") for title in titles), report
    indicators = csv_rows(hostile_build / "reports" / "continuity_indicators.csv")
    assert {row["comparator"] for row in indicators} == {"'=", ">="}


def test_json_and_html_outputs_keep_the_original_text(hostile_build):
    from kg.fileio import read_jsonl

    meta = {row["doc_id"]: row for row in read_jsonl(hostile_build / "documents.jsonl")}
    assert (meta["district"]["title"], meta["district"]["signatory"], meta["city"]["issuer"]) == (
        TITLE, SIGNATORY, ISSUER)
    mentions = read_jsonl(hostile_build / "mentions.jsonl")
    assert SIGNATORY in {m["text"] for m in mentions}
    assert any(m["text"].startswith("“=1+1”") for m in mentions)
    html = (hostile_build / "reports" / "continuity.html").read_text(encoding="utf-8")
    assert "=1+1" in html and "&#39;=1+1" not in html and "'=1+1" not in html


def test_kg_query_csv_is_neutralised_and_json_is_not(hostile_build):
    from click.testing import CliRunner

    from kg.cli import main

    runner = CliRunner()
    as_csv = runner.invoke(main, ["query", "--name", "documents", "-b", str(hostile_build), "-f", "csv"])
    assert as_csv.exit_code == 0, as_csv.output
    assert formula_cells(as_csv.output) == []
    rows = {row["document"]: row for row in csv.DictReader(io.StringIO(as_csv.output))}
    assert rows["district"]["title"] == "'" + TITLE and rows["city"]["issuer"] == "'" + ISSUER
    as_json = runner.invoke(main, ["query", "--name", "documents", "-b", str(hostile_build), "-f", "json"])
    titles = {row["document"]: row["title"] for row in json.loads(as_json.output)}
    assert titles["district"] == TITLE
