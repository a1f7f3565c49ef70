"""The engine's functions with the packaged texts passed in, the way the handlers pass the
loaded content's texts (the engine itself never reads a file)."""

from __future__ import annotations

from typing import Any

from content.forms import answers as _answers
from content.forms import engine as _engine
from content.forms import scoring as _scoring
from content.forms.loader import default_questionnaire
from content.texts import Texts
from tests.conftest import ROOT

TEXTS = Texts.load(ROOT / "content" / "texts").by_lang
DEFAULT = default_questionnaire()


def parse_answer(question, raw, lang: str = "vi", **kw: Any):  # noqa: ANN001, ANN201
    kw.setdefault("words", DEFAULT.number_words)
    kw.setdefault("answer_words", DEFAULT.answer_words)
    return _answers.parse_answer(question, raw, lang, TEXTS[lang], **kw)


def submit(q, answers, raw, lang: str = "vi", **kw: Any):  # noqa: ANN001, ANN201
    return _engine.submit(q, answers, raw, lang, TEXTS[lang], **kw)


def skip(q, answers, lang: str = "vi", **kw: Any):  # noqa: ANN001, ANN201
    return _engine.skip(q, answers, lang, TEXTS[lang], **kw)


def render_question(q, question, answers, lang: str = "vi", **kw: Any):  # noqa: ANN001, ANN201
    return _engine.render_question(q, question, answers, lang, TEXTS[lang], **kw)


def render_intro(q, lang: str = "vi") -> str:  # noqa: ANN001
    return _engine.render_intro(q, lang, TEXTS[lang])


def label_for(question, value, lang: str = "vi") -> str:  # noqa: ANN001
    return _engine.label_for(question, value, lang, TEXTS[lang])


def render_result(q, result, answers=None, lang: str = "vi") -> str:  # noqa: ANN001
    return _scoring.render_result(q, result, answers, lang, TEXTS[lang])


def render_comparison(q, prev, new, lang: str = "vi") -> str:  # noqa: ANN001
    return _scoring.render_comparison(q, prev, new, lang, TEXTS[lang])


def detect_command(raw):  # noqa: ANN001, ANN201
    return _engine.detect_command(raw, DEFAULT.answer_words)
