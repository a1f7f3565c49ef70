"""End to end over HTTP: the real python-telegram-bot Application of the product against the
local Bot API server in tests/support."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import aiohttp
import pytest
from sqlmodel import Session, select

from bot.app import build_conversation
from bot.channels import telegram
from bot.channels.errors import Blocked, Permanent, Retryable, Throttled, Unreachable
from handlers.messages import Button, Reply
from storage import outbox
from storage.db import session_scope
from storage.models import Contact, Outbox
from tests.conftest import make_settings
from tests.support.telegram_server import DEFAULT_TOKEN, FakeTelegram, free_port


@pytest.fixture
async def srv():
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
def tg_settings(srv, sqlite_url):
    return make_settings(sqlite_url, telegram_token=DEFAULT_TOKEN, telegram_api_url=srv.root_url)


@pytest.fixture
def conv(tg_settings, clock):
    conversation = build_conversation(tg_settings, clock=clock)
    yield conversation
    conversation.engine.dispose()


@pytest.fixture
async def app(srv, conv, tg_settings):
    application = telegram.build_application(conv, tg_settings, outbox_interval=3600)
    async with srv.polling(application, timeout=1):
        # run_polling() calls these hooks; the test harness starts polling itself.
        await application.post_init(application)
        yield application
        await application.post_shutdown(application)


def contact_row(conv, user_id=1001) -> Contact:
    with Session(conv.engine) as s:
        return s.exec(select(Contact).where(Contact.platform_id == str(user_id))).one()


def buttons(call) -> list[tuple[str, str]]:
    markup = call.params.get("reply_markup")
    markup = json.loads(markup) if isinstance(markup, str) else markup or {}
    return [
        (b["text"], b["callback_data"]) for row in markup.get("inline_keyboard", []) for b in row
    ]


async def test_start_gives_welcome_with_inline_keyboard(srv, app, conv):
    srv.user_sends("/start", first_name="Lan")
    [call] = await srv.wait_for("sendMessage", chat_id=1001)
    assert call.params["text"].startswith("Xin chào Lan!")
    assert ("📋 Đánh giá nhanh", "m:assess") in buttons(call)
    markup = call.params["reply_markup"]
    rows = (json.loads(markup) if isinstance(markup, str) else markup)["inline_keyboard"]
    assert [[b["callback_data"] for b in row] for row in rows] == [
        ["m:qa", "m:assess"],
        ["m:events", "m:prog"],
        ["m:officer", "m:lang"],
    ]
    # Commands are registered for Vietnamese (default) and English.
    announced = [name for name, _ in conv.registry.announced_commands(conv.content.texts, "vi")]
    assert [c["command"] for c in srv.commands()] == announced
    assert {"start", "help", "assess", "result", "lang", "officer", "stop"} <= set(announced)
    assert srv.commands(language_code="en")[0]["description"] == "Start, main menu"


async def test_pressing_a_button_is_answered(srv, app, conv):
    srv.user_sends("/start")
    await srv.wait_for("sendMessage", chat_id=1001)
    srv.user_presses("m:lang")
    await srv.wait_for("answerCallbackQuery")
    [call] = await srv.wait_for("sendMessage", chat_id=1001)
    assert ("English", "lang:en") in buttons(call)
    srv.user_presses("lang:en")
    [call] = await srv.wait_for("sendMessage", chat_id=1001)
    assert call.params["text"] == "Switched to English."
    assert contact_row(conv).language == "en"


async def test_unknown_update_types_do_not_stop_the_bot(srv, app, conv):
    srv.queue_update(
        {
            "edited_message": {
                "message_id": 5,
                "date": 0,
                "chat": {"id": 1001, "type": "private"},
                "from": {"id": 1001, "is_bot": False, "first_name": "Lan"},
                "text": "sửa",
            }
        }
    )
    srv.queue_update(
        {
            "message": {
                "message_id": 6,
                "date": 0,
                "chat": {"id": 1001, "type": "private"},
                "from": {"id": 1001, "is_bot": False, "first_name": "Lan"},
                "sticker": {
                    "file_id": "s1",
                    "file_unique_id": "s1",
                    "width": 1,
                    "height": 1,
                    "is_animated": False,
                    "is_video": False,
                    "type": "regular",
                },
            }
        }
    )
    [call] = await srv.wait_for("sendMessage", chat_id=1001)
    assert "chỉ đọc được tin nhắn chữ" in call.params["text"]
    srv.queue_update({"some_future_update": {"x": 1}})
    srv.user_sends("/help")
    [call] = await srv.wait_for("sendMessage", chat_id=1001)
    assert "Cách dùng bot" in call.params["text"]


async def test_blocking_marks_the_contact_and_a_message_unblocks(srv, app, conv):
    srv.user_sends("/start")
    await srv.wait_for("sendMessage", chat_id=1001)
    srv.user_blocks_bot(1001)
    for _ in range(100):
        if contact_row(conv).status == "blocked":
            break
        await srv.wait_for("getUpdates", timeout=5, since=len(srv.calls))
    assert contact_row(conv).status == "blocked"
    srv.user_sends("/help")  # the fake unblocks a user who writes again, like Telegram
    await srv.wait_for("sendMessage", chat_id=1001)
    assert contact_row(conv).status == "active"


async def test_keeps_working_after_server_errors(srv, app):
    srv.fail("getUpdates", status=502, times=2)
    srv.user_sends("/help")
    [call] = await srv.wait_for("sendMessage", chat_id=1001, timeout=20)
    assert "Cách dùng bot" in call.params["text"]
    srv.fail("sendMessage", status=500, times=1)
    srv.user_sends("/help")  # the 500 is tried again: the answer is not lost
    await srv.wait_for("sendMessage", chat_id=1001, ok=False)
    [call] = await srv.wait_for("sendMessage", chat_id=1001, ok=True)
    assert "Cách dùng bot" in call.params["text"]
    srv.user_sends("/lang")
    [call] = await srv.wait_for("sendMessage", chat_id=1001, ok=True)
    assert "Chọn ngôn ngữ" in call.params["text"]


async def test_long_answers_are_split_on_paragraphs(srv):
    paragraphs = [f"Đoạn {i}. " + "x" * 1500 for i in range(6)]
    async with srv.make_bot() as bot:
        await telegram.send_replies(bot, 1001, [Reply(text="\n\n".join(paragraphs))])
    sent = [m["text"] for m in srv.sent_messages(1001)]
    assert len(sent) == 3 and all(len(t) <= 4096 for t in sent)
    assert "\n\n".join(sent) == "\n\n".join(paragraphs)


async def test_webhook_rejects_wrong_secret_and_accepts_right_one(srv, conv, tg_settings):
    application = telegram.build_application(conv, tg_settings, outbox_interval=3600)
    port = free_port()
    await application.initialize()
    await application.start()
    await application.updater.start_webhook(
        listen="127.0.0.1",
        port=port,
        url_path="tg",
        secret_token="s3cret-Token",
        webhook_url=f"http://127.0.0.1:{port}/tg",
    )
    try:
        update = srv.text_update("/help")
        async with aiohttp.ClientSession() as http:
            url = f"http://127.0.0.1:{port}/tg"
            r = await http.post(url, json=update)
            assert r.status == 403
            r = await http.post(
                url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}
            )
            assert r.status == 403
            assert srv.sent_messages() == []
            r = await http.post(
                url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-Token"}
            )
            assert r.status == 200
        [call] = await srv.wait_for("sendMessage", since=0)
        assert "Cách dùng bot" in call.params["text"]
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()


async def test_sender_classifies_429_and_403(srv):
    async with srv.make_bot() as bot:
        sender = telegram.TelegramSender(bot)
        srv.fail("sendMessage", status=429, retry_after=7)
        with pytest.raises(Throttled) as exc:
            await sender.send("1001", [Reply(text="hi")])
        assert exc.value.retry_after == 7
        srv.fail("sendMessage", status=403)
        with pytest.raises(Blocked):
            await sender.send("1001", [Reply(text="hi")])


async def test_sender_classifies_chat_not_found_5xx_and_other_400(srv):
    async with srv.make_bot() as bot:
        sender = telegram.TelegramSender(bot)
        srv.fail("sendMessage", status=403, description="Forbidden: user is deactivated")
        with pytest.raises(Blocked):
            await sender.send("1001", [Reply(text="hi")])
        srv.fail("sendMessage", status=400, description="Bad Request: chat not found")
        with pytest.raises(Unreachable):
            await sender.send("1001", [Reply(text="hi")])
        srv.fail("sendMessage", status=400, description="Bad Request: message text is empty")
        with pytest.raises(Permanent):
            await sender.send("1001", [Reply(text="hi")])
        for status in (500, 502):
            srv.fail("sendMessage", status=status)
            with pytest.raises(Retryable):
                await sender.send("1001", [Reply(text="hi")])


def test_keyboard_puts_two_short_labels_per_row_and_long_ones_alone():
    short = [Button(f"Nút {i}", f"x:{i}") for i in range(3)]
    long_ = Button("Làm phiếu, không cung cấp thông tin cá nhân", "x:long")
    rows = [[b.payload for b in row] for row in telegram.layout([*short, long_, short[0]])]
    assert rows == [["x:0", "x:1"], ["x:2"], ["x:long"], ["x:0"]]


async def test_delivery_sends_due_outbox_rows_once(srv, conv, clock, monkeypatch):
    from bot.delivery import Delivery
    from handlers.capability import OutboxKind
    from handlers.registry import REGISTRY

    render = lambda s, c, contact, payload, now: [Reply(text=payload["text"])]  # noqa: E731
    monkeypatch.setitem(REGISTRY.outbox, "test_note", OutboxKind("test_note", render))
    srv.user_sends("/start")  # creates the contact through the real path
    application = telegram.build_application(conv, conv.settings, outbox_interval=3600)
    async with srv.polling(application, timeout=1):
        await srv.wait_for("sendMessage", chat_id=1001)
    with session_scope(conv.engine) as s:
        c = s.exec(select(Contact)).one()
        outbox.enqueue(
            s,
            "note:1",
            c.id,
            "test_note",
            clock.now() + timedelta(hours=1),
            {"text": "Nhắc lịch: hội thảo SXSH"},
        )
    async with srv.make_bot() as bot:
        delivery = Delivery(conv.engine, conv, clock, {"telegram": telegram.TelegramSender(bot)})
        assert await delivery.run_once() == {}  # not due yet
        clock.advance(hours=1)
        srv.fail("sendMessage", status=429, retry_after=5)
        assert await delivery.run_once() == {"retry": 1}
        assert await delivery.run_once() == {}  # the lane is paused
        clock.advance(seconds=6)
        assert await delivery.run_once() == {"sent": 1}
        assert await delivery.run_once() == {}
    texts = [m["text"] for m in srv.sent_messages(1001)]
    assert texts.count("Nhắc lịch: hội thảo SXSH") == 1
    with Session(conv.engine) as s:
        row = s.exec(select(Outbox)).one()
        assert (row.status, row.attempts) == ("sent", 1)  # a 429 is not the row's fault


ASSESSMENT_BY_BUTTONS = [
    ("type", "Công ty TNHH Thủy sản Demo"),
    ("press", "Chế biến thủy sản"),
    ("type", "120"),
    ("press", "KCN Trà Nóc I"),
    ("press", "Phường Thới An Đông"),  # suggested from the park's ward
    ("press", "⏭ Bỏ qua"),  # tax code is optional
    ("press", "Có"),
    ("press", "Không"),
    ("press", "Không"),
    ("type", "45 triệu"),
    ("press", "Chỉ xem hóa đơn hằng tháng"),
    ("press", "◻️ Than"),
    ("press", "✔️ Xong"),
    ("press", "◻️ Lò hơi"),
    ("press", "✔️ Xong"),
    ("press", "Không thu hồi"),
    ("press", "◻️ Nước máy"),
    ("press", "✔️ Xong"),
    ("type", "300 m3"),
    ("press", "Chỉ có đồng hồ tổng"),
    ("press", "Thỉnh thoảng"),
    ("press", "◻️ Phân loại tại nguồn"),
    ("press", "✔️ Xong"),
    ("press", "◻️ Tắt máy, đèn, quạt khi không dùng"),
    ("press", "✔️ Xong"),
    ("press", "◻️ Tập huấn, hội thảo SXSH"),
    ("press", "✔️ Xong"),
]


async def test_full_assessment_with_button_presses(srv, app, conv):
    def has_keyboard(call):
        return call.method == "sendMessage" and call.params.get("reply_markup")

    async def last_keyboard():
        [call] = await srv.wait_for(has_keyboard, chat_id=1001)
        return call

    srv.user_sends("/assess")
    call = await last_keyboard()
    no = dict(buttons(call))["Làm phiếu, không cung cấp thông tin cá nhân"]
    srv.user_presses(no, message_id=call.result["message_id"])
    call = await last_keyboard()
    for action, value in ASSESSMENT_BY_BUTTONS:
        if action == "type":
            srv.user_sends(value)
        else:
            wanted = dict(buttons(call))
            assert value in wanted, (value, call.params["text"], list(wanted))
            srv.user_presses(wanted[value], message_id=call.result["message_id"])
        call = await last_keyboard()
        assert "không phải" not in call.params["text"], call.params["text"]
    assert "KẾT QUẢ TỰ ĐÁNH GIÁ NHANH" in call.params["text"]
    with Session(conv.engine) as s:
        from storage.models import Answer, Response

        [response] = s.exec(select(Response)).all()
        assert response.status == "completed"
        answers = {a.question_id: json.loads(a.value) for a in s.exec(select(Answer)).all()}
    assert answers["fuels"] == ["coal"] and answers["equipment"] == ["boiler"]
    assert answers["tax_code"] is None and answers["water_use"] == 300


async def test_question_gets_answer_with_related_buttons(srv, app):
    srv.user_sends("san xuat sach hon la gi")
    [call] = await srv.wait_for("sendMessage", chat_id=1001)
    text, pressed = call.params["text"], buttons(call)
    assert "phòng ngừa" in text and "Nguồn: UNEP (1990)" in text
    assert ("📖 Xem thêm", "qa:more:sxsh.definition") in pressed
    assert any(data.startswith("qa:t:") for _, data in pressed)
    srv.user_presses("qa:more:sxsh.definition", message_id=call.result["message_id"])
    [call] = await srv.wait_for("sendMessage", chat_id=1001)
    assert "VNCPC" in call.params["text"]


async def test_off_topic_question_gets_honest_fallback_with_officer(srv, app, conv):
    """Not sure, and the question is already a ticket: one message says both, with its number;
    no "talk to an officer" button (it is with the officers)."""
    srv.user_sends("giấy phép biểu diễn văn nghệ ở đâu cấp")
    [call] = await srv.wait_for("sendMessage", chat_id=1001)
    assert "chưa có câu trả lời" in call.params["text"]
    assert "phiếu #1" in call.params["text"]
    assert [label for label, _ in buttons(call)] == ["☰ Menu chính"]
    with Session(conv.engine) as s:
        from storage.models import QuestionLog
        from storage.tickets_models import Ticket

        [row] = s.exec(select(QuestionLog)).all()
        assert row.confident is False
        [ticket] = s.exec(select(Ticket)).all()
        assert ticket.question_log_id == row.id
    await asyncio.sleep(0.5)  # nothing more follows
    assert len([c for c in srv.calls if c.method == "sendMessage"]) == 1


async def test_a_button_pressed_in_a_group_is_ignored(srv, app, conv):
    """Issue 8 item 10: the bot works in private chats only, for buttons as for text."""
    from storage.models import ConsentRecord

    group = {"id": -1001234567890, "title": "Doanh nghiệp Cần Thơ", "type": "supergroup"}
    bot_user = {"id": 123456789, "is_bot": True, "first_name": "Test Bot"}
    lan = {"id": 1001, "is_bot": False, "first_name": "Lan", "language_code": "vi"}
    srv.queue_update(
        {
            "callback_query": {
                "id": "77",
                "from": lan,
                "chat_instance": "-5",
                "message": {"message_id": 3, "from": bot_user, "chat": group, "date": 0,
                            "text": "Anh/chị đồng ý?"},
                "data": "as:consent:yes",
            }
        }
    )  # fmt: skip
    srv.user_sends("/help")  # handled after the group press: the bot is still answering
    [call] = await srv.wait_for("sendMessage", chat_id=1001)
    assert "Cách dùng bot" in call.params["text"]
    assert [c for c in srv.calls if c.method == "answerCallbackQuery"] == []
    assert [c for c in srv.calls if c.chat_id == group["id"]] == []
    with Session(conv.engine) as s:
        assert s.exec(select(ConsentRecord)).all() == []
