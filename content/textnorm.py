"""Text normalisation shared by matching and command words.

Vietnamese is typed in many ways on phones: NFC or NFD, old or new tone-mark placement
(hoà/hòa, thuỷ/thủy), or with no diacritics at all. `fold` maps them all to one plain form.
"""

from __future__ import annotations

import re
import unicodedata

_SPACE = re.compile(r"\s+")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def fold(text: str) -> str:
    """Lower case, no diacritics (đ -> d), single spaces."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    plain = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    plain = plain.replace("đ", "d").replace("ð", "d")
    return _SPACE.sub(" ", plain).strip()


def fold_words(text: str) -> str:
    """`fold`, then everything but letters and digits becomes a space."""
    return _SPACE.sub(" ", re.sub(r"[^\w]+", " ", fold(text))).strip()


def mark_words(text: str) -> str:
    """Lower case with the diacritics kept (one tone-mark placement), everything but letters and
    digits as a space: "Dừng!" -> "dừng", "ĐÚNG" -> "đúng"."""
    return _SPACE.sub(" ", re.sub(r"[^\w]+", " ", tone_marks(text.lower()))).strip()


# Tone marks (combining, after NFD) and the vowel pairs whose mark moves between the old and new
# placement: hòa/hoà, hòe/hoè, thủy/thuỷ. We keep the new placement (on the second vowel).
_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
_MOVE_AFTER = {"o": "ae", "u": "y"}


def tone_marks(text: str) -> str:
    """NFC with one tone-mark placement for oa, oe, uy (hòa -> hoà, thủy -> thuỷ, quý stays)."""
    chars = list(unicodedata.normalize("NFD", text))
    out: list[str] = []
    i = 0
    while i < len(chars):
        ch = chars[i]
        nxt = chars[i + 1] if i + 1 < len(chars) else ""
        after = chars[i + 2] if i + 2 < len(chars) else ""
        follow = _MOVE_AFTER.get(ch.lower())
        if follow and nxt in _TONES and after.lower() in follow:
            # Only when the second vowel carries no mark of its own.
            rest = chars[i + 3] if i + 3 < len(chars) else ""
            if not rest or unicodedata.category(rest) != "Mn":
                out.extend([ch, after, nxt])
                i += 3
                continue
        out.append(ch)
        i += 1
    return unicodedata.normalize("NFC", "".join(out))


def normalize(text: str) -> str:
    """The accented form used for matching: NFC, one tone placement, lower case, single spaces."""
    return _SPACE.sub(" ", tone_marks(text).lower()).strip()


def has_diacritics(text: str) -> bool:
    """Whether the text carries Vietnamese marks (or đ)."""
    return fold(text) != _SPACE.sub(" ", text.lower()).strip()


# -- what a person typed, read the same whatever the keyboard ---------------------------------
# Characters that show nothing: zero-width space/joiners, word joiner, BOM, soft hyphen.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e"), None)
# Full-width ASCII (U+FF01-FF5E) and the ideographic space, as typed on CJK keyboards.
_FULL_WIDTH = {0xFF01 + i: 0x21 + i for i in range(0x5E)} | {0x3000: 0x20}
# Cyrillic and Greek letters drawn like Latin ones (Unicode's confusables, the common subset).
_LOOK_ALIKE = str.maketrans(
    "аеорсухіјѕԁһԛԝАВЕКМНОРСТХУІЈЅοαιкνρτυχΑΒΕΖΗΙΚΜΝΟΡΤΥΧ",
    "aeopcyxijsdhqwABEKMHOPCTXYIJSoaikvptuxABEZHIKMNOPTYX",
)
_WORD = re.compile(r"\w+")
_LOOK_ALIKE_CHARS = frozenset("аеорсухіјѕԁһԛԝАВЕКМНОРСТХУІЈЅοαιкνρτυχΑΒΕΖΗΙΚΜΝΟΡΤΥΧ")


def _is_cyrillic_or_greek(ch: str) -> bool:
    return "\u0370" <= ch <= "\u052f"


def _latinise(text: str) -> str:
    """Look-alikes become Latin inside words that have a Latin letter, and in words made only
    of look-alikes when the message has no other Cyrillic or Greek letter ("СТОР" is "STOP"
    there; a Russian or Greek message keeps every letter)."""
    foreign = {ch for ch in text if _is_cyrillic_or_greek(ch)}
    all_alike = foreign <= _LOOK_ALIKE_CHARS

    def word(match: re.Match[str]) -> str:
        w = match.group()
        latin = any(unicodedata.name(ch, "").startswith("LATIN") for ch in w)
        return w.translate(_LOOK_ALIKE) if latin or all_alike else w

    return _WORD.sub(word, text) if foreign else text


def canonical(text: str) -> str:
    """What a person typed, in the one form the bot reads (issue 8: text that looks the same is
    read the same): invisible characters removed, full-width forms as ASCII, Cyrillic/Greek
    look-alikes inside otherwise-Latin words as Latin, and NFC (decomposed Vietnamese tone
    marks composed). Nothing else changes: case, spacing and tone-mark placement are kept."""
    text = unicodedata.normalize("NFC", text.translate(_INVISIBLE).translate(_FULL_WIDTH))
    return unicodedata.normalize("NFC", _latinise(text))


def clip(text: str, limit: int) -> str:
    """`text` if it has at most `limit` characters, else cut at the last word boundary that
    fits with "…" (a single word longer than that is cut inside it): "Hội thảo tiết kiệm
    năng lượng", 24 -> "Hội thảo tiết kiệm năng…"."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    if not text[limit - 1].isspace():  # the cut falls inside a word: drop that word
        word_start = head.rfind(" ")
        head = head[:word_start] if word_start > 0 else head
    return head.rstrip(" ,;:-–") + "…"
