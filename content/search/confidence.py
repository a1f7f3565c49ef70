"""The decision: rank the entries and judge how sure the best one is (a logistic function of
features of the match; weights in params, fitted by benchmarks/tune_qa.py). A cascade: BM25
alone when it is sure enough, otherwise BM25 and the embedding model's cosines together.

A mixin of SearchIndex: it reads the term sets the index built.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from content.search import params
from content.search.tokens import is_vi_syllable, stem

if TYPE_CHECKING:
    from content.search.analysis import Analysis
    from content.search.bm25 import Bm25


@dataclass
class Match:
    topic: str | None  # the entry to answer with, or None when not confident
    best: str | None  # the best candidate, confident or not
    score: float  # confidence in 0..1
    confident: bool
    lang: str | None  # the question's language, None when it cannot be told
    alternatives: list[str]  # the next closest entries (best first, excluding topic)
    raw: float = 0.0  # the best fused BM25 score, for tuning
    features: tuple[float, ...] = ()
    # Not sure, but `best` is probably right: answer it and offer the alternatives (the middle
    # tier between an answer and "not sure").
    middle: bool = False
    # Refused and closer to this group of content/offtopic.yaml than to any entry.
    offtopic_group: int | None = None
    also: list[str] = field(default_factory=list)  # other topics the message asks about
    person: bool = False  # the message asks for a person (an officer)


@dataclass
class Candidates:
    """What a question matched, before the decision (kept apart so tuning can re-decide)."""

    analysis: Analysis
    bm25: dict[str, float] = field(default_factory=dict)  # entry -> fused BM25 score
    variant: dict[str, float] = field(default_factory=dict)  # entry -> best way of asking
    offtopic: float = 0.0  # BM25 score of the closest off-topic example
    offtopic_group: int | None = None  # its group in content/offtopic.yaml
    perfect: float = 1.0  # the BM25 score of a document holding every term of the question
    cosine: dict[str, float] = field(default_factory=dict)  # entry -> cosine (with embeddings)
    cosine_offtopic: float = 0.0
    cosine_offtopic_group: int | None = None


class Decider:
    """Decides, from a question's Candidates, which entry answers it (or none)."""

    questions: Bm25
    asked_terms: dict[str, set[str]]
    entry_terms: dict[str, set[str]]
    entry_vocab: set[str]
    ways: dict[str, list[tuple[dict[str, float], float]]]
    offtopic_pairs: list[set[str]]
    title_words: dict[str, set[str]]
    names: dict[str, list[str]]

    def decide(self, c: Candidates) -> Match:
        """A cascade: BM25 decides alone when its own confidence reaches params.CASCADE
        (measured: it is then right more often than the fused ranking, and the model's time is
        saved); otherwise BM25 and the embedding together, with their own confidence."""
        lexical = self._decide(c, embed=False)
        if not c.cosine or lexical.score >= params.CASCADE:
            return lexical
        return self._decide(c, embed=True)

    def _decide(self, c: Candidates, *, embed: bool) -> Match:
        """Rank the entries and judge the confidence of the best one."""
        a = c.analysis
        use_cosine = embed and bool(c.cosine)
        ranked = self.fused(c, use_cosine)
        if not ranked:
            return Match(None, None, 0.0, False, a.lang, [])
        top = ranked[0][0]
        s1 = c.bm25.get(top, 0.0)
        s2 = max((v for e, v in c.bm25.items() if e != top), default=0.0)
        features = [
            self._coverage(a, self.asked_terms.get(top, set())),
            self._coverage(a, self.entry_terms.get(top, set())),
            self._bigram_coverage(a, self.entry_terms.get(top, set())),
            min(s1 / c.perfect, 1.5),
            max((s1 - s2) / s1, -1.0) if s1 > 0 else -1.0,
            self._unknown_share(a),
            max(min((c.offtopic - c.variant.get(top, 0.0)) / c.perfect, 1.5), -1.5),
            math.log1p(len(a.content)),
            self._contained(a, top),
        ]
        weights, threshold = params.CONFIDENCE, params.THRESHOLD
        middle_from = params.MIDDLE
        group = c.offtopic_group if c.offtopic > c.variant.get(top, 0.0) else None
        if use_cosine:
            cos1 = c.cosine[top]
            cos2 = max((v for e, v in c.cosine.items() if e != top), default=0.0)
            features += [cos1, cos1 - cos2, c.cosine_offtopic - cos1]
            weights, threshold = params.CONFIDENCE_EMBED, params.THRESHOLD_EMBED
            middle_from = params.MIDDLE_EMBED
            # One word says too little for the model to name the matter it is outside of
            # ("report" read as a tax question); BM25's off-topic example still can.
            if c.cosine_offtopic > cos1 and len(a.content) > 1:
                group = c.cosine_offtopic_group
        z = weights[0] + sum(w * x for w, x in zip(weights[1:], features, strict=True))
        conf = 1 / (1 + math.exp(-max(min(z, 30.0), -30.0)))
        confident = conf >= threshold
        if self._outside(c, top):
            confident, group = False, c.offtopic_group
        lone = self._lone_word(a, top)
        if lone:
            confident = False
        alts = [e for e, _ in ranked[1:4]] if confident else [e for e, _ in ranked[:3]]
        middle = not confident and conf >= middle_from and group is None and not lone
        return Match(
            topic=top if confident else None,
            best=top,
            score=round(conf, 4),
            confident=confident,
            lang=a.lang,
            alternatives=[e for e, _ in ranked[1:4]] if middle else alts,
            raw=s1,
            features=tuple(features),
            middle=middle,
            offtopic_group=None if confident else group,
        )

    def fused(self, c: Candidates, use_cosine: bool) -> list[tuple[str, float]]:
        """The entries by fused score, best first: BM25 relative to the best entry's plus
        EMBED_WEIGHT x cosine (or BM25 alone); sector entries the question does not name are
        left out."""
        top_bm = max(c.bm25.values(), default=0.0) or 1.0
        if use_cosine:
            fused = {
                e: c.bm25.get(e, 0.0) / top_bm + params.EMBED_WEIGHT * cos
                for e, cos in c.cosine.items()
            }
        else:
            fused = dict(c.bm25)
        if self.names:
            unnamed = self._unnamed(c.analysis)
            fused = {e: v for e, v in fused.items() if e not in unnamed}
        return sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))

    def _unnamed(self, a: Analysis) -> set[str]:
        """The entries with `names` (a sector) that the question does not name: they are not
        candidates. "how to save water" named no sector and got the seafood entry, whose ways
        of asking say "save water" in a seafood plant (tester, 2026-12-01)."""
        said = f" {' '.join(f.lstrip('+') for f, _acc in a.words)} "
        return {e for e, names in self.names.items() if not any(f" {n} " in said for n in names)}

    def _outside(self, c: Candidates, top: str) -> bool:
        """The question is about an off-topic group's matter: its closest off-topic example
        matches better than the entry's closest way of asking (BM25, and the model when it
        ran), and the question has at least params.OFFTOPIC_PAIRS word pairs that this group's
        examples write and no entry does (a land price in an industrial park, which would
        otherwise be answered with the eco-park project)."""
        n = c.offtopic_group
        if n is None or n >= len(self.offtopic_pairs) or c.offtopic <= c.variant.get(top, 0.0):
            return False
        if c.cosine and c.cosine_offtopic <= c.cosine.get(top, 0.0):
            return False  # the model reads it as the entry's matter: "giá điện tăng, giảm sao"
        own = self.offtopic_pairs[n]
        return sum(b in own for b in set(c.analysis.bigrams)) >= params.OFFTOPIC_PAIRS

    def _lone_word(self, a: Analysis, top: str) -> bool:
        """The message is one English (non-Vietnamese) word that does not name the entry: one
        word gives the model and BM25 too little to be sure of ("stats", repaired to "state",
        was answered with the incentives at 0.92; "status" with the eco-park project). The
        word names the entry when it (or what it was repaired to) is in one of its titles."""
        if len(a.content) != 1:
            return False
        [word] = a.content
        if is_vi_syllable(word):
            return False
        title = self.title_words.get(top, set())
        return word not in title and stem(word) not in title

    def _coverage(self, a: Analysis, known: set[str]) -> float:
        """Share of the question's informative words (by idf) that the entry knows."""
        idf = self.questions.idf
        total = covered = 0.0
        for f, (w, marked) in a.content.items():
            # The accented word's rarity when it has marks: "sổ" is rare where "so" is not.
            weight = idf.get(marked or f, self.questions.max_idf)
            total += weight
            if f in known or stem(f) in known:
                credit = 0.8 if w < 1 else 1.0
                # An accented word counts fully only if the entry has it with the same marks:
                # "sổ đỏ" is not "số độ".
                if marked is not None and marked not in known:
                    credit *= params.ACCENT_MISS_CREDIT
                covered += weight * credit
        return covered / total if total else 0.0

    def _unknown_share(self, a: Analysis) -> float:
        """Share of the question's informative words that no entry uses at all."""
        if not a.content:
            return 0.0
        unknown = 0
        for f, (_w, marked) in a.content.items():
            if f not in self.entry_vocab or (marked is not None and marked not in self.entry_vocab):
                unknown += 1
        return unknown / len(a.content)

    def _contained(self, a: Analysis, entry: str) -> float:
        """How much of the entry's closest way of asking the question contains (by rarity): a
        long question with context often holds one whole ("... sxsh là gì ạ")."""
        have = {t for t in a.terms if not t.startswith("~")}
        best = 0.0
        for words, total in self.ways.get(entry, ()):
            share = sum(w for t, w in words.items() if t in have) / total
            best = max(best, share)
        return best

    @staticmethod
    def _bigram_coverage(a: Analysis, known: set[str]) -> float:
        """Share of the question's word pairs found in the entry: Vietnamese words are mostly
        two syllables, so single syllables match by chance where pairs do not."""
        if not a.bigrams:
            return 0.0
        return sum(b in known for b in a.bigrams) / len(a.bigrams)
