"""Broadcast benchmark (issue 11): a broadcast to `--contacts` people through the product's own
Telegram Application (PTB polling, the delivery lanes and the jobs on its scheduler) against the
local Bot API server enforcing Telegram's limits (30 messages/s overall, 1/s per chat: 429 with
retry_after when exceeded). Some contacts stopped announcements, some blocked the bot.

Printed: the sustained send rate as a fraction of the limit (target >= 0.9), the 429s the server
gave (target 0), the reply time of questions people ask while it runs (target < 2 s), and the
broadcast's final counts per state and reason; last, one line starting "RESULT" with the
fraction, the 429s, the duration and the 1-minute load average before and after.

Run:  .venv/bin/python -m benchmarks.broadcast_rate [--contacts 3000] [--rate 30] [--batch 50]
      [--database URL]

The figures are this machine's: a busy machine lowers the rate (the event loop also writes each
row's outcome), the limiters never raise it above the limit.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import tempfile
import time
from pathlib import Path

from bot.app import build_conversation
from bot.channels import telegram
from bot.settings import load_settings
from handlers.broadcasts import service
from storage import broadcasts, contacts
from storage.db import session_scope
from storage.models import ContactStatus
from tests.support.telegram_server import DEFAULT_TOKEN, FakeTelegram

ROOT = Path(__file__).resolve().parents[1]
FIRST = 100_000  # platform ids of the recipients
ASKERS = (900_001, 900_002, 900_003)  # people who ask a question during the broadcast
QUESTION = "tiết kiệm nước trong nhà máy thế nào"
TEXT = "📣 Sở Công Thương Cần Thơ mời doanh nghiệp dự hội thảo SXSH ngày 05/12/2026."


async def main_async(n: int, rate: float, database: str | None, batch: int) -> None:
    logging.getLogger("apscheduler").setLevel(logging.ERROR)  # "skipped: already running"
    load_before = os.getloadavg()[0]  # 1-minute load average: a busy machine lowers the rate
    tmp = Path(tempfile.mkdtemp())
    url = database or f"sqlite:///{tmp / 'bench.db'}"
    async with FakeTelegram() as srv:
        settings = load_settings(
            database_url=url, content_dir=ROOT / "content", telegram_token=DEFAULT_TOKEN,
            telegram_api_url=srv.root_url, officer_ids="telegram:42",
            delivery_rate_per_second=rate, delivery_batch=batch,
        )  # fmt: skip
        conv = build_conversation(settings)
        with session_scope(conv.engine) as s:
            for i in range(n):
                c, _ = contacts.touch(s, "telegram", str(FIRST + i), conv.clock.now())
                if i % 50 == 7:
                    contacts.set_status(s, c, ContactStatus.stopped)
            s.flush()
        for i in range(11, n, 97):  # about 1% blocked the bot on Telegram (403 at the send)
            srv.user_blocks_bot(FIRST + i)
        app = telegram.build_application(conv, settings, outbox_interval=1)
        waits: list[float] = []
        async with srv.polling(app, timeout=1):
            await app.post_init(app)
            for uid in ASKERS:  # warm up (first contact, the search model)
                srv.user_sends("/start", user_id=uid)
                await srv.wait_for("sendMessage", chat_id=uid, timeout=120)
            srv.enforce_limits(per_second=rate, per_chat_per_second=1.0)
            with session_scope(conv.engine) as s:
                row = broadcasts.create(s, TEXT, {"all": True}, "cli:bench", conv.clock.now())
                service.confirm(s, row, "cli:bench", conv.clock.now(), settings, night_ok=True)
                bid = row.id
            started = time.monotonic()
            await srv.wait_for(lambda c: c.params.get("text") == TEXT, timeout=60)
            for uid in ASKERS:  # questions while the broadcast runs
                await asyncio.sleep(max(1.0, n / rate / 8))
                mark = srv.mark()
                asked = time.monotonic()
                srv.user_sends(QUESTION, user_id=uid)
                await srv.wait_for("sendMessage", chat_id=uid, since=mark, timeout=120)
                waits.append(time.monotonic() - asked)
            while True:
                with session_scope(conv.engine) as s:
                    broadcasts.sync(s, bid, conv.clock.now())
                    status = broadcasts.get(s, bid).status
                if status != "sending":
                    break
                await asyncio.sleep(1)
            elapsed = time.monotonic() - started
            await app.post_shutdown(app)
        with session_scope(conv.engine) as s:
            counts = broadcasts.counts(s, bid)
        conv.engine.dispose()
    times = srv.send_times
    # The sustained rate over the middle of the run (start-up and the tail excluded).
    lo, hi = int(len(times) * 0.05), int(len(times) * 0.95)
    span = times[hi] - times[lo] if hi > lo else float("nan")
    sustained = (hi - lo) / span if span else float("nan")
    print(f"database: {url.split(':')[0]}; contacts: {n}; batch {batch}; "
          f"limit {rate:g}/s overall, 1/s per chat")  # fmt: skip
    print(f"messages accepted by the server: {len(times)} in {elapsed:.1f} s")
    print(f"sustained rate: {sustained:.2f}/s = {sustained / rate:.3f} of the limit")
    print(f"429s from the server's limits: {srv.rate_429s}")
    print(
        f"reply time of {len(waits)} questions asked during it: "
        f"median {statistics.median(waits):.2f} s, max {max(waits):.2f} s"
    )
    for (channel, state, reason), count in sorted(counts.items()):
        print(f"  {channel} {state} {reason}: {count}")
    # The one line to quote: the fraction, the 429s, the duration and the load it ran under.
    load_after = os.getloadavg()[0]
    print(f"RESULT rate {sustained / rate:.3f} of {rate:g}/s; 429s {srv.rate_429s}; {n} "
          f"contacts in {elapsed:.1f} s; load {load_before:.2f} -> {load_after:.2f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=3000)
    parser.add_argument("--rate", type=float, default=30.0)
    parser.add_argument("--database", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--batch", type=int, default=50, help="rows a lane claims at a time")
    args = parser.parse_args()
    asyncio.run(main_async(args.contacts, args.rate, args.database, args.batch))


if __name__ == "__main__":
    main()
