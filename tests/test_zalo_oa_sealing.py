"""The OA's tokens at rest encrypted with a Fernet key from the settings (optional): what the
database holds is neither token; sends and refreshes work through the local Zalo OA server; a
pair stored before the key was set keeps working and is encrypted at the next refresh; keys
rotate; a missing or wrong key stops the lane with a reason that names the setting, never a
token; without a key nothing changes (every other Zalo test)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from cryptography.fernet import Fernet

from bot.channels.errors import ChannelDown
from bot.channels.zalo_oa.app import state
from bot.channels.zalo_oa.client import ZaloOAClient
from bot.channels.zalo_oa.sealing import Sealer
from bot.channels.zalo_oa.sender import ZaloOASender
from bot.channels.zalo_oa.tokens import TokenKeeper, authorize
from bot.settings import SettingsError, ZaloOASettings, load_settings
from handlers.clock import FrozenClock
from handlers.messages import Reply
from storage import contacts, migrate
from storage import zalo_oa as store
from storage.db import make_engine, session_scope
from tests.support.zalo_oa_server import APP_ID, APP_SECRET, OA_SECRET, FakeZaloOA

KEY, OLD_KEY = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def settings_for(srv: FakeZaloOA, key: str | None) -> ZaloOASettings:
    return ZaloOASettings(app_id=APP_ID, app_secret=APP_SECRET, oa_secret_key=OA_SECRET,
                          oauth_url=srv.url, api_url=srv.url, token_key=key)  # fmt: skip


def row(engine):  # noqa: ANN001, ANN201
    with session_scope(engine) as session:
        return store.token(session)


@pytest.fixture
async def setup(db_url):
    clock = FrozenClock()
    migrate.upgrade(db_url)
    engine = make_engine(db_url)
    async with FakeZaloOA(clock) as srv, httpx.AsyncClient(timeout=5) as http:
        with session_scope(engine) as session:
            contact, _ = contacts.touch(session, "zalo_oa", "u1", clock.now())
            srv.event("user_send_text", "u1", text="Xin chào", msg_id="m1")
            store.record_inbound(session, contact.id, "m1", clock.now())

        alerts: list[str] = []

        def sender(key: str | None) -> ZaloOASender:
            keeper = TokenKeeper.from_settings(
                engine, clock, settings_for(srv, key), alert=alerts.append
            )
            return ZaloOASender(ZaloOAClient(srv.url, keeper, http), engine, clock)

        sender.alerts = alerts  # what officers were told (bot/channels/zalo_oa/app.py: alerter)
        yield srv, clock, engine, sender
    engine.dispose()


async def test_with_a_key_the_database_holds_neither_token_and_everything_works(setup):
    srv, clock, engine, sender = setup
    await asyncio.to_thread(
        authorize, engine, clock, settings_for(srv, KEY), code=srv.authorization_code()
    )
    kept = row(engine)
    access = await sender(KEY).client.tokens.access_token()
    assert access.startswith("at_") and srv.refresh_token_valid(
        Sealer(KEY).open(kept.refresh_token)
    )
    for value in (kept.access_token, kept.refresh_token):
        assert value.startswith("fernet:") and "at_" not in value and "rt_" not in value
    assert await sender(KEY).send("u1", [Reply(text="Chào anh")]) == "free"
    # Expired at Zalo: one refresh with the decrypted refresh token, the new pair encrypted.
    srv.expire_access_tokens()
    assert await sender(KEY).send("u1", [Reply(text="Nhắc lịch")]) == "free"
    assert srv.refreshes == 2 and len(srv.sent("u1")) == 2
    assert row(engine).refresh_token.startswith("fernet:") and state(engine)["token_storage"] == (
        "encrypted")  # fmt: skip
    # Without the key (or with another) the lane stops and says why; the tokens stay unread.
    for key, why in ((None, "encrypted: set SXSH_ZALO_OA_TOKEN_KEY"), (OLD_KEY, "cannot be")):
        with pytest.raises(ChannelDown, match=why) as raised:
            await sender(key).send("u1", [Reply(text="Chào")])
        assert "at_" not in raised.value.reason and KEY not in raised.value.reason
        assert sender.alerts[-1] == raised.value.reason  # officers told, not only the log
    assert len(srv.sent("u1")) == 2


async def test_a_plain_pair_keeps_working_when_a_key_is_set_and_keys_rotate(setup):
    srv, clock, engine, sender = setup
    access, refresh = srv.issue_pair()
    with session_scope(engine) as session:  # stored before anyone set a key
        store.store_pair(session, access, refresh, clock.now() + timedelta(hours=25), clock.now())
    assert state(engine)["token_storage"] == "plain"
    assert await sender(OLD_KEY).send("u1", [Reply(text="Một")]) == "free"
    assert row(engine).access_token == access  # read as it was; nothing refreshed yet
    clock.advance(hours=20)  # under the 6-hour margin: refreshed, and now encrypted
    srv.event("user_send_text", "u1", text="Còn đây", msg_id="m2")
    with session_scope(engine) as session:
        store.record_inbound(session, row_contact(session), "m2", clock.now())
    assert await sender(OLD_KEY).send("u1", [Reply(text="Hai")]) == "free"
    assert row(engine).refresh_token.startswith("fernet:")
    # Rotation: the new key first, the old one still decrypts the stored pair.
    assert await sender(f"{KEY},{OLD_KEY}").send("u1", [Reply(text="Ba")]) == "free"
    assert len(srv.sent("u1")) == 3 and srv.refreshes == 1


def row_contact(session) -> int:  # noqa: ANN001
    contact_id, _ = store.window(session, "zalo_oa", "u1")
    return contact_id


def test_a_key_that_is_not_a_fernet_key_stops_the_settings_without_showing_it(monkeypatch):
    monkeypatch.setenv("SXSH_ZALO_OA_TOKEN_KEY", "not-a-key-but-a-secret-123")
    with pytest.raises(SettingsError) as refused:
        load_settings(database_url="sqlite://")
    assert str(refused.value) == "SXSH_ZALO_OA_TOKEN_KEY: key 1 is not URL-safe base64"
    monkeypatch.setenv("SXSH_ZALO_OA_TOKEN_KEY", "")  # blank: no encryption
    assert load_settings(database_url="sqlite://").zalo_oa.token_key is None
