"""The kill -9 test of issue 7 item 6: a real `sxsh-bot run` process answers a "có" in the
assessment and is killed before it confirms the update's offset; Telegram redelivers the update to
the restarted process, which must change nothing (one answer stored, the next question not
skipped)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.support.telegram_server import DEFAULT_TOKEN, FakeTelegram
from tests.test_assessment import FULL_RUN

BIN = Path(sys.executable).parent / "sxsh-bot"


def start_bot(env: dict[str, str], cwd: Path, log_path: Path) -> subprocess.Popen:
    with log_path.open("a") as log:
        return subprocess.Popen(
            [str(BIN), "run"], env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT
        )


def answers(db: Path) -> dict[str, object]:
    engine = create_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as conn:
            found = conn.execute(text("SELECT question_id, value FROM answers")).all()
    finally:
        engine.dispose()
    return {q: json.loads(v) for q, v in found}


async def shows(srv: FakeTelegram, expected: str) -> None:
    """Wait until the bot sent a message containing `expected`."""
    await srv.wait_for(lambda c: expected in str(c.params.get("text")), chat_id=1001, timeout=60)


def button(call, label: str) -> str:  # noqa: ANN001
    markup = call.params["reply_markup"]
    markup = json.loads(markup) if isinstance(markup, str) else markup
    return next(
        b["callback_data"] for row in markup["inline_keyboard"] for b in row if b["text"] == label
    )


async def test_a_yes_redelivered_after_kill_9_changes_nothing(tmp_path):
    db = tmp_path / "bot.db"
    async with FakeTelegram() as srv:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SXSH_")}
        env.update(
            SXSH_TELEGRAM_TOKEN=DEFAULT_TOKEN,
            SXSH_TELEGRAM_API_URL=srv.root_url,
            SXSH_DATABASE_URL=f"sqlite:///{db}",
        )
        proc = start_bot(env, tmp_path, tmp_path / "bot.log")
        try:
            await srv.wait_for("setMyCommands", timeout=90, since=0)
            srv.user_sends("/assess")
            [consent] = await srv.wait_for(
                lambda c: "Đồng ý" in str(c.params.get("reply_markup")), chat_id=1001, timeout=60
            )
            srv.user_presses(button(consent, "✅ Đồng ý"))
            await shows(srv, "Câu 1/")
            for number, words in enumerate(FULL_RUN[:6], start=2):
                srv.user_sends(words)
                await shows(srv, f"Câu {number}/")
            # From now on the bot's next getUpdates (which would confirm the offset) hangs.
            srv.slow("getUpdates", 300, times=None)
            srv.user_sends("có")
            await shows(srv, "Câu 8/")
            assert len(srv.pending_updates) == 1  # answered, not confirmed
        finally:
            proc.send_signal(signal.SIGKILL)
            await asyncio.to_thread(proc.wait, 30)
        assert answers(db)["know_sxsh"] == "yes"

        srv.clear_faults()
        mark = srv.mark()
        proc = start_bot(env, tmp_path, tmp_path / "bot.log")
        try:
            # The restarted bot gets the same "có" again (same update_id), then a "không".
            await srv.wait_for("getUpdates", timeout=90, since=mark, ok=True)
            srv.user_sends("không")
            await shows(srv, "Câu 9/")  # "không" answered question 8: nothing was skipped
        finally:
            proc.send_signal(signal.SIGTERM)
            code = await asyncio.to_thread(proc.wait, 30)
        assert code == 0
        sent = [c for c in srv.calls[mark:] if c.method == "sendMessage"]
        assert len(sent) == 1, [c.summary() for c in sent]  # nothing said to the redelivery
    stored = answers(db)
    assert stored["know_sxsh"] == "yes" and stored["applied_sxsh"] == "no"
    assert "dedicated_unit" not in stored
