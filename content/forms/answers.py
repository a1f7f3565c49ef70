"""Parse and validate one raw chat input for one question.

People answer on phones: without diacritics, with typos, with numbers written the
Vietnamese way ("12.000.000", "1,5", "15tr", "2 tỷ 3", "tám trăm triệu") and with units
("300 m3"). This module turns such input into the stable value stored for the question (choice
codes, numbers, normalised phone and tax codes) or into a message, in the person's language,
that says what is expected. Pure: texts, locations and number words come in as arguments.
Every input gets a value or its ordinary refusal, never an exception (issue 8, item 11).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from content.forms.choices import choice_error, match_choice, parse_multi
from content.forms.expected import expected_text
from content.forms.location import parse_location
from content.forms.numbers import (
    NumberError,
    ascii_digits,
    echo_text,
    format_number,
    parse_number,
    unit_of,
)
from content.forms.parsed import Err, Ok, Parsed
from content.forms.schema import (
    CHOICE_TYPES,
    NUMBER_TYPES,
    AnswerWords,
    Locations,
    NumberWords,
    Question,
)
from content.forms.wording import short, text
from content.textnorm import fold_words

MAX_RAW = 1000  # longer input for a non-text question is a paste accident, not an answer


def parse_yes_no(raw: str, words: AnswerWords | None) -> str | None:
    """ "yes" | "no" | None, by the answer words (content/questionnaires/answer_words.yaml)."""
    if words is None:
        return None
    f = fold_words(raw)
    endings = {fold_words(w) for w in words.polite_endings}
    head, _, last = f.rpartition(" ")
    if head and last in endings:  # "có ạ", "không nhé"
        f = head
    if f in {fold_words(w) for w in words.yes}:
        return "yes"
    if f in {fold_words(w) for w in words.no}:
        return "no"
    return None


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
    if re.fullmatch(r"0[35789][0-9]{8}", s) or re.fullmatch(r"02[0-9]{9}", s):
        return s
    return None


def parse_tax_code(raw: str) -> str | None:
    """Mã số thuế: 10 digits, or 10 + "-" + 3 for a branch (13 digits in a row also read
    as a branch code); spaces ignored."""
    s = re.sub(r"\s", "", raw).replace("–", "-").replace("—", "-")
    if re.fullmatch(r"[0-9]{10}(?:-[0-9]{3})?", s):
        return s
    if re.fullmatch(r"[0-9]{13}", s):
        return f"{s[:10]}-{s[10:]}"
    return None


def _check_number(
    question: Question, raw: str, lang: str, texts: Mapping[str, str], words: NumberWords | None
) -> Parsed:
    expected = expected_text(question, lang, texts)
    unit = unit_of(question, lang)
    try:
        value, interpreted = parse_number(raw, question, words)
    except NumberError as exc:
        if exc.key == "too_many_digits":  # no figure anyone has: out of range, not a crash
            return Err(
                text(
                    texts,
                    "error.out_of_range",
                    value=short(raw, 20),
                    unit=f" {unit}" if unit else "",
                    expected=expected,
                )
            )
        return Err(text(texts, f"error.{exc.key}", input=short(raw), expected=expected))
    if question.type == "integer":
        if abs(value - round(value)) > 1e-9:
            return Err(text(texts, "error.not_integer", input=short(raw), expected=expected))
        value = int(round(value))
    if (question.min is not None and value < question.min) or (
        question.max is not None and value > question.max
    ):
        return Err(
            text(
                texts,
                "error.out_of_range",
                value=format_number(value, lang),
                unit=f" {unit}" if unit else "",
                expected=expected,
            )
        )
    note = echo_text(question, value, lang, texts) if interpreted else None
    return Ok(value, note)


def clean_text(raw: str) -> str:
    """NFC, no control characters except new lines, trimmed."""
    s = unicodedata.normalize("NFC", raw)
    s = "".join(ch for ch in s if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    return s.strip()


def _parse_choice(
    question: Question,
    s: str,
    lang: str,
    texts: Mapping[str, str],
    answer_words: AnswerWords | None,
) -> Parsed:
    if question.type == "multi_choice":
        return parse_multi(question, s, lang, texts, answer_words)
    kind, detail = match_choice(question, s)
    if kind == "ok":
        return Ok(detail)
    return choice_error(question, kind, detail, s, lang, texts)


def _unsure(s: str, words: AnswerWords | None) -> bool:
    """ "không biết", "khong ro ạ", "don't know": the person does not know (answer_words.yaml
    `unsure`, compared folded, a last polite word dropped)."""
    if words is None or not words.unsure:
        return False
    typed = fold_words(s)
    head, _, last = typed.rpartition(" ")
    if head and last in {fold_words(w) for w in words.polite_endings}:
        typed = head
    return typed in {fold_words(w) for w in words.unsure}


def spelled_out(s: str, words: AnswerWords | None) -> str:
    """`s` with the short forms of answer_words.yaml `shorthand` written out ("ko" -> "không")."""
    table = {
        fold_words(short): full
        for full, shorts in (words.shorthand if words else {}).items()
        for short in shorts
    }
    if not table:
        return s
    return re.sub(r"[^\W\d_]+", lambda m: table.get(fold_words(m.group()), m.group()), s)


def parse_answer(
    question: Question,
    raw: str | None,
    lang: str,
    texts: Mapping[str, str],
    *,
    answers: Mapping[str, Any] | None = None,
    locations: Locations | None = None,
    words: NumberWords | None = None,
    answer_words: AnswerWords | None = None,
) -> Parsed:
    """The value to store for `raw`, or the message to show. `texts` are the person's
    language's messages, `answers` give the park for a location question, `locations` the
    phường/xã list, `words` the number words, `answer_words` yes/no and list words."""
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
    if t != "text":
        s = ascii_digits(s)  # "１２０", "١٢٠" read as the 120 they show
    if t in (*CHOICE_TYPES, "yes_no") and _unsure(spelled_out(s, answer_words), answer_words):
        said = [
            c.value
            for c in question.choices
            if any(_unsure(x, answer_words) for x in (c.label.vi, c.label.en, *c.aliases))
        ]
        if len(said) == 1:  # "Không rõ" is one of the choices
            return Ok([said[0]] if t == "multi_choice" else said[0])
        return Err(text(texts, "error.unsure", expected=expected) + skip_hint)
    if t in NUMBER_TYPES and _unsure(spelled_out(s, answer_words), answer_words):
        return Err(text(texts, "error.unsure_number", expected=expected) + skip_hint)
    if t in CHOICE_TYPES:
        longer = spelled_out(s, answer_words)
        if longer != s and match_choice(question, s, exact_only=True)[0] != "ok":
            # "ko co" is "không có" (it was "có": the alias "co" inside it); a message quotes
            # what was typed
            spelled = _parse_choice(question, longer, lang, texts, answer_words)
            if isinstance(spelled, Ok):
                return spelled
            as_typed = _parse_choice(question, s, lang, texts, answer_words)
            return as_typed if isinstance(as_typed, Err) else spelled
        return _parse_choice(question, s, lang, texts, answer_words)
    if t == "yes_no":
        value = parse_yes_no(s, answer_words)
        if value is None:
            return Err(text(texts, "error.yes_no", input=short(s), expected=expected))
        return Ok(value)
    if t in NUMBER_TYPES:
        return _check_number(question, s, lang, texts, words)
    if t == "phone":
        phone = parse_phone(s)
        if phone is None:
            return Err(text(texts, "error.phone", input=short(s), expected=expected) + skip_hint)
        return Ok(phone)
    if t == "tax_code":
        code = parse_tax_code(s)
        if code is None:
            return Err(text(texts, "error.tax_code", input=short(s), expected=expected) + skip_hint)
        return Ok(code)
    if t == "location":
        if locations is None:
            return Ok({"park": None, "ward": None, "free_text": s})
        park = (answers or {}).get(question.park_question) if question.park_question else None
        value, error, detail = parse_location(locations, s, park)
        if error:
            matches = "; ".join(detail) if isinstance(detail, list) else ""
            return Err(
                text(texts, f"error.{error}", input=short(s), matches=matches, expected=expected)
            )
        return Ok(value)
    return Ok(s)  # text
