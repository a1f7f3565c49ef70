"""Composing a broadcast in chat (officers only; to anyone else `/broadcast` and the `bc`
buttons do not exist — the registry checks the rights at every message and press).

`/broadcast` asks for the text (or `/broadcast <text>`), then the audience: "everyone" as a
button, or filters typed as `key=value` pairs (`sector=seafood park=tra_noc_1`; values that
name nothing are refused: audience_values.py); the preview shows the text as people will
see it, recipients per channel, exclusions per reason, sample enterprises and the estimated
duration, with ✅ Send now / 🕒 Schedule / ✖ Cancel. Night hours and an identical running
broadcast ask a second press. `/broadcast status [N]`, `pause N`, `resume N`, `cancel N`,
`resend N` (the unknown ones) follow it."""

from __future__ import annotations

import json
import shlex
from datetime import UTC, datetime

from content.locale import parse_date_time
from handlers import roles
from handlers.broadcasts import audience_values, copies, service
from handlers.context import Context
from handlers.messages import Button, Reply, channel_name
from handlers.payload import row_id
from handlers.start import stale
from storage import app_state, broadcasts, contacts
from storage.broadcasts_models import Broadcast, BroadcastStatus

NS = "bc"
AT = "@"  # joins a draft number and a schedule time in one payload
FLOW = "broadcast_compose"
ACTIONS = ("pause", "resume", "cancel", "resend")


def _state_key(ctx: Context) -> str:
    return f"broadcast_compose:{ctx.contact.id}"


def _set_step(ctx: Context, step: str | None, row: int | None = None) -> None:
    value = json.dumps({"step": step, "id": row}) if step else ""
    app_state.set_value(ctx.session, _state_key(ctx), value)
    contacts.set_flow(ctx.session, ctx.contact, FLOW if step else None)


def _step(ctx: Context) -> dict:
    raw = app_state.get_value(ctx.session, _state_key(ctx), "") or ""
    try:
        return json.loads(raw) if raw else {}
    except ValueError:
        return {}


def command(ctx: Context, args: str = "") -> list[Reply]:
    """/broadcast [text] | status [N] | pause|resume|cancel|resend N."""
    head, _, rest = args.strip().partition(" ")
    if head == "status":
        return [_status(ctx, rest)]
    if head in ACTIONS:
        number = row_id(rest.strip().lstrip("#"))
        if number is None:
            return [ctx.reply("broadcasts.usage")]
        return [_act(ctx, number, head)]
    if args.strip():
        return _take_text(ctx, args.strip())
    _set_step(ctx, "text")
    return [ctx.reply("broadcasts.ask_text")]


def on_text(ctx: Context, text: str) -> list[Reply] | None:
    if ctx.contact.active_flow != FLOW:
        return None
    if not ctx.is_officer:  # rights gone meanwhile: an ordinary question
        _set_step(ctx, None)
        return None
    step = _step(ctx)
    if step.get("step") == "text":
        return _take_text(ctx, text)
    if step.get("step") == "audience":
        return _take_audience(ctx, step.get("id"), text)
    if step.get("step") == "schedule":
        return _take_time(ctx, step.get("id"), text)
    if step.get("step") == "preview" and _draft(ctx, step.get("id")) and _filters(text):
        return _take_audience(ctx, step.get("id"), text)  # narrowed after seeing who gets it
    _set_step(ctx, None)
    return None


def _filters(text: str) -> bool:
    """Typed under a preview, this is other filters ("sector=rice_food", "unfinished"), not a
    question: a key=value or a flag word alone."""
    words = text.lower().split()
    return "=" in text or (len(words) == 1 and words[0] in FLAGS)


def _take_text(ctx: Context, text: str) -> list[Reply]:
    """The text, and the photo or document sent with it (its caption is the text)."""
    file = ctx.inbound.file
    if not text.strip() and file is None:  # a sticker, or nothing: ask again
        return [ctx.reply("broadcasts.ask_text")]
    row = broadcasts.create(
        ctx.session, text, {"all": True}, roles.label(ctx.contact), ctx.now,
        attachment=copies.reference(file) if file else None,
        attachment_kind=file.kind if file else None,
    )  # fmt: skip
    roles.record(ctx, "broadcast.create", "broadcast", row.id, text[:120])
    _set_step(ctx, "audience", row.id)
    everyone = Button(ctx.t("broadcasts.everyone"), f"{NS}:all:{row.id}")
    return [ctx.reply("broadcasts.ask_audience", id=row.id, buttons=[everyone])]


FLAGS = ("all", "unfinished")  # audience keys that take no value


def parse_filters(text: str) -> dict:
    """`sector=seafood ward=Phường Thới An Đông unfinished` -> a spec. Quotes may hold spaces,
    and without them a word that is not a flag continues the value before it (officers type
    ward names as they are written). Raises AudienceError for anything else."""
    try:
        words = shlex.split(text)
    except ValueError as exc:  # an unclosed quote
        raise broadcasts.AudienceError(text) from exc
    spec: dict = {}
    last: str | None = None
    for word in words:
        key, eq, value = word.partition("=")
        if not eq and last is not None and word.lower() not in FLAGS:
            spec[last] += " " + word
        elif not eq:
            spec[word.lower()] = True  # a flag: unfinished, all
            last = None
        elif not key or not value or "=" in value:
            raise broadcasts.AudienceError(word)
        else:
            last = key.lower()
            spec[last] = value
    return broadcasts.parse_audience(spec)


def _take_audience(ctx: Context, number: int | None, text: str) -> list[Reply]:
    row = _draft(ctx, number)
    if row is None:
        _set_step(ctx, None)
        return [ctx.reply("broadcasts.gone")]
    try:
        spec = audience_values.by_name(parse_filters(text), ctx.content.questionnaire)
    except broadcasts.AudienceError as exc:
        keys = ", ".join(broadcasts.AUDIENCE_KEYS)
        return [ctx.reply("broadcasts.bad_audience", error=str(exc), keys=keys)]
    topics = list(ctx.content.events.topics)
    wrong = audience_values.unknown_value(ctx.session, spec, ctx.content.questionnaire, topics)
    if wrong is not None:
        key, value, valid = wrong
        return [
            ctx.reply("broadcasts.unknown_value", filter=key, value=value, valid=", ".join(valid))
        ]
    return _set_audience(ctx, row, spec)


def _set_audience(ctx: Context, row: Broadcast, spec: dict) -> list[Reply]:
    row.audience = json.dumps(spec, ensure_ascii=False, sort_keys=True)
    row.digest = broadcasts.digest_of(row.text, row.attachment, spec)
    ctx.session.add(row)
    ctx.session.flush()
    # The preview stays open to other filters typed under it; a question closes it.
    _set_step(ctx, "preview", row.id)
    return _preview(ctx, row)


def _preview(ctx: Context, row: Broadcast) -> list[Reply]:
    p = service.preview(ctx.session, row, ctx.settings, ctx.now)
    lines = service.preview_lines(p, ctx.content.texts, ctx.lang)
    cancel = Button(ctx.t("broadcasts.cancel"), f"{NS}:cancel:{row.id}")
    if p.audience.included:
        send = Button(ctx.t("broadcasts.send_now"), f"{NS}:send:{row.id}")
        buttons = [send, Button(ctx.t("broadcasts.schedule"), f"{NS}:sched:{row.id}"), cancel]
    else:  # nobody to send to: other filters asked for, never "Send now" to 0 people
        _set_step(ctx, "audience", row.id)
        lines.append(ctx.t("broadcasts.nobody_retype"))
        everyone = Button(ctx.t("broadcasts.everyone"), f"{NS}:all:{row.id}")
        all_ = broadcasts.audience_of(row).get("all")
        buttons = [cancel] if all_ else [everyone, cancel]
    seen = copies.copy_of(row, ctx.contact.channel) or Reply(text=row.text)
    held = copies.chat_file(row)
    if held is not None and held[0] != ctx.contact.channel:
        lines.append(ctx.t("broadcasts.file_elsewhere", channel=channel_name(held[0])))
    elif held is not None and set(p.audience.per_channel()) - {held[0]}:
        lines.append(ctx.t("broadcasts.file_one_channel", channel=channel_name(held[0])))
    return [ctx.reply("broadcasts.as_seen"), seen,
            Reply(text="\n".join(lines), buttons=buttons)]  # fmt: skip


def _draft(ctx: Context, number: int | None) -> Broadcast | None:
    row = broadcasts.get(ctx.session, number) if number else None
    return row if row is not None and row.status == BroadcastStatus.draft else None


def button(ctx: Context, arg: str) -> list[Reply]:
    """bc:all|send|night|twin|sched|cancel|status|pause|resume:N (officers only: the registry
    hides `bc` from everyone else)."""
    action, _, value = arg.partition(":")
    value, _, epoch = value.partition(AT)  # schedtwin carries the time the officer typed
    number = row_id(value)
    if number is None:
        return stale(ctx)
    if action == "cancel":
        return [_act(ctx, number, "cancel")]
    if action in ("status", "pause", "resume"):
        if action != "status":
            return [_act(ctx, number, action)]
        return [_status(ctx, str(number))]
    row = _draft(ctx, number)
    if row is None:
        return [ctx.reply("broadcasts.gone")]
    if action == "all":
        return _set_audience(ctx, row, {"all": True})
    if action == "sched":
        _set_step(ctx, "schedule", row.id)
        return [ctx.reply("broadcasts.ask_time", id=row.id)]
    if action == "schedtwin":
        at = _moment(epoch)
        if at is None:
            return stale(ctx)
        return [_send(ctx, row, at, night_ok=True, twin_ok=True)]
    if action in ("send", "night", "twin", "nighttwin"):
        return [_send(ctx, row, None, night_ok="night" in action, twin_ok="twin" in action)]
    return stale(ctx)


def _send(
    ctx: Context, row: Broadcast, at: datetime | None, *, night_ok: bool, twin_ok: bool
) -> Reply:
    try:
        queued = service.confirm(
            ctx.session, row, roles.label(ctx.contact), ctx.now, ctx.settings,
            at=at, night_ok=night_ok, twin_ok=twin_ok,
        )  # fmt: skip
    except service.Refused as exc:
        fields = dict(exc.fields)
        if "other_status" in fields:
            fields["state"] = ctx.t(f"broadcasts.status.{fields.pop('other_status')}")
        if exc.confirm is None:
            return ctx.reply(exc.key, **fields)
        if at is not None:  # scheduling: a time typed is already the night's confirmation
            again = f"schedtwin:{row.id}{AT}{int(at.timestamp())}"
        else:
            flags = {
                "night": night_ok or exc.confirm == "night",
                "twin": twin_ok or exc.confirm == "twin",
            }
            again = "".join(name for name, on in flags.items() if on) + f":{row.id}"
        yes = Button(ctx.t("broadcasts.confirm_anyway"), f"{NS}:{again}")
        no = Button(ctx.t("broadcasts.cancel"), f"{NS}:cancel:{row.id}")
        return ctx.reply(exc.key, buttons=[yes, no], **fields)
    if at is not None:
        when = ctx.locale.weekday_date_time(at)
        return ctx.reply("broadcasts.scheduled", id=row.id, when=when)
    return ctx.reply("broadcasts.started", id=row.id, total=queued or 0,
                     buttons=_follow_buttons(ctx, row.id))  # fmt: skip


def _moment(epoch: str) -> datetime | None:
    """The schedule time a schedtwin button carries (Unix seconds), or None when forged."""
    if not epoch.isascii() or not epoch.isdigit() or len(epoch) > 11:
        return None
    return datetime.fromtimestamp(int(epoch), UTC)


def _follow_buttons(ctx: Context, number: int) -> list[Button]:
    """What an officer does with a running broadcast, one press each."""
    return [Button(ctx.t("broadcasts.progress_button"), f"{NS}:status:{number}"),
            Button(ctx.t("broadcasts.pause_button"), f"{NS}:pause:{number}"),
            Button(ctx.t("broadcasts.cancel"), f"{NS}:cancel:{number}")]  # fmt: skip


def _take_time(ctx: Context, number: int | None, text: str) -> list[Reply]:
    row = _draft(ctx, number)
    if row is None:
        _set_step(ctx, None)
        return [ctx.reply("broadcasts.gone")]
    at = _parse_time(text, ctx)
    if at is None:
        return [ctx.reply("broadcasts.bad_time")]
    _set_step(ctx, None)
    # A time typed for the night is itself the second confirmation: the officer chose it.
    return [_send(ctx, row, at, night_ok=True, twin_ok=False)]


def _parse_time(text: str, ctx: Context) -> datetime | None:
    """ "dd/mm/yyyy HH:MM" (or "8h30", as /newevent reads it) in the configured time zone."""
    return parse_date_time(text, ctx.settings.tz)


def _status(ctx: Context, arg: str) -> Reply:
    number = row_id(arg.strip().lstrip("#")) if arg.strip() else None
    rows = [broadcasts.get(ctx.session, number)] if number else broadcasts.recent(ctx.session, 5)
    if number and rows[0] is None:
        return ctx.reply("broadcasts.unknown", id=number)
    if not rows:
        return ctx.reply("broadcasts.none")
    lines = []
    for row in rows:
        broadcasts.sync(ctx.session, row.id, ctx.now)
        p = service.progress(ctx.session, row, ctx.now)
        lines.append(service.progress_line(p, ctx.content.texts, ctx.lang, row))
    if number and rows[0].status in (BroadcastStatus.completed, BroadcastStatus.cancelled):
        lines += service.report_lines(ctx.session, rows[0], ctx.content.texts, ctx.lang,
                                      ctx.settings.tz)  # fmt: skip
    running = number and rows[0].status == BroadcastStatus.sending
    return Reply(text="\n".join(lines), buttons=_follow_buttons(ctx, number) if running else [])


def _act(ctx: Context, number: int, action: str) -> Reply:
    if broadcasts.get(ctx.session, number) is None:
        return ctx.reply("broadcasts.unknown", id=number)
    result = service.act(ctx.session, number, action, roles.label(ctx.contact), ctx.now)
    if action == "cancel":
        _set_step(ctx, None)
    if not result:
        return ctx.reply("broadcasts.nothing_done", id=number)
    return ctx.reply(f"broadcasts.done_{action}", id=number, count=result)
