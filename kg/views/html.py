"""The page shell every view shares: escaping, Content-Security-Policy hashes, the template.

Document text is untrusted. It reaches the page only as JSON data (with ``<``, ``>``, ``&``
and U+2028/9 escaped) and the page turns it into DOM text nodes; vis-network draws labels on
a canvas and gets tooltips as DOM elements (it would render a ``title`` string as HTML).
kg.serve builds its query page from the same helpers.
"""
from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pyvis
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from kg.views.fonts import css_font_family

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@dataclass
class View:
    """What one HTML page shows: nodes and edges with fixed positions, plus page furniture."""

    name: str
    title: str
    subtitle: str = ""
    nodes: list[dict[str, Any]] = field(default_factory=list)
    edges: list[dict[str, Any]] = field(default_factory=list)
    filters: dict[str, list[str]] = field(default_factory=dict)  # year / level / type choices
    legend: list[tuple[str, str]] = field(default_factory=list)  # (label, colour)
    # initial framing: {"minScale": s} zooms to at least s (labels readable) anchored top-left;
    # {"labelTiers": {tier: px}, "drawThreshold": px} sizes labels by node "tier" at the fitted zoom
    frame: dict[str, Any] = field(default_factory=dict)
    # left out by a frequency cut but found by search, which offers to show them (with their edges)
    hidden_nodes: list[dict[str, Any]] = field(default_factory=list)
    hidden_edges: list[dict[str, Any]] = field(default_factory=list)


def safe_json(data: Any) -> str:
    """JSON that cannot end a <script> element or open markup inside it."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                          ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escaped)
    return text

@lru_cache(maxsize=1)
def vis_assets() -> tuple[str, str]:
    """vis-network's script and style, read from the installed pyvis package."""
    lib = Path(pyvis.__file__).parent / "templates" / "lib" / "vis-9.1.2"
    script = (lib / "vis-network.min.js").read_text(encoding="utf-8")
    style = (lib / "vis-network.css").read_text(encoding="utf-8")
    # inlined assets must not close their own element early
    return script.replace("</script", "<\\/script"), style.replace("</style", "<\\/style")


@lru_cache(maxsize=1)
def template_env() -> Environment:
    """Jinja2 with autoescape; every template may use ``{{ font_stack }}`` (a CSS font-family value)."""
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]))
    env.globals["font_stack"] = Markup(css_font_family())  # our data, not document text: no escaping
    return env


def csp_hash(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode() + "'"


VIS_OPTIONS = {
    "physics": {"enabled": False},
    "layout": {"improvedLayout": False},
    "edges": {"smooth": False, "color": {"inherit": False}},
    "nodes": {"font": {"size": 14, "face": css_font_family()}},  # canvas labels in the pages' CJK stack
    "interaction": {"hover": True, "tooltipDelay": 120, "hideEdgesOnDrag": True, "keyboard": False,
                    "multiselect": False, "navigationButtons": False},
}


# the largest a label gets on screen, whatever the zoom: zoomed in, labels stay this size while the
# nodes move apart, so they never grow into each other
LABEL_MAX_PX = 22


def render_html(view: View) -> str:
    """The self-contained page of one view."""
    script, style = vis_assets()
    data = safe_json({"name": view.name, "nodes": view.nodes, "edges": view.edges, "options": VIS_OPTIONS,
                      "filters": view.filters, "frame": view.frame,
                      "hiddenNodes": view.hidden_nodes, "hiddenEdges": view.hidden_edges, "labelMaxPx": LABEL_MAX_PX})
    app = (TEMPLATES / "view_app.js").read_text(encoding="utf-8")
    data_script = f"window.KG_DATA = {data};"
    # Scripts are allowed by hash only: an injected inline handler or <script> would not run
    csp = (f"default-src 'none'; script-src {csp_hash(script)} {csp_hash(data_script)} {csp_hash(app)}; "
           "style-src 'unsafe-inline'; img-src data:; font-src data:")
    return template_env().get_template("view.html").render(
        view=view, vis_js=script, vis_css=style, data_script=data_script, app_js=app, csp=csp,
        node_count=len(view.nodes), edge_count=len(view.edges))
