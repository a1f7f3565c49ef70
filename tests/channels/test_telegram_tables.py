"""The Telegram channel's three tables (see runner.py): real update JSON as the Bot API sends it
-> Inbound; a neutral Reply -> the exact requests the local Bot API server receives; the Bot
API's refusals -> the neutral send errors."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from telegram import Bot, Update

from bot.channels import telegram
from bot.channels.errors import Blocked, Permanent, Retryable, Throttled, Unreachable
from handlers.messages import Attachment, Button, Inbound, InboundFile, Reply
from tests.channels.runner import (
    ErrorRow,
    InRow,
    OutRow,
    Request,
    table_tests,
)
from tests.support.telegram_server import FakeTelegram

DATE = 1764500000
LAN = {"id": 1001, "is_bot": False, "first_name": "Lan", "language_code": "vi"}
BOT = {"id": 123456789, "is_bot": True, "first_name": "SXSH Cần Thơ", "username": "SxshBot"}
PRIVATE = {"id": 1001, "first_name": "Lan", "type": "private"}
GROUP = {"id": -1001234567890, "title": "Doanh nghiệp Cần Thơ", "type": "supergroup"}
CHANNEL_CHAT = {"id": -1009876543210, "title": "Tin SXSH", "type": "channel"}
PHOTO = [
    {"file_id": "AgACAgUAAx0", "file_unique_id": "AQADs1", "file_size": 1245, "width": 90,
     "height": 67},
    {"file_id": "AgACAgUAAx1", "file_unique_id": "AQADs2", "file_size": 48213, "width": 800,
     "height": 600},
]  # fmt: skip
# The largest size is the one kept (Telegram lists a photo's sizes smallest first).
BIGGEST = InboundFile("telegram", "photo", "AgACAgUAAx1", None, "image/jpeg")
STICKER = {
    "file_id": "CAACAgIAAxk", "file_unique_id": "AgADxx", "type": "regular", "width": 512,
    "height": 512, "is_animated": False, "is_video": False, "emoji": "👍",
}  # fmt: skip


def message(message_id: int, chat: dict = PRIVATE, **content: Any) -> dict:
    return {"message_id": message_id, "from": LAN, "chat": chat, "date": DATE, **content}


def member_update(chat: dict, old: str, new: str) -> dict:
    def member(status: str) -> dict:
        extra = {"until_date": 0} if status == "kicked" else {}
        return {"user": BOT, "status": status, **extra}

    return {
        "chat": chat,
        "from": LAN,
        "date": DATE,
        "old_chat_member": member(old),
        "new_chat_member": member(new),
    }


# Updates arrive for one bot; its id (the token's first part) is part of every de-duplication key,
# because message ids start again in a new bot's chats.
TABLE_BOT = Bot("123456789:" + "A" * 35)


def said(text: str | None = None, message_id: str = "123456789:m10", **fields: Any) -> Inbound:
    return Inbound(
        channel="telegram",
        user_id="1001",
        text=text,
        display_name="Lan",
        language="vi",
        message_id=message_id,
        **fields,
    )


IN = [
    InRow("text", {"update_id": 1, "message": message(10, text="Sản xuất sạch hơn là gì?")},
          said("Sản xuất sạch hơn là gì?")),
    InRow("command with @botname",
          {"update_id": 2, "message": message(10, text="/start@SxshBot", entities=[
              {"offset": 0, "length": 14, "type": "bot_command"}])},
          said("/start@SxshBot")),
    InRow("callback query",
          {"update_id": 3, "callback_query": {
              "id": "4382bfdwdsb323b2d9", "from": LAN, "chat_instance": "-8791",
              "message": {"message_id": 11, "from": BOT, "chat": PRIVATE, "date": DATE,
                          "text": "Anh/chị muốn làm gì?"},
              "data": "m:assess"}},
          Inbound(channel="telegram", user_id="1001", payload="m:assess", display_name="Lan",
                  language="vi", kind="button", message_id="123456789:cq4382bfdwdsb323b2d9")),
    InRow("a reply to the bot's message carries the quoted text (an officer answers a card)",
          {"update_id": 20, "message": message(10, text="Sẽ gọi lại chiều nay", reply_to_message={
              "message_id": 9, "from": BOT, "chat": PRIVATE, "date": DATE,
              "text": "🎫 #12 · 👤 mở lúc 30/11/2026 08:00 · telegram"})},
          said("Sẽ gọi lại chiều nay", reply_to="🎫 #12 · 👤 mở lúc 30/11/2026 08:00 · telegram")),
    InRow("a reply to the person's own message quotes nothing",
          {"update_id": 21, "message": message(10, text="ý tôi là", reply_to_message=message(
              8, text="Câu trước"))},
          said("ý tôi là")),
    InRow("photo with caption: the caption is the text",
          {"update_id": 4, "message": message(10, photo=PHOTO,
                                              caption="Lò hơi này có tiết kiệm không?")},
          said("Lò hơi này có tiết kiệm không?", file=BIGGEST)),
    InRow("photo without caption: kept by reference (an officer's broadcast may be one)",
          {"update_id": 5, "message": message(10, photo=PHOTO)},
          said(kind="unsupported", file=BIGGEST)),
    InRow("document with caption",
          {"update_id": 6, "message": message(10, caption="Báo cáo năng lượng", document={
              "file_id": "BQACAgUAAx", "file_unique_id": "AgADd1", "file_name": "bao-cao.pdf",
              "mime_type": "application/pdf", "file_size": 52311})},
          said("Báo cáo năng lượng", file=InboundFile("telegram", "document", "BQACAgUAAx",
                                                      "bao-cao.pdf", "application/pdf"))),
    InRow("sticker", {"update_id": 7, "message": message(10, sticker=STICKER)},
          said(kind="unsupported")),
    InRow("edited message",
          {"update_id": 8, "edited_message": message(10, text="sửa lại", edit_date=DATE + 5)},
          None),
    InRow("channel post",
          {"update_id": 9, "channel_post": {"message_id": 3, "sender_chat": CHANNEL_CHAT,
                                            "chat": CHANNEL_CHAT, "date": DATE,
                                            "text": "Hội thảo SXSH tuần sau"}},
          None),
    InRow("group message", {"update_id": 10, "message": message(10, chat=GROUP, text="/start")},
          None),
    InRow("button pressed in a group",
          {"update_id": 11, "callback_query": {
              "id": "4382bfdwdsb323b2e0", "from": LAN, "chat_instance": "-8792",
              "message": {"message_id": 12, "from": BOT, "chat": GROUP, "date": DATE,
                          "text": "Anh/chị muốn làm gì?"},
              "data": "as:consent:yes"}},
          None),
    InRow("my_chat_member: blocked",
          {"update_id": 12, "my_chat_member": member_update(PRIVATE, "member", "kicked")},
          Inbound(channel="telegram", user_id="1001", kind="blocked")),
    InRow("my_chat_member: unblocked",
          {"update_id": 13, "my_chat_member": member_update(PRIVATE, "kicked", "member")},
          Inbound(channel="telegram", user_id="1001", kind="unblocked")),
    InRow("my_chat_member: added to a group",
          {"update_id": 14, "my_chat_member": member_update(GROUP, "left", "member")}, None),
]  # fmt: skip


def keyboard(*rows: list[tuple[str, str]]) -> dict:
    return {
        "inline_keyboard": [
            [{"text": label, "callback_data": data} for label, data in row] for row in rows
        ]
    }


MENU = [
    Button("❓ Hỏi đáp SXSH", "m:qa"),
    Button("📋 Đánh giá nhanh", "m:assess"),
    Button("📅 Sự kiện và nhắc lịch", "m:events"),
    Button("Làm phiếu, không cung cấp thông tin cá nhân", "as:consent:no"),
    Button("☰ Menu chính", "m:main"),
]
MENU_KEYBOARD = keyboard(
    [("❓ Hỏi đáp SXSH", "m:qa"), ("📋 Đánh giá nhanh", "m:assess")],
    [("📅 Sự kiện và nhắc lịch", "m:events")],
    [("Làm phiếu, không cung cấp thông tin cá nhân", "as:consent:no")],
    [("☰ Menu chính", "m:main")],
)
QA_KEYBOARD = keyboard([("❓ Hỏi đáp SXSH", "m:qa")])
PARAGRAPHS = [f"Đoạn {i}. " + "x" * 1500 for i in range(6)]
LONG = "\n\n".join(PARAGRAPHS)
EMOJI = "🌿" * 3000  # 6000 UTF-16 units: Telegram counts an emoji as two
PDF = Attachment("bao-cao.pdf", b"%PDF-1.4 report", "application/pdf")
# The signature and header of a 2x1 PNG: enough for the server to see an image.
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + (2).to_bytes(4) + (1).to_bytes(4)
PNG = Attachment("bieu-do.png", PNG_BYTES, "image/png", is_image=True)
CAPTION_2000 = "Báo cáo. " + "y" * 1991
TOO_LONG_PAYLOAD = "as:c:" + "q" * 59 + ":0"  # 66 bytes: over Telegram's 64


def send(method: str, files: dict | None = None, **params: Any) -> Request:
    return Request(method, {"chat_id": 1001, **params}, files or {})


OUT = [
    OutRow("text", [Reply(text="Xin chào!")], [send("sendMessage", text="Xin chào!")]),
    OutRow("reply with buttons: two short labels per row, a long one alone",
           [Reply(text="Anh/chị muốn làm gì?", buttons=MENU)],
           [send("sendMessage", text="Anh/chị muốn làm gì?", reply_markup=MENU_KEYBOARD)]),
    OutRow("long reply split on paragraphs, the keyboard on the last part",
           [Reply(text=LONG, buttons=[Button("☰ Menu chính", "m:main")])],
           [send("sendMessage", text="\n\n".join(PARAGRAPHS[0:2])),
            send("sendMessage", text="\n\n".join(PARAGRAPHS[2:4])),
            send("sendMessage", text="\n\n".join(PARAGRAPHS[4:6]),
                 reply_markup=keyboard([("☰ Menu chính", "m:main")]))]),
    OutRow("emoji counted as Telegram counts them",
           [Reply(text=EMOJI)],
           [send("sendMessage", text="🌿" * 2048), send("sendMessage", text="🌿" * 952)]),
    OutRow("document with a caption",
           [Reply(text="Báo cáo tháng 11", attachment=PDF)],
           [send("sendDocument", {"document": ("bao-cao.pdf", b"%PDF-1.4 report")},
                 caption="Báo cáo tháng 11")]),
    OutRow("photo with a caption and buttons",
           [Reply(text="Biểu đồ", attachment=PNG, buttons=[Button("☰ Menu chính", "m:main")])],
           [send("sendPhoto", {"photo": ("bieu-do.png", PNG_BYTES)}, caption="Biểu đồ",
                 reply_markup=keyboard([("☰ Menu chính", "m:main")]))]),
    OutRow("a text too long for a caption follows the file whole",
           [Reply(text=CAPTION_2000, attachment=PDF, buttons=[Button("☰ Menu chính", "m:main")])],
           [send("sendDocument", {"document": ("bao-cao.pdf", b"%PDF-1.4 report")}),
            send("sendMessage", text=CAPTION_2000,
                 reply_markup=keyboard([("☰ Menu chính", "m:main")]))]),
    OutRow("a payload over 64 bytes is left out, the rest is sent",
           [Reply(text="Câu 1/20", buttons=[Button("Có", TOO_LONG_PAYLOAD),
                                            Button("⬅️ Quay lại", "as:back")])],
           [send("sendMessage", text="Câu 1/20",
                 reply_markup=keyboard([("⬅️ Quay lại", "as:back")]))]),
    OutRow("plain replies go in front of the next one: one message, in order",
           [Reply(text="Một"), Reply(text="Hai"), Reply(text="Ba", buttons=MENU[:1])],
           [send("sendMessage", text="Một\n\nHai\n\nBa", reply_markup=QA_KEYBOARD)]),
    OutRow("a reply with buttons keeps them under its own message",
           [Reply(text="Câu 1/20", buttons=MENU[:1]), Reply(text="Hai")],
           [send("sendMessage", text="Câu 1/20", reply_markup=QA_KEYBOARD),
            send("sendMessage", text="Hai")]),
    OutRow("a plain reply too long to share a message goes alone (4094 + 2 + 3 > 4096)",
           [Reply(text="🌿" * 2047), Reply(text="Hai")],
           [send("sendMessage", text="🌿" * 2047), send("sendMessage", text="Hai")]),
]  # fmt: skip

ERRORS = [
    ErrorRow("403 blocked",
             {"status": 403, "description": "Forbidden: bot was blocked by the user"}, Blocked),
    ErrorRow("403 deactivated", {"status": 403, "description": "Forbidden: user is deactivated"},
             Blocked),
    ErrorRow("400 chat not found", {"status": 400, "description": "Bad Request: chat not found"},
             Unreachable),
    ErrorRow("429 with retry_after", {"status": 429, "retry_after": 7}, Throttled,
             {"retry_after": 7.0}),
    ErrorRow("500", {"status": 500}, Retryable),
    ErrorRow("502 nginx page", {"status": 502}, Retryable),
    ErrorRow("other 400", {"status": 400, "description": "Bad Request: message is too long"},
             Permanent),
]  # fmt: skip


class TelegramUnderTest:
    def __init__(self, srv: FakeTelegram, bot: Any):
        self.srv, self.bot = srv, bot

    def inbound(self, raw: dict) -> Inbound | None:
        return telegram.to_inbound(Update.de_json(raw, TABLE_BOT))

    async def send(self, replies: list[Reply]) -> list[Request]:
        mark = len(self.srv.calls)
        await telegram.send_replies(self.bot, 1001, replies)
        return [Request(c.method, c.params, c.files) for c in self.srv.calls[mark:]]

    async def refuse(self, response: dict, reply: Reply) -> BaseException | None:
        self.srv.fail("sendMessage", **response)
        try:
            await telegram.TelegramSender(self.bot).send("1001", [reply])
        except Exception as exc:  # noqa: BLE001
            return exc
        return None


@pytest.fixture
async def channel():
    async with FakeTelegram() as srv, srv.make_bot() as bot:
        yield TelegramUnderTest(srv, bot)


test_in, test_out, test_error = table_tests(
    IN, OUT, ERRORS, offline=lambda: TelegramUnderTest(None, None)
)


def test_command_with_botname_is_read_as_the_command():
    inbound = TelegramUnderTest(None, None).inbound(IN[1].raw)
    assert inbound.command == ("start", "")


async def test_a_payload_over_the_limit_is_logged_loudly(channel, caplog):
    with caplog.at_level(logging.ERROR, logger="bot.channels.telegram"):
        await channel.send([Reply(text="Câu 1/20", buttons=[Button("Có", TOO_LONG_PAYLOAD)])])
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "66 bytes" in record.getMessage() and "namespace as" in record.getMessage()
    assert "qqqq" not in record.getMessage()  # the payload itself is not logged
