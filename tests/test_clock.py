"""The clock a process runs on: the system clock, or one that starts at a configured moment
(`SXSH_CLOCK_START`) and then runs at normal speed, so that a real process can be tried, or
tested, at a reminder's moment."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from bot.settings import SettingsError, load_settings
from handlers.clock import StartedClock, SystemClock, clock_starting


def test_unset_is_the_system_clock(monkeypatch):
    monkeypatch.delenv("SXSH_CLOCK_START", raising=False)
    clock = clock_starting(load_settings().clock_start)
    assert isinstance(clock, SystemClock)
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=5)


def test_a_start_moment_is_read_with_its_offset_and_then_runs(monkeypatch):
    monkeypatch.setenv("SXSH_CLOCK_START", "2026-12-03T08:00+07:00")
    clock = clock_starting(load_settings().clock_start)
    first = clock.now()
    assert first - datetime(2026, 12, 3, 1, 0, tzinfo=UTC) < timedelta(seconds=5)
    time.sleep(0.01)
    assert clock.now() > first  # it runs: retries and grace windows still see time pass


def test_a_start_without_its_offset_is_refused_naming_the_variable(monkeypatch):
    monkeypatch.setenv("SXSH_CLOCK_START", "2026-12-03 08:00")
    with pytest.raises(SettingsError, match="SXSH_CLOCK_START: needs its UTC offset"):
        load_settings()
    with pytest.raises(ValueError):
        StartedClock(datetime(2026, 12, 3, 8, 0))
