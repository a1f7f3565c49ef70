"""Capacity under concurrency on PostgreSQL: 20 people tapping "Đăng ký" at once for a
5-seat event get 5 seats and 15 waiting-list places, never a sixth seat."""

from __future__ import annotations

import threading

import pytest

from bot.app import build_conversation
from handlers.messages import Inbound
from storage.events_models import Registration
from tests.chat import rows
from tests.conftest import make_settings
from tests.events.conftest import reload, save


@pytest.mark.postgres
def test_20_simultaneous_registrations_for_5_seats(pg_url, clock):
    conv = build_conversation(make_settings(pg_url), clock=clock)
    save(conv, capacity=5)
    barrier = threading.Barrier(20)
    errors: list[BaseException] = []

    def tap(i: int) -> None:
        try:
            barrier.wait(timeout=60)
            conv.handle(Inbound("console", f"p{i}", payload="ev:r:1:1", kind="button"))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=tap, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    statuses = sorted(r.status for r in rows(conv, Registration))
    assert statuses == ["registered"] * 5 + ["waiting"] * 15
    assert reload(conv).seats_taken == 5
    conv.engine.dispose()
