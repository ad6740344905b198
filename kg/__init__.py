"""policy-kg: Chinese education policy plans to an evidence-backed RDF knowledge graph.

The pipeline, in the order data flows (docs/ARCHITECTURE.md)::

    ingest -> structure -> extract -> link -> analysis (hierarchy, align, continuity)
           -> rdf (graph, store) -> query | views | reports

Everything the ``kg`` command does is a function here (the CLI only parses options)::

    import kg

    summary = kg.build_corpus("corpus", "build")   # kg build corpus -o build
    corpus = kg.load_corpus("build")               # the build's tables as records
    rows = kg.run_canned("build", "program_documents", {"program": "双减"}).records()
"""
from __future__ import annotations

import importlib

__version__ = "0.1.0"

# name -> module that defines it (or module and name there); loaded on first use (PEP 562), so
# that importing one module of the package (``kg.errors`` in a query worker) does not load spaCy
# and every stage. kg.build, kg.evaluate and kg.serve are modules: their main functions are
# build_corpus, evaluate_build and serve_build here.
_PUBLIC: dict[str, str | tuple[str, str]] = {
    "align": "kg.analysis.align",
    "continuity": "kg.analysis.continuity",
    "upper_documents": "kg.analysis.hierarchy",
    "BuildSummary": "kg.build",
    "analyse": "kg.build",
    "build_corpus": ("kg.build", "build"),
    "load_corpus": "kg.builddir",
    "write_tables": "kg.builddir",
    "InputError": "kg.errors",
    "KGError": "kg.errors",
    "MissingDependency": "kg.errors",
    "QualityError": "kg.errors",
    "EvalReport": "kg.evaluate",
    "evaluate_build": ("kg.evaluate", "evaluate"),
    "evaluate_alignment": "kg.evaluate",
    "extract": "kg.extract",
    "make_pipeline": "kg.extract",
    "IngestResult": "kg.ingest",
    "infer_metadata": "kg.ingest",
    "ingest_corpus": "kg.ingest",
    "read_source": "kg.ingest",
    "Lexicon": "kg.lexicon",
    "load_lexicon": "kg.lexicon",
    "link": "kg.link",
    "export": "kg.rdf.export",
    "build_graph": "kg.rdf.graph",
    "corpus_graphs": "kg.rdf.graph",
    "QueryResult": "kg.rdf.query",
    "canned_queries": "kg.rdf.query",
    "graph_stats": "kg.rdf.query",
    "run_canned": "kg.rdf.query",
    "run_query": "kg.rdf.query",
    "open_store": "kg.rdf.store",
    "write_graph": "kg.rdf.store",
    "ValidationReport": "kg.rdf.validate",
    "validate": "kg.rdf.validate",
    "Alignment": "kg.records",
    "Concept": "kg.records",
    "Corpus": "kg.records",
    "Document": "kg.records",
    "DocumentMeta": "kg.records",
    "Mention": "kg.records",
    "Section": "kg.records",
    "write_alignment_report": "kg.report",
    "write_continuity_report": "kg.report",
    "make_server": "kg.serve",
    "serve_build": ("kg.serve", "serve"),
    "parse_structure": "kg.structure",
    "write_views": "kg.views",
}
__all__ = list(_PUBLIC)


def __getattr__(name: str):
    if name not in _PUBLIC:
        raise AttributeError(f"module 'kg' has no attribute {name!r}")
    module, attribute = _PUBLIC[name] if isinstance(_PUBLIC[name], tuple) else (_PUBLIC[name], name)
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_PUBLIC])
