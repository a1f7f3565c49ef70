"""Tune the matcher without touching the held-out half of the benchmark.

Run: .venv/bin/python -m benchmarks.tune_qa [--fit] [--write] [--no-embed]

Data (the questions of the held-out sets, benchmarks/questions_v4.yaml and later, are never read
here):
  variants  the content's own ways of asking, 4-fold: each fold is removed from the index and
            asked against it (titles stay);
  anchors   the off-topic examples of content/offtopic.yaml, 4-fold the same way (so an
            off-topic question is never matched against itself);
  dev       tests/qa_dev.yaml, our own questions written apart from both files;
  v1, v2, v3  the benchmark sets written apart from the content (v1-v3 were held out, whole or
            in part, at earlier stops; from 2026-12-01 they are tuning data, their requests for
            a person excluded: those are recognised from content/intents.yaml, not here).
`--fit` fits the confidence of BM25 alone (L2-regularised logistic regression over the
features of content.search.Match: is the best candidate right?) and its threshold, then for each
EMBED_WEIGHT and CASCADE the confidence of BM25 + embeddings, used where BM25 alone is not sure
enough (fitted on all questions), each threshold maximising the balanced
objective below. `--write` puts the
best constants into content/search/params.py. `--grid` searches a few BM25 parameters.
"""

from __future__ import annotations

import argparse
import copy
import random
import re
from pathlib import Path
from typing import Any

import yaml

from benchmarks.qa_benchmark import (
    CONTENT,
    HANDOFF,
    QUESTIONS,
    QUESTIONS_V2,
    QUESTIONS_V3,
    load_questions,
)
from content import knowledge
from content import search as S
from content.search import params as P

DEV = Path(__file__).resolve().parents[1] / "tests" / "qa_dev.yaml"
FOLDS = 4
# What the decision is judged on: in-scope top-1 and off-topic refusal, per data set, weighted.
SET_WEIGHT = {"variants": 1.0, "anchors": 0.5, "dev": 1.0, "v1": 1.0, "v2": 1.5, "v3": 1.5}
WRONG_COST = 2.0  # a wrong answer costs this many right ones (the objective)


Item = tuple[str, str, "str | None", int]  # (set, question, topic or None, fold or -1)


def datasets(kb: knowledge.KnowledgeBase) -> list[Item]:
    items: list[Item] = []
    rng = random.Random(7)
    for e in kb.entries.values():
        for lang in ("vi", "en"):
            for q in e.text(lang).questions:
                items.append(("variants", q, e.id, rng.randrange(FOLDS)))
    for group in kb.offtopic:
        for q in group.examples:
            items.append(("anchors", q, None, rng.randrange(FOLDS)))
    for d in yaml.safe_load(DEV.read_text(encoding="utf-8"))["questions"]:
        items.append(("dev", d["q"], d["topic"], -1))
    for name, path in (("v1", QUESTIONS), ("v2", QUESTIONS_V2), ("v3", QUESTIONS_V3)):
        for d in load_questions(path):
            if d["topic"] != HANDOFF:
                items.append((name, d["q"], d["topic"], -1))
    return items


def fold_kb(kb: knowledge.KnowledgeBase, fold: int) -> knowledge.KnowledgeBase:
    """The knowledge base without the variants and off-topic examples of one fold (the same
    random draws as `datasets`)."""
    k2 = copy.deepcopy(kb)
    rng = random.Random(7)
    for e in k2.entries.values():
        for lang in ("vi", "en"):
            t = e.text(lang)
            t.questions = [q for q in t.questions if rng.randrange(FOLDS) != fold]
    for group in k2.offtopic:
        group.examples = [q for q in group.examples if rng.randrange(FOLDS) != fold]
    return k2


def candidates(
    kb: knowledge.KnowledgeBase, items: list[Item]
) -> tuple[list[S.Candidates], list[S.SearchIndex]]:
    """Each item's candidates and the index that decides it: a variant or off-topic example
    is asked against its fold's index (without it) and decided by that index too, so that no
    feature (coverage, "contained") sees the question itself."""
    full = S.SearchIndex.build(kb)
    folds = [S.SearchIndex.build(fold_kb(kb, f)) for f in range(FOLDS)]
    out, deciders = [], []
    for _set, q, _topic, fold in items:
        idx = folds[fold] if fold >= 0 else full
        out.append(idx.candidates(q, cascade=False))
        deciders.append(idx)
    return out, deciders


def decide_all(
    deciders: list[S.SearchIndex], cands: list[S.Candidates], embed: bool
) -> list[S.Match]:
    """The decisions with the current constants: the cascade, or BM25 alone."""
    return [
        d.decide(c) if embed else d._decide(c, embed=False)
        for d, c in zip(deciders, cands, strict=True)
    ]


def given(m: S.Match) -> str | None:
    """The topic the bot answers with: sure, or in the middle tier."""
    return m.topic if m.topic is not None else (m.best if m.middle else None)


def scores(items: list[Item], matches: list[S.Match]) -> dict[str, float]:
    """Per set: best-candidate accuracy, top-1 (answered right, sure or middle tier), wrong
    answers (either way), off-topic refused."""
    out: dict[str, float] = {}
    for name in SET_WEIGHT:
        ins = [(t, m) for (s, _q, t, _f), m in zip(items, matches, strict=True) if s == name and t]
        off = [m for (s, _q, t, _f), m in zip(items, matches, strict=True) if s == name and not t]
        if ins:
            out[f"{name}_best"] = sum(m.best == t for t, m in ins) / len(ins)
            out[f"{name}_top1"] = sum(given(m) == t for t, m in ins) / len(ins)
            out[f"{name}_wrong"] = sum(given(m) not in (None, t) for t, m in ins) / len(ins)
        if off:
            out[f"{name}_off"] = sum(given(m) is None for m in off) / len(off)
    return out


def objective(sc: dict[str, float]) -> float:
    """Balanced: in-scope top-1 and off-topic refusal count alike, per set; a wrong answer
    costs WRONG_COST right ones."""
    total = weight = 0.0
    for name, w in SET_WEIGHT.items():
        for key in ("top1", "off"):
            if f"{name}_{key}" in sc:
                total += w * sc[f"{name}_{key}"]
                weight += w
        total -= w * WRONG_COST * sc.get(f"{name}_wrong", 0.0)
    return total / weight


def fit(
    items: list[Item], matches: list[S.Match], l2: float = 0.01, steps: int = 3000
) -> list[float]:
    """L2-regularised logistic regression (Newton steps): P(best candidate right | features).
    Each set weighs the same in total, in-scope and off-topic questions alike."""
    import numpy as np

    rows, ys, ws = [], [], []
    counts: dict[tuple[str, bool], int] = {}
    for (s, _q, t, _f), _m in zip(items, matches, strict=True):
        counts[(s, t is None)] = counts.get((s, t is None), 0) + 1
    for (s, _q, t, _f), m in zip(items, matches, strict=True):
        if not m.features:
            continue
        rows.append([1.0, *m.features])
        ys.append(1.0 if (t is not None and m.best == t) else 0.0)
        ws.append(SET_WEIGHT[s] / counts[(s, t is None)])
    x, y, w = np.array(rows), np.array(ys), np.array(ws)
    w = w / w.sum() * len(w)
    # Standardised features, so that one penalty suits features of any scale.
    mu, sd = x.mean(axis=0), x.std(axis=0)
    mu[0], sd[0] = 0.0, 1.0
    sd[sd < 1e-9] = 1.0
    x = (x - mu) / sd
    beta = np.zeros(x.shape[1])
    reg = np.full(x.shape[1], l2)
    reg[0] = 0.0
    for _ in range(min(steps, 100)):
        p = 1 / (1 + np.exp(-np.clip(x @ beta, -30, 30)))
        grad = x.T @ (w * (p - y)) / len(y) + reg * beta
        hess = (x * (w * p * (1 - p))[:, None]).T @ x / len(y) + np.diag(reg + 1e-9)
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    raw = beta / sd
    raw[0] = beta[0] - float((beta[1:] * mu[1:] / sd[1:]).sum())
    return [float(b) for b in raw]


def with_params(**params: Any):  # noqa: ANN201
    class _Ctx:
        def __enter__(self) -> None:
            self.old = {k: getattr(P, k) for k in params}
            for k, v in params.items():
                setattr(P, k, v)

        def __exit__(self, *exc: object) -> None:
            for k, v in self.old.items():
                setattr(P, k, v)

    return _Ctx()


def main() -> None:
    global WRONG_COST  # noqa: PLW0603 - one run, one objective
    parser = argparse.ArgumentParser()
    parser.add_argument("--fit", action="store_true")
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--weights", default="6,8,10", help="EMBED_WEIGHT values to try")
    parser.add_argument("--cascade", default="0.7,0.8,0.85,0.9,0.95,1.01", help="CASCADE values")
    parser.add_argument(
        "--wrong-cost", type=float, default=WRONG_COST, help="what a wrong answer costs"
    )
    parser.add_argument(
        "--grid",
        action="store_true",
        help="also search the BM25 parameters (slow: the candidates are recomputed for each)",
    )
    args = parser.parse_args()
    WRONG_COST = args.wrong_cost
    if args.grid:
        grid_search()
        return
    kb = knowledge.load(CONTENT, [])
    items = datasets(kb)
    sizes: dict[str, int] = {}
    for s, *_ in items:
        sizes[s] = sizes.get(s, 0) + 1
    print("data:", sizes, flush=True)
    cands, deciders = candidates(kb, items)
    embed_available = any(c.cosine for c in cands)

    print("current constants:")
    for embed in (False, True) if embed_available else (False,):
        sc = scores(items, decide_all(deciders, cands, embed))
        print(f"  embed={embed}: objective {objective(sc):.4f}", _fmt(sc))

    if not args.fit:
        return
    constants: dict[str, Any] = {}
    # 1. BM25 alone (the fallback, and the first step of the cascade).
    lexical = decide_all(deciders, cands, False)
    beta = fit(items, lexical)
    th, obj, sc = best_threshold(items, deciders, cands, False, beta)
    print(f"\nBM25 alone: threshold {th}: objective {obj:.4f} {_fmt(sc)}", flush=True)
    constants["CONFIDENCE"] = tuple(round(b, 3) for b in beta)
    constants["THRESHOLD"] = th
    if embed_available:
        # 2. The cascade: where BM25 is not sure enough, BM25 and embeddings together (their
        # confidence is fitted on all questions: measured better than on the uncertain ones).
        results = []
        with with_params(CONFIDENCE=tuple(beta), THRESHOLD=th):
            lexical = decide_all(deciders, cands, False)
            for ew in [float(x) for x in args.weights.split(",")]:
                for cascade in [float(x) for x in args.cascade.split(",")]:
                    with with_params(EMBED_WEIGHT=ew, CASCADE=cascade):
                        fused = [
                            d._decide(c, embed=True) for d, c in zip(deciders, cands, strict=True)
                        ]
                        keep = [m.score < cascade for m in lexical]
                        beta_e = fit(items, fused)
                        th_e, obj, sc = best_threshold(items, deciders, cands, True, beta_e)
                    ranking = scores(items, fused)
                    best_keys = {k: round(v, 3) for k, v in ranking.items() if k.endswith("_best")}
                    print(
                        f"EMBED_WEIGHT={ew} CASCADE={cascade} (BM25 alone for "
                        f"{1 - sum(keep) / len(keep):.0%}): fused ranking {best_keys}\n"
                        f"   threshold {th_e}: objective {obj:.4f} {_fmt(sc)}",
                        flush=True,
                    )
                    results.append((obj, ew, cascade, beta_e, th_e, sc))
        obj, ew, cascade, beta_e, th_e, sc = max(results, key=lambda r: r[0])
        print(f"\nbest: objective {obj:.4f} {_fmt(sc)}")
        constants["CONFIDENCE_EMBED"] = tuple(round(b, 3) for b in beta_e)
        constants["THRESHOLD_EMBED"] = th_e
        constants["EMBED_WEIGHT"] = ew
        constants["CASCADE"] = cascade
    # The refit is kept only if it earns its place against the constants in use (both with the
    # middle tier tuned below).
    current = {k: getattr(P, k) for k in constants}
    candidates_sets = [("refit", constants), ("current", current)]
    best_mid = None
    for label, consts in candidates_sets:
        with with_params(**consts):
            for mid in [x / 100 for x in range(8, 45, 4)]:
                for mid_e in [x / 100 for x in range(8, 45, 4)]:
                    if mid > consts["THRESHOLD"] or mid_e > consts.get("THRESHOLD_EMBED", 1):
                        continue
                    with with_params(MIDDLE=mid, MIDDLE_EMBED=mid_e):
                        sc = scores(items, decide_all(deciders, cands, embed_available))
                    if best_mid is None or objective(sc) > best_mid[0]:
                        best_mid = (objective(sc), mid, mid_e, sc, label)
    assert best_mid is not None
    obj, mid, mid_e, sc, label = best_mid
    print(f"{label} constants, middle tier {mid} / {mid_e}: objective {obj:.4f} {_fmt(sc)}")
    constants = dict(candidates_sets[0][1] if label == "refit" else current)
    constants["MIDDLE"], constants["MIDDLE_EMBED"] = mid, mid_e
    for k, v in constants.items():
        print(f"  {k} = {v}")
    if args.write:
        write_constants(constants)
        print(f"  written to {SEARCH_PY}")


def best_threshold(
    items: list[Item],
    deciders: list[S.SearchIndex],
    cands: list[S.Candidates],
    embed: bool,
    beta: list[float],
) -> tuple[float, float, dict[str, float]]:
    key, thk = ("CONFIDENCE_EMBED", "THRESHOLD_EMBED") if embed else ("CONFIDENCE", "THRESHOLD")
    best: tuple[float, float, dict[str, float]] | None = None
    for th in [x / 100 for x in range(20, 81, 2)]:
        with with_params(**{key: tuple(beta), thk: th}):
            sc = scores(items, decide_all(deciders, cands, embed))
        if best is None or objective(sc) > best[1]:
            best = (th, objective(sc), sc)
    assert best is not None
    return best


SEARCH_PY = Path(P.__file__)


def write_constants(constants: dict[str, Any]) -> None:
    """Replace `NAME = value` statements of content/search/params.py (keeping a trailing
    comment on a one-line statement); tuples are wrapped to the line length."""
    import textwrap

    text = SEARCH_PY.read_text(encoding="utf-8")
    for name, value in constants.items():
        pattern = re.compile(rf"^{name} = (?:\([^)]*\)|[^#\n(]*?)([ \t]*#.*)?$", re.MULTILINE)
        if not pattern.search(text):
            raise SystemExit(f"{name} not found in {SEARCH_PY}")
        if isinstance(value, tuple):
            body = textwrap.fill(", ".join(repr(v) for v in value), 96)
            new = f"{name} = (\n" + textwrap.indent(body, "    ") + ",\n)"
            text = pattern.sub(lambda m, s=new: s, text, count=1)
        else:
            text = pattern.sub(
                lambda m, n=name, v=value: f"{n} = {v!r}{m.group(1) or ''}", text, count=1
            )
    SEARCH_PY.write_text(text, encoding="utf-8")


GRID = {
    "SYNONYM_WEIGHT": [0.2, 0.4],
    "BIGRAM_WEIGHT": [0.5, 1.0],
    "ANSWER_WEIGHT": [0.5, 0.75],
}


def grid_search() -> None:
    """Each combination of GRID, with the confidence refitted: the balanced objective."""
    import itertools

    kb = knowledge.load(CONTENT, [])
    items = datasets(kb)
    for values in itertools.product(*GRID.values()):
        params = dict(zip(GRID, values, strict=True))
        with with_params(**params):
            cands, deciders = candidates(kb, items)
            first = decide_all(deciders, cands, True)
            beta = fit(items, first)
            best = 0.0
            for th in [x / 100 for x in range(20, 61, 2)]:
                with with_params(CONFIDENCE_EMBED=tuple(beta), THRESHOLD_EMBED=th):
                    best = max(best, objective(scores(items, decide_all(deciders, cands, True))))
        print(f"{best:.4f}", params, flush=True)


def _fmt(sc: dict[str, float]) -> str:
    return " ".join(f"{k}={v:.3f}" for k, v in sc.items() if not k.endswith("_best"))


if __name__ == "__main__":
    main()
