"""A webhook body read with a cap: a request that declares or sends more than the limit is
refused without being held in memory (a 300 MB POST used to be read whole before the size
check: the process's peak memory went from 217 MB to 803 MB). Refused requests (a wrong secret
or signature) logged at most once a minute per channel, with the client's address."""

from __future__ import annotations

import logging
import re
from datetime import datetime

from starlette.requests import Request

from handlers.clock import Clock

log = logging.getLogger(__name__)

_ADDRESS = re.compile(r"[0-9A-Fa-f:.]{2,45}")  # an IPv4 or IPv6 address, nothing else


async def read_capped(request: Request, limit: int) -> bytes | None:
    """The body, or None when it is larger than `limit` bytes (declared or sent)."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def client_address(request: Request) -> str:
    """Who sent the request: the peer's address, and the first X-Forwarded-For entry behind a
    proxy (only when it looks like an address: a header is the sender's to write)."""
    peer = request.client.host if request.client else "unknown"
    forwarded = request.headers.get("x-forwarded-for", "").split(",")[0].strip()
    if _ADDRESS.fullmatch(forwarded):
        return f"{peer} (forwarded for {forwarded})"
    return peer


class Refusals:
    """A channel's refused webhook requests, logged at most once per `every` seconds: each
    line says where the request came from and how many were refused since the line before
    (a scanner or a platform with an old secret wrote one warning per request). The caller's
    reason never holds the secret or the body."""

    def __init__(self, clock: Clock, every: float = 60.0):
        self.clock, self.every = clock, every
        self._last: datetime | None = None
        self._quiet = 0

    def refused(self, request: Request, reason: str) -> None:
        now = self.clock.now()
        if self._last is not None and (now - self._last).total_seconds() < self.every:
            self._quiet += 1
            return
        more = f"; {self._quiet} more since the last line" if self._quiet else ""
        log.warning("%s from %s%s", reason, client_address(request), more)
        self._last, self._quiet = now, 0
