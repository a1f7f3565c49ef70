"""Reminders across real processes: `kill -9` of the bot before a reminder is due, restart
after it is due (sent exactly once within its grace window, skipped and recorded after it);
two `sxsh-bot worker` processes on PostgreSQL deliver the 4,000 reminders of 2,000
registrations, each exactly once, counted at the local Bot API server."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import text
from sqlmodel import Session

from bot.app import build_conversation
from bot.settings import load_settings
from content.events import load_events_content
from handlers.events import service
from storage import contacts, migrate
from storage.db import make_engine, session_scope
from storage.events_models import EventReminder
from tests.conftest import ROOT
from tests.events.conftest import event_fields
from tests.support.telegram_server import DEFAULT_TOKEN, FakeTelegram

BIN = Path(sys.executable).parent / "sxsh-bot"


def content_with_short_grace(tmp_path: Path) -> Path:
    """A content copy where training's 2-hour reminder may be only 2 s late (a real downtime
    of half an hour is not waited for in a test)."""
    target = tmp_path / "content"
    shutil.copytree(ROOT / "content", target)
    data = yaml.safe_load((target / "events.yaml").read_text(encoding="utf-8"))
    data["kinds"]["training"]["remind"] = [{"before": "2h", "grace": "2s"}]
    (target / "events.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    return target


def bot_env(srv: FakeTelegram, db_url: str, content: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SXSH_")}
    env.update(
        SXSH_TELEGRAM_TOKEN=DEFAULT_TOKEN,
        SXSH_TELEGRAM_API_URL=srv.root_url,
        SXSH_DATABASE_URL=db_url,
        SXSH_CONTENT_DIR=str(content),
        SXSH_DELIVERY_INTERVAL_SECONDS="1",
        SXSH_SEARCH_EMBEDDINGS="false",
    )
    return env


def spawn(args: list[str], env: dict[str, str], cwd: Path, log: Path | None = None):
    out = log.open("w") if log else subprocess.PIPE
    return subprocess.Popen(args, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, text=True)


def reminder_texts(srv: FakeTelegram) -> list[str]:
    return [m["text"] for m in srv.sent_messages() if m.get("text", "").startswith("⏰")]


async def test_kill_9_before_due_then_restart_sends_once_or_skips_after_grace(tmp_path):
    content = content_with_short_grace(tmp_path)
    db_url = f"sqlite:///{tmp_path / 'bot.db'}"
    settings = load_settings(database_url=db_url, content_dir=content)
    async with FakeTelegram() as srv:
        env = bot_env(srv, db_url, content)
        proc = spawn([str(BIN), "run"], env, tmp_path, tmp_path / "bot1.log")
        try:
            await srv.wait_for("setMyCommands", timeout=120, since=0)
            # The bot is up: an event whose 2-hour reminders come due in a few seconds.
            conv = build_conversation(settings)
            now = datetime.now(UTC)
            due = now + timedelta(seconds=6)
            with session_scope(conv.engine) as s:
                contact, _ = contacts.touch(s, "telegram", "1001", now)
                s.flush()
                for code, kind in (("ws-kill", "workshop"), ("tr-kill", "training")):
                    fields = event_fields(code, kind=kind, starts_at=due + timedelta(hours=2))
                    event, _ = service.save(
                        s, fields, "published", conv.content.events, settings.tz, now
                    )
                    service.registered(s, event, contact, conv.content.events, settings.tz, now)
            proc.send_signal(signal.SIGKILL)  # before the reminders are due
            await asyncio.to_thread(proc.wait, 30)
        finally:
            if proc.poll() is None:
                proc.kill()
        await asyncio.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()) + 4)
        proc = spawn([str(BIN), "run"], env, tmp_path, tmp_path / "bot2.log")
        try:
            await srv.wait_for(
                lambda c: c.method == "sendMessage" and c.params["text"].startswith("⏰"),
                timeout=120,
                since=0,
            )
            await asyncio.sleep(3)  # a few more delivery rounds: nothing is sent twice
        finally:
            proc.send_signal(signal.SIGTERM)
            await asyncio.to_thread(proc.wait, 30)
        texts = reminder_texts(srv)
        assert len(texts) == 1 and "Hội thảo tiết kiệm năng lượng" in texts[0]
    with session_scope(conv.engine) as s:
        states = {
            (r.offset_minutes, r.status, r.reason)
            for r in s.exec(EventReminder.__table__.select()).all()
        }
    assert states == {(120, "sent", None), (120, "skipped", "too_late")}
    conv.engine.dispose()


PEOPLE = 2000  # issue 10: 2,000 registrations, two reminders each


def worker_env(srv: FakeTelegram, db_url: str, content: Path, at: datetime) -> dict[str, str]:
    """A worker at `at` (SXSH_CLOCK_START) whose rates are not the bottleneck: the local Bot
    API server has no limit (the rate limiter is tested on its own, tests/test_delivery_*)."""
    env = bot_env(srv, db_url, content)
    env.update(
        SXSH_CLOCK_START=at.isoformat(),
        SXSH_DELIVERY_BATCH="200",
        SXSH_DELIVERY_RATE_PER_SECOND="100000",
        SXSH_DELIVERY_RATE_PER_CHAT_PER_SECOND="1000",
        SXSH_LOG_LEVEL="WARNING",
    )
    return env


def start_worker(env: dict[str, str], cwd: Path) -> subprocess.Popen:
    """`sxsh-bot worker --once`: delivers what is due at its clock, prints `sent=N`, exits."""
    args = [str(BIN), "worker", "--once"]
    return subprocess.Popen(
        args, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


async def waiting_for_lock(engine, table: str, processes: int) -> None:  # noqa: ANN001
    """Until `processes` other sessions wait for a lock on `table` of this database (other
    test sessions on the same server have their own)."""
    query = text(
        "SELECT count(DISTINCT l.pid) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
        " JOIN pg_database d ON d.oid = l.database"
        " WHERE c.relname = :table AND NOT l.granted AND d.datname = current_database()"
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            if conn.execute(query, {"table": table}).scalar_one() >= processes:
                return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{processes} processes never waited for {table}")


def registrants(session, event_id: int, people: int, now: datetime) -> None:  # noqa: ANN001
    """`people` contacts registered for the event, written in two statements: the chat path
    of one registration is tested in tests/events/test_chat.py and test_capacity.py."""
    session.execute(
        text(
            "INSERT INTO contacts (channel, platform_id, language, role, status, first_seen,"
            " last_seen) SELECT 'telegram', (5000 + g)::text, 'vi', 'enterprise', 'active',"
            " :now, :now FROM generate_series(1, :people) g"
        ),
        {"now": now, "people": people},
    )
    session.execute(
        text(
            "INSERT INTO event_registrations (event_id, contact_id, status, registered_at,"
            " updated_at, attended) SELECT :event, id, 'registered', :now, :now, false"
            " FROM contacts"
        ),
        {"event": event_id, "now": now},
    )
    session.execute(text("UPDATE events SET seats_taken = :people"), {"people": people})


@pytest.mark.postgres
async def test_two_workers_deliver_every_reminder_of_2000_registrations_exactly_once(
    pg_url, tmp_path
):
    # Both reminders of each person come due before the workers' moment; a one-day grace lets
    # both go out at that one moment (grace windows are tested with the injected clock).
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    data = yaml.safe_load((content / "events.yaml").read_text(encoding="utf-8"))
    data["kinds"]["workshop"]["remind"] = [
        {"before": "1d", "grace": "1d"},
        {"before": "2h", "grace": "1d"},
    ]
    (content / "events.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    now = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
    start = now + timedelta(days=3)
    migrate.upgrade(pg_url)
    engine = make_engine(pg_url)
    async with FakeTelegram() as srv:
        env = worker_env(srv, pg_url, content, start - timedelta(hours=1))
        # The workers start while this transaction writes the registrations and reminders and
        # holds the outbox: both wait there, so both take part from the first row.
        with engine.connect() as hold, hold.begin():
            hold.execute(text("LOCK TABLE outbox IN ACCESS EXCLUSIVE MODE"))
            workers = [start_worker(env, tmp_path) for _ in range(2)]
            settings = load_settings(database_url=pg_url, content_dir=content)
            events = load_events_content(content).events
            with Session(bind=hold) as s:
                fields = event_fields("big", starts_at=start)
                event, _ = service.save(s, fields, "draft", events, settings.tz, now)
                registrants(s, event.id, PEOPLE, now)
                service.publish(s, event, events, settings.tz, now)  # 2 per person
                s.flush()
            await waiting_for_lock(engine, "outbox", 2)
        outs = [await asyncio.to_thread(w.communicate, timeout=300) for w in workers]
        assert all(w.returncode == 0 for w in workers), outs
        sent = [m for m in srv.sent_messages() if m.get("text", "").startswith("⏰")]
    per_chat: dict[int, int] = {}
    for m in sent:
        per_chat[m["chat"]["id"]] = per_chat.get(m["chat"]["id"], 0) + 1
    assert len(per_chat) == PEOPLE and set(per_chat.values()) == {2}
    shares = [int(re.search(r"sent=(\d+)", out).group(1)) for out, _ in outs]
    assert sum(shares) == 2 * PEOPLE and min(shares) > 0, shares  # both workers took part
    with engine.connect() as conn:
        states = conn.execute(text("SELECT status, count(*) FROM event_reminders GROUP BY status"))
        assert dict(states.all()) == {"sent": 2 * PEOPLE}
    engine.dispose()
