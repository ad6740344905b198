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


MENTION_TYPES = ("program", "organization", "cited_document", "place", "person", "target")


@main.command()
@click.argument("corpus_dir", type=click.Path(path_type=Path))
@click.option("-o", "--out", "out_dir", type=click.Path(path_type=Path), default=Path("build"), show_default=True,
              help="Build directory to write (replaced atomically).")
@click.option("--manifest", type=click.Path(path_type=Path), default=None,
              help="Manifest (YAML or CSV); default: manifest.yaml|csv inside CORPUS_DIR.")
@click.option("--no-manifest", is_flag=True, help="Ignore any manifest: infer all metadata from the texts.")
@click.option("--no-lexicon", is_flag=True, help="Switch off the curated program lexicon (discovery only).")
@click.option("--no-views", is_flag=True, help="Skip the HTML views.")
@click.option("--no-reports", is_flag=True, help="Skip the alignment and continuity reports.")
@handle_errors
def build(corpus_dir, out_dir, manifest, no_manifest, no_lexicon, no_views, no_reports):
    """Build graph, store, tables, views and reports for CORPUS_DIR.

    Writes build/text/, documents.csv, mentions.jsonl, alignments.jsonl, graph.trig,
    graph.ttl, store/, views/ and reports/. Unreadable files are reported and skipped.
    """
    from kg.build import build as run_build

    with click.progressbar(length=1, label="Building", show_pos=True, file=sys.stderr) as bar:
        def progress(done, total, document):
            bar.length = total
            bar.update(1, document.doc_id)

        summary = run_build(
            corpus_dir, out_dir, use_lexicon=not no_lexicon, manifest=manifest, use_manifest=not no_manifest,
            views=not no_views, reports=not no_reports, progress=progress,
        )
    click.echo(format_summary(summary))
    for error in summary.errors:
        click.echo(f"Error: {error}", err=True)
    if summary.errors:
        sys.exit(2)


def format_summary(summary) -> str:
    """The table printed at the end of `kg build`."""
    header = ["doc_id", "level", "year", "type", "status", "measures", *MENTION_TYPES]
    rows = []
    for meta in summary.documents:
        counts = summary.mention_counts.get(meta.doc_id, {})
        rows.append([meta.doc_id, meta.level, meta.year or "", meta.doc_type or "", meta.status, meta.measures,
                     *(counts.get(t, 0) for t in MENTION_TYPES)])
    totals = ["total", "", "", "", "", sum(r[5] for r in rows), *(sum(r[6 + i] for r in rows) for i in range(len(MENTION_TYPES)))]
    lines = [format_table(header, rows + [totals])]
    lines.append(f"{summary.concepts} program concepts, {summary.alignments} alignments, {summary.triples} triples "
                 f"-> {summary.out_dir}")
    lines.append("time: " + ", ".join(f"{stage} {seconds:.1f}s" for stage, seconds in summary.seconds.items()))
    for item in summary.disagreements:
        lines.append(f"manifest vs text: {item.doc_id} {item.field}: manifest {item.manifest!r}, text {item.inferred!r}")
    return "\n".join(lines)


def format_table(header, rows) -> str:
    cells = [[str(c) for c in header]] + [[("" if c is None else str(c)) for c in row] for row in rows]
    widths = [max(display_width(row[i]) for row in cells) for i in range(len(header))]
    out = []
    for index, row in enumerate(cells):
        out.append("  ".join(cell + " " * (widths[i] - display_width(cell)) for i, cell in enumerate(row)).rstrip())
        if index == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def display_width(text: str) -> int:
    """Terminal columns: CJK characters take two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
