"""The knowledge base: FAQ entries (content/faq/*.yaml), the officer-edited contacts and
programmes, the synonym list and the off-topic examples (content/offtopic.yaml); loaded,
validated and rendered per language.

Every problem is reported as one line with its file, its entry id and what is wrong, so an
officer who edits a file can fix it without reading Python. Answers may contain the
placeholders {contacts}, {programmes} and {programmes_apply}: they are filled from
contacts.yaml and programmes.yaml when the answer is shown, so an officer's change is live
after a reload and no phone number or amount is ever written in an answer by hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

LANGS = ("vi", "en")
LANG_NAMES = {"vi": "Vietnamese (vi)", "en": "English (en)"}
PARAGRAPH_LIMIT = 2000  # Zalo's text limit, the smallest of our channels
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
    vi: EntryText
    en: EntryText

    def text(self, lang: str) -> EntryText:
        return self.en if lang == "en" else self.vi


def _local(value: str | LangText | None, lang: str) -> str | None:
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
    person_phrases: list[str] = Field(default_factory=list)
    person_nouns: list[str] = Field(default_factory=list)
    person_asks: list[str] = Field(default_factory=list)


class OffTopic(_Model):
    groups: list[OffTopicGroup] = Field(default_factory=list)


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
        return f"missing {LANG_NAMES[parts[0]]} answer"
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


def _load_synonyms(directory: Path, kb: KnowledgeBase, errors: list[str]) -> None:
    path = directory / "synonyms.yaml"
    if not path.exists():
        return
    label = _label(directory, path)
    data = _read_yaml(path, label, errors)
    if data is None:
        return
    syn = _validate(Synonyms, data, label, "synonyms file", errors)
    if syn is None:
        return
    for key, value in syn.abbreviations.items():
        values = [value] if isinstance(value, str) else value
        if not str(key).strip() or not values or not all(v.strip() for v in values):
            errors.append(f"{label}: abbreviations: {key!r}: empty abbreviation or meaning")
    for n, group in enumerate(syn.synonyms, 1):
        if len([g for g in group if g.strip()]) < 2:
            errors.append(f"{label}: synonyms: group {n}: needs at least two terms")
    kb.synonyms = syn


def _load_intents(directory: Path, kb: KnowledgeBase, errors: list[str]) -> None:
    path = directory / "intents.yaml"
    if not path.exists():
        return
    label = _label(directory, path)
    data = _read_yaml(path, label, errors)
    if data is None:
        return
    intents = _validate(Intents, data, label, "intents file", errors)
    if intents is None:
        return
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
        for lang in LANGS:
            text = entry.text(lang)
            for part in ("short", "details"):
                value = getattr(text, part)
                if not value:
                    continue
                unknown = [n for n in _PLACEHOLDER.findall(value) if n not in PLACEHOLDERS]
                for name in unknown:
                    errors.append(
                        f"{label}: {entry.id}: {lang}: {part}: unknown placeholder {{{name}}} "
                        f"(known: {', '.join('{' + p + '}' for p in PLACEHOLDERS)})"
                    )
                if unknown:
                    continue
                rendered = kb.render(value, lang)
                for para in _PARAGRAPH_BREAK.split(rendered):
                    if len(para) > PARAGRAPH_LIMIT:
                        errors.append(
                            f"{label}: {entry.id}: {lang}: {part}: a paragraph is {len(para)} "
                            f"characters, longer than {PARAGRAPH_LIMIT} (Zalo's limit); "
                            "split it with a blank line"
                        )
    for p in kb.programmes:
        for topic in p.related_topics:
            if kb.entries and topic not in kb.entries:
                errors.append(f"content/programmes.yaml: {p.id}: related_topics: unknown '{topic}'")


# ---------------------------------------------------------------------------------------
# Rendering officer data
# ---------------------------------------------------------------------------------------
def format_date(d: date) -> str:
    return d.strftime("%d/%m/%Y")


def render_contacts(contacts: Any, lang: str, w: dict[str, str]) -> str:
    """Each contact with what officers have filled in; what is not known yet is left out, and
    one line at the end says officers will complete it (never a line of "chưa cập nhật")."""
    blocks: list[str] = []
    missing = False
    for c in contacts:
        lines = [f"• {c.name.vi if lang == 'vi' else c.name.en}"]
        if c.role is not None:
            lines[0] += f" – {_local(c.role, lang)}"
        for key in ("phone", "email", "address", "hours"):
            value = _local(getattr(c, key), lang)
            if value:
                lines.append(f"  {w[key]}: {value}")
            else:
                missing = True
        blocks.append("\n".join(lines))
    if not blocks:
        return f"{w['no_contacts']} {w['ask_officer']}"
    if missing:
        blocks.append(w["ask_officer"])
    return "\n\n".join(blocks)


def _programme_block(p: Programme, lang: str, w: dict[str, str]) -> tuple[str, bool]:
    lines = [f"• {getattr(p.name, lang)}"]
    if p.summary is not None:
        lines.append(f"  {getattr(p.summary, lang)}")
    if p.who_can_apply is not None:
        lines.append(f"  {w['who']}: {getattr(p.who_can_apply, lang)}")
    amount = _local(p.amount, lang)
    if amount:
        lines.append(f"  {w['amount']}: {amount}")
    if p.deadline:
        lines.append(f"  {w['deadline']}: {format_date(p.deadline)}")
    return "\n".join(lines), amount is None or p.deadline is None


def render_programmes(
    programmes: list[Programme], lang: str, w: dict[str, str], today: date | None = None
) -> str:
    blocks: list[str] = []
    missing = False
    open_ = [p for p in programmes if p.is_open(today)]
    upcoming = [p for p in programmes if p.status == "upcoming"]
    if open_:
        blocks.append(f"{w['open']}:")
        for p in open_:
            text, miss = _programme_block(p, lang, w)
            blocks.append(text)
            missing |= miss
    else:
        blocks.append(w["none_open"])
    if upcoming:
        blocks.append(f"{w['upcoming']}:")
        for p in upcoming:
            text, miss = _programme_block(p, lang, w)
            blocks.append(text)
            missing |= miss
    if missing or not open_:
        blocks.append(w["ask_officer"])
    return "\n\n".join(blocks)


def render_programmes_apply(
    programmes: list[Programme],
    contacts: dict[str, ContactInfo],
    lang: str,
    w: dict[str, str],
    today: date | None = None,
) -> str:
    blocks: list[str] = []
    missing = False
    for p in programmes:
        if not (p.is_open(today) or p.status == "upcoming"):
            continue
        state = w["open"] if p.is_open(today) else w["upcoming"]
        lines = [f"• {getattr(p.name, lang)} ({state.lower()})"]
        steps = getattr(p.how_to_apply, lang)
        if steps:
            lines.append(f"  {w['how']}:")
            lines += [f"  {i}. {s}" for i, s in enumerate(steps, 1)]
        docs = getattr(p.documents, lang)
        if docs:
            lines.append(f"  {w['documents']}: " + "; ".join(docs))
        if p.deadline:
            lines.append(f"  {w['deadline']}: {format_date(p.deadline)}")
        c = contacts.get(p.contact) if p.contact else None
        reach = ", ".join(x for x in (c.phone, c.email) if x) if c is not None else ""
        if c is not None:
            lines.append(
                f"  {w['contact']}: {getattr(c.name, lang)}" + (f" – {reach}" if reach else "")
            )
        missing |= not steps or not docs or p.deadline is None or not reach
        blocks.append("\n".join(lines))
    if not blocks:
        blocks.append(w["none_apply"])
        missing = True
    if missing:
        blocks.append(w["ask_officer"])
    return "\n\n".join(blocks)


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
