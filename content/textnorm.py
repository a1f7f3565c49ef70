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
