"""Time-based work in the bot's process (APScheduler 3): deliver due outbox rows and run
housekeeping. The schedule itself lives in the database (the outbox), so nothing is lost
when a process dies; the scheduler only decides how often to look. Each look drains the lanes
(everything due, at each lane's rate), not a fixed number of rows."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler

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
        scheduler.add_job(
            _logged(_in_thread(job), f"maintenance-{index}"),
            "interval",
            # A registry job carries its own interval (handlers.capability.Job).
            minutes=getattr(job, "every_minutes", 30),
            id=f"maintenance-{index}",
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
    async def run() -> None:
        try:
            result = await fn()
            if result:
                log.info("%s: %s", name, result)
        except Exception:
            log.exception("scheduled job %s failed", name)

    return run
