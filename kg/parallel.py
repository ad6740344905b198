"""The per-document stages (structure, extract) fanned out: in this process, a process pool or a Dask cluster.

Each document is analysed on its own: what structure and extract give for it depends on its text
and metadata only, so the work is split into chunks of documents, sent to workers that build the
spaCy pipeline once each, and the results are taken back in input order: the build is the same
whatever the number of workers. What one document gives (``DocumentAnalysis``) is also what the
build cache keeps (``kg.builddir.AnalysisCache``), keyed by ``analysis_key``.

The model's batches are the pieces of one document (``kg.extract``), never several documents: a
batch of other shape may round the recogniser's scores differently, and a name near its threshold
would then come and go with the chunking.
"""
from __future__ import annotations

import ctypes
import functools
import hashlib
import json
import os
import pickle
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Optional

from kg.components import jieba_segmenter
from kg.errors import InputError, KGError, MissingDependency
from kg.extract import extract, make_pipeline
from kg.fanout import CHUNKS_PER_WORKER, balanced_chunks, pool_context
from kg.ner import MODEL_DIR
from kg.records import Document, DocumentAnalysis, Mention, Section, record_dict
from kg.resources import ONTOLOGY_DIR
from kg.structure import parse_structure

PACKAGE_DIR = Path(__file__).resolve().parent
DASK_INSTALL = "pip install 'policy-kg[dask]'"


@dataclass(frozen=True)
class PipelineSettings:
    """What analyses a document: the pipeline's switches and the two per-document stages (a caller
    may put its own; they are part of the pipeline version, so the cache keeps their results apart)."""

    use_lexicon: bool = True
    use_model: bool = True
    structure: Callable[[Document], list[Section]] = parse_structure
    extract: Callable[..., list[Mention]] = extract

    def describe(self) -> dict[str, object]:
        return {"use_lexicon": self.use_lexicon, "use_model": self.use_model,
                "structure": qualified_name(self.structure), "extract": qualified_name(self.extract)}


def qualified_name(function: Callable) -> str:
    return f"{getattr(function, '__module__', '?')}.{getattr(function, '__qualname__', repr(function))}"


def sendable(settings: PipelineSettings) -> bool:
    """Whether the stages can go to another process (pickled by name: a module's own function
    can, a function made inside another cannot, and then runs in this process)."""
    try:
        pickle.dumps(settings)
    except (pickle.PicklingError, AttributeError, TypeError):
        return False
    return True


@dataclass
class DocumentFailure:
    """A document that failed in a worker, in a form that crosses process boundaries (InputError
    itself does not pickle): the one line for the user and the worker's traceback."""

    error: InputError
    traceback: str = ""

    def __reduce__(self):
        return (_failure, (self.error.path, self.error.problem, self.traceback))


def _failure(path: str, problem: str, traceback_text: str) -> "DocumentFailure":
    return DocumentFailure(InputError(path, problem), traceback_text)


class WorkerTraceback(Exception):
    """The traceback of an error raised in a worker process, kept as the InputError's cause."""


@dataclass
class ChunkResult:
    """The outcomes of one chunk, in the chunk's order, and the seconds each stage took there."""

    outcomes: list[DocumentAnalysis | DocumentFailure]
    seconds: dict[str, float] = field(default_factory=dict)
    # a worker without the package the pipeline needs: the same for every document, so the build stops
    missing: Optional[tuple[str, str, Optional[str]]] = None


# --------------------------------------------------------------------------- the pipeline version

def _files_under(folder: Path, pattern: str = "*") -> Iterator[Path]:
    for path in sorted(folder.rglob(pattern)):
        if path.is_file() and "__pycache__" not in path.parts:
            yield path


@functools.lru_cache(maxsize=None)
def pipeline_version(settings: PipelineSettings) -> str:
    """A hash of everything that decides a document's analysis besides the document: the kg
    package's source, the ontology data, the recogniser's model files and the settings. Any edit
    to one of them makes every cached analysis stale. Paths are named from each root, so a wheel
    (ontology inside the package) and a checkout give the same version."""
    digest = hashlib.sha256(json.dumps(settings.describe(), sort_keys=True).encode())
    roots = [("kg", PACKAGE_DIR, "*.py"), ("ontology", ONTOLOGY_DIR, "*"), ("model", MODEL_DIR, "*")]
    for name, root, pattern in roots:
        for path in _files_under(root, pattern):
            data = path.read_bytes()
            digest.update(f"{name}/{path.relative_to(root).as_posix()}\0{len(data)}\0".encode())
            digest.update(data)
    return digest.hexdigest()


def analysis_key(document: Document, version: str) -> str:
    """The cache key of a document's analysis: its text, metadata and segments as ingested, and
    the pipeline version."""
    digest = hashlib.sha256(version.encode())
    described = {"meta": record_dict(document.meta), "segments": [record_dict(s) for s in document.segments]}
    digest.update(json.dumps(described, sort_keys=True, ensure_ascii=False).encode("utf-8"))
    digest.update(b"\0")
    digest.update(document.text.encode("utf-8"))
    return digest.hexdigest()


# --------------------------------------------------------------------------- one worker's work

_PIPELINES: dict[tuple[bool, bool], object] = {}


def pipeline(settings: PipelineSettings):
    """The worker's spaCy pipeline for these settings, built on first use only."""
    switches = (settings.use_lexicon, settings.use_model)
    if switches not in _PIPELINES:
        _PIPELINES[switches] = make_pipeline(use_lexicon=settings.use_lexicon, use_model=settings.use_model)
    return _PIPELINES[switches]


def one_blas_thread() -> None:
    """Let the recogniser's matrix products (OpenBLAS, loaded by numpy) use one thread.

    A pool has a worker per core already; BLAS threads on top make the workers fight for the
    cores (measured on 50 documents: two workers took 1.2x the wall time of one, and 0.8x with one
    BLAS thread each).
    The library's own setter is called, as threadpoolctl does; Dask workers get this from their
    nanny (OPENBLAS_NUM_THREADS=1)."""
    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:
            libraries = sorted({line.split()[-1] for line in maps if "openblas" in line.lower() and "/" in line})
    except OSError:  # not Linux: leave the library as it is
        return
    for library in libraries:
        try:
            loaded = ctypes.CDLL(library)
        except OSError:
            continue
        for name in ("openblas_set_num_threads", "openblas_set_num_threads64_",
                     "scipy_openblas_set_num_threads", "scipy_openblas_set_num_threads64_"):
            if hasattr(loaded, name):
                getattr(loaded, name)(1)
                break


def prepare_worker(settings: PipelineSettings) -> None:
    """Pool initializer: one BLAS thread, and the pipeline built while the parent is still sending work.

    jieba's dictionary is loaded here too, quietly: otherwise the first document decides which
    component loads it, and ``jieba.posseg`` announces it on stderr."""
    one_blas_thread()
    jieba_segmenter()
    pipeline(settings)


def analyse_document(document: Document, settings: PipelineSettings, nlp,
                     seconds: dict[str, float]) -> DocumentAnalysis:
    started = time.perf_counter()
    sections = settings.structure(document)
    structured = time.perf_counter()
    mentions = settings.extract(document, sections, nlp)
    seconds["structure"] = seconds.get("structure", 0.0) + structured - started
    seconds["extract"] = seconds.get("extract", 0.0) + time.perf_counter() - structured
    return DocumentAnalysis(sections=sections, mentions=mentions, measures=sum(1 for s in sections if s.is_measure))


def analyse_chunk(documents: list[Document], corpus_dir: str, settings: PipelineSettings,
                  keep_errors: bool = False) -> ChunkResult:
    """Structure and extract each document; a failure is that document's one line, never the chunk's.

    ``keep_errors``: in this process, keep the exception itself as the InputError's cause (the
    Python API shows its traceback); a worker sends the traceback as text."""
    result = ChunkResult(outcomes=[])
    try:
        nlp = pipeline(settings)
    except MissingDependency as err:
        result.missing = (err.needed_for, err.package, err.module)
        return result
    for document in documents:
        try:
            result.outcomes.append(analyse_document(document, settings, nlp, result.seconds))
        except MissingDependency as err:  # an installation problem, the same for every document
            if keep_errors:
                raise
            result.missing = (err.needed_for, err.package, err.module)
            return result
        except Exception as err:  # one document's failure never stops the others
            error = document_error(corpus_dir, document, err)
            if keep_errors:
                result.outcomes.append(DocumentFailure(error))
            else:
                result.outcomes.append(DocumentFailure(error, "".join(traceback.format_exception(err))))
    return result


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


# --------------------------------------------------------------------------- fanning out

def chunked(documents: list[Document], workers: int) -> list[list[Document]]:
    """Consecutive chunks of about the same length of text, CHUNKS_PER_WORKER per worker."""
    return balanced_chunks(documents, lambda document: len(document.text), workers * CHUNKS_PER_WORKER)


def longest_first(chunks: list[list[Document]]) -> list[int]:
    """Chunk numbers, the longest text first: sent in this order, no long chunk starts last."""
    return sorted(range(len(chunks)), key=lambda n: -sum(len(d.text) for d in chunks[n]))


def default_workers() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def dask_client(address: str):
    """A dask.distributed Client for the scheduler at ``address``; MissingDependency without dask."""
    try:
        from distributed import Client
    except ImportError as err:
        missing = MissingDependency("kg build --dask", "distributed")
        missing.args = (f"kg build --dask needs the Python package 'distributed', which is not installed: "
                        f"{DASK_INSTALL}",)  # the extra, quoted for the shell
        raise missing from err
    try:
        return Client(address, timeout="20s")
    except OSError as err:
        raise InputError(address, f"cannot reach the Dask scheduler ({' '.join(str(err).split())})") from err


def analyse_documents(
    documents: list[Document],
    corpus_dir: Path | str,
    settings: PipelineSettings,
    workers: int = 1,
    dask: Optional[str] = None,
    done: Optional[Callable[[Document, DocumentAnalysis | DocumentFailure], None]] = None,
) -> tuple[list[DocumentAnalysis | DocumentFailure], dict[str, float]]:
    """Each document's analysis or failure, in input order, and the seconds per stage summed over
    workers. ``done`` is called for each document as soon as its outcome is back, in input order.

    ``workers`` 1 runs here; more a process pool; ``dask`` (a scheduler address) a Dask cluster.
    MissingDependency if a worker lacks a package the pipeline needs."""
    corpus_dir = str(corpus_dir)
    if dask and sendable(settings):
        results = _on_dask(documents, corpus_dir, settings, dask)
    elif workers > 1 and len(documents) > 1 and sendable(settings):
        results = _in_pool(documents, corpus_dir, settings, workers)
    else:
        results = (analyse_chunk([document], corpus_dir, settings, keep_errors=True) for document in documents)
    outcomes: list[DocumentAnalysis | DocumentFailure] = []
    seconds: dict[str, float] = {}
    for result in results:
        if result.missing:
            raise MissingDependency(*result.missing)
        for outcome in result.outcomes:
            if isinstance(outcome, DocumentFailure) and outcome.traceback and outcome.error.__cause__ is None:
                outcome.error.__cause__ = WorkerTraceback(outcome.traceback)
            document = documents[len(outcomes)]
            outcomes.append(outcome)
            if done:
                done(document, outcome)
        for stage, spent in result.seconds.items():
            seconds[stage] = seconds.get(stage, 0.0) + spent
    return outcomes, seconds


def _in_pool(documents: list[Document], corpus_dir: str, settings: PipelineSettings,
             workers: int) -> Iterator[ChunkResult]:
    context = pool_context()
    if context.get_start_method() == "fork":
        # the first document is analysed here: it loads the model, jieba and the gazetteers once,
        # and the workers forked after it start with them loaded instead of each loading its own
        yield analyse_chunk(documents[:1], corpus_dir, settings, keep_errors=True)
        documents = documents[1:]
    chunks = chunked(documents, workers)
    if not chunks:
        return
    with ProcessPoolExecutor(max_workers=min(workers, len(chunks)), mp_context=context,
                             initializer=prepare_worker, initargs=(settings,)) as pool:
        futures = {n: pool.submit(analyse_chunk, chunks[n], corpus_dir, settings) for n in longest_first(chunks)}
        for number in range(len(chunks)):
            yield futures[number].result()


def _on_dask(documents: list[Document], corpus_dir: str, settings: PipelineSettings,
             address: str) -> Iterable[ChunkResult]:
    client = dask_client(address)
    try:
        workers = max(1, sum(info.get("nthreads", 1) for info in client.scheduler_info()["workers"].values()))
        chunks = chunked(documents, workers)
        order = longest_first(chunks)
        # pure=False: two equal chunks are still two tasks (their results are taken in order)
        futures = client.map(analyse_chunk, [chunks[n] for n in order], corpus_dir=corpus_dir, settings=settings,
                             pure=False)
        by_number = dict(zip(order, futures))
        for number in range(len(chunks)):
            yield by_number[number].result()
    finally:
        client.close()
