"""Composing the bot's answers to questions (pure: content in, replies out; the chat handler in
handlers/qa.py, the `ask` command and the benchmark use it): the sure answer, the middle tier
("Tôi hiểu anh/chị hỏi về …" with the other close topics), "not sure" (with the closest topics
and an officer, or the ticket it already is), and the other topics a message asked about."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from content.search import Match
from content.store import ContentStore
from handlers.messages import Button, Reply

# Below this confidence the closest topics are not offered (measured on the even half of the
# benchmark: 29 of 35 off-topic questions fall below it, no on-topic "not sure" question does).
ALTERNATIVES_FLOOR = 0.05
MAX_RELATED = 3
# An entry's `actions` (content/faq): the label's text key and the button's payload.
ACTIONS = {
    "events": ("menu.events", "m:events"),  # the upcoming events (the main-menu item)
    "my_events": ("events.button.mine", "ev:mine"),  # the person's own registrations
    "officer": ("menu.officer", "m:officer"),  # "Gặp cán bộ": a message for the officers
    "assess": ("menu.assess", "m:assess"),  # the quick assessment
    "subscribe": ("events.button.subscribe", "ev:topics"),  # 🔔 choose the news topics
}


@dataclass
class Answer:
    match: Match
    lang: str  # the language the answer is written in
    replies: list[Reply]
    kind: str = "answer"  # answer | middle | not_sure | person

    @property
    def text(self) -> str:
        return "\n\n".join(r.text for r in self.replies)


def _t(content: ContentStore, lang: str, key: str, **fields: object) -> str:
    return content.texts.get(lang, key, **fields)


def _menu(content: ContentStore, lang: str) -> Button:
    return Button(_t(content, lang, "menu.main"), "m:main")


def _with_buttons(texts: list[str], buttons: list[Button]) -> list[Reply]:
    replies = [Reply(text=t) for t in texts]
    if replies:
        replies[-1].buttons = buttons
    return replies


def _sources(content: ContentStore, entry_id: str, lang: str) -> str:
    entry = content.knowledge.entries[entry_id]
    if not entry.sources:
        return ""
    return _t(content, lang, "qa.sources", sources="; ".join(entry.sources))


def _related_buttons(content: ContentStore, entry_id: str, lang: str, suffix: str) -> list[Button]:
    kb = content.knowledge
    entry = kb.entries[entry_id]
    # Action buttons take the place of related topics: the answer keeps as many buttons.
    return [
        Button(kb.entries[rel].text(lang).title, f"qa:t:{rel}{suffix}")
        for rel in entry.related[: max(MAX_RELATED - len(entry.actions), 1)]
        if rel in kb.entries
    ]


def _suffix(lang: str, contact_lang: str | None) -> str:
    """Buttons carry the answer's language when it is not the contact's (an English question
    from a Vietnamese-speaking contact keeps getting English)."""
    return f":{lang}" if contact_lang is not None and lang != contact_lang else ""


def entry_replies(
    content: ContentStore,
    entry_id: str,
    lang: str,
    today: date | None = None,
    *,
    details: bool = False,
    contact_lang: str | None = None,
) -> list[Reply]:
    """The short answer (or the details) of an entry with its buttons; the channel splits a
    long one to its own limit."""
    kb = content.knowledge
    entry = kb.entries[entry_id]
    body = kb.details(entry_id, lang, today) if details else kb.short(entry_id, lang, today)
    body = body or kb.short(entry_id, lang, today)
    if details:
        body = f"{entry.text(lang).title}\n\n{body}"
    sources = _sources(content, entry_id, lang)
    text = f"{body}\n\n{sources}" if sources else body
    suffix = _suffix(lang, contact_lang)
    # "Read more" first: the answer goes on there; then what the answer tells people to do.
    buttons = []
    if not details and entry.text(lang).details:
        buttons.append(Button(_t(content, lang, "qa.more"), f"qa:more:{entry_id}{suffix}"))
    buttons += [Button(_t(content, lang, ACTIONS[a][0]), ACTIONS[a][1]) for a in entry.actions]
    buttons += _related_buttons(content, entry_id, lang, suffix)
    buttons.append(_menu(content, lang))
    return _with_buttons([text], buttons)


@dataclass(frozen=True)
class Ticketed:
    """The question is already an officer's ticket: the not-sure reply says so instead of
    offering the officer button. `number` is shown the first time of an opening (None: the
    person was told it before)."""

    number: int | None


def fallback_replies(
    content: ContentStore,
    match: Match,
    lang: str,
    log_id: int | None,
    contact_lang: str | None = None,
    ticketed: Ticketed | None = None,
) -> list[Reply]:
    """Not sure: say so, offer the closest topics and an officer (or, when the question is
    already a ticket, say that it was passed on, with its number). A question far from every
    topic (gold prices, land papers) gets no topic buttons: they would only look random. One
    message: platforms show one bubble with its buttons."""
    kb = content.knowledge
    suffix = _suffix(lang, contact_lang)
    redirect = redirect_of(content, match)
    near = match.alternatives[:MAX_RELATED] if match.score >= ALTERNATIVES_FLOOR else []
    if redirect is not None:
        near = []  # outside the department's remit: where to ask instead, not our topics
    buttons = [
        Button(kb.entries[e].text(lang).title, f"qa:t:{e}{suffix}") for e in near if e in kb.entries
    ]
    if redirect is not None:
        text = _t(content, lang, "qa.elsewhere", where=getattr(redirect, lang))
    elif ticketed is not None:
        # No officer button: it would only pass the question on again.
        text = _t(
            content, lang, "qa.not_sure_ticket" if buttons else "qa.not_sure_no_topics_ticket"
        )
        if ticketed.number is not None:
            text += "\n\n" + _t(content, lang, "tickets.notice", id=ticketed.number)
    else:
        text = _t(content, lang, "qa.not_sure" if buttons else "qa.not_sure_no_topics")
    if ticketed is None or redirect is not None:
        officer = f"qa:officer:{log_id}" if log_id is not None else "m:officer"
        buttons.append(Button(_t(content, lang, "qa.officer_button"), officer))
    buttons.append(_menu(content, lang))
    return _with_buttons([text], buttons)


def redirect_of(content: ContentStore, match: Match) -> object | None:
    """Where to ask instead, for a question outside the department's remit (offtopic.yaml)."""
    group, offtopic = match.offtopic_group, content.knowledge.offtopic
    return offtopic[group].redirect if group is not None and group < len(offtopic) else None


def middle_replies(
    content: ContentStore,
    match: Match,
    lang: str,
    today: date | None,
    *,
    contact_lang: str | None,
) -> list[Reply]:
    """Probably right: one line saying what the bot understood, the answer, and the other close
    topics as buttons so a wrong guess is corrected in one tap."""
    kb = content.knowledge
    assert match.best is not None
    title = kb.entries[match.best].text(lang).title
    replies = entry_replies(content, match.best, lang, today, contact_lang=contact_lang)
    replies[0].text = f"{_t(content, lang, 'qa.understood', topic=title)}\n\n{replies[0].text}"
    suffix = _suffix(lang, contact_lang)
    others = [
        Button(kb.entries[e].text(lang).title, f"qa:t:{e}{suffix}")
        for e in match.alternatives[:MAX_RELATED]
        if e in kb.entries
    ]
    if others:
        replies.append(Reply(text=_t(content, lang, "qa.understood_others"), buttons=others))
    return replies


def also_reply(content: ContentStore, match: Match, lang: str, contact_lang: str | None) -> Reply:
    """The other things a message asked about, offered as buttons: never dropped silently."""
    kb = content.knowledge
    suffix = _suffix(lang, contact_lang)
    topics = [e for e in match.also if e in kb.entries][:MAX_RELATED]
    titles = ", ".join(kb.entries[e].text(lang).title for e in topics)
    buttons = [Button(kb.entries[e].text(lang).title, f"qa:t:{e}{suffix}") for e in topics]
    return Reply(text=_t(content, lang, "qa.also", topics=titles), buttons=buttons)


def answer_language(match: Match, fallback: str) -> str:
    return match.lang if match.lang in ("vi", "en") else fallback


def kind_of(content: ContentStore, match: Match) -> str:
    """answer (sure), middle (probably right: answered with what the bot understood) or
    not_sure: decided before the reply is composed, so a ticket can be opened first."""
    if match.topic is not None:
        return "answer"
    if match.middle and match.best in content.knowledge.entries:
        return "middle"
    return "not_sure"


def compose(
    content: ContentStore,
    question: str,
    lang: str,
    today: date | None = None,
    *,
    log_id: int | None = None,
    match: Match | None = None,
    ticketed: Ticketed | None = None,
) -> Answer:
    """The bot's answer to a question, without touching the database. `ticketed`: a not-sure
    question is already an officer's ticket (the reply says so, once, composed that way)."""
    match = match or content.knowledge.index.search(question)
    answer_lang = answer_language(match, lang)
    kind = kind_of(content, match)
    if kind == "answer":
        assert match.topic is not None
        replies = entry_replies(content, match.topic, answer_lang, today, contact_lang=lang)
    elif kind == "middle":
        replies = middle_replies(content, match, answer_lang, today, contact_lang=lang)
    else:
        replies = fallback_replies(
            content, match, answer_lang, log_id, contact_lang=lang, ticketed=ticketed
        )
    if kind != "not_sure" and [e for e in match.also if e in content.knowledge.entries]:
        replies.append(also_reply(content, match, answer_lang, lang))
    return Answer(match=match, lang=answer_lang, replies=replies, kind=kind)
