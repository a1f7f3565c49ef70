"""Repair of words no content uses: Telex or VNI keys typed without an input method ("sanr
xuaats"), words run together ("sanxuatsachhon"), and small typos (edit distance against the
index's vocabulary)."""

from __future__ import annotations

import re
from collections import Counter

from rapidfuzz import process
from rapidfuzz.distance import OSA

from content.search.tokens import is_vi_syllable

_TELEX_TONE = set("sfrxj")


def telex_candidates(word: str) -> list[str]:
    """ "xuaats" -> "xuat", "sa3n" -> "san": marks typed as keys without an input method."""
    out: list[str] = []
    if any(c.isdigit() for c in word) and any(c.isalpha() for c in word):
        out.append(re.sub(r"\d", "", word))
    base = word
    if len(word) >= 3 and word[-1] in _TELEX_TONE and re.search(r"[aeiouyw]", word[:-1]):
        base = word[:-1]
    else:
        # A tone key inside: "tieesng", "nuowsc".
        m = re.search(r"([aeiouyw])([sfrxj])([a-z]+)$", word)
        if m:
            base = word[: m.start(2)] + m.group(3)
    collapsed = base
    for a, b in (("aa", "a"), ("ee", "e"), ("oo", "o"), ("dd", "d"), ("aw", "a"), ("ow", "o")):
        collapsed = collapsed.replace(a, b)
    collapsed = collapsed.replace("uw", "u").replace("w", "u")
    for cand in (base, collapsed):
        if cand != word:
            out.append(cand)
    return out


def repair(
    word: str, vocab: set[str], vocab_list: list[str], df: Counter[str]
) -> tuple[str, ...] | None:
    """The known word(s) an unknown folded word most likely stands for, or None."""
    for cand in telex_candidates(word):
        if cand in vocab:
            return (cand,)
    if len(word) >= 6:
        split = segment(word, vocab)
        if split:
            return tuple(split)
    if len(word) >= 4 and not is_vi_syllable(word):
        # A valid syllable is a word in its own right ("phim", "benh"), not a typo to repair.
        limit = 1 if len(word) <= 6 else 2
        found = process.extract(word, vocab_list, scorer=OSA.distance, score_cutoff=limit, limit=5)
        if found:
            found.sort(key=lambda m: (m[1], -df[m[0]]))
            return (found[0][0],)
    return None


def segment(word: str, vocab: set[str]) -> list[str] | None:
    """Split words typed without spaces into known syllables, fewest pieces first."""
    n = len(word)
    best: list[list[str] | None] = [None] * (n + 1)
    best[0] = []
    for i in range(1, n + 1):
        for j in range(max(0, i - 7), i):
            prev = best[j]
            piece = word[j:i]
            if prev is None or piece not in vocab or not is_vi_syllable(piece):
                continue
            if best[i] is None or len(prev) + 1 < len(best[i]):
                best[i] = [*prev, piece]
    result = best[n]
    return result if result and len(result) >= 2 else None
