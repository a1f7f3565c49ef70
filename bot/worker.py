"""The worker process: delivery lanes and scheduled jobs, no inbound messages (issue 9, 13).

`python -m bot.worker` runs until stopped (SIGTERM, Ctrl-C); `--once` delivers what is due and
exits. It imports the delivery code, the capability registry (every outbox kind's renderer and
lane, the scheduled jobs) and the channels' senders, never the router. Any number of workers
may share one PostgreSQL database: rows are claimed with FOR UPDATE SKIP LOCKED, so nothing is
sent twice. On SQLite run one process (`sxsh-bot run` already delivers)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import time
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from bot.delivery import Delivery, Sender
from bot.scheduler import start_scheduler
from bot.settings import Settings, configure_search, load_settings
from content.store import ContentStore
from content.texts import ContentError
from handlers.clock import Clock, clock_starting
from storage import app_state, migrate
from storage.db import make_engine, session_scope

log = logging.getLogger(__name__)
RELOAD_CHECK_SECONDS = 30  # how often the worker looks for content reloaded by an officer


@dataclass
class Content:
    """The content the lanes render with; follows `sxsh-bot content reload` in any process
    through the database's content generation, as the conversation does."""

    engine: Engine
    store: ContentStore
    generation: int = -1
    checked: float = field(default=0.0)

    @property
    def content(self) -> ContentStore:
        if time.monotonic() - self.checked >= RELOAD_CHECK_SECONDS:
            self.checked = time.monotonic()
            with session_scope(self.engine) as session:
                value = app_state.get_value(session, app_state.CONTENT_GENERATION, "0")
            generation = int(value or 0)
            if generation != self.generation:
                if self.generation != -1:
                    try:
                        self.store = ContentStore.load(self.store.directory)
                    except ContentError as exc:
                        log.error("reloaded content is invalid, keeping the old: %s", exc)
                self.generation = generation
        return self.store


async def open_senders(
    settings: Settings,
    stack: AsyncExitStack,
    engine: Engine | None = None,
    clock: Clock | None = None,
) -> dict[str, Sender]:
    """A sender per configured channel; closed with `stack`. Zalo OA needs the database (its
    tokens and reply windows live there)."""
    senders: dict[str, Sender] = {}
    if settings.telegram.token is not None:
        from telegram.error import TelegramError
        from telegram.ext import ExtBot
        from telegram.request import HTTPXRequest

        from bot.channels.telegram import TelegramSender
        from bot.channels.telegram.requests import ReplyLimiter, StartFailed, start_failure
        from bot.delivery import Limits
        from bot.delivery.shared_budget import SharedBudget

        root = settings.telegram.api_url.rstrip("/")
        url = settings.delivery.redis_url
        bot = ExtBot(
            settings.telegram.token.get_secret_value(),
            base_url=f"{root}/bot",
            base_file_url=f"{root}/file/bot",
            # One connection per chat sent to at once (PTB's default is a single connection,
            # which would queue the lanes' concurrent sends behind each other's round trips).
            request=HTTPXRequest(connection_pool_size=Limits().in_flight),
            # The lanes' throttle spaces the sends; the replies' limiter also counts each one
            # in the send window every process shares (requests.ReplyLimiter._take_window).
            rate_limiter=ReplyLimiter(
                per_second=settings.delivery.rate_per_second,
                per_chat_per_second=settings.delivery.rate_per_chat_per_second,
                shared=SharedBudget(url) if url else None,
            ),
        )
        try:
            await stack.enter_async_context(bot)  # getMe, retried (requests.STARTUP)
        except TelegramError as exc:
            raise StartFailed(start_failure(exc)) from None
        if bot.rate_limiter.shared is not None:
            stack.push_async_callback(bot.rate_limiter.shared.close)
        senders["telegram"] = TelegramSender(bot)
    if settings.zalo_oa.enabled and engine is not None and clock is not None:
        import httpx

        from bot.channels.zalo_oa.app import open_sender

        http = await stack.enter_async_context(
            httpx.AsyncClient(timeout=settings.zalo_oa.http_timeout)
        )
        senders["zalo_oa"] = open_sender(settings, engine, clock, http)
    return senders


def maintenance_jobs(
    engine: Engine, clock: Clock, settings: Settings
) -> list[Callable[[], object]]:
    """The capabilities' scheduled jobs, each in its own transaction (run in a thread)."""
    from handlers.registry import REGISTRY

    def bind(job):  # noqa: ANN001, ANN202
        def run() -> object:
            with session_scope(engine) as session:
                return job.run(session, clock.now(), settings)

        run.__name__, run.every_minutes = job.name, job.every_minutes
        return run

    return [bind(job) for job in REGISTRY.jobs]


async def run(
    settings: Settings,
    *,
    clock: Clock | None = None,
    once: bool = False,
    stop: asyncio.Event | None = None,
) -> dict[str, int]:
    """Deliver until `stop` is set (or once, returning the counts by outcome)."""
    migrate.upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    clock = clock or clock_starting(settings.clock_start)
    configure_search(settings)
    content = Content(engine, ContentStore.load(settings.content_dir))
    try:
        async with AsyncExitStack() as stack:
            senders = await open_senders(settings, stack, engine, clock)
            if settings.zalo_oa.left_off():
                log.warning("%s", settings.zalo_oa.left_off())
            if not senders and settings.zalo_bot.enabled:  # it said no channel was configured
                log.warning(
                    "the worker delivers for Telegram and Zalo OA only: the Zalo Bot's messages "
                    "are delivered by `sxsh-bot serve`; nothing to deliver here"
                )
            elif not senders:
                log.warning("no channel configured (SXSH_TELEGRAM_TOKEN): nothing to deliver")
            delivery = Delivery.from_settings(engine, content, clock, senders, settings.delivery)
            if "telegram" in senders:  # the throttle gave each send its slot: no second one
                senders["telegram"].bot.rate_limiter.budget = delivery.throttle("telegram").overall
            if once:
                return await delivery.drain()
            scheduler = start_scheduler(
                delivery,
                interval_seconds=settings.delivery.interval_seconds,
                maintenance=maintenance_jobs(engine, clock, settings),
                timezone=settings.timezone,
            )
            log.info(  # an operator's sign that it is up (it logged nothing before)
                "worker delivering %s, jobs scheduled", ", ".join(senders) or "no channel"
            )
            stop = stop or asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stop.set)
            try:
                await stop.wait()
            finally:
                scheduler.shutdown(wait=False)
            return {}
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.worker", description=__doc__)
    parser.add_argument("--once", action="store_true", help="deliver what is due, then exit")
    args = parser.parse_args(argv)
    from bot.app import setup_logging

    settings = load_settings()
    setup_logging(settings)
    counts = asyncio.run(run(settings, once=args.once))
    if args.once:
        print(" ".join(f"{k}={v}" for k, v in sorted(counts.items())) or "nothing due")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
