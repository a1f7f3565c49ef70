"""Delivery-lane benchmark: a broadcast through the real PTB Bot against the local Bot API server,
which enforces Telegram's limits (30 messages/s overall, 1/s per chat: 429 with retry_after when
exceeded). Prints the sustained rate as a fraction of the limit, the 429s received, the most
messages seen in any one-second window, and how long an officer's answer enqueued in the middle
of the broadcast waited.

Run:  .venv/bin/python -m benchmarks.delivery_rate [--messages 900] [--rate 30] [--database URL]

The rate is what the lanes achieve on this machine; a busy machine lowers it (CPU for the event
loop and the database writes of each row), the limiters never raise it above the limit.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections import deque
from pathlib import Path

from bot.app import build_conversation
from bot.channels.telegram import TelegramSender
from bot.delivery import Delivery, Kind, KindTable, Limits
from bot.delivery.lanes import registered_kinds
from bot.settings import load_settings
from handlers.clock import SystemClock
from handlers.messages import Reply
from storage import contacts, outbox
from storage.db import session_scope
from tests.support.telegram_server import BotApiError, FakeTelegram
from tests.test_delivery_telegram import ask_and_answer

ROOT = Path(__file__).resolve().parents[1]


def news(session, content, contact, payload, now):  # noqa: ANN001
    return [Reply(text=payload["t"])]


def enforce_limits(srv: FakeTelegram, per_second: float, per_chat: float) -> dict:
    """Answer 429 like Telegram when more than the limits arrive (sliding one-second window)."""
    original = srv._api_sendMessage
    window: deque[float] = deque()
    last_per_chat: dict[object, float] = {}
    seen = {"429": 0, "max_in_1s": 0, "times": []}

    def send_message(params, files):  # noqa: ANN001
        now = time.monotonic()
        while window and now - window[0] >= 1.0:
            window.popleft()
        chat = params.get("chat_id")
        too_fast = now - last_per_chat.get(chat, -1e9) < (1 / per_chat) * 0.9
        if len(window) >= per_second or too_fast:
            seen["429"] += 1
            raise BotApiError(429, "Too Many Requests: retry after 1", {"retry_after": 1})
        window.append(now)
        last_per_chat[chat] = now
        seen["max_in_1s"] = max(seen["max_in_1s"], len(window))
        seen["times"].append(now)
        return original(params, files)

    srv.register("sendMessage", send_message)
    return seen


async def main_async(messages: int, rate: float, database: str | None) -> None:
    tmp = Path(tempfile.mkdtemp())
    async with FakeTelegram() as srv:
        url = database or f"sqlite:///{tmp / 'bench.db'}"
        settings = load_settings(database_url=url, content_dir=ROOT / "content")
        clock = SystemClock()
        conv = build_conversation(settings, clock=clock)
        with session_scope(conv.engine) as s:
            for i in range(messages):
                c, _ = contacts.touch(s, "telegram", str(10_000 + i), clock.now())
                s.flush()
                outbox.enqueue(s, f"bench:{i}", c.id, "news", clock.now(), {"t": f"Tin {i}"})
        seen = enforce_limits(srv, rate, 1.0)
        kinds = KindTable(lambda: {**registered_kinds(), "news": Kind(news, lane="bulk")})
        async with srv.make_bot() as bot:
            limits = Limits(per_second=rate, per_chat_per_second=1.0)
            delivery = Delivery(
                conv.engine,
                conv,
                clock,
                {"telegram": TelegramSender(bot)},
                batch=max(1, int(rate)),
                limits={"telegram": limits},
                kinds=kinds,
            )
            started = time.monotonic()
            drain = asyncio.create_task(delivery.drain())
            await asyncio.sleep(5)  # the broadcast is under way; then an officer answers
            ask_and_answer(conv, clock, "Trả lời của cán bộ", user_id=1001)
            asked = time.monotonic()
            await srv.wait_for("sendMessage", chat_id=1001, timeout=120)
            reply_wait = time.monotonic() - asked
            await drain
            while True:  # rows put back after a 429 come due again
                counts = await delivery.drain()
                if not counts:
                    break
                await asyncio.sleep(0.5)
            elapsed = time.monotonic() - started
        conv.engine.dispose()
    times = seen["times"]
    span = times[-1] - times[0] if len(times) > 1 else float("nan")
    sustained = (len(times) - 1) / span if span else float("nan")
    print(f"database: {url.split(':')[0]}; messages: {len(times)} (broadcast {messages} + 1)")
    print(f"limit: {rate:g}/s overall, 1/s per chat (enforced by the server)")
    print(f"sustained rate: {sustained:.2f}/s = {sustained / rate:.3f} of the limit")
    print(f"429s received: {seen['429']}; most messages in one second: {seen['max_in_1s']}")
    print(f"officer answer enqueued mid-broadcast reached the person after {reply_wait:.2f} s")
    print(f"total time {elapsed:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=900)
    parser.add_argument("--rate", type=float, default=30.0)
    parser.add_argument("--database", help="database URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    asyncio.run(main_async(args.messages, args.rate, args.database))


if __name__ == "__main__":
    main()
