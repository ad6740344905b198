"""The notebooks run top to bottom on the bundled corpus (nbclient, the venv's python3 kernel)."""
from __future__ import annotations

from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def kernel_name() -> str:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec("python3")
    except NoSuchKernel:
        from ipykernel.kernelspec import install

        install(kernel_name="python3", prefix=str(Path(__import__("sys").prefix)))
    return "python3"


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("notebook") / "build"


def execute(name: str, kernel_name: str, build_dir: Path, monkeypatch):
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("KG_BUILD_DIR", str(build_dir))  # the kernel inherits the environment
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    NotebookClient(notebook, kernel_name=kernel_name, timeout=300,
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    return notebook


def outputs(notebook, mime: str) -> list[str]:
    found = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if mime in data:
                found.append(data[mime])
            if mime == "text/plain" and output.get("output_type") == "stream":
                found.append(output.get("text", ""))
    return found


def test_notebooks_hold_no_logic_of_their_own():
    import nbformat

    for path in NOTEBOOKS.glob("*.ipynb"):
        code = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
        assert "def " not in code and "class " not in code, path.name
        assert "import kg" in code or "from kg" in code, path.name


def test_quickstart_builds_queries_and_shows_a_view(kernel_name, build_dir, monkeypatch):
    notebook = execute("quickstart.ipynb", kernel_name, build_dir, monkeypatch)
    text = "\n".join(outputs(notebook, "text/plain") + outputs(notebook, "text/html"))
    assert "001_56320e920f24c20a" in text  # the documents table
    assert "programs_by_year_level" in text  # the canned queries
    assert any("overview.html" in html for html in outputs(notebook, "text/html"))  # the IFrame
    assert (build_dir / "views" / "overview.html").exists()


def test_analysis_tables_and_charts(kernel_name, build_dir, monkeypatch):
    notebook = execute("analysis.ipynb", kernel_name, build_dir, monkeypatch)
    assert len(outputs(notebook, "image/png")) >= 2  # programs per year, reuse per measure
    tables = "\n".join(outputs(notebook, "text/html"))
    assert "lower_measure" in tables and "reuse" in tables
    assert "continuity.html" in tables


def test_eight_questions_are_answered(kernel_name, build_dir, monkeypatch):
    notebook = execute("questions.ipynb", kernel_name, build_dir, monkeypatch)
    headings = [c.source for c in notebook.cells if c.cell_type == "markdown" and c.source.startswith("## ")]
    assert len(headings) == 8
    answers = [c for c in notebook.cells if c.cell_type == "code" and "canned_frame(BUILD," in c.source]
    assert len(answers) == 8
    for cell in answers:
        html = "".join(o.get("data", {}).get("text/html", "") for o in cell.outputs)
        assert "<table" in html, cell.source
    tables = "\n".join(outputs(notebook, "text/html"))
    assert "新优质初中" in tables and "郑州市惠济区" in tables  # first seen per government
    assert "lead" in tables  # the responsibility network
    assert "普惠性幼儿园覆盖率" in tables and "004_f29dea3288537dee#1" in tables  # side by side, apart
