"""Choices typed or pressed: exact value, number, label with or without diacritics, a word
of it, or a typo; several for a multi choice ("1, 3", "than và dầu")."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from rapidfuzz import fuzz

from content.forms.expected import expected_text
from content.forms.parsed import Err, Ok, Parsed
from content.forms.schema import AnswerWords, Question
from content.forms.wording import short, text
from content.textnorm import fold, fold_words

FUZZY_MIN = 80  # rapidfuzz score a typo must reach ...
FUZZY_MARGIN = 8  # ... and by how much it must beat the next candidate


def _candidates(question: Question) -> list[tuple[str, str]]:
    """(folded text, value) for every way a choice may be typed."""
    out = []
    for c in question.choices:
        for t in (c.value.replace("_", " "), c.label.vi, c.label.en, *c.aliases):
            f = fold_words(t)
            if f:
                out.append((f, c.value))
    return out


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _longest(found: list[tuple[str, str]], typed: str) -> list[str]:
    """The values whose way of typing shares the most words with what was typed: "không có"
    is the label "Không có đồng hồ" (both words), not the alias "có" inside it (one)."""
    shared = {}
    for c, v in found:
        n = len((c if f" {c} " in f" {typed} " else typed).split())
        shared[v] = max(shared.get(v, 0), n)
    most = max(shared.values(), default=0)
    return [v for v, n in shared.items() if n == most]


def match_choice(question: Question, token: str, exact_only: bool = False) -> tuple[str, Any]:
    """("ok", value) | ("number", n) for a number out of range | ("ambiguous", [values]) |
    ("unknown", None). Order: exact payload, number, exact label, whole words, typo."""
    t = token.strip()
    values = [c.value for c in question.choices]
    if t in values:
        return "ok", t
    m = re.fullmatch(r"(\d{1,3})\s*[.)]?(?:\s+.*)?", t, flags=re.S)
    if m:
        n = int(m.group(1))
        return ("ok", values[n - 1]) if 1 <= n <= len(values) else ("number", n)
    f = fold_words(t)
    if not f:
        return "unknown", None
    cands = _candidates(question)
    exact = _unique([v for c, v in cands if c == f])
    if len(exact) == 1:
        return "ok", exact[0]
    if exact:
        return "ambiguous", exact
    if len(f) >= 3 and not exact_only:
        padded = f" {f} "
        inside = _longest([(c, v) for c, v in cands if padded in f" {c} " or f" {c} " in padded], f)
        if len(inside) == 1:
            return "ok", inside[0]
        if len(inside) > 1:
            return "ambiguous", inside
        best: dict[str, float] = {}
        for c, v in cands:
            score = max(fuzz.ratio(f, c), fuzz.token_sort_ratio(f, c))
            best[v] = max(best.get(v, 0.0), score)
        ranked = sorted(best.items(), key=lambda kv: kv[1], reverse=True)
        if ranked and ranked[0][1] >= FUZZY_MIN:
            if len(ranked) == 1 or ranked[0][1] - ranked[1][1] >= FUZZY_MARGIN:
                return "ok", ranked[0][0]
            close = [v for v, s in ranked if s >= FUZZY_MIN and ranked[0][1] - s < FUZZY_MARGIN]
            return "ambiguous", close
    return "unknown", None


def options_text(question: Question, lang: str) -> str:
    return "\n".join(f"{i}. {c.label.get(lang)}" for i, c in enumerate(question.choices, 1))


def choice_error(
    question: Question, kind: str, detail: Any, token: str, lang: str, texts: Mapping[str, str]
) -> Err:
    expected = expected_text(question, lang, texts)
    if kind == "ambiguous":
        labels = [
            f"{question.values.index(v) + 1}. {question.choice(v).label.get(lang)}"  # type: ignore[union-attr]
            for v in detail
        ]
        return Err(
            text(texts, "error.choice_ambiguous", input=short(token), matches="; ".join(labels))
        )
    key = "error.choice_number" if kind == "number" else "error.choice_unknown"
    return Err(
        text(
            texts,
            key,
            input=short(token),
            number=detail,
            expected=expected,
            options=options_text(question, lang),
        )
    )


def _splitter(words: AnswerWords | None) -> re.Pattern[str]:
    """Commas, semicolons, "/", "+", "&", new lines and the list words ("và", "and")."""
    joined = [re.escape(fold_words(w)) for w in (words.list_separators if words else [])]
    alternatives = "".join(f"|\\b{w}\\b" for w in joined if w)
    return re.compile(rf"\s*(?:[,;+&\n]|/{alternatives})\s*")


def parse_multi(
    question: Question,
    raw: str,
    lang: str,
    texts: Mapping[str, str],
    words: AnswerWords | None = None,
) -> Parsed:
    if not re.search(r"\d", raw):  # a whole label may itself contain "và" or a comma
        kind, detail = match_choice(question, raw, exact_only=True)
        if kind == "ok":
            return Ok([detail])
    s = re.sub(r"(?<=\d)\.(?=\s*\d)", ",", fold(raw))
    chosen: list[str] = []
    for part in _splitter(words).split(s):
        part = part.strip(" .")
        if not part:
            continue
        tokens = part.split() if re.fullmatch(r"\d+(?:\s+\d+)*", part) else [part]
        for token in tokens:
            kind, detail = match_choice(question, token)
            if kind != "ok":
                return choice_error(question, kind, detail, token, lang, texts)
            chosen.append(detail)
    if not chosen:
        return Err(text(texts, "error.empty", expected=expected_text(question, lang, texts)))
    chosen = [c.value for c in question.choices if c.value in set(chosen)]
    if len(chosen) > 1:
        for value in chosen:
            choice = question.choice(value)
            if choice and choice.exclusive:
                return Err(
                    text(
                        texts,
                        "error.multi_exclusive",
                        choice=choice.label.get(lang),
                        expected=expected_text(question, lang, texts),
                    )
                )
    return Ok(chosen)
