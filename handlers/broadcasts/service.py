"""What officers decide and see about a broadcast, for the chat and the terminal alike: the
preview, the checks before sending (night hours, an identical broadcast still running), the
progress, the final report, and the job that starts due broadcasts and follows them.

Every decision is written to the audit log in the same transaction (storage/audit.py)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlmodel import Session

from handlers import quiet_hours, roles
from handlers.messages import channel_name
from storage import audit, broadcasts, outbox
from storage.broadcasts_models import Broadcast, BroadcastStatus, RecipientState

if TYPE_CHECKING:
    from content.texts import Texts
    from handlers.ports import HandlerSettings

# Sending between these local hours asks for a second confirmation (people are resting).
# The share of a channel's rate the bulk lane sustains, for the estimate: it may use every
# slot replies leave, a little less for the windows' margin (benchmarks/broadcast_rate: 0.92).
BULK_SHARE = 0.9
UNLIMITED = ("console",)
REPORT = "broadcast_report"  # the outbox kind of the final report to the officer
PROGRESS = "broadcast_progress"  # the outbox kind of the progress pushed to that officer
# Progress is pushed at each quarter reached, once the broadcast has run this long: one that
# is done sooner (a small audience) gets its final report only.
PROGRESS_AFTER = timedelta(minutes=1)
EXCLUDED = (
    "stopped",
    "blocked",
    "no_consent",
    "outside_window",
)  # left out when the audience is fixed
# Reasons with a text of their own; "free" and "quota" say how Zalo OA copies were sent.
REASONS = (*EXCLUDED, "cancelled", "unreachable", "interrupted", "free", "quota")


class Refused(ValueError):
    """Not done; `key` is the text that says why, `fields` fill it; `confirm` names the
    confirmation that would let it through ("night", "twin")."""

    def __init__(self, key: str, confirm: str | None = None, **fields: object):
        super().__init__(key)
        self.key, self.confirm, self.fields = key, confirm, fields


def at_night(moment: datetime, settings: HandlerSettings) -> bool:
    """True from 21:00 to 07:00 local time (settings' time zone)."""
    return quiet_hours.at_night(moment, settings.tz)


def lane_rate(settings: HandlerSettings, channel: str) -> float | None:
    """Messages per second the bulk lane may send on `channel`; None when not limited."""
    if channel in UNLIMITED:
        return None
    delivery = getattr(settings, "delivery", None)
    rate = getattr(delivery, "rate_per_second", 30.0)
    return BULK_SHARE * rate


def estimate_seconds(per_channel: Counter[str], settings: HandlerSettings) -> float:
    """Channels send side by side: the slowest decides."""
    waits = [n / r for ch, n in per_channel.items() if (r := lane_rate(settings, ch))]
    return max(waits, default=0.0)


@dataclass
class Preview:
    row: Broadcast
    audience: broadcasts.Audience
    seconds: float


def preview(session: Session, row: Broadcast, settings: HandlerSettings, now: datetime) -> Preview:
    found = broadcasts.resolve(session, broadcasts.audience_of(row), now=now)
    return Preview(row, found, estimate_seconds(found.per_channel(), settings))


def preview_lines(p: Preview, texts: Texts, lang: str) -> list[str]:
    """The officer's preview: who gets it per channel, who is left out and why, samples,
    the estimated duration. The text itself is shown as people will see it, separately."""
    t = texts.get
    total = len(p.audience.included)
    lines = [t(lang, "broadcasts.preview_title", id=p.row.id, total=total)]
    for channel, count in sorted(p.audience.per_channel().items()):
        lines.append(t(lang, "broadcasts.per_channel", channel=channel_name(channel), count=count))
    for reason, count in sorted(p.audience.excluded_per_reason().items()):
        why = t(lang, f"broadcasts.reason.{reason}")
        lines.append(t(lang, "broadcasts.excluded", reason=why, count=count))
    if p.audience.samples:
        lines.append(t(lang, "broadcasts.samples", names=", ".join(p.audience.samples)))
    if not total:  # nothing to send: no duration, and no sending offered (chat.py)
        lines.append(t(lang, "broadcasts.nobody"))
        return lines
    lines.append(t(lang, "broadcasts.duration", minutes=_minutes(p.seconds)))
    return lines


def _minutes(seconds: float) -> str:
    return f"{max(1, round(seconds / 60))}" if seconds >= 30 else "<1"


def confirm(
    session: Session,
    row: Broadcast,
    actor: str,
    now: datetime,
    settings: HandlerSettings,
    *,
    at: datetime | None = None,
    night_ok: bool = False,
    twin_ok: bool = False,
) -> int | None:
    """Confirm a draft for `at` (None: now) and, when now, start it in this transaction.
    Raises Refused: not a draft, a time in the past, nobody to send to now, night hours
    without `night_ok`, an identical broadcast running without `twin_ok`. Returns the number
    queued when started."""
    when = at or now
    if row.status != BroadcastStatus.draft:
        raise Refused("broadcasts.not_draft", id=row.id, status=row.status)
    if at is not None and at < now:
        raise Refused("broadcasts.in_past", id=row.id)
    audience = broadcasts.audience_of(row)
    if at is None and not broadcasts.resolve(session, audience, now=now).included:
        raise Refused("broadcasts.nobody_send", id=row.id)
    twin = broadcasts.running_twin(session, row)
    if twin is not None and not twin_ok:
        raise Refused("broadcasts.twin", "twin", id=row.id, other=twin.id, other_status=twin.status)
    if at_night(when, settings) and not night_ok:
        raise Refused("broadcasts.night", "night", id=row.id)
    if not broadcasts.confirm(session, row.id, actor, now, when):
        raise Refused("broadcasts.not_draft", id=row.id, status="?")
    action = "broadcast.schedule" if at is not None else "broadcast.send"
    audit.record(session, actor, action, now, "broadcast", row.id, when.isoformat())
    return broadcasts.start(session, row.id, now) if at is None else None


def act(session: Session, row_id: int, action: str, actor: str, now: datetime) -> object:
    """pause | resume | cancel | resend (the unknown ones); audited when it changed anything.
    Returns the storage call's result (False/None/0 when nothing changed)."""
    calls = {"pause": broadcasts.pause, "resume": broadcasts.resume,
             "cancel": broadcasts.cancel, "resend": broadcasts.resend_unknown}  # fmt: skip
    result = calls[action](session, row_id, now)
    if result:
        audit.record(session, actor, f"broadcast.{action}", now, "broadcast", row_id)
    return result


@dataclass
class Progress:
    total: int
    done: int  # no longer open: sent, failed, skipped, unknown
    sent: int
    per_second: float | None
    seconds_left: float | None


def progress(session: Session, row: Broadcast, now: datetime) -> Progress:
    counts = broadcasts.counts(session, row.id)
    # Those left out when the audience was fixed are not part of "sent / total".
    queued = sum(n for (_, st, reason), n in counts.items()
                 if not (st == RecipientState.skipped and reason in EXCLUDED))  # fmt: skip
    open_ = sum(n for (_, st, _), n in counts.items() if st in broadcasts.OPEN_STATES)
    sent = sum(n for (_, st, _), n in counts.items() if st == RecipientState.sent)
    times = broadcasts.sent_times(session, row.id)
    rate = left = None
    if len(times) > 1:
        span = (max(times) - min(times)).total_seconds()
        rate = (len(times) - 1) / span if span > 0 else None
    if rate and open_:
        left = open_ / rate
    return Progress(queued, queued - open_, sent, rate, left)


def progress_line(p: Progress, texts: Texts, lang: str, row: Broadcast) -> str:
    rate = f"{p.per_second:.1f}" if p.per_second else "–"
    left = _minutes(p.seconds_left) if p.seconds_left else "–"
    status = texts.get(lang, f"broadcasts.status.{row.status}")
    return texts.get(lang, "broadcasts.progress", id=row.id, status=status, done=p.done,
                     total=p.total, sent=p.sent, rate=rate, left=left)  # fmt: skip


def report_lines(session: Session, row: Broadcast, texts: Texts, lang: str, tz) -> list[str]:  # noqa: ANN001
    """The final report: who created and confirmed it and when, counts per channel, state and
    reason."""
    t = texts.get

    def when(moment: datetime | None) -> str:
        return moment.astimezone(tz).strftime("%d/%m/%Y %H:%M") if moment else "–"

    lines = [
        t(lang, "broadcasts.report_title", id=row.id,
          status=t(lang, f"broadcasts.status.{row.status}")),
        t(lang, "broadcasts.report_by", created_by=row.created_by, created=when(row.created_at),
          confirmed_by=row.confirmed_by or "–", confirmed=when(row.confirmed_at)),
        t(lang, "broadcasts.report_times", started=when(row.started_at),
          finished=when(row.finished_at)),
    ]  # fmt: skip
    for (channel, state, reason), count in sorted(broadcasts.counts(session, row.id).items()):
        label = t(lang, f"broadcasts.state.{state}")
        if reason:
            label += f" ({reason_label(texts, lang, reason)})"
        lines.append(f"• {channel_name(channel)}: {label}: {count}")
    return lines


def run_job(session: Session, now: datetime, settings: HandlerSettings) -> int:
    """Start the due scheduled broadcasts (each by one conditional UPDATE: of several workers
    one starts it), copy the outbox outcomes into the recipients, and when one completes queue
    its report to the officer who confirmed it. Runs in the job's one transaction. Returns the
    broadcasts touched."""
    touched = 0
    for row_id in broadcasts.due(session, now):
        if broadcasts.start(session, row_id, now) is not None:
            audit.record(session, "system", "broadcast.start", now, "broadcast", row_id)
    for row_id in broadcasts.active(session):
        touched += 1
        if not broadcasts.sync(session, row_id, now):
            _push_progress(session, broadcasts.get(session, row_id), now)
        else:
            row = broadcasts.get(session, row_id)
            session.refresh(row)
            officer = roles.contact_of(session, row.confirmed_by or row.created_by)
            if officer is not None and not row.reported:
                row.reported = True
                session.add(row)
                # Renderers get no settings: the time zone travels in the payload.
                outbox.enqueue(session, f"{REPORT}:{row_id}:{row.finished_at.isoformat()}",
                               officer.id, REPORT, now,
                               {"broadcast_id": row_id, "tz": str(settings.tz)})  # fmt: skip
    return touched


def _push_progress(session: Session, row: Broadcast, now: datetime) -> None:
    """Queue the progress for the officer who confirmed a sending broadcast when it reached a
    quarter not told yet (the highest one: a quarter passed between two runs is not told
    late). Each quarter has its own outbox key, so it is told once whatever runs the job."""
    if row.status != BroadcastStatus.sending or row.started_at is None:
        return
    if now - row.started_at < PROGRESS_AFTER:
        return
    p = progress(session, row, now)
    quarter = 4 * p.done // p.total if p.total else 0
    if not 1 <= quarter <= 3:
        return
    prefix = f"{PROGRESS}:{row.id}:"
    if any(outbox.count_keys(session, f"{prefix}{q}") for q in range(quarter, 4)):
        return
    officer = roles.contact_of(session, row.confirmed_by or row.created_by)
    if officer is not None:
        outbox.enqueue(session, f"{prefix}{quarter}", officer.id, PROGRESS, now,
                       {"broadcast_id": row.id})  # fmt: skip


def reason_label(texts: Texts, lang: str, reason: str) -> str:
    """A known reason in words; a platform's own words (a failure) as they came."""
    return texts.get(lang, f"broadcasts.reason.{reason}") if reason in REASONS else reason
