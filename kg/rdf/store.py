"""Persisting the graph: ``graph.trig`` / ``graph.ttl`` and the Oxigraph store.

Files are serialised by pyoxigraph from sorted N-Triples lines (kg.rdf.graph): the output is
diff-stable and no Python object is made per term. The store is written atomically: graph.trig is
bulk-loaded, as it is written, into a fresh directory beside the target, which then replaces the old
store, so a reader never opens a half-loaded store. ``kg query`` and ``kg serve`` open it through
``held_build`` / ``held_store``: the build is held (``kg.fileio.hold_build``, so a rebuild does
not delete it) and named by an open directory handle, so every file the store opens later, even
after a new build was swapped in at the same path, comes from the build that was opened.
"""
from __future__ import annotations

import contextlib
import errno
import gc
import hashlib
import os
import re
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator, Optional

import pyoxigraph as ox
from rdflib import Dataset, Graph, URIRef
from rdflib.namespace import NamespaceManager

from kg.errors import InputError
from kg.records import Corpus
from kg.fileio import atomic_dir, atomic_path, hold_build
from kg.rdf.reuse import GraphIndex, IndexedFile, PreviousGraphs, lines_digest, write_index
from kg.rdf.graph import CorpusGraphs, DatasetGraphs, corpus_graphs, dataset_graphs, to_oxigraph, to_rdflib
from kg.rdf.namespace import PREFIXES


def _quads(dataset: Dataset | Iterable[ox.Quad]) -> list[ox.Quad]:
    return to_oxigraph(dataset) if isinstance(dataset, Dataset) else list(dataset)


def serialize_trig(quads: list[ox.Quad]) -> bytes:
    return ox.serialize(quads, format=ox.RdfFormat.TRIG, prefixes=PREFIXES)


def write_graph_files(dataset: Dataset, out_dir: Path | str) -> int:
    """Write ``graph.trig`` and ``graph.ttl`` of an rdflib Dataset (no store); return the triple count."""
    return write_graphs(dataset_graphs(dataset), out_dir, with_store=False)


# quads bulk-loaded at once by ``write_store``: every bulk load writes and later merges its own
# files, so one call per small graph is slow; a fixed batch keeps memory independent of the size
STORE_BATCH = 25_000


def write_graph(corpus: Corpus, out_dir: Path | str) -> int:
    """Write ``graph.trig``, ``graph.ttl`` and ``store/`` for a corpus (see ``write_graphs``)."""
    return write_graphs(corpus_graphs(corpus), out_dir)


@dataclass(frozen=True)
class GraphWrite:
    """What ``write_graph_reusing`` wrote."""
    triples: int  # in the union (graph.ttl)
    graphs: int  # named graphs
    reused: int  # of them copied unchanged from the previous build's files
    store_updated: bool  # the previous store checkpointed and updated, instead of a new bulk load


def write_graph_reusing(corpus: Corpus, out_dir: Path | str, previous: Optional[Path | str],
                        keep_index: bool = True) -> GraphWrite:
    """``write_graph``, reusing what is unchanged in the build at ``previous`` (kg.rdf.reuse).

    The files and the store are the same as ``write_graph``'s, byte for byte and quad for quad.
    ``keep_index``: write ``cache/graph-index.json`` for the next build."""
    old = PreviousGraphs.open(previous, SERIALIZER) if previous is not None else None
    try:
        return write_named_graphs(corpus_graphs(corpus), out_dir, previous=old, keep_index=keep_index)
    finally:
        if old is not None:
            old.close()


def write_graphs(graphs: CorpusGraphs | DatasetGraphs, out_dir: Path | str, with_store: bool = True) -> int:
    """Write ``graph.trig``, ``graph.ttl`` and ``store/`` (see ``write_named_graphs``); return the triple count."""
    return write_named_graphs(graphs, out_dir, with_store).triples


def write_named_graphs(graphs: CorpusGraphs | DatasetGraphs, out_dir: Path | str, with_store: bool = True,
                       previous: Optional[PreviousGraphs] = None, keep_index: bool = False) -> GraphWrite:
    """The one writer: ``graph.trig``, ``graph.ttl`` and ``store/``, one named graph at a time.

    Memory stays bounded by the largest document graph plus the shared graphs, whatever the
    corpus size: each graph's N-Triples lines are parsed and serialised by Oxigraph, appended to
    both files (prefixes once, at the top), then dropped; the store is Oxigraph's bulk load of
    ``graph.trig``, fed the same bytes as they are written (``_PipedBulkLoad``). The files are
    byte-stable: graphs in IRI order, triples sorted within each; graph.trig is byte for byte
    ``serialize_trig(to_oxigraph(build_graph(corpus)))``.
    ``graph.ttl`` is the union: a triple stated in a document graph and a shared graph is written
    once, with the shared graph. Every output is staged beside its target and renamed on success
    only. Returns the union's triple count, the graphs written and what was reused.

    With ``previous`` (a build's files and index), a graph whose lines are unchanged is copied
    from its files, and the store is the previous one updated by the changed graphs
    (``_StoreUpdate``). ``keep_index`` writes ``cache/graph-index.json`` for the next build.
    """
    out_dir = Path(out_dir)
    in_shared = set().union(*graphs.shared.values())
    in_union: set[str] = set()  # shared triples already written to graph.ttl
    count = reused = 0
    index = GraphIndex(SERIALIZER)
    update: Optional[_StoreUpdate] = None
    with contextlib.ExitStack() as stack:
        trig_path = stack.enter_context(atomic_path(out_dir / "graph.trig"))
        trig_file = stack.enter_context(trig_path.open("wb"))
        ttl = IndexedFile(stack.enter_context(stack.enter_context(atomic_path(out_dir / "graph.ttl")).open("wb")),
                          index.ttl)
        sink = trig_file
        if with_store:
            store_dir = stack.enter_context(atomic_dir(out_dir / "store"))
            update = _StoreUpdate.start(previous, store_dir) if previous is not None else None
            if update is None:
                sink = stack.enter_context(_PipedBulkLoad(store_dir, trig_file))
        trig = IndexedFile(sink, index.trig)
        trig.write(_PREFIX_HEADER)
        ttl.write(_PREFIX_HEADER)
        for name, lines in graphs:
            digest = lines_digest(lines) if previous is not None or keep_index else ""
            old = previous.index.trig.blocks.get(name) if previous is not None else None
            if old is not None and old.digest == digest:
                block = previous.trig_block(name)
                reused += 1
            else:
                block = _reserialized(f"{name} {{\n{''.join(lines)}}}\n", ox.RdfFormat.TRIG)
                if update is not None:
                    update.replace(name, previous.trig_block(name), block)
            trig.write_block(name, block, digest, len(lines))
            if name in graphs.shared:
                union = [line for line in lines if line not in in_union]
                in_union.update(union)
            else:
                union = [line for line in lines if line not in in_shared]
            union_digest = digest if len(union) == len(lines) else lines_digest(union) if digest else ""
            old = previous.index.ttl.blocks.get(name) if previous is not None else None
            if old is not None and old.digest == union_digest:
                turtle = previous.ttl_block(name)
            elif union and len(union) == len(lines):  # the usual case: no second parse of the same lines
                turtle = _turtle_of_block(block)
            else:
                turtle = _reserialized("".join(union), ox.RdfFormat.N_TRIPLES, ox.RdfFormat.TURTLE)
            ttl.write_block(name, turtle, union_digest, len(union))
            count += len(union)
        trig.finish()
        ttl.finish()
        if update is not None:
            trig_file.flush()
            update.finish(set(index.trig.blocks), trig_path)
        if keep_index:
            write_index(index, out_dir)
    return GraphWrite(count, len(index.trig.blocks), reused, update is not None and not update.reloaded)


def _reserialized(text: str, syntax: ox.RdfFormat, to: ox.RdfFormat | None = None) -> bytes:
    """Lines of N-Triples (in a TriG graph block) as Oxigraph writes them, minus the prefixes."""
    # lenient (no IRI checks, a third faster): the lines come from our writers (minted IRIs are
    # percent-encoded, vocabulary IRIs checked by iri_text) or from Oxigraph terms, and the store's
    # bulk load of graph.trig checks every IRI again
    statements = ox.parse(text.encode("utf-8"), format=syntax, lenient=True)
    return _without_prefixes(ox.serialize(statements, format=to or syntax, prefixes=PREFIXES))


def _turtle_of_block(block: bytes) -> bytes:
    """The Turtle Oxigraph writes for the triples of a TriG graph block (``<g> {`` … ``}``).

    Oxigraph's Turtle writer is its TriG writer on the default graph: the same statements, one
    tab less at the start of each line (no line break is written inside a term: literals escape
    them), so the block's body, de-indented, is the Turtle without parsing the lines again.
    """
    body = _block_body(block)
    return body[len(b"\t"):].replace(b"\n\t", b"\n")


def _block_body(block: bytes) -> bytes:
    """The statements of a TriG graph block, between its ``<g> {`` line and its closing ``}``."""
    return block[block.index(b"\n") + 1:block.rindex(b"}")]


def _bulk_load(source: Path, directory: Path) -> None:
    store = ox.Store(str(directory))
    store.bulk_load(path=str(source), format=ox.RdfFormat.TRIG)
    store.optimize()
    store.flush()
    del store  # closes RocksDB (no cycle holds the store: no gc.collect, which walks the whole heap)


class _PipedBulkLoad:
    """A file whose bytes are also bulk-loaded into a new store in ``directory`` while they are written.

    Oxigraph parses, sorts and writes without the GIL, so the load (the longest part of
    ``write_graphs``) runs on another core beside the Python that produces the graphs, instead
    of re-reading the finished file after them. It reads a named pipe in a thread; ``__exit__``
    ends the input and waits for the store to be complete (and closed) or raises the load's error.
    """

    def __init__(self, directory: Path, file: BinaryIO):
        self._file = file
        self._folder = tempfile.TemporaryDirectory(prefix="kg-store-")
        self._fifo = Path(self._folder.name) / "graph.trig"
        os.mkfifo(self._fifo)
        self._error: Optional[BaseException] = None
        self._thread = threading.Thread(target=self._load, args=(directory,), name="kg-store-load", daemon=True)
        self._pipe: Optional[BinaryIO] = None
        self._thread.start()
        self._pipe = self._open_pipe()

    def _load(self, directory: Path) -> None:
        try:
            _bulk_load(self._fifo, directory)
        except BaseException as err:  # raised by __exit__, in the writing thread
            self._error = err

    def _open_pipe(self) -> BinaryIO:
        """The pipe's writing end, once the loader has opened it (a plain open would wait forever
        if the loader failed first)."""
        while True:
            try:
                fd = os.open(self._fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as err:
                if err.errno != errno.ENXIO:  # ENXIO: no reader yet
                    raise
                if not self._thread.is_alive():
                    self._finish()
                    raise RuntimeError("the store's bulk load ended before reading graph.trig")
                time.sleep(0.001)
                continue
            os.set_blocking(fd, True)
            return os.fdopen(fd, "wb")

    def write(self, chunk: bytes) -> None:
        self._file.write(chunk)
        try:
            self._pipe.write(chunk)
        except BrokenPipeError:  # the loader stopped reading: its error says why
            self._finish()
            raise

    def __enter__(self) -> "_PipedBulkLoad":
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        self._finish(raise_error=exc_type is None)  # the writer's own error explains a failed load

    def _finish(self, raise_error: bool = True) -> None:
        """End the input, wait for the load, raise its error (once)."""
        if self._pipe is not None and not self._pipe.closed:
            with contextlib.suppress(BrokenPipeError):
                self._pipe.close()
        self._thread.join()
        self._folder.cleanup()
        error, self._error = self._error, None
        if error is not None and raise_error:
            raise error


def _prefix_header() -> bytes:
    sample = ox.Triple(ox.NamedNode(f"{PREFIXES['rdf']}s"), ox.NamedNode(f"{PREFIXES['rdf']}p"),
                       ox.NamedNode(f"{PREFIXES['rdf']}o"))
    serialized = ox.serialize([sample], format=ox.RdfFormat.TURTLE, prefixes=PREFIXES)
    return serialized[:len(serialized) - len(_without_prefixes(serialized))]


def _without_prefixes(chunk: bytes) -> bytes:
    """A chunk serialised with PREFIXES, minus its ``@prefix`` lines (written once, at the top)."""
    while chunk.startswith(b"@prefix "):
        chunk = chunk[chunk.index(b"\n") + 1:]
    return chunk


_PREFIX_HEADER = _prefix_header()
# the same lines give the same bytes only from the same writer with the same prefixes (kg.rdf.reuse)
SERIALIZER = f"pyoxigraph {ox.__version__}; prefixes {hashlib.sha256(_PREFIX_HEADER).hexdigest()[:16]}"


# removing or adding quads one by one costs about 1.5 times what the bulk load spends on each,
# and compacting the updated store a third of a new load (docs/BENCHMARKS.md): beyond
# 0.4 times the store's quads (1.5 x 0.4 + 1/3 ~ 1), a new load is faster than an update
UPDATE_LIMIT = 0.4


class _StoreUpdate:
    """The previous build's store, checkpointed into a new folder and brought up to date graph by graph.

    A checkpoint shares the old store's immutable files (hard links), so it costs nothing and
    leaves the old store as it was, for the readers that may still hold it. In each changed graph
    the subjects whose statements changed lose their old quads and get their new ones, and
    ``finish`` compacts the store as a new load would be. When the quads removed and added
    outgrow UPDATE_LIMIT times the store's (e.g. after kg itself changed), a bulk load of the
    finished graph.trig is faster: the update then stops and ``finish`` loads the store anew.
    """

    def __init__(self, store: ox.Store, directory: Path, quads: int):
        self._store: Optional[ox.Store] = store
        self._directory = directory
        self._budget = int(quads * UPDATE_LIMIT)
        self.reloaded = False

    @classmethod
    def start(cls, previous: PreviousGraphs, directory: Path) -> Optional["_StoreUpdate"]:
        """The checkpoint in ``directory`` (an empty folder); None if the old store cannot give one
        or does not hold what its index says."""
        try:
            old = ox.Store.read_only(str(previous.store_dir))
            held = len(old)
            directory.rmdir()  # backup makes its own folder
            try:
                old.backup(str(directory))
            finally:
                directory.mkdir(exist_ok=True)
            del old
            if held != previous.index.quads:
                raise OSError("the previous store does not hold the previous graph.trig")
            return cls(ox.Store(str(directory)), directory, held)
        except (OSError, ValueError, RuntimeError):  # Oxigraph's errors for a missing or damaged store
            _empty(directory)
            return None

    def replace(self, name: str, old_block: Optional[bytes], new_block: bytes) -> None:
        if self._store is None:
            return
        if b"_:" in new_block or (old_block and b"_:" in old_block):
            # a blank node parsed again is another node: its quads could not be found to remove
            # (a literal holding "_:" costs a new load too, which is slower, never wrong)
            self._abandon()
            return
        # a subject's statements written alike in both blocks hold the same quads: only the others
        # are parsed, the old ones' quads removed, then the new ones' added (a subject may be in both)
        old, new = _subject_statements(old_block), _subject_statements(new_block)
        removed = _parsed_statements(name, old - new)
        added = _parsed_statements(name, new - old)
        self._budget -= len(removed) + len(added)
        if self._budget < 0:
            self._abandon()
            return
        for quad in removed:
            self._store.remove(quad)
        self._store.extend(added)

    def finish(self, names: set[str], trig: Path) -> None:
        """Remove the graphs the new build no longer has, or load ``trig`` anew if the update stopped."""
        if self._store is not None:
            for name in list(self._store.named_graphs()):
                if str(name) not in names:
                    self._store.remove_graph(name)
            # compacted like a new load: the canned queries ran 1.2-1.8 times slower on the
            # update's small files and tombstones (200 documents; optimize costs 5 s there)
            self._store.optimize()
            self._store.flush()
            self._store = None
        else:
            _bulk_load(trig, self._directory)

    def _abandon(self) -> None:
        self._store = None  # closes RocksDB: nothing else holds the store
        _empty(self._directory)
        self.reloaded = True


# in Oxigraph's TriG, each subject's statements start on a line indented once; their
# predicates and objects follow on lines indented more (literals escape their line breaks)
_SUBJECT_START = re.compile(rb"\n(?=\t[^\t])")


def _subject_statements(block: Optional[bytes]) -> set[bytes]:
    """A graph's TriG block as the statements of each subject (``<s> <p> <o> ; <p2> <o2> .``)."""
    if not block or not block.strip():
        return set()
    return {statement.rstrip(b"\n") for statement in _SUBJECT_START.split(_block_body(block))}


def _parsed_statements(name: str, statements: set[bytes]) -> list[ox.Quad]:
    if not statements:
        return []
    block = b"%s {\n%s\n}\n" % (name.encode("utf-8"), b"\n".join(sorted(statements)))
    return list(ox.parse(_PREFIX_HEADER + block, format=ox.RdfFormat.TRIG, lenient=True))


def _empty(directory: Path) -> None:
    """Leave ``directory`` an empty folder."""
    for child in list(directory.iterdir()) if directory.is_dir() else []:
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
    directory.mkdir(exist_ok=True)


def write_store(dataset: Dataset | Iterable[ox.Quad], store_dir: Path | str) -> Path:
    """Bulk-load an rdflib Dataset (or Oxigraph quads) into ``store_dir``, replacing any old store."""
    quads = _quads(dataset)
    store_dir = Path(store_dir)
    with atomic_dir(store_dir) as tmp:
        store = _StoreLoader(tmp)
        store.add(quads)
        store.close()
    return store_dir


class _StoreLoader:
    """Quads bulk-loaded into a new store STORE_BATCH at a time; ``close`` before the folder moves."""

    def __init__(self, directory: Path):
        self._store: Optional[ox.Store] = ox.Store(str(directory))
        self._batch: list[ox.Quad] = []

    def add(self, quads: list[ox.Quad]) -> None:
        self._batch += quads
        if len(self._batch) >= STORE_BATCH:
            self._store.bulk_extend(self._batch)
            self._batch = []

    def close(self) -> None:
        self._store.bulk_extend(self._batch)
        self._store.optimize()
        self._store.flush()
        self._store, self._batch = None, []
        gc.collect()  # release RocksDB's lock before the directory is renamed


@dataclass(frozen=True)
class HeldBuild:
    """A build directory held open: ``path`` names this build's folder while the context lasts."""

    build_dir: Path  # the path the user gave; a later build may be swapped in there
    path: Path  # /proc/<pid>/fd/<n>: this build, whatever is renamed meanwhile (build_dir without /proc)
    marker: Optional[dict]  # kg.fileio.BUILD_MARKER, None for a build written before markers existed

    @property
    def build_id(self) -> Optional[str]:
        return self.marker.get("build_id") if self.marker else None

    @property
    def store_dir(self) -> Path:
        return self.path / "store"


@contextlib.contextmanager
def held_build(build_dir: Path | str) -> Iterator[HeldBuild]:
    """Hold ``build_dir`` for reading (shared lock, see ``kg.fileio.hold_build``).

    The folder is opened once and named through its handle (``/proc/<pid>/fd/<n>``), so the
    marker, the lock and every store file, including those RocksDB opens lazily, come from the
    one build that was opened, even if ``kg build`` swaps a new one in at the same path. The
    path includes the pid so that worker processes can open the same build.
    """
    build_dir = Path(build_dir)
    try:
        fd = os.open(build_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except FileNotFoundError:
        raise InputError(build_dir, "no build here; run `kg build` first") from None
    except OSError as err:
        raise InputError(build_dir, f"cannot open the build directory: {(err.strerror or str(err)).lower()}") from None
    try:
        pinned = Path(f"/proc/{os.getpid()}/fd/{fd}")
        if not pinned.is_dir():  # no /proc (not Linux): the path itself
            pinned = build_dir
        with contextlib.ExitStack() as stack:
            try:
                marker = stack.enter_context(hold_build(pinned))
            except InputError as err:  # name the user's path, not /proc/…
                raise InputError(build_dir, err.problem) from None
            yield HeldBuild(build_dir, pinned, marker)
    finally:
        os.close(fd)


@contextlib.contextmanager
def held_store(build_dir: Path | str) -> Iterator[ox.Store]:
    """The store of one build, opened read-only while the build is held (``held_build``)."""
    with held_build(build_dir) as held:
        store_dir = held.store_dir
        if not store_dir.is_dir():
            raise InputError(Path(build_dir) / "store", "no RDF store here; run `kg build` first")
        try:
            store = ox.Store.read_only(str(store_dir))
        except OSError as err:
            raise InputError(Path(build_dir) / "store", f"cannot open the RDF store ({err})") from err
        yield store


def open_store(store_dir: Path | str, read_only: bool = True) -> ox.Store:
    """Open the store written by ``write_store``; one line of error if there is none."""
    store_dir = Path(store_dir)
    if not store_dir.is_dir():
        raise InputError(store_dir, "no RDF store here; run `kg build` first")
    try:
        return ox.Store.read_only(str(store_dir)) if read_only else ox.Store(str(store_dir))
    except OSError as err:
        raise InputError(store_dir, f"cannot open the RDF store ({err})") from err


def union_graph(store: ox.Store):
    """All named graphs of the store merged into one rdflib Graph (for pyshacl, JSON-LD, benchmarks)."""
    graph = Graph(bind_namespaces="none")
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    graph.addN((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object), graph) for q in store)
    return graph


def rdflib_dataset(store: ox.Store):
    """The store as an rdflib Dataset with its named graphs (JSON-LD export, benchmarks)."""
    dataset = Dataset(default_union=True)
    dataset.namespace_manager = NamespaceManager(dataset, bind_namespaces="none")
    for prefix, namespace in PREFIXES.items():
        dataset.bind(prefix, namespace)
    graphs = {}
    quads = []
    for quad in store:
        name = quad.graph_name
        key = None if isinstance(name, ox.DefaultGraph) else name.value
        if key not in graphs:
            graphs[key] = dataset.default_graph if key is None else dataset.graph(URIRef(key))
        quads.append((to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object), graphs[key]))
    dataset.addN(quads)
    return dataset
