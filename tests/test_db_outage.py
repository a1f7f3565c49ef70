"""The database unavailable for 30 s under a real `sxsh-bot run` process on PostgreSQL (issue 13):
a person writing meanwhile gets the apology, the process does not crash, work resumes by itself
when the database is back, and a message that came due during the outage is delivered once.

The outage is a cut TCP proxy between the bot and the shared PostgreSQL server (every open
connection dropped, new ones refused), so other tests keep their database.
`SXSH_TEST_DB_OUTAGE_SECONDS` sets its length (default 30)."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import make_url

from bot.app import build_conversation
from storage import contacts, outbox
from storage.db import session_scope
from tests.conftest import make_settings
from tests.support.tcp_proxy import CuttableProxy
from tests.support.telegram_server import DEFAULT_TOKEN, FakeTelegram
from tests.test_run_telegram_process import start_bot

OUTAGE = float(os.environ.get("SXSH_TEST_DB_OUTAGE_SECONDS", "30"))
APOLOGY = "Xin lỗi, bot gặp lỗi khi xử lý tin nhắn"
MARKER = "outage-test-marker"

pytestmark = pytest.mark.postgres


async def test_thirty_seconds_without_the_database(pg_url, tmp_path):
    url = make_url(pg_url)
    proxy = await CuttableProxy(url.host, url.port or 5432).start()
    via_proxy = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    async with FakeTelegram() as srv:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SXSH_")}
        env.update(
            SXSH_TELEGRAM_TOKEN=DEFAULT_TOKEN,
            SXSH_TELEGRAM_API_URL=srv.root_url,
            SXSH_DATABASE_URL=via_proxy,
            SXSH_DELIVERY_INTERVAL_SECONDS="1",
            SXSH_SEARCH_EMBEDDINGS="off",
        )
        proc = start_bot(env, tmp_path, tmp_path / "bot.log")
        try:
            await srv.wait_for("setMyCommands", timeout=90, since=0)
            srv.user_sends("/start", first_name="Hoa")
            await srv.wait_for("sendMessage", chat_id=1001, timeout=30)

            # Something comes due while the database is away (queued directly, not via proxy).
            conv = build_conversation(make_settings(pg_url, search={"embeddings": False}))
            with session_scope(conv.engine) as s:
                c = contacts.get(s, "telegram", "1001")
                due = datetime.now(UTC) + timedelta(seconds=2)
                payload = {"channel": "zalo_oa", "reason": MARKER}
                outbox.enqueue(s, "channel_alert:outage", c.id, "channel_alert", due, payload)
            conv.engine.dispose()

            cut_at = time.monotonic()
            proxy.cut()
            srv.user_sends("tiết kiệm điện thế nào")
            [call] = await srv.wait_for("sendMessage", chat_id=1001, timeout=30)
            assert call.params["text"].startswith(APOLOGY)
            await asyncio.sleep(max(0.0, OUTAGE - (time.monotonic() - cut_at)))
            assert proc.poll() is None, "the process survived the outage"
            assert proxy.refused > 0, "the bot tried the database during the outage"
            proxy.restore()

            srv.user_sends("tiết kiệm nước trong nhà máy thế nào")
            [call] = await srv.wait_for("sendMessage", chat_id=1001, timeout=60)
            assert "nước" in call.params["text"] and not call.params["text"].startswith(APOLOGY)

            async def alerts() -> int:
                return sum(
                    1
                    for c in srv.calls
                    if c.method == "sendMessage" and MARKER in str(c.params.get("text", ""))
                )

            for _ in range(300):  # the row due during the outage goes out once it is back
                if await alerts():
                    break
                await asyncio.sleep(0.1)
            await asyncio.sleep(3)  # three more delivery passes: still one copy
            assert await alerts() == 1
        finally:
            proc.send_signal(signal.SIGTERM)
            code = await asyncio.to_thread(proc.wait, 30)
            await proxy.stop()
        assert code == 0
        log = (tmp_path / "bot.log").read_text()
        # The outage is one line when it starts and one when it ends, not a traceback a second.
        assert log.count("outbox: database unavailable") == 1
        assert log.count("outbox: database available again") == 1
        # The turns that got the apology: one line each, no traceback.
        assert log.count("Traceback") == 0
