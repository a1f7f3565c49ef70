""" "Gặp cán bộ": the person writes what they need and it becomes a ticket for the officers
(handlers/tickets), marked as a request for a person (👤)."""

from __future__ import annotations

from content.textnorm import fold_words
from handlers.capability import Capability, Command, Flow, MenuItem
from handlers.context import MAX_TEXT, Context
from handlers.messages import Button, Reply
from handlers.start import menu_button, stale
from handlers.tickets import intake
from handlers.typed_choice import without_polite_ending
from storage import contacts, questions
from storage.tickets_models import TicketSource

FLOW = "handoff"


def command(ctx: Context, args: str = "") -> list[Reply]:
    """/officer [text]: with text, pass it on at once; without, ask for it."""
    if args.strip():
        return _pass_on(ctx, args.strip())
    contacts.set_flow(ctx.session, ctx.contact, FLOW)
    return [_ask(ctx)]


def _ask(ctx: Context) -> Reply:
    return Reply(text=ctx.t("handoff.ask"), buttons=[Button(ctx.t("handoff.cancel"), "ho:cancel")])


def on_text(ctx: Context, text: str) -> list[Reply] | None:
    if ctx.contact.active_flow != FLOW:
        return None
    typed = without_polite_ending(ctx, text)
    if not typed:  # nothing written (or emoji alone): nothing to pass on, asked again
        return [_ask(ctx)]
    if typed in ctx.content.lexicon.cancel_words or typed == fold_words(ctx.t("handoff.cancel")):
        # The button's label typed, or a word for "never mind" (content/lexicon, folded: typed
        # with or without diacritics, a polite ending dropped).
        return button(ctx, "cancel")
    if len(text.strip()) > MAX_TEXT:
        # Nothing is cut silently: the person hears that nothing was sent, and why.
        return [ctx.reply("handoff.too_long", length=len(text.strip()), limit=MAX_TEXT)]
    return _pass_on(ctx, text.strip())


def button(ctx: Context, arg: str) -> list[Reply]:
    """ "Thôi, không gửi": only while the question is open. Pressed later (the message went, or
    another flow came in between) it is a stale button: never "nothing was sent"."""
    if ctx.contact.active_flow != FLOW:
        return stale(ctx)
    contacts.set_flow(ctx.session, ctx.contact, None)
    return [ctx.reply("handoff.cancelled", buttons=[menu_button(ctx)])]


def _pass_on(ctx: Context, text: str) -> list[Reply]:
    contacts.set_flow(ctx.session, ctx.contact, None)
    row = questions.log_question(
        ctx.session,
        contact_id=ctx.contact.id,
        channel=ctx.contact.channel,
        text=text,  # whole: the router and on_text refuse more than MAX_TEXT
        lang=ctx.lang,
        topic=None,
        score=0.0,
        confident=False,
        alternatives=[],
        now=ctx.now,
        for_officers=True,  # the ticket inbox's, not a question for the content
    )
    questions.mark_handed_off(ctx.session, row.id, ctx.contact.id)
    _, told = intake.request(ctx, text, TicketSource.person, row.id)
    done = "handoff.done_told" if told else "handoff.done"  # the notice says when and where
    return [ctx.reply(done, buttons=[menu_button(ctx)]), *told]


CAPABILITY = Capability(
    name="handoff",
    commands=(Command("officer", command, announce=True),),
    buttons={"ho": button},
    flow=Flow(FLOW, on_text, namespace="ho", on_cancel=button),
    menu=(MenuItem("officer", "menu.officer", command, 50),),
)
