"""BM25 over the content's documents: each way of asking, all ways of asking of an entry, and
the answer text. Postings keep each term's saturation, computed once at build time."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from content.search import params

try:  # numpy comes with the embedding model; BM25 uses it when present, pure Python if not
    import numpy as _np
except ImportError:  # pragma: no cover - depends on the installation
    _np = None


@dataclass
class Doc:
    entry: str
    lang: str
    length: float
    terms: dict[str, float]


class Bm25:
    def __init__(self, docs: list[Doc]):
        self.docs = docs
        self.avg = sum(d.length for d in docs) / max(len(docs), 1)
        df: Counter[str] = Counter()
        # Each posting holds the term's BM25 saturation in that document, computed once.
        self.postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for i, d in enumerate(docs):
            norm = (
                params.K1 * (1 - params.B + params.B * d.length / self.avg)
                if self.avg
                else params.K1
            )
            for t, tf in d.terms.items():
                df[t] += 1
                self.postings[t].append((i, tf * (params.K1 + 1) / (tf + norm)))
        n = len(docs)
        self.idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
        self.max_idf = math.log(1 + (n - 0.5) / 1.5) if n else 1.0

        # Documents of one entry are consecutive: runs of (entry, first document).
        self.runs: list[tuple[str, int]] = []
        for i, d in enumerate(docs):
            if not self.runs or self.runs[-1][0] != d.entry:
                self.runs.append((d.entry, i))
        self._arrays: dict[str, tuple[Any, Any]] | None = None
        if _np is not None and docs:
            self._arrays = {
                t: (_np.array([i for i, _ in p], dtype=_np.intp), _np.array([s for _, s in p]))
                for t, p in self.postings.items()
            }
            self._starts = _np.array([i for _, i in self.runs], dtype=_np.intp)

    def scores(self, query: dict[str, float]) -> dict[int, float]:
        out: dict[int, float] = defaultdict(float)
        for term, w in query.items():
            post = self.postings.get(term)
            if not post:
                continue
            weight = self.idf[term] * w
            for i, sat in post:
                out[i] += weight * sat
        return out

    def entry_scores(self, query: dict[str, float]) -> dict[str, float]:
        """Each entry's best document score (entries that match no term are left out)."""
        if self._arrays is None:
            best: dict[str, float] = {}
            for i, s in self.scores(query).items():
                e = self.docs[i].entry
                best[e] = max(best.get(e, 0.0), s)
            return best
        acc = _np.zeros(len(self.docs))
        for term, w in query.items():
            post = self._arrays.get(term)
            if post is not None:
                acc[post[0]] += (self.idf[term] * w) * post[1]
        per_entry = _np.maximum.reduceat(acc, self._starts)
        runs = self.runs
        return {runs[k][0]: float(per_entry[k]) for k in _np.flatnonzero(per_entry)}

    def self_score(self, query: dict[str, float]) -> float:
        """The score of a document that holds every query term once: a perfect match."""
        total = 0.0
        for term, w in query.items():
            idf = self.idf.get(term, self.max_idf)
            total += w * idf
        return total


# ---------------------------------------------------------------------------------------------
