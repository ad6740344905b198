"""Score a build against hand-made answer keys (``kg eval``): mentions and metadata, and the
report of it all (the answer keys: kg.evaluate.keys; comparing one prediction with one key item:
kg.evaluate.matching; alignment keys: kg.evaluate.alignment).

Matching rules (for the README)
-------------------------------
Answer keys are the per-document YAML files of the gold directory (format: its GUIDELINES.md);
``alignment_*.yaml`` files there are scored by ``kg.evaluate.alignment``. A build is read from
``mentions.jsonl``, ``documents.jsonl`` and ``text/<doc_id>.txt``. Only documents that have a key
are scored; a keyed document missing from the build counts every key item as missed. The marks
and words below are listed in ``ontology/lexicon/evaluation.yaml``.

* **Names** (programs, organizations, places, cited documents) are compared after removing
  quotation marks, book-title marks 《》, brackets' width differences and all spaces; a generic
  trailing word (改革, 工程, 工作, 活动, 行动, 建设, 制度, 机制, 项目, 计划, 试点, 模式, 创建) may
  be added or dropped on either side.
* **Programs**: predictions are grouped by concept (else canonical label, else text): one
  predicted concept counts once per document. A group matches a key item when any of its forms
  (canonical label or any mention text) equals the key's ``name`` or any ``surface`` form.
  **Organizations** likewise (key ``name`` or ``surface``); **places** on ``name``;
  **cited documents** on ``title`` (the text inside 《》).
* **Targets**: every predicted target mention is one prediction. It matches a key item when the
  value is equal (numerically, e.g. 83.30 = 83.3; ranges such as "3-5" as strings, any dash) and
  the unit is equal (null = none), and either the indicator wording is similar (Dice coefficient
  of the two character sets >= 0.5) or the prediction's span overlaps an occurrence of the key's
  ``quote`` in the document text.
* Key items marked ``uncertain: true`` are neutral: a prediction matching only such items is
  neither right nor wrong, and missing them is no miss.
* Precision = predictions matching a certain key item / (those + predictions matching nothing);
  recall = certain key items matched / certain key items; F1 their harmonic mean. A prediction
  repeating an already matched item (the same target restated in a boxed column) is therefore
  not an error. Figures are micro-averaged over documents and also given per document.
* **Metadata** accuracy over issuer, level, year, doc_type, doc_number: strings compared after
  the name normalisation above, years as integers; a null key value and an empty prediction agree.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable, Optional

from kg.builddir import read_document_metas, read_document_text, read_mentions
from kg.errors import KGError
from kg.evaluate.alignment import evaluate_alignment
from kg.evaluate.keys import alignment_key_paths, load_keys
from kg.evaluate.matching import cited_title, closeness, comparable_name, name_keys, quote_spans, target_matches
from kg.records import DocumentMeta, Mention

CATEGORIES = ("program", "organization", "cited_document", "place", "target")
GOLD_SECTIONS = {
    "program": "programs",
    "organization": "organizations",
    "cited_document": "cited_documents",
    "place": "places",
    "target": "targets",
}
METADATA_FIELDS = ("issuer", "level", "year", "doc_type", "doc_number")


# --------------------------------------------------------------------------- report records

@dataclass
class Score:
    tp: int = 0  # predictions matching a certain key item
    fp: int = 0  # predictions matching no key item
    neutral: int = 0  # predictions matching only uncertain key items
    found: int = 0  # certain key items matched
    fn: int = 0  # certain key items missed

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.found / (self.found + self.fn) if self.found + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def add(self, other: "Score") -> None:
        for name in ("tp", "fp", "neutral", "found", "fn"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "precision": round(self.precision, 4), "recall": round(self.recall, 4),
                "f1": round(self.f1, 4)}


@dataclass
class EvalReport:
    categories: dict[str, Score] = field(default_factory=dict)
    documents: dict[str, dict[str, Score]] = field(default_factory=dict)
    errors: dict[str, dict[str, dict[str, list[str]]]] = field(default_factory=dict)  # doc -> cat -> missed/spurious
    metadata: dict[str, Any] = field(default_factory=dict)
    target_attributes: dict[str, Any] = field(default_factory=dict)  # kind/year/comparator agreement
    alignment: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def below(self, min_f1: float) -> list[str]:
        """Categories (with at least one key item) whose F1 is below ``min_f1``."""
        return [c for c, s in self.categories.items() if s.found + s.fn > 0 and s.f1 < min_f1]

    def to_json(self) -> dict[str, Any]:
        return {
            "categories": {c: s.to_json() for c, s in self.categories.items()},
            "documents": {d: {c: s.to_json() for c, s in cats.items()} for d, cats in self.documents.items()},
            "metadata": self.metadata,
            "target_attributes": self.target_attributes,
            "alignment": self.alignment,
            "errors": self.errors,
            "notes": self.notes,
        }

    def to_text(self) -> str:
        lines = ["category         P      R      F1     tp  fp  neutral  found  fn"]
        for category, s in self.categories.items():
            lines.append(f"{category:15s} {s.precision:6.3f} {s.recall:6.3f} {s.f1:6.3f} "
                         f"{s.tp:4d} {s.fp:3d} {s.neutral:6d} {s.found:6d} {s.fn:4d}")
        if self.metadata:
            lines.append(f"metadata accuracy {self.metadata['accuracy']:.3f} "
                         f"({self.metadata['correct']}/{self.metadata['total']})")
        if self.target_attributes.get("pairs"):
            lines.append("matched targets agreeing on " + ", ".join(
                f"{name} {share:.3f}" for name, share in self.target_attributes["agreement"].items()))
        for doc_id, cats in self.documents.items():
            lines.append("")
            lines.append(f"== {doc_id}: " + ", ".join(f"{c} F1 {s.f1:.2f}" for c, s in cats.items()))
            for mismatch in self.metadata.get("mismatches", {}).get(doc_id, []):
                lines.append(f"  metadata {mismatch}")
            for category, found in self.errors.get(doc_id, {}).items():
                for label in ("missed", "spurious"):
                    if found.get(label):
                        lines.append(f"  {category} {label} ({len(found[label])}): " + " | ".join(found[label]))
        for name, figures in self.alignment.items():
            lines.append("")
            lines.append(f"alignment {name}: " + json.dumps(figures, ensure_ascii=False, default=str)[:2000])
        lines.extend(f"note: {note}" for note in self.notes)
        return "\n".join(lines)


# --------------------------------------------------------------------------- names

@dataclass
class Prediction:
    label: str
    forms: set[str]
    mention: Optional[Mention] = None  # targets: each mention is one prediction


def group_names(mentions: Iterable[Mention], category: str) -> list[Prediction]:
    """One prediction per concept (programs), canonical label or text."""
    groups: dict[str, Prediction] = {}
    for mention in mentions:
        text = mention.text or ""
        if category == "cited_document":
            text = cited_title(text)
        canonical = mention.canonical
        key = comparable_name(mention.concept or canonical or text)
        if category in ("place", "cited_document"):
            key = comparable_name(canonical or text)
        group = groups.setdefault(key, Prediction(canonical or text, set()))
        for form in (text, canonical):
            if form:
                group.forms |= name_keys(form)
    return list(groups.values())


def gold_name_forms(item: dict, category: str) -> set[str]:
    if category == "cited_document":
        names = [item.get("title")]
    elif category == "place":
        names = [item.get("name")]
    else:
        names = [item.get("name"), *(item.get("surface") or [])]
    forms: set[str] = set()
    for name in names:
        forms |= name_keys(name)
    return forms


def gold_label(item: dict, category: str) -> str:
    if category == "target":
        return f"{item.get('indicator')}={item.get('value')}{item.get('unit') or ''}"
    return str(item.get("title") if category == "cited_document" else item.get("name"))


def target_label(mention: Mention) -> str:
    return f"{mention.indicator}={mention.value}{mention.unit or ''}"


# --------------------------------------------------------------------------- scoring

def score_category(category: str, mentions: list[Mention], items: list[dict], text: Optional[str],
                   pairs: Optional[list] = None) -> tuple[Score, dict]:
    """Score one category of one document; matched (prediction, key item) pairs of targets are
    appended to ``pairs``."""
    score = Score()
    matched: set[int] = set()
    spurious: list[str] = []
    spans: list[list[tuple[int, int]]] = []
    if category == "target":
        spans = [quote_spans(text, item.get("quote")) for item in items]
        predictions = [Prediction(target_label(m), set(), m) for m in mentions]

        def hits(prediction: Prediction) -> list[int]:
            return [i for i, item in enumerate(items) if target_matches(prediction.mention, item, spans[i])]
    else:
        forms = [gold_name_forms(item, category) for item in items]
        predictions = group_names(mentions, category)

        def hits(prediction: Prediction) -> list[int]:
            return [i for i, f in enumerate(forms) if prediction.forms & f]

    for prediction in predictions:
        found = hits(prediction)
        certain = [i for i in found if not items[i].get("uncertain")]
        if certain:
            score.tp += 1
            matched.update(certain)
            if pairs is not None and prediction.mention is not None:
                closest = max(certain, key=lambda i: closeness(prediction.mention, items[i], spans[i]))
                pairs.append((prediction.mention, items[closest]))
        elif found:
            score.neutral += 1
        else:
            score.fp += 1
            spurious.append(prediction.label)
    missed = [gold_label(item, category) for i, item in enumerate(items)
              if not item.get("uncertain") and i not in matched]
    score.found = len(matched)
    score.fn = len(missed)
    return score, {"missed": missed, "spurious": spurious}


def attribute_agreement(pairs: list[tuple[Mention, dict]]) -> dict[str, Any]:
    """How often matched targets also agree on kind, year and comparator (not part of F1)."""
    names = ("kind", "year", "comparator")
    agree = {name: 0 for name in names}
    for mention, item in pairs:
        for name in names:
            agree[name] += str(getattr(mention, name) or "") == str(item.get(name) or "")
    return {"pairs": len(pairs), "agreement": {n: round(agree[n] / len(pairs), 4) if pairs else 0.0 for n in names}}


def metadata_agrees(field_name: str, predicted: Any, gold: Any) -> bool:
    empty = predicted in (None, "") and gold in (None, "")
    if empty:
        return True
    if field_name == "year":
        try:
            return int(str(predicted)) == int(gold)
        except (TypeError, ValueError):
            return False
    return comparable_name(predicted) == comparable_name(gold)


def predicted_value(meta: Optional[DocumentMeta], field_name: str) -> Optional[str]:
    """A metadata value as the build wrote it: a string, "" when empty, None for a document the
    build lacks (the mismatch lines show which)."""
    if meta is None:
        return None
    value = getattr(meta, field_name)
    return "" if value is None else str(value)


def score_metadata(keys: dict[str, dict], documents: dict[str, DocumentMeta]) -> dict[str, Any]:
    correct = total = 0
    per_field = {name: [0, 0] for name in METADATA_FIELDS}
    mismatches: dict[str, list[str]] = {}
    for doc_id, key in keys.items():
        gold = key.get("metadata") or {}
        meta = documents.get(doc_id)
        for name in METADATA_FIELDS:
            predicted = predicted_value(meta, name)
            ok = metadata_agrees(name, predicted, gold.get(name))
            total += 1
            correct += ok
            per_field[name][0] += ok
            per_field[name][1] += 1
            if not ok:
                mismatches.setdefault(doc_id, []).append(f"{name}: predicted {predicted!r}, key {gold.get(name)!r}")
    return {
        "accuracy": round(correct / total, 4) if total else 0.0,
        "correct": correct,
        "total": total,
        "fields": {name: round(ok / n, 4) if n else 0.0 for name, (ok, n) in per_field.items()},
        "mismatches": mismatches,
    }


def score_alignment(gold_dir: Path, build_dir: Path, report: EvalReport) -> None:
    for key_path in alignment_key_paths(gold_dir):
        try:
            report.alignment[key_path.stem] = evaluate_alignment(key_path, build_dir)
        except KGError as err:  # e.g. a build without alignments: score the rest anyway
            report.notes.append(f"{key_path.name} not scored: {err}")


def evaluate(gold_dir: Path | str, build_dir: Path | str) -> EvalReport:
    """Score ``build_dir`` against the answer keys in ``gold_dir`` (rules: module docstring)."""
    gold_dir, build_dir = Path(gold_dir), Path(build_dir)
    keys = load_keys(gold_dir)
    mentions: dict[str, list[Mention]] = {}
    for mention in read_mentions(build_dir):
        mentions.setdefault(str(mention.doc_id), []).append(mention)
    documents = {meta.doc_id: meta for meta in read_document_metas(build_dir)}
    report = EvalReport(categories={c: Score() for c in CATEGORIES})
    pairs: list[tuple[Mention, dict]] = []
    for doc_id, key in keys.items():
        if doc_id not in mentions and doc_id not in documents:
            report.notes.append(f"{doc_id}: in the answer keys but not in the build")
        text = read_document_text(build_dir, doc_id)
        report.documents[doc_id] = {}
        for category in CATEGORIES:
            found_here = [m for m in mentions.get(doc_id, []) if m.type == category]
            items = [i for i in (key.get(GOLD_SECTIONS[category]) or []) if isinstance(i, dict)]
            score, found = score_category(category, found_here, items, text, pairs)
            report.categories[category].add(score)
            report.documents[doc_id][category] = score
            if found["missed"] or found["spurious"]:
                report.errors.setdefault(doc_id, {})[category] = found
    report.metadata = score_metadata(keys, documents)
    report.target_attributes = attribute_agreement(pairs)
    score_alignment(gold_dir, build_dir, report)
    return report
