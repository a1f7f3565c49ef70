"""Zalo OA tokens against the local Zalo OA server: one refresh for many concurrent sends (and
several processes' keepers) on SQLite and PostgreSQL, a crash between receiving and storing a new
pair, a refused refresh marking the channel, and no token in any log line."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from bot.channels.errors import ChannelDown
from bot.channels.zalo_oa.app import ZaloOA
from bot.channels.zalo_oa.client import ZaloOAClient
from bot.channels.zalo_oa.sender import ZaloOASender
from bot.channels.zalo_oa.tokens import Pair, TokenKeeper, authorize
from bot.settings import ZaloOASettings
from handlers.clock import FrozenClock
from handlers.messages import Reply
from storage import contacts, migrate
from storage import zalo_oa as store
from storage.db import make_engine, session_scope
from tests.support.zalo_oa_server import APP_ID, APP_SECRET, OA_SECRET, FakeZaloOA

PEOPLE = 50


class Crash(BaseException):
    """Stands for the process dying (not an Exception: nothing may catch it on the way)."""


def keeper(engine, clock, srv: FakeZaloOA, **kw) -> TokenKeeper:  # noqa: ANN001
    return TokenKeeper(engine, clock, app_id=APP_ID, app_secret=APP_SECRET, oauth_url=srv.url, **kw)


def stored(engine):  # noqa: ANN001, ANN201
    with session_scope(engine) as session:
        return store.token(session)


@pytest.fixture
async def setup(db_url):
    clock = FrozenClock()
    migrate.upgrade(db_url)
    engine = make_engine(db_url)
    async with FakeZaloOA(clock) as srv:
        access, refresh = srv.issue_pair()
        with session_scope(engine) as session:
            now = clock.now()
            store.store_pair(session, access, refresh, now + timedelta(hours=25), now)
            for i in range(PEOPLE):
                srv.event("user_send_text", f"u{i}", text="Xin chào", msg_id=f"m{i}")
                contact, _ = contacts.touch(session, "zalo_oa", f"u{i}", now)
                store.record_inbound(session, contact.id, f"m{i}", now)
        yield srv, clock, engine
    engine.dispose()


async def send_all(senders: list[ZaloOASender]) -> list[object]:
    jobs = [
        senders[i % len(senders)].send(f"u{i}", [Reply(text="Nhắc lịch hội thảo")])
        for i in range(PEOPLE)
    ]
    return await asyncio.gather(*jobs, return_exceptions=True)


@pytest.mark.parametrize("how", ["due", "refused"])
async def test_fifty_sends_with_an_expired_token_cause_one_refresh_and_all_succeed(setup, how):
    """Five keepers stand for five processes (each its own in-process lock); only the
    database lock keeps them from burning the single-use refresh token twice."""
    srv, clock, engine = setup
    srv.token_delay = 0.3  # a slow token endpoint: the others really wait on the lock
    srv.expire_access_tokens()
    if how == "due":  # we know it expired: refreshed before use
        clock.advance(hours=26)
        srv.event("user_send_text", "u0", text="still here")  # the server's clock moved too
    # "refused": our copy looks fresh, Zalo answers -220 and each send refreshes once
    async with httpx.AsyncClient(timeout=10) as http:
        senders = [
            ZaloOASender(ZaloOAClient(srv.url, keeper(engine, clock, srv), http), engine, clock)
            for _ in range(5)
        ]
        if how == "due":
            for i in range(PEOPLE):  # keep everyone inside the interaction window
                srv.event("user_send_text", f"u{i}", text="Xin chào", msg_id=f"m{i}b")
                with session_scope(engine) as session:
                    cid, _ = store.window(session, "zalo_oa", f"u{i}")
                    store.record_inbound(session, cid, f"m{i}b", clock.now())
        results = await send_all(senders)
    assert [r for r in results if isinstance(r, BaseException)] == []  # each gave its route
    assert set(results) <= {"free", "quota"}
    assert srv.refreshes == 1
    assert len(srv.sent()) == PEOPLE
    row = stored(engine)
    assert row.refreshes == 2 and row.state == "ok"  # the first pair, then the one refresh
    assert srv.refresh_token_valid(row.refresh_token)


async def test_a_crash_between_receiving_and_storing_a_pair_leaves_the_old_pair_and_a_clear_state(
    setup, caplog
):
    srv, clock, engine = setup
    before = stored(engine)
    clock.advance(hours=20)  # under the 6 h margin: due for a refresh

    def die(pair: Pair) -> None:
        raise Crash

    with pytest.raises(Crash):
        await keeper(engine, clock, srv, after_exchange=die).access_token()
    after = stored(engine)
    # Nothing half-written: the old pair is still there, untouched.
    assert (after.access_token, after.refresh_token, after.refreshes) == (
        before.access_token, before.refresh_token, before.refreshes)  # fmt: skip
    # Zalo has used the refresh token: the next refresh is refused, the channel is marked and
    # officers are told; it is never a silent failure.
    alerts: list[str] = []
    with caplog.at_level(logging.DEBUG), pytest.raises(ChannelDown, match="re-authorisation"):
        await keeper(engine, clock, srv, alert=alerts.append).access_token()
    assert stored(engine).state == store.NEEDS_REAUTHORISATION
    assert alerts and "invalid_grant" in alerts[0]
    # Every later send stops at once, without calling Zalo; the lane looks again within a
    # minute (it waited an hour: held answers came an hour after `zalo authorize`).
    with pytest.raises(ChannelDown) as stopped:
        await keeper(engine, clock, srv).access_token()
    assert stopped.value.retry_after <= 60
    assert len(srv.token_calls) == 2
    # Re-authorising (a pasted refresh token here) makes the channel usable again.
    _, fresh = srv.issue_pair()
    settings = ZaloOASettings(app_id=APP_ID, app_secret=APP_SECRET, oa_secret_key=OA_SECRET,
                              oauth_url=srv.url)  # fmt: skip
    await asyncio.to_thread(authorize, engine, clock, settings, refresh_token=fresh)
    assert stored(engine).state == "ok"
    assert await keeper(engine, clock, srv).access_token() == stored(engine).access_token
    for secret in (before.access_token, before.refresh_token, fresh, APP_SECRET):
        assert secret not in caplog.text


async def test_authorize_with_a_code_stores_the_first_pair(tmp_path):
    clock = FrozenClock()
    url = f"sqlite:///{tmp_path / 'a.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    async with FakeZaloOA(clock) as srv:
        settings = ZaloOASettings(app_id=APP_ID, app_secret=APP_SECRET, oa_secret_key=OA_SECRET,
                                  oauth_url=srv.url)  # fmt: skip
        with pytest.raises(ChannelDown, match="authorize"):
            await keeper(engine, clock, srv).access_token()
        expires = await asyncio.to_thread(
            authorize, engine, clock, settings, code=srv.authorization_code()
        )
        assert expires == clock.now() + timedelta(seconds=90_000)  # expires_in "90000"
        assert srv.token_calls[-1]["grant_type"] == "authorization_code"
        token = await keeper(engine, clock, srv).access_token()
        assert token == stored(engine).access_token and token.startswith("at_")
    engine.dispose()


def run_cli(
    args: list[str], env: dict[str, str], cwd, stdin: str = ""
) -> subprocess.CompletedProcess:  # noqa: ANN001
    return subprocess.run(
        [str(Path(sys.executable).parent / "sxsh-bot"), *args],
        input=stdin, env=env, cwd=cwd, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


async def test_the_authorize_and_status_commands(tmp_path):
    async with FakeZaloOA(FrozenClock()) as srv:
        _, refresh = srv.issue_pair()
        env = {k: v for k, v in os.environ.items() if not k.startswith("SXSH_")}
        env |= srv.settings_env() | {"SXSH_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}"}
        usage = await asyncio.to_thread(run_cli, ["zalo", "authorize"], env, tmp_path)
        done = await asyncio.to_thread(
            run_cli, ["zalo", "authorize", "--refresh-token"], env, tmp_path, refresh + "\n"
        )
        again = await asyncio.to_thread(
            run_cli, ["zalo", "authorize", "--refresh-token"], env, tmp_path, refresh + "\n"
        )  # single use: Zalo refuses the same refresh token twice
        after = await asyncio.to_thread(run_cli, ["zalo", "status"], env, tmp_path)
    assert usage.returncode == 2 and "--code CODE or --refresh-token" in usage.stderr
    assert done.returncode == 0 and "Zalo OA authorised" in done.stdout
    assert again.returncode == 1 and "Zalo refused: invalid_grant" in again.stderr
    assert "state: ok" in after.stdout and "events_waiting: 0" in after.stdout
    for output in (done.stdout, done.stderr, after.stdout, again.stderr):
        assert refresh not in output and "at_" not in output


async def test_an_idle_oa_keeps_its_tokens_fresh(setup):
    """No message for 20 hours: the keeper refreshes on its own, before anyone waits."""
    srv, clock, engine = setup
    clock.advance(hours=20)  # under the 6 h margin of a 25 h token
    async with httpx.AsyncClient(timeout=5) as http:
        sender = ZaloOASender(
            ZaloOAClient(srv.url, keeper(engine, clock, srv), http), engine, clock
        )
        zalo = ZaloOA(sender, pump=None, webhook=None)
        await zalo.check_tokens()
    assert srv.refreshes == 1
    assert stored(engine).expires_at > clock.now() + timedelta(hours=24)
