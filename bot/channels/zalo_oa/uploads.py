"""Images and files for Zalo OA messages, uploaded once and reused (CHANNELS.md: an upload
lives 7 days, each upload API allows about 5,000 calls a month, -100 means expired).

The attachment id (image) or token (file) is kept in the database under the SHA-256 of the
bytes, so every process sending the same broadcast photo to thousands of people reuses one
upload; it is reused for `reuse` (a little under Zalo's 7 days), then uploaded anew. When Zalo
still answers -100 (expired early) the sender calls `message(..., expired=...)`: one new upload
replaces it. Senders that miss the same upload at once make one upload between them: in a
process they queue on a lock per content; across processes one claims the row
(storage.zalo_oa.claim_upload) and the others poll for its result for up to `claim_for`,
after which they upload themselves (the claimer may have died)."""

from __future__ import annotations

import asyncio
import hashlib
import time
from datetime import timedelta

from sqlalchemy.engine import Engine

from bot.channels.errors import Permanent
from bot.channels.zalo_oa import render
from bot.channels.zalo_oa.client import ZaloOAClient
from handlers.clock import Clock
from handlers.messages import Attachment
from storage import zalo_oa as store
from storage.db import session_scope

UPLOAD_IMAGE = "/v2.0/oa/upload/image"
UPLOAD_FILE = "/v2.0/oa/upload/file"
IMAGE_LIMIT = 1_000_000  # bytes: jpg/png at most 1 MB
FILE_LIMIT = 5_000_000  # bytes: PDF, DOC, DOCX, CSV at most 5 MB
POLL_SECONDS = 0.2  # how often a sender waiting for another process's upload looks


class Uploads:
    def __init__(
        self,
        client: ZaloOAClient,
        engine: Engine,
        clock: Clock,
        reuse: timedelta,
        claim_for: timedelta = timedelta(seconds=30),  # longer than an upload's HTTP timeout
    ):
        self.client, self.engine, self.clock, self.reuse = client, engine, clock, reuse
        self.claim_for = claim_for
        self._locks: dict[str, asyncio.Lock] = {}

    @staticmethod
    def digest(attachment: Attachment) -> str:
        kind = "image" if attachment.is_image else "file"
        return f"{kind}:{hashlib.sha256(attachment.data).hexdigest()}"

    async def message(self, attachment: Attachment, expired: dict | None = None) -> dict:
        """The `message` that shows the attachment: from a kept upload while it is young
        enough, else after uploading it. `expired`: the message Zalo just refused with -100
        (that upload is not used again). Raises Permanent for a file over Zalo's size limit,
        the client's errors for a failed upload."""
        limit = IMAGE_LIMIT if attachment.is_image else FILE_LIMIT
        if len(attachment.data) > limit:
            raise Permanent(f"zalo: {attachment.filename} is over {limit // 1_000_000} MB")
        digest = self.digest(attachment)
        gone = self._value(expired)
        async with self._locks.setdefault(digest, asyncio.Lock()):
            deadline = time.monotonic() + self.claim_for.total_seconds()
            while True:
                kept = await asyncio.to_thread(self._kept, digest)
                if kept is not None and kept != gone:  # another may have uploaded it anew
                    return self._body(attachment, kept)
                if await asyncio.to_thread(self._claim, digest, gone):
                    break
                if time.monotonic() >= deadline:
                    break  # the claimer is slow or dead: upload ourselves
                await asyncio.sleep(POLL_SECONDS)  # another process is uploading it
            try:
                value = await self._upload(attachment)
            except BaseException:
                await asyncio.to_thread(self._release, digest)
                raise
            await asyncio.to_thread(self._keep, digest, value)
            return self._body(attachment, value)

    async def _upload(self, attachment: Attachment) -> str:
        path = UPLOAD_IMAGE if attachment.is_image else UPLOAD_FILE
        files = {"file": (attachment.filename, attachment.data, attachment.mime_type)}
        data = (await self.client.call(path, files=files)).get("data") or {}
        return str(data.get("attachment_id" if attachment.is_image else "token", ""))

    @staticmethod
    def _value(message: dict | None) -> str | None:
        """The attachment id or token inside a message built by _body."""
        payload = ((message or {}).get("attachment") or {}).get("payload") or {}
        elements = payload.get("elements") or [{}]
        return payload.get("token") or elements[0].get("attachment_id")

    @staticmethod
    def _body(attachment: Attachment, value: str) -> dict:
        return render.image_body(value) if attachment.is_image else render.file_body(value)

    def _kept(self, digest: str) -> str | None:
        with session_scope(self.engine) as session:
            return store.upload(session, digest, self.clock.now() - self.reuse)

    def _claim(self, digest: str, expired: str | None) -> bool:
        now = self.clock.now()
        with session_scope(self.engine) as session:
            return store.claim_upload(
                session, digest, now, now - self.reuse, self.claim_for, expired
            )

    def _release(self, digest: str) -> None:
        with session_scope(self.engine) as session:
            store.release_upload(session, digest)

    def _keep(self, digest: str, value: str) -> None:
        with session_scope(self.engine) as session:
            store.keep_upload(session, digest, value, self.clock.now())
