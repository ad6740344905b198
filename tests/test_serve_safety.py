"""kg serve / kg query under attack and load: federated queries, heavy queries, malformed
requests and rebuilds under a running server. Everything talks to 127.0.0.1 only."""
from __future__ import annotations

import json
import shutil
import socket
import threading
import time
import urllib.parse
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from kg.cli import main
from kg.errors import InputError
from kg.rdf.query import run_query, service_clause
from kg.serve import make_server, parse_memory
from browser import open_page, requires_chromium
from support import EX, LABELS, SLOW_QUERY, Running, http, make_build

REPO = Path(__file__).resolve().parent.parent
SERVICE_REFUSED = b"SERVICE (federated query) is disabled"
EMPTY_RESULTS = json.dumps({"head": {"vars": ["s", "p", "o"]}, "results": {"bindings": []}}).encode()


class Listener:
    """A TCP server on 127.0.0.1 that counts the connections it gets and answers every request
    with an empty SPARQL result (so that a federated query can succeed)."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/sparql"
        self.connections = 0
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    @staticmethod
    def _answer(conn):
        conn.settimeout(3)
        data = b""
        try:
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            while len(body) < length:
                body += conn.recv(4096)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n"
                         b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(EMPTY_RESULTS), EMPTY_RESULTS))
        except OSError:
            pass
        finally:
            conn.close()

    def close(self):
        self.sock.close()


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.close()


class Serving(Running):
    """A server with any make_server options, in a thread."""

    def __init__(self, build_dir: Path, **options):
        self.server = make_server(build_dir, "127.0.0.1", 0, **options)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = self.server.url
        self.endpoint = self.url + "sparql"


def get(running, query: str, **params):
    return http(running.endpoint + "?" + urllib.parse.urlencode({"query": query, **params}))


# --------------------------------------------------------------------------- SERVICE as a keyword

# {url} is the listener; every one of these is a SERVICE clause for Oxigraph (checked below)
SERVICE_QUERIES = [
    "SELECT * {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "select * {{ service <{url}> {{ ?s ?p ?o }} }}",
    "SELECT * {{ SERVICE SILENT <{url}> {{ ?s ?p ?o }} }}",
    "SELECT * {{ SERVICE<{url}>{{?s ?p ?o}} }}",
    "PREFIX : <{url}#> SELECT * {{ SERVICE:x{{ ?s ?p ?o }} }}",
    "PREFIX : <{url}#> PREFIX silent: <{url}#> SELECT * {{ SERVICE SILENT:x {{ ?s ?p ?o }} }}",
    "SELECT * {{ ?a ?b ?c .SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "SELECT * {{ {{}}SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "SELECT * {{\tSERVICE\t<{url}>\t{{ ?s ?p ?o }} }}",
    "SELECT * {{ # a comment\nSERVICE <{url}> {{ ?s ?p ?o }} }}",
    "SELECT * {{ SERVICE # a comment\n<{url}> {{ ?s ?p ?o }} }}",
    'SELECT * {{ BIND("a\\"" AS ?x) SERVICE <{url}> {{ ?s ?p ?o }} }}',
    'SELECT * {{ BIND("""a""" AS ?x) SERVICE <{url}> {{ ?s ?p ?o }} }}',
    "SELECT * {{ BIND(<http://a/#> AS ?x) SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "PREFIX ex: <http://x/> SELECT * {{ BIND(ex:b\\#c AS ?x) SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "PREFIX ex: <http://x/> SELECT * {{ BIND(ex:b\\'c AS ?x) SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "SELECT * {{ ?a ?b 1SERVICE <{url}> {{ ?s ?p ?o }} }}",  # no space needed after a number …
    "SELECT * {{ ?a ?b trueSERVICE <{url}> {{ ?s ?p ?o }} }}",  # … or a keyword
    "SELECT * {{ {{ SELECT * {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }} }}",
    "SELECT * {{ OPTIONAL {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }}",
    "CONSTRUCT {{ ?s ?p ?o }} WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "DESCRIBE ?s WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "ASK {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
]
# look like SERVICE to a substring search; none is a SERVICE clause (no connection either)
NOT_SERVICE_QUERIES = [
    "SELECT ?service WHERE {{ ?service ?p ?o }}",
    "SELECT $service WHERE {{ $service ?p ?o }}",
    "PREFIX ex: <http://x/> SELECT * {{ ?s ex:service ?o }}",
    'SELECT * {{ ?s ?p "SERVICE <{url}> {{ }}" }}',
    "SELECT * {{ ?s ?p '''SERVICE <{url}> {{ }}''' }}",
    "SELECT * {{ ?s ?p <http://x/SERVICE> }}",
    "SELECT * {{ # SERVICE <{url}> {{ ?s ?p ?o }}\n ?s ?p ?o }}",
    "PREFIX service: <{url}#> SELECT * {{ ?s service:p ?o }}",
    "PREFIX ex: <http://x/> SELECT * {{ ?s ex:a\\#SERVICE ?o }}",
    "PREFIX ex: <http://x/> SELECT * {{ ?s ex:a.service ?o }}",
    "SELECT * {{ _:service ?p ?o }}",
    "DESCRIBE <{url}>",
    "SELECT * FROM <{url}> {{ ?s ?p ?o }}",
    "SELECT * FROM NAMED <{url}> {{ GRAPH ?g {{ ?s ?p ?o }} }}",
    "SELECT * {{ GRAPH <{url}> {{ ?s ?p ?o }} }}",
]


def oxigraph_connects(query: str, listener: Listener) -> bool:
    """Does Oxigraph itself (no checks of ours) open a connection for this query?"""
    before = listener.connections
    store = ox.Store()
    for value in (ox.NamedNode(listener.url), ox.Literal(1), ox.Literal(True)):
        store.add(ox.Quad(ox.NamedNode("http://x/s"), ox.NamedNode("http://x/p"), value))
    result = store.query(query)
    if not isinstance(result, ox.QueryBoolean):
        list(result)
    return listener.connections > before


@pytest.mark.parametrize("template", SERVICE_QUERIES)
def test_service_clauses_are_found(template, listener):
    query = template.format(url=listener.url)
    assert service_clause(query), query
    assert oxigraph_connects(query, listener), f"not a SERVICE clause for Oxigraph, a useless case: {query}"


@pytest.mark.parametrize("template", NOT_SERVICE_QUERIES)
def test_words_that_only_look_like_service_are_not(template, listener):
    query = template.format(url=listener.url)
    assert not service_clause(query), query
    assert not oxigraph_connects(query, listener), query


# --------------------------------------------------------------------------- federated: endpoint and kg query


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    server = Running(make_build(tmp_path_factory.mktemp("build")))
    yield server
    server.stop()


def test_endpoint_refuses_service_and_makes_no_connection(running, listener):
    for template in SERVICE_QUERIES:
        status, _, body = get(running, template.format(url=listener.url))
        assert status == 400 and body.startswith(SERVICE_REFUSED) and b"--allow-federated" in body, body
    form = urllib.parse.urlencode({"query": SERVICE_QUERIES[0].format(url=listener.url)}).encode()
    status, _, body = http(running.endpoint, data=form, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 400 and body.startswith(SERVICE_REFUSED)
    assert listener.connections == 0


def test_no_other_query_form_fetches_anything(running, listener):
    for template in NOT_SERVICE_QUERIES:
        assert get(running, template.format(url=listener.url))[0] == 200, template
    load = f"LOAD <{listener.url}>"
    assert get(running, load)[0] == 400  # an update is not a query
    assert http(running.endpoint, data=load.encode(), headers={"Content-Type": "application/sparql-update"})[0] == 403
    form = urllib.parse.urlencode({"update": load}).encode()
    assert http(running.endpoint, data=form, headers={"Content-Type": "application/x-www-form-urlencoded"})[0] == 403
    assert listener.connections == 0


def test_endpoint_with_allow_federated_does_connect(tmp_path, listener):
    server = Serving(make_build(tmp_path), timeout=20)
    federated = Serving(tmp_path, timeout=20, federated=True)
    try:
        query = SERVICE_QUERIES[0].format(url=listener.url)
        status, _, body = get(federated, query)
        assert status == 200 and json.loads(body)["results"]["bindings"] == []
        assert listener.connections == 1
        assert get(server, query)[0] == 400 and listener.connections == 1  # the default server still refuses
    finally:
        federated.stop()
        server.stop()


def test_workers_have_no_network_unless_federated(tmp_path, listener):
    """Beneath the keyword check: a worker of a non-federated server reaches no address."""
    from kg.serve import QueryRequest, WorkerPool

    make_build(tmp_path)
    for federated in (False, True):
        pool = WorkerPool(tmp_path / "store", size=1, federated=federated)
        try:
            pool.wait_ready()
            before = listener.connections
            answer = pool.run(QueryRequest(SERVICE_QUERIES[0].format(url=listener.url)), timeout=20)
            connected = listener.connections > before
            if federated:
                assert connected and answer.status == 200
            else:
                # isolation needs a kernel that allows network namespaces; where it does not,
                # the pool says so (kg serve prints it) and only the keyword check protects
                assert connected == (not pool.network_isolated), answer
        finally:
            pool.close()


@pytest.fixture(scope="module")
def query_build(tmp_path_factory):
    return make_build(tmp_path_factory.mktemp("query-build"))


def test_kg_query_refuses_service_in_one_line(query_build, listener):
    runner = CliRunner()
    query = SERVICE_QUERIES[0].format(url=listener.url)
    out = runner.invoke(main, ["query", query, "-b", str(query_build)])
    assert out.exit_code == 2
    assert out.output.strip().splitlines() == [
        "Error: query: SERVICE (federated query) is disabled; run with --allow-federated to allow it"]
    with pytest.raises(InputError, match="SERVICE"):
        run_query(query_build, query)
    assert listener.connections == 0
    out = runner.invoke(main, ["query", query, "-b", str(query_build), "--allow-federated", "-f", "json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output) == [] and listener.connections == 1


# --------------------------------------------------------------------------- heavy queries


def running_queries(server, count: int, query: str = SLOW_QUERY) -> list[threading.Thread]:
    """Start ``count`` requests in threads and wait until each occupies a worker."""
    pool = server.server.pool
    busy_before = pool.size + 1 - len(pool.free) - len(pool.spare_free)
    threads = [threading.Thread(target=get, args=(server, query), daemon=True) for _ in range(count)]
    for thread in threads:
        thread.start()
    for _ in range(400):
        if pool.size + 1 - len(pool.free) - len(pool.spare_free) >= busy_before + count:
            break
        time.sleep(0.05)
    return threads


def test_a_cheap_query_answers_while_heavy_ones_occupy_every_worker(tmp_path):
    running = Serving(make_build(tmp_path), timeout=30, workers=2, spare_timeout=1.0)
    try:
        heavy = running_queries(running, 2)
        assert running.server.pool.free == []  # both regular workers hold a heavy query
        status, headers_type, body = get(running, "ASK {}")
        assert status == 200 and json.loads(body)["boolean"] is True
        assert all(thread.is_alive() for thread in heavy)  # answered while they still run
        # a third heavy query gets the spare worker, for a second only, and then a clear 503
        status, _, body = get(running, SLOW_QUERY)
        assert status == 503 and b"busy with long queries" in body
        assert all(thread.is_alive() for thread in heavy)
        assert get(running, "ASK {}")[0] == 200  # the spare was replaced
    finally:
        running.stop()


def test_requests_beyond_the_queue_get_503_at_once(tmp_path):
    import urllib.request

    running = Serving(make_build(tmp_path), timeout=30, workers=1, queue_limit=0,
                                 spare_timeout=30)
    try:
        heavy = running_queries(running, 2)  # the one worker and the spare
        request = urllib.request.Request(running.endpoint + "?" + urllib.parse.urlencode({"query": "ASK {}"}))
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=20)
        assert refused.value.code == 503 and refused.value.headers["Retry-After"] == "30"
        assert b"already waiting" in refused.value.read()
        assert all(thread.is_alive() for thread in heavy)
    finally:
        running.stop()


def big_build(root: Path, triples: int = 3000) -> Path:
    store = ox.Store(str(root / "store"))
    store.bulk_extend([ox.Quad(ox.NamedNode(f"http://example.org/s{i}"), ox.NamedNode("http://example.org/p"),
                               ox.Literal(i), ox.DefaultGraph()) for i in range(triples)])
    store.flush()
    del store
    return root


def test_a_query_past_the_memory_limit_is_answered_and_its_worker_replaced(tmp_path, capfd):
    running = Serving(big_build(tmp_path), timeout=60, workers=1, worker_memory="300M")
    try:
        # 9 million rows to sort: gigabytes, past 300 MiB long before the time limit
        status, _, body = get(running, "SELECT ?a ?d WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?d ?a")
        assert status == 503 and b"query exceeded the memory limit (300 MiB per query worker)" in body
        status, _, body = get(running, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
        assert status == 200 and json.loads(body)["results"]["bindings"][0]["n"]["value"] == "3000"
    finally:
        running.stop()
    assert "Traceback" not in capfd.readouterr().err


def test_memory_sizes():
    assert parse_memory("2G") == 2 * 1024 ** 3 and parse_memory("512MiB") == 512 * 1024 ** 2
    assert parse_memory("1.5g") == int(1.5 * 1024 ** 3) and parse_memory("0") == 0
    with pytest.raises(ValueError):
        parse_memory("lots")


def test_bad_limits_are_one_line_errors(tmp_path):
    make_build(tmp_path)
    with pytest.raises(InputError, match="--worker-memory: at least 256 MiB"):
        make_server(tmp_path, port=0, worker_memory="10M")
    out = CliRunner().invoke(main, ["serve", str(tmp_path), "--port", "0", "--worker-memory", "lots"])
    assert out.exit_code == 2 and out.output.strip() == \
        "Error: --worker-memory: expected a size such as 2G or 512M, got 'lots'"


# --------------------------------------------------------------------------- malformed requests


CLIENT_TIMEOUT = 1.5


@pytest.fixture(scope="module")
def strict(tmp_path_factory):
    """A server that gives clients 1.5 s to send a request."""
    running = Serving(make_build(tmp_path_factory.mktemp("strict")), timeout=10,
                                 client_timeout=CLIENT_TIMEOUT)
    yield running
    running.stop()


def raw_exchange(server, data: bytes, wait: float = 20) -> bytes:
    """Send raw bytes, return everything the server sends until it closes (or ``wait`` passes)."""
    port = server.server.server_address[1]
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as conn:
        conn.sendall(data)
        received = b""
        while True:
            try:
                chunk = conn.recv(65536)
            except TimeoutError:
                return received + b"<still open>"
            if not chunk:
                return received
            received += chunk


def post(body: bytes, *headers: str) -> bytes:
    lines = ["POST /sparql HTTP/1.1", "Host: localhost", "Content-Type: application/sparql-query", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def status_of(reply: bytes) -> int:
    assert reply.startswith(b"HTTP/1.1 "), reply[:200]
    return int(reply.split(b" ", 2)[1])


@pytest.mark.parametrize("request_bytes, status, message", [
    (post(b"ASK {}", "Content-Length: abc"), 400, b"Content-Length must be a number of bytes, got 'abc'"),
    (post(b"ASK {}", "Content-Length: -5"), 400, b"Content-Length must be a number of bytes, got '-5'"),
    (post(b"ASK {}", "Content-Length: 6", "Content-Length: 7"), 400, b"conflicting Content-Length"),
    (post(b"ASK {}"), 411, b"POST needs a Content-Length header"),
    (post(b"6\r\nASK {}\r\n0\r\n\r\n", "Transfer-Encoding: chunked"), 411, b"chunked"),
    (post(b"ASK {}", "Content-Length: 99999999"), 413, b"request body too large"),
    (post(b"ASK {}", "Content-Length: 100"), 408, b"did not arrive within 1.5 s"),
    (b"GET /sparql?query=ASK%7B%7D&default-graph-uri=not%20an%20iri HTTP/1.1\r\nHost: localhost\r\n\r\n",
     400, b"default-graph-uri: not an IRI: 'not an iri'"),
    (b"GET /sparql?query=ASK%7B%7D&named-graph-uri=graph HTTP/1.1\r\nHost: localhost\r\n\r\n",
     400, b"named-graph-uri: not an"),
    (b"GET /sparql?query=ASK", 408, b"request not received completely within 1.5 s"),
    (b"GET /sparql HTTP/1.1\r\nHost: localhost\r\nX-Slow: ", 408, b"request not received completely"),
    (b"BREW /pot HTTP/1.1\r\nHost: localhost\r\n\r\n", 501, b"Unsupported method"),
    (b"GET / HTTP/9.9\r\n\r\n", 505, b""),
])
def test_malformed_requests_get_a_quick_4xx_and_the_connection_closes(strict, capfd, request_bytes, status, message):
    reply = raw_exchange(strict, request_bytes)
    assert not reply.endswith(b"<still open>"), reply
    assert status_of(reply) == status and message in reply, reply
    head = reply.split(b"\r\n\r\n", 1)[0]
    assert b"\r\nX-KG-Build: none" in head
    if not request_bytes.startswith(b"GET /sparql?"):  # what follows is not a request: do not read it as one
        assert b"\r\nConnection: close" in head
    assert "Traceback" not in capfd.readouterr().err


def test_an_idle_connection_is_closed_after_the_client_timeout(strict):
    assert raw_exchange(strict, b"") == b""  # closed, not <still open>


def test_a_request_sent_byte_by_byte_cannot_hold_a_thread(strict):
    """A socket timeout alone restarts with each byte: the deadline counts the whole request."""
    port = strict.server.server_address[1]
    with socket.create_connection(("127.0.0.1", port), timeout=20) as conn:
        request = b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: localhost\r\n" + b"X-Drip: " + b"x" * 200
        sent = 0
        for byte in request:  # one byte every 0.1 s: 25 s for all, far past the 1.5 s deadline
            try:
                conn.sendall(bytes([byte]))
            except OSError:
                break
            sent += 1
            conn.settimeout(0.1)
            try:
                if conn.recv(65536):
                    break
            except TimeoutError:
                continue
    assert sent < len(request)


def test_a_refused_post_closes_the_connection_so_its_body_is_not_read_as_a_request(strict):
    smuggled = b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: localhost\r\n\r\n"
    reply = raw_exchange(strict, b"POST /nowhere HTTP/1.1\r\nHost: localhost\r\nContent-Length: %d\r\n\r\n%s"
                         % (len(smuggled), smuggled))
    assert status_of(reply) == 404 and reply.count(b"HTTP/1.1 ") == 1


def test_keep_alive_still_works_for_good_requests(strict):
    one = b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: localhost\r\n\r\n"
    last = one.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n")
    reply = raw_exchange(strict, one + one + last)
    assert reply.count(b"HTTP/1.1 200 OK") == 3


# --------------------------------------------------------------------------- rebuilds under a running server

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


def small_corpora(root: Path) -> tuple[Path, Path]:
    one, two = root / "one", root / "two"
    one.mkdir()
    two.mkdir()
    documents = sorted((REPO / "corpus").glob("*.txt"))[:2]
    shutil.copy(documents[0], one)
    for document in documents:
        shutil.copy(document, two)
    return one, two


def count_and_build(running) -> tuple[str, int]:
    import urllib.request

    url = running.endpoint + "?" + urllib.parse.urlencode({"query": COUNT})
    with urllib.request.urlopen(url, timeout=30) as response:
        count = int(json.loads(response.read())["results"]["bindings"][0]["n"]["value"])
        return response.headers["X-KG-Build"], count


def test_a_rebuild_switches_the_server_to_the_new_build_atomically(tmp_path):
    from kg.build import build
    from kg.fileio import read_build_marker, remove_stale

    one, two = small_corpora(tmp_path)
    out = tmp_path / "build"
    build(one, out, views=False, reports=False)
    first = read_build_marker(out)["build_id"]
    first_count = run_query(out, COUNT).rows[0][0]
    running = Serving(out, timeout=30, check_interval=0.2)
    seen: list[tuple[str, int]] = []
    stop = threading.Event()

    def keep_asking():
        while not stop.is_set():
            seen.append(count_and_build(running))

    askers = [threading.Thread(target=keep_asking) for _ in range(2)]
    try:
        assert count_and_build(running) == (first, first_count)
        for asker in askers:
            asker.start()
        build(two, out, views=False, reports=False)
        second = read_build_marker(out)["build_id"]
        second_count = run_query(out, COUNT).rows[0][0]
        assert second != first and second_count != first_count
        for _ in range(300):
            if count_and_build(running)[0] == second:
                break
            time.sleep(0.1)
        stop.set()
        for asker in askers:
            asker.join()
        assert count_and_build(running) == (second, second_count)
        # every answer came from one build, and says which
        assert set(seen) <= {(first, first_count), (second, second_count)}, set(seen)
        # the old build was held while it was served, and released after the switch
        parked = tmp_path / f".build.old-{first}"
        assert remove_stale(out) == [parked] and not parked.exists()
    finally:
        stop.set()
        running.stop()


def test_kg_query_reads_one_build_while_a_rebuild_swaps_another_in(tmp_path):
    from kg.build import build
    from kg.rdf.store import held_store

    one, two = small_corpora(tmp_path)
    out = tmp_path / "build"
    build(one, out, views=False, reports=False)
    with held_store(out) as store:
        before = run_query(out, COUNT, store=store).rows
        build(two, out, views=False, reports=False)
        # the held build is parked, not deleted, and still answers whole
        assert run_query(out, COUNT, store=store).rows == before
        assert list(tmp_path.glob(".build.old-*"))
    after = run_query(out, COUNT).rows
    assert after != before
    out_cli = CliRunner().invoke(main, ["query", COUNT, "-b", str(out), "-f", "json"])
    assert out_cli.exit_code == 0 and json.loads(out_cli.output) == [{"n": after[0][0]}]


def test_until_it_switches_every_worker_answers_from_the_held_build(tmp_path):
    """A worker started after the rebuild (replacing one killed at the time limit) still opens
    the build the server holds, not whatever is at the path now: no mixed answers."""
    from kg.build import build
    from kg.fileio import read_build_marker

    one, two = small_corpora(tmp_path)
    out = tmp_path / "build"
    build(one, out, views=False, reports=False)
    first = read_build_marker(out)["build_id"]
    first_count = run_query(out, COUNT).rows[0][0]
    running = Serving(out, timeout=1.5, workers=1, check_interval=3600)  # never looks for a new build
    try:
        assert count_and_build(running) == (first, first_count)
        build(two, out, views=False, reports=False)
        assert run_query(out, COUNT).rows[0][0] != first_count
        assert get(running, SLOW_QUERY)[0] == 503  # its worker is killed and a new one started
        assert count_and_build(running) == (first, first_count)
    finally:
        running.stop()


def test_queries_in_flight_finish_on_the_old_build_which_is_then_released(tmp_path):
    from kg.build import build
    from kg.fileio import remove_stale
    from kg.serve import QueryRequest

    one, two = small_corpora(tmp_path)
    out = tmp_path / "build"
    build(one, out, views=False, reports=False)
    first_count = run_query(out, COUNT).rows[0][0]
    running = Serving(out, timeout=30, check_interval=0)
    builds = running.server.builds
    try:
        with builds.use() as in_flight:  # a request that started before the rebuild
            build(two, out, views=False, reports=False)
            builds.check()
            assert builds.current is not in_flight and builds.current.build_id != in_flight.build_id
            answer = in_flight.pool.run(QueryRequest(COUNT), 30)
            assert json.loads(answer.body)["results"]["bindings"][0]["n"]["value"] == str(first_count)
            assert remove_stale(out) == []  # still held
            assert not in_flight.closed
        assert in_flight.closed and in_flight.pool.closed
        assert remove_stale(out) == [tmp_path / f".build.old-{in_flight.build_id}"]
    finally:
        running.stop()


# --------------------------------------------------------------------------- the query page and hostile text

HOSTILE_MARKUP = '</script><script>window.__xss=1</script><img src=x onerror="window.__xss=1;alert(1)">'


@requires_chromium
@pytest.mark.browser
def test_query_page_shows_hostile_text_from_links_results_and_errors_as_text_only(browser, tmp_path):
    """A shared link is attacker-controlled: its query, canned name and parameters, the rows they
    return and the server's error messages all reach the page, and all stay text."""
    running = Running(make_build(tmp_path))
    try:
        query = f"# {HOSTILE_MARKUP}\nSELECT ?s ?label WHERE {{ ?s <{EX}label> ?label }}"
        link = running.url + "#" + urllib.parse.urlencode({"query": query, "canned": HOSTILE_MARKUP,
                                                           f"param.{HOSTILE_MARKUP}": HOSTILE_MARKUP})
        with open_page(browser, link, allowed_prefixes=(running.url,)) as (page, log):
            page.wait_for_selector("#result-table tbody tr")
            assert page.evaluate("window.kgEditor.getValue()") == query  # the editor holds it as text
            assert page.input_value("#canned") == "" and page.locator("#params input").count() == 0
            page.click("#result-table th[data-column=label] button")  # sorting re-renders the cells
            page.click("#result-table th[data-column=label] button")
            cells = page.eval_on_selector_all("#result-table tbody td:nth-child(3)",
                                              "tds => tds.map(td => [td.textContent, td.childElementCount])")
            assert sorted(text for text, _ in cells) == sorted(LABELS)  # XSS_LABEL among them, verbatim
            assert all(children == 0 for _, children in cells)
            # an error message that quotes the hostile text is shown as text in place
            page.evaluate("text => window.kgEditor.setValue(text)", f"SELECT {HOSTILE_MARKUP}")
            page.click("#run")
            page.wait_for_selector("#query-error")
            assert page.eval_on_selector("#query-error pre", "pre => pre.childElementCount") == 0
            assert page.evaluate("document.images.length") == 0 and page.evaluate("window.__xss === undefined")
            assert page.evaluate("document.querySelectorAll('script').length") == 5  # the page's own, no more
            log.console_errors = [error for error in log.console_errors if "400" not in error]
            log.assert_clean()
    finally:
        running.stop()
