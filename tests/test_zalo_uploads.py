"""An image or a file sent to many Zalo OA people is uploaded once and its attachment id or
token reused, by every process (kept in the database), until it is a little under Zalo's 7
days old; an upload Zalo calls expired (-100) is uploaded again once and the send retried. The
local Zalo OA server counts the uploads."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from sqlmodel import Session, select

from bot.channels.zalo_oa.client import ZaloOAClient
from bot.channels.zalo_oa.sender import ZaloOASender
from bot.channels.zalo_oa.tokens import TokenKeeper
from handlers.clock import FrozenClock
from handlers.messages import Attachment, Reply
from storage import contacts, migrate
from storage import zalo_oa as store
from storage.db import make_engine, session_scope
from storage.zalo_oa_models import ZaloOAUpload
from tests.support.zalo_oa_server import APP_ID, APP_SECRET, FakeZaloOA

PHOTO = Attachment("hoi-thao.png", b"\x89PNG\r\n\x1a\n" + b"\x01" * 40, "image/png", is_image=True)
LEAFLET = Attachment("to-roi.pdf", b"%PDF-1.4 to roi SXSH", "application/pdf")
CS = "/v3.0/oa/message/cs"
PEOPLE = [f"z{i}" for i in range(1, 7)]


@pytest.fixture
async def setup(db_url):
    """The server, and a sender factory: each call is another process's sender (its own
    HTTP client and memory) on the same database (SQLite and PostgreSQL)."""
    clock = FrozenClock()
    migrate.upgrade(db_url)
    engine = make_engine(db_url)
    async with FakeZaloOA(clock) as srv, httpx.AsyncClient(timeout=5) as http:
        access, refresh = srv.issue_pair(lifetime=30 * 86400)
        with session_scope(engine) as session:
            store.store_pair(
                session, access, refresh, clock.now() + timedelta(days=30), clock.now()
            )
            for user in PEOPLE:
                contact, _ = contacts.touch(session, "zalo_oa", user, clock.now())
                srv.event("user_send_text", user, text="Xin chào", msg_id=f"m-{user}")
                store.record_inbound(session, contact.id, f"m-{user}", clock.now())

        def sender() -> ZaloOASender:
            keeper = TokenKeeper(engine, clock, app_id=APP_ID, app_secret=APP_SECRET,
                                 oauth_url=srv.url)  # fmt: skip
            return ZaloOASender(ZaloOAClient(srv.url, keeper, http), engine, clock)

        yield srv, clock, engine, sender
    engine.dispose()


def uploads(srv: FakeZaloOA) -> list[str]:
    return [c.path for c in srv.calls if "/upload/" in c.path]


def attachment_ids(srv: FakeZaloOA) -> list[str]:
    """The attachment id or file token of each media message Zalo accepted, in order."""
    out = []
    for call in srv.sent():
        attachment = call.params["message"].get("attachment") or {}
        payload = attachment.get("payload") or {}
        if payload.get("template_type") == "media":
            out.append(payload["elements"][0]["attachment_id"])
        elif attachment.get("type") == "file":
            out.append(payload["token"])
    return out


async def test_a_photo_to_many_people_is_uploaded_once_by_every_process(setup):
    srv, _, engine, sender = setup
    first, second = sender(), sender()
    # Three people at once from one process, then three more from another.
    await asyncio.gather(*(first.send(u, [Reply(text="Mời dự hội thảo", attachment=PHOTO)])
                           for u in PEOPLE[:3]))  # fmt: skip
    for user in PEOPLE[3:]:
        await second.send(user, [Reply(text="Mời dự hội thảo", attachment=PHOTO)])
    assert uploads(srv) == ["/v2.0/oa/upload/image"]
    assert attachment_ids(srv) == ["img1"] * 6
    assert [len(srv.sent(u)) for u in PEOPLE] == [2] * 6  # the photo and its text, each once
    # A document too: one upload for everyone.
    for user in PEOPLE[:3]:
        await second.send(user, [Reply(attachment=LEAFLET)])
    assert uploads(srv) == ["/v2.0/oa/upload/image", "/v2.0/oa/upload/file"]
    assert attachment_ids(srv)[-3:] == ["file2"] * 3
    with Session(engine) as s:
        kept = {r.digest.split(":")[0]: r.uses for r in s.exec(select(ZaloOAUpload)).all()}
    assert kept == {"image": 6, "file": 3}


async def test_processes_missing_the_same_upload_at_once_make_one_upload_between_them(setup):
    srv, _, _, sender = setup
    srv.upload_delay = 0.5  # the others wait while one uploads
    processes = [sender() for _ in range(3)]
    await asyncio.gather(*(p.send(u, [Reply(attachment=PHOTO)])
                           for p, u in zip(processes * 2, PEOPLE, strict=True)))  # fmt: skip
    assert uploads(srv) == ["/v2.0/oa/upload/image"]
    assert attachment_ids(srv) == ["img1"] * 6


async def test_an_upload_near_zalos_7_days_or_refused_as_expired_is_uploaded_again_once(setup):
    srv, clock, _, sender = setup
    one = sender()
    await one.send("z1", [Reply(attachment=PHOTO)])
    clock.advance(days=6)
    for user in ("z1", "z2"):  # still written to in the window: reused
        srv.event("user_send_text", user, text="Vâng", msg_id=f"m2-{user}")
    await one.send("z2", [Reply(attachment=PHOTO)])
    assert attachment_ids(srv) == ["img1", "img1"] and len(uploads(srv)) == 1
    clock.advance(hours=23, minutes=30)  # past 6 days 23 hours: too close to Zalo's 7 days
    await one.send("z2", [Reply(attachment=PHOTO)])
    assert attachment_ids(srv)[-1] == "img2" and len(uploads(srv)) == 2

    # Zalo refuses the kept upload as expired (-100): one new upload, the send retried once;
    # the next person gets the new one without another upload.
    srv.fail(-100, path=CS)
    await sender().send("z1", [Reply(attachment=PHOTO)])
    await sender().send("z2", [Reply(attachment=PHOTO)])
    assert len(uploads(srv)) == 3
    assert attachment_ids(srv)[-2:] == ["img3", "img3"]
