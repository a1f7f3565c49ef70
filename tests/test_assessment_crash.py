"""kill -9 in the middle of an assessment loses no given answer: a new process resumes at the
next question. The bot runs as a real process (the terminal channel) driven through a pipe."""

from __future__ import annotations

import os
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

from tests.test_assessment import FULL_RUN

BIN = Path(sys.executable).parent / "sxsh-bot"


class Bot:
    def __init__(self, db: Path, cwd: Path):
        env = {k: v for k, v in os.environ.items() if not k.startswith("SXSH_")}
        env["SXSH_DATABASE_URL"] = f"sqlite:///{db}"
        self.proc = subprocess.Popen(
            [str(BIN), "chat", "--user", "owner"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            cwd=cwd,
            bufsize=1,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line)

    def say(self, text: str, expect: str) -> str:
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()
        return self.wait(expect)

    def wait(self, expect: str, timeout: float = 60) -> str:
        seen = []
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"never saw {expect!r}; got: {''.join(seen)}") from None
            seen.append(line)
            if expect in line:
                return "".join(seen)


def answered(db: Path) -> dict[str, str]:
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("select question_id, value from answers").fetchall())


def test_kill_9_mid_assessment_then_resume(tmp_path):
    db = tmp_path / "bot.db"
    bot = Bot(db, tmp_path)
    bot.say("/assess", "Anh/chị có đồng ý")
    bot.say("1", "Câu 1/")  # [1] = agree
    for i, text in enumerate(FULL_RUN[:8]):
        bot.say(text, f"Câu {i + 2}/")
    bot.proc.send_signal(signal.SIGKILL)
    bot.proc.wait(timeout=30)
    assert len(answered(db)) == 8  # every answer given before the kill is there

    again = Bot(db, tmp_path)
    # The open assessment still has the floor: the next typed answer answers question 9.
    out = again.say(FULL_RUN[8], "Câu 10/")
    assert "Câu 10/" in out
    assert answered(db)["dedicated_unit"] == '"no"'
    out = again.say("/assess", "Làm lại từ đầu")
    assert "đã trả lời 9 câu" in out
    again.proc.stdin.close()
    again.proc.wait(timeout=30)
