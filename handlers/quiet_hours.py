"""Quiet hours: no message the person did not just ask for between 21:00 and 07:00 local time
(settings' time zone). Broadcasts ask for a second confirmation at night; reminder-lane
messages that are not time-critical (the assessment nudge, a new event's announcement) are moved
to the next 07:00 when queued, and checked again when sent: a row that comes due late (the bot
or the terminal was closed at its time) is held too."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

NIGHT_FROM, NIGHT_TO = time(21, 0), time(7, 0)


def at_night(moment: datetime, tz: ZoneInfo) -> bool:
    """True from 21:00 (included) to 07:00 (excluded) local time in `tz`."""
    local = moment.astimezone(tz).time()
    return local >= NIGHT_FROM or local < NIGHT_TO


def next_allowed(moment: datetime, tz: ZoneInfo) -> datetime:
    """`moment` itself outside quiet hours, else the next 07:00 local time (in `moment`'s
    own time zone, so a UTC moment stays UTC)."""
    if not at_night(moment, tz):
        return moment
    local = moment.astimezone(tz)
    day = local.date() if local.time() < NIGHT_TO else local.date() + timedelta(days=1)
    morning = datetime.combine(day, NIGHT_TO, tzinfo=tz)
    return morning.astimezone(moment.tzinfo)


class NotNow(Exception):  # noqa: N818 - not an error: the row waits
    """Raised by an outbox renderer whose message must wait: delivery puts the row back,
    due at `until`, without counting an attempt."""

    def __init__(self, until: datetime):
        super().__init__(f"quiet hours until {until.isoformat()}")
        self.until = until


def hold_at_night(now: datetime, tz: ZoneInfo) -> None:
    """For the renderers of messages held by quiet hours: raises NotNow(the next 07:00) from
    21:00 to 07:00 local time in `tz`; returns otherwise."""
    if at_night(now, tz):
        raise NotNow(next_allowed(now, tz))
