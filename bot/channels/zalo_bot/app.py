"""The Zalo Bot channel of one process: updates by polling or by webhook (never both: polling
deletes the webhook first, since a registered webhook silently starves getUpdates), each update
stored before it is handled (getUpdates hands an update out once), de-duplicated on event name
and message id, answered as text with choices numbered."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from contextlib import AsyncExitStack
from dataclasses import dataclass, replace

import httpx
from sqlalchemy.engine import Engine
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from bot import flood
from bot.channels.answers import Answering
from bot.channels.errors import SendError
from bot.channels.webbody import Refusals, read_capped
from bot.channels.zalo_bot.client import NOTHING_NEW, ZaloBotClient, ZaloBotError
from bot.channels.zalo_bot.inbound import to_inbound, unwrap
from bot.channels.zalo_bot.limits import CHANNEL
from bot.channels.zalo_bot.sender import ZaloBotSender
from bot.channels.zalo_oa.webhook import Pump
from bot.settings import Settings
from handlers.clock import Clock
from handlers.messages import Inbound
from handlers.router import Conversation
from storage import inbound_seen
from storage import zalo_oa as store
from storage.db import session_scope
from storage.zalo_oa_models import ZaloBotUpdate

log = logging.getLogger(__name__)

SECRET_HEADER = "x-bot-api-secret-token"


@dataclass
class UpdateHandler:
    conversation: Conversation
    sender: ZaloBotSender
    guard: flood.FloodGuard
    answering: Answering  # tries, backoff and the longest 429 wait (Answering.configured)

    def person(self, update: dict) -> str:
        inbound = to_inbound(update)
        return inbound.user_id if inbound else ""

    async def handle(self, update: dict) -> None:
        inbound = to_inbound(update)
        if inbound is None:
            return
        inbound = await asyncio.to_thread(self._typed_number, inbound)
        replies = await asyncio.to_thread(flood.handle, self.conversation, self.guard, inbound)
        await self.answering.answer(self.sender, inbound.user_id, replies)

    def _typed_number(self, inbound: Inbound) -> Inbound:
        """ "2" under numbered choices presses the second; any message makes them stale."""
        with session_scope(self.conversation.engine) as session:
            if inbound.message_id and inbound_seen.seen(
                session, CHANNEL, inbound.user_id, inbound.message_id
            ):
                return inbound  # a duplicate: the core ignores it, the choices stay
            contact_id, _ = store.window(session, CHANNEL, inbound.user_id)
            shown = store.choices(session, contact_id) if contact_id else []
            if not shown:
                return inbound
            store.set_choices(session, contact_id, [])
        text = (inbound.text or "").strip()
        number = int(text) if text.isascii() and text.isdigit() else 0
        if inbound.kind == "message" and 1 <= number <= len(shown):
            return replace(inbound, text=None, payload=shown[number - 1], kind="button")
        return inbound


class ZaloBot:
    """Polling (`run_polling`) or the webhook endpoint (`webhook`), and the pump behind both."""

    def __init__(self, settings: Settings, client: ZaloBotClient, pump: Pump, engine: Engine,
                 clock: Clock):  # fmt: skip
        self.settings, self.client, self.pump = settings.zalo_bot, client, pump
        self.engine, self.clock = engine, clock
        self.max_body_bytes = settings.web.max_body_bytes
        self.refusals = Refusals(clock)

    @classmethod
    async def open(
        cls, conversation: Conversation, settings: Settings, stack: AsyncExitStack
    ) -> ZaloBot:
        s = settings.zalo_bot
        http = await stack.enter_async_context(httpx.AsyncClient(timeout=15))
        client = ZaloBotClient(s.api_url, s.token.get_secret_value(), http)
        engine, clock = conversation.engine, conversation.clock
        sender = ZaloBotSender(client, engine, clock, text_limit=s.text_limit)
        guard = flood.FloodGuard(settings.limits.flood_burst, settings.limits.flood_per_minute)
        answering = Answering.configured(CHANNEL, engine, clock, settings.limits)
        handler = UpdateHandler(conversation, sender, guard, answering)
        pump = Pump(engine, clock, handler, model=ZaloBotUpdate)
        return cls(settings, client, pump, engine, clock)

    def store(self, update: dict) -> int:
        with session_scope(self.engine) as session:
            return store.store_event(
                session, json.dumps(update, ensure_ascii=False), self.clock.now(), ZaloBotUpdate
            )

    async def register_webhook(self) -> None:
        await self.client.call("setWebhook", {
            "url": self.settings.webhook_url,
            "secret_token": self.settings.webhook_secret.get_secret_value(),
        })  # fmt: skip

    async def poll_once(self) -> bool:
        """One getUpdates: the update (if any) is stored, then handed to the pump. True when
        an update came."""
        try:
            result = await self.client.call(
                "getUpdates",
                {"timeout": str(self.settings.poll_timeout)},
                http_timeout=self.settings.poll_timeout + 10,
            )
        except ZaloBotError as exc:
            if exc.code == NOTHING_NEW:
                return False
            raise
        updates = result if isinstance(result, list) else [result]
        stored = False
        for update in updates:
            update = unwrap(update)
            if update is not None:
                self.pump.kick(await asyncio.to_thread(self.store, update))
                stored = True
        return stored

    async def run_polling(self, stop: asyncio.Event) -> None:
        """Until `stop`: deleteWebhook first, then getUpdates in a loop (faults back off)."""
        await self.client.call("deleteWebhook")
        delay = 1.0
        while not stop.is_set():
            try:
                await self.poll_once()
                delay = 1.0
            except (ZaloBotError, SendError) as exc:
                log.warning("zalo_bot getUpdates failed (%s); again in %.0f s", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 60)

    async def webhook(self, request: Request) -> Response:
        secret = self.settings.webhook_secret
        given = request.headers.get(SECRET_HEADER, "")
        if secret is None or not hmac.compare_digest(
            given.encode(), secret.get_secret_value().encode()
        ):
            reason = "refused a zalo_bot webhook request without the right secret header"
            self.refusals.refused(request, reason)
            return PlainTextResponse("forbidden", status_code=403)
        body = await read_capped(request, self.max_body_bytes)
        if body is None:
            return PlainTextResponse("too large", status_code=413)
        try:
            update = unwrap(json.loads(body))
        except ValueError:
            update = None
        if update is None:
            return PlainTextResponse("ok")  # nothing we can read: never resent
        self.pump.kick(await asyncio.to_thread(self.store, update))
        return PlainTextResponse("ok")
