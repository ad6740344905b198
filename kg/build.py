"""The whole pipeline: a corpus folder in, a complete build directory out.

ingest -> structure -> extract -> link -> align -> graph -> store, views and reports.
The output is checked first (`kg.fileio.check_build_target`: never a user's folder, the corpus
or the current folder), then the build is assembled in a staging folder beside the target and
swapped in at the end (`kg.fileio.build_directory`), so a failed build never leaves a
half-written `build/`. A document whose analysis fails is reported in one line and left out.

Structure and extract run per document, in worker processes or on a Dask cluster
(`kg.parallel`), and are taken from the previous build's cache when the document and the
pipeline are unchanged (`kg.builddir.AnalysisCache`); the corpus-wide stages run here, always.
Tables, reports and views are written by a forked process (`kg.fanout.beside`) while this one
writes the graph and the store: both read the finished corpus and write different files.
"""
from __future__ import annotations

import contextlib
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from kg.analysis.align import align
from kg.analysis.align.units import review_sections
from kg.analysis.lineage import lineage
from kg.builddir import AnalysisCache, load_corpus, write_tables
from kg.errors import InputError
from kg.evaluate import CATEGORIES, EvalReport, Score, evaluate, load_keys
from kg.extract import extract
from kg.fanout import beside
from kg.fileio import build_directory, check_build_target, read_build_marker
from kg.ingest import Disagreement, ingest_corpus
from kg.lexicon import Lexicon, load_lexicon
from kg.governments import government_of
from kg.link import link, link_organizations
from kg.parallel import (
    DocumentAnalysis, DocumentFailure, PipelineSettings, analyse_documents, analysis_key, default_workers,
    document_error, pipeline_version,
)
from kg.rdf.export import export_networks
from kg.rdf.store import write_graph_reusing
from kg.records import Corpus, Document, DocumentMeta, Mention, Relation
from kg.relations import document_relations
from kg.report import write_alignment_report, write_continuity_report
from kg.structure import parse_structure
from kg.views import write_views

# load_corpus lives in kg.builddir; re-exported because `from kg.build import build, load_corpus` is the documented API
__all__ = ["BuildSummary", "analyse", "build", "corpus_relations", "document_error", "evaluate_left_out", "load_corpus"]


@dataclass
class BuildSummary:
    out_dir: Path
    documents: list[DocumentMeta] = field(default_factory=list)
    mention_counts: dict[str, Counter] = field(default_factory=dict)  # doc_id -> type -> n
    concepts: int = 0  # program concepts
    indicators: int = 0  # indicator concepts
    alignments: int = 0
    triples: int = 0
    errors: list[InputError] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  # worth knowing, not errors (e.g. ids from file names)
    disagreements: list[Disagreement] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # stage -> wall time (tables, reports and views overlap graph and export)
    from_cache: int = 0  # documents whose structure and extract came from the previous build's cache
    analysed: int = 0  # documents that went to structure and extract (cached or not)
    graphs: int = 0  # named graphs
    graphs_reused: int = 0  # of them copied unchanged from the previous build
    store_updated: bool = False  # the previous build's store updated instead of loaded anew


StageListener = Callable[[str, Optional[float]], None]  # (stage, None) as it starts, (stage, seconds) as it ends


def stage_timer(summary: BuildSummary, listener: Optional[StageListener] = None):
    """`with timed("extract"): ...` adds the block's wall time to summary.seconds["extract"] and
    tells ``listener`` when the stage starts and ends."""

    @contextlib.contextmanager
    def timed(stage: str):
        if listener:
            listener(stage, None)
        started = time.perf_counter()
        try:
            yield
        finally:
            spent = time.perf_counter() - started
            summary.seconds[stage] = summary.seconds.get(stage, 0.0) + spent
            if listener:
                listener(stage, spent)

    return timed


def analyse(
    corpus_dir: Path | str,
    use_lexicon: bool = True,
    manifest: Optional[Path | str] = None,
    use_manifest: bool = True,
    progress: Optional[Callable[[int, int, Document], None]] = None,
    summary: Optional[BuildSummary] = None,
    held_out: Optional[str] = None,
    use_model: bool = True,
    workers: int = 1,
    cache: Optional[AnalysisCache] = None,
    dask: Optional[str] = None,
    stages: Optional[StageListener] = None,
) -> Corpus:
    """Run ingest -> structure -> extract -> link -> align in memory and return the Corpus.

    ``held_out``: what the corpus-level pass learns (kg.link.propagate) comes from the other
    documents only (see ``evaluate_left_out``). ``workers``: processes for structure and extract
    (1: this one), or ``dask``: the address of a Dask scheduler to run them on; the result is the
    same. ``cache``: analyses of unchanged documents are taken from it, the others put in it.
    ``stages`` hears each stage start and end (see ``stage_timer``)."""
    summary = summary or BuildSummary(out_dir=Path("."))
    timed = stage_timer(summary, stages)
    with timed("ingest"):
        ingested = ingest_corpus(corpus_dir, manifest=manifest, use_manifest=use_manifest)
    summary.errors, summary.disagreements = ingested.errors, ingested.disagreements
    summary.notices = list(ingested.notices)
    corpus = Corpus(documents=ingested.documents, upper_overrides=ingested.upper_overrides)
    with timed("extract"):
        # the stages as this module names them now (a test or a caller may replace one)
        settings = PipelineSettings(use_lexicon, use_model, structure=parse_structure, extract=extract)
        analyses = analyse_per_document(corpus, corpus_dir, settings, summary, workers, cache, dask, progress)
    mentions: list[Mention] = []
    analysed: list[Document] = []
    for document in corpus.documents:
        outcome = analyses[document.doc_id]
        if isinstance(outcome, DocumentFailure):
            summary.errors.append(outcome.error)
            continue
        corpus.sections[document.doc_id] = outcome.sections
        document.meta.measures = outcome.measures
        mentions.extend(outcome.mentions)
        analysed.append(document)
    corpus.documents = analysed
    with timed("link"):
        # without the curated lexicon, concepts come from discovery alone
        corpus.mentions, corpus.concepts = link(mentions, load_lexicon() if use_lexicon else Lexicon(), corpus=corpus,
                                                  held_out=held_out)
        corpus.mentions, corpus.organizations = link_organizations(corpus.mentions,
                                                                   [d.meta for d in corpus.documents])
    with timed("relations"):
        corpus.relations = corpus_relations(corpus)
    with timed("align"):
        corpus.alignments = align(corpus, workers=workers)
    return corpus


def analyse_per_document(
    corpus: Corpus, corpus_dir: Path | str, settings: PipelineSettings, summary: BuildSummary, workers: int,
    cache: Optional[AnalysisCache], dask: Optional[str], progress: Optional[Callable[[int, int, Document], None]],
) -> dict[str, DocumentAnalysis | DocumentFailure]:
    """doc_id -> the document's analysis (from the cache, or structure + extract) or its failure.

    Documents are reported to ``progress`` in corpus order, cached ones first."""
    total = len(corpus.documents)
    outcomes: dict[str, DocumentAnalysis | DocumentFailure] = {}
    keys: dict[str, str] = {}
    todo: list[Document] = []
    if cache is not None:
        version = pipeline_version(settings)
        for document in corpus.documents:
            keys[document.doc_id] = analysis_key(document, version)
            cached = cache.get(keys[document.doc_id])
            if isinstance(cached, DocumentAnalysis):
                outcomes[document.doc_id] = cached
                if progress:
                    progress(len(outcomes), total, document)
            else:
                todo.append(document)
    else:
        todo = list(corpus.documents)
    summary.from_cache, summary.analysed = len(outcomes), total

    def done(document: Document, outcome: DocumentAnalysis | DocumentFailure) -> None:
        if cache is not None and isinstance(outcome, DocumentAnalysis):
            cache.put(keys[document.doc_id], outcome)  # before linking changes the mentions
        outcomes[document.doc_id] = outcome
        if progress:
            progress(len(outcomes), total, document)

    _, seconds = analyse_documents(todo, corpus_dir, settings, workers=workers, dask=dask, done=done)
    # in this process the stages ran one after the other: structure's share is known; in workers
    # they overlap, and the phase's wall time (timed as extract) is what the build waited
    if workers <= 1 and not dask:
        summary.seconds["structure"] = seconds.get("structure", 0.0)
        summary.seconds["extract"] = summary.seconds.get("extract", 0.0) - seconds.get("structure", 0.0)
    return outcomes


def corpus_relations(corpus: Corpus) -> list[Relation]:
    """Text relations of every document (kg.relations) and the relations between documents and
    places the hierarchy and divisions give (kg.analysis.lineage), in document order."""
    titles = {doc.meta.title: doc.doc_id for doc in corpus.documents if doc.meta.title}
    by_doc: dict[str, list[Mention]] = {}
    for mention in corpus.mentions:
        by_doc.setdefault(mention.doc_id, []).append(mention)
    relations = []
    for doc in corpus.documents:
        sections = corpus.sections.get(doc.doc_id, [])
        review = review_sections(doc, sections)
        # a passage that looks back (取得…成效) reports what was done: it carries nothing out
        relations += [relation for relation in document_relations(doc, sections, by_doc.get(doc.doc_id, []),
                                                                   government_of(doc.meta), titles)
                      if not (relation.type == "carries_out" and relation.subject in review)]
    order = {doc.doc_id: number for number, doc in enumerate(corpus.documents)}
    return sorted([*relations, *lineage(corpus)],
                  key=lambda r: (order.get(r.doc_id, 0), r.start if r.start is not None else -1, r.type,
                                 r.subject, r.object, r.role or ""))


def build(
    corpus_dir: Path | str,
    out_dir: Path | str = "build",
    use_lexicon: bool = True,
    manifest: Optional[Path | str] = None,
    use_manifest: bool = True,
    views: bool = True,
    reports: bool = True,
    progress: Optional[Callable[[int, int, Document], None]] = None,
    use_model: bool = True,
    workers: Optional[int] = None,
    use_cache: bool = True,
    dask: Optional[str] = None,
    stages: Optional[StageListener] = None,
) -> BuildSummary:
    """Build graph, store, tables, views and reports for a corpus folder into `out_dir`.

    InputError before any work if `out_dir` cannot be a build directory (see
    `kg.fileio.check_build_target`) and if no document builds; per-file problems are in
    `summary.errors` and the other documents still build.

    ``workers`` (default: the cores available) run structure and extract, or a Dask cluster at
    ``dask``; the build is the same. ``use_cache``: unchanged documents' analyses come from the
    earlier build in ``out_dir`` (its ``cache/``), and the new build keeps its own.
    """
    target = check_build_target(out_dir, corpus_dir)  # before any expensive work
    summary = BuildSummary(out_dir=Path(out_dir))
    timed = stage_timer(summary, stages)
    cache = previous = None
    if use_cache:
        previous = target if read_build_marker(target) is not None else None
        cache = AnalysisCache(previous)
    corpus = analyse(corpus_dir, use_lexicon, manifest, use_manifest, progress, summary, use_model=use_model,
                     workers=default_workers() if workers is None else workers, cache=cache, dask=dask,
                     stages=stages)
    if not corpus.documents:
        reasons = "; ".join(str(e) for e in summary.errors) or "no .txt, .docx, .pdf or .html files"
        raise InputError(corpus_dir, f"nothing to build: {reasons}")
    with build_directory(target) as staging:
        # tables, reports and views read the corpus only: a forked process writes them while this
        # one writes the graph and the store (whose bulk load leaves the second core half idle)
        pages = beside(lambda report: _write_tables_and_pages(corpus, staging, cache, reports, views, report),
                       on_report=stages)
        try:
            with timed("graph"):
                # graph.trig, graph.ttl, store/: with the cache, unchanged named graphs and the old store are reused
                written = write_graph_reusing(corpus, staging, previous, keep_index=use_cache)
                summary.triples, summary.graphs, summary.graphs_reused = written.triples, written.graphs, written.reused
                summary.store_updated = written.store_updated
            with timed("export"):
                export_networks(staging)  # GraphML and GEXF of one network; JSON-LD on demand: `kg export --format jsonld`
        except BaseException:
            pages.cancel()
            raise
        summary.seconds.update(pages.result())
    summary.documents = [d.meta for d in corpus.documents]
    summary.concepts = sum(1 for c in corpus.concepts if c.scheme == "programs")
    summary.indicators = sum(1 for c in corpus.concepts if c.scheme == "indicators")
    summary.alignments = sum(1 for a in corpus.alignments if not a.local_only)
    for mention in corpus.mentions:
        summary.mention_counts.setdefault(mention.doc_id, Counter())[mention.type] += 1
    return summary


def _write_tables_and_pages(corpus: Corpus, staging: Path, cache: Optional[AnalysisCache], reports: bool,
                            views: bool, listener: Optional[StageListener]) -> dict[str, float]:
    """The build's tables (and cache), reports and views; returns each stage's seconds."""
    summary = BuildSummary(out_dir=staging)
    timed = stage_timer(summary, listener)
    with timed("tables"):
        write_tables(corpus, staging)
        if cache is not None:
            cache.write(staging)
    if reports:
        with timed("reports"):
            write_alignment_report(corpus, staging / "reports")
            write_continuity_report(corpus, staging / "reports")
    if views:
        with timed("views"):
            write_views(staging, staging / "views", corpus=corpus)
    return summary.seconds


def evaluate_left_out(gold_dir: Path | str, corpus_dir: Path | str, use_lexicon: bool = True,
                      manifest: Optional[Path | str] = None, use_manifest: bool = True) -> EvalReport:
    """Leave-one-document-out scores (``kg eval --leave-one-out``): each keyed document is scored
    on a build whose learned parts learned from the other documents only.

    What is learned from the corpus today is the corpus-level pass of linking (names confirmed by
    repetition or quotes, heads learned from found names: ``kg.link.propagate``). The recogniser
    (kg/ner) was trained on MSRA news text alone, no keyed document; rules, lexicons and settings
    are fixed data: they give the same result either way. Metadata and alignment are not scored
    here (nothing in them is learned from the documents).
    """
    gold_dir, corpus_dir = Path(gold_dir), Path(corpus_dir)
    keys = load_keys(gold_dir)
    report = EvalReport(categories={category: Score() for category in CATEGORIES})
    with tempfile.TemporaryDirectory(prefix="kg-left-out-") as folder:
        for number, doc_id in enumerate(sorted(keys)):
            corpus = analyse(corpus_dir, use_lexicon, manifest, use_manifest, held_out=doc_id)
            fold = Path(folder) / str(number)
            write_tables(corpus, fold)
            scored = evaluate(gold_dir, fold)
            report.documents[doc_id] = scored.documents[doc_id]
            for category, score in scored.documents[doc_id].items():
                report.categories[category].add(score)
            if doc_id in scored.errors:
                report.errors[doc_id] = scored.errors[doc_id]
            report.notes += [note for note in scored.notes if note.startswith(doc_id)]
    report.notes.append("leave-one-document-out: each document scored on a build that learned from the others")
    return report
