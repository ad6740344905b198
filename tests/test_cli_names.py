"""Every command that takes a document, program or indicator name: an unknown name is one line
with the nearest known names (exit 2) and writes nothing; a filtered report never replaces the
full one."""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.analysis.lookup import nearest_names, resolve_document, resolve_program
from kg.cli import main
from kg.errors import InputError

LOWER = "001_56320e920f24c20a"  # the bundled district plan and its city plan
UPPER = "002_37f57ac8b3229a3d"


@pytest.fixture()
def build_copy(built_corpus, tmp_path) -> Path:
    """A private copy of the session build: these tests write reports into it."""
    return Path(shutil.copytree(built_corpus, tmp_path / "build"))


def digests(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def assert_one_line_error(result, *expected: str):
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert "Traceback" not in result.output
    for text in expected:
        assert text in lines[0], lines[0]


@pytest.mark.parametrize("args, expected", [
    (["align", "--lower", "001_56320e920f24c2X"], ["--lower", "nearest: " + LOWER]),
    (["align", "--lower", LOWER, "--upper", "002_37f57ac8b3229a3X"], ["--upper", UPPER]),
    (["continuity", "--program", "新忧质初中"], ["--program", "nearest: 新优质初中"]),
    (["view", "--program", "新忧质初中"], ["--program", "新优质初中"]),
    (["query", "-n", "program_document", "-p", "program=新优质初中"], ["--name", "program_documents"]),
    (["query", "-n", "program_documents", "-p", "program=新忧质初中"], ["?program", "新优质初中"]),
    (["query", "-n", "program_changes", "-p", "from=003_e4eb59aa704bb68c", "-p", f"to={UPPER[:-1]}"],
     ["?to", UPPER]),
    (["query", "-n", "indicator_trajectory", "-p", "indicator=复盖率"], ["?indicator", "覆盖率"]),
    (["query", "-n", "indicator_trajectory", "-p", "indicator=覆盖率", "-p", "government=郑州"],
     ["?government", "郑州市"]),
])
def test_an_unknown_name_is_one_line_with_the_nearest_names_and_writes_nothing(build_copy, args, expected):
    before = digests(build_copy)
    result = run(*args, "-b", str(build_copy))
    assert_one_line_error(result, *expected)
    assert digests(build_copy) == before


def test_a_name_nothing_resembles_says_so(build_copy):
    result = run("continuity", "--program", "QQQQ", "-b", str(build_copy))
    assert_one_line_error(result, "no program named 'QQQQ'", "is close")


def test_a_filtered_continuity_report_goes_beside_the_full_one(build_copy):
    full = (build_copy / "reports" / "continuity.md").read_bytes()
    result = run("continuity", "--program", "新优质初中", "-b", str(build_copy))
    assert result.exit_code == 0, result.output
    assert (build_copy / "reports" / "continuity.md").read_bytes() == full
    [folder] = (build_copy / "reports" / "programs").iterdir()
    text = (folder / "continuity.md").read_text(encoding="utf-8")
    assert "新优质初中" in text and len(text) < len(full.decode("utf-8"))


def test_a_filtered_alignment_report_goes_beside_the_full_one(build_copy):
    full = (build_copy / "reports" / "alignment.md").read_bytes()
    result = run("align", "--lower", LOWER, "--upper", UPPER, "-b", str(build_copy))
    assert result.exit_code == 0, result.output
    assert (build_copy / "reports" / "alignment.md").read_bytes() == full
    assert (build_copy / "reports" / "align" / f"{LOWER}--{UPPER}" / "alignment.md").is_file()


def test_documents_resolve_by_id_title_or_a_unique_part(loaded_corpus):
    doc = next(d for d in loaded_corpus.documents if d.doc_id == LOWER)
    assert resolve_document(loaded_corpus, LOWER) == LOWER
    assert resolve_document(loaded_corpus, doc.meta.title) == LOWER
    assert resolve_document(loaded_corpus, LOWER[:8]) == LOWER
    with pytest.raises(InputError, match="names 9 documents|names \\d+ documents"):
        resolve_document(loaded_corpus, "00")


def test_programs_resolve_by_label_alias_or_printed_form(loaded_corpus):
    key = resolve_program(loaded_corpus, "新优质初中")
    assert resolve_program(loaded_corpus, "“新优质初中”") == key  # quote marks do not count


def test_nearest_names_rank_containment_then_similarity():
    known = ["课后服务", "校园足球特色学校", "校园足球", "劳动教育"]
    assert nearest_names("校园足", known)[:2] == ["校园足球", "校园足球特色学校"]
    assert nearest_names("劳动教肓", known) == ["劳动教育"]
    assert nearest_names("ZZZ", known) == []
