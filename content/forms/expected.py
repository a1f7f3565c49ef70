"""What a good answer looks like, shown with the question and with every rejection."""

from __future__ import annotations

from collections.abc import Mapping

from content.forms.numbers import format_number, range_text
from content.forms.schema import Question
from content.forms.wording import text


def expected_text(question: Question, lang: str, texts: Mapping[str, str]) -> str:
    return text(
        texts,
        f"expect.{question.type}"
        + ("_scaled" if question.type == "decimal" and question.scale > 1 else ""),
        count=len(question.choices),
        range=range_text(question, lang, texts),
        max_length=format_number(question.max_length, lang),
    )
