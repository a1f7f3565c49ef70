"""The shapes of the curated content files (content/faq/*.yaml, contacts.yaml,
programmes.yaml, synonyms.yaml, intents.yaml, offtopic.yaml), validated with pydantic: an
unknown field or a missing answer is reported, never silently ignored."""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


# ---------------------------------------------------------------------------------------
# Schemas
# ---------------------------------------------------------------------------------------
class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class LangText(_Model):
    vi: str
    en: str


class LangList(_Model):
    vi: list[str] = Field(default_factory=list)
    en: list[str] = Field(default_factory=list)


class EntryText(_Model):
    title: str = Field(min_length=1)
    questions: list[str] = Field(min_length=1)
    short: str = Field(min_length=1)
    details: str | None = None


class Entry(_Model):
    id: str = Field(pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)*$", max_length=48)
    related: list[str] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    # Words that name this entry's matter (a sector: "thủy sản", "tôm", "seafood"): when given,
    # the entry is answered only to a question with one of them (marks and case ignored), so a
    # plain "how to save water" is not answered with the seafood sector.
    names: list[str] = Field(default_factory=list)
    # What the person can do next, as buttons beside the answer: "events" (the upcoming events,
    # to register) and "my_events" (the person's registrations, to cancel). An answer on how to
    # register leads there in one tap.
    actions: list[Literal["events", "my_events", "officer", "assess", "subscribe"]] = Field(
        default_factory=list
    )
    vi: EntryText
    en: EntryText

    def text(self, lang: str) -> EntryText:
        return self.en if lang == "en" else self.vi


def local(value: str | LangText | None, lang: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return getattr(value, lang)


class ContactInfo(_Model):
    id: str = Field(min_length=1)
    name: LangText
    role: LangText | None = None
    phone: str | None = None
    email: str | None = None
    address: str | LangText | None = None
    hours: str | LangText | None = None

    @field_validator("phone", "email", mode="before")
    @classmethod
    def _text(cls, v: object) -> object:
        return str(v) if isinstance(v, int) else v


class Programme(_Model):
    id: str = Field(min_length=1)
    status: Literal["open", "upcoming", "closed"]
    name: LangText
    summary: LangText | None = None
    who_can_apply: LangText | None = None
    how_to_apply: LangList = Field(default_factory=LangList)
    documents: LangList = Field(default_factory=LangList)
    deadline: date | None = None
    amount: str | LangText | None = None
    contact: str | None = None
    related_topics: list[str] = Field(default_factory=list)

    @field_validator("deadline", mode="before")
    @classmethod
    def _deadline(cls, v: object) -> object:
        if v is None or isinstance(v, date):
            return v
        if isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v.strip()):
            try:
                return date.fromisoformat(v.strip())
            except ValueError:
                pass
        raise ValueError(f"deadline {v!r} is not a date (write YYYY-MM-DD, e.g. 2026-03-31)")

    def is_open(self, today: date | None) -> bool:
        if self.status != "open":
            return False
        return not (today and self.deadline and self.deadline < today)


class Synonyms(_Model):
    """What people type -> what it means. Keys and values are matched without diacritics."""

    abbreviations: dict[str, str | list[str]] = Field(default_factory=dict)
    synonyms: list[list[str]] = Field(default_factory=list)


class OffTopicGroup(_Model):
    """Examples of one kind of request the bot must not answer (land, weather, prices...), and
    optionally where to ask instead (shown when a question is refused as one of these)."""

    label: str = Field(min_length=1)
    examples: list[str] = Field(min_length=1)
    redirect: LangText | None = None


class Intents(_Model):
    """content/intents.yaml: which words make a sentence ask, and a request for a person."""

    question_words: list[str] = Field(default_factory=list)
    question_ends: list[str] = Field(default_factory=list)
    clause_joins: list[str] = Field(default_factory=list)
    person_phrases: list[str] = Field(default_factory=list)
    person_nouns: list[str] = Field(default_factory=list)
    person_asks: list[str] = Field(default_factory=list)


class OffTopic(_Model):
    groups: list[OffTopicGroup] = Field(default_factory=list)
