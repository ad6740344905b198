"""Docs stay true: every command has help text and is documented in the README."""
from __future__ import annotations

import importlib
import importlib.util
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli import main

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
COMMANDS = sorted(main.commands)


def test_the_expected_commands_exist():
    assert set(COMMANDS) >= {"build", "query", "stats", "validate", "eval", "align", "continuity", "view",
                             "serve", "export"}


@pytest.mark.parametrize("name", COMMANDS)
def test_command_has_help_and_is_documented(name):
    result = CliRunner().invoke(main, [name, "--help"])
    assert result.exit_code == 0
    assert main.commands[name].help and len(main.commands[name].help.strip()) > 20
    assert f"kg {name}" in README


def test_readme_opens_with_the_two_commands():
    first_block = README.split("```sh", 1)[1].split("```", 1)[0]
    assert [line.split("#")[0].strip() for line in first_block.strip().splitlines()] == ["make run", "make test"]


# --------------------------------------------------------------------------- docs/ARCHITECTURE.md

REPO = Path(__file__).resolve().parent.parent
ARCHITECTURE = (REPO / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")


def package_block() -> str:
    return ARCHITECTURE.split("## The package", 1)[1].split("```", 2)[1]


def test_architecture_names_every_module_and_folder_of_kg():
    block = package_block()
    entries = [p for p in (REPO / "kg").iterdir() if p.name != "__pycache__" and not p.name.startswith(".")]
    missing = [p.name for p in entries if f"kg/{p.name}" + ("/" if p.is_dir() else "") not in block]
    assert missing == []
    for folder in (p for p in entries if p.is_dir() and (p / "__init__.py").exists()):
        line = block[block.index(f"kg/{folder.name}/"):].split("\nkg/", 1)[0]
        modules = {p.stem for p in folder.glob("*.py") if p.stem != "__init__"}
        assert {m for m in modules if m not in line} == set(), folder.name


def is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # a parent is a module, not a package
        return False


def test_every_module_the_architecture_names_exists():
    for name in sorted(set(re.findall(r"`(kg(?:\.\w+)+)", ARCHITECTURE)) - {"kg.ttl"}):  # kg.ttl: ontology file
        module = name
        while module != "kg" and not is_module(module):  # kg.rdf.store.write_graphs -> kg.rdf.store
            module = module.rpartition(".")[0]
        assert module != "kg" or name == "kg", f"{name} names no module"
        attribute = name[len(module) + 1:]
        if attribute:
            assert hasattr(importlib.import_module(module), attribute.split(".")[0]), name

