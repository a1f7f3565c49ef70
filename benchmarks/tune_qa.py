"""Tune the matcher's parameters without touching the held-out half of the benchmark.

Run: .venv/bin/python -m benchmarks.tune_qa [--grid] [--fit]

Data: (1) the content's own question variants, 4-fold: each fold's variants are removed from
the index and asked against it (titles stay); (2) tests/qa_dev.yaml (own dev questions,
including off-topic ones); (3) the even half of benchmarks/questions.yaml. The odd half is
never used here. `--grid` searches the ranking parameters; `--fit` fits the confidence
(logistic regression over the features of content.search.Match) and picks the threshold.
"""

from __future__ import annotations

import argparse
import copy
import itertools
import math
import random
from pathlib import Path
from typing import Any

import yaml

from benchmarks.qa_benchmark import CONTENT, load_questions
from content import knowledge
from content import search as S

DEV = Path(__file__).resolve().parents[1] / "tests" / "qa_dev.yaml"


def datasets(kb: knowledge.KnowledgeBase) -> dict[str, list[tuple[str, str | None, int]]]:
    """name -> [(question, topic, fold)]; fold >= 0 only for content variants."""
    variants = []
    rng = random.Random(7)
    for e in kb.entries.values():
        for lang in ("vi", "en"):
            for q in e.text(lang).questions:
                variants.append((q, e.id, rng.randrange(4)))
    dev = [(d["q"], d["topic"], -1) for d in yaml.safe_load(DEV.read_text())["questions"]]
    even = [(d["q"], d["topic"], -1) for d in load_questions() if d["n"] % 2 == 0]
    return {"variants": variants, "dev": dev, "even": even}


def indexes(kb: knowledge.KnowledgeBase) -> tuple[S.SearchIndex, list[S.SearchIndex]]:
    full = S.SearchIndex.build(kb)
    folds = []
    for f in range(4):
        k2 = copy.deepcopy(kb)
        rng = random.Random(7)
        for e in k2.entries.values():
            for lang in ("vi", "en"):
                t = e.text(lang)
                keep = []
                for q in t.questions:
                    if rng.randrange(4) != f:
                        keep.append(q)
                t.questions = keep
        folds.append(S.SearchIndex.build(k2))
    return full, folds


def evaluate(kb, data) -> dict[str, Any]:  # noqa: ANN001
    full, folds = indexes(kb)
    rows = []
    for name, items in data.items():
        for q, topic, fold in items:
            idx = folds[fold] if fold >= 0 else full
            m = idx.search(q)
            rows.append((name, topic, m))
    return {"rows": rows}


def ranking(rows) -> dict[str, float]:  # noqa: ANN001
    out = {}
    for name in ("variants", "dev", "even"):
        r = [(t, m) for n, t, m in rows if n == name and t is not None]
        out[name] = sum(m.best == t for t, m in r) / len(r)
    return out


def outcome(rows) -> dict[str, float]:  # noqa: ANN001
    out = {}
    for name in ("variants", "dev", "even"):
        ins = [(t, m) for n, t, m in rows if n == name and t is not None]
        off = [(t, m) for n, t, m in rows if n == name and t is None]
        out[name] = sum(m.topic == t for t, m in ins) / len(ins)
        if off:
            out[name + "_off"] = sum(m.topic is None for _, m in off) / len(off)
    return out


def fit(rows, l2: float = 0.001, steps: int = 20000, lr: float = 2.0) -> list[float]:  # noqa: ANN001
    """Logistic regression: P(the best candidate is the right answer | features)."""
    xs, ys = [], []
    for name, t, m in rows:
        if not m.features or name == "variants":
            continue
        xs.append(list(m.features))
        ys.append(1.0 if (t is not None and m.best == t) else 0.0)
    w = [0.0] * (len(xs[0]) + 1)
    n = len(xs)
    for _ in range(steps):
        grad = [0.0] * len(w)
        for x, y in zip(xs, ys, strict=True):
            z = w[0] + sum(wi * xi for wi, xi in zip(w[1:], x, strict=True))
            p = 1 / (1 + math.exp(-max(min(z, 30), -30)))
            grad[0] += p - y
            for i, xi in enumerate(x):
                grad[i + 1] += (p - y) * xi
        for i in range(len(w)):
            w[i] -= lr * (grad[i] / n + (l2 * w[i] if i else 0))
    return w


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--grid", action="store_true")
    parser.add_argument("--fit", action="store_true")
    args = parser.parse_args()
    kb = knowledge.load(CONTENT, [])
    data = datasets(kb)
    print({k: len(v) for k, v in data.items()})
    if args.grid:
        grid = {
            "B": [0.5, 0.75],
            "K1": [0.9, 1.5],
            "BIGRAM_WEIGHT": [0.5, 1.0],
            "SYNONYM_WEIGHT": [0.2, 0.5],
            "ACCENT_WEIGHT": [0.3, 0.7],
        }
        results = []
        for values in itertools.product(*grid.values()):
            for k, v in zip(grid, values, strict=True):
                setattr(S, k, v)
            r = ranking(evaluate(kb, data)["rows"])
            score = r["variants"] + r["dev"] + r["even"]
            results.append((score, dict(zip(grid, values, strict=True)), r))
            print(f"{score:.4f}", dict(zip(grid, values, strict=True)), r, flush=True)
        results.sort(key=lambda x: -x[0])
        print("best:", results[:5])
        return
    rows = evaluate(kb, data)["rows"]
    print("ranking", ranking(rows))
    print("outcome", outcome(rows))
    if args.fit:
        w = fit(rows)
        print("weights (bias, features...):", [round(x, 3) for x in w])
        for th in (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6):
            S.CONFIDENCE = tuple(w)
            S.THRESHOLD = th
            print(th, outcome(evaluate(kb, data)["rows"]))


if __name__ == "__main__":
    main()
