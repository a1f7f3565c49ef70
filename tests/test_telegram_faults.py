"""Platform faults through the product's real PTB Application and the local Bot API server: a bad
update, a hiccup at start, a failed send, a 429 on one chat, a flood from one person."""

from __future__ import annotations

import asyncio

import pytest

from bot.app import build_conversation
from bot.channels.telegram.updates import ALLOWED_UPDATES
from tests.conftest import make_settings
from tests.resilience_support import confirmed, running, srv  # noqa: F401
from tests.support.telegram_server import DEFAULT_TOKEN, BotApiError

HELP = "Cách dùng bot"


def bot_settings(srv, sqlite_url, **limits):  # noqa: F811
    return make_settings(
        sqlite_url,
        telegram_token=DEFAULT_TOKEN,
        telegram_api_url=srv.root_url,
        **{f"limits_{k}": v for k, v in limits.items()},
    )


@pytest.fixture
def conv(srv, sqlite_url, clock):  # noqa: F811
    conversation = build_conversation(bot_settings(srv, sqlite_url), clock=clock)
    yield conversation
    conversation.engine.dispose()


def texts(srv, chat_id, since=0) -> list[str]:  # noqa: F811
    return [
        c.params.get("text", "")
        for c in srv.calls[since:]
        if c.method == "sendMessage" and c.ok and c.chat_id == chat_id
    ]


def message(update_id: int, user_id: int, text: str) -> dict:
    user = {"id": user_id, "is_bot": False, "first_name": "Lan"}
    chat = {"id": user_id, "type": "private", "first_name": "Lan"}
    return {
        "update_id": update_id,
        "message": {"message_id": 1, "date": 0, "chat": chat, "from": user, "text": text},
    }


# -- issue 8 item 1: one unparseable update ------------------------------------------------------


async def test_an_update_ptb_cannot_read_is_skipped_once_and_the_others_answered(
    srv,  # noqa: F811
    conv,
    caplog,
):
    async with running(srv, conv, conv.settings):
        voter = {"id": 1001, "is_bot": False, "first_name": "Nguyễn Văn An"}
        # No poll_id, which PTB 22 requires (an older or self-hosted Bot API server sends this).
        srv.queue_update({"update_id": 900, "poll_answer": {"option_ids": [0], "user": voter}})
        srv.queue_update(message(901, 1002, "/help"))
        [call] = await srv.wait_for("sendMessage", chat_id=1002, timeout=30)
        assert HELP in call.params["text"]
        await confirmed(srv)
    skipped = [r for r in caplog.records if "900" in r.getMessage() and "skipped" in r.message]
    assert len(skipped) == 1  # logged once, not refetched
    assert "Nguyễn" not in caplog.text


async def test_the_bot_asks_only_for_the_update_types_it_uses(srv, conv):  # noqa: F811
    bad_poll_answer = {"poll_answer": {"option_ids": [0], "user": {"id": 5, "is_bot": False}}}
    async with running(srv, conv, conv.settings, allowed_updates=ALLOWED_UPDATES):
        srv.queue_update(bad_poll_answer)  # no poll_id: PTB 22 cannot parse it
        srv.user_sends("/help")
        [call] = await srv.wait_for("sendMessage", chat_id=1001, timeout=30)
        assert HELP in call.params["text"]
    polls = [c for c in srv.calls if c.method == "getUpdates"]
    assert polls[-1].params["allowed_updates"] == ALLOWED_UPDATES
    assert "poll_answer" not in ALLOWED_UPDATES


# -- issue 8 item 3: a hiccup at start ------------------------------------------------------------


async def test_a_hiccup_at_start_does_not_stop_the_bot(srv, conv):  # noqa: F811
    srv.fail("getMe", status=500)
    srv.slow("getMe", 6)  # past PTB's 5 s read timeout: a timeout
    srv.fail("deleteWebhook", status=502)
    srv.fail("setMyCommands", status=500, times=None)  # cosmetic: may fail for good
    async with running(srv, conv, conv.settings):
        srv.user_sends("/help")
        [call] = await srv.wait_for("sendMessage", chat_id=1001, timeout=30)
        assert HELP in call.params["text"]
    statuses = [c.status for c in srv.calls if c.method == "getMe"]
    assert statuses[0] == 500 and 200 in statuses


# -- issue 8 item 4: a failed send while answering --------------------------------------------


async def test_a_5xx_on_an_answer_is_tried_again_and_the_next_question_still_shown(
    srv,  # noqa: F811
    conv,
):
    async with running(srv, conv, conv.settings):
        srv.user_sends("/assess")
        [consent] = await srv.wait_for(
            lambda c: "Đồng ý" in str(c.params.get("reply_markup")), chat_id=1001, timeout=30
        )
        data = next(
            b["callback_data"]
            for row in consent.params["reply_markup"]["inline_keyboard"]
            for b in row
            if "Đồng ý" in b["text"]
        )
        srv.user_presses(data)
        await srv.wait_for(lambda c: "Câu 1/" in str(c.params.get("text")), timeout=30)
        start = srv.mark()
        srv.fail("sendMessage", status=502)  # nginx page, not JSON
        srv.fail("sendMessage", status=500)
        srv.user_sends("Công ty TNHH Thủy sản Demo")
        await srv.wait_for(lambda c: "Câu 2/" in str(c.params.get("text")), ok=True, timeout=30)
    assert [c.status for c in srv.calls[start:] if c.method == "sendMessage"] == [502, 500, 200]


async def test_one_reply_that_cannot_be_sent_does_not_drop_the_next(srv, conv):  # noqa: F811
    """/assess answers with two messages; the first fails on every try, the second arrives."""
    async with running(srv, conv, conv.settings):
        srv.fail("sendMessage", status=500, times=conv.settings.limits.reply_attempts)
        srv.user_sends("/assess")
        await srv.wait_for(
            lambda c: "Đồng ý" in str(c.params.get("reply_markup")), ok=True, timeout=30
        )


# -- issue 8 item 2: one person never stalls the others ---------------------------------------


def sends_slowly_to(srv, chat_id: int, seconds: float, status: int | None = None):  # noqa: F811
    """The first sendMessage to `chat_id` takes `seconds` (or fails with 429 `status`)."""
    name, real = srv._methods["sendmessage"]
    held = []

    async def send(params, files):
        if int(params.get("chat_id")) == chat_id and not held:
            held.append(True)
            if status == 429:
                raise BotApiError(429, "Too Many Requests", {"retry_after": seconds})
            await asyncio.sleep(seconds)
        return real(params, files)

    srv.register(name, send)


async def test_a_429_on_one_chat_does_not_make_another_wait(srv, conv):  # noqa: F811
    sends_slowly_to(srv, 1001, 10, status=429)
    async with running(srv, conv, conv.settings):
        srv.user_sends("/help", user_id=1001)
        await srv.wait_for("sendMessage", chat_id=1001, ok=False, timeout=30)
        srv.user_sends("/help", user_id=1002)
        await srv.wait_for("sendMessage", chat_id=1002, ok=True, timeout=30)
        assert texts(srv, 1001) == []  # 1001 still waits out its 429
        await srv.wait_for("sendMessage", chat_id=1001, ok=True, timeout=30)


async def test_people_are_answered_concurrently_each_in_order(srv, conv):  # noqa: F811
    sends_slowly_to(srv, 1001, 8)
    async with running(srv, conv, conv.settings):
        srv.user_sends("/help", user_id=1001)
        srv.user_sends("/lang", user_id=1001)
        srv.user_sends("/help", user_id=1002)
        await srv.wait_for("sendMessage", chat_id=1002, ok=True, timeout=30)
        assert texts(srv, 1001) == []  # 1001's first answer is still on its way
        await srv.wait_for("sendMessage", chat_id=1001, count=2, timeout=30)
    first, second = texts(srv, 1001)
    assert HELP in first and "Chọn ngôn ngữ" in second  # in the order they were sent


async def test_a_flood_gets_one_polite_notice_and_others_are_answered(
    srv,  # noqa: F811
    sqlite_url,
    clock,
):
    settings = bot_settings(srv, sqlite_url, flood_burst=3, flood_per_minute=0.001)
    conversation = build_conversation(settings, clock=clock)
    try:
        async with running(srv, conversation, settings):
            for _ in range(20):
                srv.user_sends("/help", user_id=1001)
            srv.user_sends("/help", user_id=1002)
            await srv.wait_for("sendMessage", chat_id=1002, ok=True, timeout=30)
            await srv.wait_for("sendMessage", chat_id=1001, count=4, timeout=30)
            await confirmed(srv)
            srv.user_sends("/help", user_id=1002)  # handled after the flood, in order
            await srv.wait_for("sendMessage", chat_id=1002, ok=True, timeout=30)
            await asyncio.sleep(0.5)  # the flood's 16 remaining messages are dropped, not queued
    finally:
        conversation.engine.dispose()
    sent = texts(srv, 1001)
    assert sum(HELP in t for t in sent) == 3
    assert [t for t in sent if HELP not in t] == [conversation.content.texts.get("vi", "slow_down")]
