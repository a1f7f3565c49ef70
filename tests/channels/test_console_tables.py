"""The console channel's three tables (see runner.py): a typed line with the buttons on screen
-> Inbound; a neutral Reply -> exactly what the terminal shows; a closed terminal -> the
neutral send error."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from bot.channels import console
from bot.channels.errors import Unreachable
from handlers.messages import Attachment, Button, Inbound, Reply
from tests.channels.runner import (
    ErrorRow,
    InRow,
    OutRow,
    Request,
    table_tests,
)

SHOWN = [Button("▶️ Làm tiếp", "as:resume"), Button("Để sau", "as:later")]


def typed(text: str) -> Inbound:
    return Inbound(channel="console", user_id="lan", text=text)


IN = [
    InRow("text", ("Sản xuất sạch hơn là gì?\n", SHOWN), typed("Sản xuất sạch hơn là gì?")),
    InRow("a number presses the button shown with it", ("2\n", SHOWN),
          Inbound(channel="console", user_id="lan", payload="as:later", kind="button")),
    InRow("a number with no such button is text", ("3\n", SHOWN), typed("3")),
    InRow("a number with nothing on screen is text", ("1\n", []), typed("1")),
    InRow("command", ("/start\n", SHOWN), typed("/start")),
    InRow("a line at the limit is read whole", ("x" * 4096 + "\n", []), typed("x" * 4096)),
    InRow("a line over the limit is refused", ("x" * 4097 + "\n", []), None),
]  # fmt: skip

OUT = [
    OutRow("text", [Reply(text="Xin chào!")], [Request("write", {"text": "Xin chào!\n\n"})]),
    OutRow("buttons numbered across the replies of one turn",
           [Reply(text="Một", buttons=SHOWN[:1]), Reply(text="Hai", buttons=SHOWN[1:])],
           [Request("write", {"text": "Một\n  [1] ▶️ Làm tiếp\n\n"}),
            Request("write", {"text": "Hai\n  [2] Để sau\n\n"})]),
    OutRow("a long reply is shown whole", [Reply(text="y" * 9000)],
           [Request("write", {"text": "y" * 9000 + "\n\n"})]),
    OutRow("a document is saved and its path shown",
           [Reply(text="Báo cáo", attachment=Attachment("bao-cao.csv", b"a;b\n"))],
           [Request("write", {"text": "Báo cáo\n  (tệp / file: FILES/bao-cao.csv)\n\n"}),
            Request("file", {"name": "bao-cao.csv"}, {"bao-cao.csv": ("bao-cao.csv", b"a;b\n")})]),
]  # fmt: skip

ERRORS = [
    ErrorRow("closed terminal", {"close": True}, Unreachable),
    ErrorRow("broken pipe", {"broken": True}, Unreachable),
]


class _Recorder(io.StringIO):
    def __init__(self, broken: bool = False):
        super().__init__()
        self.writes: list[str] = []
        self.broken = broken

    def write(self, text: str) -> int:
        if self.broken:
            raise BrokenPipeError(32, "Broken pipe")
        self.writes.append(text)
        return super().write(text)


class ConsoleUnderTest:
    def __init__(self, files_dir: Path):
        self.files_dir = files_dir

    def inbound(self, raw: tuple[str, list[Button]]) -> Inbound | None:
        line, buttons = raw
        return console.to_inbound(line, "lan", buttons)

    async def send(self, replies: list[Reply]) -> list[Request]:
        out = _Recorder()
        console.write_replies(out, replies, self.files_dir)
        writes = [w.replace(str(self.files_dir), "FILES") for w in out.writes]
        requests = [Request("write", {"text": w}) for w in writes]
        for path in sorted(self.files_dir.glob("*")):
            files = {path.name: (path.name, path.read_bytes())}
            requests.append(Request("file", {"name": path.name}, files))
        return requests

    async def refuse(self, response: dict[str, Any], reply: Reply) -> BaseException | None:
        out = _Recorder(broken=response.get("broken", False))
        if response.get("close"):
            out.close()
        try:
            await console.ConsoleSender(out, self.files_dir).send("lan", [reply])
        except Exception as exc:  # noqa: BLE001
            return exc
        return None


@pytest.fixture
def channel(tmp_path):
    return ConsoleUnderTest(tmp_path / "files")


test_in, test_out, test_error = table_tests(IN, OUT, ERRORS)
