"""Tests of the fake Telegram Bot API server, driving the real python-telegram-bot over HTTP."""

from __future__ import annotations

import asyncio
import datetime as dtm
import struct
import time
import zlib

import aiohttp
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.support import telegram_server as support
from tests.support.telegram_server import DEFAULT_TOKEN, FakeTelegram, free_port

# the shared fixture, used here the way a conftest.py would expose it
telegram_server = support.telegram_server

TOKEN = DEFAULT_TOKEN
USER = 1001


def build_app(srv: FakeTelegram) -> Application:
    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(srv.root_url + "/bot")
        .base_file_url(srv.root_url + "/file/bot")
        .build()
    )

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        keyboard = InlineKeyboardMarkup(
            [
                [InlineKeyboardButton("Tìm hiểu", callback_data="learn")],
                [InlineKeyboardButton("Bỏ qua", callback_data="skip")],
            ]
        )
        await update.message.reply_text("Xin chào! Bạn muốn làm gì?", reply_markup=keyboard)

    async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        await query.answer("Đã nhận")
        await query.edit_message_text(f"Bạn chọn: {query.data}")

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text(f"echo: {update.message.text}")

    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_handler(
        MessageHandler(filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND, echo)
    )
    return app


@pytest.fixture
async def bot_app(telegram_server: FakeTelegram):
    app = build_app(telegram_server)
    await app.initialize()
    await app.start()
    await app.updater.start_polling(poll_interval=0, timeout=1)
    try:
        yield app
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


@pytest.fixture
async def bot(telegram_server: FakeTelegram):
    async with Bot(
        TOKEN,
        base_url=telegram_server.root_url + "/bot",
        base_file_url=telegram_server.root_url + "/file/bot",
    ) as b:
        yield b


def tiny_png(width: int = 3, height: int = 2) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


# ------------------------------------------------------------------ the real Application


async def test_start_replies_with_inline_keyboard(telegram_server: FakeTelegram, bot_app):
    srv = telegram_server
    assert [c.method for c in srv.calls[:2]] == ["getMe", "deleteWebhook"]
    assert bot_app.bot.username == "test_bot"

    srv.user_sends("/start")
    [call] = await srv.wait_for("sendMessage", chat_id=USER)

    assert call.ok
    msg = call.result
    assert msg["text"] == "Xin chào! Bạn muốn làm gì?"
    assert msg["chat"]["id"] == USER and msg["from"]["is_bot"]
    buttons = [b["callback_data"] for row in msg["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons == ["learn", "skip"]
    assert srv.sent_messages(USER) == [msg]
    # the user's /start was message 1 of the chat, the bot's reply is message 2
    assert msg["message_id"] == 2


async def test_button_press_answers_and_edits(telegram_server: FakeTelegram, bot_app):
    srv = telegram_server
    srv.user_sends("/start")
    [sent] = await srv.wait_for("sendMessage", chat_id=USER)

    srv.user_presses("learn")
    [answer] = await srv.wait_for("answerCallbackQuery", chat_id=USER)
    [edit] = await srv.wait_for("editMessageText", chat_id=USER)

    assert answer.ok and answer.params["text"] == "Đã nhận"
    assert edit.ok and edit.params["message_id"] == sent.result["message_id"]
    assert edit.result["text"] == "Bạn chọn: learn"
    assert "reply_markup" not in edit.result  # edit without reply_markup drops the keyboard
    current = srv.message(USER, sent.result["message_id"])
    assert current["text"] == "Bạn chọn: learn" and "edit_date" in current

    with pytest.raises(AssertionError, match="no button"):
        srv.user_presses("learn")  # the keyboard is gone now


async def test_odd_updates_do_not_stop_polling(telegram_server: FakeTelegram, bot_app):
    srv = telegram_server
    now = int(time.time())
    user = {"id": USER, "is_bot": False, "first_name": "Lan", "language_code": "vi"}
    chat = {"id": USER, "type": "private", "first_name": "Lan"}
    srv.queue_update(
        {
            "message": {
                "message_id": 40,
                "from": user,
                "chat": chat,
                "date": now,
                "sticker": {
                    "file_id": "CAACAgIAAxkBAAEBsticker",
                    "file_unique_id": "AgADsticker",
                    "type": "regular",
                    "width": 512,
                    "height": 512,
                    "is_animated": False,
                    "is_video": False,
                    "emoji": "👍",
                },
            }
        }
    )
    srv.queue_update(
        {
            "edited_message": {
                "message_id": 40,
                "from": user,
                "chat": chat,
                "date": now,
                "edit_date": now + 1,
                "text": "sửa lại",
            }
        }
    )
    srv.user_blocks_bot(USER)
    srv.queue_update({"some_future_update": {"id": 1, "shiny": True}})
    last = srv.user_sends("vẫn nghe chứ?")  # also unblocks first (my_chat_member kicked->member)

    [reply] = await srv.wait_for("sendMessage", chat_id=USER)
    assert reply.ok and reply.result["text"] == "echo: vẫn nghe chứ?"
    # everything was confirmed by a later getUpdates offset
    await srv.wait_for(
        lambda c: c.method == "getUpdates" and (c.params.get("offset") or 0) > last, since=0
    )
    assert srv.pending_updates == []
    assert srv.errors == []


async def test_polling_survives_5xx_on_get_updates(telegram_server: FakeTelegram, bot_app):
    srv = telegram_server
    srv.user_sends("một")  # make sure polling is up before injecting faults
    await srv.wait_for("sendMessage", chat_id=USER)

    srv.fail("getUpdates", status=500)  # JSON error body
    srv.fail("getUpdates", status=502)  # nginx HTML body
    srv.user_sends("hai")  # ends the pending long poll; the next two polls fail
    failed = await srv.wait_for("getUpdates", ok=False, count=2, timeout=5)
    assert [c.status for c in failed] == [500, 502]
    assert failed[0].response["description"] == "Internal Server Error"
    assert "502 Bad Gateway" in failed[1].response

    srv.user_sends("ba")  # PTB backs off 1 s, then 1.5 s, then polls again
    [reply] = await srv.wait_for("sendMessage", chat_id=USER, timeout=6)
    assert reply.params["text"] == "echo: ba"
    assert [m["text"] for m in srv.sent_messages(USER)] == ["echo: một", "echo: hai", "echo: ba"]


async def test_webhook_delivery_to_ptb_webhook_server(telegram_server: FakeTelegram):
    srv = telegram_server
    app = build_app(srv)
    port = free_port()
    await app.initialize()
    await app.start()
    await app.updater.start_webhook(
        listen="127.0.0.1",
        port=port,
        url_path="tg-hook",
        webhook_url=f"http://127.0.0.1:{port}/tg-hook",
        secret_token="s3cret",
    )
    try:
        [set_call] = await srv.wait_for("setWebhook", since=0)
        assert set_call.params["url"] == f"http://127.0.0.1:{port}/tg-hook"
        assert srv.webhook["secret_token"] == "s3cret"

        assert await srv.post_webhook(srv.text_update("/start"), secret="wrong") == 403
        status = await srv.post_webhook(srv.text_update("/start"), secret="s3cret")
        assert status == 200
        [reply] = await srv.wait_for("sendMessage", chat_id=USER)
        assert reply.result["text"].startswith("Xin chào")
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


# ------------------------------------------------------------------ a bare Bot


async def test_retry_after_on_send_message(telegram_server: FakeTelegram, bot, monkeypatch):
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # PTB 22 deprecates int retry_after
    telegram_server.fail("sendMessage", status=429, retry_after=7)

    with pytest.raises(RetryAfter) as excinfo:
        await bot.send_message(USER, "hello")
    assert excinfo.value.retry_after == dtm.timedelta(seconds=7)
    [failed] = await telegram_server.wait_for("sendMessage")
    assert failed.response == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 7",
        "parameters": {"retry_after": 7},
    }

    msg = await bot.send_message(USER, "hello again")  # the fault was used up
    assert msg.text == "hello again"


async def test_forbidden(telegram_server: FakeTelegram, bot):
    telegram_server.fail("sendMessage", status=403)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(USER, "hello")

    telegram_server.user_blocks_bot(2002)
    with pytest.raises(Forbidden):
        await bot.send_chat_action(2002, "typing")
    telegram_server.user_unblocks_bot(2002)
    assert await bot.send_chat_action(2002, "typing")


async def test_fault_counts_and_wildcard(telegram_server: FakeTelegram, bot):
    telegram_server.fail("*", status=500, times=3)
    for _ in range(3):
        with pytest.raises(NetworkError):
            await bot.get_me()
    assert (await bot.get_me()).username == "test_bot"

    telegram_server.fail("getMe", status=502, body="upstream down")
    telegram_server.fail("getMe", status=503, description="Service Unavailable: restarting")
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.get_me()
    with pytest.raises(NetworkError, match="restarting"):
        await bot.get_me()

    telegram_server.fail("getMe", status=500, times=None)
    telegram_server.clear_faults()
    assert await bot.get_me()


async def test_slow_answer_times_out(telegram_server: FakeTelegram, bot):
    telegram_server.slow("sendMessage", 1.0)
    with pytest.raises(TimedOut):
        await bot.send_message(USER, "hello", read_timeout=0.2)
    assert (await bot.send_message(USER, "fast")).text == "fast"


async def test_send_document_upload_and_download(telegram_server: FakeTelegram, bot):
    data = b"PK\x03\x04 fake xlsx \x00\xff bytes"
    msg = await bot.send_document(USER, document=data, filename="bao-cao.xlsx", caption="Báo cáo")

    [call] = await telegram_server.wait_for("sendDocument", chat_id=USER)
    assert call.files["document"] == ("bao-cao.xlsx", data)
    assert call.params["caption"] == "Báo cáo"
    assert msg.document.file_name == "bao-cao.xlsx"
    assert msg.document.file_size == len(data)
    assert msg.caption == "Báo cáo"

    tg_file = await bot.get_file(msg.document.file_id)
    assert tg_file.file_path.startswith(telegram_server.root_url + "/file/bot")
    assert bytes(await tg_file.download_as_bytearray()) == data

    # re-sending by file_id needs no upload
    again = await bot.send_document(USER, document=msg.document.file_id)
    assert again.document.file_unique_id == msg.document.file_unique_id


async def test_send_photo(telegram_server: FakeTelegram, bot):
    png = tiny_png(3, 2)
    msg = await bot.send_photo(USER, photo=png, filename="chart.png")
    [call] = await telegram_server.wait_for("sendPhoto")
    assert call.files["photo"] == ("chart.png", png)
    assert (msg.photo[-1].width, msg.photo[-1].height) == (3, 2)

    with pytest.raises(BadRequest, match="(?i)image_process_failed"):
        await bot.send_photo(USER, photo=b"not an image", filename="x.jpg")


async def test_user_document_download(telegram_server: FakeTelegram, bot):
    telegram_server.user_sends_document(b"a,b\n1,2\n", "data.csv")
    [update] = await bot.get_updates(timeout=0)
    doc = update.message.document
    assert doc.file_name == "data.csv" and doc.mime_type == "text/csv"
    tg_file = await doc.get_file()
    assert bytes(await tg_file.download_as_bytearray()) == b"a,b\n1,2\n"


async def test_set_my_commands_is_recorded(telegram_server: FakeTelegram, bot):
    commands = [BotCommand("start", "Bắt đầu"), BotCommand("help", "Trợ giúp")]
    assert await bot.set_my_commands(commands, language_code="vi")
    assert await bot.set_my_commands(
        [BotCommand("admin", "Quản trị")], scope=BotCommandScopeChat(USER)
    )

    [call] = await telegram_server.wait_for("setMyCommands")
    assert call.params["commands"] == [
        {"command": "start", "description": "Bắt đầu"},
        {"command": "help", "description": "Trợ giúp"},
    ]
    assert call.params["language_code"] == "vi"
    assert telegram_server.commands(language_code="vi") == call.params["commands"]
    assert [c.command for c in await bot.get_my_commands(language_code="vi")] == ["start", "help"]
    assert await bot.get_my_commands() == ()
    scoped = await bot.get_my_commands(scope=BotCommandScopeChat(USER))
    assert [c.command for c in scoped] == ["admin"]

    assert await bot.delete_my_commands(language_code="vi")
    assert await bot.get_my_commands(language_code="vi") == ()
    with pytest.raises(BadRequest, match="(?i)bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Bad-Command", "x")])


async def test_webhook_blocks_get_updates(telegram_server: FakeTelegram, bot):
    telegram_server.user_sends("đang chờ")
    assert await bot.set_webhook(
        "https://example.com/hook", secret_token="abc_123", allowed_updates=["message"]
    )
    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates(timeout=0)

    info = await bot.get_webhook_info()
    assert info.url == "https://example.com/hook"
    assert info.pending_update_count == 1
    assert info.allowed_updates == ("message",)

    assert await bot.delete_webhook(drop_pending_updates=True)
    assert await bot.get_updates(timeout=0) == ()
    assert (await bot.get_webhook_info()).url == ""
    assert await bot.close()
    assert await bot.log_out()


async def test_long_poll_returns_when_update_arrives(telegram_server: FakeTelegram, bot):
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    assert not poll.done()
    update_id = telegram_server.user_sends("xin chào")
    [update] = await poll
    assert time.monotonic() - started < 2
    assert update.update_id == update_id and update.message.text == "xin chào"

    # not confirmed yet -> delivered again; offset confirms (deletes) it
    assert [u.update_id for u in await bot.get_updates(timeout=0)] == [update_id]
    assert await bot.get_updates(offset=update_id + 1, timeout=0) == ()
    assert telegram_server.pending_updates == []

    # empty long poll waits ~timeout
    started = time.monotonic()
    assert await bot.get_updates(timeout=0.3) == ()
    assert 0.25 < time.monotonic() - started < 2


async def test_parse_modes(telegram_server: FakeTelegram, bot):
    msg = await bot.send_message(
        USER, "<b>Chào</b> bạn &amp; <a href='https://sxsh.vn'>web</a>", parse_mode=ParseMode.HTML
    )
    assert msg.text == "Chào bạn & web"
    assert [(e.type, e.offset, e.length) for e in msg.entities] == [
        ("bold", 0, 4),
        ("text_link", 11, 3),
    ]
    assert msg.entities[1].url == "https://sxsh.vn"

    with pytest.raises(BadRequest, match='(?i)can.t parse entities: unsupported start tag "br"'):
        await bot.send_message(USER, "dòng 1<br>dòng 2", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="(?i)can't parse entities"):
        await bot.send_message(USER, "giá < 5", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="(?i)character '.' is reserved"):
        await bot.send_message(USER, "*Giá* 1.000đ", parse_mode=ParseMode.MARKDOWN_V2)

    md = await bot.send_message(USER, "*Giá* 1\\.000đ", parse_mode=ParseMode.MARKDOWN_V2)
    assert md.text == "Giá 1.000đ" and md.entities[0].type == "bold"


async def test_edit_not_modified_and_errors(telegram_server: FakeTelegram, bot):
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("OK", callback_data="ok")]])
    msg = await bot.send_message(USER, "Câu hỏi", reply_markup=keyboard)
    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await bot.edit_message_text("Câu hỏi", USER, msg.message_id, reply_markup=keyboard)
    edited = await bot.edit_message_reply_markup(USER, msg.message_id, reply_markup=None)
    assert edited.reply_markup is None
    with pytest.raises(BadRequest, match="(?i)message to edit not found"):
        await bot.edit_message_text("x", USER, 999)
    with pytest.raises(BadRequest, match="(?i)button_data_invalid"):
        await bot.send_message(
            USER,
            "x",
            reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton("b", callback_data="d" * 65)]]
            ),
        )
    with pytest.raises(BadRequest, match="(?i)query is too old"):
        await bot.answer_callback_query("12345")


async def test_wait_for_timeout_reports_what_was_sent(telegram_server: FakeTelegram, bot):
    telegram_server.user_sends("hi")
    await bot.send_message(USER, "something else")
    with pytest.raises(AssertionError) as excinfo:
        await telegram_server.wait_for(
            lambda c: c.params.get("text") == "expected", chat_id=USER, timeout=0.3
        )
    report = str(excinfo.value)
    assert "sendMessage" in report and "something else" in report


# ------------------------------------------------------------------ raw HTTP


async def test_raw_http_envelopes(telegram_server: FakeTelegram):
    srv = telegram_server
    srv.user_sends("/start")
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{srv.root_url}/botnot-a-token/getMe") as resp:
            assert resp.status == 401
            assert await resp.json() == {
                "ok": False,
                "error_code": 401,
                "description": "Unauthorized",
            }
        async with http.post(f"{srv.root_url}/bot{TOKEN}/noSuchMethod") as resp:
            assert resp.status == 404
            assert await resp.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found",
            }
        # JSON body, lower-case method name, reply_markup as a JSON string
        markup = '{"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}'
        async with http.post(
            f"{srv.root_url}/bot{TOKEN}/sendmessage",
            json={"chat_id": USER, "text": "123", "reply_markup": markup},
        ) as resp:
            body = await resp.json()
            assert resp.status == 200 and body["ok"] is True
            assert body["result"]["text"] == "123"
            assert body["result"]["reply_markup"]["inline_keyboard"][0][0]["text"] == "A"
        # urlencoded body, the way PTB sends it
        async with http.post(
            f"{srv.root_url}/bot{TOKEN}/sendMessage",
            data={"chat_id": str(USER), "text": "456", "reply_markup": markup},
        ) as resp:
            body = await resp.json()
            assert body["result"]["message_id"] == 3  # 1 = user's /start, 2 = previous reply
            assert body["result"]["text"] == "456"
        async with http.get(f"{srv.root_url}/bot{TOKEN}/getUpdates?timeout=0") as resp:
            body = await resp.json()
            assert body["result"][0]["message"]["entities"] == [
                {"type": "bot_command", "offset": 0, "length": 6}
            ]
    sent = [c for c in srv.calls if c.method == "sendMessage"]
    assert [c.params["chat_id"] for c in sent] == [USER, USER]
    assert [c.content_type for c in sent] == [
        "application/json",
        "application/x-www-form-urlencoded",
    ]


async def test_token_ok_restricts_tokens():
    async with FakeTelegram(token_ok=TOKEN) as srv:
        other = "42:AAanotherTokenThatIsWellFormed_xyz"
        with pytest.raises(InvalidToken):
            async with Bot(other, base_url=srv.base_url):
                pass
        assert srv.calls[-1].status == 401
        async with srv.make_bot() as good:
            assert good.id == 123456789


async def test_builder_and_polling_helpers(telegram_server: FakeTelegram):
    srv = telegram_server
    received: list[str] = []

    async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        tg_file = await update.message.document.get_file()
        received.append((await tg_file.download_as_bytearray()).decode())
        await update.message.reply_text(f"Đã nhận {update.message.document.file_name}")

    app = srv.application_builder().build()
    app.add_handler(MessageHandler(filters.Document.ALL, on_document))
    async with srv.polling(app):
        srv.user_sends_document("mã,tên\n1,Lan\n".encode(), "danh-sach.csv", user_id=7)
        [reply] = await srv.wait_for("sendMessage", chat_id=7)
    assert reply.result["text"] == "Đã nhận danh-sach.csv"
    assert received == ["mã,tên\n1,Lan\n"]
    assert srv.calls[-1].method == "getUpdates"  # PTB confirms the offset when stopping
