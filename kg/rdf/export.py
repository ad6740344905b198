"""Exports of a build's graph: GraphML / GEXF networks (networkx) and JSON-LD (rdflib).

The network view keeps what network tools are good at: documents, programs, organizations,
places, cited documents and people as nodes; "mentions" edges from a document to what it
names (weight = number of mentions), "co-occurs" edges between programs named in the same
section (weight = number of sections), "within" edges between places and "aligned" edges
from a lower-level to an upper-level document (weight = number of measure alignments).
Everything comes from SPARQL over the store, so the export matches `kg query` exactly.
"""
from __future__ import annotations

import os
from pathlib import Path

import networkx as nx

from kg.errors import InputError
from kg.fileio import atomic_path
from kg.rdf.namespace import PREFIXES
from kg.rdf.query import run_query
from kg.rdf.store import open_store, rdflib_dataset

FORMATS = {"graphml": "graphml", "gexf": "gexf", "jsonld": "jsonld"}
NETWORK_FORMATS = ("graphml", "gexf")  # the formats of ``network``; a build writes both

NODES = """
SELECT ?node ?kind ?label ?docId ?year ?level ?subtype ?curated WHERE {
  {
    ?node a kg:PolicyDocument ; kg:docId ?docId ; kg:level ?level .
    OPTIONAL { ?node dcterms:title ?title }
    OPTIONAL { ?node dcterms:date ?date }
    BIND("document" AS ?kind) BIND(COALESCE(STR(?title), ?docId) AS ?label) BIND(STR(?date) AS ?year)
  } UNION {
    ?node skos:inScheme kg:programScheme ; skos:prefLabel ?pref .
    OPTIONAL { ?node kg:programKind ?subtype }
    OPTIONAL { ?node kg:curated ?curated }
    BIND("program" AS ?kind) BIND(STR(?pref) AS ?label)
  } UNION {
    ?node a org:Organization ; rdfs:label ?name .
    OPTIONAL { ?node kg:orgType ?subtype }
    BIND("organization" AS ?kind) BIND(STR(?name) AS ?label)
  } UNION {
    ?node a kg:Place ; rdfs:label ?name .
    OPTIONAL { ?node kg:level ?level }
    BIND("place" AS ?kind) BIND(STR(?name) AS ?label)
  } UNION {
    ?node a dcterms:BibliographicResource ; dcterms:title ?title .
    FILTER NOT EXISTS { ?node a kg:PolicyDocument }
    OPTIONAL { ?node kg:citedKind ?subtype }
    BIND("cited_document" AS ?kind) BIND(STR(?title) AS ?label)
  } UNION {
    ?node a foaf:Person ; foaf:name ?name .
    BIND("person" AS ?kind) BIND(STR(?name) AS ?label)
  }
}"""

MENTION_EDGES = """
SELECT ?doc ?entity ?type (COUNT(DISTINCT ?a) AS ?weight) WHERE {
  ?a a oa:Annotation ; kg:mentionType ?type ; oa:hasBody ?entity ; prov:wasDerivedFrom ?doc .
  FILTER(?type != "target")
} GROUP BY ?doc ?entity ?type"""

COOCCURRENCE_EDGES = """
SELECT ?first ?second (COUNT(?section) AS ?weight) WHERE {
  # (section, program) pairs first: joining mention with mention multiplies a section's mentions
  # (346 s on a 1.3 M-character document, 1.6 s this way)
  { SELECT DISTINCT ?section ?first WHERE { ?a kg:mentionType "program" ; oa:hasBody ?first ; kg:inSection ?section } }
  { SELECT DISTINCT ?section ?second WHERE { ?b kg:mentionType "program" ; oa:hasBody ?second ; kg:inSection ?section } }
  FILTER(STR(?first) < STR(?second))
} GROUP BY ?first ?second"""

PLACE_EDGES = "SELECT ?place ?outer WHERE { ?place kg:withinPlace ?outer }"

ALIGNMENT_EDGES = """
SELECT ?lowerDoc ?upperDoc (COUNT(DISTINCT ?a) AS ?weight) WHERE {
  ?a a kg:Alignment ; kg:lowerSection/kg:inDocument ?lowerDoc ; kg:upperSection/kg:inDocument ?upperDoc .
} GROUP BY ?lowerDoc ?upperDoc"""


def network(build_dir: Path | str) -> nx.DiGraph:
    """The build's graph as a directed networkx graph (see module docstring)."""
    store = open_store(Path(build_dir) / "store")

    def rows(sparql: str):  # sorted: Oxigraph's row order is unspecified, the export file must be stable
        return sorted(run_query(build_dir, sparql, store=store).records(),
                      key=lambda row: [str(value) for value in row.values()])

    graph = nx.DiGraph(name="policy-kg")
    for row in rows(NODES):
        attributes = {k: v for k, v in row.items() if k != "node" and v not in (None, "")}
        if row["node"] in graph:  # a node with two kinds (e.g. a cited corpus document): keep the first
            continue
        graph.add_node(row["node"], **attributes)
    for row in rows(MENTION_EDGES):
        _edge(graph, row["doc"], row["entity"], kind="mentions", mention_type=row["type"], weight=row["weight"])
    for row in rows(COOCCURRENCE_EDGES):
        _edge(graph, row["first"], row["second"], kind="co-occurs", weight=row["weight"])
    for row in rows(PLACE_EDGES):
        _edge(graph, row["place"], row["outer"], kind="within", weight=1)
    for row in rows(ALIGNMENT_EDGES):
        _edge(graph, row["lowerDoc"], row["upperDoc"], kind="aligned", weight=row["weight"])
    return graph


def _edge(graph: nx.DiGraph, source: str, target: str, **attributes) -> None:
    if source in graph and target in graph:  # never invent attribute-less nodes
        graph.add_edge(source, target, **attributes)


def output_file(out: Path | str | None, default_folder: Path, name: str) -> Path:
    """Where to write: ``out`` itself, or ``out/name`` when ``out`` names a folder."""
    if out is None or os.fspath(out) == "":
        return default_folder / name
    text = os.fspath(out)
    path = Path(text).expanduser()
    if text.endswith(("/", os.sep)) or os.path.isdir(path):
        return path / name
    return path


def export(build_dir: Path | str, fmt: str, out: Path | str | None = None) -> Path:
    """Write the export of ``build_dir`` in ``fmt`` (graphml | gexf | jsonld); return its path.

    ``out`` is a file, or a folder (an existing one, or a path ending in ``/``) that receives
    ``graph.<format>``; default ``BUILD/export/graph.<format>``. An output that cannot be
    written is an InputError naming it and the reason; an existing file is replaced only on success.
    """
    _check_format(fmt)
    out = output_file(out, Path(build_dir) / "export", f"graph.{FORMATS[fmt]}")
    if fmt == "jsonld":
        dataset = rdflib_dataset(open_store(Path(build_dir) / "store"))
        data = dataset.serialize(format="json-ld", context=dict(PREFIXES), auto_compact=True)
        with atomic_path(out) as tmp:
            tmp.write_text(data, encoding="utf-8")
        return out
    _write_network(network(build_dir), fmt, out)
    return out


def export_networks(build_dir: Path | str, formats: tuple[str, ...] = NETWORK_FORMATS) -> list[Path]:
    """``export(build_dir, fmt)`` for each network format, from one reading of the store.

    The network's queries are most of an export's time, and every format writes the same network.
    """
    for fmt in formats:
        _check_format(fmt)
        if fmt not in NETWORK_FORMATS:
            raise InputError(fmt, f"not a network format; choose from {', '.join(NETWORK_FORMATS)}")
    graph = network(build_dir) if formats else None
    outs = []
    for fmt in formats:
        out = output_file(None, Path(build_dir) / "export", f"graph.{FORMATS[fmt]}")
        _write_network(graph, fmt, out)
        outs.append(out)
    return outs


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise InputError(fmt, f"unknown export format; choose one of {', '.join(FORMATS)}")


def _write_network(graph: nx.DiGraph, fmt: str, out: Path) -> None:
    with atomic_path(out) as tmp:
        if fmt == "graphml":
            nx.write_graphml(graph, tmp, encoding="utf-8")
        else:
            nx.write_gexf(graph, tmp, encoding="utf-8")
