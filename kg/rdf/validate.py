"""SHACL validation of a build's graph against ``ontology/shapes.ttl`` (pyshacl).

The shapes target the classes the graph asserts directly, so no RDFS inference is needed
(it would multiply the validation time for no extra findings). Warnings (metadata the text
may lack) are reported without failing the check.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyshacl
from rdflib import Dataset, Graph
from rdflib.namespace import SH

from kg.errors import InputError
from kg.rdf.namespace import SHAPES_FILE
from kg.rdf.store import open_store, union_graph


@dataclass
class ValidationReport:
    conforms: bool
    results_text: str
    violations: int = 0
    warnings: int = 0


def load_shapes(path: Path | str = SHAPES_FILE) -> Graph:
    try:
        return Graph().parse(path, format="turtle")
    except Exception as err:  # rdflib raises several parser error types
        raise InputError(path, f"cannot read SHACL shapes ({err})") from err


def validate_graph(data: Graph, shapes: Graph | None = None) -> ValidationReport:
    """Validate an rdflib Graph or Dataset (its union) against the project's shapes."""
    if isinstance(data, Dataset):
        union = Graph()
        for graph in data.graphs():
            union += graph
        data = union
    conforms, results, text = pyshacl.validate(
        data, shacl_graph=shapes if shapes is not None else load_shapes(), inference="none",
        allow_warnings=True, abort_on_first=False,
    )
    severities = list(results.objects(None, SH.resultSeverity))
    return ValidationReport(
        conforms=bool(conforms),
        results_text=text,
        violations=sum(1 for s in severities if s == SH.Violation),
        warnings=sum(1 for s in severities if s == SH.Warning),
    )


def validate(build_dir: Path | str) -> ValidationReport:
    """Validate the graph in ``build_dir/store``."""
    store = open_store(Path(build_dir) / "store")
    return validate_graph(union_graph(store))
