"""The person's own data: see it (/mydata) and delete it (/deletedata), as the Law on Personal
Data Protection (91/2025/QH15) gives them the right to. What each capability keeps is described
and erased by that capability's `PersonalData` hooks (handlers.registry); this module adds the
contact row, their consent records and their pending outbox rows. Company-level answers are not
personal data: they stay, no longer linked to the person."""

from __future__ import annotations

from sqlalchemy import delete
from sqlmodel import select

from handlers.capability import Capability, Command, Flow, PersonalData
from handlers.context import Context
from handlers.messages import Button, Reply, channel_name
from handlers.start import menu_button
from handlers.typed_choice import nothing_typed, yes_or_no
from storage import contacts, erasure
from storage.models import ConsentRecord, Contact, Outbox
from storage.zalo_oa_models import ZaloOAContact


def show(ctx: Context, args: str = "") -> list[Reply]:
    c, t = ctx.contact, ctx.t
    lines = [
        t("privacy.title"),
        t(
            "privacy.contact",
            channel=channel_name(c.channel),
            user_id=c.platform_id,
            language=t(f"lang.{c.language}") if c.language in ("vi", "en") else c.language,
            status=t(f"privacy.status.{c.status}"),
            first_seen=ctx.locale.date_time(c.first_seen),
            last_seen=ctx.locale.date_time(c.last_seen),
        ),
    ]
    for cap in ctx.registry.capabilities:
        if cap.personal is not None and cap.personal.describe is not None:
            lines += cap.personal.describe(ctx)
    lines.append(t("privacy.rights"))
    buttons = [Button(t("privacy.delete_button"), "pv:ask"), menu_button(ctx)]
    return [Reply(text="\n".join(lines), buttons=buttons)]


def describe_consents(ctx: Context) -> list[str]:
    t = ctx.t
    consents = ctx.session.exec(
        select(ConsentRecord)
        .where(ConsentRecord.contact_id == ctx.contact.id)
        .order_by(ConsentRecord.id)
    ).all()
    lines = [t("privacy.consents") if consents else t("privacy.no_consents")]
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
                when=ctx.locale.date_time(rec.given_at),
                version=rec.wording_version,
                state=t(f"privacy.consent_state.{state}"),
            )
        )
    return lines


FLOW = "privacy_delete"  # the erase question is open: a typed "có, xóa hết" / "không" answers it


def ask_delete(ctx: Context, args: str = "") -> list[Reply]:
    contacts.set_flow(ctx.session, ctx.contact, FLOW)
    buttons = [
        Button(ctx.t("privacy.confirm"), "pv:delete"),
        Button(ctx.t("privacy.keep"), "pv:keep"),
    ]
    return [Reply(text=ctx.t("privacy.delete_question"), buttons=buttons)]


def on_text(ctx: Context, text: str) -> list[Reply] | None:
    """Typed text at the erase question: its buttons' labels or a yes/no word answer it;
    anything else closes the question (nothing is erased) and is read as usual (None)."""
    if ctx.contact.active_flow != FLOW:
        return None
    if nothing_typed(text):
        return ask_delete(ctx)  # a sticker answers nothing: the question again
    choice = yes_or_no(ctx, text, "privacy.confirm", "privacy.keep")
    if choice is None:
        contacts.set_flow(ctx.session, ctx.contact, None)
        return None
    return button(ctx, "delete" if choice == "yes" else "keep")


def button(ctx: Context, arg: str) -> list[Reply]:
    asked = ctx.contact.active_flow == FLOW
    if asked:
        contacts.set_flow(ctx.session, ctx.contact, None)
    if arg == "ask":
        return ask_delete(ctx)
    if arg == "withdraw":
        # Zalo's user_withdraw event: the person's own act on the platform, erased as asked (no
        # question to answer). Pressed as a button anywhere else, it asks like /deletedata.
        return _delete(ctx) if ctx.contact.channel == "zalo_oa" else ask_delete(ctx)
    if arg == "delete":
        # Erasing cannot be undone: only the "yes" of the question still open erases. An old
        # one (after "no", or after the question closed) asks again.
        return _delete(ctx) if asked else ask_delete(ctx)
    return [ctx.reply("privacy.kept", buttons=[menu_button(ctx)])]


def erase_own(session, contact: Contact, content, settings) -> None:  # noqa: ANN001
    session.exec(delete(ConsentRecord).where(ConsentRecord.contact_id == contact.id))
    session.exec(delete(Outbox).where(Outbox.contact_id == contact.id))
    # The Zalo reply window (last message id and time) is channel state about the person.
    session.exec(delete(ZaloOAContact).where(ZaloOAContact.contact_id == contact.id))


def _delete(ctx: Context) -> list[Reply]:
    """Every capability erases what it keeps, then the contact row goes. SQLite overwrites the
    deleted content (secure_delete) and the WAL is checkpointed after the commit."""
    session, contact = ctx.session, ctx.contact
    for cap in ctx.registry.capabilities:
        if cap.personal is not None:
            cap.personal.erase(session, contact, ctx.content, ctx.settings)
    session.exec(delete(Contact).where(Contact.id == contact.id))
    erasure.checkpoint_after_commit(session)
    return [ctx.reply("privacy.deleted")]


CAPABILITY = Capability(
    name="privacy",
    commands=(Command("mydata", show), Command("deletedata", ask_delete)),
    buttons={"pv": button},
    flow=Flow(FLOW, on_text, namespace="pv", on_cancel=lambda ctx, _args: button(ctx, "keep")),
    personal=PersonalData(
        tables=("consent_records", "outbox", "contacts", "zalo_oa_contacts"),
        erase=erase_own,
        describe=describe_consents,
    ),
)
