"""Parse and validate one raw chat input for one question.

People answer on phones: without diacritics, with typos, with numbers written the
Vietnamese way ("12.000.000", "1,5", "15tr", "2 tỷ 3") and with units ("300 m3"). This module
turns such input into the stable value stored for the question (choice codes, numbers,
normalised phone and tax codes) or into a message, in the person's language, that says what is
expected. It is pure: no storage, no network.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz

from content.forms.schema import CHOICE_TYPES, NUMBER_TYPES, Locations, Question, load_texts, text
from content.textnorm import fold, fold_words

MAX_RAW = 1000  # longer input for a non-text question is a paste accident, not an answer
FUZZY_MIN = 80  # rapidfuzz score a typo must reach ...
FUZZY_MARGIN = 8  # ... and by how much it must beat the next candidate


@dataclass(frozen=True)
class Ok:
    value: Any


@dataclass(frozen=True)
class Err:
    message: str


Parsed = Ok | Err


def _texts(lang: str, texts: Mapping[str, str] | None) -> Mapping[str, str]:
    return texts if texts is not None else load_texts(lang)


# --- numbers ----------------------------------------------------------------------------------


def format_number(value: float | int | None, lang: str = "vi") -> str:
    """12000000 -> "12.000.000" (vi) / "12,000,000" (en); 1.5 -> "1,5" / "1.5"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    s = f"{value:,}" if isinstance(value, int) else f"{value:,.6f}".rstrip("0").rstrip(".")
    if lang == "vi":
        s = s.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return s


def _unit(question: Question, lang: str) -> str:
    return question.unit.get(lang) if question.unit else ""


def range_text(question: Question, lang: str, texts: Mapping[str, str]) -> str:
    """ " từ 0 đến 100.000 triệu đồng/tháng" — empty when the question has no bounds."""
    unit = _unit(question, lang)
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


# multiplier words after fold(): triệu/tr, tỷ/tỉ, nghìn/ngàn/k
_MULT = {
    "ty": 1e9,
    "ti": 1e9,
    "trieu": 1e6,
    "tr": 1e6,
    "nghin": 1e3,
    "ngan": 1e3,
    "ng": 1e3,
    "k": 1e3,
    "thousand": 1e3,
    "million": 1e6,
    "mil": 1e6,
    "billion": 1e9,
    "bn": 1e9,
}
_NUM = r"\d+(?:[.,]\d+)*(?: \d{3}(?!\d))*"
_MULT_RE = "|".join(sorted(_MULT, key=len, reverse=True))
_TERM = re.compile(
    rf"(?P<num>{_NUM})\s*(?:(?P<mult>{_MULT_RE})(?![a-z])"
    rf"\s*(?P<frac>\d{{1,3}}(?![\d.,])(?!\s*(?:{_MULT_RE})(?![a-z])))?)?"
)
# units written with digits would otherwise be read as numbers ("300 m3")
_UNIT_DIGITS = re.compile(r"(?<![a-z])(?:m|km|cm|mm)\s*[23²³](?![0-9])|co2|pm2[.,]5|pm10")


def _plain_number(token: str) -> float | None:
    """One number written the Vietnamese or English way; None if malformed."""
    token = token.replace(" ", ".") if re.fullmatch(r"\d+(?: \d{3})+", token) else token
    dots, commas = token.count("."), token.count(",")
    if dots and commas:
        dec = "." if token.rfind(".") > token.rfind(",") else ","
        thou = "," if dec == "." else "."
        whole, _, frac = token.rpartition(dec)
        if whole.count(dec) or not re.fullmatch(rf"\d{{1,3}}(?:\{thou}\d{{3}})*", whole):
            return None
        return float(whole.replace(thou, "") + "." + frac)
    sep = "." if dots else "," if commas else ""
    if not sep:
        return float(token)
    groups = token.split(sep)
    if len(groups) > 2 or len(groups[-1]) == 3:
        # "12.000.000", "12,000,000", "12.000": thousands separators
        if not (1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])):
            return None
        return float("".join(groups))
    return float(groups[0] + "." + groups[1])  # "1,5" / "1.5": decimal


def parse_number(raw: str, question: Question) -> tuple[float | None, str | None]:
    """(value in the question's unit, None) or (None, error key)."""
    s = fold(raw)
    s = _UNIT_DIGITS.sub(" ", s)
    negative = bool(re.match(r"^\s*[-−]\s*\d", s))
    terms = list(_TERM.finditer(s))
    if not terms:
        return None, "not_a_number"
    total = 0.0
    any_mult = False
    last_mult = None
    for i, m in enumerate(terms):
        value = _plain_number(m.group("num"))
        if value is None:
            return None, "not_a_number"
        mult = _MULT.get(m.group("mult") or "")
        if mult is None:
            if i > 0:  # "50 - 100", "50 đến 100": a range, not one number
                return None, "several_numbers"
            total = value
            continue
        if last_mult is not None and mult >= last_mult:
            return None, "several_numbers"  # "2 tỷ 3 tỷ"
        if i > 0 and last_mult is None:
            return None, "several_numbers"
        frac = m.group("frac")
        if frac:  # "15tr5" = 15.5 triệu, "2 tỷ 300" = 2.3 tỷ
            value += float("0." + frac)
        total += value * mult
        any_mult = True
        last_mult = mult
    if negative:
        total = -total
    scale = question.scale or 1.0
    if any_mult:
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
    return round(total, 6), None


def _check_number(question: Question, raw: str, lang: str, texts: Mapping[str, str]) -> Parsed:
    value, error = parse_number(raw, question)
    expected = expected_text(question, lang, texts)
    if error:
        return Err(text(texts, f"error.{error}", input=_short(raw), expected=expected))
    assert value is not None
    if question.type == "integer":
        if abs(value - round(value)) > 1e-9:
            return Err(text(texts, "error.not_integer", input=_short(raw), expected=expected))
        value = int(round(value))
    if (question.min is not None and value < question.min) or (
        question.max is not None and value > question.max
    ):
        unit = _unit(question, lang)
        return Err(
            text(
                texts,
                "error.out_of_range",
                value=format_number(value, lang),
                unit=f" {unit}" if unit else "",
                expected=expected,
            )
        )
    return Ok(value)


# --- choices ----------------------------------------------------------------------------------


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
        inside = _unique([v for c, v in cands if padded in f" {c} " or f" {c} " in padded])
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


def _choice_error(
    question: Question, kind: str, detail: Any, token: str, lang: str, texts: Mapping[str, str]
) -> Err:
    expected = expected_text(question, lang, texts)
    if kind == "ambiguous":
        labels = [
            f"{question.values.index(v) + 1}. {question.choice(v).label.get(lang)}"  # type: ignore[union-attr]
            for v in detail
        ]
        return Err(
            text(texts, "error.choice_ambiguous", input=_short(token), matches="; ".join(labels))
        )
    key = "error.choice_number" if kind == "number" else "error.choice_unknown"
    return Err(
        text(
            texts,
            key,
            input=_short(token),
            number=detail,
            expected=expected,
            options=options_text(question, lang),
        )
    )


_SPLIT = re.compile(r"\s*(?:[,;+&\n]|/|\bva\b|\band\b|\bvoi\b|\bcung\b)\s*")


def _parse_multi(question: Question, raw: str, lang: str, texts: Mapping[str, str]) -> Parsed:
    if not re.search(r"\d", raw):  # a whole label may itself contain "và" or a comma
        kind, detail = match_choice(question, raw, exact_only=True)
        if kind == "ok":
            return Ok([detail])
    s = re.sub(r"(?<=\d)\.(?=\s*\d)", ",", fold(raw))
    chosen: list[str] = []
    for part in _SPLIT.split(s):
        part = part.strip(" .")
        if not part:
            continue
        tokens = part.split() if re.fullmatch(r"\d+(?:\s+\d+)*", part) else [part]
        for token in tokens:
            kind, detail = match_choice(question, token)
            if kind != "ok":
                return _choice_error(question, kind, detail, token, lang, texts)
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


# --- yes / no ---------------------------------------------------------------------------------

_YES = {
    "yes", "y", "co", "c", "ok", "oke", "okay", "1", "dung", "dung roi", "co roi", "roi",
    "da co", "vang", "u", "uh", "yep", "yeah", "true", "co a", "da", "da vang", "co chu",
}  # fmt: skip
_NO = {
    "no", "n", "khong", "ko", "k", "kh", "hong", "hok", "khg", "kg", "0", "chua", "chua co",
    "khong co", "nope", "false", "khong a", "chua a", "da khong", "da chua",
}  # fmt: skip


def parse_yes_no(raw: str) -> str | None:
    f = fold_words(raw)
    f = re.sub(r"\s+(?:a|nhe|nha|nhen|ha)$", "", f)
    if f in _YES:
        return "yes"
    if f in _NO:
        return "no"
    return None


# --- phone, tax code --------------------------------------------------------------------------


def parse_phone(raw: str) -> str | None:
    """Vietnamese mobile (10 digits) or landline (11 digits, 02x...), with +84/84/0084,
    spaces, dots, dashes or brackets; returned as 0xxxxxxxxx."""
    s = re.sub(r"[\s.\-()]", "", raw)
    if s.startswith("+84"):
        s = "0" + s[3:]
    elif s.startswith("0084"):
        s = "0" + s[4:]
    elif s.startswith("84") and len(s) in (11, 12):
        s = "0" + s[2:]
    if re.fullmatch(r"0[35789]\d{8}", s) or re.fullmatch(r"02\d{9}", s):
        return s
    return None


def parse_tax_code(raw: str) -> str | None:
    """Mã số thuế: 10 digits, or 10 + "-" + 3 for a branch (13 digits in a row also read
    as a branch code); spaces ignored."""
    s = re.sub(r"\s", "", raw).replace("–", "-").replace("—", "-")
    if re.fullmatch(r"\d{10}(?:-\d{3})?", s):
        return s
    if re.fullmatch(r"\d{13}", s):
        return f"{s[:10]}-{s[10:]}"
    return None


# --- location ---------------------------------------------------------------------------------

_WARD_PREFIX = re.compile(r"^(?:(phuong|p|ward)|(xa|x|commune|thi tran|tt))\s+(.+)$")
_DISTRICT_PREFIX = re.compile(r"^(?:quan|q|huyen|h|thi xa|tx|district|town)\s+\S")
_CITY_PREFIX = re.compile(r"^(?:thanh pho|tp|city)\s+(.+)$")
_ORIGINAL_PREFIX = re.compile(
    r"^\s*(?:(?:phường|phuong|ward|xã|xa|commune|thị trấn|thi tran)\s+|(?:p|x|tt)(?:\.\s*|\s+))",
    re.IGNORECASE,
)
_PROVINCE = {"can tho", "hau giang", "soc trang", "viet nam", "vietnam", "vn"}


def _ward_index(locations: Locations) -> list[tuple[str, str, str]]:
    """(folded name, kind, full name) for every phường/xã."""
    return [(fold_words(n), "phuong", f"Phường {n}") for n in locations.phuong] + [
        (fold_words(n), "xa", f"Xã {n}") for n in locations.xa
    ]


def match_ward(locations: Locations, name: str, kind: str | None = None) -> tuple[str, Any]:
    """("ok", full name) | ("ambiguous", [full names]) | ("unknown", None)."""
    f = fold_words(name)
    index = [w for w in _ward_index(locations) if kind is None or w[1] == kind]
    exact = [full for n, _, full in index if n == f]
    if len(exact) == 1:
        return "ok", exact[0]
    if exact:
        return "ambiguous", exact
    if len(f) < 4:
        return "unknown", None
    ranked = sorted(((fuzz.ratio(f, n), full) for n, _, full in index), reverse=True)
    if ranked and ranked[0][0] >= 88:
        if len(ranked) == 1 or ranked[0][0] - ranked[1][0] >= FUZZY_MARGIN:
            return "ok", ranked[0][1]
        return "ambiguous", [full for s, full in ranked[:3] if ranked[0][0] - s < FUZZY_MARGIN]
    return "unknown", None


def _titled(name: str) -> str:
    return " ".join(w[:1].upper() + w[1:] for w in name.split())


def parse_location(
    locations: Locations, raw: str, park: str | None
) -> tuple[dict[str, Any] | None, str | None, Any]:
    """({"park", "ward", "free_text"}, None, None) or (None, error key, detail).

    Accepts a listed phường/xã typed with or without diacritics or "phường"/"xã", a
    "phường X"/"xã Y" not in the list (kept as free text), and an old address that still names
    its ward ("phường An Hòa, quận Ninh Kiều"); rejects input naming only a quận/huyện."""
    park_id = park if locations.park(park) else None
    parts = [p.strip() for p in re.split(r"[,;\n]|\s-\s", raw) if p.strip()]
    district = False
    plain: list[str] = []
    for part in parts:
        f = fold_words(part)
        if not f or f in _PROVINCE:
            continue
        m = _WARD_PREFIX.match(f)
        if m:
            kind = "phuong" if m.group(1) else "xa"
            status, found = match_ward(locations, m.group(3), kind)
            if status == "ok":
                return (
                    {
                        "park": park_id,
                        "ward": found,
                        "free_text": None if len(parts) == 1 else raw.strip(),
                    },
                    None,
                    None,
                )
            if status == "ambiguous":
                return None, "location_ambiguous", found
            # not in the list: keep what they typed, as they typed it
            original = _ORIGINAL_PREFIX.sub("", part).strip() or m.group(3)
            prefix = "Phường" if kind == "phuong" else "Xã"
            return (
                {
                    "park": park_id,
                    "ward": f"{prefix} {_titled(original)}",
                    "free_text": raw.strip(),
                },
                None,
                None,
            )
        if _DISTRICT_PREFIX.match(f):
            district = True
            continue
        c = _CITY_PREFIX.match(f)
        if c:
            if c.group(1) not in _PROVINCE:
                district = True  # "thành phố Vị Thanh" was a district-level city
            continue
        plain.append(part)
    for part in plain:
        status, found = match_ward(locations, part)
        if status == "ok":
            free = None if len(parts) == 1 else raw.strip()
            return {"park": park_id, "ward": found, "free_text": free}, None, None
        if status == "ambiguous":
            return None, "location_ambiguous", found
    if district:
        return None, "location_district", None
    return None, "location_unknown", None


# --- dispatch ---------------------------------------------------------------------------------


def _short(raw: str, limit: int = 40) -> str:
    one_line = " ".join(raw.split())
    return one_line if len(one_line) <= limit else one_line[: limit - 1] + "…"


def expected_text(
    question: Question, lang: str = "vi", texts: Mapping[str, str] | None = None
) -> str:
    """What a good answer looks like, for the question text and for every rejection."""
    texts = _texts(lang, texts)
    return text(
        texts,
        f"expect.{question.type}"
        + ("_scaled" if question.type == "decimal" and question.scale > 1 else ""),
        count=len(question.choices),
        range=range_text(question, lang, texts),
        max_length=format_number(question.max_length, lang),
    )


def clean_text(raw: str) -> str:
    """NFC, no control characters except new lines, trimmed."""
    s = unicodedata.normalize("NFC", raw)
    s = "".join(ch for ch in s if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    return s.strip()


def parse_answer(
    question: Question,
    raw: str | None,
    lang: str = "vi",
    texts: Mapping[str, str] | None = None,
    *,
    answers: Mapping[str, Any] | None = None,
    locations: Locations | None = None,
) -> Parsed:
    """The value to store for `raw`, or the message to show. `answers` gives the park for a
    location question, `locations` the phường/xã list."""
    texts = _texts(lang, texts)
    expected = expected_text(question, lang, texts)
    skip_hint = "" if question.required else text(texts, "error.skip_hint")
    s = clean_text(raw or "")
    if not s:
        return Err(text(texts, "error.empty", expected=expected) + skip_hint)
    limit = question.max_length if question.type == "text" else MAX_RAW
    if len(s) > limit:
        key = "error.text_too_long" if question.type == "text" else "error.too_long"
        return Err(
            text(
                texts,
                key,
                length=format_number(len(s), lang),
                max_length=format_number(question.max_length, lang),
                expected=expected,
            )
        )
    t = question.type
    if t in CHOICE_TYPES:
        if t == "multi_choice":
            return _parse_multi(question, s, lang, texts)
        kind, detail = match_choice(question, s)
        if kind == "ok":
            return Ok(detail)
        return _choice_error(question, kind, detail, s, lang, texts)
    if t == "yes_no":
        value = parse_yes_no(s)
        if value is None:
            return Err(text(texts, "error.yes_no", input=_short(s), expected=expected))
        return Ok(value)
    if t in NUMBER_TYPES:
        return _check_number(question, s, lang, texts)
    if t == "phone":
        phone = parse_phone(s)
        if phone is None:
            return Err(text(texts, "error.phone", input=_short(s), expected=expected) + skip_hint)
        return Ok(phone)
    if t == "tax_code":
        code = parse_tax_code(s)
        if code is None:
            return Err(
                text(texts, "error.tax_code", input=_short(s), expected=expected) + skip_hint
            )
        return Ok(code)
    if t == "location":
        if locations is None:
            return Ok({"park": None, "ward": None, "free_text": s})
        park = (answers or {}).get(question.park_question) if question.park_question else None
        value, error, detail = parse_location(locations, s, park)
        if error:
            matches = "; ".join(detail) if isinstance(detail, list) else ""
            return Err(
                text(texts, f"error.{error}", input=_short(s), matches=matches, expected=expected)
            )
        return Ok(value)
    return Ok(s)  # text
