"""Alignment and continuity reports: Markdown, self-contained HTML and CSV.

Tables a researcher can paste into a paper: every claim carries its quote and its document +
measure reference, under a one-screen summary (coverage, reuse, local share, top shared
programs). Document text is untrusted: HTML goes through Jinja2 with autoescape, Markdown cells
are escaped too. All files are written atomically.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from jinja2 import Environment, PackageLoader, select_autoescape

from kg.analysis.align import align, reuse_summary
from kg.analysis.continuity import continuity
from kg.fileio import write_csv, write_text
from kg.records import Alignment, Corpus, Section
from kg.text import clip, one_line

ALIGNMENT_COLUMNS = ["lower_doc", "lower_measure", "lower_title", "rank", "upper_doc", "upper_measure",
                     "upper_title", "score", "strength", "period", "shared_programs", "shared_targets", "reuse_ratio",
                     "lower_quote", "upper_quote", "method"]
REUSE_COLUMNS = ["lower_doc", "measure", "title", "reuse", "local_only", "copied", "own_numbers",
                 "local_programs", "deadlines", "responsible_units"]
PROGRAM_COLUMNS = ["program", "documents", "years", "levels", "first_seen", "last_seen", "gaps", "doc_id",
                   "year", "measure", "quote"]
INDICATOR_COLUMNS = ["indicator", "government", "unit_class", "doc_id", "level", "year", "value", "unit", "comparator",
                     "kind", "measure", "quote"]
CHANGE_COLUMNS = ["government", "from_doc", "from_year", "to_doc", "to_year", "new", "continued", "dropped",
                  "renamed"]
SPELL_COLUMNS = ["program", "government", "first_seen", "last_seen", "documents"]
ACROSS_COLUMNS = ["indicator", "unit_class", "government", "values", "documents"]


def _environment() -> Environment:
    return Environment(loader=PackageLoader("kg", "templates"), autoescape=select_autoescape(["html"]))


def _section_index(corpus: Corpus) -> dict[tuple[str, str], Section]:
    return {(doc_id, s.label): s for doc_id, sections in corpus.sections.items() for s in sections}


def _snippet(corpus: Corpus, section: Optional[Section], width: int = 80) -> str:
    if section is None:
        return ""
    return clip(one_line(corpus.document(section.doc_id).text[section.start:section.end]), width, mark_inside=False)


def _md_cell(value) -> str:
    text = "" if value is None else str(value)
    for raw, escaped in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("|", "\\|")):
        text = text.replace(raw, escaped)
    return " ".join(text.split())


def markdown_document(title: str, summary: list[tuple[str, str]], tables: list[dict]) -> str:
    lines = [f"# {_md_cell(title)}", ""]
    lines += [f"- **{_md_cell(label)}**: {_md_cell(value)}" for label, value in summary]
    for table in tables:
        lines += ["", f"## {_md_cell(table['title'])}", ""]
        if table.get("note"):
            lines += [_md_cell(table["note"]), ""]
        if not table["rows"]:
            lines.append("(none)")
            continue
        lines.append("| " + " | ".join(table["columns"]) + " |")
        lines.append("|" + "---|" * len(table["columns"]))
        lines += ["| " + " | ".join(_md_cell(row.get(c)) for c in table["columns"]) + " |" for row in table["rows"]]
    return "\n".join(lines) + "\n"


def html_document(title: str, summary: list[tuple[str, str]], tables: list[dict], subtitle: str = "") -> str:
    template = _environment().get_template("report_tables.html")
    return template.render(title=title, subtitle=subtitle, summary=summary, tables=tables)


def _write_all(out_dir: Path, stem: str, title: str, summary, tables, csvs: dict[str, tuple[list, list]]) -> list[Path]:
    out_dir = Path(out_dir)
    written = []
    path = out_dir / f"{stem}.md"
    write_text(path, markdown_document(title, summary, tables))
    written.append(path)
    path = out_dir / f"{stem}.html"
    write_text(path, html_document(title, summary, tables))
    written.append(path)
    for name, (columns, rows) in csvs.items():
        path = out_dir / name
        write_csv(path, columns, rows)
        written.append(path)
    return written


# ---------------------------------------------------------------- alignment

def alignment_rows(corpus: Corpus, alignments: list[Alignment]) -> list[dict]:
    sections = _section_index(corpus)
    rows = []
    for a in alignments:
        lower = sections.get((a.lower_doc, a.lower_measure))
        upper = sections.get((a.upper_doc, a.upper_measure)) if a.upper_doc else None
        if a.evidence:
            lower_quote = upper_quote = max(a.evidence, key=lambda e: len(e.text)).text
        else:
            lower_quote, upper_quote = _snippet(corpus, lower), _snippet(corpus, upper)
        rows.append({
            "lower_doc": a.lower_doc, "lower_measure": a.lower_measure, "lower_title": lower.title if lower else "",
            "rank": a.rank if not a.local_only else "", "upper_doc": a.upper_doc or "",
            "upper_measure": a.upper_measure or "", "upper_title": upper.title if upper else "",
            "score": a.score if not a.local_only else "", "strength": "local_only" if a.local_only else a.strength,
            "period": a.period or "",
            "shared_programs": "; ".join(a.shared_programs), "shared_targets": "; ".join(a.shared_targets),
            "reuse_ratio": a.reuse_ratio, "lower_quote": lower_quote, "upper_quote": upper_quote, "method": a.method,
        })
    return rows


def write_alignment_report(corpus: Corpus, out_dir: Path | str, lower: Optional[str] = None,
                           upper: Optional[str] = None, alignments: Optional[list[Alignment]] = None) -> list[Path]:
    """alignment.md / .html / .csv and reuse.csv for the corpus's (or the given) alignments."""
    if alignments is None:
        alignments = corpus.alignments if corpus.alignments and not upper else align(corpus, lower=lower, upper=upper)
    alignments = [a for a in alignments if (lower is None or a.lower_doc == lower)
                  and (upper is None or a.local_only or a.upper_doc == upper)]
    reuse = reuse_summary(corpus, alignments)
    titles = {d.doc_id: d.meta.title or d.doc_id for d in corpus.documents}
    summary: list[tuple[str, str]] = []
    reuse_rows = []
    for doc_id, info in reuse.items():
        coverage = ", ".join(f"{titles.get(u, u)} {v:.0%}" for u, v in info.coverage.items())
        summary += [
            (f"{titles.get(doc_id, doc_id)}: measures", str(len(info.measures))),
            ("verbatim reuse (share of measure text)", f"{info.reuse:.1%}"),
            ("local only", f"{info.local_share:.0%}"),
            ("measures with a direct link", f"{info.direct_share:.0%}"),
            ("coverage of upper documents", coverage or "-"),
            ("top shared programs", ", ".join(f"{p} ({n})" for p, n in info.top_programs[:6]) or "-"),
        ]
        for m in info.measures:
            ref = m.refinements
            reuse_rows.append({
                "lower_doc": doc_id, "measure": m.measure, "title": m.title, "reuse": m.reuse,
                "local_only": m.local_only, "copied": " / ".join(c.text for c in m.copied),
                "own_numbers": "; ".join(ref.numbers), "local_programs": "; ".join(ref.programs),
                "deadlines": "; ".join(ref.deadlines), "responsible_units": "; ".join(ref.units),
            })
    rows = alignment_rows(corpus, alignments)
    tables = [
        {"title": "Measure alignments (ranked upper-level passages per lower measure)", "columns": ALIGNMENT_COLUMNS,
         "rows": rows, "note": "direct = a shared named program, cited document or target indicator; "
                               "period in_force = an upper plan in force in the lower document's year (a link); "
                               "later = a plan issued after it, shown as context only (never rank 1, never direct); "
                               "quotes are verbatim shared text where there is any, else the passages' openings."},
        {"title": "Reuse and refinement per measure", "columns": REUSE_COLUMNS, "rows": reuse_rows,
         "note": "reuse = share of the measure's text copied verbatim from its upper documents (containment)."},
    ]
    return _write_all(Path(out_dir), "alignment", "City-to-district alignment", summary, tables,
                      {"alignment.csv": (ALIGNMENT_COLUMNS, rows), "reuse.csv": (REUSE_COLUMNS, reuse_rows)})


# ---------------------------------------------------------------- continuity

def write_continuity_report(corpus: Corpus, out_dir: Path | str, program: Optional[str] = None) -> list[Path]:
    """continuity.md / .html, continuity_programs.csv, continuity_indicators.csv, continuity_changes.csv.

    Every series names its government: trajectories and changes run within one; the
    cross-government table ("who else set this indicator") and the per-government spells are in
    the Markdown / HTML report."""
    result = continuity(corpus, program)
    program_rows = []
    for t in result.programs:
        common = {"program": t.label, "documents": len(t.documents), "years": ", ".join(map(str, t.years)),
                  "levels": ", ".join(t.levels), "first_seen": t.first_seen, "last_seen": t.last_seen,
                  "gaps": ", ".join(map(str, t.gaps))}
        firsts = {}
        for o in t.occurrences:
            firsts.setdefault(o.doc_id, o)  # one quote per document keeps the table readable
        for o in firsts.values():
            program_rows.append({**common, "doc_id": o.doc_id, "year": o.year, "measure": o.measure,
                                 "quote": o.quote})
    # the trajectory's concept name and government, then the point's own columns; a point's year
    # falls back to its document's
    indicator_rows = [{"indicator": t.indicator, "government": t.government_name or t.government,
                       "unit_class": t.unit_class,
                       **{k: getattr(p, k) for k in INDICATOR_COLUMNS if hasattr(p, k) and k != "indicator"},
                       "year": p.year or p.doc_year}
                      for t in result.indicators for p in t.points]
    names = {s.government: s.government_name for s in result.spells}
    change_rows = [{**c.as_dict(), "government": names.get(c.government or "", c.government),
                    "new": "; ".join(c.new), "continued": "; ".join(c.continued),
                    "dropped": "; ".join(c.dropped), "renamed": "; ".join(c.renamed)} for c in result.changes]
    spell_rows = [{"program": s.label, "government": s.government_name, "first_seen": s.first_seen,
                   "last_seen": s.last_seen, "documents": ", ".join(s.documents)}
                  for s in result.spells if len(s.documents) > 1 or program]
    across_rows = [{"indicator": row.indicator, "unit_class": row.unit_class, "government": g.government_name,
                    "values": "; ".join(g.values), "documents": ", ".join(g.documents)}
                   for row in result.indicator_governments for g in row.governments]
    followed = [t for t in result.programs if len(t.documents) > 1]
    summary = [
        ("programs", str(len(result.programs))),
        ("in more than one document", str(len(followed))),
        ("most widespread", ", ".join(f"{t.label} ({len(t.documents)})" for t in followed[:6]) or "-"),
        ("change series (one government each)",
         ", ".join(f"{names.get(c.government or '', c.government)} {c.from_year}→{c.to_year}"
                   for c in result.changes) or "-"),
        ("indicators followed across one government's plans",
         str(sum(1 for t in result.indicators if len(t.documents) > 1))),
        ("indicators set by several governments", str(len(result.indicator_governments))),
    ]
    tables = [
        {"title": "Programs across documents and years", "columns": PROGRAM_COLUMNS, "rows": program_rows,
         "note": "where a program is named, in every government's documents: an overview, not a series."},
        {"title": "Programs per government: first and last seen", "columns": SPELL_COLUMNS, "rows": spell_rows,
         "note": "programs one government names in more than one of its plans."},
        {"title": "Target indicators: trajectories within one government", "columns": INDICATOR_COLUMNS,
         "rows": indicator_rows,
         "note": "one trajectory per indicator, government and unit class (a share and a count never join)."},
        {"title": "Who else set this indicator (across governments)", "columns": ACROSS_COLUMNS,
         "rows": across_rows,
         "note": "a side-by-side comparison of governments, not a trajectory; anonymised parts (XX市) each "
                 "stand alone."},
        {"title": "New / continued / dropped / renamed programs between successive plans of one government",
         "columns": CHANGE_COLUMNS, "rows": change_rows},
    ]
    title = f"Continuity of {program}" if program else "Program and indicator continuity"
    return _write_all(Path(out_dir), "continuity", title, summary, tables, {
        "continuity_programs.csv": (PROGRAM_COLUMNS, program_rows),
        "continuity_indicators.csv": (INDICATOR_COLUMNS, indicator_rows),
        "continuity_changes.csv": (CHANGE_COLUMNS, change_rows),
    })
