"""Interactive HTML views of a build: overview, one program, alignment, continuity timeline,
and the alignment reader (views/reader/: one page per lower document, measures beside the upper
passages they take up).

One module per page type (overview, program, alignment, continuity, reader), as datasette's views/;
html holds the page shell and its escaping, evidence the quotes in tooltips, canvas what the
pages share on the network canvas, tables the pandas frames for notebooks. A view is
rendered through our own autoescaping Jinja2 template that inlines vis-network, so it opens
with no network.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from kg.analysis.lookup import find_program
from kg.builddir import load_corpus
from kg.errors import InputError
from kg.fileio import write_text
from kg.records import Corpus
from kg.views.alignment import alignment_view
from kg.views.continuity import continuity_view
from kg.views.html import View, render_html
from kg.views.overview import overview_view
from kg.views.program import most_widespread_program, program_view
from kg.views.reader import READER_FOLDER, reader_pages, write_reader
from kg.views.tables import alignment_frame, canned_frame, program_year_frame, target_frame

__all__ = [
    "View", "alignment_frame", "alignment_view", "canned_frame", "continuity_view", "find_program", "overview_view", "program_view",
    "program_year_frame", "reader_pages", "render_html", "target_frame", "write_corpus_views", "write_reader",
    "write_views",
]


def write_views(build_dir: Path | str, out_dir: Path | str | None = None,
                program: Optional[str] = None, corpus: Optional[Corpus] = None) -> list[Path]:
    """Write the interactive views of a build and its alignment reader (``<out>/reader/``);
    returns the HTML files written.

    ``program`` picks the program of the neighbourhood view (name, alias or concept id);
    without it the program found in the most documents is shown. ``corpus`` saves reading
    the build back when the caller (the build itself) already holds it.
    """
    build_dir = Path(build_dir)
    if corpus is None:
        if not build_dir.is_dir():
            raise InputError(build_dir, "build directory not found (run `kg build` first)")
        corpus = load_corpus(build_dir)
    out_dir = Path(out_dir) if out_dir else build_dir / "views"
    return write_corpus_views(corpus, out_dir, program, reader=True)


def write_corpus_views(corpus: Corpus, out_dir: Path, program: Optional[str] = None,
                       reader: bool = False) -> list[Path]:
    """Render every view of ``corpus`` into ``out_dir``; with ``reader`` the alignment reader's
    pages too, into ``out_dir/reader`` (its own folder: they are text pages, not network views)."""
    views = [overview_view(corpus), alignment_view(corpus), continuity_view(corpus)]
    concept = find_program(corpus, program) if program else most_widespread_program(corpus)
    if program and concept is None:
        raise InputError(program, "no program with this name, alias or id in the build")
    if concept is not None:
        views.append(program_view(corpus, concept))
    written = []
    for view in views:
        path = Path(out_dir) / f"{view.name}.html"
        write_text(path, render_html(view))
        written.append(path)
    if reader:
        written += write_reader(corpus, Path(out_dir) / READER_FOLDER)
    return written
