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
