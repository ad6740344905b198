"""SPARQL over a build's Oxigraph store, and the canned queries of ``ontology/queries/*.rq``.

Queries see the union of all named graphs as their default graph and may use the project
prefixes (kg:, oa:, skos: ...) without declaring them. A canned query's parameters are typed
(``bind_params``), names are checked against the build (``check_names``: an unknown one gets the
nearest known ones) and the values are bound by a VALUES block written with Oxigraph's own term
serialiser (``with_values``): Oxigraph plans it as the selective start of the join, which it does
not do for substitutions. Ad-hoc queries (``run_query``) still take Oxigraph substitutions.

Federated queries (``SERVICE <http://…>``, which make Oxigraph send HTTP requests to any
address) are refused before execution unless ``federated=True`` (``--allow-federated``):
``service_clause`` finds the SERVICE keyword with a small SPARQL tokenizer, so variables,
prefixed names, strings, IRIs and comments that merely contain the word do not count.

A canned query file starts with a comment header::

    # Title: A program's documents and years
    # Description: Every document mentioning the program ...
    #   (continuation lines are indented)
    # Param: ?program string required  Preferred or alternative label, e.g. 新优质初中
"""
from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Mapping

import pyoxigraph as ox
from rdflib import Literal as RdfLiteral, URIRef

from urllib.parse import unquote

from kg.analysis.lookup import nearest_names, unknown_name
from kg.errors import InputError
from kg.fileio import spreadsheet_safe
from kg.rdf.namespace import PREFIXES, QUERIES_DIR
from kg.rdf.store import held_store
from kg.text import format_table

XSD = "http://www.w3.org/2001/XMLSchema#"
INTEGER_TYPES = {f"{XSD}{name}" for name in (
    "integer", "int", "long", "short", "nonNegativeInteger", "positiveInteger", "nonPositiveInteger",
    "negativeInteger", "unsignedInt", "unsignedLong")}
# document / program / indicator / government: strings a build must know (checked before the query runs)
NAME_QUERIES = {
    "document": "SELECT ?name WHERE { ?d a kg:PolicyDocument ; kg:docId ?name }",
    "program": "SELECT DISTINCT (STR(?label) AS ?name) WHERE { ?c skos:inScheme kg:programScheme ; "
               "skos:prefLabel|skos:altLabel ?label }",
    "indicator": "SELECT DISTINCT ?name WHERE { { ?t kg:indicatorLabel ?name } UNION "
                 "{ ?t kg:indicator/skos:prefLabel ?label BIND(STR(?label) AS ?name) } }",
    "government": "SELECT DISTINCT ?name WHERE { ?d a kg:PolicyDocument ; kg:governmentKey ?name }",
}
PARTIAL_NAMES = {"indicator"}  # matched by CONTAINS in the queries: any part of a known name will do
PARAM_TYPES = ("string", "integer", "decimal", "year", "iri", "boolean", *NAME_QUERIES)
HEADER_LINE = re.compile(r"^#\s*(Title|Description|Param):\s*(.*)$", re.IGNORECASE)
PARAM_LINE = re.compile(r"^\?(\w+)\s+(\w+)(?:\s+(required|optional))?\s*(.*)$")


@dataclass
class Param:
    name: str
    type: str = "string"
    required: bool = False
    description: str = ""


@dataclass
class CannedQuery:
    name: str
    title: str
    description: str
    sparql: str
    params: list[Param] = field(default_factory=list)
    path: Path | None = None


@dataclass
class QueryResult:
    """Rows of plain Python values (IRIs and strings as str, numbers as int/float, booleans as bool)."""

    kind: str  # select | ask | construct
    columns: list[str]
    rows: list[list[Any]]
    boolean: bool | None = None

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row)) for row in self.rows]

    def to_csv(self) -> str:
        """CSV for spreadsheets: cells that would start a formula are neutralised (kg.fileio.spreadsheet_safe)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(self.columns)
        writer.writerows([[spreadsheet_safe(v) for v in row] for row in self.rows])
        return out.getvalue()

    def to_json(self) -> str:
        if self.kind == "ask":
            return json.dumps({"boolean": self.boolean})
        return json.dumps(self.records(), ensure_ascii=False, indent=1)

    def to_table(self, max_width: int = 60) -> str:
        if self.kind == "ask":
            return "yes" if self.boolean else "no"
        lines = [format_table(self.columns, self.rows, max_width)]
        lines.append(f"({len(self.rows)} row{'s' if len(self.rows) != 1 else ''})")
        return "\n".join(lines)

    def format(self, fmt: str) -> str:
        return {"table": self.to_table, "csv": self.to_csv, "json": self.to_json}[fmt]()


# ------------------------------------------------------------------ federated queries

FEDERATED_DISABLED = "SERVICE (federated query) is disabled; {how} --allow-federated to allow it"

# One SPARQL token per match, read the way Oxigraph's grammar reads them (SPARQL 1.1 §19.8):
# nothing inside a comment, string, IRI, variable or prefixed name is a keyword. A query this
# tokenizer misreads is one Oxigraph cannot parse either, and an unparsable query fetches nothing.
_NAME_CHAR = r"[\w\-\u00B7\u0300-\u036F\u203F\u2040]"
_LOCAL_CHAR = rf"(?:{_NAME_CHAR}|:|%[0-9A-Fa-f]{{2}}|\\[_~.\-!$&'()*+,;=/?#@%])"
_LOCAL_NAME = rf"{_LOCAL_CHAR}(?:(?:{_LOCAL_CHAR}|\.)*{_LOCAL_CHAR})?"
_SPARQL_TOKEN = re.compile("|".join([
    r"(?P<space>\s+)",
    r"(?P<comment>#[^\n\r]*)",
    r"(?P<string>'''(?:'{0,2}(?:[^'\\]|\\.))*'''|\"\"\"(?:\"{0,2}(?:[^\"\\]|\\.))*\"\"\""
    r"|'(?:[^'\\\n\r]|\\.)*'|\"(?:[^\"\\\n\r]|\\.)*\")",
    r"(?P<iri><(?:[^<>\"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*>)",
    rf"(?P<variable>[?$]{_NAME_CHAR}+)",
    rf"(?P<blank>_:{_LOCAL_NAME})",
    rf"(?P<pname>(?P<prefix>[^\W\d_](?:(?:{_NAME_CHAR}|\.)*{_NAME_CHAR})?)?:(?:{_LOCAL_NAME})?)",
    r"(?P<word>\w+)",
    r"(?P<other>.)",
]), re.DOTALL)


def sparql_tokens(sparql: str) -> list[tuple[str, str, str]]:
    """(kind, text, prefix of a prefixed name) of the query's tokens, without spaces and comments."""
    tokens = []
    for match in _SPARQL_TOKEN.finditer(sparql):
        kind = "pname" if match.group("pname") is not None else match.lastgroup
        if kind not in ("space", "comment"):
            tokens.append((kind, match.group(), match.group("prefix") or ""))
    return tokens


def service_clause(sparql: str) -> bool:
    """True if the query has a SERVICE clause (the keyword, in any letter case).

    Oxigraph needs no space around a keyword, so ``1SERVICE<…>``, ``trueSERVICE …`` and
    ``SERVICE:x{…}`` (the keyword, then the prefixed name ``:x``) are SERVICE clauses too:
    any bare word containing "service" counts (bare words are only keywords, function names,
    booleans and numbers), and so does a prefixed name whose prefix contains it when ``{``
    follows. ``?service``, ``ex:service``, ``"SERVICE"``, ``<http://x/SERVICE>``, a comment,
    ``PREFIX service: <…>`` and ``?s service:p ?o`` do not.
    """
    if "service" not in sparql.lower():
        return False
    tokens = sparql_tokens(sparql)
    for index, (kind, text, prefix) in enumerate(tokens):
        if kind == "word" and "service" in text.lower():
            return True
        if kind == "pname" and "service" in prefix.lower():
            if index + 1 < len(tokens) and tokens[index + 1][1] == "{":
                return True
    return False


def check_federated(sparql: str, federated: bool, how: str = "run with") -> None:
    """InputError if the query has a SERVICE clause and federated queries are off."""
    if not federated and service_clause(sparql):
        raise InputError("query", FEDERATED_DISABLED.format(how=how))


# ------------------------------------------------------------------ running queries

def run_query(build_dir: Path | str, sparql: str, bindings: Mapping[str, Any] | None = None,
              store: ox.Store | None = None, federated: bool = False) -> QueryResult:
    """Run SPARQL (SELECT / ASK / CONSTRUCT / DESCRIBE) on ``build_dir/store``.

    Without ``store``, the build is held while the query runs (``kg.rdf.store.held_store``): the
    answer comes from one build even if ``kg build`` replaces it meanwhile. A SERVICE clause is
    refused unless ``federated``: Oxigraph would fetch from that address, with no time limit.
    """
    check_federated(sparql, federated)
    if store is None:
        with held_store(build_dir) as held:
            return run_query(build_dir, sparql, bindings, store=held, federated=federated)
    substitutions = {ox.Variable(name): to_term(value) for name, value in (bindings or {}).items()}
    try:
        result = store.query(sparql, use_default_graph_as_union=True, prefixes=PREFIXES,
                             substitutions=substitutions or None)
        return _to_result(result)  # solutions are computed while they are read
    except SyntaxError as err:
        raise InputError("query", f"SPARQL syntax error: {err}") from err
    except RuntimeError as err:  # e.g. a parameter missing from the projection
        raise InputError("query", str(err)) from err
    except OSError as err:  # e.g. a SERVICE that cannot be reached (federated queries only)
        raise InputError("query", f"the query failed: {err}") from err


def _to_result(result) -> QueryResult:
    if isinstance(result, ox.QueryBoolean):
        return QueryResult("ask", ["boolean"], [[bool(result)]], boolean=bool(result))
    if isinstance(result, ox.QuerySolutions):
        columns = [v.value for v in result.variables]
        rows = [[to_python(solution[column]) for column in columns] for solution in result]
        return QueryResult("select", columns, rows)
    rows = [[to_python(t.subject), to_python(t.predicate), to_python(t.object)] for t in result]
    return QueryResult("construct", ["subject", "predicate", "object"], rows)


def to_python(term) -> Any:
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.Literal):
        datatype = term.datatype.value
        try:
            if datatype in INTEGER_TYPES:
                return int(term.value)
            if datatype in (f"{XSD}decimal", f"{XSD}double", f"{XSD}float"):
                return float(term.value)
            if datatype == f"{XSD}boolean":
                return term.value in ("true", "1")
        except ValueError:
            pass
        return term.value
    return str(term)


def to_term(value: Any):
    """A Python / rdflib value as an Oxigraph term for substitution."""
    if isinstance(value, (ox.NamedNode, ox.Literal, ox.BlankNode)):
        return value
    if isinstance(value, URIRef):
        return ox.NamedNode(str(value))
    if isinstance(value, RdfLiteral):
        if value.language:
            return ox.Literal(str(value), language=value.language)
        return ox.Literal(str(value), datatype=ox.NamedNode(str(value.datatype))) if value.datatype else \
            ox.Literal(str(value))
    if isinstance(value, bool):
        return ox.Literal("true" if value else "false", datatype=ox.NamedNode(f"{XSD}boolean"))
    if isinstance(value, int):
        return ox.Literal(str(value), datatype=ox.NamedNode(f"{XSD}integer"))
    if isinstance(value, (float, Decimal)):
        return ox.Literal(str(value), datatype=ox.NamedNode(f"{XSD}decimal"))
    return ox.Literal(str(value))


# ------------------------------------------------------------------ canned queries

def parse_canned(path: Path) -> CannedQuery:
    """Read one ``.rq`` file and its comment header."""
    text = path.read_text(encoding="utf-8")
    title, description, params = path.stem, [], []
    last = None
    for line in text.splitlines():
        if not line.startswith("#"):
            if line.strip():
                break
            continue
        match = HEADER_LINE.match(line)
        if match:
            key, value = match.group(1).lower(), match.group(2).strip()
            last = key
            if key == "title":
                title = value
            elif key == "description":
                description.append(value)
            else:
                params.append(_parse_param(path, value))
        elif last == "description" and line[1:].strip():
            description.append(line[1:].strip())
    return CannedQuery(name=path.stem, title=title, description=" ".join(description), sparql=text,
                       params=params, path=path)


def _parse_param(path: Path, spec: str) -> Param:
    match = PARAM_LINE.match(spec)
    if not match or match.group(2) not in PARAM_TYPES:
        raise InputError(path, f"bad parameter declaration {spec!r}; expected '?name TYPE [required|optional] text' "
                               f"with TYPE one of {', '.join(PARAM_TYPES)}")
    name, type_, required, description = match.groups()
    return Param(name=name, type=type_, required=required == "required", description=description.strip())


def canned_queries(folder: Path | str = QUERIES_DIR) -> dict[str, CannedQuery]:
    """name (file stem) -> CannedQuery, sorted by name."""
    return {path.stem: parse_canned(path) for path in sorted(Path(folder).glob("*.rq"))}


def bind_params(query: CannedQuery, params: Mapping[str, str] | None) -> dict[str, Any]:
    """Check and convert command-line parameter strings to typed terms."""
    params = dict(params or {})
    declared = {p.name: p for p in query.params}
    unknown = sorted(set(params) - set(declared))
    if unknown:
        known = ", ".join(f"?{n}" for n in declared) or "none"
        raise InputError(query.path or query.name, f"unknown parameter ?{unknown[0]} (declared: {known})")
    bindings = {}
    for param in query.params:
        value = params.get(param.name)
        if value is None or value == "":
            if param.required:
                raise InputError(query.path or query.name,
                                 f"missing required parameter ?{param.name} ({param.description})")
            continue
        bindings[param.name] = _typed(query, param, str(value))
    return bindings


def _typed(query: CannedQuery, param: Param, value: str):
    where = query.path or query.name
    try:
        if param.type in ("integer", "year"):
            return ox.Literal(str(int(value)), datatype=ox.NamedNode(f"{XSD}integer"))
        if param.type == "decimal":
            return ox.Literal(str(Decimal(value)), datatype=ox.NamedNode(f"{XSD}decimal"))
        if param.type == "boolean":
            if value.lower() not in ("true", "false"):
                raise ValueError(value)
            return ox.Literal(value.lower(), datatype=ox.NamedNode(f"{XSD}boolean"))
        if param.type == "iri":
            if not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s<>\"{}|\\^`]*$", value):
                raise ValueError(value)
            return ox.NamedNode(value)
    except (ValueError, ArithmeticError):
        raise InputError(where, f"parameter ?{param.name} must be {param.type}, got {value!r}") from None
    if param.type == "program":
        return ox.Literal(value, language=LABEL_LANGUAGE)
    return ox.Literal(value)


WHERE_OPEN = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)
# IRIs, string literals and comments, blanked before braces and variable names are read
NOT_CODE = re.compile(r'<[^<>"{}|^`\\\s]*>|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|#[^\n]*')
LABEL_LANGUAGE = "zh"  # program labels are zh literals (kg.rdf.graph): a bound name must be one to match


def with_values(sparql: str, bindings: Mapping[str, Any]) -> str:
    """The query with its parameters bound by a VALUES block opening every ``WHERE {`` that uses them.

    Oxigraph plans a query without its substitutions, so a parameter bound by substitution still
    scans (a program name compared with every label); a VALUES constant is planned as the
    selective start of the join. Sub-selects that use a parameter get their own block, as a
    substitution would reach them. The terms are written by Oxigraph's serialiser (quotes,
    backslashes and line breaks escaped), so a value cannot end its literal.
    """
    if not bindings:
        return sparql
    code = NOT_CODE.sub(lambda match: " " * len(match.group()), sparql)
    inserts = []
    for match in WHERE_OPEN.finditer(code):
        depth, end = 1, match.end()
        while depth and end < len(code):
            depth += {"{": 1, "}": -1}.get(code[end], 0)
            end += 1
        used = sorted(name for name in bindings if re.search(rf"[?$]{re.escape(name)}\b", code[match.end():end]))
        if used:
            terms = " ".join(str(to_term(bindings[name])) for name in used)
            inserts.append((match.end(), f"\n  VALUES ({' '.join('?' + name for name in used)}) {{ ({terms}) }}\n"))
    for position, block in reversed(inserts):
        sparql = sparql[:position] + block + sparql[position:]
    return sparql


def run_canned(build_dir: Path | str, name: str, params: Mapping[str, str] | None = None,
               store: ox.Store | None = None, federated: bool = False) -> QueryResult:
    queries = canned_queries()
    if name not in queries:
        near = nearest_names(name, queries)
        raise InputError("--name", f"no canned query {name!r}" + (f"; nearest: {', '.join(near)}" if near else "")
                         + " (`kg query --list` lists them)")
    query = queries[name]
    bindings = bind_params(query, params)
    if store is None:
        with held_store(build_dir) as held:
            return run_canned(build_dir, name, params, store=held, federated=federated)
    check_names(store, query, bindings)
    return run_query(build_dir, with_values(query.sparql, bindings), store=store, federated=federated)


def check_names(store: ox.Store, query: CannedQuery, bindings: Mapping[str, Any]) -> None:
    """An unknown document, program, indicator or government name: one line with the nearest known ones."""
    for param in query.params:
        if param.type not in NAME_QUERIES or param.name not in bindings:
            continue
        value = bindings[param.name].value
        known = [row[0] for row in run_query("", NAME_QUERIES[param.type], store=store).rows]
        if value in known or (param.type in PARTIAL_NAMES and any(value in name for name in known)):
            continue
        raise unknown_name(f"?{param.name}", param.type, value, known)


# ------------------------------------------------------------------ statistics

STATS_QUERIES = {
    "documents": "SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE { ?d a kg:PolicyDocument }",
    "sections": "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a kg:Section }",
    "measures": "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a kg:Measure }",
    "alignments": "SELECT (COUNT(DISTINCT ?a) AS ?n) WHERE { ?a a kg:Alignment }",
    "local-only measures": "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s kg:localOnly true }",
    "quantitative targets": "SELECT (COUNT(DISTINCT ?t) AS ?n) WHERE { ?t a kg:QuantitativeTarget }",
    "organizations": "SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { ?o a org:Organization }",
    "places": "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a kg:Place }",
    "cited documents": "SELECT (COUNT(DISTINCT ?w) AS ?n) WHERE { ?d dcterms:references ?w }",
    "triples (union)": "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }",
}
MENTIONS_BY_TYPE = """SELECT ?type (COUNT(?a) AS ?n) WHERE { ?a a oa:Annotation ; kg:mentionType ?type }
GROUP BY ?type ORDER BY ?type"""
CONCEPTS_BY_SCHEME = """SELECT ?scheme (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c skos:inScheme ?scheme }
GROUP BY ?scheme ORDER BY ?scheme"""
QUADS_BY_GRAPH = "SELECT ?graph (COUNT(*) AS ?n) WHERE { GRAPH ?graph { ?s ?p ?o } } GROUP BY ?graph ORDER BY ?graph"


def graph_stats(build_dir: Path | str) -> QueryResult:
    """Counts of documents, sections, mentions per type, concepts, triples and quads per named graph."""
    with held_store(build_dir) as store:  # every count from the same build
        return _graph_stats(build_dir, store)


def _graph_stats(build_dir: Path | str, store: ox.Store) -> QueryResult:
    rows: list[list[Any]] = []
    for label, sparql in STATS_QUERIES.items():
        rows.append([label, run_query(build_dir, sparql, store=store).rows[0][0]])
    for kind, n in run_query(build_dir, MENTIONS_BY_TYPE, store=store).rows:
        rows.append([f"mentions: {kind}", n])
    for scheme, n in run_query(build_dir, CONCEPTS_BY_SCHEME, store=store).rows:
        rows.append([f"concepts: {scheme.rsplit('#', 1)[-1]}", n])
    for graph, n in run_query(build_dir, QUADS_BY_GRAPH, store=store).rows:
        # short names: the document id for a document's graph, the last path step otherwise
        name = graph.removesuffix("/graph").rsplit("/doc/", 1)[-1] if "/doc/" in graph else graph.rsplit("/", 1)[-1]
        rows.append([f"graph: {unquote(name)}", n])
    return QueryResult("select", ["statistic", "count"], rows)
