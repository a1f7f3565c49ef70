"""Where the question is in a message: its sentences and clauses, which of them ask something
(a question mark, a question word), and whether it asks for a person.

A long message carries context about the firm ("cty em làm thủy sản ở Trà Nóc, 120 công
nhân.") around the sentence that asks; the asking sentence should weigh more. A message may ask
several things ("bắt đầu từ đâu, tốn bao nhiêu, ai hỗ trợ"): each clause that asks is a part the
matcher can look up on its own. The word lists come from content/intents.yaml (officers edit
them), folded (no marks, lower case) before use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from content.textnorm import fold_words

_SENTENCE = re.compile(r"(?<=[.?!;\n])|(?<=\.\.\.)")
_CLAUSE = re.compile(r"[,;:?!.\n]+")
MIN_LONG_WORDS = 12  # shorter messages are read whole


@dataclass
class Cues:
    """Folded word lists from content/intents.yaml."""

    question_words: list[str] = field(default_factory=list)  # "gi", "bao nhieu", "how"
    question_ends: list[str] = field(default_factory=list)  # "khong", "ko": asks at the end
    clause_joins: list[str] = field(default_factory=list)  # "va", "dong thoi": join two asks
    person_phrases: list[str] = field(default_factory=list)  # a whole phrase: "nguoi that"
    person_nouns: list[str] = field(default_factory=list)  # "can bo", "nhan vien", "human"
    person_asks: list[str] = field(default_factory=list)  # "gap", "noi chuyen", "talk to"

    @classmethod
    def from_lists(cls, **lists: list[str]) -> Cues:
        return cls(
            **{k: sorted({fold_words(x) for x in v if fold_words(x)}) for k, v in lists.items()}
        )


def _has(words: str, phrase: str) -> bool:
    return f" {phrase} " in f" {words} "


def asks(text: str, cues: Cues) -> bool:
    """Does this sentence or clause ask something (a question mark or a question word)?"""
    if "?" in text:
        return True
    words = fold_words(text)
    if any(_has(words, q) for q in cues.question_words):
        return True
    last = words.split()[-2:]
    return any(w in cues.question_ends for w in last)


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if s and s.strip()]


def focus(text: str, cues: Cues) -> tuple[str, str] | None:
    """(the asking sentences, the context) of a long message whose asking sentences are only part
    of it; None when the message is short or every (or no) sentence asks."""
    if len(text.split()) < MIN_LONG_WORDS:
        return None
    parts = sentences(text)
    if len(parts) < 2:
        return None
    asking = [asks(s, cues) for s in parts]
    if all(asking) or not any(asking):
        return None
    ask = " ".join(s for s, a in zip(parts, asking, strict=True) if a)
    context = " ".join(s for s, a in zip(parts, asking, strict=True) if not a)
    return ask, context


def _split_joined(clause: str, cues: Cues) -> list[str]:
    """A clause joined by "và", "đồng thời", "and"... into two clauses that each ask ("nên lập
    đội gồm những ai và tiến hành theo các bước nào"); else the clause whole. "sản xuất và
    tiêu dùng bền vững là gì" stays one: its first half asks nothing."""
    words = clause.split()
    folded = [fold_words(w) for w in words]
    for join in cues.clause_joins:
        n = len(join.split())
        for i in range(2, len(words) - n - 1):
            if " ".join(folded[i : i + n]) != join:
                continue
            left, right = " ".join(words[:i]), " ".join(words[i + n :])
            if asks(left, cues) and asks(right, cues):
                return [*_split_joined(left, cues), *_split_joined(right, cues)]
    return [clause]


def questions(text: str, cues: Cues) -> list[str]:
    """The clauses that ask something, when a message asks two or more things; else []. Clauses
    end at punctuation, or at a joining word between two asks (content/intents.yaml)."""
    clauses = [c.strip() for c in _CLAUSE.split(text) if len(c.split()) >= 2]
    clauses = [part for c in clauses for part in _split_joined(c, cues)]
    asking = [c for c in clauses if asks(c, cues)]
    return asking if len(asking) >= 2 else []


def wants_person(text: str, cues: Cues) -> bool:
    """A request to talk to a person ("cho mình nói chuyện với nhân viên", "em cần người tư vấn
    trực tiếp", "can I speak to a human"): a person phrase, or a person noun together with a
    verb of reaching someone, in one clause."""
    for clause in _CLAUSE.split(text):
        words = fold_words(clause)
        if not words:
            continue
        if any(_has(words, p) for p in cues.person_phrases):
            return True
        if any(_has(words, n) for n in cues.person_nouns) and any(
            _has(words, a) for a in cues.person_asks
        ):
            return True
    return False
