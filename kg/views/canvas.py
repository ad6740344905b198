"""What the page types share on the canvas: colours, node ids, sizes, positions, axes.

Each view is a pyvis network whose layout networkx computes once (positions fixed, physics
off: vis-network is unusable at a few thousand nodes with physics on).
"""
from __future__ import annotations

import math
from collections import defaultdict
from typing import Any, Optional

from pyvis.network import Network

from kg.records import Document
from kg.views.evidence import Evidence, short

TYPE_COLOURS = {
    "document": "#4e79a7",
    "program": "#f28e2b",
    "organization": "#59a14f",
    "measure": "#bab0ac",
    "label": "#ffffff",
}
LEVEL_COLOURS = {
    "national": "#1f3b73",
    "province": "#2f5597",
    "city": "#4e79a7",
    "city-agency": "#76b7b2",
    "district": "#e15759",
    "county": "#ff9da7",
    "unknown": "#9c9c9c",
}
LEVEL_ORDER = ["national", "province", "city", "city-agency", "district", "county", "unknown"]
ROW = 34.0  # canvas pixels between two rows: measure boxes of a column, programs of the timeline


class _NodeIds(list):
    """pyvis keeps node ids in a list and asks ``id in node_ids`` for every node and edge added
    (quadratic in nodes): the same list, answering membership from a set."""

    def __init__(self):
        super().__init__()
        self.members: set = set()

    def append(self, node_id) -> None:
        super().append(node_id)
        self.members.add(node_id)

    def __contains__(self, node_id) -> bool:
        return node_id in self.members


def new_network() -> Network:
    # directed=True only to skip pyvis's quadratic duplicate-edge scan; arrows are set per edge
    net = Network(directed=True, height="100%", width="100%")
    net.node_ids = _NodeIds()  # pyvis only appends to it
    return net


def node_size(count: int, base: float = 8.0) -> float:
    return round(base + 6.0 * math.log1p(count), 1)


def scaled_positions(pos: dict[Any, Any], width: float = 1600.0) -> dict[Any, tuple[float, float]]:
    """networkx positions (about [-1, 1]) to canvas pixels."""
    return {node: (round(float(x) * width / 2, 1), round(float(y) * width / 2, 1)) for node, (x, y) in pos.items()}


def doc_node_id(doc_id: str) -> str:
    return f"doc:{doc_id}"


def measure_node_id(doc_id: str, label: str) -> str:
    return f"measure:{doc_id}|{label}"


def document_label(doc: Document, short_name: str) -> str:
    """Two lines for a document box: its short name (place and years) and the start of its title."""
    return f"{short_name}\n{short(doc.meta.title or doc.doc_id, 12)}"


def column_order(ev: Evidence, doc_id: str) -> tuple:
    """Lower administrative levels first (county, district, agency, city ...), then by year."""
    level = ev.doc_level(doc_id)
    rank = LEVEL_ORDER.index(level) if level in LEVEL_ORDER[:-1] else -1
    return (-rank, ev.doc_year(doc_id) or 0, doc_id)


def sticky_row(row: Optional[int]) -> dict[str, int]:
    """Node attribute of a column header the page keeps in view (row 0 on top) while the reader pans."""
    return {} if row is None else {"sticky": row}


def add_axis_captions(net: Network, x: float, captions: list[tuple[float, str]],
                      sticky: Optional[dict[str, int]] = None) -> None:
    """Names of the axes, in the corner where row labels meet column headers."""
    for y, caption in captions:
        net.add_node(f"axis:{caption}", label=caption, x=x, y=y, shape="text", kind="axis",
                     font={"size": 16, "color": "#666666"}, tip=caption.rstrip(" →↓"),
                     **sticky_row((sticky or {}).get(caption)))


def add_year_axis(net: Network, columns: dict[str, tuple[float, Optional[int]]], y: float,
                  sticky: Optional[int] = None) -> None:
    """One bold year above the columns (x positions) of that year."""
    by_year: dict[Optional[int], list[float]] = defaultdict(list)
    for x, year in columns.values():
        by_year[year].append(x)
    for year, xs in sorted(by_year.items(), key=lambda item: item[0] or 0):
        net.add_node(f"year:{year or 'unknown'}", label=str(year or "year ?"), x=sum(xs) / len(xs), y=y,
                     shape="text", kind="axis", font={"size": 22, "color": "#222222"}, tier=0, **sticky_row(sticky),
                     tip=f"{year or 'unknown year'}: {len(xs)} document{'s' if len(xs) != 1 else ''}")
