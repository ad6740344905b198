"""The `kg` command line: a thin layer over the library.

Each command parses options, calls one library function and turns failures into one line on
stderr and a stable exit code: 0 ok, 1 a quality check failed, 2 bad input, 3 a missing
dependency, 4 an internal error (with the traceback, to report), 130 interrupted.
"""
from __future__ import annotations

import functools
import json
import os
import sys
import traceback
from pathlib import Path

import click

from kg.analysis.align import align
from kg.analysis.lookup import resolve_document, resolve_program
from kg.build import build as build_corpus
from kg.build import evaluate_left_out
from kg.builddir import load_corpus
from kg.errors import InputError, InternalError, KGError, QualityError
from kg.records import text_file_name
from kg.evaluate import evaluate
from kg.rdf.export import export
from kg.rdf.query import canned_queries, graph_stats, run_canned, run_query
from kg.rdf.validate import validate
from kg.report import write_alignment_report, write_continuity_report
from kg.serve import serve
from kg.text import format_table
from kg.views import write_views

# click's own signals (usage errors, --help exits, aborts) are click's to report
CLICK_EXCEPTIONS = (click.exceptions.ClickException, click.exceptions.Abort, click.exceptions.Exit)


def one_line(text: object) -> str:
    return " ".join(str(text).splitlines())


def handle_errors(func):
    """Turn every failure into one line on stderr and its exit code; a traceback only for bugs.

    KGError: `Error: <message>` and its exit_code. Any other exception is a bug:
    `Error: internal error, please report: <Type>: <message>`, the traceback, exit 4.
    Ctrl-C: one line, exit 130. A closed stdout pipe (`kg query … | head`): quiet, exit 1.
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except CLICK_EXCEPTIONS:
            raise
        except KGError as err:
            # an error that gathered several problems (a manifest) carries one line per problem
            for line in getattr(err, "lines", None) or [one_line(err)]:
                click.echo(f"Error: {one_line(line)}", err=True)
            if isinstance(err, InternalError) and err.__cause__ is not None:
                click.echo("".join(traceback.format_exception(err.__cause__)).rstrip(), err=True)
            sys.exit(err.exit_code)
        except KeyboardInterrupt:
            click.echo("\nInterrupted", err=True)
            sys.exit(130)
        except BrokenPipeError:
            # the reader went away: silence the flush at exit instead of a second error
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(1)
        except Exception as err:
            internal = InternalError(f"internal error, please report: {type(err).__name__}: {one_line(err)}")
            click.echo(f"Error: {internal}", err=True)
            click.echo("".join(traceback.format_exception(err)).rstrip(), err=True)
            sys.exit(internal.exit_code)

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
              help="Build directory to write: absent, empty or an earlier build (replaced atomically); "
                   "any other folder is refused.")
@click.option("--manifest", type=click.Path(path_type=Path), default=None,
              help="Manifest (YAML or CSV); default: manifest.yaml|csv inside CORPUS_DIR.")
@click.option("--no-manifest", is_flag=True, help="Ignore any manifest: infer all metadata from the texts.")
@click.option("--no-lexicon", is_flag=True, help="Switch off the curated program lexicon (discovery only).")
@click.option("--no-ner", is_flag=True, help="Rules only: switch off the trained named-entity recogniser (kg/ner).")
@click.option("--no-views", is_flag=True, help="Skip the HTML views.")
@click.option("--no-reports", is_flag=True, help="Skip the alignment and continuity reports.")
@click.option("--workers", type=click.IntRange(1, 256), default=None,
              help="Processes for structure and extract [default: the cores available]; 1 = this process only.")
@click.option("--no-cache", is_flag=True,
              help="Analyse every document again: neither read nor keep the per-document cache (BUILD/cache).")
@click.option("--dask", "dask_address", default=None, metavar="ADDRESS",
              help="Run structure and extract on a Dask cluster, e.g. tcp://scheduler:8786 "
                   "(pip install 'policy-kg[dask]'; the workers need the same kg installed).")
@handle_errors
def build(corpus_dir, out_dir, manifest, no_manifest, no_lexicon, no_ner, no_views, no_reports, workers, no_cache,
          dask_address):
    """Build graph, store, tables, views and reports for CORPUS_DIR.

    Writes build/text/, documents.csv, mentions.jsonl, alignments.jsonl, graph.trig,
    graph.ttl, store/, views/ and reports/. Unreadable files are reported and skipped
    (exit 2 at the end). -o must be absent, empty or an earlier build; a folder with other
    files, the corpus folder and the current folder are refused before any work.
    """
    options = dict(use_lexicon=not no_lexicon, manifest=manifest, use_manifest=not no_manifest, views=not no_views,
                   reports=not no_reports, use_model=not no_ner, workers=workers, use_cache=not no_cache,
                   dask=dask_address)
    if sys.stderr.isatty():
        with click.progressbar(length=1, label="Building", show_pos=True, file=sys.stderr) as bar:
            def progress(done, total, document):
                bar.length = total
                bar.update(1, document.doc_id)

            summary = build_corpus(corpus_dir, out_dir, progress=progress, **options)
    else:  # a log: a line per stage and per tenth of the documents, not a bar redrawn in place
        log = BuildLog()
        summary = build_corpus(corpus_dir, out_dir, progress=log.progress, stages=log.stage, **options)
    click.echo(format_summary(summary))
    for notice in summary.notices:
        click.echo(f"Note: {notice}", err=True)
    for error in summary.errors:
        click.echo(f"Error: {error}", err=True)
    if summary.errors:
        # the gravest problem decides: a missing package (3) outranks bad input (2)
        sys.exit(max(getattr(error, "exit_code", 2) for error in summary.errors))


class BuildLog:
    """Progress lines for a log (stderr not a terminal): `Building: extract 3/9 documents`."""

    STEPS = 10  # a line per tenth of the documents

    def __init__(self):
        self.reported = 0  # tenths already reported

    @staticmethod
    def say(line: str) -> None:
        click.echo(f"Building: {line}", err=True)  # the progress bar's label on a terminal

    def stage(self, stage: str, seconds) -> None:
        self.say(f"{stage} ..." if seconds is None else f"{stage} done in {seconds:.1f}s")

    def progress(self, done: int, total: int, document) -> None:
        if done == 1:
            self.reported = 0
        tenth = done * self.STEPS // total
        if tenth > self.reported or done == total:
            self.reported = tenth
            self.say(f"extract {done}/{total} documents")


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
    lines.append(f"{summary.concepts} program concepts, {summary.indicators} indicator concepts, "
                 f"{summary.alignments} alignments, {summary.triples} triples "
                 f"-> {summary.out_dir}")
    if summary.from_cache:
        lines.append(f"{summary.from_cache} of {summary.analysed} documents from cache "
                     f"(structure and extract); the corpus-wide stages ran again")
    if summary.graphs_reused or summary.store_updated:
        if not summary.store_updated:
            store = "the store loaded anew"
        elif summary.graphs_reused == summary.graphs:
            store = "the previous store kept"  # checkpointed, with nothing to change
        else:
            store = "the previous store updated"
        lines.append(f"{summary.graphs_reused} of {summary.graphs} named graphs unchanged, copied from the previous "
                     f"build; {store}")
    lines.append("time: " + ", ".join(f"{stage} {seconds:.1f}s" for stage, seconds in summary.seconds.items()))
    for item in summary.disagreements:
        lines.append(f"manifest vs text: {item.doc_id} {item.field}: manifest {item.manifest!r}, text {item.inferred!r}")
    return "\n".join(lines)


def filtered_report_dir(build_dir: Path, kind: str, *names: str | None) -> Path:
    """Where a report filtered to a document or program goes by default: beside the full
    reports, never over them (``reports/align/<lower>--<upper>``, ``reports/programs/<concept>``)."""
    reports = Path(build_dir) / "reports"
    given = [name for name in names if name]
    if not given:
        return reports
    return reports / kind / text_file_name("--".join(given)).removesuffix(".txt")


@main.command("view")
@click.argument("build_arg", required=False, type=click.Path(path_type=Path))
@build_dir_option
@click.option("-o", "--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Folder for the HTML files [default: BUILD/views].")
@click.option("-p", "--program", default=None, help="Program of the neighbourhood view (name, alias or concept id).")
@handle_errors
def view_command(build_arg, build_dir, out_dir, program):
    """Write the interactive, self-contained HTML views (overview, program, alignment, continuity)."""
    build_dir = build_arg or build_dir
    corpus = load_corpus(build_dir)
    program = resolve_program(corpus, program) if program else None
    for path in write_views(build_dir, out_dir, program=program, corpus=corpus):
        click.echo(str(path))


@main.command("serve")
@click.argument("build_arg", required=False, type=click.Path(path_type=Path))
@build_dir_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind (loopback only by default).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="TCP port (0 = any free).")
@click.option("--timeout", default=10.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds a query may run before it is stopped (HTTP 503); also the longest wait for a worker.")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64),
              help="Query processes for queries of any length (plus one spare for short queries).")
@click.option("--worker-memory", default="2G", show_default=True, metavar="SIZE",
              help="Heap per query process, e.g. 2G or 512M (0 = no limit); a query past it gets HTTP 503.")
@click.option("--queue", "queue_limit", default=16, show_default=True, type=click.IntRange(0, 10_000),
              help="Requests that may wait for a free worker; more get HTTP 503 at once.")
@click.option("--client-timeout", default=15.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds a client has to send its whole request (HTTP 408 or the connection is closed).")
@click.option("--allow-federated", is_flag=True,
              help="Allow SERVICE clauses (federated queries), which make the server fetch from other addresses.")
@click.option("--cors", "cors", multiple=True, metavar="ORIGIN",
              help="Let pages of ORIGIN (e.g. https://yasgui.example; repeatable; * = any site) read /sparql.")
@handle_errors
def serve_command(build_arg, build_dir, host, port, timeout, workers, worker_memory, queue_limit, client_timeout,
                  allow_federated, cors):
    """Serve the build read-only: SPARQL 1.1 Protocol at /sparql, a query page at /.

    A new build written to the same folder is picked up within a second; queries already
    running finish on the build they started on.
    """
    serve(build_arg or build_dir, host=host, port=port, timeout=timeout, workers=workers,
          worker_memory=worker_memory, queue_limit=queue_limit, client_timeout=client_timeout,
          federated=allow_federated, cors=cors)


@main.command("align")
@build_dir_option
@click.option("--lower", default=None, help="Lower-level document id (default: every document with upper-level ones).")
@click.option("--upper", default=None, help="Upper-level document id; with --lower, compared even if not above it.")
@click.option("-k", "--top-k", default=3, show_default=True, type=click.IntRange(1, 20),
              help="Upper-level passages kept per measure.")
@click.option("-o", "--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Folder for the reports [default: BUILD/reports, or BUILD/reports/align/LOWER[--UPPER] "
                   "for one document, so the full report is never replaced by a filtered one].")
@handle_errors
def align_command(build_dir, lower, upper, top_k, out_dir):
    """Align lower-level measures with upper-level passages; write Markdown, HTML and CSV reports."""
    corpus = load_corpus(build_dir)
    lower = resolve_document(corpus, lower, "--lower") if lower else None
    upper = resolve_document(corpus, upper, "--upper") if upper else None
    alignments = align(corpus, lower=lower, upper=upper, top_k=top_k)
    for path in write_alignment_report(corpus, out_dir or filtered_report_dir(build_dir, "align", lower, upper),
                                       lower=lower, upper=upper, alignments=alignments):
        click.echo(str(path))


@main.command("continuity")
@build_dir_option
@click.option("-p", "--program", default=None, help="One program (name, alias or concept id) instead of all.")
@click.option("-o", "--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Folder for the reports [default: BUILD/reports, or BUILD/reports/programs/CONCEPT for one "
                   "program].")
@handle_errors
def continuity_command(build_dir, program, out_dir):
    """Programs and target indicators across documents and years; write Markdown, HTML and CSV reports."""
    corpus = load_corpus(build_dir)
    program = resolve_program(corpus, program) if program else None
    for path in write_continuity_report(corpus, out_dir or filtered_report_dir(build_dir, "programs", program),
                                        program=program):
        click.echo(str(path))


@main.command("eval")
@click.option("-g", "--gold", "gold_dir", type=click.Path(path_type=Path), required=True,
              help="Folder of answer keys (one YAML per document, alignment_*.yaml).")
@build_dir_option
@click.option("--json", "as_json", is_flag=True, help="Emit the report as JSON.")
@click.option("--min-f1", type=float, default=None,
              help="Exit with status 1 if any category's F1 is below this value.")
@click.option("--leave-one-out", "left_out_corpus", type=click.Path(path_type=Path), default=None,
              metavar="CORPUS_DIR",
              help="Instead of a build: build CORPUS_DIR once per keyed document, each time learning from the "
                   "other documents only, and score each document on its own build.")
@click.option("--no-lexicon", is_flag=True, help="With --leave-one-out: switch off the curated program lexicon.")
@handle_errors
def eval_command(gold_dir, build_dir, as_json, min_f1, left_out_corpus, no_lexicon):
    """Score a build against answer keys: P/R/F1 per category and document, metadata accuracy,
    and the misses and spurious finds of every document."""
    if left_out_corpus is not None:
        report = evaluate_left_out(gold_dir, left_out_corpus, use_lexicon=not no_lexicon)
    else:
        report = evaluate(gold_dir, build_dir)
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2, default=str))
    else:
        click.echo(report.to_text())
    failing = report.below(min_f1) if min_f1 is not None else []
    if failing:
        raise QualityError(f"F1 below {min_f1}: " + ", ".join(
            f"{c} {report.categories[c].f1:.3f}" for c in failing))


@main.command("query")
@click.argument("sparql", required=False)
@click.option("--name", "-n", "name", help="Run a canned query from ontology/queries/ by name.")
@click.option("--param", "-p", "params", multiple=True, metavar="KEY=VALUE",
              help="Bind a parameter of the query (repeatable); checked and bound as an RDF term, never as query text.")
@click.option("--list", "list_queries", is_flag=True, help="List the canned queries and their parameters.")
@click.option("--allow-federated", is_flag=True,
              help="Allow SERVICE clauses, which fetch from other addresses (with no time limit).")
@build_dir_option
@output_options
@handle_errors
def query_command(sparql, name, params, list_queries, allow_federated, build_dir, fmt):
    """Run SPARQL (text or a .rq FILE) or a canned query over the build's store.

    All named graphs are queried as one default graph; the project prefixes (kg:, oa:, skos:,
    dcterms:, prov: ...) need not be declared. Without arguments, lists the canned queries.
    SERVICE clauses (federated queries) are refused unless --allow-federated.
    """
    bindings = {}
    for item in params:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError("--param", f"expected KEY=VALUE, got {item!r}")
        bindings[key.strip().lstrip("?")] = value
    if list_queries or (not sparql and not name):
        for query in canned_queries().values():
            args = " ".join(f"{p.name}=…" if p.required else f"[{p.name}=…]" for p in query.params)
            click.echo(f"{query.name:32} {query.title}" + (f"   ({args})" if args else ""))
        return
    if name:
        result = run_canned(build_dir, name, bindings, federated=allow_federated)
    else:
        if sparql.endswith(".rq") or Path(sparql).is_file():
            path = Path(sparql)
            if not path.is_file():
                raise InputError(path, "query file not found")
            sparql = path.read_text(encoding="utf-8")
        result = run_query(build_dir, sparql, bindings, federated=allow_federated)
    click.echo(result.format(fmt).rstrip("\n"))


@main.command("stats")
@build_dir_option
@output_options
@handle_errors
def stats_command(build_dir, fmt):
    """Counts of documents, sections, mentions per type, concepts and triples per named graph."""
    click.echo(graph_stats(build_dir).format(fmt).rstrip("\n"))


@main.command("validate")
@build_dir_option
@handle_errors
def validate_command(build_dir):
    """Check the build's graph against the SHACL shapes (exit 0 conforms, 1 violations, 2 bad input)."""
    report = validate(build_dir)
    if not report.conforms:
        click.echo(report.results_text)
        raise QualityError(f"{report.violations} SHACL violation(s), {report.warnings} warning(s)")
    click.echo(f"conforms ({report.warnings} warning(s))")


@main.command("export")
@build_dir_option
@click.option("--format", "-f", "fmt", type=click.Choice(["graphml", "gexf", "jsonld"]), required=True,
              help="GraphML / GEXF (documents, programs, organizations, places as a network) or JSON-LD (all RDF).")
@click.option("--output", "-o", "out", type=click.Path(), default=None,
              help="Output file, or a folder to write graph.<format> into (default: build/export/graph.<format>).")
@handle_errors
def export_command(build_dir, fmt, out):
    """Export the graph for Gephi, Cytoscape or JSON-LD tools."""
    path = export(build_dir, fmt, out)
    click.echo(str(path))
