"""The report texts (content/texts/reports.<lang>.yaml) and the questionnaire's sector question,
shared by the export table and the figures."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from content.forms.loader import TEXTS_DIR
from content.texts import Texts

SECTOR_QUESTION = "sector"


@lru_cache(maxsize=2)
def default_texts() -> Texts:
    """The packaged texts; callers with a ContentStore pass `content.texts` instead."""
    return Texts.load(TEXTS_DIR)


def report_text(texts: Texts, lang: str, key: str, **fields: Any) -> str:
    """`reports.<key>` in `lang`."""
    return texts.get(lang, f"reports.{key}", **fields)
