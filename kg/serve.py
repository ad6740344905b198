"""A read-only SPARQL 1.1 Protocol endpoint over a build's Oxigraph store, plus a query page.

``GET /sparql?query=…`` and ``POST /sparql`` (form or ``application/sparql-query``) answer
SELECT/ASK as SPARQL JSON, XML, CSV or TSV and CONSTRUCT/DESCRIBE as Turtle, TriG, JSON-LD,
N-Triples or RDF/XML, chosen by the ``format`` parameter or the Accept header; Turtle and TriG
use the build's prefixes (``kg:``, ``skos:`` …). ``GET /`` is a self-contained, offline page: a
SPARQL editor (CodeMirror, vendored in ``templates/vendor``), the canned queries with their
parameters as a form, a results table with sorting, paging and download, the query in the URL.

Cross-origin clients (an external YASGUI, a notebook in a browser) may read ``/sparql`` only
from the origins given as ``cors`` (``kg serve --cors ORIGIN``); without it no
Access-Control-Allow-Origin header is sent and a preflight (OPTIONS) gets 405.

A canned query of ``ontology/queries`` runs with ``canned=<name>`` (instead of or beside
``query``) and its declared parameters as ``param.<name>=<value>``: the values are checked and
typed by ``kg.rdf.query.bind_params`` and bound by a VALUES block written with Oxigraph's own
term serialiser (``kg.rdf.query.with_values``), so a value can never end its literal.

Read-only by construction: every query runs in a worker process that opened the store with
``Store.read_only``; SPARQL Update and any other method or path get a 4xx. No outbound request:
a SERVICE clause is refused (400) unless ``federated``, and where Linux allows it each worker
runs in an empty network namespace of its own, where no address is reachable.

Limits, so that no client can take the server down:

- time: a query that runs past ``timeout`` is abandoned with 503 and its worker killed, because
  a running Oxigraph query cannot be interrupted from another thread;
- memory: each worker limits its own heap (``RLIMIT_DATA``, ``worker_memory``); Oxigraph aborts
  the process when an allocation fails, so a dead worker is answered with 503 and replaced;
- load: ``workers`` processes run queries of any length, and one spare worker takes a query
  only while all of them are busy, for at most ``spare_timeout`` seconds: a cheap query is
  answered while long ones run. At most ``queue_limit`` requests wait for a worker (for at most
  ``timeout``); beyond that, 503 with Retry-After at once;
- clients: a request must arrive completely within ``client_timeout`` seconds (408 or the
  connection is closed), malformed lengths and graph IRIs get a 4xx, and no request holds a
  thread longer than its time limits.

Rebuilds: the server holds the build it serves (``kg.rdf.store.held_build``: the builder does not
delete it, and its files are read through a directory handle, so a new build swapped in at the
same path never mixes in). It looks at the build marker at most once a second; when a new
build is there, it starts workers on it, sends new requests to them (atomically), lets queries
in flight finish on the old workers, then stops them and releases the old build. Every answer
names its build in ``X-KG-Build``.
"""
from __future__ import annotations

import contextlib
import ctypes
import io
import ipaddress
import math
import multiprocessing
import os
import re
import resource
import signal
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Optional
from urllib.parse import parse_qs, urlsplit

import pyoxigraph as ox

from kg.errors import InputError, KGError
from kg.fileio import read_build_marker
from kg.rdf.namespace import PREFIXES
from kg.rdf.query import (FEDERATED_DISABLED, NAME_QUERIES, CannedQuery, bind_params, canned_queries, service_clause,
                          with_values)
from kg.rdf.store import held_build
from kg.views.html import csp_hash, safe_json, template_env

DEFAULT_TIMEOUT = 10.0
DEFAULT_WORKERS = 2
DEFAULT_WORKER_MEMORY = 2 * 1024 ** 3  # bytes of heap per worker process
MIN_WORKER_MEMORY = 256 * 1024 ** 2  # an open store and a small query need about 100 MiB
DEFAULT_QUEUE = 16  # requests waiting for a worker
DEFAULT_CLIENT_TIMEOUT = 15.0  # seconds for a client to send its request
SPARE_TIMEOUT = 2.0  # seconds a query may take on the spare worker
BUILD_CHECK_INTERVAL = 1.0  # seconds between looks at the build marker
WORKER_START_TIMEOUT = 60.0
MAX_BODY = 1_000_000  # bytes; a SPARQL query longer than this is not a query
NO_BUILD_ID = "none"  # X-KG-Build of a build written before build markers existed

# media type -> (pyoxigraph format name, kind) ; kind: results (SELECT/ASK) or graph (CONSTRUCT/DESCRIBE)
RESULT_TYPES = {
    "application/sparql-results+json": "JSON",
    "application/json": "JSON",
    "application/sparql-results+xml": "XML",
    "application/xml": "XML",
    "text/xml": "XML",
    "text/csv": "CSV",
    "text/tab-separated-values": "TSV",
}
GRAPH_TYPES = {
    "text/turtle": "TURTLE",
    "application/x-turtle": "TURTLE",
    "application/ld+json": "JSON_LD",
    "application/json": "JSON_LD",
    "application/n-triples": "N_TRIPLES",
    "text/plain": "N_TRIPLES",
    "application/rdf+xml": "RDF_XML",
    "application/xml": "RDF_XML",
    "application/trig": "TRIG",
}
# `format` / `output` parameter values (SPARQLWrapper sends these too)
RESULT_NAMES = {"json": "JSON", "xml": "XML", "csv": "CSV", "tsv": "TSV"}
GRAPH_NAMES = {"turtle": "TURTLE", "ttl": "TURTLE", "n3": "TURTLE", "json-ld": "JSON_LD", "jsonld": "JSON_LD",
               "json": "JSON_LD", "nt": "N_TRIPLES", "ntriples": "N_TRIPLES", "n-triples": "N_TRIPLES",
               "xml": "RDF_XML", "rdf": "RDF_XML", "rdf+xml": "RDF_XML", "rdfxml": "RDF_XML", "trig": "TRIG"}
CONTENT_TYPES = {"JSON": "application/sparql-results+json", "XML": "application/sparql-results+xml",
                 "CSV": "text/csv", "TSV": "text/tab-separated-values", "TURTLE": "text/turtle",
                 "JSON_LD": "application/ld+json", "N_TRIPLES": "application/n-triples",
                 "RDF_XML": "application/rdf+xml", "TRIG": "application/trig"}
PREFIXED_FORMATS = ("TURTLE", "TRIG")  # written with the build's prefixes, so names read kg:Measure
CORS_METHODS = "GET, POST"
CORS_HEADERS = "Content-Type, Accept"
CORS_MAX_AGE = "600"  # seconds a browser may reuse a preflight answer
VENDOR_SCRIPTS = ("codemirror/codemirror.js", "codemirror/sparql.js", "codemirror/matchbrackets.js")
VENDOR_STYLES = ("codemirror/codemirror.css",)


class QueryTimeout(Exception):
    pass


class ServerBusy(Exception):
    """No worker can take the query now: 503 with Retry-After."""


class WorkerFailed(Exception):
    """A worker could not start (its store would not open)."""


@dataclass
class QueryRequest:
    sparql: str
    format_name: Optional[str] = None  # the `format` parameter, if any
    accept: str = ""
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    bindings: tuple[tuple[str, Any], ...] = ()  # (variable name, pyoxigraph term) substituted by Oxigraph


@dataclass
class QueryAnswer:
    status: int
    content_type: str
    body: bytes
    worker_spent: bool = False  # the worker ran out of memory: replace it


def parse_memory(text: str | int) -> int:
    """Bytes of a size such as ``2G``, ``512MiB``, ``1.5g`` or ``1073741824``; 0 means no limit."""
    if isinstance(text, int):
        return text
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*", str(text), re.IGNORECASE)
    if not match:
        raise ValueError(f"expected a size such as 2G or 512M, got {text!r}")
    scale = 1024 ** ("kmgt".find(match.group(2).lower()) + 1) if match.group(2) else 1
    return int(float(match.group(1)) * scale)


def format_memory(size: int) -> str:
    for unit, scale in (("GiB", 1024 ** 3), ("MiB", 1024 ** 2), ("KiB", 1024)):
        if size >= scale:
            return f"{size / scale:.3g} {unit}"
    return f"{size} bytes"


# --------------------------------------------------------------------------- negotiation


def accepted_types(accept: str) -> list[str]:
    """Media types of an Accept header, best first (q-values respected, order kept on ties)."""
    ranked = []
    for position, part in enumerate(accept.split(",")):
        pieces = [p.strip() for p in part.split(";")]
        if not pieces[0]:
            continue
        quality = 1.0
        for param in pieces[1:]:
            if param.startswith("q="):
                try:
                    quality = float(param[2:])
                except ValueError:
                    quality = 0.0
        if quality > 0:
            ranked.append((-quality, position, pieces[0].lower()))
    return [media for _, _, media in sorted(ranked)]


def choose_format(kind: str, format_name: Optional[str], accept: str) -> Optional[str]:
    """The pyoxigraph format for a result ``kind`` ("results" or "graph"); None if nothing acceptable."""
    names, types, default = (RESULT_NAMES, RESULT_TYPES, "JSON") if kind == "results" else (GRAPH_NAMES, GRAPH_TYPES, "TURTLE")
    if format_name:
        key = format_name.strip().lower()
        if key in names:
            return names[key]
        if key in types:
            return types[key]
    wanted = accepted_types(accept)
    if not wanted:
        return default
    for media in wanted:
        if media in types:
            return types[media]
        if media in ("*/*", "application/*", "text/*"):
            return default
    return None


# --------------------------------------------------------------------------- worker processes


def run_in_store(store, request: QueryRequest) -> QueryAnswer:
    """Execute one query on an open store and serialise the answer (runs inside a worker)."""
    options: dict[str, Any] = {"prefixes": default_prefixes()}
    if request.default_graphs:
        options["default_graph"] = [ox.NamedNode(iri) for iri in request.default_graphs]
    else:
        options["use_default_graph_as_union"] = True  # one named graph per document; query them all
    if request.named_graphs:
        options["named_graphs"] = [ox.NamedNode(iri) for iri in request.named_graphs]
    if request.bindings:
        options["substitutions"] = {ox.Variable(name): term for name, term in request.bindings}
    try:
        result = store.query(request.sparql, **options)
    except SyntaxError as err:
        return error_answer(HTTPStatus.BAD_REQUEST, f"invalid SPARQL query: {err}")
    except (ValueError, RuntimeError) as err:  # RuntimeError: e.g. a bound variable the query cannot take
        return error_answer(HTTPStatus.BAD_REQUEST, str(err))
    kind = "graph" if isinstance(result, ox.QueryTriples) else "results"
    chosen = choose_format(kind, request.format_name, request.accept)
    if chosen is None:
        return error_answer(HTTPStatus.NOT_ACCEPTABLE, f"cannot serve {kind} as {request.accept or request.format_name}")
    fmt = getattr(ox.RdfFormat if kind == "graph" else ox.QueryResultsFormat, chosen)
    if chosen in PREFIXED_FORMATS:  # QueryTriples.serialize takes no prefixes
        body = ox.serialize(list(result), format=fmt, prefixes=default_prefixes())
    else:
        body = result.serialize(format=fmt)
    content_type = CONTENT_TYPES[chosen]
    if chosen in ("CSV", "TSV", "TURTLE", "TRIG", "N_TRIPLES"):
        content_type += "; charset=utf-8"
    return QueryAnswer(HTTPStatus.OK, content_type, body)


def default_prefixes() -> dict[str, str]:
    """The project's prefixes (kg:, skos:, prov: …), usable without PREFIX lines."""
    return dict(PREFIXES)


def error_answer(status: int, message: str) -> QueryAnswer:
    return QueryAnswer(int(status), "text/plain; charset=utf-8", (message.strip() + "\n").encode("utf-8"))


def memory_answer(limit: int) -> QueryAnswer:
    shown = format_memory(limit) if limit else "the machine's memory"
    answer = error_answer(HTTPStatus.SERVICE_UNAVAILABLE,
                          f"query exceeded the memory limit ({shown} per query worker) and was stopped")
    answer.worker_spent = True
    return answer


# linux/include/uapi/linux/sched.h
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000


def isolate_network() -> bool:
    """Move this process into a new, empty network namespace: no address, not even 127.0.0.1, is
    reachable from it. Must run before the process starts threads. False where the kernel (or a
    container's policy) does not allow it."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        unshare = ctypes.CDLL(None, use_errno=True).unshare
    except (OSError, AttributeError):
        return False
    if os.geteuid() == 0 and unshare(CLONE_NEWNET) == 0:
        return True
    uid, gid = os.geteuid(), os.getegid()
    if unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0:
        return False
    # keep our own user and group inside the new user namespace (file ownership as before)
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
        with contextlib.suppress(OSError):
            Path(f"/proc/self/{name}").write_text(text)
    return True


def limit_memory(limit: int) -> None:
    """Bound this process's heap. RLIMIT_DATA counts what a query allocates (heap and anonymous
    mappings) and not address space merely reserved (allocator arenas, mapped files), which
    grows with the machine's core count; no core dumps of a worker that hit the limit."""

    for kind, value in ((resource.RLIMIT_DATA, limit), (resource.RLIMIT_CORE, 0)):
        _, hard = resource.getrlimit(kind)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(kind, (value, hard))


def worker_main(store_path: str, conn, memory_limit: int = 0, log_path: Optional[str] = None,
                isolate: bool = False) -> None:
    """Loop of one worker process: receive QueryRequests, send QueryAnswers.

    First message: ("ready", {"network_isolated": bool}) once the store is open, or
    ("failed", reason). The worker's stderr goes to ``log_path``, where the parent finds why a
    worker died (Oxigraph prints "memory allocation of N bytes failed" and aborts).
    """
    if log_path:
        log = os.open(log_path, os.O_WRONLY | os.O_APPEND)
        os.dup2(log, 2)
        os.close(log)
    try:  # a handle of our own on the store's folder, opened before leaving the user namespace
        folder = os.open(store_path, os.O_RDONLY | os.O_DIRECTORY)
        if os.path.isdir(f"/proc/self/fd/{folder}"):
            store_path = f"/proc/self/fd/{folder}"
    except OSError:
        pass  # Store.read_only names the problem below
    isolated = isolate and isolate_network()
    if memory_limit:
        limit_memory(memory_limit)
    try:
        store = ox.Store.read_only(store_path)
    except (OSError, ValueError) as err:
        conn.send(("failed", f"cannot open the store read-only: {err}"))
        return
    conn.send(("ready", {"network_isolated": isolated}))
    while True:
        try:
            request = conn.recv()
        except EOFError:
            return
        try:
            answer = run_in_store(store, request)
        except MemoryError:
            answer = memory_answer(memory_limit)
        except Exception as err:  # a store failure answers this request; the worker lives on
            answer = error_answer(HTTPStatus.INTERNAL_SERVER_ERROR, f"query failed: {err}")
        try:
            conn.send(answer)
        except MemoryError:  # no room to pickle the answer
            conn.send(memory_answer(memory_limit))


class Worker:
    def __init__(self, store_path: Path, context, memory_limit: int = 0, isolate: bool = False):
        self.memory_limit = memory_limit
        # the worker's stderr; unlinked as soon as the worker has opened it, read through self.log
        fd, self.log_path = tempfile.mkstemp(prefix="kg-serve-worker-", suffix=".log")
        self.log = os.fdopen(fd, "rb")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=worker_main, daemon=True,
                                       args=(str(store_path), child, memory_limit, self.log_path, isolate))
        self.process.start()
        child.close()
        self.ready = False
        self.network_isolated = False
        self.stop_lock = threading.Lock()
        self.stopped = False

    def _receive(self, deadline: float):
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not self.conn.poll(remaining):
            raise QueryTimeout
        return self.conn.recv()  # EOFError if the worker died

    def _notice(self, reply) -> None:
        kind, detail = reply
        with contextlib.suppress(OSError):
            os.unlink(self.log_path)  # the worker's stderr is open: nothing is left behind, however we end
        if kind == "failed":
            raise WorkerFailed(detail)
        self.ready = True
        self.network_isolated = bool(detail.get("network_isolated"))

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not self.ready:
            self._notice(self._receive(deadline))

    def ask(self, request: QueryRequest, timeout: float) -> QueryAnswer:
        if not self.ready:  # a replacement still starting: its start does not count against the query
            try:
                self.wait_ready(WORKER_START_TIMEOUT)
            except QueryTimeout:
                raise WorkerFailed(f"the query worker did not start within {WORKER_START_TIMEOUT:g} s") from None
        deadline = time.monotonic() + timeout
        self.conn.send(request)
        while True:
            reply = self._receive(deadline)
            if isinstance(reply, QueryAnswer):
                return reply
            self._notice(reply)

    def log_tail(self) -> str:
        try:
            self.log.seek(0, os.SEEK_END)
            self.log.seek(max(0, self.log.tell() - 4000))
            return self.log.read().decode("utf-8", errors="replace")
        except (OSError, ValueError):  # ValueError: closed
            return ""

    def out_of_memory(self) -> bool:
        """Did the worker die for want of memory? (Oxigraph's abort message, or the OOM killer.)"""
        self.process.join(2)
        return "memory allocation of" in self.log_tail() or self.process.exitcode == -signal.SIGKILL

    def death_answer(self) -> QueryAnswer:
        if self.out_of_memory():
            return memory_answer(self.memory_limit)
        last = " ".join(self.log_tail().strip().splitlines()[-1:])[:200]
        return error_answer(HTTPStatus.INTERNAL_SERVER_ERROR,
                            f"the query worker stopped unexpectedly (exit code {self.process.exitcode}"
                            + (f": {last}" if last else "") + "); try again")

    def stop(self) -> None:
        # a worker may be retired by the request thread that saw it overrun and by the server's
        # shutdown at once: the first stop does the work, the second finds nothing left to close
        with self.stop_lock:
            if self.stopped:
                return
            self.stopped = True
        self.process.kill()
        self.process.join(5)
        with contextlib.suppress(OSError):
            self.conn.close()
        self.log.close()
        with contextlib.suppress(OSError):
            os.unlink(self.log_path)


class WorkerPool:
    """``size`` query processes plus one spare; a worker that overruns its limits is replaced.

    A request takes a free regular worker; if none is free, the spare, where the query may
    run for ``spare_timeout`` seconds only: however many long queries run, a short one is
    answered. If no worker is free, the request waits (at most ``queue_limit`` requests, each
    for at most the query timeout), else ServerBusy at once.
    """

    def __init__(self, store_path: Path, size: int = DEFAULT_WORKERS, memory_limit: int = DEFAULT_WORKER_MEMORY,
                 federated: bool = False, queue_limit: int = DEFAULT_QUEUE, spare_timeout: float = SPARE_TIMEOUT):
        self.store_path = store_path
        self.size = size
        self.memory_limit = memory_limit
        self.isolate = not federated
        self.queue_limit = queue_limit
        self.spare_timeout = spare_timeout
        self.context = multiprocessing.get_context("spawn")  # fork is unsafe in a threaded server
        self.cond = threading.Condition()
        self.all: set[Worker] = set()
        self.waiting = 0
        self.closed = False
        self.free = [self._start() for _ in range(size)]
        self.spare_free = [self._start()]

    def _start(self) -> Worker:
        worker = Worker(self.store_path, self.context, self.memory_limit, self.isolate)
        with self.cond:
            self.all.add(worker)
        return worker

    def wait_ready(self, timeout: float = WORKER_START_TIMEOUT) -> None:
        """Wait until every worker has opened the store (WorkerFailed, EOFError or QueryTimeout if not)."""
        deadline = time.monotonic() + timeout
        for worker in list(self.all):
            worker.wait_ready(deadline - time.monotonic())

    @property
    def network_isolated(self) -> bool:
        return all(worker.network_isolated for worker in list(self.all))

    def _acquire(self, timeout: float) -> tuple[Worker, bool]:
        with self.cond:
            if not (self.free or self.spare_free) and self.waiting >= self.queue_limit:
                raise ServerBusy(f"all {self.size + 1} query workers are busy and {self.waiting} requests are "
                                 "already waiting; try again later")
            self.waiting += 1
            try:
                deadline = time.monotonic() + timeout
                while not (self.free or self.spare_free):
                    remaining = deadline - time.monotonic()
                    if remaining <= 0 or self.closed:
                        raise ServerBusy(f"no query worker became free within {timeout:g} s; try again later")
                    self.cond.wait(remaining)
                if self.free:
                    return self.free.pop(), False
                return self.spare_free.pop(), True
            finally:
                self.waiting -= 1

    def _release(self, worker: Worker, spare: bool) -> None:
        with self.cond:
            if worker not in self.all:  # the pool was closed meanwhile
                return
            (self.spare_free if spare else self.free).append(worker)
            self.cond.notify()

    def run(self, request: QueryRequest, timeout: float) -> QueryAnswer:
        worker, spare = self._acquire(timeout)
        limit = min(timeout, self.spare_timeout) if spare else timeout
        try:
            answer = worker.ask(request, limit)
        except QueryTimeout:
            self._replace(worker, spare)
            if limit < timeout:
                raise ServerBusy(f"all {self.size} query workers are busy with long queries, and on the spare worker "
                                 f"a query may take {limit:g} s only; try again later") from None
            raise
        except (EOFError, OSError):
            answer = worker.death_answer()
            self._replace(worker, spare)
            return answer
        except WorkerFailed as err:
            self._replace(worker, spare)
            return error_answer(HTTPStatus.INTERNAL_SERVER_ERROR, f"{err}; try again")
        if answer.worker_spent:
            self._replace(worker, spare)
        else:
            self._release(worker, spare)
        return answer

    def _replace(self, worker: Worker, spare: bool) -> None:
        with self.cond:
            self.all.discard(worker)
            closed = self.closed
        worker.stop()
        if closed:
            return
        fresh = self._start()  # it opens the store while its first request waits in the pipe
        with self.cond:
            if self.closed:
                self.all.discard(fresh)
            else:
                (self.spare_free if spare else self.free).append(fresh)
                self.cond.notify()
                return
        fresh.stop()

    def close(self) -> None:
        with self.cond:
            self.closed = True
            workers = list(self.all)
            self.all.clear()
            self.free, self.spare_free = [], []
            self.cond.notify_all()
        for worker in workers:
            worker.stop()


# --------------------------------------------------------------------------- the build being served


class ServedBuild:
    """One held build and the workers answering from it."""

    def __init__(self, stack: contextlib.ExitStack, held, pool: WorkerPool):
        self.stack = stack
        self.held = held
        self.pool = pool
        self.users = 0  # requests in flight
        self.retired = False  # a newer build is served
        self.closed = False

    @property
    def build_id(self) -> str:
        return self.held.build_id or NO_BUILD_ID

    def close(self) -> None:
        self.stack.close()  # workers first, then the hold on the build


class Builds:
    """The build a server answers from, switched atomically when ``kg build`` replaces it."""

    def __init__(self, build_dir: Path | str, start_pool: Callable[[Any], WorkerPool],
                 check_interval: float = BUILD_CHECK_INTERVAL, notice: Callable[[str], None] = lambda _: None):
        self.build_dir = Path(build_dir)
        self.start_pool = start_pool
        self.check_interval = check_interval
        self.notice = notice
        self.lock = threading.Lock()
        self.switching = threading.Lock()
        self.refused: Optional[str] = None  # a build id that could not be served
        self.current = self._open()
        self.live = {self.current}
        self.checked = time.monotonic()

    def _open(self) -> ServedBuild:

        stack = contextlib.ExitStack()
        try:
            held = stack.enter_context(held_build(self.build_dir))
            if not held.store_dir.is_dir():
                raise InputError(self.build_dir / "store", "no Oxigraph store here (run `kg build` first)")
            pool = self.start_pool(held)
            stack.callback(pool.close)
        except BaseException:
            stack.close()
            raise
        return ServedBuild(stack, held, pool)

    @contextlib.contextmanager
    def use(self):
        """The current build, kept open (with its workers) until the caller is done."""
        self.check()
        with self.lock:
            served = self.current
            served.users += 1
        try:
            yield served
        finally:
            with self.lock:
                served.users -= 1
                finished = served.retired and served.users == 0 and not served.closed
                if finished:
                    served.closed = True
                    self.live.discard(served)
            if finished:
                served.close()

    def check(self) -> None:
        """Serve a new build if one is at the path (looked at once per ``check_interval``)."""

        now = time.monotonic()
        with self.lock:
            if now - self.checked < self.check_interval:
                return
            self.checked = now
        marker = read_build_marker(self.build_dir)
        found = marker.get("build_id") if marker else None
        if found is None or found in (self.current.build_id, self.refused):
            return
        if not self.switching.acquire(blocking=False):
            return  # another request is starting the new build's workers; this one gets the current build
        try:
            if found == self.current.build_id:
                return
            try:
                fresh = self._open()
            except (KGError, OSError) as err:
                self.refused = found
                self.notice(f"cannot serve the new build {found} ({err}); still serving {self.current.build_id}")
                return
            with self.lock:
                old, self.current = self.current, fresh
                self.live.add(fresh)
                old.retired = True
                idle = old.users == 0
                if idle:
                    old.closed = True
                    self.live.discard(old)
            self.notice(f"now serving build {fresh.build_id} (was {old.build_id})")
            if idle:
                old.close()
        finally:
            self.switching.release()

    def close(self) -> None:
        with self.lock:
            builds = list(self.live)
            self.live.clear()
            for served in builds:
                served.closed = True
        for served in builds:
            served.close()


# --------------------------------------------------------------------------- HTTP


def canned_query_list() -> list[dict[str, Any]]:
    """[{name, title, sparql[, params]}] of the bundled queries, for the picker of the query page."""
    return page_queries(canned_queries())


def page_queries(queries: dict[str, CannedQuery]) -> list[dict[str, Any]]:
    """Canned queries as plain data for the query page (its parameters as a form)."""
    result = []
    for name, query in queries.items():
        entry: dict[str, Any] = {"name": name, "title": query.title or name, "sparql": query.sparql}
        if query.params:
            entry["params"] = [{"name": p.name, "type": p.type, "required": p.required, "description": p.description}
                               for p in query.params]
        result.append(entry)
    return result


def index_page(queries: list[dict[str, str]]) -> tuple[bytes, str]:
    """The query page and its Content-Security-Policy: every script inline and allowed by its hash."""
    templates = Path(__file__).parent / "templates"
    vendor = templates / "vendor"
    data_script = (f"window.KG_QUERIES = {safe_json(queries)};\n"
                   f"window.KG_PREFIXES = {safe_json(default_prefixes())};\n"
                   f"window.KG_NAME_QUERIES = {safe_json(NAME_QUERIES)};")
    scripts = [(vendor / name).read_text(encoding="utf-8") for name in VENDOR_SCRIPTS]
    scripts += [data_script, (templates / "serve_app.js").read_text(encoding="utf-8")]
    styles = [(vendor / name).read_text(encoding="utf-8") for name in VENDOR_STYLES]
    hashes = " ".join(csp_hash(script) for script in scripts)
    csp = (f"default-src 'none'; script-src {hashes}; style-src 'unsafe-inline'; "
           "connect-src 'self'; img-src data:; form-action 'none'; base-uri 'none'")
    html = template_env().get_template("serve_index.html").render(scripts=scripts, styles=styles, csp=csp,
                                                                 queries=queries, prefixes=default_prefixes())
    return html.encode("utf-8"), csp


def cors_origins(origins: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Checked ``--cors`` values: ``*`` or origins such as ``https://yasgui.example`` (scheme://host[:port])."""
    checked = []
    for origin in origins:
        origin = origin.strip().rstrip("/").lower()  # browsers send scheme and host in lower case
        if origin != "*" and not re.fullmatch(r"https?://[A-Za-z0-9.\-\[\]:]+", origin):
            raise InputError("--cors", f"expected * or an origin such as https://example.org (scheme://host[:port]), "
                                       f"got {origin!r}")
        checked.append(origin)
    return tuple(checked)


class SparqlServer(ThreadingHTTPServer):
    daemon_threads = True
    verbose = False  # request log on stderr

    def __init__(self, address, builds: Builds, timeout: float, page: tuple[bytes, str],
                 canned: Optional[dict[str, Any]] = None, federated: bool = False,
                 client_timeout: float = DEFAULT_CLIENT_TIMEOUT, cors: tuple[str, ...] = ()):
        self.builds = builds
        self.cors = cors
        self.canned = canned or {}
        self.query_timeout = timeout
        self.federated = federated
        self.client_timeout = client_timeout
        self.page, self.page_csp = page
        super().__init__(address, SparqlHandler)
        self.loopback = is_loopback(self.server_address[0])

    @property
    def pool(self) -> WorkerPool:
        return self.builds.current.pool

    @property
    def build_id(self) -> str:
        return self.builds.current.build_id

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{port}/"

    def handle_error(self, request, client_address) -> None:
        """A client that went away is not an error; anything else is one line, not a traceback."""
        err = sys.exc_info()[1]
        if isinstance(err, OSError):  # reset, broken pipe, timeout, a socket closed at shutdown
            return
        print(f"kg serve: internal error answering {client_address[0]}, please report: "
              f"{type(err).__name__}: {' '.join(str(err).splitlines())}", file=sys.stderr, flush=True)

    def server_close(self) -> None:
        super().server_close()
        self.builds.close()


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def graph_iri_problem(value: str) -> Optional[str]:
    try:
        ox.NamedNode(value)
    except ValueError:
        return f"not an IRI: {value[:200]!r}"
    if not re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", value):
        return f"not an absolute IRI: {value[:200]!r}"
    return None


class DeadlineReader(io.RawIOBase):
    """The socket as a stream that gives a client ``limit`` seconds in all to send one request.

    A per-read socket timeout alone lets a client that sends one byte every few seconds hold a
    thread for ever; this deadline counts from the start of the request (``start``).
    """

    def __init__(self, sock, limit: float):
        self.sock = sock
        self.limit = limit
        self.start()

    def start(self) -> None:
        self.deadline = time.monotonic() + self.limit
        self.received = 0
        self.timed_out = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            self.timed_out = True
            raise TimeoutError("request not received in time")
        self.sock.settimeout(remaining)
        try:
            count = self.sock.recv_into(buffer)
        except TimeoutError:
            self.timed_out = True
            raise
        self.received += count
        return count


class SparqlHandler(BaseHTTPRequestHandler):
    server: SparqlServer
    server_version = "policy-kg-sparql"
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 - signature of the base class
        if self.server.verbose:
            super().log_message(format, *args)

    # ---- connection and request framing

    def setup(self):
        self.timeout = self.server.client_timeout  # socket timeout for writes (StreamRequestHandler)
        super().setup()
        self.reader = DeadlineReader(self.connection, self.server.client_timeout)
        plain, self.rfile = self.rfile, io.BufferedReader(self.reader)
        plain.close()

    def handle_one_request(self):
        self.reader.start()
        self.responded = False
        self.body_read = False
        self.build_id: Optional[str] = None
        self.request_version, self.command, self.requestline = "HTTP/1.1", "", ""
        self.headers = None  # not the previous request's on a kept-alive connection
        super().handle_one_request()  # a read timeout closes the connection there
        if self.reader.timed_out and self.reader.received and not self.responded:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.fail(HTTPStatus.REQUEST_TIMEOUT,
                          f"request not received completely within {self.server.client_timeout:g} s")

    def send_error(self, code, message=None, explain=None):
        """The base class's errors (bad request line, headers too long …) as plain text, like ours."""
        self.close_connection = True
        self.request_version = self.protocol_version  # not parsed yet: answer with a status line
        self.fail(code, message or self.responses.get(code, ("error",))[0])

    def body_unread(self) -> bool:
        headers = getattr(self, "headers", None)
        if headers is None or self.body_read:
            return False
        if self.command == "POST":  # even without a (valid) Content-Length, a body may follow
            return True
        return bool(headers.get("Transfer-Encoding")) or (headers.get("Content-Length") or "0").strip() != "0"

    def read_body(self) -> Optional[bytes]:
        """The request body, or None after answering a 4xx (bad, missing or short Content-Length)."""
        if self.headers.get("Transfer-Encoding"):
            self.fail(HTTPStatus.LENGTH_REQUIRED, "send the body with a Content-Length (chunked bodies are not accepted)")
            return None
        values = [value.strip() for value in self.headers.get_all("Content-Length") or []]
        if not values:
            self.fail(HTTPStatus.LENGTH_REQUIRED, "POST needs a Content-Length header")
            return None
        if len(set(values)) > 1:
            self.fail(HTTPStatus.BAD_REQUEST, "conflicting Content-Length headers")
            return None
        if not (values[0].isascii() and values[0].isdigit()):
            self.fail(HTTPStatus.BAD_REQUEST, f"Content-Length must be a number of bytes, got {values[0][:40]!r}")
            return None
        length = int(values[0])
        if length > MAX_BODY:
            self.fail(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"request body too large ({length} bytes; at most {MAX_BODY})")
            return None
        try:
            body = self.rfile.read(length)
        except TimeoutError:
            self.fail(HTTPStatus.REQUEST_TIMEOUT, f"the request body ({length} bytes by its Content-Length) did not "
                                                  f"arrive within {self.server.client_timeout:g} s")
            return None
        if len(body) < length:
            self.fail(HTTPStatus.BAD_REQUEST, f"the request body ended after {len(body)} of {length} bytes")
            return None
        self.body_read = True
        return body

    # ---- routing

    def do_GET(self):
        if not self.host_allowed():
            return
        url = urlsplit(self.path)
        if url.path in ("/", "/index.html"):
            return self.send(HTTPStatus.OK, "text/html; charset=utf-8", self.server.page, page=True)
        if url.path != "/sparql":
            return self.fail(HTTPStatus.NOT_FOUND, f"no such path {url.path}; the endpoint is /sparql")
        params = parse_qs(url.query, keep_blank_values=True)
        self.answer(params)

    def do_HEAD(self):
        self.fail(HTTPStatus.METHOD_NOT_ALLOWED, "use GET or POST")

    def do_POST(self):
        if not self.host_allowed():
            return
        url = urlsplit(self.path)
        if url.path != "/sparql":
            return self.fail(HTTPStatus.NOT_FOUND, f"no such path {url.path}; the endpoint is /sparql")
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if content_type == "application/sparql-update":
            return self.fail(HTTPStatus.FORBIDDEN, "read-only endpoint: SPARQL Update is refused")
        if content_type not in ("application/x-www-form-urlencoded", "application/sparql-query"):
            return self.fail(HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                             "POST application/x-www-form-urlencoded or application/sparql-query")
        raw = self.read_body()
        if raw is None:
            return
        body = raw.decode("utf-8", errors="replace")
        params = parse_qs(url.query, keep_blank_values=True)
        if content_type == "application/x-www-form-urlencoded":
            for key, values in parse_qs(body, keep_blank_values=True).items():
                params.setdefault(key, []).extend(values)
        else:
            params["query"] = [body]
        self.answer(params)

    def refuse_method(self):
        self.fail(HTTPStatus.METHOD_NOT_ALLOWED, "read-only endpoint: use GET or POST")

    do_PUT = do_DELETE = do_PATCH = refuse_method

    def do_OPTIONS(self):
        """A CORS preflight, answered only when ``--cors`` names the asking origin."""
        if not self.host_allowed():
            return
        if urlsplit(self.path).path != "/sparql" or not self.allowed_origin():
            return self.refuse_method()
        self.send(HTTPStatus.NO_CONTENT, "text/plain; charset=utf-8", b"", preflight=True)

    def allowed_origin(self) -> Optional[str]:
        """The Access-Control-Allow-Origin value for this request, or None (no CORS for it)."""
        origins = self.server.cors
        if "*" in origins:
            return "*"
        origin = (self.headers.get("Origin") or "").strip()
        return origin if origin in origins else None

    # ---- helpers

    def host_allowed(self) -> bool:
        """Refuse foreign Host headers on a loopback server: a DNS-rebinding page must not read the graph."""
        if not self.server.loopback:
            return True
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0].strip("[]").lower()
        if host in ("localhost", "") or is_loopback(host):
            return True
        self.fail(HTTPStatus.FORBIDDEN, "unexpected Host header")
        return False

    def answer(self, params: dict[str, list[str]]) -> None:

        if "update" in params:
            return self.fail(HTTPStatus.FORBIDDEN, "read-only endpoint: SPARQL Update is refused")
        queries = params.get("query") or []
        bindings: dict[str, Any] = {}
        if params.get("canned"):
            canned = self.server.canned.get(params["canned"][0])
            if canned is None:
                return self.fail(HTTPStatus.BAD_REQUEST, f"no canned query {params['canned'][0]!r}")
            values = {key[len("param."):]: value[0] for key, value in params.items() if key.startswith("param.")}
            try:
                bindings = bind_params(canned, values)
            except InputError as err:
                return self.fail(HTTPStatus.BAD_REQUEST, err.problem)
            if not queries:  # the canned text itself: bound by VALUES, which Oxigraph plans (kg.rdf.query.with_values)
                queries, bindings = [with_values(canned.sparql, bindings)], {}
        if len(queries) != 1 or not queries[0].strip():
            return self.fail(HTTPStatus.BAD_REQUEST, "give exactly one non-empty `query` parameter")
        for key in ("default-graph-uri", "named-graph-uri"):
            for value in params.get(key, []):
                problem = graph_iri_problem(value)
                if problem:
                    return self.fail(HTTPStatus.BAD_REQUEST, f"{key}: {problem}")
        if not self.server.federated and service_clause(queries[0]):
            return self.fail(HTTPStatus.BAD_REQUEST, FEDERATED_DISABLED.format(how="start with"))
        format_name = next((params[key][0] for key in ("format", "output", "results") if params.get(key)), None)
        request = QueryRequest(queries[0], format_name, self.headers.get("Accept") or "",
                               tuple(params.get("default-graph-uri", [])), tuple(params.get("named-graph-uri", [])),
                               tuple(sorted(bindings.items())))
        retry = str(math.ceil(self.server.query_timeout))
        try:
            with self.server.builds.use() as served:
                self.build_id = served.build_id
                result = served.pool.run(request, self.server.query_timeout)
        except QueryTimeout:
            return self.fail(HTTPStatus.SERVICE_UNAVAILABLE,
                             f"query gave no answer within {self.server.query_timeout:g} s and was stopped", retry)
        except ServerBusy as busy:
            return self.fail(HTTPStatus.SERVICE_UNAVAILABLE, str(busy), retry)
        self.send(result.status, result.content_type, result.body)

    def fail(self, status: int, message: str, retry_after: Optional[str] = None) -> None:
        answer = error_answer(status, message)
        self.send(answer.status, answer.content_type, answer.body, retry_after=retry_after)

    def send(self, status: int, content_type: str, body: bytes, page: bool = False,
             retry_after: Optional[str] = None, preflight: bool = False) -> None:
        self.connection.settimeout(self.server.client_timeout)  # the reader may have left a shorter one
        if self.body_unread():  # what follows on the connection is not the next request
            self.close_connection = True
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-KG-Build", self.build_id or self.server.build_id)
        if retry_after:
            self.send_header("Retry-After", retry_after)
        if status == HTTPStatus.METHOD_NOT_ALLOWED:
            self.send_header("Allow", "GET, POST")
        if self.close_connection:
            self.send_header("Connection", "close")
        if self.server.cors and not page and urlsplit(getattr(self, "path", "")).path == "/sparql":
            self.send_cors_headers(preflight)
        if page:
            self.send_header("Referrer-Policy", "no-referrer")
            self.send_header("Content-Security-Policy", self.server.page_csp + "; frame-ancestors 'none'")
        self.end_headers()
        self.responded = True
        if self.command != "HEAD":
            self.wfile.write(body)


    def send_cors_headers(self, preflight: bool) -> None:
        origin = self.allowed_origin()
        if origin != "*":
            self.send_header("Vary", "Origin")  # the answer differs by origin: caches must not mix them
        if origin is None:
            return
        self.send_header("Access-Control-Allow-Origin", origin)
        self.send_header("Access-Control-Expose-Headers", "X-KG-Build")
        if preflight:
            self.send_header("Access-Control-Allow-Methods", CORS_METHODS)
            self.send_header("Access-Control-Allow-Headers", CORS_HEADERS)
            self.send_header("Access-Control-Max-Age", CORS_MAX_AGE)
            if (self.headers.get("Access-Control-Request-Private-Network") or "").lower() == "true":
                # Chromium asks before a public site's page may reach a loopback address
                self.send_header("Access-Control-Allow-Private-Network", "true")


# --------------------------------------------------------------------------- entry points


def pool_starter(workers: int, worker_memory: int, federated: bool, queue_limit: int,
                 spare_timeout: float) -> Callable[[Any], WorkerPool]:
    """A function that starts a ready WorkerPool on a held build (InputError if it cannot)."""

    def start(held) -> WorkerPool:
        shown = held.build_dir / "store"
        pool = WorkerPool(held.store_dir, workers, worker_memory, federated, queue_limit, spare_timeout)
        try:
            pool.wait_ready()
        except WorkerFailed as err:
            pool.close()
            raise InputError(shown, str(err)) from None
        except (EOFError, OSError, QueryTimeout):
            out_of_memory = any(not worker.process.is_alive() and worker.out_of_memory() for worker in pool.all)
            pool.close()
            if out_of_memory:
                raise InputError("--worker-memory", f"{format_memory(worker_memory)} per worker is too little "
                                                    "to open the store; give more") from None
            raise InputError(shown, "the query workers did not start") from None
        return pool

    return start


def make_server(build_dir: Path | str, host: str = "127.0.0.1", port: int = 8000,
                timeout: float = DEFAULT_TIMEOUT, workers: int = DEFAULT_WORKERS, *, federated: bool = False,
                worker_memory: int | str = DEFAULT_WORKER_MEMORY, queue_limit: int = DEFAULT_QUEUE,
                client_timeout: float = DEFAULT_CLIENT_TIMEOUT, spare_timeout: float = SPARE_TIMEOUT,
                check_interval: float = BUILD_CHECK_INTERVAL, cors: tuple[str, ...] | list[str] = (),
                notice: Callable[[str], None] = lambda _: None) -> SparqlServer:
    """A ready (not yet serving) endpoint; port 0 picks a free port (see ``server.url``).

    ``workers`` query processes plus one spare (see WorkerPool), each with ``worker_memory``
    bytes of heap (0: no limit); ``cors``: origins (or ``*``) whose pages may read /sparql;
    ``notice`` receives one-line news such as a build switch.
    """
    origins = cors_origins(cors)
    try:
        memory = parse_memory(worker_memory)
    except ValueError as err:
        raise InputError("--worker-memory", str(err)) from None
    if memory and memory < MIN_WORKER_MEMORY:
        raise InputError("--worker-memory", f"at least {format_memory(MIN_WORKER_MEMORY)} (or 0 for no limit), "
                                            f"got {format_memory(memory)}")
    if workers < 1:
        raise InputError("--workers", f"at least 1, got {workers}")
    if queue_limit < 0:
        raise InputError("--queue", f"0 or more, got {queue_limit}")
    builds = Builds(build_dir, pool_starter(workers, memory, federated, queue_limit, spare_timeout),
                    check_interval, notice)
    try:
        canned = canned_queries()
        return SparqlServer((host, port), builds, timeout, index_page(page_queries(canned)), canned,
                            federated=federated, client_timeout=client_timeout, cors=origins)
    except OSError as err:
        builds.close()
        raise InputError(f"{host}:{port}", f"cannot listen: {err.strerror or err}") from None


def serve(build_dir: Path | str, host: str = "127.0.0.1", port: int = 8000, timeout: float = DEFAULT_TIMEOUT,
          workers: int = DEFAULT_WORKERS, **limits) -> None:
    """Serve the build's store until interrupted (``limits``: the keyword options of make_server)."""

    def notice(message: str) -> None:
        print(f"kg serve: {message}", file=sys.stderr, flush=True)

    def stop(signum, frame):
        raise KeyboardInterrupt  # the same clean shutdown as Ctrl-C: workers stopped, builds released

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, stop)
    server = make_server(build_dir, host, port, timeout, workers, notice=notice, **limits)
    pool = server.pool
    memory = format_memory(pool.memory_limit) if pool.memory_limit else "no memory limit"
    if server.federated:
        network = "federated queries (SERVICE) allowed"
    else:
        network = "SERVICE refused" + (", workers without network" if pool.network_isolated else "")
    if "*" in server.cors:
        notice("warning: --cors '*' lets a page of any web site you visit read this endpoint")
    elif server.cors:
        notice(f"cross-origin reads of /sparql allowed for {', '.join(server.cors)}")
    print(f"SPARQL endpoint {server.url}sparql — query page {server.url} — build {server.build_id}\n"
          f"{workers}+1 query workers, {memory} each, {timeout:g} s per query, {pool.queue_limit} may wait; "
          f"{network} — Ctrl-C to stop", file=sys.stderr)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
