"""Time-based work in the bot's process (APScheduler 3): deliver due outbox rows and run
housekeeping. The schedule itself lives in the database (the outbox), so nothing is lost
when a process dies; the scheduler only decides how often to look. Each look drains the lanes
(everything due, at each lane's rate), not a fixed number of rows."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.exc import OperationalError

from bot.delivery import Delivery

log = logging.getLogger(__name__)
Maintenance = Callable[[], object]


def start_scheduler(
    delivery: Delivery,
    *,
    interval_seconds: float = 20,
    maintenance: list[Maintenance] | None = None,
    timezone: str = "Asia/Ho_Chi_Minh",
) -> AsyncIOScheduler:
    """Start the jobs on the running event loop; call `shutdown()` on stop."""
    scheduler = AsyncIOScheduler(timezone=timezone)
    scheduler.add_job(
        _logged(delivery.drain, "outbox"),
        "interval",
        seconds=interval_seconds,
        id="outbox",
        max_instances=1,
        coalesce=True,
    )
    for index, job in enumerate(maintenance or []):
        # A registry job's name (ticket_reminders, broadcasts...) is what its log lines say.
        name = getattr(job, "__name__", "") or f"maintenance-{index}"
        scheduler.add_job(
            _logged(_in_thread(job), name),
            "interval",
            # A registry job carries its own interval (handlers.capability.Job).
            minutes=getattr(job, "every_minutes", 30),
            id=name,  # two jobs of one name would fail at start (APScheduler: ConflictingIdError)
            max_instances=1,
            coalesce=True,
        )
    scheduler.start()
    return scheduler


def _in_thread(fn: Maintenance) -> Callable[[], Awaitable[object]]:
    async def run() -> object:
        return await asyncio.to_thread(fn)

    return run


def _logged(fn: Callable[[], Awaitable[object]], name: str) -> Callable[[], Awaitable[None]]:
    """Run `fn`, log what it did. The database being unreachable is one line when it starts
    and one when it ends, not a traceback every second of an outage (the job simply runs
    again at its next interval); any other failure is logged whole."""
    down = False

    async def run() -> None:
        nonlocal down
        try:
            result = await fn()
        except OperationalError as exc:
            if not down:
                log.error("%s: database unavailable, trying again each interval: %s", name,
                          str(exc.orig).splitlines()[0] if exc.orig else exc)  # fmt: skip
            down = True
            return
        except Exception:
            log.exception("scheduled job %s failed", name)
            return
        if down:
            log.warning("%s: database available again", name)
            down = False
        if result:
            log.info("%s: %s", name, result)

    return run
