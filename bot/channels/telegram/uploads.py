"""A file sent to many chats is uploaded once: the file_id Telegram gives the first upload is
kept by the bytes' SHA-256 and the other sends name it (a broadcast's photo given on the command
line reaches 3,000 chats with one upload, not 3,000). While the first upload of some bytes is
under way, other sends of the same bytes wait for its file_id. In memory, per sender: a restart
uploads once more."""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from telegram import InputFile, Message

from handlers.messages import Attachment

KEPT = 64  # distinct files remembered; a broadcast has one


def file_id_of(message: Message | None) -> str | None:
    """The file_id of what a sendPhoto / sendDocument delivered (the largest photo size)."""
    if message is None:
        return None
    if message.photo:
        return message.photo[-1].file_id
    return message.document.file_id if message.document is not None else None


class Uploads:
    def __init__(self) -> None:
        self._ids: OrderedDict[str, str] = OrderedDict()
        self._locks: dict[str, asyncio.Lock] = {}

    async def send(
        self, att: Attachment, send: Callable[[InputFile | str], Awaitable[Message]]
    ) -> Message:
        """`send(file)` with the file_id of an earlier upload of the same bytes, or with the
        bytes (the first time, keeping the file_id Telegram returns)."""
        key = hashlib.sha256(att.data).hexdigest() + ("p" if att.is_image else "d")
        if (known := self._ids.get(key)) is not None:
            return await send(known)
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            if (known := self._ids.get(key)) is not None:
                return await send(known)
            sent = await send(InputFile(att.data, filename=att.filename))
            if (file_id := file_id_of(sent)) is not None:
                self._ids[key] = file_id
                while len(self._ids) > KEPT:
                    self._ids.popitem(last=False)
            self._locks.pop(key, None)
            return sent
