"""One runner for every channel's three tables, the way courier tests its handlers:

- IN: what the platform sends (its own JSON, or a typed line) -> the neutral Inbound, or None
  when the bot must ignore it;
- OUT: a neutral Reply -> exactly the requests the platform receives (method, parameters,
  files), in order;
- ERROR: what the platform answers when it refuses -> the neutral send error.

A channel's table file gives a `ChannelUnderTest` and its rows; the checks below are the same
for every platform."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import pytest

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


async def raised(send: Awaitable[object]) -> BaseException | None:
    """What `send` raised (a platform refusal), or None when it went through."""
    try:
        await send
    except Exception as exc:  # noqa: BLE001 - the error itself is what the table checks
        return exc
    return None


def table_tests(
    in_rows: list[InRow],
    out_rows: list[OutRow],
    error_rows: list[ErrorRow],
    offline: Callable[[], ChannelUnderTest] | None = None,
):  # noqa: ANN201 - three pytest test functions
    """A channel file's three table tests: `test_in, test_out, test_error = table_tests(...)`.
    IN rows are read by `offline()` (no server needed) or, without it, by the file's `channel`
    fixture; OUT and ERROR rows always go through the file's `channel` fixture."""
    if offline is not None:

        @pytest.mark.parametrize("row", in_rows, ids=ids(in_rows))
        def test_in(row: InRow) -> None:
            check_in(offline(), row)

    else:

        @pytest.mark.parametrize("row", in_rows, ids=ids(in_rows))
        def test_in(channel: ChannelUnderTest, row: InRow) -> None:
            check_in(channel, row)

    @pytest.mark.parametrize("row", out_rows, ids=ids(out_rows))
    async def test_out(channel: ChannelUnderTest, row: OutRow) -> None:
        await check_out(channel, row)

    @pytest.mark.parametrize("row", error_rows, ids=ids(error_rows))
    async def test_error(channel: ChannelUnderTest, row: ErrorRow) -> None:
        await check_error(channel, row)

    return test_in, test_out, test_error
