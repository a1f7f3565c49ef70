"""Issue 8 items 5 and 7: every line a real `sxsh-bot run` process writes (log and stderr), through
a journey with faults injected (a refused token, 5xx at start and while answering, an update PTB
cannot read, a database error), holds no token, no message text, no name, no phone number."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from bot.channels.telegram.updates import ALLOWED_UPDATES
from tests.support.telegram_server import DEFAULT_TOKEN, FakeTelegram

BIN = Path(sys.executable).parent / "sxsh-bot"
SECRET = DEFAULT_TOKEN.split(":")[1]
NAME = "Hoàng Yến"
PHONE = "0912 345 678"
QUESTION = "tiết kiệm nước trong nhà máy thế nào"
REQUEST = f"Tôi là {NAME}, số {PHONE}, cần tư vấn lò hơi"
LAST_QUESTION = "xử lý nước thải dệt nhuộm ra sao"


def bot_env(srv: FakeTelegram, db: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SXSH_")}
    env.update(
        SXSH_TELEGRAM_TOKEN=DEFAULT_TOKEN,
        SXSH_TELEGRAM_API_URL=srv.root_url,
        SXSH_DATABASE_URL=f"sqlite:///{db}",
        SXSH_LOG_LEVEL="DEBUG",
    )
    return env


def start_bot(env: dict[str, str], cwd: Path, out: Path) -> subprocess.Popen:
    with out.open("a") as log:
        return subprocess.Popen(
            [str(BIN), "run"], env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT
        )


async def test_a_refused_token_is_one_line_without_the_token(tmp_path):
    async with FakeTelegram(token_ok="42:" + "x" * 35) as srv:  # ours gets 401
        proc = start_bot(bot_env(srv, tmp_path / "bot.db"), tmp_path, tmp_path / "out.log")
        code = await asyncio.to_thread(proc.wait, 120)
    output = (tmp_path / "out.log").read_text()
    assert code == 1
    assert "SXSH_TELEGRAM_TOKEN" in output.splitlines()[-1]
    assert SECRET not in output and "Traceback" not in output.splitlines()[-1]


async def test_a_journey_with_faults_leaves_nothing_personal_or_secret_in_the_log(tmp_path):
    db, out = tmp_path / "bot.db", tmp_path / "out.log"
    async with FakeTelegram() as srv:
        srv.fail("getMe", status=500)
        srv.fail("setMyCommands", status=502, times=None)
        proc = start_bot(bot_env(srv, db), tmp_path, out)
        try:
            await srv.wait_for("getUpdates", timeout=120, since=0, ok=True)
            srv.user_sends("/start", first_name=NAME)
            await srv.wait_for("sendMessage", chat_id=1001, timeout=60)
            srv.fail("sendMessage", status=500)
            srv.user_sends(QUESTION, first_name=NAME)
            await srv.wait_for("sendMessage", chat_id=1001, ok=True, timeout=60)
            # A button press PTB 22 cannot read (no chat_instance) from the same person.
            presser = {"id": 1001, "is_bot": False, "first_name": NAME}
            srv.queue_update({"callback_query": {"id": "77", "from": presser, "data": PHONE}})
            srv.user_sends("/officer", first_name=NAME)
            await srv.wait_for("sendMessage", chat_id=1001, timeout=60)
            srv.user_sends(REQUEST, first_name=NAME)
            await srv.wait_for("sendMessage", chat_id=1001, timeout=60)
            with sqlite3.connect(db) as conn:  # the database fails logging the next question
                conn.execute("DROP TABLE question_log")
            srv.user_sends(LAST_QUESTION, first_name=NAME)
            await srv.wait_for("sendMessage", chat_id=1001, timeout=60)  # still answered
        finally:
            proc.send_signal(signal.SIGTERM)
            code = await asyncio.to_thread(proc.wait, 30)
    assert code == 0
    output = out.read_text()
    assert "skipped update" in output  # the unreadable button press
    assert "no such table: question_log" in output  # the database error, with its traceback
    for secret_or_personal in (
        SECRET,
        NAME,
        "Hoàng",
        PHONE,
        "0912",
        QUESTION,
        "dệt nhuộm",
        "lò hơi",
    ):
        assert secret_or_personal not in output, secret_or_personal
    polls = [c for c in srv.calls if c.method == "getUpdates" and c.ok]
    assert polls[-1].params["allowed_updates"] == ALLOWED_UPDATES
