"""Sends to one Zalo person, choosing the form the contract allows (CHANNELS.md "reply" vs
"proactive"):

* the reply form (`recipient.message_id` = the person's last msg_id) while that message is
  younger than the reply window (48 h) and has free replies left (8): free;
* otherwise the proactive form (`recipient.user_id`), counted against the OA's quota;
* past the interaction window (7 days) the person is not reachable for free-form messages
  (Unreachable, without calling Zalo);
* an anonymous person only in their conversation (`v2.0/oa/message`).

Zalo's refusals become the neutral send errors (codes.classify). `send` returns the route
(free, quota) and a refusal carries `route = not_reachable`: delivery stores it on the outbox
row, which reports read; `counts` tallies the same per process.
Images and files are uploaded once per content and reused (uploads.py).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.engine import Engine

from bot import metrics
from bot.channels.errors import Blocked, ChannelDown, Permanent, Throttled, Unreachable
from bot.channels.zalo_oa import render
from bot.channels.zalo_oa.client import ZaloOAClient
from bot.channels.zalo_oa.codes import UPLOAD_EXPIRED, ZaloError, classify
from bot.channels.zalo_oa.inbound import ANONYMOUS
from bot.channels.zalo_oa.limits import CHANNEL, MAX_BUTTONS, TEXT
from bot.channels.zalo_oa.uploads import Uploads
from handlers.clock import Clock
from handlers.messages import Reply
from storage import zalo_oa as store
from storage.db import session_scope
from storage.outbox import FREE, NOT_REACHABLE, QUOTA

CS_PATH = "/v3.0/oa/message/cs"
ANONYMOUS_PATH = "/v2.0/oa/message"


@dataclass(frozen=True)
class Window:
    """Zalo's windows (settings): free replies to a message, and reachability at all."""

    reply: timedelta = timedelta(hours=48)
    replies_per_message: int = 8
    interaction: timedelta = timedelta(days=7)
    upload_reuse: timedelta = timedelta(hours=167)  # Zalo keeps an upload 7 days


@dataclass
class ZaloOASender:
    client: ZaloOAClient
    engine: Engine
    clock: Clock
    window: Window = field(default_factory=Window)
    text_limit: int = TEXT
    max_buttons: int = MAX_BUTTONS
    counts: Counter = field(default_factory=Counter)
    alert: Callable[[str], None] | None = None  # told of channel-level problems (officers)
    uploads: Uploads = field(init=False)

    def __post_init__(self) -> None:
        self.uploads = Uploads(self.client, self.engine, self.clock, self.window.upload_reuse)

    def parts(self, replies: list[Reply]) -> list[Reply]:
        """One Reply per Zalo message (see render.messages)."""
        return render.messages(replies, self.text_limit, self.max_buttons)

    async def send(self, platform_id: str, replies: list[Reply]) -> str:
        """Send every part; returns the route: quota when any part needed the proactive form,
        else free. Raises the neutral send errors, with `route = not_reachable` when the person
        was not reached (a ChannelDown or Throttled keeps the message for later: no route)."""
        routes = [await self._send_one(platform_id, part) for part in self.parts(replies)]
        return QUOTA if QUOTA in routes else FREE

    async def _send_one(self, platform_id: str, part: Reply) -> str:
        choices: list[str] | None = None
        try:
            if part.attachment is not None:
                message = await self.uploads.message(part.attachment)
            else:
                message, choices = render.message_body(part)
            contact_id, path, recipient, mode = await asyncio.to_thread(
                self._recipient, platform_id
            )
            await self._call(path, recipient, message, part)
        except ZaloError as exc:
            error = classify(exc)
            if isinstance(error, Throttled):
                metrics.rate_limited(CHANNEL)
            if isinstance(error, ChannelDown) and self.alert is not None:
                await asyncio.to_thread(self.alert, error.reason)
            if isinstance(error, (Unreachable, Permanent, Blocked)):
                self.counts[NOT_REACHABLE] += 1
                error.route = NOT_REACHABLE
            raise error from None
        except (Unreachable, Permanent) as exc:
            self.counts[NOT_REACHABLE] += 1
            exc.route = NOT_REACHABLE
            raise
        self.counts[mode] += 1
        metrics.message_out(CHANNEL)  # /metrics: each message the platform accepted
        if choices is not None:
            await asyncio.to_thread(self._remember, contact_id, choices)
        return mode

    async def _call(self, path: str, recipient: dict, message: dict, part: Reply) -> None:
        """One message; an upload Zalo calls expired (-100) is uploaded again, once."""
        try:
            await self.client.call(path, json={"recipient": recipient, "message": message})
        except ZaloError as exc:
            if exc.code != UPLOAD_EXPIRED or part.attachment is None:
                raise
            message = await self.uploads.message(part.attachment, expired=message)
            await self.client.call(path, json={"recipient": recipient, "message": message})

    def _recipient(self, platform_id: str) -> tuple[int, str, dict, str]:
        now = self.clock.now()
        with session_scope(self.engine) as session:
            contact_id, row = store.window(session, CHANNEL, platform_id)
            if row is None or row.last_inbound_at is None or row.last_msg_id is None:
                raise Unreachable("zalo: the person has not written to the OA")
            age = now - row.last_inbound_at
            if age > self.window.interaction:
                raise Unreachable(f"zalo: no interaction in {self.window.interaction.days} days")
            if platform_id.startswith(ANONYMOUS):
                anonymous = {"anonymous_id": platform_id[len(ANONYMOUS) :],
                             "conversation_id": row.last_msg_id}  # fmt: skip
                return contact_id, ANONYMOUS_PATH, anonymous, FREE
            if age <= self.window.reply and store.take_reply(
                session, contact_id, row.last_msg_id, self.window.replies_per_message
            ):
                return contact_id, CS_PATH, {"message_id": row.last_msg_id}, FREE
            return contact_id, CS_PATH, {"user_id": platform_id}, QUOTA

    def _remember(self, contact_id: int, choices: list[str]) -> None:
        with session_scope(self.engine) as session:
            store.set_choices(session, contact_id, choices)
