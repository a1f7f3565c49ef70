"""The Zalo OA webhook endpoint (CHANNELS.md "Webhook") and the pump that handles what it stored.

The endpoint answers within Zalo's 2 s: it refuses a body over the size limit (413) or with a
missing or wrong signature (401, logged without the body), answers an unsigned empty probe
(`{}` or nothing) with 200 and does nothing, otherwise stores the raw event and answers 200.
The pump handles stored events in the background, one person's in order, and deletes each when
done; events a crashed process had claimed are taken up again after `stale_after`. Redelivered
events (Zalo retries with `num_retry`, or the same event reaching two processes) are handled
once: the conversation core records each msg_id in inbound_seen.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from datetime import timedelta
from typing import Protocol

from sqlalchemy.engine import Engine
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from bot.channels.webbody import Refusals, read_capped
from bot.channels.zalo_oa import signature
from handlers.clock import Clock
from storage import zalo_oa as store
from storage.db import session_scope
from storage.zalo_oa_models import ZaloOAEvent

log = logging.getLogger(__name__)

PROBES = (b"", b"{}")


class Webhook:
    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        pump: Pump,
        *,
        app_id: str,
        oa_secret: str,
        max_body_bytes: int = 1_000_000,
    ):
        self.engine, self.clock, self.pump = engine, clock, pump
        self.app_id, self.oa_secret, self.max_body_bytes = app_id, oa_secret, max_body_bytes
        self.refusals = Refusals(clock)

    async def __call__(self, request: Request) -> Response:
        body = await read_capped(request, self.max_body_bytes)
        if body is None:
            return PlainTextResponse("too large", status_code=413)
        sig = request.headers.get("x-zevent-signature")
        if sig is None and body.strip() in PROBES:
            return PlainTextResponse("ok")  # Zalo checking a new URL: nothing to do
        ts = request.headers.get("x-zevent-timestamp")
        if not signature.verify(body, sig, self.app_id, self.oa_secret, ts):
            retry = "".join(ch for ch in request.headers.get("num_retry", "0")[:4] if ch.isdigit())
            self.refusals.refused(request, f"refused a zalo_oa webhook: "
                                  f"{'missing' if sig is None else 'wrong'} signature "
                                  f"({len(body)} bytes, num_retry {retry or '?'})")  # fmt: skip
            return PlainTextResponse("bad signature", status_code=401)
        event_id = await asyncio.to_thread(self._store, body.decode("utf-8", "replace"))
        self.pump.kick(event_id)
        return PlainTextResponse("ok")

    def _store(self, body: str) -> int:
        with session_scope(self.engine) as session:
            return store.store_event(session, body, self.clock.now())


class Handler(Protocol):
    async def handle(self, event: dict) -> None: ...

    def person(self, event: dict) -> str:
        """Whose event it is: one person's events are handled in order."""
        ...


class Pump:
    """Handles stored events (or polled updates: `model`): at once when the webhook kicks, and
    every `sweep_seconds` the ones left by a crash or another process."""

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        handler: Handler,
        *,
        sweep_seconds: float = 30.0,
        stale_after: timedelta = timedelta(minutes=5),
        model: store.Stored = ZaloOAEvent,
    ):
        self.engine, self.clock, self.handler, self.model = engine, clock, handler, model
        self.sweep_seconds, self.stale_after = sweep_seconds, stale_after
        self._tasks: set[asyncio.Task] = set()
        self._people: dict[str, asyncio.Lock] = {}
        self._sweeper: asyncio.Task | None = None

    def start(self) -> None:
        self._sweeper = asyncio.create_task(self._sweep_forever())

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
        tasks = list(self._tasks)
        if tasks:  # let the events being handled finish (Zalo already has its 200)
            await asyncio.wait(tasks, timeout=10)

    def kick(self, event_id: int) -> None:
        task = asyncio.create_task(self._one(event_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def sweep(self) -> int:
        """Handle every event nobody is handling; returns how many."""
        rows = await asyncio.to_thread(self._claim_stale)
        for row in rows:
            await self._handle(row.id, row.body)
        return len(rows)

    async def _sweep_forever(self) -> None:
        while True:
            with contextlib.suppress(Exception):  # a database hiccup: try at the next sweep
                await self.sweep()
            await asyncio.sleep(self.sweep_seconds)

    async def _one(self, event_id: int) -> None:
        row = await asyncio.to_thread(self._claim, event_id)
        if row is not None:
            await self._handle(row.id, row.body)

    async def _handle(self, event_id: int, body: str) -> None:
        try:
            event = json.loads(body)
        except ValueError:
            event = None
        if isinstance(event, dict):
            person = self.handler.person(event)
            lock = self._people.setdefault(person, asyncio.Lock())
            try:
                async with lock:
                    await self.handler.handle(event)
            except Exception:  # noqa: BLE001 - logged; the event is not tried forever
                log.exception("a zalo_oa event could not be handled")
            finally:
                if not lock.locked():
                    self._people.pop(person, None)
        await asyncio.to_thread(self._done, event_id)

    def _claim(self, event_id: int):  # noqa: ANN202
        with session_scope(self.engine) as session:
            return store.claim_event(session, event_id, self.clock.now(), self.model)

    def _claim_stale(self):  # noqa: ANN202
        with session_scope(self.engine) as session:
            return store.claim_events(session, self.clock.now(), 50, self.stale_after, self.model)

    def _done(self, event_id: int) -> None:
        with session_scope(self.engine) as session:
            store.done(session, event_id, self.model)
