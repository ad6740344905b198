"""The package as a researcher gets it from `pip install`: a wheel, not the editable checkout.

The wheel has to carry everything kg reads at run time (ontology/ as kg/ontology, the
templates, the NER model), and kg.resources has to find the data there. The slow test builds a
wheel from a copy of the sources, installs it into a fresh venv and builds the bundled corpus
from a directory outside the checkout.
"""
from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"
# What a wheel is built from: setup.cfg's long_description reads README.md.
SOURCES = ["kg", "ontology", "setup.cfg", "pyproject.toml", "README.md"]


def _setup_cfg() -> configparser.ConfigParser:
    config = configparser.ConfigParser()
    config.read(REPO / "setup.cfg", encoding="utf-8")
    return config


def _listed(value: str) -> set[str]:
    return {line.strip() for line in value.splitlines() if line.strip()}


def test_setup_cfg_lists_every_package():
    """setup.cfg lists packages by hand (find: cannot add kg.ontology): a new one must be added."""
    on_disk = {".".join(init.parent.relative_to(REPO).parts) for init in (REPO / "kg").rglob("__init__.py")}
    assert _listed(_setup_cfg()["options"]["packages"]) == on_disk | {"kg.ontology"}


def _clean_env() -> dict[str, str]:
    """The environment without anything that would put the checkout on sys.path."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _run(command: list[str], cwd: Path, timeout: int) -> subprocess.CompletedProcess:
    result = subprocess.run([str(part) for part in command], cwd=cwd, env=_clean_env(),
                            capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{command[:3]} failed:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
    return result


def _build_wheel(tmp_path: Path) -> Path:
    # From a copy: building in the checkout would write build/lib into build/, the default
    # output directory of `kg build`. With build isolation, because the project's build
    # requirements (pyproject.toml) need not be what the dev venv has installed.
    source = tmp_path / "src"
    source.mkdir()
    for name in SOURCES:
        origin = REPO / name
        if origin.is_dir():
            shutil.copytree(origin, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(origin, source / name)
    wheels = tmp_path / "wheels"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", wheels, source], tmp_path, 240)
    (wheel,) = wheels.glob("policy_kg-*.whl")
    return wheel


def _venv_with_dev_dependencies(tmp_path: Path) -> Path:
    """A fresh venv whose dependencies are the dev venv's, without the dev venv's kg.

    A .pth line only appends the dev site-packages to sys.path; the .pth files inside it (the
    editable install's finder, which maps kg to the checkout) are not run, so the only kg the
    new venv can import is the one installed into it.
    """
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], tmp_path, 60)
    python = venv / "bin" / "python"
    site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                     tmp_path, 30).stdout.strip())
    (site / "dev_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n", encoding="utf-8")
    return venv


@pytest.mark.slow
def test_wheel_installs_and_builds_the_corpus_outside_the_checkout(tmp_path):
    wheel = _build_wheel(tmp_path)
    with zipfile.ZipFile(wheel) as archive:
        shipped = set(archive.namelist())
    for data in ["kg/ontology/kg.ttl", "kg/ontology/shapes.ttl", "kg/ontology/lexicon/alignment.yaml",
                 "kg/ontology/queries/documents.rq", "kg/templates/view.html", "kg/ner/model/meta.json"]:
        assert data in shipped, f"{data} is not in the wheel"

    venv = _venv_with_dev_dependencies(tmp_path)
    python = venv / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", "--quiet", wheel],
         tmp_path, 120)

    work = tmp_path / "elsewhere"
    work.mkdir()
    where = _run([python, "-c", "import kg, kg.resources; print(kg.__file__); print(kg.resources.ONTOLOGY_DIR)"],
                 work, 60).stdout.splitlines()
    installed = Path(where[0]).resolve()
    assert installed.is_relative_to(venv.resolve()) and not installed.is_relative_to(REPO), installed
    assert Path(where[1]).resolve() == installed.parent / "ontology"

    _run([venv / "bin" / "kg", "build", CORPUS, "-o", work / "out"], work, 300)
    assert (work / "out" / "graph.trig").stat().st_size > 0

    # A data file missing from the wheel could fall back quietly to a default; the outputs
    # being those of the checkout's own build shows that nothing did.
    checkout_kg = Path(sys.executable).with_name("kg")
    _run([checkout_kg, "build", CORPUS, "-o", tmp_path / "checkout"], REPO, 300)
    _run([sys.executable, REPO / "scripts" / "compare_builds.py", tmp_path / "checkout", work / "out"], REPO, 60)
