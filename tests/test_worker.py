"""The worker process: delivery lanes and scheduled jobs, no inbound. It imports the delivery
code and the capability registry, not the router, and still renders every outbox kind
(issue 9: "a worker-style process that imports only the delivery code delivers a due
assessment nudge and an officer answer")."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import UTC, timedelta
from pathlib import Path

from sqlmodel import select

from bot.app import build_conversation
from handlers.tickets import inbox
from storage.db import session_scope
from storage.tickets_models import Ticket
from tests.chat import Person
from tests.conftest import ROOT, make_settings
from tests.support.telegram_server import DEFAULT_TOKEN, FakeTelegram
from tests.test_assessment import FULL_RUN, answer_all, begin

ANSWER = "Chào anh/chị, Sở hỗ trợ 50% chi phí kiểm toán năng lượng cho doanh nghiệp nhỏ."


def worker_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SXSH_")}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def test_the_delivery_code_alone_knows_every_outbox_kind_and_its_lane(tmp_path):
    code = (
        "import json, sys\n"
        "from bot.delivery.lanes import registered_kinds\n"
        "kinds = {k: v.lane for k, v in registered_kinds().items()}\n"
        "print(json.dumps({'kinds': kinds, 'router': 'handlers.router' in sys.modules}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=worker_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["kinds"]["assessment_nudge"] == "reminder"
    assert got["kinds"]["officer_reply"] == "reply"
    assert got["router"] is False  # the renderers come from the registry, not the router


async def test_a_worker_process_delivers_a_due_nudge_and_an_officer_answer(tmp_path, clock):
    db_url = f"sqlite:///{tmp_path / 'bot.db'}"
    async with FakeTelegram() as srv:
        conv = build_conversation(make_settings(db_url), clock=clock)
        lan = Person(conv, user_id="1001", channel="telegram")
        begin(lan)
        answer_all(lan, FULL_RUN[:3])  # then Lan leaves; a nudge is due 24 h later
        hoa = Person(conv, user_id="1002", channel="telegram")
        hoa.says("/officer Nhà máy tôi có được hỗ trợ chi phí kiểm toán năng lượng không?")
        with session_scope(conv.engine) as s:
            ticket = s.exec(select(Ticket).order_by(Ticket.id.desc())).first()
            inbox.answer_ticket(s, ticket.id, ANSWER, "telegram:42", clock.now())
        conv.engine.dispose()
        # The worker runs two days later at 10:00 in Cần Thơ: both rows are due, and the
        # nudge is outside quiet hours whatever the real time of day (it is held 21:00–07:00).
        later = (clock.now() + timedelta(days=2)).astimezone(UTC).replace(hour=3, minute=0)
        env = worker_env(
            SXSH_CLOCK_START=later.isoformat(),
            SXSH_DATABASE_URL=db_url,
            SXSH_TELEGRAM_TOKEN=DEFAULT_TOKEN,
            SXSH_TELEGRAM_API_URL=srv.root_url,
            SXSH_CONTENT_DIR=str(Path(ROOT) / "content"),
        )
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.worker",
            "--once",
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await asyncio.wait_for(proc.communicate(), timeout=300)
        assert proc.returncode == 0, output.decode()
        assert output.decode().strip().splitlines()[-1] == "sent=2"
        [nudge] = srv.sent_messages(1001)
        assert "đang làm dở (Câu 4/" in nudge["text"]
        [answer] = srv.sent_messages(1002)
        assert ANSWER in answer["text"]


def test_a_running_worker_says_it_is_up(sqlite_url, caplog):
    # An operator started `sxsh-bot worker` and saw only alembic's two lines: no sign it ran.
    import logging

    from bot import worker

    async def go() -> None:
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(0.5, stop.set)
        await worker.run(make_settings(sqlite_url), stop=stop)

    with caplog.at_level(logging.INFO, logger="bot.worker"):
        asyncio.run(go())
    said = [r.getMessage() for r in caplog.records if r.name == "bot.worker"]
    assert "worker delivering no channel, jobs scheduled" in said
