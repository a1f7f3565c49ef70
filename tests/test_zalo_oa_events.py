"""One Zalo OA webhook event handled (bot/channels/zalo_oa/events.py) with the real conversation
core and the local Zalo OA server: what the person receives and what the database holds."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import httpx
import pytest
from aiohttp import web
from sqlmodel import select

from bot import flood
from bot.app import build_conversation
from bot.channels.answers import Answering
from bot.channels.errors import ChannelDown
from bot.channels.zalo_oa.app import alerter
from bot.channels.zalo_oa.client import ZaloOAClient
from bot.channels.zalo_oa.events import EventHandler
from bot.channels.zalo_oa.limits import CHANNEL, TAP
from bot.channels.zalo_oa.sender import ZaloOASender
from bot.channels.zalo_oa.tokens import TokenKeeper
from bot.channels.zalo_oa.webhook import Pump
from bot.delivery import Delivery
from handlers import channel_alerts
from handlers.clock import FrozenClock
from handlers.messages import Inbound, Reply
from storage import outbox
from storage import zalo_oa as store
from storage.db import session_scope
from storage.models import Contact, ContactStatus, Outbox
from storage.tickets_models import Ticket, TicketMessage
from storage.zalo_oa_models import ZaloOAContact, ZaloOAEvent
from tests.conftest import make_settings
from tests.events.conftest import START, save
from tests.support.telegram_server import free_port
from tests.support.zalo_oa_server import APP_ID, APP_SECRET, FakeZaloOA

U = "2512523625412515"


@pytest.fixture
async def bot(tmp_path, request):
    """The handler as the channel builds it; `limits` settings by indirect parametrisation."""
    clock = FrozenClock()
    settings = make_settings(
        f"sqlite:///{tmp_path / 'bot.db'}",
        search={"embeddings": False},
        officer_ids="telegram:777",
        limits=getattr(request, "param", {}),
    )
    conversation = build_conversation(settings, clock=clock)
    engine = conversation.engine
    async with FakeZaloOA(clock) as srv, httpx.AsyncClient(timeout=5) as http:
        access, refresh = srv.issue_pair()
        with session_scope(engine) as session:
            store.store_pair(session, access, refresh, clock.now().replace(year=2027), clock.now())
        keeper = TokenKeeper(engine, clock, app_id=APP_ID, app_secret=APP_SECRET, oauth_url=srv.url)
        sender = ZaloOASender(
            ZaloOAClient(srv.url, keeper, http),
            engine,
            clock,
            alert=alerter(engine, clock, settings),
        )
        answering = Answering.configured(CHANNEL, engine, clock, settings.limits)
        answering = replace(answering, backoff=0.01)  # no half-second waits between tries
        handler = EventHandler(conversation, sender, flood.FloodGuard(30, 60), answering)
        yield srv, handler, conversation
    engine.dispose()


def rows(conversation, model, *where):  # noqa: ANN001, ANN201
    with session_scope(conversation.engine) as session:
        return list(session.exec(select(model).where(*where)))


async def says(srv: FakeZaloOA, handler: EventHandler, text: str, user: str = U) -> list[str]:
    before = len(srv.sent(user))
    await handler.handle(srv.event("user_send_text", user, text=text))
    return srv.texts(user)[before:]


async def test_a_question_is_answered_in_the_reply_form(bot):
    srv, handler, _ = bot
    [answer, *_] = await says(srv, handler, "tiết kiệm nước trong nhà máy thế nào")
    assert "nước" in answer
    assert srv.sent(U)[0].params["recipient"] == {"message_id": "msg000001"}
    assert srv.proactive == 0


async def test_the_same_event_twice_is_answered_once(bot):
    srv, handler, _ = bot
    event = srv.event("user_send_text", U, text="/start")
    await handler.handle(event)
    first = len(srv.sent(U))
    await handler.handle(event)
    assert first >= 1 and len(srv.sent(U)) == first


async def test_a_typed_number_and_a_button_tap_press_the_choice(bot):
    srv, handler, conversation = bot
    [*_, menu] = await says(srv, handler, "/start")
    # The main menu has more than 5 choices: numbered text; typing a number presses it.
    [number] = [line.split(".")[0] for line in menu.splitlines() if "Đánh giá nhanh" in line]
    texts = await says(srv, handler, number)
    assert any("Trước khi bắt đầu" in t for t in texts)
    # The consent question has 2 buttons: a template; a tap comes back as its payload.
    [*_, consent] = srv.buttons(U)
    [agree] = [b for b in consent if b["title"] == "✅ Đồng ý"]
    assert agree["payload"].startswith(TAP)
    texts = await says(srv, handler, agree["payload"])
    assert any("Câu 1/" in t for t in texts)
    # The numbers shown before are stale now: "1" is an answer, not the menu's first choice.
    with session_scope(conversation.engine) as session:
        assert store.choices(session, rows(conversation, Contact)[0].id) == []


async def test_unsupported_media_is_politely_not_understood_and_a_caption_is_read(bot):
    srv, handler, _ = bot
    await handler.handle(srv.event("user_send_sticker", U, attachments=[{"type": "sticker"}]))
    [reply] = srv.texts(U)
    assert reply.startswith("Bot hiện chỉ đọc được tin nhắn chữ.")
    await handler.handle(
        srv.event("user_send_image", U, text="tiết kiệm nước thế nào", attachments=[])
    )
    assert "nước" in srv.texts(U)[1]


async def test_unfollow_and_follow_update_the_contact_and_send_nothing(bot):
    srv, handler, conversation = bot
    await says(srv, handler, "/start")
    sent = len(srv.sent())
    await handler.handle(srv.event("unfollow", U))
    assert [c.status for c in rows(conversation, Contact)] == [ContactStatus.blocked]
    await handler.handle(srv.event("follow", U))
    assert [c.status for c in rows(conversation, Contact)] == [ContactStatus.active]
    assert len(srv.sent()) == sent


async def test_user_withdraw_deletes_the_person_as_deletedata_does(bot):
    srv, handler, conversation = bot
    await says(srv, handler, "/officer cần tư vấn lò hơi")
    assert rows(conversation, Contact) and rows(conversation, ZaloOAContact)
    sent = len(srv.sent())
    await handler.handle(srv.event("user_withdraw", U))
    assert rows(conversation, Contact) == []
    assert rows(conversation, ZaloOAContact) == []  # the reply window goes with the contact
    assert len(srv.sent()) == sent  # nobody is written to after withdrawing


async def test_an_officers_echo_is_recorded_on_the_persons_ticket_and_not_sent_again(bot):
    srv, handler, conversation = bot
    await says(srv, handler, "/officer cần tư vấn lò hơi")
    sent = len(srv.sent())
    echo = srv.event("oa_send_text", "579745863508352884", text="Chào anh, em gọi lại ngay")
    echo |= {"sender": {"id": "579745863508352884", "admin_id": "adm7"},
             "recipient": {"id": U}}  # fmt: skip
    await handler.handle(echo)
    await handler.handle(echo)  # redelivered: recorded once
    [ticket] = rows(conversation, Ticket)
    officer = rows(conversation, TicketMessage, TicketMessage.from_officer)
    assert [(m.ticket_id, m.officer, m.text) for m in officer] == [
        (ticket.id, "zalo_oa_admin:adm7", "Chào anh, em gọi lại ngay")
    ]
    assert len(srv.sent()) == sent


async def test_an_anonymous_person_is_answered_in_their_conversation(bot):
    srv, handler, _ = bot
    event = srv.event("anonymous_send_text", "anon77", text="/start", conversation_id="conv9")
    await handler.handle(event)
    [call, *_] = [c for c in srv.calls if c.path == "/v2.0/oa/message"]
    assert call.params["recipient"] == {"anonymous_id": "anon77", "conversation_id": "conv9"}


async def test_unknown_and_receipt_events_change_nothing(bot):
    srv, handler, conversation = bot
    await handler.handle(srv.event("user_received_message", U, msg_id="m1"))
    await handler.handle(srv.event("user_sends_hologram", U, msg_id="m2"))
    assert rows(conversation, Contact) == [] and srv.calls == []


async def test_a_channel_level_error_stops_the_message_and_tells_the_officers_once(bot):
    srv, handler, conversation = bot
    conversation.handle(Inbound(channel="telegram", user_id="777", text="/start"))  # an officer
    await says(srv, handler, "/start")
    for _ in range(2):
        srv.fail(-224)
        with pytest.raises(ChannelDown):
            await handler.sender.send(U, [Reply(text="Nhắc lịch hội thảo")])
    [row] = rows(conversation, Outbox, Outbox.kind == channel_alerts.KIND)
    [officer] = rows(conversation, Contact, Contact.id == row.contact_id)
    assert (officer.channel, officer.platform_id) == ("telegram", "777")
    [reply] = channel_alerts.render(
        None, conversation.content, officer, outbox.payload_of(row), None
    )
    assert reply.text.startswith("⚠️ Kênh Zalo OA đang dừng gửi tin: zalo -224")


async def test_an_event_a_crashed_process_had_claimed_is_handled_by_the_sweep(bot):
    srv, handler, conversation = bot
    clock = conversation.clock
    event = srv.event("user_send_text", U, text="tiết kiệm nước trong nhà máy thế nào")
    body, _ = srv.signed(event)
    with session_scope(conversation.engine) as session:
        event_id = store.store_event(session, body.decode(), clock.now())
        assert store.claim_event(session, event_id, clock.now()) is not None  # then it died
    pump = Pump(conversation.engine, clock, handler, stale_after=timedelta(minutes=5))
    assert await pump.sweep() == 0  # another process may still be handling it
    clock.advance(minutes=6)
    assert await pump.sweep() == 1
    assert "nước" in srv.texts(U)[0]
    assert rows(conversation, ZaloOAEvent) == []


async def test_the_local_server_retries_a_failed_webhook_with_num_retry(bot):
    srv, _, _ = bot
    seen: list[str | None] = []

    async def flaky(request: web.Request) -> web.Response:
        seen.append(request.headers.get("num_retry"))
        return web.Response(status=500 if len(seen) < 3 else 200)

    app = web.Application()
    app.router.add_post("/zalo/oa", flaky)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        status = await srv.deliver(srv.event("follow", U), f"http://127.0.0.1:{port}/zalo/oa")
    finally:
        await runner.cleanup()
    assert status == 200 and seen == ["0", "1", "2"]
    assert srv.deliveries == [(0, 500), (1, 500), (2, 200)]


async def test_a_passing_fault_does_not_lose_the_answer(bot):
    srv, handler, _ = bot
    srv.fail(502, times=2)  # the third try goes through
    [answer, *_] = await says(srv, handler, "tiết kiệm nước trong nhà máy thế nào")
    assert "nước" in answer


async def test_an_answer_zalo_would_not_take_is_held_and_sent_once_later(bot):
    """Zalo failing for longer than an answer's tries (issue 13, "Outages survived"): the
    answer waits in the outbox (held_reply) and is sent once when Zalo takes it again."""
    srv, handler, conversation = bot
    calm = await says(srv, handler, "tiết kiệm nước trong nhà máy thế nào", user="u-calm")
    srv.fail(502, times=1000)  # every try of every part, until cleared
    assert await says(srv, handler, "tiết kiệm nước trong nhà máy thế nào") == []
    [row] = rows(conversation, Outbox, Outbox.kind == "held_reply")
    srv.clear_failures()  # Zalo is back
    delivery = Delivery(conversation.engine, conversation, conversation.clock,
                        {"zalo_oa": handler.sender})  # fmt: skip
    assert await delivery.run_once() == {"sent": 1}
    assert await delivery.run_once() == {}  # once
    assert srv.texts(U) == calm  # the same answer a person got without the outage


@pytest.mark.parametrize("bot", [{"reply_max_wait_seconds": 30}], indirect=True)
async def test_a_rate_limit_longer_than_an_answer_may_wait_is_not_waited_out(bot, caplog):
    srv, handler, conversation = bot
    srv.fail(-32)  # Zalo's -32 asks for a minute, the settings allow 30 s
    await asyncio.wait_for(handler.handle(srv.event("user_send_text", U, text="/start")), 10)
    assert "zalo -32" in caplog.text
    assert rows(conversation, Outbox, Outbox.kind == "held_reply")  # kept, not waited for


async def test_a_zalo_person_registers_for_an_event_and_gets_its_reminder(bot):
    srv, handler, conversation = bot
    save(conversation)  # a published workshop on 04/12/2026 08:00
    await says(srv, handler, "/events")
    [register] = [b for bs in srv.buttons(U) for b in bs if b["title"] == "✅ Đăng ký"]
    texts = await says(srv, handler, register["payload"])  # a tap comes back as its payload
    assert any("Đã đăng ký" in t for t in texts)
    sent_before = len(srv.sent(U))
    # A day before the start, five days after the person last wrote: past the 48 h of free
    # replies, inside the 7 days: the reminder goes in the proactive form.
    delivery = Delivery(conversation.engine, conversation, conversation.clock,
                        {"zalo_oa": handler.sender})  # fmt: skip
    conversation.clock._now = START - timedelta(days=1)
    assert await delivery.run_once() == {"sent": 1}
    [reminder] = srv.sent(U)[sent_before:]
    assert reminder.params["recipient"] == {"user_id": U}
    assert srv.texts(U)[-1].startswith('⏰ Nhắc lịch: "Hội thảo tiết kiệm')
    assert [b["title"] for b in srv.buttons(U)[-1]] == ["❌ Hủy đăng ký", "🗂 Sự kiện của tôi"]
    assert srv.proactive == 1


def test_the_withdraw_payload_pressed_elsewhere_asks_first(conversation):
    # Zalo's user_withdraw erases at once (above); the same payload forged as a button on
    # another channel asks, like /deletedata, and erases nothing.
    from tests.chat import Person

    lan = Person(conversation, user_id="lan")
    lan.says("/start")
    replies = lan.press_payload("pv:withdraw")
    assert rows(conversation, Contact)  # still there
    assert any("Có, xóa hết" in [b.label for b in r.buttons] for r in replies)


async def test_zalo_oa_sends_are_counted_in_messages_out(bot):
    """/metrics counted Telegram's sends only: each message Zalo OA accepted counts, with the
    channel label."""
    from tests.test_zalo_bot import counted

    srv, handler, _ = bot
    before = counted("zalo_oa")
    texts = await says(srv, handler, "tiết kiệm nước trong nhà máy thế nào")
    assert texts and counted("zalo_oa") - before == len(srv.sent(U))
