"""Officers answer the questions the bot could not: `/questions [page]` lists them, `/reply N
text` sends the answer to the person through the outbox (also `sxsh-bot reply N TEXT`), and
`/reload` loads edited content in every process.

Every command here is officer-only: the router checks the settings at the time of each message
and answers anyone else as if the command did not exist. Every answer is kept (who, when,
what) and delivered once, by its own outbox row keyed by the answer's id.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime

from sqlmodel import Session

from content.store import ContentStore
from content.texts import ContentError
from handlers.capability import Capability, Command, OutboxKind, PersonalData
from handlers.context import Context
from handlers.messages import Button, Reply
from handlers.payload import row_id
from storage import app_state, outbox, questions
from storage.models import Contact, OfficerAnswer, QuestionLog

REPLY = "officer_reply"
PAGE_SIZE = 10
PER_CONTACT = 2  # open questions shown per person on a page; the rest are counted
LINE_CHARS = 200  # of a question's text in the list
FORCE = "--force"
_BREAKS = re.compile(r"\s+")


class AnswerError(ValueError):
    """The reply cannot be sent; the message key says why, `fields` fill its placeholders."""

    def __init__(self, key: str, **fields: object):
        super().__init__(key)
        self.key, self.fields = key, fields


def flatten(text: str, limit: int = LINE_CHARS) -> str:
    """One line: every line break, tab and invisible format character (zero-width, bidi
    overrides) becomes a space, so a question cannot forge a second list entry; cut at `limit`
    characters with an ellipsis."""
    visible = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in text
    )
    line = _BREAKS.sub(" ", visible).strip()
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def answer_question(
    session: Session,
    question_id: int,
    text: str,
    officer: str,
    now: datetime,
    *,
    officer_contact_id: int | None = None,
    force: bool = False,
) -> OfficerAnswer:
    """Keep the officer's answer and queue it for the person who asked this question (sent
    once, by any process). Raises AnswerError: no text, no such question, the person deleted
    their data, or the question was answered already and `force` is not given."""
    text = text.strip()
    if not text:
        raise AnswerError("officer.reply_empty", id=question_id)
    row = session.get(QuestionLog, question_id) if row_id(str(question_id)) else None
    if row is None:
        raise AnswerError("officer.reply_unknown", id=question_id)
    if row.contact_id is None:
        raise AnswerError("officer.reply_gone", id=question_id)
    earlier = questions.answers_to(session, question_id)
    if earlier and not force:
        last = earlier[-1]
        raise AnswerError(
            "officer.reply_already",
            id=question_id,
            count=len(earlier),
            by=last.officer or "?",
            answer=flatten(last.text, 120),
        )
    answer = questions.record_answer(session, row, text, officer, now, officer_contact_id)
    key = f"{REPLY}:{answer.id}"
    outbox.enqueue(session, key, row.contact_id, REPLY, now, {"answer_id": answer.id})
    return answer


def list_command(ctx: Context, args: str = "") -> list[Reply]:
    """/questions [page]: open questions, newest first, one flattened line each."""
    arg = args.strip()
    page = int(arg) if arg.isdigit() and len(arg) < 7 else 1
    work = questions.work_page(ctx.session, page, PAGE_SIZE, PER_CONTACT)
    if not work.rows:
        return [ctx.reply("officer.none")]
    lines = [ctx.t("officer.list_title", count=work.total, page=work.page, pages=work.pages)]
    for row in work.rows:
        when = ctx.locale.short_date_time(row.created_at)
        mark = "👤 " if row.handed_off else ""
        line = f"#{row.id} · {when} · {mark}{flatten(row.text)}"
        if row.id in work.more:
            line += " " + ctx.t("officer.more_from_person", count=work.more[row.id])
        lines.append(line)
    if work.page < work.pages:
        lines.append(ctx.t("officer.next_page", page=work.page + 1))
    lines.append(ctx.t("officer.how_to_reply"))
    return [Reply(text="\n".join(lines))]


def parse_question_number(value: str) -> int | None:
    """The question number in "12" or "#12"; None when it is not a number (usage). A number
    no row can have (0, or 20 digits) gives 0, which no question has: "no question #N"."""
    number = value.strip().lstrip("#")
    if not number.isascii() or not number.isdigit():
        return None
    return row_id(number) or 0


def reply_command(ctx: Context, args: str = "") -> list[Reply]:
    """/reply N [--force] text."""
    head, _, text = args.strip().partition(" ")
    question_id = parse_question_number(head)
    if question_id is None:
        return [ctx.reply("officer.reply_usage")]
    number = head.lstrip("#")
    text = text.strip()
    force = text.startswith(FORCE + " ") or text == FORCE
    if force:
        text = text[len(FORCE) :].strip()
    officer = f"{ctx.contact.channel}:{ctx.contact.platform_id}"
    try:
        answer_question(
            ctx.session,
            question_id,
            text,
            officer,
            ctx.now,
            officer_contact_id=ctx.contact.id,
            force=force,
        )
    except AnswerError as exc:
        return [ctx.reply(exc.key, **{**exc.fields, "id": number})]  # the number as typed
    return [ctx.reply("officer.reply_queued", id=question_id)]


def reload_command(ctx: Context, args: str = "") -> Reply:
    """Officers reload content for every process: validate here, then bump the generation."""
    try:
        ContentStore.load(ctx.content.directory)
    except ContentError as exc:
        return ctx.reply("content_invalid", errors="\n".join(exc.errors[:10]))
    generation = app_state.bump(ctx.session, app_state.CONTENT_GENERATION)
    return ctx.reply("content_reloaded", generation=generation)


def render_reply(session, content, contact: Contact, payload: dict, now) -> list[Reply] | None:  # noqa: ANN001
    """The officer's answer, with the question it answers, to the person who asked it (and
    nobody else: a row whose question now belongs to someone else is not sent)."""
    answer = session.get(OfficerAnswer, payload.get("answer_id") or 0)
    if answer is None and payload.get("question_id"):  # rows queued before answers were kept
        earlier = questions.answers_to(session, payload["question_id"])
        answer = earlier[-1] if earlier else None
    question = session.get(QuestionLog, answer.question_id) if answer is not None else None
    if question is None or question.contact_id != contact.id:
        return None
    lang = contact.language if contact.language in ("vi", "en") else "vi"
    text = content.texts.get(
        lang, "officer.reply_message", question=flatten(question.text, 300), answer=answer.text
    )
    return [Reply(text=text, buttons=[Button(content.texts.get(lang, "menu.main"), "m:main")])]


def erase_officer(session: Session, contact: Contact, content: object) -> None:
    questions.erase_officer(session, contact.id, f"{contact.channel}:{contact.platform_id}")


CAPABILITY = Capability(
    name="officer",
    commands=(
        Command("questions", list_command, officer_only=True),
        Command("reply", reply_command, officer_only=True),
        Command("reload", reload_command, officer_only=True),
    ),
    outbox=(OutboxKind(REPLY, render_reply, reply=True),),
    personal=PersonalData(tables=("officer_answers",), erase=erase_officer),
)
