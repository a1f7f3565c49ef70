"""The Zalo Bot platform channel's three tables (see runner.py): updates as the platform sends
them -> Inbound; a neutral Reply -> the exact requests the local server receives (choices as
numbered text); the platform's refusals -> the neutral send errors."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.channels.errors import Blocked, ChannelDown, Permanent, Retryable, Throttled, Unreachable
from bot.channels.zalo_bot import to_inbound, unwrap
from bot.channels.zalo_bot.client import ZaloBotClient
from bot.channels.zalo_bot.sender import ZaloBotSender
from handlers.clock import FrozenClock
from handlers.messages import Attachment, Button, Inbound, Reply
from storage import contacts, migrate
from storage import zalo_oa as store
from storage.db import make_engine, session_scope
from tests.channels.runner import (
    ErrorRow,
    InRow,
    OutRow,
    Request,
    raised,
    table_tests,
)
from tests.support.zalo_bot_server import TOKEN, FakeZaloBot

MSG = {"message_id": "mid7", "date": 1766619597466,
       "chat": {"id": "c1", "chat_type": "PRIVATE"},
       "from": {"id": "c1", "display_name": "Lan", "is_bot": False}}  # fmt: skip


def upd(event: str = "message.text.received", **message: Any) -> dict:
    return {"event_name": event, "message": {**MSG, **message}}


def said(text: str | None = None, event: str = "message.text.received", **kw: Any) -> Inbound:
    return Inbound(channel="zalo_bot", user_id="c1", text=text, display_name="Lan",
                   message_id=f"{event}:mid7", **kw)  # fmt: skip


IN = [
    InRow("text", upd(text="Xin chào"), said("Xin chào")),
    InRow("wrapped in ok/result", {"ok": True, "result": upd(text="Xin chào")}, said("Xin chào")),
    InRow("image with caption",
          upd("message.image.received", photo_url="https://p/1.jpg", caption="Lò hơi này?"),
          said("Lò hơi này?", "message.image.received")),
    InRow("image without caption", upd("message.image.received", photo_url="https://p/1.jpg"),
          said(event="message.image.received", kind="unsupported")),
    InRow("sticker", upd("message.sticker.received", sticker="s1"),
          said(event="message.sticker.received", kind="unsupported")),
    InRow("unsupported", upd("message.unsupported.received"),
          said(event="message.unsupported.received", kind="unsupported")),
    InRow("a group", upd(text="hi", chat={"id": "g1", "chat_type": "GROUP"}), None),
    InRow("from a bot", upd(text="hi", **{"from": {"id": "b", "is_bot": True}}), None),
    InRow("unknown event", upd("message.reaction.received"), None),
]  # fmt: skip

MENU = [Button(f"Mục {i}", f"m:{i}") for i in range(1, 4)]
PARAGRAPHS = [f"Đoạn {i}. " + "x" * 900 for i in range(3)]


def send(text: str) -> Request:
    return Request("sendMessage", {"chat_id": "c1", "text": text})


OUT = [
    OutRow("text", [Reply(text="Xin chào!")], [send("Xin chào!")]),
    OutRow("choices as numbered text", [Reply(text="Chọn:", buttons=MENU)],
           [send("Chọn:\n\n1. Mục 1\n2. Mục 2\n3. Mục 3")]),
    OutRow("two cards with choices in one answer: numbered on, not from 1 again",
           [Reply(text="Sự kiện A", buttons=[Button("✅ Đăng ký", "ev:r:1:1")]),
            Reply(text="Sự kiện B", buttons=[Button("✅ Đăng ký", "ev:r:2:1"), *MENU[:1]])],
           [send("Sự kiện A\n\n1. ✅ Đăng ký"), send("Sự kiện B\n\n2. ✅ Đăng ký\n3. Mục 1")]),
    OutRow("long text cut on paragraphs",
           [Reply(text="\n\n".join(PARAGRAPHS))],
           [send("\n\n".join(PARAGRAPHS[:2])), send(PARAGRAPHS[2])]),
    OutRow("a file: its name with the text", [Reply(text="Báo cáo",
           attachment=Attachment("bao-cao.pdf", b"%PDF"))], [send("Báo cáo\n\n📎 bao-cao.pdf")]),
]  # fmt: skip

ERRORS = [
    ErrorRow("403", {"code": 403, "description": "Forbidden: user blocked the bot"}, Blocked),
    ErrorRow("429", {"code": 429}, Throttled),
    ErrorRow("400 chat not found", {"code": 400, "description": "Bad Request: chat not found"},
             Unreachable),
    ErrorRow("401 bad token", {"code": 401}, ChannelDown),
    ErrorRow("502", {"code": 502}, Retryable),
    ErrorRow("other 400", {"code": 400, "description": "Bad Request: text too long"}, Permanent),
]  # fmt: skip


class ZaloBotUnderTest:
    def __init__(self, srv: FakeZaloBot | None, sender: ZaloBotSender | None):
        self.srv, self.sender = srv, sender

    def inbound(self, raw: dict) -> Inbound | None:
        return to_inbound(unwrap(raw))

    async def send(self, replies: list[Reply]) -> list[Request]:
        mark = len(self.srv.calls)
        await self.sender.send("c1", replies)
        return [Request(c.method, c.params) for c in self.srv.calls[mark:]]

    async def refuse(self, response: dict, reply: Reply) -> BaseException | None:
        self.srv.fail("sendMessage", response["code"], response.get("description", "refused"))
        return await raised(self.sender.send("c1", [reply]))


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("zalo_bot") / "template.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
async def channel(tmp_path, migrated):
    clock = FrozenClock()
    shutil.copy(migrated, tmp_path / "bot.db")
    engine = make_engine(f"sqlite:///{tmp_path / 'bot.db'}")
    with session_scope(engine) as session:
        contacts.touch(session, "zalo_bot", "c1", clock.now())
    async with FakeZaloBot() as srv, httpx.AsyncClient(timeout=5) as http:
        yield ZaloBotUnderTest(
            srv, ZaloBotSender(ZaloBotClient(srv.url, TOKEN, http), engine, clock)
        )
    engine.dispose()


test_in, test_out, test_error = table_tests(
    IN, OUT, ERRORS, offline=lambda: ZaloBotUnderTest(None, None)
)


async def test_numbered_choices_are_remembered(channel):
    await channel.send([Reply(text="Chọn:", buttons=MENU)])
    with session_scope(channel.sender.engine) as session:
        contact_id, _ = store.window(session, "zalo_bot", "c1")
        assert store.choices(session, contact_id) == ["m:1", "m:2", "m:3"]


async def test_no_numbered_choices_under_a_number_question(channel):
    """A typed "2" at "how many employees?" is the answer, so the buttons are not numbered."""
    await channel.send([Reply(text="Chọn:", buttons=MENU)])
    await channel.send([Reply(text="Bao nhiêu lao động?", buttons=MENU, expects_number=True)])
    with session_scope(channel.sender.engine) as session:
        contact_id, _ = store.window(session, "zalo_bot", "c1")
        assert store.choices(session, contact_id) == []


async def test_the_number_typed_under_the_first_of_two_cards_presses_that_cards_button(channel):
    """Tester round 2: /events with two events numbered each card from 1 and remembered the
    last card's choices only, so "1" under the first card registered for the second event."""
    cards = [
        Reply(text="Sự kiện A", buttons=[Button("✅ Đăng ký", "ev:r:1:1")]),
        Reply(text="Sự kiện B", buttons=[Button("✅ Đăng ký", "ev:r:2:1"), *MENU[:1]]),
    ]
    await channel.send(cards)
    with session_scope(channel.sender.engine) as session:
        contact_id, _ = store.window(session, "zalo_bot", "c1")
        assert store.choices(session, contact_id) == ["ev:r:1:1", "ev:r:2:1", "m:1"]
    await channel.send([Reply(text="Bao nhiêu lao động?", buttons=MENU, expects_number=True)])
    await channel.send([Reply(text="Chọn:", buttons=MENU)])  # a new answer numbers from 1
    with session_scope(channel.sender.engine) as session:
        assert store.choices(session, contact_id) == ["m:1", "m:2", "m:3"]


def test_parts_made_earlier_keep_numbering_on():
    from bot.channels.zalo_bot.sender import messages

    first = messages([Reply(text="Sự kiện A", buttons=[Button("✅ Đăng ký", "ev:r:1:1")])])
    parts = messages([*first, Reply(text="Sự kiện B", buttons=[Button("✅ Đăng ký", "ev:r:2:1")])])
    assert parts[-1].text == "Sự kiện B\n\n2. ✅ Đăng ký"
    assert [b.payload for b in parts[-1].buttons] == ["ev:r:1:1", "ev:r:2:1"]
