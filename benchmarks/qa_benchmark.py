"""Q&A benchmark: how well the bot finds the right curated answer, and how fast.

Run:  .venv/bin/python -m benchmarks.qa_benchmark            (prints, writes report.md/.json)
      .venv/bin/python -m benchmarks.qa_benchmark --no-write (prints only)

It loads benchmarks/questions.yaml (labelled questions written apart from the content's own
question variants), asks each one exactly as the bot would (search + composing the answer, no
database), and reports top-1 accuracy on in-scope questions, the share of off-topic questions
refused, accuracy per style tag, p50/p99 latency, memory and index build time, and every miss.
Figures are given for the whole set and for its even/odd halves: the matcher's parameters were
only ever checked against the even half (the odd half is held out).
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import resource
import statistics
import time
import tracemalloc
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

from content import knowledge
from content.search import SearchIndex
from content.store import ContentStore
from handlers.qa import compose

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ROOT / "benchmarks" / "questions.yaml"
CONTENT = ROOT / "content"
TARGETS = {"in_scope_top1": 0.92, "off_topic_refused": 0.90, "p99_ms": 20.0}


def load_questions(path: Path = QUESTIONS) -> list[dict[str, Any]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out = []
    for n, q in enumerate(data.get("questions") or []):
        out.append(
            {
                "n": n,
                "q": str(q["q"]),
                "topic": q.get("topic"),
                "lang": q.get("lang", "vi"),
                "style": list(q.get("style") or []),
            }
        )
    return out


def measure_build(directory: Path) -> tuple[float, int]:
    """Seconds to load the knowledge base and build the index, and the peak bytes it took."""
    gc.collect()
    t0 = time.perf_counter()
    SearchIndex.build(knowledge.load(directory, []))
    elapsed = time.perf_counter() - t0  # timed without tracemalloc, which slows Python down
    tracemalloc.start()
    SearchIndex.build(knowledge.load(directory, []))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return elapsed, peak


def run(questions: list[dict[str, Any]], content: ContentStore) -> list[dict[str, Any]]:
    compose(content, "sản xuất sạch hơn là gì", "vi")  # warm up
    results = []
    for item in questions:
        t0 = time.perf_counter()
        answer = compose(content, item["q"], "vi")
        ms = (time.perf_counter() - t0) * 1000
        m = answer.match
        expected = item["topic"]
        if expected is None:
            ok = m.topic is None
        else:
            ok = m.topic == expected
            if item["lang"] == "en" and ok:
                ok = answer.lang == "en"  # an English question must get the English answer
        results.append(
            {
                **item,
                "got": m.topic,
                "best": m.best,
                "score": m.score,
                "answer_lang": answer.lang,
                "ok": ok,
                "ms": ms,
            }
        )
    return results


def summarise(results: list[dict[str, Any]]) -> dict[str, Any]:
    inscope = [r for r in results if r["topic"] is not None]
    off = [r for r in results if r["topic"] is None]
    lat = sorted(r["ms"] for r in results)

    def pct(p: float) -> float:
        if not lat:
            return 0.0
        k = min(len(lat) - 1, max(0, round(p / 100 * (len(lat) - 1))))
        return lat[k]

    styles: dict[str, list[bool]] = defaultdict(list)
    for r in inscope:
        for s in r["style"]:
            styles[s].append(r["ok"])
    off_styles: dict[str, list[bool]] = defaultdict(list)
    for r in off:
        for s in r["style"]:
            off_styles[s].append(r["ok"])
    return {
        "questions": len(results),
        "in_scope": len(inscope),
        "off_topic": len(off),
        "in_scope_top1": _share(r["ok"] for r in inscope),
        "in_scope_best_top1": _share(r["best"] == r["topic"] for r in inscope),
        "in_scope_refused": _share(r["got"] is None for r in inscope),
        "in_scope_wrong_answer": _share(r["got"] not in (None, r["topic"]) for r in inscope),
        "off_topic_refused": _share(r["ok"] for r in off),
        "by_style": {s: {"n": len(v), "top1": _share(v)} for s, v in sorted(styles.items())},
        "off_topic_by_style": {
            s: {"n": len(v), "refused": _share(v)} for s, v in sorted(off_styles.items())
        },
        "p50_ms": round(pct(50), 3),
        "p99_ms": round(pct(99), 3),
        "max_ms": round(lat[-1], 3) if lat else 0.0,
        "mean_ms": round(statistics.fmean(lat), 3) if lat else 0.0,
    }


def _share(values: Any) -> float:
    v = list(values)
    return round(sum(bool(x) for x in v) / len(v), 4) if v else 0.0


def misses(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "n": r["n"],
            "q": r["q"],
            "expected": r["topic"],
            "got": r["got"],
            "best": r["best"],
            "score": r["score"],
            "answer_lang": r["answer_lang"],
            "style": r["style"],
        }
        for r in results
        if not r["ok"]
    ]


def report_md(data: dict[str, Any]) -> str:
    a, ev, od = data["all"], data["even"], data["odd"]
    lines = [
        "# Q&A benchmark",
        "",
        f"Command: `.venv/bin/python -m benchmarks.qa_benchmark` · {data['when']} · "
        f"{data['machine']} · {data['entries']} entries · {a['questions']} questions "
        f"({a['in_scope']} in scope, {a['off_topic']} off-topic).",
        "",
        "Method: BM25 over diacritic-folded syllables and bigrams with an accented-syllable bonus, "
        "both languages indexed, abbreviations/synonyms from `content/synonyms.yaml`, Telex/VNI, "
        "run-together and typo repair, and a logistic confidence (see `content/search.py`). "
        "Parameters were tuned on the content's own question variants (leave-one-out), "
        "the dev questions in `tests/qa_dev.yaml` and the even half of this set; the odd half "
        "is held out.",
        "",
        "| measure | all | even half (checked) | odd half (held out) | target |",
        "| --- | --- | --- | --- | --- |",
        f"| top-1 accuracy, in scope | {a['in_scope_top1']:.3f} | {ev['in_scope_top1']:.3f} | "
        f"{od['in_scope_top1']:.3f} | ≥ {TARGETS['in_scope_top1']} |",
        f"| off-topic refused | {a['off_topic_refused']:.3f} | {ev['off_topic_refused']:.3f} | "
        f"{od['off_topic_refused']:.3f} | ≥ {TARGETS['off_topic_refused']} |",
        f"| in scope, refused (not sure) | {a['in_scope_refused']:.3f} | "
        f"{ev['in_scope_refused']:.3f} | {od['in_scope_refused']:.3f} | |",
        f"| in scope, wrong answer given | {a['in_scope_wrong_answer']:.3f} | "
        f"{ev['in_scope_wrong_answer']:.3f} | {od['in_scope_wrong_answer']:.3f} | |",
        f"| best candidate right (ignoring confidence) | {a['in_scope_best_top1']:.3f} | "
        f"{ev['in_scope_best_top1']:.3f} | {od['in_scope_best_top1']:.3f} | |",
        f"| latency p50 / p99 (ms) | {a['p50_ms']:.2f} / {a['p99_ms']:.2f} | | | "
        f"p99 < {TARGETS['p99_ms']:.0f} |",
        "",
        f"Index build (load + index of all entries): {data['build_seconds'] * 1000:.0f} ms; "
        f"peak memory while building: {data['build_peak_bytes'] / 1e6:.1f} MB (tracemalloc); "
        f"process peak RSS after the run: {data['maxrss_mb']:.0f} MB.",
        "",
        "## In-scope accuracy by style",
        "",
        "| style | n | top-1 |",
        "| --- | --- | --- |",
    ]
    for s, v in a["by_style"].items():
        lines.append(f"| {s} | {v['n']} | {v['top1']:.3f} |")
    lines += [
        "",
        "## Off-topic refused by style",
        "",
        "| style | n | refused |",
        "| --- | --- | --- |",
    ]
    for s, v in a["off_topic_by_style"].items():
        lines.append(f"| {s} | {v['n']} | {v['refused']:.3f} |")
    lines += ["", f"## Misses ({len(data['misses'])})", ""]
    lines += [
        "| # | question | expected | answered | best | conf |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for m in data["misses"]:
        q = m["q"].replace("|", "\\|")
        lines.append(
            f"| {m['n']} | {q} | {m['expected'] or 'off-topic'} | {m['got'] or '(not sure)'} | "
            f"{m['best'] or '-'} | {m['score']:.2f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, default=QUESTIONS)
    parser.add_argument("--content", type=Path, default=CONTENT)
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--show-misses", action="store_true", help="print every miss")
    args = parser.parse_args(argv)

    build_seconds, build_peak = measure_build(args.content)
    content = ContentStore.load(args.content)
    questions = load_questions(args.questions)
    results = run(questions, content)
    data = {
        "when": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {_cores()} cores, Python {platform.python_version()}",
        "entries": len(content.knowledge.entries),
        "build_seconds": round(build_seconds, 4),
        "build_peak_bytes": build_peak,
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "all": summarise(results),
        "even": summarise([r for r in results if r["n"] % 2 == 0]),
        "odd": summarise([r for r in results if r["n"] % 2 == 1]),
        "misses": misses(results),
    }
    a = data["all"]
    print(
        f"{a['questions']} questions ({a['in_scope']} in scope, {a['off_topic']} off-topic), "
        f"{data['entries']} entries"
    )
    for half in ("all", "even", "odd"):
        h = data[half]
        print(
            f"  {half:4}: top-1 in scope {h['in_scope_top1']:.3f} "
            f"(wrong {h['in_scope_wrong_answer']:.3f}, not sure {h['in_scope_refused']:.3f}); "
            f"off-topic refused {h['off_topic_refused']:.3f}"
        )
    print(
        "  by style: "
        + ", ".join(f"{s} {v['top1']:.2f} ({v['n']})" for s, v in a["by_style"].items())
    )
    print(
        f"  latency p50 {a['p50_ms']:.2f} ms, p99 {a['p99_ms']:.2f} ms, max {a['max_ms']:.2f} ms; "
        f"index build {build_seconds * 1000:.0f} ms, build peak {build_peak / 1e6:.1f} MB, "
        f"maxrss {data['maxrss_mb']:.0f} MB"
    )
    print(f"  misses: {len(data['misses'])}")
    if args.show_misses:
        for m in data["misses"]:
            print(
                f"    [{m['n']}] {m['q']!r}: expected {m['expected']}, got {m['got']} "
                f"(best {m['best']}, {m['score']:.2f}, {m['answer_lang']}) {m['style']}"
            )
    if not args.no_write:
        out = ROOT / "benchmarks"
        (out / "report.md").write_text(report_md(data), encoding="utf-8")
        (out / "report.json").write_text(
            json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )
        print(f"  wrote {out / 'report.md'} and report.json")
    return data


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


if __name__ == "__main__":
    main()
