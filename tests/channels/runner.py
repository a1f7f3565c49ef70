"""One runner for every channel's three tables, the way courier tests its handlers:

- IN: what the platform sends (its own JSON, or a typed line) -> the neutral Inbound, or None
  when the bot must ignore it;
- OUT: a neutral Reply -> exactly the requests the platform receives (method, parameters,
  files), in order;
- ERROR: what the platform answers when it refuses -> the neutral send error.

A channel's table file gives a `ChannelUnderTest` and its rows; the checks below are the same
for every platform."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.channels.errors import SendError
from handlers.messages import Inbound, Reply


@dataclass(frozen=True)
class Request:
    """One request the platform received: method, decoded parameters, uploaded files."""

    method: str
    params: dict[str, Any]
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)


@dataclass(frozen=True)
class InRow:
    name: str
    raw: Any  # the platform's update JSON (a dict), or what is typed
    expected: Inbound | None


@dataclass(frozen=True)
class OutRow:
    name: str
    replies: list[Reply]
    requests: list[Request]


@dataclass(frozen=True)
class ErrorRow:
    name: str
    response: dict[str, Any]  # how the platform refuses, in the channel's own terms
    error: type[SendError]
    attrs: dict[str, Any] = field(default_factory=dict)  # e.g. {"retry_after": 7.0}


class ChannelUnderTest(Protocol):
    def inbound(self, raw: Any) -> Inbound | None: ...

    async def send(self, replies: list[Reply]) -> list[Request]: ...

    async def refuse(self, response: dict[str, Any], reply: Reply) -> BaseException | None:
        """Send `reply` while the platform answers with `response`; what the sender raised."""
        ...


def ids(rows: list) -> list[str]:
    return [row.name for row in rows]


def check_in(channel: ChannelUnderTest, row: InRow) -> None:
    assert channel.inbound(row.raw) == row.expected


async def check_out(channel: ChannelUnderTest, row: OutRow) -> None:
    assert await channel.send(row.replies) == row.requests


async def check_error(channel: ChannelUnderTest, row: ErrorRow) -> None:
    raised = await channel.refuse(row.response, Reply(text="Nhắc lịch: hội thảo SXSH"))
    assert type(raised) is row.error, raised
    for name, value in row.attrs.items():
        assert getattr(raised, name) == value, (name, getattr(raised, name))
    # The reason is safe to log and to show officers: never the message text.
    assert "hội thảo" not in str(raised)
