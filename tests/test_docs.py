"""Docs stay true: every command has help text and is documented in the README."""
from __future__ import annotations

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
