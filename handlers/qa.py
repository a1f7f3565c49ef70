"""Questions and answers: free text -> the curated answer, or an honest "not sure".

The short answer comes first, with "Xem thêm" for the details, up to three related topics and
the main menu as buttons, and the sources named at the end. When the bot is not confident it
says so, offers the closest topics and a button that passes the question to an officer. Every
question is logged (storage.questions) so officers see what people ask and what is missing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date

from content.lexicon import Lexicon
from content.search import Match
from content.store import ContentStore
from content.textnorm import fold_words
from handlers import start
from handlers.capability import Capability, MenuItem, PersonalData
from handlers.context import Context
from handlers.messages import Button, Reply
from handlers.payload import row_id
from handlers.tickets import intake
from storage import questions
from storage.tickets_models import TicketSource

log = logging.getLogger(__name__)

# Below this confidence the closest topics are not offered (measured on the even half of the
# benchmark: 29 of 35 off-topic questions fall below it, no on-topic "not sure" question does).
ALTERNATIVES_FLOOR = 0.05
MAX_RELATED = 3
PROGRAMMES_ENTRY = "support.programmes"


def small_talk(text: str, lexicon: Lexicon) -> str | None:
    """ "greeting", "thanks" or None: a hello or a thank-you is not a question. The words are
    officers' content (content/lexicon/words.yaml)."""
    words = fold_words(text).split()
    if not words or len(words) > 6:
        return None
    joined = " ".join(words)
    greetings, fillers = lexicon.greetings, lexicon.greeting_fillers
    if any(w in greetings for w in words) and all(w in greetings or w in fillers for w in words):
        return "greeting"
    ack, thanks = lexicon.acknowledgements, lexicon.thanks_words
    said_thanks = any(f" {x} " in f" {joined} " for x in lexicon.thanks_phrases)
    if (said_thanks or joined in ack) and all(w in thanks or w in ack for w in words):
        return "thanks"
    return None


# ---------------------------------------------------------------------------------------
# Composing answers (pure: content in, replies out; the `ask` command uses this too)
# ---------------------------------------------------------------------------------------
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
    return [
        Button(kb.entries[rel].text(lang).title, f"qa:t:{rel}{suffix}")
        for rel in kb.entries[entry_id].related[:MAX_RELATED]
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
    buttons: list[Button] = []
    if not details and entry.text(lang).details:
        buttons.append(Button(_t(content, lang, "qa.more"), f"qa:more:{entry_id}{suffix}"))
    buttons += _related_buttons(content, entry_id, lang, suffix)
    buttons.append(_menu(content, lang))
    return _with_buttons([text], buttons)


def fallback_replies(
    content: ContentStore,
    match: Match,
    lang: str,
    log_id: int | None,
    contact_lang: str | None = None,
) -> list[Reply]:
    """Not sure: say so, offer the closest topics and an officer. A question far from every
    topic (gold prices, land papers) gets no topic buttons: they would only look random."""
    kb = content.knowledge
    suffix = _suffix(lang, contact_lang)
    redirect = _redirect(content, match)
    near = match.alternatives[:MAX_RELATED] if match.score >= ALTERNATIVES_FLOOR else []
    if redirect is not None:
        near = []  # outside the department's remit: where to ask instead, not our topics
    buttons = [
        Button(kb.entries[e].text(lang).title, f"qa:t:{e}{suffix}") for e in near if e in kb.entries
    ]
    officer = f"qa:officer:{log_id}" if log_id is not None else "m:officer"
    buttons.append(Button(_t(content, lang, "qa.officer_button"), officer))
    buttons.append(_menu(content, lang))
    if redirect is not None:
        text = _t(content, lang, "qa.elsewhere", where=getattr(redirect, lang))
    else:
        text = _t(content, lang, "qa.not_sure" if len(buttons) > 2 else "qa.not_sure_no_topics")
    return _with_buttons([text], buttons)


def _redirect(content: ContentStore, match: Match) -> object | None:
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


def compose(
    content: ContentStore,
    question: str,
    lang: str,
    today: date | None = None,
    *,
    log_id: int | None = None,
    match: Match | None = None,
) -> Answer:
    """The bot's answer to a question, without touching the database."""
    match = match or content.knowledge.index.search(question)
    answer_lang = answer_language(match, lang)
    if match.topic is not None:
        kind = "answer"
        replies = entry_replies(content, match.topic, answer_lang, today, contact_lang=lang)
    elif match.middle and match.best in content.knowledge.entries:
        kind = "middle"
        replies = middle_replies(content, match, answer_lang, today, contact_lang=lang)
    else:
        kind = "not_sure"
        replies = fallback_replies(content, match, answer_lang, log_id, contact_lang=lang)
    if kind != "not_sure" and [e for e in match.also if e in content.knowledge.entries]:
        replies.append(also_reply(content, match, answer_lang, lang))
    return Answer(match=match, lang=answer_lang, replies=replies, kind=kind)


def person_replies(ctx: Context, answer_lang: str) -> list[Reply]:
    """The message asked for a person: it is already passed to the officers (the same list as
    the "Gặp cán bộ" button feeds); the person may add details."""
    more = Button(ctx.content.texts.get(answer_lang, "qa.person_more"), "m:officer")
    return [
        Reply(
            text=_t(ctx.content, answer_lang, "qa.person"),
            buttons=[more, start.menu_button(ctx)],
        )
    ]


# ---------------------------------------------------------------------------------------
# Handlers
# ---------------------------------------------------------------------------------------
def _today(ctx: Context) -> date:
    """Today where the person is (programme deadlines are local dates)."""
    return ctx.now.astimezone(ctx.settings.tz).date()


def on_text(ctx: Context, text: str) -> list[Reply]:
    """A free-text message that no questionnaire took: a question (or a hello, or thanks)."""
    talk = small_talk(text, ctx.content.lexicon)
    if talk == "greeting":
        return [Reply(text=ctx.t("qa.greeting"), buttons=start.main_menu(ctx))]
    if talk == "thanks":
        return [Reply(text=ctx.t("qa.thanks"), buttons=[start.menu_button(ctx)])]
    if ctx.content.lexicon.ambiguous_command(text) == "stop":
        # "dung" alone: dừng (stop), đúng (right) or dùng (use)? Opting out is not guessed.
        return [Reply(text=ctx.t("qa.stop_hint"), buttons=[start.menu_button(ctx)])]
    match = ctx.content.knowledge.index.search(text)
    lang = answer_language(match, ctx.lang)
    log_id = _log(ctx, text, lang, match)
    # A request for a person opens (or joins) a ticket for the officers at once.
    # An officer's own messages are not tickets (a stray date typed to the bot, a test).
    officer = ctx.is_officer
    if (
        match.person
        and not officer
        and log_id is not None
        and questions.mark_handed_off(ctx.session, log_id, ctx.contact.id) is not None
    ):
        _, told = intake.request(ctx, text, TicketSource.person, log_id)
        return person_replies(ctx, lang) + told
    answer = compose(ctx.content, text, ctx.lang, _today(ctx), log_id=log_id, match=match)
    if officer:
        return answer.replies
    if answer.kind == "not_sure" and _redirect(ctx.content, match) is None and _a_question(text):
        # The bot could not answer: a ticket (a question outside the remit is not one: the
        # person was told where to ask; nor is "1" or "👍": the officer button stays offered).
        ticket, told = intake.request(ctx, text, TicketSource.unanswered, log_id)
        return _with_ticket(ctx.content, answer.replies, lang, ticket.id if told else None)
    told = intake.follow_up(ctx, text)  # joins (or reopens) the person's ticket, if any
    return answer.replies + told


def _a_question(text: str) -> bool:
    """Worth an officer's time without being asked: a question mark with a word or two, or at
    least three words with some substance. "1", "👍", "bot la ai", "lam tiep" are not (a
    tester's officers got tickets for them); the person can still press "Gặp cán bộ"."""
    words = fold_words(text).split()
    letters = sum(ch.isalpha() for ch in text)
    if "?" in text:
        return letters >= 6
    return len(words) >= 3 and letters >= 10


def _with_ticket(
    content: ContentStore, replies: list[Reply], lang: str, ticket_id: int | None
) -> list[Reply]:
    """The bot was not sure and the question is already an officer's ticket: one message that
    says so (with the ticket number the first time), the closest topics, no "talk to an
    officer" button (it would only pass the question on again). One platform message, not two."""
    *head, last = replies
    topics = [b for b in last.buttons if b.payload.startswith("qa:t:")]
    text = _t(content, lang, "qa.not_sure_ticket" if topics else "qa.not_sure_no_topics_ticket")
    if ticket_id is not None:
        text += "\n\n" + _t(content, lang, "tickets.notice", id=ticket_id)
    buttons = [b for b in last.buttons if not b.payload.startswith(("qa:officer", "m:officer"))]
    return [*head, replace(last, text=text, buttons=buttons)]


def _log(ctx: Context, text: str, lang: str, match: Match) -> int | None:
    """Log the question; a failure here must never cost the person their answer."""
    try:
        with ctx.session.begin_nested():
            row = questions.log_question(
                ctx.session,
                contact_id=ctx.contact.id,
                channel=ctx.inbound.channel,
                text=text,
                lang=lang,
                # A middle-tier answer is logged as not confident, with the topic it gave: it
                # is in the officers' list of questions to review.
                topic=match.topic if match.confident else match.best,
                score=match.score,
                confident=match.confident,
                alternatives=match.alternatives,
                now=ctx.now,
            )
        return row.id
    except Exception:
        log.exception("could not log a question")
        return None


def button(ctx: Context, arg: str) -> list[Reply]:
    """qa:more:<id>[:lang] (details), qa:t:<id>[:lang] (a topic), qa:officer:<question log id>."""
    action, _, value = arg.partition(":")
    kb = ctx.content.knowledge
    if action in ("more", "t"):
        entry_id, _, lang = value.partition(":")
        if entry_id not in kb.entries:
            return [ctx.reply("stale_button"), start.menu(ctx)]
        lang = lang if lang in ("vi", "en") else ctx.lang
        return entry_replies(
            ctx.content,
            entry_id,
            lang,
            _today(ctx),
            details=action == "more",
            contact_lang=ctx.lang,
        )
    question_id = row_id(value) if action == "officer" else None
    if question_id is not None:
        row = questions.mark_handed_off(ctx.session, question_id, ctx.contact.id)
        if row is not None:
            intake.asked_for_person(ctx, row.id, row.text)
            return [Reply(text=ctx.t("qa.handed_off"), buttons=[start.menu_button(ctx)])]
    return [ctx.reply("stale_button"), start.menu(ctx)]


def intro(ctx: Context, arg: str = "") -> list[Reply]:
    """Menu "Hỏi đáp SXSH": how to ask, with examples."""
    return [Reply(text=ctx.t("qa_intro"), buttons=[start.menu_button(ctx)])]


def programmes(ctx: Context, arg: str = "") -> list[Reply]:
    """Menu "Chương trình hỗ trợ": the programmes answer, filled from programmes.yaml."""
    if PROGRAMMES_ENTRY not in ctx.content.knowledge.entries:
        return start.not_ready(ctx, "programmes")
    return entry_replies(ctx.content, PROGRAMMES_ENTRY, ctx.lang, _today(ctx))


def describe_questions(ctx: Context) -> list[str]:
    """/mydata: how many questions the person asked (kept for officers to answer)."""
    return [
        ctx.t("privacy.questions", count=questions.count_for_contact(ctx.session, ctx.contact.id))
    ]


CAPABILITY = Capability(
    name="qa",
    buttons={"qa": button},
    menu=(
        MenuItem("qa", "menu.qa", intro, 10),
        MenuItem("prog", "menu.programmes", programmes, 40),
    ),
    personal=PersonalData(
        tables=("question_log",),
        erase=lambda session, contact, content, settings: questions.erase_contact(
            session, contact.id
        ),
        describe=describe_questions,
    ),
)
