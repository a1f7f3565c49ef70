"""Wiring: settings -> database (migrated) -> content -> the conversation core."""

from __future__ import annotations

import logging
import sys

from bot import metrics
from bot.exports.chat_files import ExportFiles
from bot.logs import RedactingFormatter
from bot.settings import Settings, configure_search
from content.store import ContentStore
from handlers.clock import Clock, clock_starting
from handlers.router import Conversation
from storage import migrate
from storage.db import make_engine

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def build_conversation(settings: Settings, clock: Clock | None = None) -> Conversation:
    """Migrate the database and load content; raises ContentError on invalid content. The clock
    is `clock`, else the settings' (`SXSH_CLOCK_START`, normally the system clock)."""
    configure_search(settings)
    content = ContentStore.load(settings.content_dir)
    migrate.upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    return Conversation(
        engine=engine,
        content=content,
        settings=settings,
        clock=clock or clock_starting(settings.clock_start),
        files=ExportFiles(),
        observe=metrics.observe_turn,
    )


# How often (seconds) a running thread is asked to hand over the GIL (Python's default: 5 ms).
# A turn runs in a worker thread and waits for the database about ten times; each time it wanted
# the GIL back it could wait up to the whole interval while the event loop (webhooks, sends) held
# it. Measured with benchmarks/load.py, PostgreSQL set-up, back to back on one machine: processing
# p50 52 -> 34 ms and p99 395 -> 233 ms at 0.5 ms (the README's "Under load" has quiet figures).
SWITCH_INTERVAL = 0.0005


def answering_threads() -> None:
    """For a process that answers people on an event loop with turns in threads (`run`,
    `serve`): a turn waiting for the GIL after each database round trip waits less."""
    sys.setswitchinterval(SWITCH_INTERVAL)


def setup_logging(settings: Settings) -> None:
    """Log lines to stderr, every one (traceback included) redacted of secrets (bot/logs.py)."""
    logging.basicConfig(level=settings.log_level.upper())
    secrets = [
        s.get_secret_value()
        for s in (
            settings.telegram.token,
            settings.telegram.webhook_secret,
            settings.zalo_oa.app_secret,
            settings.zalo_oa.oa_secret_key,
            settings.zalo_bot.token,
            settings.zalo_bot.webhook_secret,
        )
        if s is not None
    ]
    for handler in logging.getLogger().handlers:
        handler.setFormatter(RedactingFormatter(LOG_FORMAT, secrets))
    # httpx logs every request URL at INFO, and Bot API URLs contain the token; PTB and httpcore
    # log whole updates (people's messages) at DEBUG. Our own DEBUG must not switch those on.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("telegram").setLevel(logging.INFO)
