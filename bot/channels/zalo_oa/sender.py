"""Sends to one Zalo person, choosing the form the contract allows (CHANNELS.md "reply" vs
"proactive"):

* the reply form (`recipient.message_id` = the person's last msg_id) while that message is
  younger than the reply window (48 h) and has free replies left (8): free;
* otherwise the proactive form (`recipient.user_id`), counted against the OA's quota;
* past the interaction window (7 days) the person is not reachable for free-form messages
  (Unreachable, without calling Zalo);
* an anonymous person only in their conversation (`v2.0/oa/message`).

Zalo's refusals become the neutral send errors (codes.classify). `counts` says how many
messages went free, on quota, or not at all: reports read it.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.engine import Engine

from bot.channels.errors import ChannelDown, Permanent, Unreachable
from bot.channels.zalo_oa import render
from bot.channels.zalo_oa.client import ZaloOAClient
from bot.channels.zalo_oa.codes import UPLOAD_EXPIRED, ZaloError, classify
from bot.channels.zalo_oa.inbound import ANONYMOUS
from bot.channels.zalo_oa.limits import CHANNEL, MAX_BUTTONS, TEXT
from handlers.clock import Clock
from handlers.messages import Attachment, Reply
from storage import zalo_oa as store
from storage.db import session_scope

CS_PATH = "/v3.0/oa/message/cs"
ANONYMOUS_PATH = "/v2.0/oa/message"
UPLOAD_IMAGE = "/v2.0/oa/upload/image"
UPLOAD_FILE = "/v2.0/oa/upload/file"

FREE, QUOTA, NOT_REACHABLE = "free", "quota", "not_reachable"


@dataclass(frozen=True)
class Window:
    """Zalo's windows (settings): free replies to a message, and reachability at all."""

    reply: timedelta = timedelta(hours=48)
    replies_per_message: int = 8
    interaction: timedelta = timedelta(days=7)


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

    def parts(self, replies: list[Reply]) -> list[Reply]:
        """One Reply per Zalo message (see render.messages)."""
        return render.messages(replies, self.text_limit, self.max_buttons)

    async def send(self, platform_id: str, replies: list[Reply]) -> None:
        for part in self.parts(replies):
            await self._send_one(platform_id, part)

    async def _send_one(self, platform_id: str, part: Reply) -> None:
        choices: list[str] | None = None
        try:
            if part.attachment is not None:
                message = await self._upload(part.attachment)
            else:
                message, choices = render.message_body(part)
            contact_id, path, recipient, mode = await asyncio.to_thread(
                self._recipient, platform_id
            )
            try:
                await self.client.call(path, json={"recipient": recipient, "message": message})
            except ZaloError as exc:
                if exc.code != UPLOAD_EXPIRED or part.attachment is None:
                    raise
                message = await self._upload(part.attachment)  # expired upload: once more
                await self.client.call(path, json={"recipient": recipient, "message": message})
        except ZaloError as exc:
            self.counts[NOT_REACHABLE] += 1
            error = classify(exc)
            if isinstance(error, ChannelDown) and self.alert is not None:
                await asyncio.to_thread(self.alert, error.reason)
            raise error from None
        except Unreachable:
            self.counts[NOT_REACHABLE] += 1
            raise
        self.counts[mode] += 1
        if choices is not None:
            await asyncio.to_thread(self._remember, contact_id, choices)

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

    async def _upload(self, attachment: Attachment) -> dict:
        """Upload an image (jpg/png, at most 1 MB) or a file (at most 5 MB) and build the
        message that shows it. Uploads are not reused: each expires after 7 days."""
        path = UPLOAD_IMAGE if attachment.is_image else UPLOAD_FILE
        limit = 1_000_000 if attachment.is_image else 5_000_000
        if len(attachment.data) > limit:
            raise Permanent(f"zalo: {attachment.filename} is over {limit // 1_000_000} MB")
        files = {"file": (attachment.filename, attachment.data, attachment.mime_type)}
        body = await self.client.call(path, files=files)
        data = body.get("data") or {}
        if attachment.is_image:
            return render.image_body(str(data.get("attachment_id", "")))
        return render.file_body(str(data.get("token", "")))
