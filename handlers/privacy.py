"""The person's own data: see it (/mydata) and delete it (/deletedata), as the Law on Personal
Data Protection (91/2025/QH15) gives them the right to. Company-level answers are not personal
data: they stay, no longer linked to the person."""

from __future__ import annotations

import json

from sqlalchemy import delete
from sqlmodel import select

from handlers.context import Context
from handlers.messages import Button, Reply
from handlers.start import menu_button
from storage.models import Answer, ConsentRecord, Contact, Outbox, QuestionLog, Response


def _personal_question_ids(ctx: Context) -> set[str]:
    q = ctx.content.questionnaire
    return {x.id for x in q.questions if x.personal} if q is not None else set()


def show(ctx: Context, args: str = "") -> list[Reply]:
    c, tz, t = ctx.contact, ctx.settings.tz, ctx.t
    lines = [
        t("privacy.title"),
        t(
            "privacy.contact",
            channel=c.channel,
            user_id=c.platform_id,
            language=c.language,
            status=t(f"privacy.status.{c.status}"),
            first_seen=c.first_seen.astimezone(tz).strftime("%d/%m/%Y %H:%M"),
            last_seen=c.last_seen.astimezone(tz).strftime("%d/%m/%Y %H:%M"),
        ),
    ]
    consents = ctx.session.exec(
        select(ConsentRecord).where(ConsentRecord.contact_id == c.id).order_by(ConsentRecord.id)
    ).all()
    lines.append(t("privacy.consents") if consents else t("privacy.no_consents"))
    for rec in consents:
        state = (
            "granted"
            if rec.granted and rec.withdrawn_at is None
            else ("withdrawn" if rec.withdrawn_at else "refused")
        )
        lines.append(
            t(
                "privacy.consent_line",
                purpose=t(f"privacy.purpose.{rec.purpose}"),
                when=rec.given_at.astimezone(tz).strftime("%d/%m/%Y %H:%M"),
                version=rec.wording_version,
                state=t(f"privacy.consent_state.{state}"),
            )
        )
    personal = _personal_answers(ctx)
    if personal:
        lines.append(t("privacy.personal_answers"))
        lines += [f"• {value}" for value in personal]
    asked = ctx.session.exec(select(QuestionLog.id).where(QuestionLog.contact_id == c.id)).all()
    lines.append(t("privacy.questions", count=len(asked)))
    lines.append(t("privacy.rights"))
    buttons = [Button(t("privacy.delete_button"), "pv:ask"), menu_button(ctx)]
    return [Reply(text="\n".join(lines), buttons=buttons)]


def ask_delete(ctx: Context, args: str = "") -> list[Reply]:
    buttons = [
        Button(ctx.t("privacy.confirm"), "pv:delete"),
        Button(ctx.t("privacy.keep"), "pv:keep"),
    ]
    return [Reply(text=ctx.t("privacy.delete_question"), buttons=buttons)]


def button(ctx: Context, arg: str) -> list[Reply]:
    if arg == "ask":
        return ask_delete(ctx)
    if arg == "delete":
        return _delete(ctx)
    return [ctx.reply("privacy.kept", buttons=[menu_button(ctx)])]


def _personal_answers(ctx: Context) -> list[str]:
    ids = _personal_question_ids(ctx)
    if not ids:
        return []
    rows = ctx.session.exec(
        select(Answer)
        .join(Response, Answer.response_id == Response.id)
        .where(Response.contact_id == ctx.contact.id, Answer.question_id.in_(ids))
    ).all()
    return [json.loads(r.value) for r in rows if json.loads(r.value)]


def _delete(ctx: Context) -> list[Reply]:
    """Remove the contact and everything personal about them. Company answers stay, with no
    link to the person (responses.contact_id becomes NULL)."""
    session, contact = ctx.session, ctx.contact
    response_ids = session.exec(select(Response.id).where(Response.contact_id == contact.id)).all()
    if response_ids:
        session.exec(
            delete(Answer).where(
                Answer.response_id.in_(response_ids),
                Answer.question_id.in_(_personal_question_ids(ctx)),
            )
        )
        for response in session.exec(select(Response).where(Response.id.in_(response_ids))):
            response.contact_id = None
            response.personal_consent = False
            session.add(response)
    session.exec(delete(QuestionLog).where(QuestionLog.contact_id == contact.id))
    session.exec(delete(ConsentRecord).where(ConsentRecord.contact_id == contact.id))
    session.exec(delete(Outbox).where(Outbox.contact_id == contact.id))
    session.exec(delete(Contact).where(Contact.id == contact.id))
    return [ctx.reply("privacy.deleted")]
