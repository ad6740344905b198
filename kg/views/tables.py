"""pandas tables of a corpus for notebooks: programs per year, alignments, targets, canned query answers.

pandas is imported inside each function: it is heavy and only notebooks need it.
"""
from __future__ import annotations

from collections import Counter, defaultdict

from kg.rdf.query import run_canned
from kg.records import Alignment, Corpus
from kg.views.evidence import LIST_SEPARATOR, Evidence, entity_key, entity_label


def program_year_frame(corpus: Corpus):
    """pandas table: one row per (program, document) with year, level and mention count."""
    import pandas as pd

    ev = Evidence(corpus)
    rows = Counter((entity_key(m), m.doc_id) for m in corpus.mentions if m.type == "program")
    labels = {entity_key(m): entity_label(m) for m in corpus.mentions if m.type == "program"}
    return pd.DataFrame(
        [{"program": labels[key], "concept": key, "doc_id": doc_id, "year": ev.doc_year(doc_id),
          "level": ev.doc_level(doc_id), "mentions": count} for (key, doc_id), count in sorted(rows.items())],
        columns=["program", "concept", "doc_id", "year", "level", "mentions"])


def alignment_frame(corpus: Corpus):
    """pandas table: per lower measure, its best upper locus, strength, reuse and number of loci."""
    import pandas as pd

    rows = []
    for (doc_id, measure), group in group_alignments(corpus.alignments).items():
        linked = sorted((a for a in group if not a.local_only), key=lambda a: (a.rank or 99, -a.score))
        best = linked[0] if linked else None
        rows.append({"lower_doc": doc_id, "lower_measure": measure, "loci": len(linked),
                     "best_upper": f"{best.upper_doc} {best.upper_measure}" if best else None,
                     "strength": best.strength if best else "local",
                     "score": best.score if best else 0.0,
                     "reuse_ratio": max((a.reuse_ratio for a in linked), default=0.0),
                     "shared_programs": LIST_SEPARATOR.join(sorted({p for a in linked for p in a.shared_programs}))})
    return pd.DataFrame(rows, columns=["lower_doc", "lower_measure", "loci", "best_upper", "strength", "score",
                                       "reuse_ratio", "shared_programs"])


def group_alignments(alignments: list[Alignment]) -> dict[tuple[str, str], list[Alignment]]:
    groups: dict[tuple[str, str], list[Alignment]] = defaultdict(list)
    for a in alignments:
        groups[(a.lower_doc, a.lower_measure)].append(a)
    return dict(groups)


def target_frame(corpus: Corpus):
    """pandas table of quantitative targets: indicator, value, unit, year and kind per document."""
    import pandas as pd

    ev = Evidence(corpus)
    rows = [{"indicator": m.indicator or m.text, "value": m.value, "unit": m.unit, "comparator": m.comparator,
             "year": m.year, "kind": m.kind, "doc_id": m.doc_id, "doc_year": ev.doc_year(m.doc_id),
             "level": ev.doc_level(m.doc_id), "measure": m.measure}
            for m in corpus.mentions if m.type == "target"]
    return pd.DataFrame(rows, columns=["indicator", "value", "unit", "comparator", "year", "kind", "doc_id",
                                       "doc_year", "level", "measure"])


NO_ROWS = "no rows: the corpus holds nothing that answers this question"


def canned_frame(build_dir, name: str, params: dict[str, str] | None = None):
    """pandas table of a canned query's answer (ontology/queries/<name>.rq) over a build; when the
    corpus holds no answer, one row that says so rather than an empty table that looks like an error."""
    import pandas as pd

    result = run_canned(build_dir, name, params or {})
    if not result.rows:
        return pd.DataFrame({"answer": [NO_ROWS]})
    return pd.DataFrame(result.records(), columns=result.columns)
