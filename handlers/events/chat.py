"""What enterprises see: "📅 Sự kiện sắp tới" with one-tap register / unregister, "Sự kiện của
tôi", and topic subscriptions in two taps (/subscribe, then a topic).

Buttons carry the event id and its version (`ev:r:12:3`): a tap on a card shown before the event
moved shows the new card instead of registering for a time the person never saw."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from content.textnorm import clip
from handlers.context import Context
from handlers.events import calendar, display, service
from handlers.messages import Button, Reply
from handlers.start import menu_button, stale
from handlers.typed_choice import nothing_typed, yes_or_no
from storage import app_state, contacts
from storage import events as store
from storage import events_reminders as subs
from storage.events_models import Event, Registration, RegistrationStatus
from storage.models import ContactStatus

NS = "ev"
# The "cancel after the deadline?" question is open: a typed "có"/"không" answers it; the
# event it is about is kept in app_state under CONFIRM_FLOW:<contact id>.
CONFIRM_FLOW = "event_unregister"
MAX_LISTED = 8  # cards in one answer; more would bury the chat (the nearest come first)


def _tz(ctx: Context) -> ZoneInfo:
    return ctx.settings.tz


def list_command(ctx: Context, args: str = "") -> list[Reply]:
    """/events and the menu item: the upcoming events that concern the person."""
    events = [
        e
        for e in store.upcoming(ctx.session, ctx.now)
        if store.concerns(ctx.session, e, ctx.contact)
    ][:MAX_LISTED]
    footer = [
        Button(ctx.t("events.button.mine"), f"{NS}:mine"),
        Button(ctx.t("events.button.subscribe"), f"{NS}:topics"),
        menu_button(ctx),
    ]
    if not events:
        return [Reply(text=ctx.t("events.none"), buttons=footer)]
    replies = [Reply(text=ctx.t("events.list_title"))]
    replies += [_card(ctx, event) for event in events]
    replies[-1].buttons += footer
    return replies


def _card(ctx: Context, event: Event) -> Reply:
    text = display.card(ctx.content, event, _tz(ctx), ctx.lang, ctx.now, _mine(ctx, event))
    return Reply(text=text, buttons=_card_buttons(ctx, event))


def _mine(ctx: Context, event: Event) -> str | None:
    """The person's own place on the event's card, when they registered or wait."""
    reg = store.registration(ctx.session, event.id, ctx.contact.id)
    if reg is None or reg.status == RegistrationStatus.cancelled:
        return None
    if reg.status == RegistrationStatus.waiting:
        return ctx.t("events.card_waiting", position=_position(ctx, reg))
    return ctx.t("events.card_registered")


def _card_buttons(ctx: Context, event: Event) -> list[Button]:
    if ctx.content.events.kind(event.kind).who != "registrants":
        return []
    reg = store.registration(ctx.session, event.id, ctx.contact.id)
    ref = f"{event.id}:{event.version}"
    if reg is not None and reg.status != RegistrationStatus.cancelled:
        return [Button(ctx.t("events.button.unregister"), f"{NS}:u:{ref}")]
    if display.is_closed(event, ctx.now):
        return []
    full = store.seats_left(event) == 0
    label = "events.button.wait" if full else "events.button.register"
    return [Button(ctx.t(label), f"{NS}:r:{ref}")]


def button(ctx: Context, arg: str) -> list[Reply] | Reply:
    """`ev:r:<id>:<version>` register, `ev:u:...` unregister, `ev:mine`, `ev:list`,
    `ev:topics` and `ev:t:<topic>` (subscriptions)."""
    action, _, rest = arg.partition(":")
    if action == "list":
        return list_command(ctx)
    if action == "mine":
        _take_question(ctx)  # "👍 Giữ chỗ": the question is answered, its "yes" void
        return mine(ctx)
    if action == "topics":
        return subscribe_command(ctx)
    if action == "t":
        return _toggle(ctx, rest)
    if action in ("r", "u", "U"):
        event_id, _, version = rest.partition(":")
        if event_id.isdigit() and version.isdigit():
            event = store.get(ctx.session, int(event_id))
            if action == "r":
                return _register(ctx, event, int(version))
            # After the deadline a seat given away is gone: only the "yes" of the question
            # still open cancels; an old one (after "keep my seat") asks again.
            confirmed = action == "U" and _take_question(ctx) == event_id
            return _unregister(ctx, event, confirmed=confirmed)
    return stale(ctx)


def _register(ctx: Context, event: Event | None, version: int) -> list[Reply]:
    if event is None or event.status not in store.VISIBLE or ctx.now >= event.starts_at:
        return [ctx.reply("events.gone", buttons=[_list_button(ctx)])]
    title = display.title(event, ctx.lang)
    if event.version != version:
        return [ctx.reply("events.changed_since"), _card(ctx, event)]
    if ctx.content.events.kind(event.kind).who != "registrants":
        return [ctx.reply("events.no_registration", title=title)]
    existing = store.registration(ctx.session, event.id, ctx.contact.id)
    if existing is not None and existing.status == RegistrationStatus.registered:
        return [ctx.reply("events.already_registered", title=title)]
    if existing is not None and existing.status == RegistrationStatus.waiting:
        return [ctx.reply("events.already_waiting", title=title, position=_position(ctx, existing))]
    if display.is_closed(event, ctx.now):
        return [ctx.reply("events.registration_closed", title=title)]
    reg = service.registered(ctx.session, event, ctx.contact, ctx.content.events, _tz(ctx), ctx.now)
    buttons = [Button(ctx.t("events.button.unregister"), f"{NS}:u:{event.id}:{event.version}")]
    buttons.append(Button(ctx.t("events.button.mine"), f"{NS}:mine"))
    if reg.status == RegistrationStatus.waiting:
        text = ctx.t("events.waiting", title=title, position=_position(ctx, reg))
        return [Reply(text=text, buttons=buttons)]
    when = display.when(ctx.content, event, _tz(ctx), ctx.lang)
    ics = calendar.attachment(event, _tz(ctx), ctx.lang, ctx.now)
    text = ctx.t("events.registered", title=title, when=when)
    return [Reply(text=text, buttons=buttons, attachment=ics)]


def _unregister(ctx: Context, event: Event | None, confirmed: bool = False) -> list[Reply]:
    """`ev:u` cancels at once while registration is open; after the deadline the seat cannot
    be taken back, so it asks first (`ev:U` confirms) and promises no re-registration."""
    reg = store.registration(ctx.session, event.id, ctx.contact.id) if event else None
    if event is None or (reg is None and event.status not in store.VISIBLE):
        # (an officer's unpublished draft: a forged press learns not even its title)
        return [ctx.reply("events.gone", buttons=[_list_button(ctx)])]
    title = display.title(event, ctx.lang)
    closed = display.is_closed(event, ctx.now)
    if reg is None or reg.status == RegistrationStatus.cancelled:
        return [ctx.reply("events.not_registered", title=title)]
    if closed and not confirmed:
        ref = f"{event.id}:{event.version}"
        buttons = [
            Button(ctx.t("events.button.unregister_anyway"), f"{NS}:U:{ref}"),
            Button(ctx.t("events.button.keep_seat"), f"{NS}:mine"),
        ]
        app_state.set_value(ctx.session, f"{CONFIRM_FLOW}:{ctx.contact.id}", ref)
        contacts.set_flow(ctx.session, ctx.contact, CONFIRM_FLOW)
        return [ctx.reply("events.unregister_closed_ask", title=title, buttons=buttons)]
    reg = service.unregistered(
        ctx.session, event, ctx.contact, ctx.content.events, _tz(ctx), ctx.now
    )
    if reg is None:
        return [ctx.reply("events.not_registered", title=title)]
    key = "events.unregistered_closed" if closed else "events.unregistered"
    return [ctx.reply(key, title=title, buttons=[_list_button(ctx)])]


def on_confirm_text(ctx: Context, text: str) -> list[Reply] | None:
    """Typed text at the "cancel after the deadline?" question: a button's label or a yes/no
    word answers it; anything else closes the question (nothing cancelled) and goes on (None)."""
    if ctx.contact.active_flow != CONFIRM_FLOW:
        return None
    ref = app_state.get_value(ctx.session, f"{CONFIRM_FLOW}:{ctx.contact.id}") or ""
    if ref and nothing_typed(text):
        return button(ctx, f"u:{ref}")  # a sticker answers nothing: the question again
    contacts.set_flow(ctx.session, ctx.contact, None)
    choice = yes_or_no(ctx, text, "events.button.unregister_anyway", "events.button.keep_seat")
    if choice is None or not ref:
        _take_question(ctx)
        return None
    return button(ctx, f"U:{ref}") if choice == "yes" else button(ctx, "mine")


def _take_question(ctx: Context) -> str:
    """The event id of the open "cancel after the deadline?" question, now answered ("" when
    none is open)."""
    key = f"{CONFIRM_FLOW}:{ctx.contact.id}"
    ref = app_state.get_value(ctx.session, key) or ""
    if ref:
        app_state.set_value(ctx.session, key, "")
    return ref.partition(":")[0]


def _position(ctx: Context, reg: Registration) -> int:
    waiting = store.registrations(ctx.session, reg.event_id, RegistrationStatus.waiting)
    waiting.sort(key=lambda r: (r.updated_at, r.id))
    return next((i for i, r in enumerate(waiting, start=1) if r.id == reg.id), len(waiting))


def _list_button(ctx: Context) -> Button:
    return Button(ctx.t("events.button.list"), f"{NS}:list")


def mine(ctx: Context, args: str = "") -> list[Reply]:
    """ "Sự kiện của tôi": registrations and waiting-list places, nearest first."""
    rows = [
        (r, e)
        for r, e in store.of_contact(ctx.session, ctx.contact.id)
        if e.status in store.VISIBLE and e.starts_at > ctx.now
    ]
    if not rows:
        return [ctx.reply("events.mine_none", buttons=[_list_button(ctx), menu_button(ctx)])]
    lines = [ctx.t("events.mine_title")]
    buttons = []
    for reg, event in rows:
        lines.append(
            ctx.t(
                "events.mine_line",
                status=ctx.t(f"events.status.{reg.status}"),
                title=display.title(event, ctx.lang),
                when=display.when(ctx.content, event, _tz(ctx), ctx.lang),
            )
        )
        buttons.append(
            Button(
                f"{ctx.t('events.button.unregister')}: {clip(display.title(event, ctx.lang), 28)}",
                f"{NS}:u:{event.id}:{event.version}",
            )
        )
    return [Reply(text="\n".join(lines), buttons=[*buttons, _list_button(ctx), menu_button(ctx)])]


# -- subscriptions ---------------------------------------------------------------------------
def subscribe_command(ctx: Context, args: str = "") -> list[Reply]:
    """/subscribe: what the person receives, each topic one tap to switch on or off."""
    chosen = subs.topics_of_contact(ctx.session, ctx.contact.id)
    topics = ctx.content.events.topics
    names = [topics[t][ctx.lang] for t in topics if t in chosen]
    text = ctx.t("subscribe.title", topics=", ".join(names) or ctx.t("subscribe.none"))
    if ctx.contact.status == ContactStatus.stopped:
        text += "\n" + ctx.t("subscribe.stopped_note")
    buttons = []
    for topic, name in topics.items():
        key = "subscribe.chosen" if topic in chosen else "subscribe.not_chosen"
        buttons.append(Button(ctx.t(key, topic=name[ctx.lang]), f"{NS}:t:{topic}"))
    return [Reply(text=text, buttons=[*buttons, menu_button(ctx)])]


def _toggle(ctx: Context, topic: str) -> list[Reply]:
    if topic not in ctx.content.events.topics:
        return [ctx.reply("subscribe.unknown"), *subscribe_command(ctx)]
    subs.toggle(ctx.session, ctx.contact.id, topic, ctx.now)
    return subscribe_command(ctx)
