"""How updates come in: only the types the bot uses, a bad one skipped, different people at once.

* `ALLOWED_UPDATES` is what getUpdates / setWebhook ask for: a type the bot has no handler for
  (poll answers, reactions...) is never fetched, parsed or stored by Telegram for us.
* `TolerantBot`: python-telegram-bot parses a whole getUpdates batch at once, so one update it
  cannot parse (e.g. a poll_answer without a field PTB 22 requires, as an older or self-hosted Bot
  API server sends it) fails the batch, and the updater fetches the same batch again forever.
  Here each update is parsed alone; one that fails is logged once (its id and type, never its
  content) and replaced by an empty update with the same id, so the offset moves past it.
* `PerPersonProcessor`: people are handled concurrently, each person's updates strictly in the
  order they arrived (a person's second answer must see the state their first one left).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor, ExtBot

log = logging.getLogger(__name__)

# The update types the Application has handlers for (see build_application).
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]


class TolerantBot(ExtBot):
    """ExtBot whose getUpdates survives an update PTB cannot parse."""

    async def _post(self, endpoint: str, data: Any = None, *args: Any, **kwargs: Any) -> Any:
        result = await super()._post(endpoint, data, *args, **kwargs)
        if endpoint == "getUpdates" and isinstance(result, list):
            return [self._parseable(raw) for raw in result]
        return result

    def _parseable(self, raw: Any) -> Any:
        try:
            Update.de_json(raw, self)
        except Exception as exc:  # noqa: BLE001 - any parse failure: skip this one update
            update_id = raw.get("update_id") if isinstance(raw, dict) else None
            if not isinstance(update_id, int):
                raise
            kinds = ",".join(str(k) for k in raw if k != "update_id")[:60]
            log.warning(
                "skipped update %s (%s) that python-telegram-bot cannot read: %s",
                update_id,
                kinds,
                type(exc).__name__,
            )
            return {"update_id": update_id}
        return raw


def _person(update: object) -> object:
    if isinstance(update, Update):
        if update.effective_user is not None:
            return ("user", update.effective_user.id)
        if update.effective_chat is not None:
            return ("chat", update.effective_chat.id)
        return ("update", update.update_id)
    return ("other", id(update))


class PerPersonProcessor(BaseUpdateProcessor):
    """Up to `concurrent_people` people at once; one person's updates one after the other.

    PTB starts one task per update in arrival order; each waits on its person's lock (FIFO) before
    taking one of the `concurrent_people` slots, so a person with 200 queued messages holds one
    slot, not all of them. PTB's own semaphore is set out of the way for the same reason."""

    def __init__(self, concurrent_people: int):
        super().__init__(max_concurrent_updates=65_536)
        self.concurrent_people = concurrent_people
        self._slots: asyncio.Semaphore | None = None
        self._locks: dict[object, asyncio.Lock] = {}
        self._queued: dict[object, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.concurrent_people)
        key = _person(update)
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._queued[key] = self._queued.get(key, 0) + 1
        try:
            async with lock, self._slots:
                await coroutine
        finally:
            self._queued[key] -= 1
            if not self._queued[key]:  # nobody waits on this person's lock: forget it
                del self._queued[key], self._locks[key]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""
