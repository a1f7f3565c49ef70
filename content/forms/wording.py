"""The engine's messages: looked up in the texts the caller passes (content/texts/
assessment.*.yaml, loaded by content/texts.py); nothing is read here."""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

from content.counts import counted
from content.textnorm import clip

TEXT_PREFIX = "assessment."


class _Keep(dict):
    def __missing__(self, name: str) -> str:
        return "{" + name + "}"


def text(texts: Mapping[str, str], key: str, **fields: Any) -> str:
    """ "assessment.<key>" filled with its {fields}; a missing key or field stays visible
    (content check reports both before they reach a person)."""
    template = texts.get(TEXT_PREFIX + key, TEXT_PREFIX + key)
    return string.Formatter().vformat(template, (), _Keep(counted(fields)))


def short(raw: str, limit: int = 40) -> str:
    """One line of at most `limit` characters, to quote a person's input back."""
    one_line = " ".join(raw.split())
    return clip(one_line, limit)
