"""The Zalo OA channel of one process, assembled from the settings: token keeper, HTTP client,
sender (for replies and the delivery lanes), event handler, pump and webhook endpoint."""

from __future__ import annotations

import asyncio
import logging
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import timedelta

import httpx
from sqlalchemy.engine import Engine

from bot import flood
from bot.channels.answers import Answering
from bot.channels.errors import SendError
from bot.channels.zalo_oa.client import ZaloOAClient
from bot.channels.zalo_oa.events import EventHandler
from bot.channels.zalo_oa.limits import CHANNEL
from bot.channels.zalo_oa.sealing import PREFIX
from bot.channels.zalo_oa.sender import Window, ZaloOASender
from bot.channels.zalo_oa.tokens import TokenKeeper
from bot.channels.zalo_oa.webhook import Pump, Webhook
from bot.settings import Settings
from handlers import channel_alerts
from handlers.clock import Clock
from handlers.router import Conversation
from storage import app_state
from storage import zalo_oa as store
from storage.db import session_scope

log = logging.getLogger(__name__)

ALERT_KEY = "zalo_oa.alert"  # the last channel-level problem, for /healthz and officers


def alerter(engine: Engine, clock: Clock, settings: Settings):  # noqa: ANN201
    """A channel-level problem: logged, kept where every process and /healthz see it, and
    told to every officer the bot can write to (once a day per reason)."""

    def alert(reason: str) -> None:
        log.error("zalo_oa needs an officer: %s", reason)
        now = clock.now()
        with session_scope(engine) as session:
            app_state.set_value(session, ALERT_KEY, f"{now.isoformat()} {reason}"[:500])
            channel_alerts.alert(session, settings, "Zalo OA", reason, now)

    return alert


def open_sender(
    settings: Settings, engine: Engine, clock: Clock, http: httpx.AsyncClient
) -> ZaloOASender:
    s = settings.zalo_oa
    alert = alerter(engine, clock, settings)
    keeper = TokenKeeper.from_settings(engine, clock, s, alert=alert)
    return ZaloOASender(
        ZaloOAClient(s.api_url, keeper, http),
        engine,
        clock,
        Window(
            reply=timedelta(hours=s.reply_window_hours),
            replies_per_message=s.replies_per_message,
            interaction=timedelta(days=s.interaction_window_days),
            upload_reuse=timedelta(hours=s.upload_reuse_hours),
        ),
        text_limit=s.text_limit,
        max_buttons=s.max_buttons,
        alert=alert,
    )


@dataclass
class ZaloOA:
    sender: ZaloOASender
    pump: Pump
    webhook: Webhook

    @classmethod
    async def open(
        cls, conversation: Conversation, settings: Settings, stack: AsyncExitStack
    ) -> ZaloOA:
        """The channel, its HTTP client closed with `stack`; call pump.start() in the loop."""
        http = await stack.enter_async_context(
            httpx.AsyncClient(timeout=settings.zalo_oa.http_timeout)
        )
        engine, clock = conversation.engine, conversation.clock
        sender = open_sender(settings, engine, clock, http)
        guard = flood.FloodGuard(settings.limits.flood_burst, settings.limits.flood_per_minute)
        answering = Answering.configured(CHANNEL, engine, clock, settings.limits)
        handler = EventHandler(conversation, sender, guard, answering)
        pump = Pump(engine, clock, handler)
        webhook = Webhook(
            engine,
            clock,
            pump,
            app_id=settings.zalo_oa.app_id or "",
            oa_secret=settings.zalo_oa.oa_secret_key.get_secret_value(),
            max_body_bytes=settings.web.max_body_bytes,
        )
        return cls(sender, pump, webhook)

    async def check_tokens(self) -> None:
        """Make sure the access token is fresh (refreshed when under the margin or 12 h old),
        so an idle OA keeps a working token pair and a refused refresh is noticed (and told to
        officers) before a person waits for an answer."""
        try:
            await self.sender.client.tokens.access_token()
        except SendError as exc:  # not authorised, needs re-authorisation, network fault
            log.warning("zalo_oa token check: %s", exc.reason)

    async def keep_fresh(self, every_seconds: float = 1800) -> None:
        """check_tokens() forever, every `every_seconds`; cancel to stop."""
        while True:
            await self.check_tokens()
            await asyncio.sleep(every_seconds)


def state(engine: Engine) -> dict[str, object]:
    """What /healthz and `sxsh-bot zalo status` show: token state, expiry, last alert, events
    waiting to be handled. Never a token."""
    with session_scope(engine) as session:
        row = store.token(session)
        alert = app_state.get_value(session, ALERT_KEY)
        pending = store.pending_events(session)
    token_state = "not_authorised" if row is None or not row.refresh_token else row.state
    sealed = row is not None and row.refresh_token.startswith(PREFIX)
    return {
        "state": token_state,
        "token_storage": "encrypted" if sealed else "plain",
        "expires_at": row.expires_at.isoformat() if row and row.expires_at else None,
        "reason": row.reason if row else None,
        "last_alert": alert,
        "events_waiting": pending,
    }
