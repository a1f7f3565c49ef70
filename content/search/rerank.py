"""A learned re-ranking of the closest entries when the embedding model ran.

The fused ranking (BM25 relative to the best entry + EMBED_WEIGHT x cosine) puts the right entry
first for about 81% of the questions BM25 alone is not sure of, and among its first three for
about 95% (measured on the tuning sets, benchmarks/method.md). Its two signals are added with
one fixed weight; which one to trust depends on the question (a long message with context, a
paraphrase with none of the entry's words, a word of the entry's title). The re-ranker scores
each of the first RERANK_K entries with a linear function of features of the pair (question,
entry) and orders them by it; the rest keep their places. The weights (params.RERANK) are
fitted by benchmarks/tune_qa.py (listwise: a softmax over the candidates, the right one's
log-probability maximised) on the tuning questions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from content.search import params

if TYPE_CHECKING:
    from content.search.confidence import Candidates, Decider

RERANK_K = 8  # the right entry is among the fused ranking's first 8 for ~99% of the questions

# The features of (question, entry), in the order of params.RERANK.
FEATURES = (
    "bm25 relative to the best entry's",
    "best way of asking's BM25 relative to a perfect match",
    "cosine",
    "cosine minus the best cosine",
    "1 / (1 + place in the fused ranking)",
    "1 / (1 + place by BM25)",
    "1 / (1 + place by cosine)",
    "coverage of the question by the entry's ways of asking",
    "coverage of the question by all its text",
    "share of the question's word pairs in the entry",
    "how much of the entry's closest way of asking the question contains",
    "share of the question's words in the entry's titles",
)


def features(d: Decider, c: Candidates, ranked: list[str]) -> list[list[float]]:
    """One row of FEATURES per entry of `ranked` (the fused ranking's first entries)."""
    a = c.analysis
    top_bm = max(c.bm25.values(), default=0.0) or 1.0
    best_cos = max(c.cosine.values(), default=0.0)
    by_bm25 = {e: i for i, e in enumerate(sorted(c.bm25, key=lambda e: -c.bm25[e]))}
    by_cos = {e: i for i, e in enumerate(sorted(c.cosine, key=lambda e: -c.cosine[e]))}
    words = set(a.content)
    rows = []
    for place, e in enumerate(ranked):
        title = d.title_words.get(e, set())
        cos = c.cosine.get(e, 0.0)
        rows.append(
            [
                c.bm25.get(e, 0.0) / top_bm,
                min(c.variant.get(e, 0.0) / c.perfect, 1.5),
                cos,
                cos - best_cos,
                1.0 / (1 + place),
                1.0 / (1 + by_bm25.get(e, 50)),
                1.0 / (1 + by_cos.get(e, 50)),
                d._coverage(a, d.asked_terms.get(e, set())),
                d._coverage(a, d.entry_terms.get(e, set())),
                d._bigram_coverage(a, d.entry_terms.get(e, set())),
                d._contained(a, e),
                sum(w in title for w in words) / max(len(words), 1),
            ]
        )
    return rows


def rerank(d: Decider, c: Candidates, ranked: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """`ranked` (entry, fused score; best first) with its first RERANK_K entries ordered by the
    re-ranker's score (which then replaces their fused score); unchanged without weights."""
    weights = params.RERANK
    if not weights or len(ranked) < 2:
        return ranked
    head = [e for e, _ in ranked[:RERANK_K]]
    scored = [
        (e, sum(w * x for w, x in zip(weights, row, strict=True)))
        for e, row in zip(head, features(d, c, head), strict=True)
    ]
    scored.sort(key=lambda kv: (-kv[1], kv[0]))
    return scored + ranked[RERANK_K:]
