"""Numbers as people in Vietnam type them: "12.000.000", "1,5", "15tr5", "2 tỷ 3", "800tr",
"tám trăm triệu", "2 triệu rưỡi", "1 tỷ 200 triệu", "300 m3". Pure: the number words come in
as a `NumberWords` (content/questionnaires/number_words.yaml), nothing is read here.

`parse_number` returns the value in the question's unit and whether it needed interpretation
(words, multipliers, separators, a đồng amount read as triệu): such a value is echoed back to
the person ("= 800.000.000 đồng/tháng") so a slip shows at once (issue 7, item 11).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from content.forms.schema import NumberWords, Question
from content.forms.wording import text
from content.locale import number_text
from content.textnorm import fold

MAX_DIGITS = 15  # a float holds 15 significant digits exactly; longer input is not a figure


@dataclass(frozen=True)
class _Lexicon:
    digits: dict[str, int]
    after_tens: dict[str, int]
    ten: set[str]
    tens: set[str]
    hundreds: set[str]
    multipliers: dict[str, int]
    half: set[str]


def _lexicon(words: NumberWords | None) -> _Lexicon:
    w = words or NumberWords()
    return _Lexicon(
        digits={fold(x): d for d, xs in w.digits.items() for x in xs},
        after_tens={fold(x): d for d, xs in w.after_tens.items() for x in xs},
        ten={fold(x) for x in w.ten},
        tens={fold(x) for x in w.tens},
        hundreds={fold(x) for x in w.hundreds},
        multipliers={fold(x): m for m, xs in w.multipliers.items() for x in xs},
        half={fold(x) for x in w.half},
    )


def format_number(value: float | int | None, lang: str = "vi") -> str:
    """12000000 -> "12.000.000" (vi) / "12,000,000" (en); 1.5 -> "1,5" / "1.5"; at most six
    decimals (content/locale.py)."""
    if value is None:
        return ""
    return number_text(value, lang, decimals=6)


def unit_of(question: Question, lang: str) -> str:
    return question.unit.get(lang) if question.unit else ""


def range_text(question: Question, lang: str, texts: Mapping[str, str]) -> str:
    """ " từ 0 đến 100.000 triệu đồng/tháng" — empty when the question has no bounds."""
    unit = unit_of(question, lang)
    fields = {
        "min": format_number(question.min, lang),
        "max": format_number(question.max, lang),
        "unit": f" {unit}" if unit else "",
    }
    if question.min is not None and question.max is not None:
        return text(texts, "range.between", **fields)
    if question.min is not None:
        return text(texts, "range.min", **fields)
    if question.max is not None:
        return text(texts, "range.max", **fields)
    return ""


def ascii_digits(raw: str) -> str:
    """Every Unicode decimal digit (full-width "１２", Arabic-Indic...) as 0-9: digits that
    look alike to a person are read alike."""
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in raw)


_NUM = r"[0-9]+(?:[.,][0-9]+)*(?: [0-9]{3}(?![0-9]))*"
_TOKEN = re.compile(rf"(?P<num>{_NUM})|(?P<word>[a-z]+)|(?P<other>\S)")
# units written with digits would otherwise be read as numbers ("300 m3")
_UNIT_DIGITS = re.compile(r"(?<![a-z])(?:m|km|cm|mm)\s*[23²³](?![0-9])|co2|pm2[.,]5|pm10")


class NumberError(ValueError):
    """`key` is the error text key: not_a_number, several_numbers, too_many_digits."""

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def plain_number(token: str) -> float:
    """One number written the Vietnamese or English way ("12.000.000", "1,5", "1.234,5")."""
    if len(re.sub(r"[^0-9]", "", token)) > MAX_DIGITS:
        raise NumberError("too_many_digits")
    token = token.replace(" ", ".") if re.fullmatch(r"[0-9]+(?: [0-9]{3})+", token) else token
    dots, commas = token.count("."), token.count(",")
    if dots and commas:
        dec = "." if token.rfind(".") > token.rfind(",") else ","
        thou = "," if dec == "." else "."
        whole, _, frac = token.rpartition(dec)
        if whole.count(dec) or not re.fullmatch(rf"[0-9]{{1,3}}(?:\{thou}[0-9]{{3}})*", whole):
            raise NumberError("not_a_number")
        return float(whole.replace(thou, "") + "." + frac)
    sep = "." if dots else "," if commas else ""
    if not sep:
        return float(token)
    groups = token.split(sep)
    if len(groups) > 2 or len(groups[-1]) == 3:
        # "12.000.000", "12,000,000", "12.000": thousands separators
        if not (1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])):
            raise NumberError("not_a_number")
        return float("".join(groups))
    return float(groups[0] + "." + groups[1])  # "1,5" / "1.5": decimal


@dataclass(frozen=True)
class _Tok:
    kind: str  # n (digits), w (digit word), ten, tens, hundreds, mult, half, zero
    value: float = 0.0
    source: str = ""


def _tokens(s: str, lex: _Lexicon) -> list[list[_Tok]]:
    """Phrases: runs of number tokens; any other word or sign ends a phrase."""
    phrases: list[list[_Tok]] = [[]]
    for m in _TOKEN.finditer(s):
        word = m.group("word")
        last = phrases[-1][-1].kind if phrases[-1] else ""
        if word in lex.after_tens and last in ("ten", "tens", "w") and word not in lex.digits:
            if last == "w":  # "bốn lăm" = bốn mươi lăm, as people say it
                phrases[-1].append(_Tok("tens", 10, ""))
            phrases[-1].append(_Tok("w", lex.after_tens[word], word))
            continue
        if m.group("num"):
            tok = _Tok("n", plain_number(m.group("num")), m.group("num"))
        elif word in lex.digits:
            tok = _Tok("zero" if lex.digits[word] == 0 else "w", lex.digits[word], word)
        elif word in lex.ten or word in lex.tens:
            tok = _Tok("ten" if word in lex.ten else "tens", 10, word)
        elif word in lex.hundreds:
            tok = _Tok("hundreds", 100, word)
        elif word in lex.multipliers:
            tok = _Tok("mult", lex.multipliers[word], word)
        elif word in lex.half:
            tok = _Tok("half", 0.5, word)
        else:
            phrases.append([])
            continue
        phrases[-1].append(tok)
    return [p for p in phrases if any(t.kind in ("n", "w", "ten", "hundreds") for t in p)]


def _value(phrase: list[_Tok]) -> float:
    """One phrase: "tám trăm triệu", "1 tỷ 2", "hai mươi lăm nghìn", "2 triệu rưỡi"."""
    total = group = 0.0
    pending: _Tok | None = None
    big: float | None = None  # the last multiplier (nghìn, triệu, tỷ)
    unit: str | None = None  # what `rưỡi` halves
    for tok in phrase:
        if tok.kind in ("n", "w"):
            # "tám 8" (a word glossed by its digit), "năm 2024": the digits count
            if pending is not None and (pending.kind != "w" or tok.kind != "n"):
                raise NumberError("several_numbers")
            pending = tok
        elif tok.kind == "zero":
            continue  # "một trăm linh năm": a placeholder between digits
        elif tok.kind == "ten":
            if pending is not None:  # "mươi" and "mười" fold alike: after a digit, × 10
                group += pending.value * 10
                pending = None
            else:
                group += 10
            unit = "tens"
        elif tok.kind == "tens":
            group += (pending.value if pending else 1) * 10
            pending, unit = None, "tens"
        elif tok.kind == "hundreds":
            group += (pending.value if pending else 1) * 100
            pending, unit = None, "hundreds"
        elif tok.kind == "mult":
            segment = group + (pending.value if pending else 0)
            if segment == 0 or (big is not None and tok.value >= big):
                raise NumberError("several_numbers")  # "triệu" alone, "2 tỷ 3 tỷ"
            total += segment * tok.value
            group, pending, big, unit = 0.0, None, tok.value, "mult"
        elif tok.kind == "half":
            if unit == "mult" and big is not None and pending is None and group == 0:
                total += big / 2  # "2 triệu rưỡi"
            elif unit == "hundreds" and pending is None:
                group += 50  # "trăm rưỡi"
            else:
                raise NumberError("not_a_number")
            unit = None
    if big is not None and pending is not None and group == 0:
        if pending.kind == "n" and not re.fullmatch(r"[0-9]{1,3}", pending.source):
            raise NumberError("several_numbers")
        # "1 tỷ 2" = 1,2 tỷ, "15tr5" = 15,5 triệu, "2 tỷ 300" = 2,3 tỷ
        digits = pending.source if pending.kind == "n" else str(int(pending.value))
        return total + float("0." + digits) * big
    if big is not None and big >= 1_000_000 and group and pending is None:
        return total + group * big / 1000  # "hai triệu hai trăm" = 2.200.000
    return total + group + (pending.value if pending else 0)


def parse_number(raw: str, question: Question, words: NumberWords | None) -> tuple[float, bool]:
    """(value in the question's unit, needed interpretation). Raises NumberError."""
    s = _UNIT_DIGITS.sub(" ", fold(ascii_digits(raw)))
    negative = bool(re.match(r"^\s*[-−]\s*[0-9a-z]", s))
    lex = _lexicon(words)
    phrases = _tokens(s, lex)
    if len(phrases) > 1:
        # "45 triệu mỗi năm": a lone digit word beside a number is an ordinary word
        phrases = [p for p in phrases if not (len(p) == 1 and p[0].kind == "w")]
    if not phrases:
        raise NumberError("not_a_number")
    if len(phrases) > 1:
        raise NumberError("several_numbers")  # "50 - 100", "từ 50 đến 100"
    [phrase] = phrases
    total = _value(phrase)
    interpreted = not (len(phrase) == 1 and re.fullmatch(r"[0-9]+", phrase[0].source))
    if negative:
        total = -total
    scale = question.scale or 1.0
    if any(t.kind == "mult" for t in phrase):
        total /= scale
    elif (
        scale > 1
        and question.max is not None
        and total > question.max
        and (question.min is None or total / scale >= question.min)
        and total / scale <= question.max
    ):
        # "15.000.000" typed for a question in triệu đồng: read as đồng when that fits
        total /= scale
        interpreted = True
    return round(total, 6), interpreted


def echo_text(question: Question, value: float, lang: str, texts: Mapping[str, str]) -> str:
    """ "= 800.000.000 đồng/tháng": the value as read, in plain units when the question has
    a base unit (triệu đồng -> đồng), so a slip of 100 times shows at once."""
    if question.base_unit is not None and question.scale != 1:
        shown, unit = round(value * question.scale, 2), question.base_unit.get(lang)
    else:
        shown, unit = value, unit_of(question, lang)
    return text(texts, "echo", value=format_number(shown, lang), unit=f" {unit}" if unit else "")
