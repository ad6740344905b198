"""Score measure alignments against an answer key (e.g. ``alignment_001.yaml``).

- best@3: the key's best locus of a measure is among our top three;
- direct precision: our top-three ``direct`` claims whose (document, locus) is in the key's list
  (``direct_precision_strict`` also needs the key to call it direct);
- local_only agreement: we and the key agree whether a measure is local only;
- recall@3: share of all the key's loci found in our top three.
Key loci "workN" (the 2016 document's work points) are our measure labels "N".
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Optional

from kg.builddir import read_alignments
from kg.errors import InputError
from kg.evaluate.keys import load_alignment_key
from kg.records import Alignment


def _key_locus(locus: str) -> str:
    return re.sub(r"^work(?=\d)", "", str(locus))


def _load_alignments(source) -> list[Alignment]:
    if isinstance(source, (str, Path)):
        path = Path(source)
        path = path / "alignments.jsonl" if path.is_dir() else path
        if not path.exists():
            raise InputError(path, "no alignments found; run `kg build` or `kg align` first")
        return read_alignments(path)
    return list(source)


def evaluate_alignment(key_path: Path | str, build_dir_or_alignments, lower_doc: Optional[str] = None,
                       top_k: int = 3) -> dict:
    """Scores of our alignments of one lower document against its key (see module doc)."""
    key_path = Path(key_path)
    items = load_alignment_key(key_path)
    alignments = _load_alignments(build_dir_or_alignments)
    if lower_doc is None:
        prefix = re.sub(r"^alignment_", "", key_path.stem)
        candidates = sorted({a.lower_doc for a in alignments if a.lower_doc.startswith(prefix)})
        if not candidates:
            raise InputError(key_path, f"no alignments of a lower document matching {prefix!r}")
        lower_doc = candidates[0]
    ours: dict[str, list[Alignment]] = {}
    for a in alignments:
        if a.lower_doc == lower_doc:
            ours.setdefault(str(a.lower_measure), []).append(a)
    best_hits = best_total = direct_ok = direct_strict = direct_total = local_agree = found = wanted = 0
    misses = []
    for item in items:
        measure = str(item["district_item"])
        mine = sorted(ours.get(measure, []), key=lambda a: a.rank)
        top = [a for a in mine if not a.local_only and a.rank <= top_k]
        top_loci = {(a.upper_doc, a.upper_measure) for a in top}
        keyed = {(x["doc"], _key_locus(x["locus"])): x.get("strength") for x in item.get("aligned") or []}
        we_local = bool(mine) and all(a.local_only for a in mine)
        local_agree += we_local == bool(item.get("local_only"))
        if item.get("aligned") and not item.get("local_only"):
            best = (item["aligned"][0]["doc"], _key_locus(item["aligned"][0]["locus"]))
            best_total += 1
            if best in top_loci:
                best_hits += 1
            else:
                misses.append({"measure": measure, "key_best": list(best),
                               "ours": [[a.upper_doc, a.upper_measure] for a in top]})
            wanted += len(keyed)
            found += len(top_loci & set(keyed))
        for a in top:
            if a.strength == "direct":
                direct_total += 1
                direct_ok += (a.upper_doc, a.upper_measure) in keyed
                direct_strict += keyed.get((a.upper_doc, a.upper_measure)) == "direct"
    ratio = lambda n, d: round(n / d, 4) if d else None  # noqa: E731
    return {
        "lower_doc": lower_doc, "measures": len(items),
        "best_at_3": ratio(best_hits, best_total), "best_at_3_hits": best_hits,
        "direct_precision": ratio(direct_ok, direct_total), "direct_claims": direct_total,
        "direct_precision_strict": ratio(direct_strict, direct_total),
        "local_only_agreement": ratio(local_agree, len(items)),
        "recall_at_3": ratio(found, wanted), "misses": misses,
    }
