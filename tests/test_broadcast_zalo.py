"""A broadcast to a mix of Telegram and Zalo OA contacts, one of them outside Zalo's 7-day
window (left out with the reason when the audience is fixed) and one whom Zalo refuses at the
send (-230: our count said 3 days), delivered by the lanes through the local Bot API and Zalo
OA servers: each reachable person gets exactly one copy, the unreachable ones are not sent to,
and the report (chat and `sxsh-bot broadcast status/export`) says how each Zalo copy went:
free, on the OA's quota, or not reachable and why."""

from __future__ import annotations

from datetime import timedelta

import httpx
from openpyxl import load_workbook
from sqlmodel import select
from typer.testing import CliRunner

from bot.app import build_conversation
from bot.channels.telegram import TelegramSender
from bot.channels.zalo_oa.client import ZaloOAClient
from bot.channels.zalo_oa.sender import ZaloOASender
from bot.channels.zalo_oa.tokens import TokenKeeper
from bot.cli import app
from bot.delivery import Delivery
from handlers.broadcasts import service
from handlers.clock import FrozenClock
from storage import broadcasts, contacts
from storage import zalo_oa as store
from storage.broadcasts_models import BroadcastRecipient
from storage.db import session_scope
from storage.models import Contact
from tests.conftest import make_settings
from tests.support.telegram_server import FakeTelegram
from tests.support.zalo_oa_server import APP_ID, APP_SECRET, FakeZaloOA

TEXT = "Hội thảo SXSH ngành thủy sản, 8:00 ngày 5/12 tại Sở Công Thương"


async def test_a_broadcast_reaches_each_reachable_contact_once_and_names_the_unreachable(
    tmp_path, monkeypatch
):
    clock = FrozenClock()
    settings = make_settings(f"sqlite:///{tmp_path / 'bot.db'}", search={"embeddings": False})
    conversation = build_conversation(settings, clock=clock)
    engine = conversation.engine
    async with (
        FakeTelegram() as tg,
        tg.make_bot() as bot,
        FakeZaloOA(clock) as zalo,
        httpx.AsyncClient(timeout=5) as http,
    ):
        access, refresh = zalo.issue_pair()
        now = clock.now()
        with session_scope(engine) as session:
            store.store_pair(session, access, refresh, now + timedelta(hours=25), now)
            for chat in ("1001", "1002"):
                contacts.touch(session, "telegram", chat, now)
            for user, days_ago in (("z1", 0), ("z2", 3), ("z3", 8)):
                contact, _ = contacts.touch(session, "zalo_oa", user, now)
                clock.advance(days=-days_ago)
                zalo.event("user_send_text", user, text="Xin chào", msg_id=f"m-{user}")
                store.record_inbound(session, contact.id, f"m-{user}", clock.now())
                clock.advance(days=days_ago)
            # z4 wrote 3 days ago by our count, but Zalo never saw it: refused at the send.
            contact, _ = contacts.touch(session, "zalo_oa", "z4", now)
            store.record_inbound(session, contact.id, "m-z4", now - timedelta(days=3))
            row = broadcasts.create(session, TEXT, {"all": True}, "cli:hoa", now)
            # z3 is left out when the audience is fixed: outside the window, nothing queued.
            assert service.confirm(session, row, "cli:hoa", now, settings) == 5
        keeper = TokenKeeper(engine, clock, app_id=APP_ID, app_secret=APP_SECRET,
                             oauth_url=zalo.url)  # fmt: skip
        senders = {
            "telegram": TelegramSender(bot),
            "zalo_oa": ZaloOASender(ZaloOAClient(zalo.url, keeper, http), engine, clock),
        }
        delivery = Delivery.from_settings(engine, conversation, clock, senders, settings.delivery)
        await delivery.drain()
        await delivery.drain()  # nothing is sent twice
        with session_scope(engine) as session:
            service.run_job(session, clock.now(), settings)
            counts = broadcasts.counts(session, row.id)
            report = service.report_lines(
                session, broadcasts.get(session, row.id), conversation.content.texts, "vi",
                settings.tz,
            )  # fmt: skip
            left_out = session.exec(
                select(Contact.platform_id, BroadcastRecipient.reason)
                .join(Contact, Contact.id == BroadcastRecipient.contact_id)
                .where(BroadcastRecipient.state != "sent")
            ).all()
        telegram_texts = [c.params["text"] for c in tg.calls if c.method == "sendMessage"]
        assert sorted(str(c.params["chat_id"]) for c in tg.calls if c.method == "sendMessage") == [
            "1001", "1002"]  # fmt: skip
        assert all(TEXT in t for t in telegram_texts)
        assert [len(zalo.sent(u)) for u in ("z1", "z2", "z3", "z4")] == [1, 1, 0, 0]
        assert all(TEXT in t for u in ("z1", "z2") for t in zalo.texts(u))
        # z1 wrote today: a free reply to their message; z2 three days ago: the proactive form
        assert (zalo.free, zalo.proactive) == (1, 1)
    assert sorted(left_out) == [("z3", "outside_window"), ("z4", "outside_window")]
    assert counts[("zalo_oa", "skipped", "outside_window")] == 2
    assert counts[("zalo_oa", "sent", "free")] == counts[("zalo_oa", "sent", "quota")] == 1
    assert counts[("telegram", "sent", "")] == 2
    assert "• Zalo OA: đã gửi (miễn phí: trả lời tin người nhận đã nhắn (Zalo)): 1" in report
    assert "• Zalo OA: đã gửi (tính vào hạn mức tin chủ động của OA (Zalo)): 1" in report
    assert "• Zalo OA: bỏ qua (quá 7 ngày không nhắn với OA (Zalo)): 2" in report
    engine.dispose()

    # The terminal: `broadcast status N` and the export's Zalo OA sheet say the same.
    monkeypatch.setenv("SXSH_DATABASE_URL", f"sqlite:///{tmp_path / 'bot.db'}")
    monkeypatch.setenv("SXSH_CLOCK_START", clock.now().isoformat())
    status = CliRunner().invoke(app, ["broadcast", "status", str(row.id)])
    assert status.exit_code == 0, status.output
    assert "• Zalo OA: sent (free: a reply to the person's own message (Zalo)): 1" in status.output
    assert "• Zalo OA: sent (counted against the OA's proactive quota (Zalo)): 1" in status.output
    assert "• Zalo OA: skipped (no message to the OA for 7 days (Zalo)): 2" in status.output
    out = tmp_path / "export.xlsx"
    exported = CliRunner().invoke(app, ["broadcast", "export", str(row.id), "-o", str(out),
                                        "--as", "hoa"])  # fmt: skip
    assert exported.exit_code == 0, exported.output
    sheet = load_workbook(out)["Zalo OA"]
    lines = sorted(tuple(r[:1] + r[2:]) for r in sheet.iter_rows(min_row=2, values_only=True))
    assert lines == [
        ("z1", "sent", "free: a reply to the person's own message (Zalo)"),
        ("z2", "sent", "counted against the OA's proactive quota (Zalo)"),
        ("z3", "skipped", "no message to the OA for 7 days (Zalo)"),
        ("z4", "skipped", "no message to the OA for 7 days (Zalo)"),
    ]
