"""No second at the platform holds more than 30 of the bot's messages, however late its
requests reach it (issue 13): the local Bot API server enforces Telegram's 30/s and 1/s per
chat and holds the first requests up on their way, as a busy event loop or a slow connection
does; the bot's real PTB client and rate limiter send through it."""

from __future__ import annotations

import asyncio

from telegram.ext import ExtBot
from telegram.request import HTTPXRequest

from bot.channels.telegram.requests import ReplyLimiter
from tests.support.telegram_server import DEFAULT_TOKEN, FakeTelegram

CHATS = 40


def most_in_one_second(times: list[float]) -> int:
    times = sorted(times)
    return max(sum(1 for t in times[i:] if t - start < 1.0) for i, start in enumerate(times))


async def test_requests_held_up_on_their_way_never_make_31_in_a_second():
    async with FakeTelegram() as srv:
        srv.enforce_limits(per_second=30, per_chat_per_second=1)
        # The first five reach the platform 0.3 s after they left: counted when they left,
        # they were handled in the same second as the ones sent a second later (5-15 429s in
        # two minutes of the load benchmark).
        srv.slow("sendMessage", 0.3, times=5)
        bot = ExtBot(
            DEFAULT_TOKEN,
            base_url=srv.base_url,
            base_file_url=srv.base_file_url,
            request=HTTPXRequest(connection_pool_size=CHATS + 8),
            rate_limiter=ReplyLimiter(per_second=30, per_chat_per_second=1),
        )
        async with bot:
            await asyncio.gather(
                *(bot.send_message(chat_id=7000 + i, text=f"Tin {i}") for i in range(CHATS))
            )

        assert srv.rate_429s == 0
        for i in range(CHATS):  # each person got their message once
            assert [m["text"] for m in srv.sent_messages(7000 + i)] == [f"Tin {i}"]
        assert most_in_one_second(srv.send_times) <= 30
