"""The clock is injected so tests never wait for real minutes."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock for tests: it moves only when told to."""

    def __init__(self, start: datetime | None = None):
        self._now = start or datetime(2026, 11, 28, 2, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta: float) -> datetime:
        self._now += timedelta(**delta)
        return self._now


class StartedClock:
    """A clock that reads `start` when the process starts and then runs at normal speed
    (`SXSH_CLOCK_START`): a real process can be tried at next week's 08:00 (a reminder's
    moment) and tests drive real processes to a moment without waiting for it."""

    def __init__(self, start: datetime):
        if start.tzinfo is None:
            raise ValueError("the start needs its UTC offset")
        self._start, self._began = start.astimezone(UTC), time.monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._began)


def clock_starting(start: datetime | None) -> Clock:
    """The system clock, or a StartedClock when a start moment is configured."""
    return SystemClock() if start is None else StartedClock(start)
