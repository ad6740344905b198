"""A read-only SPARQL 1.1 Protocol endpoint over a build's Oxigraph store, plus a query page.

``GET /sparql?query=…`` and ``POST /sparql`` (form or ``application/sparql-query``) answer
SELECT/ASK as SPARQL JSON, XML, CSV or TSV and CONSTRUCT/DESCRIBE as Turtle, JSON-LD,
N-Triples or RDF/XML, chosen by the ``format`` parameter or the Accept header. ``GET /`` is a
self-contained page with a query editor, the canned queries and a results table.

A canned query of ``ontology/queries`` runs with ``canned=<name>`` (instead of or beside
``query``) and its declared parameters as ``param.<name>=<value>``: the values are checked and
typed by ``kg.query.bind_params`` and bound by Oxigraph, never pasted into the query text.

Read-only by construction: every query runs in a worker process that opened the store with
``Store.read_only``; SPARQL Update and any other method or path get a 4xx. A query that runs
past the time limit is abandoned with 503 and its worker process killed, because a running
Oxigraph query cannot be interrupted from another thread.
"""
from __future__ import annotations

import ipaddress
import multiprocessing
import queue
import sys
import threading
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Optional
from urllib.parse import parse_qs, urlsplit

from kg.errors import InputError
from kg.namespace import QUERIES_DIR

DEFAULT_TIMEOUT = 10.0
MAX_BODY = 1_000_000  # bytes; a SPARQL query longer than this is not a query

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
}
# `format` / `output` parameter values (SPARQLWrapper sends these too)
RESULT_NAMES = {"json": "JSON", "xml": "XML", "csv": "CSV", "tsv": "TSV"}
GRAPH_NAMES = {"turtle": "TURTLE", "ttl": "TURTLE", "n3": "TURTLE", "json-ld": "JSON_LD", "jsonld": "JSON_LD",
               "json": "JSON_LD", "nt": "N_TRIPLES", "ntriples": "N_TRIPLES", "n-triples": "N_TRIPLES",
               "xml": "RDF_XML", "rdf": "RDF_XML", "rdf+xml": "RDF_XML", "rdfxml": "RDF_XML"}
CONTENT_TYPES = {"JSON": "application/sparql-results+json", "XML": "application/sparql-results+xml",
                 "CSV": "text/csv", "TSV": "text/tab-separated-values", "TURTLE": "text/turtle",
                 "JSON_LD": "application/ld+json", "N_TRIPLES": "application/n-triples",
                 "RDF_XML": "application/rdf+xml"}


class QueryTimeout(Exception):
    pass


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
    import pyoxigraph as ox

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
    body = result.serialize(format=fmt)
    content_type = CONTENT_TYPES[chosen]
    if chosen in ("CSV", "TSV", "TURTLE", "N_TRIPLES"):
        content_type += "; charset=utf-8"
    return QueryAnswer(HTTPStatus.OK, content_type, body)


def default_prefixes() -> dict[str, str]:
    """The project's prefixes (kg:, skos:, prov: …), usable without PREFIX lines."""
    try:
        from kg.namespace import PREFIXES
    except ImportError:
        return {}
    return dict(PREFIXES)


def error_answer(status: int, message: str) -> QueryAnswer:
    return QueryAnswer(int(status), "text/plain; charset=utf-8", (message.strip() + "\n").encode("utf-8"))


def worker_main(store_path: str, conn) -> None:
    """Loop of one worker process: receive QueryRequests, send QueryAnswers."""
    import pyoxigraph as ox

    store = ox.Store.read_only(store_path)
    while True:
        try:
            request = conn.recv()
        except EOFError:
            return
        try:
            answer = run_in_store(store, request)
        except Exception as err:  # a store failure answers this request; the worker lives on
            answer = error_answer(HTTPStatus.INTERNAL_SERVER_ERROR, f"query failed: {err}")
        conn.send(answer)


class Worker:
    def __init__(self, store_path: Path, context):
        self.conn, child = context.Pipe()
        self.process = context.Process(target=worker_main, args=(str(store_path), child), daemon=True)
        self.process.start()
        child.close()

    def ask(self, request: QueryRequest, timeout: float) -> QueryAnswer:
        self.conn.send(request)
        if not self.conn.poll(timeout):
            raise QueryTimeout
        return self.conn.recv()

    def stop(self) -> None:
        self.process.kill()
        self.process.join(5)
        self.conn.close()


class WorkerPool:
    """A few query processes; a worker that overruns its time limit is killed and replaced."""

    def __init__(self, store_path: Path, size: int = 2):
        self.store_path = store_path
        self.context = multiprocessing.get_context("spawn")  # fork is unsafe in a threaded server
        self.idle: queue.Queue[Worker] = queue.Queue()
        self.all: set[Worker] = set()
        self.lock = threading.Lock()
        for _ in range(size):
            self._add()

    def _add(self) -> None:
        worker = Worker(self.store_path, self.context)
        with self.lock:
            self.all.add(worker)
        self.idle.put(worker)

    def run(self, request: QueryRequest, timeout: float) -> QueryAnswer:
        try:
            worker = self.idle.get(timeout=timeout)
        except queue.Empty:
            raise QueryTimeout from None
        try:
            answer = worker.ask(request, timeout)
        except QueryTimeout:
            self._replace(worker)
            raise
        except (EOFError, OSError):
            self._replace(worker)
            return error_answer(HTTPStatus.INTERNAL_SERVER_ERROR, "the query worker process died; try again")
        self.idle.put(worker)
        return answer

    def _replace(self, worker: Worker) -> None:
        self._retire(worker)
        self._add()

    def _retire(self, worker: Worker) -> None:
        with self.lock:
            self.all.discard(worker)
        worker.stop()

    def close(self) -> None:
        with self.lock:
            workers = list(self.all)
            self.all.clear()
        for worker in workers:
            worker.stop()


# --------------------------------------------------------------------------- HTTP


def canned_query_list() -> list[dict[str, Any]]:
    """[{name, title, sparql[, params]}] of the bundled queries, for the picker of the query page."""
    try:
        from kg.query import canned_queries
    except ImportError:
        return queries_from_folder(QUERIES_DIR)
    return normalise_queries(canned_queries())


def canned_query_objects() -> dict[str, Any]:
    """name -> kg.query.CannedQuery, whose parameter declarations check values sent to the server."""
    try:
        from kg.query import canned_queries
    except ImportError:
        return {}
    return canned_queries()


def param_list(query: Any) -> list[dict[str, Any]]:
    """The declared parameters of a canned query as plain data for the page."""
    params = query.get("params") if isinstance(query, dict) else getattr(query, "params", None)
    result = []
    for param in params or []:
        get = param.get if isinstance(param, dict) else lambda key, p=param: getattr(p, key, None)
        if get("name"):
            result.append({"name": str(get("name")), "type": str(get("type") or "string"),
                           "required": bool(get("required")), "description": str(get("description") or "")})
    return result


def normalise_queries(queries: Any) -> list[dict[str, str]]:
    """Accept a mapping name -> text/object or a list of objects/dicts with a name and SPARQL text."""
    items = queries.items() if isinstance(queries, dict) else ((None, q) for q in queries)
    result = []
    for name, query in items:
        if isinstance(query, str):
            text, title = query, None
        elif isinstance(query, dict):
            text = query.get("sparql") or query.get("query") or query.get("text") or ""
            title = query.get("title") or query.get("description")
            name = name or query.get("name")
        else:
            text = getattr(query, "sparql", None) or getattr(query, "query", None) or getattr(query, "text", "")
            title = getattr(query, "title", None) or getattr(query, "description", None)
            name = name or getattr(query, "name", None)
        if text:
            entry: dict[str, Any] = {"name": str(name or f"query {len(result) + 1}"), "title": str(title or name or ""),
                                     "sparql": str(text)}
            params = param_list(query)
            if params:
                entry["params"] = params
            result.append(entry)
    return result


def queries_from_folder(folder: Path) -> list[dict[str, str]]:
    return [{"name": path.stem, "title": path.stem, "sparql": path.read_text(encoding="utf-8")}
            for path in sorted(folder.glob("*.rq"))]


def index_page(queries: list[dict[str, str]]) -> tuple[bytes, str]:
    """The query page and its Content-Security-Policy."""
    from kg.view import csp_hash, safe_json, template_env

    templates = Path(__file__).parent / "templates"
    app = (templates / "serve_app.js").read_text(encoding="utf-8")
    data_script = f"window.KG_QUERIES = {safe_json(queries)};"
    csp = (f"default-src 'none'; script-src {csp_hash(data_script)} {csp_hash(app)}; style-src 'unsafe-inline'; "
           "connect-src 'self'; img-src data:; form-action 'none'; base-uri 'none'")
    html = template_env().get_template("serve_index.html").render(data_script=data_script, app_js=app, csp=csp,
                                                                 queries=queries)
    return html.encode("utf-8"), csp


class SparqlServer(ThreadingHTTPServer):
    daemon_threads = True
    verbose = False  # request log on stderr

    def __init__(self, address, pool: WorkerPool, timeout: float, page: tuple[bytes, str],
                 canned: Optional[dict[str, Any]] = None):
        self.pool = pool
        self.canned = canned or {}
        self.query_timeout = timeout
        self.page, self.page_csp = page
        super().__init__(address, SparqlHandler)
        self.loopback = is_loopback(self.server_address[0])

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{port}/"

    def server_close(self) -> None:
        super().server_close()
        self.pool.close()


def bind_canned(canned: Any, values: dict[str, str]) -> dict[str, Any]:
    """Typed terms for the declared parameters of a canned query (InputError on a bad value)."""
    from kg.query import bind_params

    return bind_params(canned, values)


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


class SparqlHandler(BaseHTTPRequestHandler):
    server: SparqlServer
    server_version = "policy-kg-sparql"
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 - signature of the base class
        if self.server.verbose:
            super().log_message(format, *args)

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
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            return self.fail(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "request body too large")
        body = self.rfile.read(length).decode("utf-8", errors="replace")
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        params = parse_qs(url.query, keep_blank_values=True)
        if content_type == "application/x-www-form-urlencoded":
            for key, values in parse_qs(body, keep_blank_values=True).items():
                params.setdefault(key, []).extend(values)
        elif content_type == "application/sparql-query":
            params["query"] = [body]
        elif content_type == "application/sparql-update":
            return self.fail(HTTPStatus.FORBIDDEN, "read-only endpoint: SPARQL Update is refused")
        else:
            return self.fail(HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                             "POST application/x-www-form-urlencoded or application/sparql-query")
        self.answer(params)

    def refuse_method(self):
        self.fail(HTTPStatus.METHOD_NOT_ALLOWED, "read-only endpoint: use GET or POST")

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = refuse_method

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
                bindings = bind_canned(canned, values)
            except InputError as err:
                return self.fail(HTTPStatus.BAD_REQUEST, err.problem)
            queries = queries or [canned.sparql]
        if len(queries) != 1 or not queries[0].strip():
            return self.fail(HTTPStatus.BAD_REQUEST, "give exactly one non-empty `query` parameter")
        format_name = next((params[key][0] for key in ("format", "output", "results") if params.get(key)), None)
        request = QueryRequest(queries[0], format_name, self.headers.get("Accept") or "",
                               tuple(params.get("default-graph-uri", [])), tuple(params.get("named-graph-uri", [])),
                               tuple(sorted(bindings.items())))
        try:
            result = self.server.pool.run(request, self.server.query_timeout)
        except QueryTimeout:
            return self.fail(HTTPStatus.SERVICE_UNAVAILABLE,
                             f"query gave no answer within {self.server.query_timeout:g} s and was stopped")
        self.send(result.status, result.content_type, result.body)

    def fail(self, status: int, message: str) -> None:
        answer = error_answer(status, message)
        self.send(answer.status, answer.content_type, answer.body)

    def send(self, status: int, content_type: str, body: bytes, page: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Cache-Control", "no-store")
        if status == HTTPStatus.METHOD_NOT_ALLOWED:
            self.send_header("Allow", "GET, POST")
        if page:
            self.send_header("Referrer-Policy", "no-referrer")
            self.send_header("Content-Security-Policy", self.server.page_csp + "; frame-ancestors 'none'")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


# --------------------------------------------------------------------------- entry points


def store_path(build_dir: Path | str) -> Path:
    path = Path(build_dir) / "store"
    if not path.is_dir():
        raise InputError(path, "no Oxigraph store here (run `kg build` first)")
    return path


def make_server(build_dir: Path | str, host: str = "127.0.0.1", port: int = 8000,
                timeout: float = DEFAULT_TIMEOUT, workers: int = 2) -> SparqlServer:
    """A ready (not yet serving) endpoint; port 0 picks a free port (see ``server.url``)."""
    import pyoxigraph as ox

    path = store_path(build_dir)
    try:
        ox.Store.read_only(str(path))  # fail here, with a clear message, rather than in every worker
    except OSError as err:
        raise InputError(path, f"cannot open the store read-only: {err}") from None
    pool = WorkerPool(path, workers)
    try:
        return SparqlServer((host, port), pool, timeout, index_page(canned_query_list()), canned_query_objects())
    except OSError as err:
        pool.close()
        raise InputError(f"{host}:{port}", f"cannot listen: {err.strerror or err}") from None


def serve(build_dir: Path | str, host: str = "127.0.0.1", port: int = 8000, timeout: float = DEFAULT_TIMEOUT,
          workers: int = 2) -> None:
    """Serve the build's store until interrupted."""
    server = make_server(build_dir, host, port, timeout, workers)
    print(f"SPARQL endpoint {server.url}sparql — query page {server.url} — Ctrl-C to stop", file=sys.stderr)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
