"""How long the officers' inbox (/inbox, formerly /questions) takes with many open tickets (it
must not load 40,000 rows). Measures, does not assert.

Run:  .venv/bin/python -m benchmarks.officer_list [--questions 40000] [--db sqlite|URL]

Fills a throw-away SQLite database (or the PostgreSQL URL given) with open tickets from 2,000
people (a third of them requests for a person); then an officer asks for page 1 and the last
page. Prints the time per page and the Python memory peak while building it.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert
from sqlmodel import select

from bot.app import build_conversation
from bot.settings import load_settings
from handlers.clock import FrozenClock
from handlers.messages import Inbound
from storage.db import session_scope
from storage.models import Contact
from storage.tickets_models import Ticket


def fill(conversation, total: int, others: int = 2000) -> None:  # noqa: ANN001
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with session_scope(conversation.engine) as s:
        s.exec(
            insert(Contact),
            params=[
                {
                    "channel": "console",
                    "platform_id": f"p{i}",
                    "language": "vi",
                    "role": "enterprise",
                    "status": "active",
                    "first_seen": start,
                    "last_seen": start,
                }
                for i in range(others + 1)
            ],
        )
        ids = list(s.exec(select(Contact.id).order_by(Contact.id)).all())
    rows = []
    for n in range(total):
        moment = start + timedelta(seconds=n)
        rows.append(
            {
                "contact_id": ids[n % others],
                "channel": "console",
                "source": "person" if n % 3 == 0 else "unanswered",
                "status": "open" if n % 4 else "pending",
                "question": f"Câu hỏi số {n}\nvới một dòng nữa",
                "lang": "vi",
                "opened_at": moment,
                "updated_at": moment,
                "opening": 1,
                "person_told": True,
                "reminders_sent": 0,
            }
        )
    with session_scope(conversation.engine) as s:
        s.exec(insert(Ticket), params=rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=40_000)
    parser.add_argument("--db", default="sqlite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}" if args.db == "sqlite" else args.db
        settings = load_settings(database_url=url, officer_ids="console:officer")
        conv = build_conversation(settings, clock=FrozenClock(datetime(2026, 6, 1, tzinfo=UTC)))
        fill(conv, args.questions)
        for page in ("", "9999"):
            times = []
            for _ in range(5):
                tracemalloc.start()
                t0 = time.perf_counter()
                [reply] = conv.handle(
                    Inbound(channel="console", user_id="officer", text=f"/inbox {page}")
                )
                times.append(time.perf_counter() - t0)
                peak = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
            lines = [x for x in reply.text.splitlines() if x.startswith("#")]
            print(
                f"/inbox {page or '1'}: {args.questions} open tickets, "
                f"{len(lines)} lines shown, median {statistics.median(times) * 1000:.0f} ms, "
                f"Python memory peak {peak / 1e6:.1f} MB"
            )
            print("  " + reply.text.splitlines()[0])
        conv.engine.dispose()


if __name__ == "__main__":
    main()
