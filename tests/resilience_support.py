"""Fixtures shared by the resilience tests: the product's real PTB Application polling the local
Bot API server, on a fresh SQLite file."""

from __future__ import annotations

import contextlib

import pytest

from bot.app import build_conversation
from bot.channels import telegram
from tests.conftest import make_settings
from tests.support.telegram_server import DEFAULT_TOKEN, FakeTelegram


@pytest.fixture
async def srv():
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
def tg_settings(srv, sqlite_url):
    return make_settings(sqlite_url, telegram_token=DEFAULT_TOKEN, telegram_api_url=srv.root_url)


@pytest.fixture
def conv(tg_settings, clock):
    conversation = build_conversation(tg_settings, clock=clock)
    yield conversation
    conversation.engine.dispose()


@contextlib.asynccontextmanager
async def running(srv, conv, settings, **polling):  # noqa: ANN001
    """The product's Application polling `srv` for the duration of the block (a fresh updater:
    like a restarted process, it starts without a confirmed offset)."""
    application = telegram.build_application(conv, settings, outbox_interval=3600)
    async with srv.polling(application, timeout=1, **polling):
        await application.post_init(application)
        try:
            yield application
        finally:
            await application.post_shutdown(application)


@pytest.fixture
async def app(srv, conv, tg_settings):
    async with running(srv, conv, tg_settings) as application:
        yield application


async def confirmed(srv) -> None:
    """Wait until the bot confirmed every update queued so far (a getUpdates offset past it)."""
    last = max((u["update_id"] for u in srv.pending_updates), default=0)

    def past(call) -> bool:  # noqa: ANN001
        return call.method == "getUpdates" and int(call.params.get("offset") or 0) > last

    await srv.wait_for(past, since=0, timeout=20)
