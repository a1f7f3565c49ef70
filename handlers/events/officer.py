"""Officers create and change events in the chat: a guided conversation (kind, titles, time,
place, seats), a preview exactly as enterprises will see it, then publish or keep as a draft.
`/eventinfo CODE` shows registrations and reminders by state. Officer rights are checked on the
server at every step, from the settings at the time of the message.

The draft lives in the database (app_state, one key per officer), so any process can take the
next message and a restart loses nothing."""

from __future__ import annotations

import json
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import col, select

from content.locale import parse_date_time
from content.textnorm import fold_words
from handlers import roles
from handlers.context import Context
from handlers.events import display, officer_view, service
from handlers.messages import Button, Reply
from handlers.start import menu_button, stale
from storage import app_state, contacts
from storage import events as store
from storage.events_models import Event, EventStatus
from storage.models import Outbox

FLOW = "event_draft"
NS = "evo"
COMMANDS = {"newevent", "editevent"}  # commands that keep the draft open
# The questions of a new event, in order; an edit jumps to one and back to the preview.
STEPS = ("kind", "title_vi", "title_en", "start", "place", "capacity")
EDITABLE = ("start", "place", "capacity", "title_vi")


def _key(ctx: Context) -> str:
    return f"event_draft:{ctx.contact.id}"


def _load(ctx: Context) -> dict | None:
    raw = app_state.get_value(ctx.session, _key(ctx))
    return json.loads(raw) if raw else None


def _store(ctx: Context, draft: dict | None) -> None:
    if draft is None:
        app_state.set_value(ctx.session, _key(ctx), "")
        contacts.set_flow(ctx.session, ctx.contact, None)
        return
    app_state.set_value(ctx.session, _key(ctx), json.dumps(draft, ensure_ascii=False))
    contacts.set_flow(ctx.session, ctx.contact, FLOW)


def _refuse(ctx: Context) -> list[Reply]:
    if ctx.contact.active_flow == FLOW:
        _store(ctx, None)
    return [ctx.reply("officer_only")]


# -- entry points ----------------------------------------------------------------------------
def new_command(ctx: Context, args: str = "") -> list[Reply]:
    """/newevent: start a new event (officers only)."""
    if not ctx.is_officer:
        return _refuse(ctx)
    _store(ctx, {"step": "kind", "fields": {}, "code": None})
    return [_ask(ctx, "kind")]


def edit_command(ctx: Context, args: str = "") -> list[Reply]:
    """/editevent CODE: change an event; the preview shows it before anything is saved."""
    if not ctx.is_officer:
        return _refuse(ctx)
    event = store.by_code(ctx.session, args.strip()) if args.strip() else None
    if event is None:
        return [_which(ctx, args)]
    fields = {
        "kind": event.kind,
        "title_vi": event.title_vi,
        "title_en": event.title_en,
        "start": ctx.locale.date_time(event.starts_at),  # as parse_local reads it back
        "place": event.place,
        "capacity": event.capacity,
    }
    _store(ctx, {"step": "preview", "fields": fields, "code": event.code})
    return [_preview(ctx, _load(ctx))]


def info_command(ctx: Context, args: str = "") -> list[Reply]:
    """/eventinfo CODE: registrations and reminders of one event, by state."""
    if not ctx.is_officer:
        return [ctx.reply("officer_only")]
    event = store.by_code(ctx.session, args.strip()) if args.strip() else None
    if event is None:
        return [_which(ctx, args)]
    text = officer_view.info_text(ctx.content, ctx.session, event, ctx.settings.tz, ctx.lang)
    return [Reply(text=text)]


def _which(ctx: Context, args: str) -> Reply:
    """No code: how to give one; a code that names no event: say so (not the usage alone)."""
    code = args.strip()
    if code:
        return ctx.reply("events.officer.unknown_code", code=code[:64], codes=_codes(ctx))
    return ctx.reply("events.officer.which", codes=_codes(ctx))


def _codes(ctx: Context) -> str:
    rows = store.all_events(ctx.session)
    return ", ".join(e.code for e in rows[-10:]) or "-"


# -- the conversation ------------------------------------------------------------------------
def _ask(ctx: Context, step: str) -> Reply:
    if step == "kind":
        kinds = ctx.content.events.kinds
        buttons = [Button(k.name[ctx.lang], f"{NS}:kind:{k.id}") for k in kinds.values()]
        return Reply(text=ctx.t("events.officer.ask.kind"), buttons=buttons)
    return Reply(
        text=ctx.t(f"events.officer.ask.{step}"),
        buttons=[Button(ctx.t("events.officer.button.cancel"), f"{NS}:cancel")],
        # "1" or "01" typed at "Số chỗ?" is the number, never the "❌ Bỏ" button
        expects_number=step == "capacity",
    )


def on_text(ctx: Context, text: str) -> list[Reply] | None:
    """The officer's answer to the current question of the draft."""
    if ctx.contact.active_flow != FLOW:
        return None
    if not ctx.is_officer:
        return _refuse(ctx)
    draft = _load(ctx)
    if draft is None:
        contacts.set_flow(ctx.session, ctx.contact, None)
        return None
    step = draft["step"]
    if step in ("kind", "preview"):
        shown = _current(ctx, draft)
        typed = fold_words(text)
        # a button's label typed (with or without diacritics or emoji) presses it
        for b in shown.buttons:
            if typed and fold_words(b.label) == typed:
                return button(ctx, b.payload.partition(":")[2])
        return [ctx.reply("events.officer.use_buttons"), shown]
    value, error = _parse(ctx, step, text.strip(), draft)
    if error:
        return [Reply(text=error), _ask(ctx, step)]
    draft["fields"][step] = value
    return _advance(ctx, draft, step)


def _advance(ctx: Context, draft: dict, step: str) -> list[Reply]:
    if draft.get("code") is None and step in STEPS and STEPS.index(step) < len(STEPS) - 1:
        draft["step"] = STEPS[STEPS.index(step) + 1]
        _store(ctx, draft)
        return [_ask(ctx, draft["step"])]
    draft["step"] = "preview"
    _store(ctx, draft)
    return [_preview(ctx, draft)]


def _current(ctx: Context, draft: dict) -> Reply:
    return _preview(ctx, draft) if draft["step"] == "preview" else _ask(ctx, draft["step"])


def _parse(ctx: Context, step: str, text: str, draft: dict) -> tuple[object, str | None]:
    """(value, None) or (None, the message saying what is expected)."""
    if step == "title_en":
        return ("" if text in ("-", "") else text[:256]), None
    if step in ("title_vi", "place"):
        if not text or len(text) > 256:
            return None, ctx.t(f"events.officer.bad.{step}")
        return text, None
    if step == "capacity":
        return _capacity(ctx, text, draft)
    if step == "start":
        moment = parse_local(text, ctx.settings.tz)
        if moment is None:
            return None, ctx.t("events.officer.bad.start", text=text[:40])
        if moment <= ctx.now:
            return None, ctx.t("events.officer.bad.past")
        return text, None
    return None, ctx.t("events.officer.use_buttons")


# "40", "040", "40 chỗ", "40 người", "40 seats" (compared without diacritics)
_SEATS = re.compile(r"(\d{1,6})\s*(?:cho|nguoi|seats?|people)?")


def _capacity(ctx: Context, text: str, draft: dict) -> tuple[int | None, str | None]:
    """Seats, or None for no limit ("-", "0"). Fewer seats than people already registered is
    refused: they would stay registered beyond the limit ("4/2")."""
    folded = fold_words(text)
    if text.strip() == "-" or folded in ("0", "khong gioi han", "no limit"):
        return None, None
    match = _SEATS.fullmatch(folded)
    if match is None:
        return None, ctx.t("events.officer.bad.capacity")
    seats = int(match.group(1))
    if seats == 0:
        return None, None
    event = store.by_code(ctx.session, draft["code"]) if draft.get("code") else None
    if event is not None and seats < event.seats_taken:
        return None, ctx.t("events.officer.bad.capacity_below", n=event.seats_taken, seats=seats)
    return seats, None


def parse_local(text: str, tz: ZoneInfo) -> datetime | None:
    """A local day and time as officers type it ("04/12/2026 08:00", "04/12/2026 8h30",
    content.locale.parse_date_time) as an aware UTC datetime; None when it is not one."""
    moment = parse_date_time(text, tz)
    return None if moment is None else moment.astimezone(ZoneInfo("UTC"))


def button(ctx: Context, arg: str) -> list[Reply]:
    """`evo:kind:<id>`, `evo:set:<field>`, `evo:publish`, `evo:save`, `evo:cancel`."""
    if not ctx.is_officer:
        return _refuse(ctx)
    draft = _load(ctx)
    action, _, rest = arg.partition(":")
    if draft is None:
        return stale(ctx)
    if action == "cancel":
        _store(ctx, None)
        return [ctx.reply("events.officer.dropped", buttons=[menu_button(ctx)])]
    if action == "kind" and rest in ctx.content.events.kinds:
        draft["fields"]["kind"] = rest
        return _advance(ctx, draft, "kind")
    if action == "set" and rest in EDITABLE:
        draft["step"] = rest
        _store(ctx, draft)
        return [_ask(ctx, rest)]
    if action in ("publish", "save") and draft["step"] == "preview":
        return _save(ctx, draft, publish=action == "publish")
    return [_current(ctx, draft)]


def _event_fields(ctx: Context, draft: dict) -> dict:
    f = draft["fields"]
    kind = ctx.content.events.kind(f["kind"])
    code = draft.get("code") or _new_code(ctx, f)
    fields = {
        "code": code,
        "kind": f["kind"],
        "title_vi": f["title_vi"],
        "title_en": f.get("title_en") or "",
        "starts_at": parse_local(f["start"], ctx.settings.tz),
        "place": f.get("place") or "",
        "capacity": f.get("capacity"),
    }
    if draft.get("code") is None:
        fields["topics"] = json.dumps([kind.topic])
    return fields


def _new_code(ctx: Context, f: dict) -> str:
    day = parse_local(f["start"], ctx.settings.tz).astimezone(ctx.settings.tz)
    base = f"{f['kind'].replace('_', '-')}-{day:%Y%m%d}"
    code, n = base, 1
    while store.by_code(ctx.session, code) is not None:
        n += 1
        code = f"{base}-{n}"
    return code


def _preview(ctx: Context, draft: dict) -> Reply:
    fields = _event_fields(ctx, draft)
    existing = store.by_code(ctx.session, fields["code"]) if draft.get("code") else None
    base = existing.model_dump() if existing else {"created_at": ctx.now, "updated_at": ctx.now}
    shown = Event(**{**base, **fields})  # not added to the session: nothing is saved
    card = display.card(ctx.content, shown, ctx.settings.tz, ctx.lang, ctx.now)
    buttons = [
        Button(ctx.t("events.officer.button.publish"), f"{NS}:publish"),
        Button(ctx.t("events.officer.button.save"), f"{NS}:save"),
        *[Button(ctx.t(f"events.officer.button.set_{f}"), f"{NS}:set:{f}") for f in EDITABLE],
        Button(ctx.t("events.officer.button.cancel"), f"{NS}:cancel"),
    ]
    return Reply(text=ctx.t("events.officer.preview", card=card), buttons=buttons)


def _save(ctx: Context, draft: dict, *, publish: bool) -> list[Reply]:
    fields = _event_fields(ctx, draft)
    existing = store.by_code(ctx.session, fields["code"])
    status = EventStatus.published if publish else EventStatus.draft
    was_visible = existing is not None and existing.status in store.VISIBLE
    event, what = service.save(
        ctx.session, fields, status, ctx.content.events, ctx.settings.tz, ctx.now
    )
    _store(ctx, None)
    action = "event.create" if existing is None else "event.change"
    roles.record(ctx, action, "event", event.code, f"{what}, {event.status}")
    key = "events.officer.saved_draft"
    if what == "moved" and was_visible:
        key = "events.officer.moved"
    elif event.status in store.VISIBLE:
        key = "events.officer.published" if not was_visible else "events.officer.changed"
    people = len([r for r in store.registrations(ctx.session, event.id) if r.status != "cancelled"])
    told = ctx.session.exec(
        select(func.count()).where(col(Outbox.key).startswith(f"event:{event.id}:announce:"))
    ).one()
    text = ctx.t(
        key, title=display.title(event, ctx.lang), code=event.code, people=people, told=told
    )
    return [Reply(text=text, buttons=[menu_button(ctx)])]
