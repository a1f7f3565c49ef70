"""How each Zalo OA message went (issue 12): reached free (a reply to the person's own
message), reached on the OA's proactive quota, or not reachable and why, stored per outbox row
and reported — event reminders (/eventinfo, `sxsh-bot events show`), an officer's answer to a
ticket (told to the officer, the failure too). Delivered by the lanes through the local Zalo
OA server, which keeps its own reply/proactive accounting and the 7-day rule."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from bot.channels.zalo_oa.client import ZaloOAClient
from bot.channels.zalo_oa.sender import ZaloOASender
from bot.channels.zalo_oa.tokens import TokenKeeper
from bot.cli import app
from bot.delivery import Delivery
from handlers.events import officer_view, service
from handlers.tickets.inbox import answer_ticket
from storage import contacts
from storage import zalo_oa as store
from storage.db import session_scope
from storage.models import Contact, ContactStatus, Outbox
from tests.chat import Person, Recorder
from tests.events.conftest import save
from tests.support.zalo_oa_server import APP_ID, APP_SECRET, FakeZaloOA


@pytest.fixture
async def zalo(conversation, clock):
    """The local Zalo OA server, the token pair in the database, and delivery lanes for Zalo
    OA and the console (where the officer is)."""
    async with FakeZaloOA(clock) as srv, httpx.AsyncClient(timeout=5) as http:
        access, refresh = srv.issue_pair()
        now = clock.now()
        with session_scope(conversation.engine) as session:
            store.store_pair(session, access, refresh, now + timedelta(hours=25), now)
        keeper = TokenKeeper(conversation.engine, clock, app_id=APP_ID, app_secret=APP_SECRET,
                             oauth_url=srv.url)  # fmt: skip
        sender = ZaloOASender(ZaloOAClient(srv.url, keeper, http), conversation.engine, clock)
        console = Recorder()
        delivery = Delivery.from_settings(
            conversation.engine, conversation, clock, {"zalo_oa": sender, "console": console},
            conversation.settings.delivery,
        )  # fmt: skip
        yield srv, delivery, console


def writes(conversation, srv: FakeZaloOA, user: str, *, known_to_zalo: bool = True) -> int:
    """The Zalo person `user` writes to the OA now (the webhook's bookkeeping); returns their
    contact id. `known_to_zalo=False`: only our database saw it (Zalo's own count differs)."""
    now = conversation.clock.now()
    msg_id = f"m-{user}-{int(now.timestamp())}"
    if known_to_zalo:
        srv.event("user_send_text", user, text="Xin chào", msg_id=msg_id)
    with session_scope(conversation.engine) as session:
        contact, _ = contacts.touch(session, "zalo_oa", user, now)
        store.record_inbound(session, contact.id, msg_id, now)
        return contact.id


def routes(conversation, kind_prefix: str) -> dict[str, tuple[str, str | None, str | None]]:
    """platform id -> (status, route, error) of the outbox rows whose key starts so."""
    with Session(conversation.engine) as s:
        rows = s.exec(
            select(Contact.platform_id, Outbox.status, Outbox.route, Outbox.error)
            .join(Contact, Contact.id == Outbox.contact_id)
            .where(Outbox.key.startswith(kind_prefix))
        ).all()
    return {pid: (status, route, error) for pid, status, route, error in rows}


async def test_event_reminders_report_zalo_contacts_reached_free_on_quota_and_not_reachable(
    conversation, clock, zalo, monkeypatch
):
    srv, delivery, _ = zalo
    event = save(conversation)  # starts 04/12 08:00; reminders 1 day and 2 hours before
    people = {}
    for user, days_before in (("z-old", 8), ("z-mid", 3)):
        clock.advance(days=5 - days_before)  # they wrote to the OA this long before the reminder
        people[user] = writes(conversation, srv, user)
        clock.advance(days=days_before - 5)
    people["z-now"] = writes(conversation, srv, "z-now")
    people["z-gone"] = writes(conversation, srv, "z-gone", known_to_zalo=False)
    people["z-blocked"] = writes(conversation, srv, "z-blocked")
    config, tz = conversation.content.events, conversation.settings.tz
    with Session(conversation.engine, expire_on_commit=False) as s:
        for contact_id in people.values():
            row = s.get(type(event), event.id)
            service.registered(s, row, s.get(Contact, contact_id), config, tz, clock.now())
        s.commit()
    # The day before the event (08:00 on 03/12): z-now writes again just before the reminder.
    clock.advance(days=5, hours=-1, minutes=1)
    writes(conversation, srv, "z-now")
    clock.advance(minutes=1)
    with session_scope(conversation.engine) as session:  # z-gone: 3 days by our count
        contact_id = people["z-gone"]
        store.record_inbound(session, contact_id, "m-gone", clock.now() - timedelta(days=3))
        blocked = session.get(Contact, people["z-blocked"])  # blocked the OA since registering
        contacts.set_status(session, blocked, ContactStatus.blocked)
    await delivery.drain()
    await delivery.drain()  # nothing twice

    sent = routes(conversation, f"event:{event.id}:v1:remind:1440m:")  # the day-before one
    assert sent["z-now"][:2] == ("sent", "free")
    assert sent["z-mid"][:2] == ("sent", "quota")
    assert sent["z-old"][:2] == ("unreachable", "not_reachable")
    # Our count said 3 days; Zalo refused (-230): not reachable, with Zalo's reason.
    assert sent["z-gone"][:2] == ("unreachable", "not_reachable")
    assert sent["z-gone"][2].startswith("zalo -230")
    assert (srv.free, srv.proactive) == (1, 1)
    assert sent["z-blocked"][0] == "unreachable"
    assert [len(srv.sent(u)) for u in ("z-now", "z-mid", "z-old", "z-gone", "z-blocked")] == [
        1, 1, 0, 0, 0]  # fmt: skip
    with Session(conversation.engine) as s:
        event_row = s.get(type(event), event.id)
        text = officer_view.info_text(conversation.content, s, event_row, tz, "vi")
        english = officer_view.info_text(conversation.content, s, event_row, tz, "en")
    assert (
        "Zalo OA: 1 miễn phí (trả lời tin người nhận đã nhắn), 1 tính vào hạn mức tin chủ động "
        "của OA, 3 không liên lạc được (đã chặn hoặc ngừng dùng Zalo 1, quá 7 ngày không nhắn "
        "với OA 2)." in text
    ), text
    assert "Zalo OA: 1 free (a reply to the person's own message), 1 on the OA's proactive " \
        "quota, 3 not reachable (blocked the OA or left Zalo 1, no message to the OA for 7 days " \
        "2)." in english  # fmt: skip
    # `sxsh-bot outbox`: what the OA's quota went on, per kind (sends Zalo answered or refused).
    monkeypatch.setenv("SXSH_DATABASE_URL", conversation.settings.database_url)
    shown = CliRunner().invoke(app, ["outbox"])
    assert shown.exit_code == 0, shown.output
    after = shown.output.split("Zalo OA: how each message went")[1]
    header = next(line for line in after.splitlines() if "free" in line)
    row = next(line for line in after.splitlines() if "event_reminder" in line)
    cells = lambda line: [c.strip() for c in line.strip("│┃ ").replace("┃", "│").split("│")]  # noqa: E731
    assert dict(zip(cells(header), cells(row), strict=True)) == {
        "kind": "event_reminder", "free": "1", "quota": "1", "not_reachable": "2"}  # fmt: skip


async def test_an_officer_is_told_how_the_answer_reached_a_zalo_person_and_when_it_did_not(
    conversation, clock, zalo
):
    srv, delivery, console = zalo
    officer = Person(conversation, user_id="officer")
    officer.says("/start")
    writes(conversation, srv, "z1")
    asker = Person(conversation, user_id="z1", channel="zalo_oa")
    asker.says("/officer cần tư vấn lò hơi")
    await delivery.drain()  # the ticket's card to the officer
    ticket_id = _only_ticket(conversation)

    officer.says(f"/reply {ticket_id} Sở sẽ gọi anh trong hôm nay")
    console.sent.clear()
    await delivery.drain()
    assert "Sở sẽ gọi anh trong hôm nay" in srv.texts("z1")[-1]
    assert srv.proactive == 0
    told = [text for pid, text in console.sent if pid == "officer"]
    assert told == [
        f"✅ Câu trả lời phiếu #{ticket_id} đã đến người hỏi trên Zalo, miễn phí (trả lời tin họ "
        "đã nhắn)."
    ]

    # Eight days later the person has not written again: Zalo allows nothing; the officer's
    # second answer is not delivered, and the officer is told why.
    clock.advance(days=8)
    officer.says(f"/reply {ticket_id} --force Anh còn cần tư vấn không?")
    console.sent.clear()
    await delivery.drain()
    assert len(srv.sent("z1")) == 1  # nothing more reached Zalo
    told = [text for pid, text in console.sent if pid == "officer"]
    assert told == [
        f"⚠️ Câu trả lời phiếu #{ticket_id} KHÔNG đến được người hỏi (Zalo OA): đã quá 7 ngày họ "
        "không nhắn với OA, Zalo không cho gửi. Xin liên hệ họ cách khác (điện thoại, email)."
    ]

    # Answered from the command line (no chat to answer in): the failure reaches the officers.
    with session_scope(conversation.engine) as session:
        answer_ticket(session, ticket_id, "Gọi lại sau", "cli:Hoa", clock.now(), force=True,
                      tell=["console:officer"])  # fmt: skip
    console.sent.clear()
    await delivery.drain()
    told = [text for pid, text in console.sent if pid == "officer"]
    assert len(told) == 1 and told[0].startswith(f"⚠️ Câu trả lời phiếu #{ticket_id} KHÔNG")
    with Session(conversation.engine) as s:
        kept = s.exec(
            select(Outbox.status, Outbox.route)
            .where(Outbox.kind == "officer_reply")
            .order_by(Outbox.id)
        ).all()
    assert kept == [
        ("sent", "free"),
        ("unreachable", "not_reachable"),
        ("unreachable", "not_reachable"),
    ]


def _only_ticket(conversation) -> int:
    from storage.tickets_models import Ticket

    with Session(conversation.engine) as s:
        [ticket_id] = s.exec(select(Ticket.id)).all()
    return ticket_id


async def test_on_any_channel_an_answer_that_does_not_arrive_is_told_to_the_officer(
    conversation, clock, zalo
):
    _, delivery, console = zalo
    officer = Person(conversation, user_id="officer")
    officer.says("/start")
    asker = Person(conversation, user_id="dn7")
    asker.says("/officer xin tư vấn xử lý nước thải")
    await delivery.drain()
    ticket_id = _only_ticket(conversation)
    with session_scope(conversation.engine) as session:  # the person blocked the bot since
        contacts.set_status(session, contacts.get(session, "console", "dn7"), ContactStatus.blocked)
    officer.says(f"/reply {ticket_id} Sở gửi tài liệu hướng dẫn")
    console.sent.clear()
    await delivery.drain()
    assert [pid for pid, _ in console.sent if pid == "dn7"] == []  # blocked: nothing sent
    assert [text for pid, text in console.sent if pid == "officer"] == [
        f"⚠️ Câu trả lời phiếu #{ticket_id} KHÔNG đến được người hỏi (Terminal): họ đã chặn hoặc "
        "ngừng dùng tài khoản. Xin liên hệ họ cách khác (điện thoại, email)."
    ]
    # A delivered answer on a channel that does not say how is not announced.
    with session_scope(conversation.engine) as session:
        contacts.set_status(session, contacts.get(session, "console", "dn7"), ContactStatus.active)
    officer.says(f"/reply {ticket_id} --force Sở gửi lại tài liệu")
    console.sent.clear()
    await delivery.drain()
    assert [pid for pid, _ in console.sent] == ["dn7"]
