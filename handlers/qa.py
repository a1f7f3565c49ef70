"""Questions and answers: free text -> the curated answer, or an honest "not sure".

The short answer comes first, with "Xem thêm" for the details, up to three related topics and
the main menu as buttons, and the sources named at the end. When the bot is not confident it
says so, offers the closest topics and a button that passes the question to an officer. Every
question is logged (storage.questions) so officers see what people ask and what is missing.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from datetime import date

from content.lexicon import Lexicon
from content.search import Match
from content.textnorm import fold_words
from handlers import qa_prepared, start
from handlers.capability import Capability, MenuItem, PersonalData
from handlers.context import Context
from handlers.messages import Button, Reply
from handlers.payload import row_id
from handlers.qa_replies import (
    Answer,
    Ticketed,
    answer_language,
    compose,
    entry_replies,
    fallback_replies,
    kind_of,
    middle_replies,
    redirect_of,
)
from handlers.tickets import intake
from storage import questions
from storage.tickets_models import TicketSource

log = logging.getLogger(__name__)
_NOT_DIGITS = re.compile(r"[\s.,+()\-]")  # "1.", "0292 3 821 234", "+84 909 123 456"
PROGRAMMES_ENTRY = "support.programmes"
HUMAN = "bot.human"  # the entry that says how to reach an officer: a person request is that
# How people type "không" at the end of a short question, for the presence phrases.
_NO = dict.fromkeys(("ko", "k", "kh", "khg", "hk", "hong", "hok", "hem"), "khong")


def small_talk(text: str, lexicon: Lexicon) -> str | None:
    """ "greeting", "farewell", "presence", "thanks", "ack", "number", "phone", "confused" or
    None: a hello, a goodbye, "is anyone there?", a thank-you, an "ok", a number, a sigh or "I
    don't understand" alone is not a question.
    The words are officers' content (content/lexicon/words.yaml)."""
    words = fold_words(text).split()
    if "".join(text.split()) in lexicon.confused_faces:
        return "confused"  # ":(", "T_T", "😢": said kindly what the bot can do
    if not words and text.strip():
        return "ack"  # "👍", "🙂", "...": no word at all is heard, not searched as a question
    if not words or len(words) > 6:
        return None
    digits = _NOT_DIGITS.sub("", text)
    if digits.isdigit():
        # A menu number typed when no list is open ("3"), or a phone number left alone: never
        # a question (it was refused as sport, or listed to officers in /unanswered).
        return "phone" if len(digits) >= 9 else "number"
    joined = " ".join(words)
    greetings, fillers = lexicon.greetings, lexicon.greeting_fillers
    hello = greetings | fillers
    if _alone(joined, lexicon.farewells, hello):
        return "farewell"  # "tạm biệt", "bye bye", "chào tạm biệt nha"
    if any(w in greetings for w in words) and all(w in hello for w in words):
        return "greeting"
    plain = " ".join(_NO.get(w, w) for w in words)  # "có ai ko" is "có ai không"
    if _alone(plain, lexicon.presence, hello):
        return "presence"  # "alo có ai không", "test", "bot ơi, có ai không": is the bot there?
    ack, thanks = lexicon.acknowledgements, lexicon.thanks_words
    said_thanks = any(f" {x} " in f" {joined} " for x in lexicon.thanks_phrases)
    if said_thanks and all(w in thanks or w in ack for w in words):
        return "thanks"
    if joined in ack:
        return "ack"  # "ok", "dạ": heard, not thanked (a "you're welcome" would be odd)
    return "confused" if _confused(plain, words, lexicon) else None


def _confused(plain: str, words: list[str], lexicon: Lexicon) -> bool:
    """A sigh alone ("huhu", "hic", "haiz") or "I don't understand" with only fillers around it
    ("ko hiểu gì hết"): not a question to search (a tester's "huhu" got a sure answer)."""
    sighs = lexicon.confused_words
    if all(w in sighs for w in words):
        return True
    return _alone(plain, lexicon.confused_phrases, sighs | lexicon.confused_fillers)


def _alone(folded: str, phrases: frozenset[str], around: frozenset[str]) -> bool:
    """`folded` (words joined by spaces) holds one of `phrases`, with nothing but words of
    `around` beside it (the phrase may come again: "bye bye")."""
    rest = f" {folded} "
    for phrase in sorted(phrases, key=len, reverse=True):  # "tạm biệt nha" before "tạm biệt"
        rest = rest.replace(f" {phrase} ", " ")
    return rest != f" {folded} " and all(w in around for w in rest.split())


# The composing functions live in handlers/qa_replies.py; these names are what callers use.
__all__ = [
    "CAPABILITY",
    "Answer",
    "compose",
    "entry_replies",
    "fallback_replies",
    "middle_replies",
    "on_text",
    "small_talk",
]


def person_replies(ctx: Context, answer_lang: str, told: bool = False) -> list[Reply]:
    """The message asked for a person: it is already passed to the officers (the same list as
    the "Gặp cán bộ" button feeds); the person may add details. `told`: the ticket's notice
    follows, which says when and where the answer comes (not said twice)."""
    more = Button(ctx.content.texts.get(answer_lang, "qa.person_more"), "m:officer")
    key = "qa.person_told" if told else "qa.person"
    return [
        Reply(
            text=ctx.content.texts.get(answer_lang, key),
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
    if talk in ("greeting", "number", "confused", "presence"):
        # A hello, a bare number, "huhu" / "ko hiểu gì hết", "test" / "alo có ai không" (a
        # tester got sports and an off-topic refusal): its line and the menu; nothing logged or
        # passed to an officer.
        return [Reply(text=ctx.t(f"qa.{talk}"), buttons=start.main_menu(ctx))]
    if talk == "phone":  # the number is kept nowhere: the officer button says how to be called
        officer = Button(ctx.t("menu.officer"), "m:officer")
        return [Reply(text=ctx.t("qa.phone"), buttons=[officer, start.menu_button(ctx)])]
    if talk == "farewell":
        return [Reply(text=ctx.t("qa.farewell"), buttons=[start.menu_button(ctx)])]
    if talk in ("thanks", "ack"):
        return [Reply(text=ctx.t(f"qa.{talk}"), buttons=[start.menu_button(ctx)])]
    if ctx.content.lexicon.ambiguous_command(text) == "stop":
        # "dung" alone: dừng (stop), đúng (right) or dùng (use)? Opting out is not guessed.
        return [Reply(text=ctx.t("qa.stop_hint"), buttons=[start.menu_button(ctx)])]
    match = qa_prepared.search(ctx.memo, text, ctx.content.knowledge.index)
    if match.lang not in (None, ctx.lang) and len(fold_words(text).split()) < 2:
        # One English-looking word alone ("test", "stats") does not switch a Vietnamese
        # conversation to English (tester's fault 8): the person's language stays.
        match = replace(match, lang=None)
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
        answer: list[Reply] = []
        if kind_of(ctx.content, match) == "answer" and match.topic != HUMAN:
            # It also asks something the bot is sure of ("làm sxsh tốn bao nhiêu? cho tôi gặp
            # cán bộ"): that answer too, without offering the request back as a topic asked.
            asked = replace(match, also=[e for e in match.also if e != HUMAN])
            today = _today(ctx)
            answer = compose(ctx.content, text, ctx.lang, today, log_id=log_id, match=asked).replies
        return answer + person_replies(ctx, lang, told=bool(told)) + told
    today = _today(ctx)
    if officer:
        return compose(ctx.content, text, ctx.lang, today, log_id=log_id, match=match).replies
    if (
        kind_of(ctx.content, match) == "not_sure"
        and redirect_of(ctx.content, match) is None
        and a_question(text)
    ):
        # The bot could not answer: a ticket first, then the one reply that says so (a
        # question outside the remit is not one: the person was told where to ask; nor is "1"
        # or "👍": the officer button stays offered).
        ticket, told = intake.request(ctx, text, TicketSource.unanswered, log_id)
        ticketed = Ticketed(ticket.id if told else None)
        return compose(
            ctx.content, text, ctx.lang, today, log_id=log_id, match=match, ticketed=ticketed
        ).replies
    answer = compose(ctx.content, text, ctx.lang, today, log_id=log_id, match=match)
    told = intake.follow_up(ctx, text)  # joins (or reopens) the person's ticket, if any
    return answer.replies + told


def a_question(text: str) -> bool:
    """Worth an officer's time without being asked: a question mark with a word or two, or at
    least three words with some substance. "1", "👍", "bot la ai", "lam tiep" are not (a
    tester's officers got tickets for them); the person can still press "Gặp cán bộ"."""
    words = fold_words(text).split()
    letters = sum(ch.isalpha() for ch in text)
    if "?" in text:
        return letters >= 6
    return len(words) >= 3 and letters >= 10


def _log(ctx: Context, text: str, lang: str, match: Match) -> int | None:
    """Log the question; a failure here must never cost the person their answer. A request
    for a person, and what a person writes while their ticket is open, are addressed to the
    officers: logged as such, they stay out of /unanswered (the ticket inbox has them).
    No savepoint around it (two round trips on every question, issue 13): every value is
    bounded before the INSERT (text by MAX_TEXT, ids by the content schema), so the database
    has nothing to refuse but an outage, which fails the whole turn anyway. The person's
    ticket is read once for the turn (intake.current): the log and intake share it."""
    try:
        ticket, reopens = intake.current(ctx)
        row = questions.log_question(
            ctx.session,
            contact_id=ctx.contact.id,
            channel=ctx.inbound.channel,
            text=text,
            lang=lang,
            # A middle-tier answer is logged as not confident, with the topic it gave: it is
            # in the officers' list of questions to review.
            topic=match.topic if match.confident else match.best,
            score=match.score,
            confident=match.confident,
            alternatives=match.alternatives,
            now=ctx.now,
            for_officers=bool(match.person) or (ticket is not None and not reopens),
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
            return start.stale(ctx)
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
    return start.stale(ctx)


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
