"""The package's structure, checked from the source: imports run with the data flow only.

ingest -> structure -> extract -> link -> analysis -> rdf -> (query | view | report), on a base of
errors, settings, records and text primitives. A module may import from its own layer or an
earlier one, never a later one (an AST walk over kg/, so function-level imports count too).
"""
from __future__ import annotations

import ast
from pathlib import Path

KG = Path(__file__).resolve().parent.parent / "kg"

# earliest first; a module belongs to the longest prefix that names it
LAYERS = [
    ["kg.errors", "kg.fanout"], ["kg.resources"], ["kg.script"], ["kg.records"], ["kg.text"], ["kg.fileio"],
    ["kg.places", "kg.lexicon"], ["kg.governments"],
    ["kg.ingest"], ["kg.structure"], ["kg.ner"], ["kg.components", "kg.extract"], ["kg.indicators", "kg.link"],
    ["kg.relations"], ["kg.analysis"], ["kg.rdf.namespace"], ["kg.rdf.relations"], ["kg.rdf.graph"], ["kg.rdf.reuse"], ["kg.rdf.store"], ["kg.rdf.query", "kg.rdf.validate", "kg.rdf.export", "kg.rdf"],
    ["kg.builddir"], ["kg.views", "kg.report", "kg.evaluate"],
    ["kg.serve", "kg.parallel", "kg.build"], ["kg.cli", "kg"],
]


def layer_of(module: str) -> int:
    best, length = None, -1
    for index, names in enumerate(LAYERS):
        for name in names:
            if (module == name or module.startswith(name + ".")) and len(name) > length:
                best, length = index, len(name)
    assert best is not None, f"{module} is in no layer: add it to LAYERS"
    return best


def module_name(path: Path) -> str:
    parts = path.relative_to(KG.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def kg_imports(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and node.module.split(".")[0] == "kg":
            if node.module == "kg":
                found += [(node.lineno, f"kg.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if alias.name.split(".")[0] == "kg"]
    return found


def test_every_module_has_a_layer():
    for path in KG.rglob("*.py"):
        layer_of(module_name(path))


def test_no_import_runs_against_the_data_flow():
    backwards = []
    for path in sorted(KG.rglob("*.py")):
        module = module_name(path)
        for line, target in kg_imports(ast.parse(path.read_text(encoding="utf-8"))):
            if layer_of(target) > layer_of(module):
                backwards.append(f"{path.relative_to(KG.parent)}:{line} {module} imports {target}")
    assert backwards == []


def test_the_check_sees_a_backward_import():
    tree = ast.parse("def f():\n    from kg.build import build\n")
    assert [layer_of(t) > layer_of("kg.records") for _, t in kg_imports(tree)] == [True]
