"""The whole pipeline: a corpus folder in, a complete build directory out.

ingest -> structure -> extract -> link -> align -> graph -> store, views and reports.
The output is checked first (`kg.fileio.check_build_target`: never a user's folder, the corpus
or the current folder), then the build is assembled in a staging folder beside the target and
swapped in at the end (`kg.fileio.build_directory`), so a failed build never leaves a
half-written `build/`. A document whose analysis fails is reported in one line and left out.
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
from kg.builddir import load_corpus, write_tables
from kg.errors import InputError, KGError, MissingDependency
from kg.evaluate import CATEGORIES, EvalReport, Score, evaluate, load_keys
from kg.fileio import build_directory, check_build_target
from kg.extract import extract, make_pipeline
from kg.ingest import Disagreement, ingest_corpus
from kg.lexicon import Lexicon, load_lexicon
from kg.governments import government_of
from kg.link import link, link_organizations
from kg.rdf.export import export
from kg.rdf.store import write_graph
from kg.records import Corpus, Document, DocumentMeta, Mention, Relation
from kg.relations import document_relations
from kg.report import write_alignment_report, write_continuity_report
from kg.structure import parse_structure
from kg.views import write_views

# load_corpus lives in kg.builddir; re-exported because `from kg.build import build, load_corpus` is the documented API
__all__ = ["BuildSummary", "analyse", "build", "corpus_relations", "evaluate_left_out", "load_corpus"]


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
    seconds: dict[str, float] = field(default_factory=dict)  # stage -> wall time


def stage_timer(summary: BuildSummary):
    """`with timed("extract"): ...` adds the block's wall time to summary.seconds["extract"]."""

    @contextlib.contextmanager
    def timed(stage: str):
        started = time.perf_counter()
        try:
            yield
        finally:
            summary.seconds[stage] = summary.seconds.get(stage, 0.0) + time.perf_counter() - started

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
) -> Corpus:
    """Run ingest -> structure -> extract -> link -> align in memory and return the Corpus.

    ``held_out``: what the corpus-level pass learns (kg.link.propagate) comes from the other
    documents only (see ``evaluate_left_out``)."""
    summary = summary or BuildSummary(out_dir=Path("."))
    timed = stage_timer(summary)
    with timed("ingest"):
        ingested = ingest_corpus(corpus_dir, manifest=manifest, use_manifest=use_manifest)
    summary.errors, summary.disagreements = ingested.errors, ingested.disagreements
    summary.notices = list(ingested.notices)
    corpus = Corpus(documents=ingested.documents, upper_overrides=ingested.upper_overrides)
    with timed("extract"):
        nlp = make_pipeline(use_lexicon=use_lexicon, use_model=use_model)
    mentions: list[Mention] = []
    analysed: list[Document] = []
    for done, document in enumerate(corpus.documents, start=1):
        try:
            with timed("structure"):
                sections = parse_structure(document)
            with timed("extract"):
                found = extract(document, sections, nlp)
        except MissingDependency:  # an installation problem, the same for every document
            raise
        except Exception as err:  # one document's failure never stops the others
            summary.errors.append(document_error(corpus_dir, document, err))
        else:
            corpus.sections[document.doc_id] = sections
            document.meta.measures = sum(1 for s in sections if s.is_measure)
            mentions.extend(found)
            analysed.append(document)
        if progress:
            progress(done, len(corpus.documents), document)
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
        corpus.alignments = align(corpus)
    return corpus


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


def document_error(corpus_dir: Path | str, document: Document, err: Exception) -> InputError:
    """One line naming the document's source file: its problem, or an internal error to report."""
    source = Path(corpus_dir) / (document.meta.source or document.doc_id)
    part = f"part {document.doc_id}: " if document.meta.parent else ""
    if isinstance(err, KGError):
        problem = err.problem if isinstance(err, InputError) else str(err)
    else:
        problem = f"internal error, please report: {type(err).__name__}: {err}"
    error = InputError(source, part + " ".join(problem.split()))
    error.__cause__ = err  # the Python API keeps the traceback
    return error


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
) -> BuildSummary:
    """Build graph, store, tables, views and reports for a corpus folder into `out_dir`.

    InputError before any work if `out_dir` cannot be a build directory (see
    `kg.fileio.check_build_target`) and if no document builds; per-file problems are in
    `summary.errors` and the other documents still build.
    """
    target = check_build_target(out_dir, corpus_dir)  # before any expensive work
    summary = BuildSummary(out_dir=Path(out_dir))
    timed = stage_timer(summary)
    corpus = analyse(corpus_dir, use_lexicon, manifest, use_manifest, progress, summary, use_model=use_model)
    if not corpus.documents:
        reasons = "; ".join(str(e) for e in summary.errors) or "no .txt, .docx, .pdf or .html files"
        raise InputError(corpus_dir, f"nothing to build: {reasons}")
    with build_directory(target) as staging:
        with timed("tables"):
            write_tables(corpus, staging)
        with timed("graph"):
            summary.triples = write_graph(corpus, staging)  # graph.trig, graph.ttl, store/
        with timed("export"):
            for fmt in ("graphml", "gexf"):  # JSON-LD on demand: `kg export --format jsonld`
                export(staging, fmt)
        if reports:
            with timed("reports"):
                write_alignment_report(corpus, staging / "reports")
                write_continuity_report(corpus, staging / "reports")
        if views:
            with timed("views"):
                write_views(staging, staging / "views", corpus=corpus)
    summary.documents = [d.meta for d in corpus.documents]
    summary.concepts = sum(1 for c in corpus.concepts if c.scheme == "programs")
    summary.indicators = sum(1 for c in corpus.concepts if c.scheme == "indicators")
    summary.alignments = sum(1 for a in corpus.alignments if not a.local_only)
    for mention in corpus.mentions:
        summary.mention_counts.setdefault(mention.doc_id, Counter())[mention.type] += 1
    return summary


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
