"""Query analysis: a question turned into weighted index terms. Abbreviations are expanded
(by context when one has two meanings), unknown words repaired, synonym groups add their other
phrases at a lower weight, filler counts little, and the question's language is told.

A mixin of SearchIndex: it reads the vocabulary, abbreviations and synonyms the index built.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from content.search import params
from content.search.parts import Cues, focus
from content.search.repair import repair
from content.search.tokens import EN_HINTS, STOPWORDS, bounded, is_vi_syllable, stem, tokens
from content.textnorm import fold

if TYPE_CHECKING:
    from collections import Counter


@dataclass
class Analysis:
    """A question turned into weighted index terms, with what the analyser did to it."""

    terms: dict[str, float]
    content: dict[str, tuple[float, str | None]]  # informative folded word -> (weight, accented)
    accented: bool
    lang: str | None  # "vi" | "en" | None (cannot tell)
    repaired: dict[str, str] = field(default_factory=dict)
    bigrams: list[str] = field(default_factory=list)  # informative folded word pairs
    words: list[tuple[str, str]] = field(default_factory=list)  # (folded, accented) after expansion


class Analyser:
    """Turns questions (and content texts, at build time) into terms."""

    abbrev: dict[tuple[str, ...], list[list[str]]]
    abbrev_max: int
    abbrev_forms: dict[tuple[str, ...], set[tuple[str, ...]]]
    synonyms: list[list[tuple[str, ...]]]
    vocab: set[str]
    vocab_list: list[str]
    df: Counter[str]
    en_vocab: set[str]
    pairs: Counter[str]
    _repairs: dict[str, tuple[str, ...] | None]
    cues: Cues

    def _expand(self, folded: list[str], accented: list[str]) -> list[tuple[str, str]]:
        """Expand abbreviations (longest key first); returns (folded, accented) word pairs."""
        out: list[tuple[str, str]] = []
        i = 0
        while i < len(folded):
            for n in range(min(self.abbrev_max, len(folded) - i), 0, -1):
                key = tuple(folded[i : i + n])
                meanings = self.abbrev.get(key)
                typed = tuple(a.lower() for a in accented[i : i + n])
                if meanings and typed != key and typed not in self.abbrev_forms.get(key, ()):
                    # Typed with marks the key is not written with: a real word ("hỏng",
                    # broken, "hồng", is not "hong" for "không"; content/synonyms.yaml lists
                    # "hông" as a key of its own).
                    meanings = None
                if meanings:
                    if len(meanings) > 1 and self.pairs:
                        meanings = self._by_context(meanings, out, folded, i + n)
                    # The first meaning goes in the word stream; others are extra terms.
                    for w in meanings[0]:
                        out.append((stem(fold(w)), w))
                    for other in meanings[1:]:
                        for w in other:
                            out.append(("+" + stem(fold(w)), w))
                    i += n
                    break
            else:
                out.append((stem(folded[i]), accented[i]))
                i += 1
        return out

    def _by_context(
        self, meanings: list[list[str]], before: list[tuple[str, str]], folded: list[str], j: int
    ) -> list[list[str]]:
        """An abbreviation with several meanings ("ctr": chất thải rắn, chương trình): the
        meaning that the content most often writes next to the neighbouring words comes first
        ("ctr hỗ trợ" -> "chương trình hỗ trợ"); on a tie, the order of synonyms.yaml."""
        prev = next((f for f, _ in reversed(before) if not f.startswith("+")), None)
        nxt = stem(folded[j]) if j < len(folded) else None

        def fits(meaning: list[str]) -> float:
            first, last = stem(fold(meaning[0])), stem(fold(meaning[-1]))
            score = math.log1p(self.pairs.get(f"{prev}_{first}", 0)) if prev else 0.0
            return score + (math.log1p(self.pairs.get(f"{last}_{nxt}", 0)) if nxt else 0.0)

        return sorted(meanings, key=lambda m: -fits(m))

    def _terms(
        self,
        words: list[tuple[str, str]],
        *,
        accented: bool,
        weights: list[float] | None,
    ) -> dict[str, float]:
        """Folded unigrams, folded bigrams and (if accented) accented unigrams."""
        terms: dict[str, float] = defaultdict(float)
        stream: list[tuple[str, float]] = []
        for n, (f, a) in enumerate(words):
            w = 1.0 if weights is None else weights[n]
            alt = f.startswith("+")
            f = f.lstrip("+")
            if weights is not None and f in STOPWORDS:
                w *= params.STOP_WEIGHT
            if alt:
                w *= 0.5
            terms[f] += w
            if accented and a != f and fold(a) != a:
                terms["~" + a] += w * params.ACCENT_WEIGHT
            if not alt:
                stream.append((f, w))
        for (f1, w1), (f2, w2) in zip(stream, stream[1:], strict=False):
            terms[f"{f1}_{f2}"] += params.BIGRAM_WEIGHT * min(w1, w2)
        return terms

    # -- querying ---------------------------------------------------------------------------
    def analyse(self, question: str) -> Analysis:
        """A message's terms. In a long message whose asking sentences are only part of it, the
        other sentences (context about the firm) count params.CONTEXT_WEIGHT as much, and the
        asking sentences alone are what the embedding model reads."""
        text = bounded(question)
        split = focus(text, self.cues)
        if split is None or params.CONTEXT_WEIGHT >= 1:
            return self._analyse(text)
        a = self._analyse(split[0])
        context = self._analyse(split[1])
        for t, w in context.terms.items():
            a.terms[t] = a.terms.get(t, 0.0) + w * params.CONTEXT_WEIGHT
        if context.accented and not a.accented:
            a.accented, a.lang = True, "vi"
        elif a.lang is None:
            a.lang = context.lang
        return a

    def _analyse(self, text: str) -> Analysis:
        acc_tokens = tokens(text)
        accented = any(fold(t) != t for t in acc_tokens)
        folded = [fold(t) for t in acc_tokens]
        # Repair unknown words before expanding abbreviations.
        repaired: dict[str, str] = {}
        words: list[str] = []
        accs: list[str] = []
        weights: list[float] = []
        for f, a in zip(folded, acc_tokens, strict=True):
            if self._known(f):
                words.append(f)
                accs.append(a)
                weights.append(1.0)
                continue
            fix = self._repair(f)
            if fix is None:
                words.append(f)
                accs.append(a)
                weights.append(1.0)
            else:
                repaired[f] = " ".join(fix)
                for piece in fix:
                    words.append(piece)
                    accs.append(piece)
                    weights.append(params.REPAIR_WEIGHT)
        lang = self._language(
            [f if f not in repaired or " " in repaired[f] else repaired[f] for f in folded],
            accented,
        )
        pairs = self._expand(words, accs)
        # Weights follow the words through expansion (an expansion inherits 1.0).
        wmap = dict(zip(words, weights, strict=True))
        pair_weights = [wmap.get(f.lstrip("+"), 1.0) for f, _ in pairs]
        terms = self._terms(pairs, accented=accented, weights=pair_weights)
        content: dict[str, tuple[float, str | None]] = {}
        for (f, acc), w in zip(pairs, pair_weights, strict=True):
            f = f.lstrip("+")
            if f not in STOPWORDS and not f.isdigit():
                marked = "~" + acc if accented and fold(acc) != acc else None
                if f not in content or content[f][0] < w:
                    content[f] = (w, marked)
        # Synonyms: a phrase found in the question adds the group's other phrases.
        seq = [f.lstrip("+") for f, _ in pairs]
        joined = " " + " ".join(seq) + " "
        for group in self.synonyms:
            if any(" " + " ".join(p) + " " in joined for p in group):
                for p in group:
                    if " " + " ".join(p) + " " in joined:
                        continue
                    for t, w in self._terms(
                        [(x, x) for x in p], accented=False, weights=[1.0] * len(p)
                    ).items():
                        terms[t] = terms.get(t, 0.0) + w * params.SYNONYM_WEIGHT
        pairs_seq = [f for f in seq if not f.isdigit()]
        bigrams = [
            f"{x}_{y}"
            for x, y in zip(pairs_seq, pairs_seq[1:], strict=False)
            if not (x in STOPWORDS and y in STOPWORDS)
        ]
        return Analysis(dict(terms), content, accented, lang, repaired, bigrams, pairs)

    def _known(self, f: str) -> bool:
        return f in self.vocab or stem(f) in self.vocab or (f,) in self.abbrev or f.isdigit()

    def _repair(self, word: str) -> tuple[str, ...] | None:
        cache = self._repairs
        if word not in cache:
            if len(cache) > 20000:
                cache.clear()
            cache[word] = repair(word, self.vocab, self.vocab_list, self.df)
        return cache[word]

    def _language(self, folded: list[str], accented: bool) -> str | None:
        if accented:
            return "vi"
        en = vi = 0
        for f in folded:
            if f.isdigit():
                continue
            if (f,) in self.abbrev and not f.isascii():
                vi += 1
            elif f in EN_HINTS or (f in self.en_vocab and not is_vi_syllable(f)):
                en += 1
            elif (f,) in self.abbrev or is_vi_syllable(f):
                vi += 1
            elif len(f) > 3:
                en += 1  # not a Vietnamese syllable: an English word or a typo
        if en > vi:
            return "en"
        if vi > en:
            return "vi"
        return None
