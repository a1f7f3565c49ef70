"""Officers answer the questions the bot could not: `/questions` lists them, `/reply ID text`
sends the answer to the person through the outbox (also `sxsh-bot reply ID TEXT`).
Every action here is checked against the officer list on the server."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from handlers import proactive
from handlers.context import Context
from handlers.messages import Button, Reply
from storage import outbox, questions
from storage.models import Contact, QuestionLog

REPLY = "officer_reply"
MAX_LIST = 10


class AnswerError(ValueError):
    """The reply cannot be sent; the message key says why."""


def answer_question(
    session: Session, log_id: int, text: str, by: str, now: datetime
) -> QuestionLog:
    """Record the officer's answer and queue it for the person (sent once, by any process)."""
    text = text.strip()
    if not text:
        raise AnswerError("officer.reply_empty")
    row = session.get(QuestionLog, log_id)
    if row is None:
        raise AnswerError("officer.reply_unknown")
    if row.contact_id is None:
        raise AnswerError("officer.reply_gone")
    questions.record_answer(session, log_id, text, by, now)
    key = f"{REPLY}:{log_id}:{int(now.timestamp())}"
    outbox.enqueue(session, key, row.contact_id, REPLY, now, {"question_id": log_id})
    return row


def list_command(ctx: Context, args: str = "") -> list[Reply]:
    if not ctx.is_officer:
        return [ctx.reply("officer_only")]
    rows = questions.unanswered(ctx.session)[:MAX_LIST]
    if not rows:
        return [ctx.reply("officer.none")]
    tz = ctx.settings.tz
    lines = [ctx.t("officer.list_title", count=len(rows))]
    for row in rows:
        when = row.created_at.astimezone(tz).strftime("%d/%m %H:%M")
        mark = "👤 " if row.handed_off else ""
        lines.append(f"#{row.id} · {when} · {mark}{row.text[:200]}")
    lines.append(ctx.t("officer.how_to_reply"))
    return [Reply(text="\n".join(lines))]


def reply_command(ctx: Context, args: str = "") -> list[Reply]:
    if not ctx.is_officer:
        return [ctx.reply("officer_only")]
    head, _, text = args.strip().partition(" ")
    if not head.lstrip("#").isdigit():
        return [ctx.reply("officer.reply_usage")]
    log_id = int(head.lstrip("#"))
    by = f"{ctx.contact.channel}:{ctx.contact.platform_id}"
    try:
        answer_question(ctx.session, log_id, text, by, ctx.now)
    except AnswerError as exc:
        return [ctx.reply(str(exc), id=log_id)]
    return [ctx.reply("officer.reply_queued", id=log_id)]


@proactive.renderer(REPLY, reply=True)
def render_reply(session, content, contact: Contact, payload: dict, now) -> list[Reply] | None:  # noqa: ANN001
    row = session.get(QuestionLog, payload.get("question_id"))
    if row is None or not row.answer:
        return None
    lang = contact.language if contact.language in ("vi", "en") else "vi"
    text = content.texts.get(
        lang, "officer.reply_message", question=row.text[:300], answer=row.answer
    )
    return [Reply(text=text, buttons=[Button(content.texts.get(lang, "menu.main"), "m:main")])]
