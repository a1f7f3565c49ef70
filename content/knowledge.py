"""The knowledge base: FAQ entries (content/faq/*.yaml), the officer-edited contacts and
programmes, the synonym list and the off-topic examples (content/offtopic.yaml); loaded,
validated and rendered per language.

Every problem is reported as one line with its file, its entry id and what is wrong, so an
officer who edits a file can fix it without reading Python. Placeholders {contacts},
{programmes} and {programmes_apply} are filled from contacts.yaml and programmes.yaml when the
answer is shown: an officer's change is live after a reload, no number is written by hand.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from content.faq_schema import (
    ContactInfo,
    Entry,
    Intents,
    OffTopic,
    OffTopicGroup,
    Programme,
    Synonyms,
    _Model,
)
from content.officer_data import render_contacts, render_programmes, render_programmes_apply

LANGS = ("vi", "en")
PLACEHOLDERS = ("contacts", "programmes", "programmes_apply")
_PLACEHOLDER = re.compile(r"\{([^{}\s]*)\}")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")

# The words around officer data ("Điện thoại", "chưa cập nhật"...) live in
# content/texts/officer_data.<lang>.yaml like every other sentence the bot says.
WORD_KEYS = (
    "unknown",
    "ask_officer",
    "phone",
    "email",
    "address",
    "hours",
    "no_contacts",
    "open",
    "upcoming",
    "none_open",
    "who",
    "deadline",
    "amount",
    "how",
    "documents",
    "contact",
    "none_apply",
)


# ---------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------
@dataclass
class KnowledgeBase:
    entries: dict[str, Entry] = field(default_factory=dict)
    contacts: dict[str, ContactInfo] = field(default_factory=dict)
    programmes: list[Programme] = field(default_factory=list)
    synonyms: Synonyms = field(default_factory=Synonyms)
    offtopic: list[OffTopicGroup] = field(default_factory=list)
    intents: Intents = field(default_factory=Intents)
    files: dict[str, str] = field(default_factory=dict)  # entry id -> file label
    words: dict[str, dict[str, str]] = field(default_factory=dict)  # lang -> officer-data words
    # The search index (content.search.SearchIndex), built by whoever loads the content
    # (content.store): the knowledge base itself does not depend on the matcher.
    index: Any = field(default=None, repr=False)

    def get(self, entry_id: str) -> Entry | None:
        return self.entries.get(entry_id)

    # -- rendering ------------------------------------------------------------------------
    def render(self, text: str, lang: str, today: date | None = None) -> str:
        """Fill the officer-data placeholders of an answer text."""
        if "{" not in text:
            return text

        def sub(m: re.Match[str]) -> str:
            name = m.group(1)
            w = self.words.get(lang) or self.words.get("vi") or {}
            if name == "contacts":
                return render_contacts(self.contacts.values(), lang, w)
            if name == "programmes":
                return render_programmes(self.programmes, lang, w, today)
            if name == "programmes_apply":
                return render_programmes_apply(self.programmes, self.contacts, lang, w, today)
            return m.group(0)

        return _PLACEHOLDER.sub(sub, text)

    def short(self, entry_id: str, lang: str, today: date | None = None) -> str:
        return self.render(self.entries[entry_id].text(lang).short, lang, today)

    def details(self, entry_id: str, lang: str, today: date | None = None) -> str | None:
        details = self.entries[entry_id].text(lang).details
        return self.render(details, lang, today) if details else None


def _answer_texts(kb: KnowledgeBase) -> Iterator[tuple[Entry, str, str, str]]:
    """(entry, lang, "short" | "details", text) for every answer text that is not empty."""
    for entry in kb.entries.values():
        for lang in LANGS:
            text = entry.text(lang)
            for part in ("short", "details"):
                value = getattr(text, part)
                if value:
                    yield entry, lang, part, value


def paragraphs(kb: KnowledgeBase) -> Iterator[tuple[str, str]]:
    """Every paragraph of every answer as sent (placeholders filled), with where it comes from
    ("content/faq/x.yaml: entry.id: vi: details"). The channels check them against their own
    limits (bot/channels/check.py): this layer knows no platform's numbers."""
    for entry, lang, part, value in _answer_texts(kb):
        where = f"{kb.files[entry.id]}: {entry.id}: {lang}: {part}"
        for para in _PARAGRAPH_BREAK.split(kb.render(value, lang)):
            yield where, para


def _label(directory: Path, path: Path) -> str:
    """How a file is named in messages: content/faq/sxsh.yaml."""
    try:
        return f"{directory.name}/{path.relative_to(directory).as_posix()}"
    except ValueError:
        return str(path)


def _read_yaml(path: Path, label: str, errors: list[str]) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = exc.problem or exc.context or "syntax error"
        errors.append(f"{label}: {where}not valid YAML: {problem}")
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        errors.append(f"{label}: not valid YAML: {str(exc).splitlines()[0]}")
    return None


_FIELD_NAMES = {
    "title": "title",
    "questions": "questions (the ways people ask)",
    "short": "short answer",
    "details": "details",
}


def _describe(loc: tuple[Any, ...], err: dict[str, Any]) -> str:
    """A pydantic error as an officer reads it."""
    kind = err["type"]
    parts = [str(p) for p in loc]
    if len(parts) == 1 and parts[0] in LANGS and kind == "missing":
        return f"missing {dict(vi='Vietnamese', en='English')[parts[0]]} ({parts[0]}) answer"
    if len(parts) == 2 and parts[0] in LANGS and parts[1] in _FIELD_NAMES:
        name = _FIELD_NAMES[parts[1]]
        if kind == "missing" or kind in ("too_short", "string_too_short"):
            return f"{parts[0]}: missing {name}"
    if kind == "missing":
        return f"{'.'.join(parts)}: missing"
    if kind == "extra_forbidden":
        return f"{'.'.join(parts)}: unknown field"
    msg = err["msg"].removeprefix("Value error, ")
    return f"{'.'.join(parts)}: {msg}" if parts else msg


def _validate(model: type[_Model], raw: Any, label: str, item: str, errors: list[str]) -> Any:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        for err in exc.errors():
            errors.append(f"{label}: {item}: {_describe(err['loc'], err)}")
    return None


def _items(data: Any, key: str, label: str, errors: list[str]) -> list[Any]:
    if data is None:
        return []
    if not isinstance(data, dict) or not isinstance(data.get(key, []), list):
        errors.append(f"{label}: expected a list under '{key}:'")
        return []
    return data.get(key) or []


def _load_words(directory: Path, kb: KnowledgeBase, errors: list[str]) -> None:
    from content.texts import Texts

    texts = Texts.load(directory / "texts", [])  # the texts' own errors are reported by store
    for lang in ("vi", "en"):
        kb.words[lang] = {}
        for key in WORD_KEYS:
            full = f"officer_data.{key}"
            if full not in texts.by_lang[lang]:
                errors.append(f"texts ({lang}): {full}: missing (needed to show officer data)")
            kb.words[lang][key] = texts.by_lang[lang].get(full, key)


def _item_id(raw: Any, n: int) -> str:
    if isinstance(raw, dict) and raw.get("id"):
        return str(raw["id"])
    return f"item {n}"


def load(directory: Path, errors: list[str]) -> KnowledgeBase:
    """Load everything; append each problem to `errors` (the result is usable only if none)."""
    kb = KnowledgeBase()
    _load_words(directory, kb, errors)
    _load_officer_files(directory, kb, errors)
    _load_synonyms(directory, kb, errors)
    _load_intents(directory, kb, errors)
    faq_dir = directory / "faq"
    for path in sorted(faq_dir.glob("*.yaml")) + sorted(faq_dir.glob("*.yml")):
        label = _label(directory, path)
        data = _read_yaml(path, label, errors)
        for n, raw in enumerate(_items(data, "entries", label, errors), 1):
            item = _item_id(raw, n)
            entry = _validate(Entry, raw, label, item, errors)
            if entry is None:
                continue
            if entry.id in kb.entries:
                errors.append(f"{label}: {entry.id}: duplicate id (also in {kb.files[entry.id]})")
                continue
            kb.entries[entry.id] = entry
            kb.files[entry.id] = label
    _check_entries(kb, errors)
    _load_offtopic(directory, kb, errors)
    return kb


def _load_officer_files(directory: Path, kb: KnowledgeBase, errors: list[str]) -> None:
    path = directory / "contacts.yaml"
    if path.exists():
        label = _label(directory, path)
        for n, raw in enumerate(_items(_read_yaml(path, label, errors), "contacts", label, errors)):
            c = _validate(ContactInfo, raw, label, _item_id(raw, n + 1), errors)
            if c is None:
                continue
            if c.id in kb.contacts:
                errors.append(f"{label}: {c.id}: duplicate id")
            kb.contacts[c.id] = c
    path = directory / "programmes.yaml"
    if path.exists():
        label = _label(directory, path)
        data = _read_yaml(path, label, errors)
        seen: set[str] = set()
        for n, raw in enumerate(_items(data, "programmes", label, errors)):
            p = _validate(Programme, raw, label, _item_id(raw, n + 1), errors)
            if p is None:
                continue
            if p.id in seen:
                errors.append(f"{label}: {p.id}: duplicate id")
            seen.add(p.id)
            if p.contact is not None and p.contact not in kb.contacts:
                errors.append(f"{label}: {p.id}: unknown contact id '{p.contact}'")
            kb.programmes.append(p)


def _load_optional(directory: Path, name: str, model: Any, what: str, errors: list[str]) -> Any:
    """(label, model) of an optional file; None when absent or invalid (then `errors` says why)."""
    path = directory / name
    if not path.exists():
        return None
    label = _label(directory, path)
    data = _read_yaml(path, label, errors)
    if data is None:
        return None
    value = _validate(model, data, label, what, errors)
    return None if value is None else (label, value)


def _load_synonyms(directory: Path, kb: KnowledgeBase, errors: list[str]) -> None:
    loaded = _load_optional(directory, "synonyms.yaml", Synonyms, "synonyms file", errors)
    if loaded is None:
        return
    label, syn = loaded
    for key, value in syn.abbreviations.items():
        values = [value] if isinstance(value, str) else value
        if not str(key).strip() or not values or not all(v.strip() for v in values):
            errors.append(f"{label}: abbreviations: {key!r}: empty abbreviation or meaning")
    for n, group in enumerate(syn.synonyms, 1):
        if len([g for g in group if g.strip()]) < 2:
            errors.append(f"{label}: synonyms: group {n}: needs at least two terms")
    kb.synonyms = syn


def _load_intents(directory: Path, kb: KnowledgeBase, errors: list[str]) -> None:
    loaded = _load_optional(directory, "intents.yaml", Intents, "intents file", errors)
    if loaded is None:
        return
    label, intents = loaded
    for name in Intents.model_fields:
        if any(not str(w).strip() for w in getattr(intents, name)):
            errors.append(f"{label}: {name}: empty word")
    kb.intents = intents


def _load_offtopic(directory: Path, kb: KnowledgeBase, errors: list[str]) -> None:
    """content/offtopic.yaml: examples of requests to refuse. An example that is also one of an
    entry's ways of asking (compared without marks or case) would contradict that entry."""
    path = directory / "offtopic.yaml"
    if not path.exists():
        return
    from content.textnorm import fold_words

    label = _label(directory, path)
    data = _read_yaml(path, label, errors)
    groups: list[OffTopicGroup] = []
    for n, raw in enumerate(_items(data, "groups", label, errors), 1):
        name = raw.get("label") if isinstance(raw, dict) else None
        where = f"group {n} ({name})" if name else f"group {n}"
        if isinstance(raw, dict) and raw.get("examples") == []:
            errors.append(f"{label}: {where}: no examples")
            continue
        group = _validate(OffTopicGroup, raw, label, where, errors)
        if group is not None:
            groups.append(group)
    parsed = OffTopic(groups=groups)
    asked: dict[str, str] = {}
    for entry in kb.entries.values():
        for lang in LANGS:
            text = entry.text(lang)
            for q in [text.title, *text.questions]:
                asked.setdefault(fold_words(q), entry.id)
    seen: dict[str, str] = {}
    for n, group in enumerate(parsed.groups, 1):
        where = f"{label}: group {n} ({group.label})"
        for example in group.examples:
            key = fold_words(example)
            if not key:
                errors.append(f"{where}: empty example")
            elif key in asked:
                errors.append(
                    f"{where}: example {example!r} is also a question of entry "
                    f"{asked[key]} ({kb.files[asked[key]]}); remove it from one of them"
                )
            elif key in seen:
                errors.append(f"{where}: example {example!r} repeats one in {seen[key]}")
            else:
                seen[key] = f"group {n}"
    kb.offtopic = parsed.groups


def _check_entries(kb: KnowledgeBase, errors: list[str]) -> None:
    for entry in kb.entries.values():
        label = kb.files[entry.id]
        for rel in entry.related:
            if rel not in kb.entries:
                errors.append(f"{label}: {entry.id}: related: unknown entry id '{rel}'")
            elif rel == entry.id:
                errors.append(f"{label}: {entry.id}: related: an entry cannot relate to itself")
    known = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
    for entry, lang, part, value in _answer_texts(kb):
        for name in _PLACEHOLDER.findall(value):
            if name not in PLACEHOLDERS:
                errors.append(
                    f"{kb.files[entry.id]}: {entry.id}: {lang}: {part}: unknown placeholder "
                    f"{{{name}}} (known: {known})"
                )
    for p in kb.programmes:
        for topic in p.related_topics:
            if kb.entries and topic not in kb.entries:
                errors.append(f"content/programmes.yaml: {p.id}: related_topics: unknown '{topic}'")


def officer_todo(kb: KnowledgeBase) -> list[str]:
    """What officers still have to fill in (contacts.yaml, programmes.yaml), one line each, for
    `content check` to list as warnings: the bot works without them but says less."""
    todo: list[str] = []
    for c in kb.contacts.values():
        empty = [k for k in ("phone", "email", "address", "hours") if not getattr(c, k)]
        if empty:
            todo.append(f"content/contacts.yaml: {c.id}: not filled in yet: {', '.join(empty)}")
    for p in kb.programmes:
        if p.status == "closed":
            continue
        empty = [
            name
            for name, value in (
                ("amount", p.amount),
                ("deadline", p.deadline),
                ("how_to_apply", p.how_to_apply.vi or p.how_to_apply.en),
                ("documents", p.documents.vi or p.documents.en),
                ("contact", p.contact),
            )
            if not value
        ]
        if empty:
            todo.append(f"content/programmes.yaml: {p.id}: not filled in yet: {', '.join(empty)}")
    return todo
