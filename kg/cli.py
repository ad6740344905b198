"""The `kg` command line: a thin layer over the library.

Each command parses options, calls one library function and turns `KGError`s into a
one-line message and a stable exit code (0 ok, 1 quality check failed, 2 bad input).
"""
from __future__ import annotations

import functools
import sys
from pathlib import Path

import click

from kg.errors import KGError


def handle_errors(func):
    """Turn library errors into one line on stderr and the error's exit code."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except KGError as err:
            click.echo(f"Error: {err}", err=True)
            sys.exit(err.exit_code)

    return wrapper


def build_dir_option(func):
    return click.option(
        "-b", "--build", "build_dir", type=click.Path(path_type=Path), default=Path("build"),
        show_default=True, help="Build directory written by `kg build`.",
    )(func)


def output_options(func):
    return click.option(
        "-f", "--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
        show_default=True, help="Output format.",
    )(func)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="policy-kg")
def main():
    """Turn Chinese education policy plans into an evidence-backed knowledge graph."""
