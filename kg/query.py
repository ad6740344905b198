"""SPARQL over a build's Oxigraph store, and the canned queries of ``ontology/queries/*.rq``.

Queries see the union of all named graphs as their default graph and may use the project
prefixes (kg:, oa:, skos: ...) without declaring them. Parameters are bound with
Oxigraph's substitutions (never pasted into the query text); Oxigraph only substitutes
variables of the SELECT projection, so every canned query projects its parameters.

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
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Mapping

import pyoxigraph as ox

from urllib.parse import unquote

from kg.errors import InputError
from kg.namespace import PREFIXES, QUERIES_DIR

XSD = "http://www.w3.org/2001/XMLSchema#"
INTEGER_TYPES = {f"{XSD}{name}" for name in (
    "integer", "int", "long", "short", "nonNegativeInteger", "positiveInteger", "nonPositiveInteger",
    "negativeInteger", "unsignedInt", "unsignedLong")}
PARAM_TYPES = ("string", "integer", "decimal", "year", "iri", "boolean")
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
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(self.columns)
        writer.writerows([["" if v is None else v for v in row] for row in self.rows])
        return out.getvalue()

    def to_json(self) -> str:
        if self.kind == "ask":
            return json.dumps({"boolean": self.boolean})
        return json.dumps(self.records(), ensure_ascii=False, indent=1)

    def to_table(self, max_width: int = 60) -> str:
        if self.kind == "ask":
            return "yes" if self.boolean else "no"
        cells = [[_clip("" if v is None else str(v), max_width) for v in row] for row in self.rows]
        widths = [max([_width(c)] + [_width(row[i]) for row in cells]) for i, c in enumerate(self.columns)]
        lines = ["  ".join(_pad(c, w) for c, w in zip(self.columns, widths)).rstrip(),
                 "  ".join("-" * w for w in widths)]
        lines += ["  ".join(_pad(c, w) for c, w in zip(row, widths)).rstrip() for row in cells]
        lines.append(f"({len(self.rows)} row{'s' if len(self.rows) != 1 else ''})")
        return "\n".join(lines)

    def format(self, fmt: str) -> str:
        return {"table": self.to_table, "csv": self.to_csv, "json": self.to_json}[fmt]()


def _width(text: str) -> int:
    """Terminal columns: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    while _width(text) > limit:
        text = text[:-2] + "…"
    return text


# ------------------------------------------------------------------ running queries

def run_query(build_dir: Path | str, sparql: str, bindings: Mapping[str, Any] | None = None,
              store: ox.Store | None = None) -> QueryResult:
    """Run SPARQL (SELECT / ASK / CONSTRUCT / DESCRIBE) on ``build_dir/store``."""
    if store is None:
        from kg.store import open_store

        store = open_store(Path(build_dir) / "store")
    substitutions = {ox.Variable(name): to_term(value) for name, value in (bindings or {}).items()}
    try:
        result = store.query(sparql, use_default_graph_as_union=True, prefixes=PREFIXES,
                             substitutions=substitutions or None)
    except SyntaxError as err:
        raise InputError("query", f"SPARQL syntax error: {err}") from err
    except RuntimeError as err:  # e.g. a parameter missing from the projection
        raise InputError("query", str(err)) from err
    return _to_result(result)


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
    from rdflib import Literal as RdfLiteral, URIRef

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
    return ox.Literal(value)


def run_canned(build_dir: Path | str, name: str, params: Mapping[str, str] | None = None,
               store: ox.Store | None = None) -> QueryResult:
    queries = canned_queries()
    if name not in queries:
        raise InputError(QUERIES_DIR, f"no canned query {name!r} (known: {', '.join(queries)})")
    query = queries[name]
    return run_query(build_dir, query.sparql, bind_params(query, params), store=store)


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
    from kg.store import open_store

    store = open_store(Path(build_dir) / "store")
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
