"""Words of a question as the matcher sees them: tokens with their marks, a light English
stemmer, the filler words that count little, and the bounds on how much text is read.

Normalisation itself (NFC, one tone-mark placement, folding) is content.textnorm's job.
"""

from __future__ import annotations

import re

from content.search import params
from content.textnorm import normalize

_WORD = re.compile(r"[^\W_]+(?:[&'][^\W_]+)?")

# Filler and function words in both languages (folded). They still match, at low weight, and do
# not count when judging how much of a question an entry covers.
STOPWORDS = frozenset(
    """
    la gi cua co khong thi ma va cac nhung cho voi de duoc nao the sao vay a oi nhe nha anh chi
    em minh toi ban hoi xin cai nay do kia thu ra vao nhu bi o tai tu trong ve len neu khi roi
    chua hay hoac cung rat qua lai nua dang se da muon phai biet giup dum ah uh ok oke ha hen
    mot nhieu it con day kieu ben phia thoi luon dau sau truoc gium vs ay e u ui uk uhm thay
    bay gio nhi chu vi nen nhung tai sao thac mac chut ne ad admin hen nhen
    what is are the a an of to in on for and or do does did how can could i we my our you your
    it its this that there be with about please me any have has should would will at by from as
    so if when which who why get tell want us they them was were been being some more much many
    one also just know need hi hello hey thanks thank like wonder wondering ask asking question
    let explain really kindly
    """.split()  # noqa: SIM905 - a word list reads better as text
)

# Words that only occur in English, to tell the question's language when there are no marks.
EN_HINTS = frozenset(
    """
    what is are the how does do can could should would which who why when where there this that
    with about please my our your we you they any have has get want need help tell me of for and
    or to in on at by from it its be been much many cost costs company factory
    """.split()  # noqa: SIM905
)

_VI_ONSET = r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?"
_VI_RHYME = (
    r"(?:uye|uya|uyu|ieu|yeu|uoi|uou|oai|oao|oay|oeo|uai|uay|ai|ao|au|ay|eo|eu|ia|ie|iu|oa|oe|"
    r"oi|oo|ua|ue|ui|uo|uu|uy|ye|[aeiouy])(?:ch|ng|nh|[cmnpt])?"
)
_VI_SYLLABLE = re.compile(f"^{_VI_ONSET}{_VI_RHYME}$")


def is_vi_syllable(folded: str) -> bool:
    return bool(_VI_SYLLABLE.match(folded))


_Y_TO_I = str.maketrans("yýỳỷỹỵ", "iíìỉĩị")
_FINAL_Y = re.compile(r"\b(qu|[bdhklmnstv])([yýỳỷỹỵ])\b")


def tokens(text: str) -> list[str]:
    """Accented (normalised) word tokens; a final y after one consonant is written i, as both
    spellings are in use (lý/lí, kỹ/kĩ, quy/qui)."""
    text = _FINAL_Y.sub(lambda m: m.group(1) + m.group(2).translate(_Y_TO_I), normalize(text))
    return _WORD.findall(text)


def stem(word: str) -> str:
    """A light English stemmer. Safe on Vietnamese: no syllable ends in s, ed or ing."""
    if len(word) <= 3 or word.isdigit():
        return word
    for suffix, repl in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                return word
            return word[: len(word) - len(suffix)] + repl
    return word


def bounded(text: str) -> str:
    """The part of a message the matcher reads: at most params.MAX_CHARS characters, each word
    cut to params.MAX_WORD characters (a 4,096-digit "word" costs what 40 digits cost), at most
    params.MAX_WORDS words. Questions people write are far inside these bounds."""
    text = text[: params.MAX_CHARS]
    limit = params.MAX_WORD
    text = re.sub(rf"([^\W_]{{{limit}}})[^\W_]+", r"\1", text)
    words = text.split()
    if len(words) > params.MAX_WORDS:
        text = " ".join(words[: params.MAX_WORDS])
    return text
