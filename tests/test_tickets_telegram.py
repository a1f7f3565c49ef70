"""Ticket round trip end to end through the real Telegram channel (the product's PTB
Application polling the local Bot API server, delivery through the real TelegramSender):
question -> officers notified -> two officers claim at once, one wins -> the winner replies to
the card -> the enterprise receives the answer once -> closed (issue 11 "What it must show")."""

from __future__ import annotations

from sqlmodel import Session, select

from bot.channels import telegram
from bot.delivery import Delivery
from storage.tickets_models import AuditEntry, Ticket
from tests.conftest import make_settings
from tests.resilience_support import running, srv  # noqa: F401
from tests.support.telegram_server import DEFAULT_TOKEN

ENTERPRISE, MAI, AN = 1001, 2001, 2002


async def deliver(srv, conv, clock) -> dict:  # noqa: F811
    async with srv.make_bot() as bot:
        delivery = Delivery(conv.engine, conv, clock, {"telegram": telegram.TelegramSender(bot)})
        return await delivery.run_once()


async def test_ticket_round_trip_through_telegram(srv, sqlite_url, clock):  # noqa: F811
    from bot.app import build_conversation

    settings = make_settings(
        sqlite_url,
        telegram_token=DEFAULT_TOKEN,
        telegram_api_url=srv.root_url,
        officer_ids=f"telegram:{MAI},telegram:{AN}",
    )
    conv = build_conversation(settings, clock=clock)
    try:
        async with running(srv, conv, settings):
            for officer in (MAI, AN):  # an officer starts the bot once, like anyone
                srv.user_sends("/start", user_id=officer, first_name="Cán bộ")
                await srv.wait_for("sendMessage", chat_id=officer)
            srv.user_sends("/officer Nhà máy cần tư vấn thay lò hơi đốt than", user_id=ENTERPRISE)
            told = await srv.wait_for("sendMessage", chat_id=ENTERPRISE, count=2)
            assert "Đã chuyển cho cán bộ" in told[0].params["text"]
            assert (
                "phiếu #1" in told[1].params["text"] and "1 ngày làm việc" in told[1].params["text"]
            )

            assert await deliver(srv, conv, clock) == {"sent": 2}  # one card per officer
            cards = {o: srv.sent_messages(o)[-1] for o in (MAI, AN)}
            for card in cards.values():
                assert card["text"].startswith("🎫 #1 · 👤")
                assert "thay lò hơi đốt than" in card["text"]
                assert "tk:claim:1" in str(card["reply_markup"])

            mark = srv.mark()
            srv.user_presses("tk:claim:1", user_id=MAI, message_id=cards[MAI]["message_id"])
            srv.user_presses("tk:claim:1", user_id=AN, message_id=cards[AN]["message_id"])
            answers = await srv.wait_for(
                lambda c: c.method == "sendMessage" and c.chat_id in (MAI, AN), count=2, since=mark
            )
            said = {c.chat_id: c.params["text"] for c in answers}
            winner = MAI if "đã nhận phiếu #1" in said[MAI] else AN
            loser = AN if winner == MAI else MAI
            assert "đã nhận phiếu #1" in said[winner]
            assert said[loser] == f"Phiếu #1 đã có người nhận: telegram:{winner}."

            srv.user_sends(
                "Sở sẽ cử chuyên gia khảo sát lò hơi vào thứ Tư.",
                user_id=winner,
                reply_to_message_id=cards[winner]["message_id"],
            )
            [queued] = await srv.wait_for("sendMessage", chat_id=winner)
            assert "Đã xếp trả lời phiếu #1" in queued.params["text"]

            before = len(srv.sent_messages(ENTERPRISE))
            assert await deliver(srv, conv, clock) == {"sent": 1}
            assert await deliver(srv, conv, clock) == {}  # delivered once
            [answer] = srv.sent_messages(ENTERPRISE)[before:]
            assert answer["text"].startswith("💬 Cán bộ Sở Công Thương trả lời")
            assert "khảo sát lò hơi vào thứ Tư" in answer["text"]

            srv.user_presses("tk:close:1", user_id=winner, message_id=cards[winner]["message_id"])
            [closed] = await srv.wait_for("sendMessage", chat_id=winner)
            assert closed.params["text"] == "Đã đóng phiếu #1."
        with Session(conv.engine) as s:
            ticket = s.exec(select(Ticket)).one()
            assert (ticket.status, ticket.claimed_by) == ("closed", f"telegram:{winner}")
            assert ticket.first_reply_at is not None and ticket.closed_at is not None
            audit = [
                (e.actor, e.action) for e in s.exec(select(AuditEntry).order_by(AuditEntry.id))
            ]
        who = f"telegram:{winner}"
        assert audit == [(who, "ticket.claim"), (who, "ticket.reply"), (who, "ticket.close")]
    finally:
        conv.engine.dispose()
