"""Scheduled work for tickets (declared in the capability, run with an injected clock):
reminders about tickets nobody claimed for `remind_after_hours` working hours, and the daily
digest on working days. Both are outbox rows with keys that make each one go out once, however
many workers run the job."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from handlers import roles
from handlers.ports import HandlerSettings
from storage import tickets

REMINDER = "ticket_reminder"
DIGEST = "ticket_digest"
MAX_REMINDERS = 3  # per opening of a ticket: then the digest keeps it in view
MAX_DAYS = 60  # a longer span is counted as this many days (the count stays bounded)


def working_seconds(
    start: datetime,
    end: datetime,
    tz: ZoneInfo,
    work_start: time,
    work_end: time,
    work_days: int = 5,
) -> float:
    """Seconds of working time between two moments: Monday to the `work_days`th weekday,
    `work_start` to `work_end` local time (public holidays are not known here)."""
    if end <= start:
        return 0.0
    start_local, end_local = start.astimezone(tz), end.astimezone(tz)
    total = 0.0
    day: date = start_local.date()
    last = min(end_local.date(), day + timedelta(days=MAX_DAYS))
    while day <= last:
        if day.weekday() < work_days:
            open_ = datetime.combine(day, work_start, tz)
            close = datetime.combine(day, work_end, tz)
            lo, hi = max(open_, start_local), min(close, end_local)
            if hi > lo:
                total += (hi - lo).total_seconds()
        day += timedelta(days=1)
    return total


def remind_unclaimed(session: Session, now: datetime, settings: HandlerSettings) -> int:
    """Queue a reminder to every officer for each open ticket nobody claimed, once per
    `remind_after_hours` working hours (at most MAX_REMINDERS per opening). Returns the number
    of tickets reminded about."""
    cfg = settings.tickets
    every = cfg.remind_after_hours * 3600
    # Working time never runs faster than the clock: younger tickets cannot be due yet.
    candidates = tickets.unclaimed(session, now - timedelta(seconds=every))
    reminded = 0
    for ticket in candidates:
        if ticket.reminders_sent >= MAX_REMINDERS:
            continue
        worked = working_seconds(
            ticket.opened_at, now, settings.tz, cfg.work_start, cfg.work_end, cfg.work_days
        )
        due = min(MAX_REMINDERS, int(worked // every))
        if due <= ticket.reminders_sent:
            continue
        hours = round(due * cfg.remind_after_hours, 1)
        roles.notify_officers(
            session,
            settings,
            REMINDER,
            f"{REMINDER}:{ticket.id}:{ticket.opening}:{due}",
            {"ticket_id": ticket.id, "hours": f"{hours:g}", "tz": str(settings.tz)},
            now,
        )
        ticket.reminders_sent = due
        session.add(ticket)
        reminded += 1
    return reminded


def daily_digest(session: Session, now: datetime, settings: HandlerSettings) -> int:
    """On a working day from `digest_at` until the end of working hours, queue the day's
    digest for every officer (key per local date: once a day). Rendered at delivery, it says
    nothing when no ticket is open. Returns the officers it was queued for."""
    cfg = settings.tickets
    local = now.astimezone(settings.tz)
    if local.weekday() >= cfg.work_days or not cfg.digest_at <= local.time() < cfg.work_end:
        return 0
    key = f"{DIGEST}:{local.date().isoformat()}"
    return roles.notify_officers(session, settings, DIGEST, key, {"tz": str(settings.tz)}, now)
