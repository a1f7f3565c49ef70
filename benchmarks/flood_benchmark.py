"""Flood benchmark: one person floods the bot while another asks a question; how long does the
other person wait for their answer? (issue 8 item 2; a measurement, not a test)

Run:  .venv/bin/python -m benchmarks.flood_benchmark [--flood 200] [--rounds 3]

The product's real PTB Application polls the local Bot API server (tests/support) on a fresh
SQLite file. Person 1001 sends `--flood` questions at once; right after them person 2002 asks one
question. Printed per round: person 2002's reply time (question queued -> answer sent), how many
of the flood were answered, and the time until the bot was idle again. The same script runs on an
older commit (it only uses build_application, build_conversation and the fake server), so
before/after figures come from one command.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from bot.app import build_conversation
from bot.channels import telegram
from bot.settings import load_settings
from tests.support.telegram_server import DEFAULT_TOKEN, FakeTelegram

ROOT = Path(__file__).resolve().parents[1]
FLOODER, OTHER = 1001, 2002
QUESTION = "tiết kiệm nước trong nhà máy thế nào"


async def one_round(flood: int, db: Path) -> dict[str, float]:
    async with FakeTelegram() as srv:
        settings = load_settings(
            database_url=f"sqlite:///{db}",
            content_dir=ROOT / "content",
            telegram_token=DEFAULT_TOKEN,
            telegram_api_url=srv.root_url,
        )
        conversation = build_conversation(settings)
        app = telegram.build_application(conversation, settings, outbox_interval=3600)
        try:
            async with srv.polling(app, timeout=1):
                await app.post_init(app)
                srv.user_sends("/start", user_id=OTHER)  # warm up (model, first contact)
                await srv.wait_for("sendMessage", chat_id=OTHER, timeout=120)
                for i in range(flood):
                    srv.user_sends(f"tiết kiệm điện cho máy nén khí số {i}", user_id=FLOODER)
                start = srv.mark()
                asked = time.perf_counter()
                srv.user_sends(QUESTION, user_id=OTHER)
                await srv.wait_for("sendMessage", chat_id=OTHER, since=start, timeout=600)
                other_wait = time.perf_counter() - asked
                idle = await _idle(srv)
                answered = len([c for c in srv.calls if c.chat_id == FLOODER and c.ok])
                await app.post_shutdown(app)
        finally:
            conversation.engine.dispose()
    return {"other_wait_s": other_wait, "flood_answered": answered, "idle_after_s": idle}


async def _idle(srv: FakeTelegram, quiet: float = 2.0) -> float:
    """Seconds since the question until no call but getUpdates came for `quiet` seconds."""
    began = time.perf_counter()
    seen = len(srv.calls)
    last_change = time.perf_counter()
    while time.perf_counter() - last_change < quiet:
        await asyncio.sleep(0.2)
        busy = [c for c in srv.calls[seen:] if c.method != "getUpdates"]
        if busy:
            seen, last_change = len(srv.calls), time.perf_counter()
    return last_change - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flood", type=int, default=200, help="messages from the flooder")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    waits = []
    for n in range(args.rounds):
        with tempfile.TemporaryDirectory() as tmp:
            r = asyncio.run(one_round(args.flood, Path(tmp) / "bot.db"))
        waits.append(r["other_wait_s"])
        print(
            f"round {n + 1}: other person's reply {r['other_wait_s']:.2f} s; "
            f"flood answered {r['flood_answered']}/{args.flood}; "
            f"bot idle {r['idle_after_s']:.1f} s after the question"
        )
    median, worst = statistics.median(waits), max(waits)
    print(f"other person's reply time: median {median:.2f} s, max {worst:.2f} s")


if __name__ == "__main__":
    main()
