"""`sxsh-bot run` as a real process against the local Bot API server: the same entry point an
officer starts in production, polling, commands registered, answers sent, clean stop."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.support.telegram_server import DEFAULT_TOKEN, FakeTelegram

BIN = Path(sys.executable).parent / "sxsh-bot"


def start_bot(env: dict[str, str], cwd: Path, log_path: Path) -> subprocess.Popen:
    with log_path.open("w") as log:
        return subprocess.Popen(
            [str(BIN), "run"], env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT
        )


async def test_run_polls_answers_and_keeps_the_token_out_of_the_log(tmp_path):
    async with FakeTelegram() as srv:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SXSH_")}
        env.update(
            SXSH_TELEGRAM_TOKEN=DEFAULT_TOKEN,
            SXSH_TELEGRAM_API_URL=srv.root_url,
            SXSH_DATABASE_URL=f"sqlite:///{tmp_path / 'bot.db'}",
            SXSH_LOG_LEVEL="DEBUG",
        )
        proc = start_bot(env, tmp_path, tmp_path / "bot.log")
        try:
            await srv.wait_for("setMyCommands", timeout=60, since=0)
            srv.user_sends("/start", first_name="Hoa")
            [call] = await srv.wait_for("sendMessage", chat_id=1001, timeout=30)
            assert call.params["text"].startswith("Xin chào Hoa!")
            srv.user_sends("tiết kiệm nước trong nhà máy thế nào")
            [call] = await srv.wait_for("sendMessage", chat_id=1001, timeout=30)
            assert "nước" in call.params["text"]
        finally:
            proc.send_signal(signal.SIGTERM)
            code = await asyncio.to_thread(proc.wait, 30)
        assert code == 0
        output = (tmp_path / "bot.log").read_text()
        assert DEFAULT_TOKEN.split(":")[1] not in output
        assert "tiết kiệm nước" not in output  # message texts stay out of the log
