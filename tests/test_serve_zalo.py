"""`sxsh-bot serve` as real processes, end to end over HTTP with the local Zalo OA server: its
signed webhooks in, the Open API calls out. A person asks a question and gets the answer,
completes the quick assessment with buttons; the same event delivered twice, and to two
processes, is handled once; probes and bad signatures are answered as the contract says."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import func, select

from content.events import load_events_content
from handlers.clock import SystemClock
from handlers.events import service
from storage import migrate
from storage import zalo_oa as store
from storage.db import make_engine, session_scope
from storage.tickets_models import Ticket
from storage.zalo_oa_models import ZaloOAEvent
from tests.conftest import ROOT
from tests.events.conftest import event_fields
from tests.support.telegram_server import DEFAULT_TOKEN, FakeTelegram, free_port
from tests.support.zalo_bot_server import TOKEN as ZALO_BOT_TOKEN
from tests.support.zalo_bot_server import FakeZaloBot
from tests.support.zalo_oa_server import FakeZaloOA
from tests.test_assessment import FULL_RUN

BIN = Path(sys.executable).parent / "sxsh-bot"
LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")  # the settings' default time zone
TELEGRAM_SECRET = "X-Telegram-Bot-Api-Secret-Token"


def authorised(db_url: str, srv: FakeZaloOA) -> tuple[str, str]:
    """The database holds a token pair, as `sxsh-bot zalo authorize` leaves it."""
    migrate.upgrade(db_url)
    engine = make_engine(db_url)
    access, refresh = srv.issue_pair()
    with session_scope(engine) as session:
        now = SystemClock().now()
        store.store_pair(session, access, refresh, now + timedelta(hours=25), now)
    engine.dispose()
    return access, refresh


def start_serve(env: dict[str, str], cwd: Path, log_path: Path) -> subprocess.Popen:
    with log_path.open("w") as log:
        return subprocess.Popen(
            [str(BIN), "serve"], env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT
        )


@asynccontextmanager
async def serving(
    srv: FakeZaloOA | None, db_url: str, cwd: Path, name: str = "serve", **extra: str
):
    """One `sxsh-bot serve` process; yields its base URL once /healthz says 200."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SXSH_")}
    env.update(
        srv.settings_env() if srv is not None else {},
        **extra,
        SXSH_DATABASE_URL=db_url,
        SXSH_WEB_LISTEN="127.0.0.1",
        SXSH_WEB_PORT=str(port),
        SXSH_SEARCH_EMBEDDINGS="off",
        SXSH_LOG_LEVEL="DEBUG",
        SXSH_DELIVERY_INTERVAL_SECONDS="0.5",
    )
    log_path = cwd / f"{name}.log"
    proc = start_serve(env, cwd, log_path)
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(timeout=2) as http:
            deadline = time.monotonic() + 90
            while True:
                assert proc.poll() is None, log_path.read_text()[-3000:]
                try:
                    if (await http.get(url + "/healthz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, log_path.read_text()[-3000:]
                await asyncio.sleep(0.2)
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(proc.wait, 30)
        assert code == 0, log_path.read_text()[-3000:]


async def settled(db_url: str, within: float = 20) -> None:
    """Every stored webhook event handled: its answers are sent before it is deleted."""
    engine = make_engine(db_url)
    try:
        deadline = time.monotonic() + within
        while True:
            with session_scope(engine) as session:
                waiting = session.execute(select(func.count()).select_from(ZaloOAEvent))
                if waiting.scalar_one() == 0:
                    return
            assert time.monotonic() < deadline, "events still waiting"
            await asyncio.sleep(0.05)
    finally:
        engine.dispose()


async def exchange(srv: FakeZaloOA, db_url: str, user: str, text: str) -> dict:
    """The person sends `text`; the last message they got once the bot has answered."""
    before = len(srv.sent(user))
    event = srv.event("user_send_text", user, text=text)
    assert await srv.deliver(event) == 200
    await settled(db_url)
    sent = srv.sent(user)
    assert len(sent) > before, f"no answer to {text!r}"
    return sent[-1].params["message"]


async def test_a_zalo_user_asks_and_gets_the_answer_and_the_health_check_shows_the_channel(
    tmp_path,
):
    async with FakeZaloOA(SystemClock()) as srv:
        db_url = f"sqlite:///{tmp_path / 'bot.db'}"
        access, refresh = authorised(db_url, srv)
        async with serving(srv, db_url, tmp_path) as url:
            srv.webhook_url = url + "/zalo/oa"
            event = await srv.user_sends("2512523625412515", "tiết kiệm nước trong nhà máy thế nào")
            [answer] = await srv.wait_for_messages("2512523625412515", 1)
            # The reply form: free, to the person's own message.
            assert answer.params["recipient"] == {"message_id": event["message"]["msg_id"]}
            body = answer.params["message"]
            text = body.get("text") or body["attachment"]["payload"]["text"]
            assert "nước" in text
            assert srv.proactive == 0 and srv.deliveries == [(0, 200)]
            # Asks for an officer; the officer answers from the command line; serve delivers
            # the answer through the outbox, in the free reply form.
            await exchange(srv, db_url, "2512523625412515", "/officer cần tư vấn lò hơi")
            engine = make_engine(db_url)
            with session_scope(engine) as session:
                [ticket] = session.execute(select(Ticket.id)).scalars().all()
            engine.dispose()
            env = {k: v for k, v in os.environ.items() if not k.startswith("SXSH_")}
            before = len(srv.sent("2512523625412515"))
            cli = await asyncio.to_thread(
                subprocess.run,
                [str(BIN), "reply", str(ticket), "Sở sẽ gọi anh trong hôm nay", "--as", "Hoa",
                 "--wait", "60"],
                env={**env, "SXSH_DATABASE_URL": db_url}, cwd=tmp_path, capture_output=True,
                text=True, timeout=60,
            )  # fmt: skip
            assert cli.returncode == 0, cli.stderr
            # --wait: the officer in the terminal reads how it went.
            assert f"The answer to ticket #{ticket} reached the person on Zalo, free" in cli.stdout
            sent = await srv.wait_for_messages("2512523625412515", before + 1)
            assert "Sở sẽ gọi anh trong hôm nay" in srv.texts("2512523625412515")[-1]
            assert "message_id" in sent[-1].params["recipient"] and srv.proactive == 0
            async with httpx.AsyncClient() as http:
                health = (await http.get(url + "/healthz")).json()
                # An unsigned empty probe: 200, nothing stored or done.
                probe = await http.post(url + "/zalo/oa", content=b"{}")
                # A wrong signature: refused, logged without the body.
                forged = srv.event("user_send_text", "999", text="giả mạo")
                body_bytes, headers = srv.signed(forged)
                headers["X-ZEvent-Signature"] = "mac=" + "0" * 64
                refused = await http.post(url + "/zalo/oa", content=body_bytes, headers=headers)
                unsigned = await http.post(url + "/zalo/oa", content=body_bytes)
        assert health["database"] == "ok" and health["content"].startswith("ok")
        assert health["channels"]["zalo_oa"]["state"] == "ok"
        assert probe.status_code == 200
        assert (refused.status_code, unsigned.status_code) == (401, 401)
        assert len(srv.sent("999")) == 0
    log = (tmp_path / "serve.log").read_text()
    assert "refused a zalo_oa webhook: wrong signature" in log
    for secret in (access, refresh, "giả mạo", "tiết kiệm nước", srv.settings_env()[
            "SXSH_ZALO_OA_OA_SECRET_KEY"]):  # fmt: skip
        assert secret not in log


async def test_a_zalo_user_completes_the_quick_assessment_with_buttons(tmp_path):
    user = "2512523625412516"
    async with FakeZaloOA(SystemClock()) as srv:
        db_url = f"sqlite:///{tmp_path / 'bot.db'}"
        authorised(db_url, srv)
        async with serving(srv, db_url, tmp_path) as url:
            srv.webhook_url = url + "/zalo/oa"

            async def say(text: str) -> dict:
                return await exchange(srv, db_url, user, text)

            async def tap(message: dict, title: str) -> dict:
                buttons = message["attachment"]["payload"]["buttons"]
                [button] = [b for b in buttons if b["title"] == title]
                return await say(button["payload"])  # a tap comes back as its payload

            message = await say("/assess")
            message = await tap(message, "✅ Đồng ý")
            taps = numbered_done = 0
            for answer in FULL_RUN:
                payload = message.get("attachment", {}).get("payload", {})
                titles = [b["title"] for b in payload.get("buttons", [])]
                if answer in ("có", "khong", "ko") and titles[:2] == ["Có", "Không"]:
                    message = await tap(message, "Có" if answer == "có" else "Không")
                    taps += 1
                else:  # typed, or the number of a numbered choice
                    shown = message.get("text", "")
                    message = await say(answer)
                    if message.get("text", "").startswith("Đã chọn:"):
                        # A typed number pressed that choice of a multiple choice (as in the
                        # terminal): the person then types the number of "✔️ Xong".
                        [done] = [ln.split(".")[0] for ln in shown.splitlines() if "Xong" in ln]
                        message = await say(done)
                        numbered_done += 1
            texts = srv.texts(user)
            assert taps >= 3 and numbered_done >= 1
            assert any("KẾT QUẢ TỰ ĐÁNH GIÁ NHANH" in t for t in texts[-3:]), "\n---\n".join(texts)
            # Up to 8 answers to each message are free; nothing needed the proactive form.
            assert srv.proactive == 0


async def test_a_zalo_user_registers_by_buttons_and_gets_the_reminder_once_at_its_time(tmp_path):
    """The person registers for a workshop by tapping (as slowly as the machine makes it);
    then an officer moves it so that its "2 hours before" reminder comes due 8 s later: the
    reminder arrives once, not before its time, free (a reply to the person's own message),
    and `sxsh-bot events show` says so."""
    user = "2512523625412518"

    def reminders() -> list[str]:
        return [t for t in srv.texts(user) if t.startswith("⏰")]

    async with FakeZaloOA(SystemClock()) as srv:
        db_url = f"sqlite:///{tmp_path / 'bot.db'}"
        authorised(db_url, srv)
        events = load_events_content(ROOT / "content").events
        engine = make_engine(db_url)

        def publish(starts_at: datetime) -> None:  # as an officer's import or chat does
            with session_scope(engine) as session:
                fields = event_fields("ws-zalo", starts_at=starts_at)
                service.save(session, fields, "published", events, LOCAL, datetime.now(UTC))

        async with serving(srv, db_url, tmp_path) as url:
            srv.webhook_url = url + "/zalo/oa"
            await asyncio.to_thread(publish, datetime.now(UTC) + timedelta(days=3))
            card = await exchange(srv, db_url, user, "/events")
            buttons = card["attachment"]["payload"]["buttons"]
            [register] = [b for b in buttons if b["title"] == "✅ Đăng ký"]
            await exchange(srv, db_url, user, register["payload"])  # the tap comes back as text
            assert srv.texts(user)[-1].startswith('✅ Đã đăng ký "Hội thảo tiết kiệm năng lượng"')
            due = datetime.now(UTC) + timedelta(seconds=8)
            await asyncio.to_thread(publish, due + timedelta(hours=2))  # moved
            # Not before its time: no reminder until just before it is due ...
            await asyncio.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds() - 1))
            assert reminders() == []
            # ... then the reminder, once.
            async with asyncio.timeout(90):
                while not reminders():  # the notice of the move may come first
                    await srv.wait_for_messages(user, len(srv.sent(user)) + 1, within=90)
            await asyncio.sleep(3)  # several more delivery rounds: nothing is sent twice
            got = reminders()
        engine.dispose()
        env = {k: v for k, v in os.environ.items() if not k.startswith("SXSH_")}
        shown = await asyncio.to_thread(
            subprocess.run, [str(BIN), "events", "show", "ws-zalo"],
            env={**env, "SXSH_DATABASE_URL": db_url}, cwd=tmp_path, capture_output=True,
            text=True, timeout=60,
        )  # fmt: skip
    assert len(got) == 1 and "Hội thảo tiết kiệm năng lượng" in got[0]
    assert srv.proactive == 0  # every message a free reply to the person's own
    assert shown.returncode == 0, shown.stderr
    assert "Zalo OA: 1 miễn phí" in shown.stdout, shown.stdout


@pytest.mark.postgres
async def test_the_same_event_twice_and_to_two_serve_processes_is_handled_once(tmp_path, pg_url):
    user = "2512523625412517"
    async with FakeZaloOA(SystemClock()) as srv:
        authorised(pg_url, srv)
        async with (
            serving(srv, pg_url, tmp_path, "serve1") as one,
            serving(srv, pg_url, tmp_path, "serve2") as two,
        ):
            event = srv.event("user_send_text", user, text="/officer cần tư vấn lò hơi")
            deliveries = [
                srv.deliver(event, one + "/zalo/oa"),
                srv.deliver(event, two + "/zalo/oa"),
                srv.deliver(event, one + "/zalo/oa"),
            ]
            assert await asyncio.gather(*deliveries) == [200, 200, 200]
            await settled(pg_url)  # every stored copy handled (and deleted)
            engine = make_engine(pg_url)
            with session_scope(engine) as session:
                opened = session.execute(select(func.count()).select_from(Ticket)).scalar_one()
            engine.dispose()
        # One handling: its answers once each (ticket confirmation and the officers' note).
        texts = srv.texts(user)
        assert texts and len(texts) == len(set(texts)), texts
        assert any("cán bộ" in t for t in texts)
        assert opened == 1  # one ticket for the officers


async def test_serve_takes_telegram_updates_on_its_webhook_with_the_secret_header(tmp_path):
    secret = "tg-secret-" + "x" * 30
    async with FakeTelegram() as tg, FakeZaloBot() as zb:
        db_url = f"sqlite:///{tmp_path / 'bot.db'}"
        extra = {
            "SXSH_TELEGRAM_TOKEN": DEFAULT_TOKEN,
            "SXSH_TELEGRAM_API_URL": tg.root_url,
            "SXSH_TELEGRAM_WEBHOOK_URL": "https://bot.example.vn/telegram",
            "SXSH_TELEGRAM_WEBHOOK_SECRET": secret,
            # and the Zalo Bot platform by polling, in the same process
            "SXSH_ZALO_BOT_TOKEN": ZALO_BOT_TOKEN,
            "SXSH_ZALO_BOT_API_URL": zb.url,
            "SXSH_ZALO_BOT_POLL_TIMEOUT": "1",
        }
        async with serving(None, db_url, tmp_path, **extra) as url:
            # serve registered its public URL and secret with Telegram
            assert tg.webhook["url"] == "https://bot.example.vn/telegram"
            assert tg.webhook["secret_token"] == secret
            assert [c for c in tg.calls if c.method == "setMyCommands"]  # the command menu
            async with httpx.AsyncClient() as http:
                update = tg.text_update("tiết kiệm nước trong nhà máy thế nào")
                wrong = await http.post(url + "/telegram", json=update,
                                        headers={TELEGRAM_SECRET: "nope" * 10})  # fmt: skip
                ok = await http.post(url + "/telegram", json=update,
                                     headers={TELEGRAM_SECRET: secret})  # fmt: skip
                [call] = await tg.wait_for("sendMessage", chat_id=1001, timeout=30)
                await zb.wait_for_call("deleteWebhook")
                await zb.user_sends("tiết kiệm nước trong nhà máy thế nào", chat="zc1")
                [zalo_answer, *_] = await zb.wait_for_texts("zc1", 1)
                health = (await http.get(url + "/healthz")).json()
        assert (wrong.status_code, ok.status_code) == (403, 200)
        assert "nước" in call.params["text"]
        assert "nước" in zalo_answer
        assert health["channels"] == {
            "telegram": "webhook",
            "zalo_oa": "off",
            "zalo_bot": "polling",
        }
    log = (tmp_path / "serve.log").read_text()
    assert DEFAULT_TOKEN.split(":")[1] not in log and secret not in log
    assert ZALO_BOT_TOKEN not in log
