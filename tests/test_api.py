"""The package's public API: every name in kg.__all__ resolves, and is the object the CLI uses."""
from __future__ import annotations

import subprocess
import sys

import kg
import kg.build
import kg.cli


def test_every_public_name_resolves():
    missing = [name for name in kg.__all__ if getattr(kg, name, None) is None]
    assert missing == []
    assert set(kg.__all__) <= set(dir(kg))


def test_public_names_are_the_functions_the_cli_calls():
    assert kg.build_corpus is kg.cli.build_corpus is kg.build.build
    assert kg.run_query is kg.cli.run_query and kg.export is kg.cli.export
    assert kg.load_corpus is kg.cli.load_corpus


def test_unknown_name_is_an_attribute_error():
    try:
        kg.no_such_function
    except AttributeError as err:
        assert "no_such_function" in str(err)
    else:
        raise AssertionError("kg.no_such_function resolved")


def test_importing_one_module_does_not_load_the_pipeline():
    """A query worker imports kg.serve's dependencies only, not spaCy and every stage."""
    code = "import sys, kg.errors; print('spacy' in sys.modules, 'kg.build' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False"]
