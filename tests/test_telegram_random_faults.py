"""Random platform faults while many people talk at once (issue 13): the product's real PTB
Application polls the local Bot API server, which answers sendMessage at random with 429s,
5xx and timeouts (never more than four in a row to one chat: a fault, not an outage). Every
person gets exactly the replies of a run without faults: each once, in order, none lost.

A timeout here is the server not answering before the bot gives up, with nothing delivered;
a reply that is delivered but whose answer is lost may arrive twice after the retry (README,
"Reliability")."""

from __future__ import annotations

import asyncio
import random
from collections import Counter

from bot.app import build_conversation
from tests.conftest import make_settings
from tests.resilience_support import running
from tests.support.telegram_server import DEFAULT_TOKEN, BotApiError, FakeTelegram

PEOPLE = 24
SCRIPT = ["/help", "Sản xuất sạch hơn là gì?", "/lang", "/start"]
IN_A_ROW = 4  # most faults one chat meets in a row


def faulty(srv: FakeTelegram, seed: int) -> Counter[str]:
    """sendMessage fails at random (about 30% of calls); returns the faults given, by kind."""
    name, deliver = srv._methods["sendmessage"]
    rng = random.Random(seed)
    given: Counter[str] = Counter()
    streak: Counter[int] = Counter()

    async def send(params: dict, files: dict) -> dict:
        chat = int(params["chat_id"])
        roll = rng.random()
        if streak[chat] < IN_A_ROW and roll < 0.3:
            streak[chat] += 1
            if roll < 0.1:
                given["429"] += 1
                raise BotApiError(429, "Too Many Requests: retry after 1", {"retry_after": 1})
            if roll < 0.25:
                given["5xx"] += 1
                raise BotApiError(rng.choice((500, 502, 503)), "Internal Server Error")
            given["timeout"] += 1
            await asyncio.sleep(60)  # the bot gives up first and closes: nothing delivered
        streak[chat] = 0
        return deliver(params, files)

    srv.register(name, send)
    return given


async def talk(tmp_path, clock, name: str, seed: int | None, want: dict | None = None):  # noqa: ANN001, ANN201
    """Everybody sends the script at once; returns each chat's texts and the faults given.
    Waits until each chat has `want[person]` messages (or one per message sent), then until
    nothing more comes."""
    async with FakeTelegram() as srv:
        given = faulty(srv, seed) if seed is not None else Counter()
        settings = make_settings(
            f"sqlite:///{tmp_path / f'{name}.db'}",
            telegram_token=DEFAULT_TOKEN,
            telegram_api_url=srv.root_url,
        )
        conv = build_conversation(settings, clock=clock)
        try:
            async with running(srv, conv, settings):
                for text in SCRIPT:
                    for person in range(PEOPLE):
                        srv.user_sends(text, user_id=3000 + person)
                for person in range(PEOPLE):
                    count = (want or {}).get(person, len(SCRIPT))
                    await srv.wait_for("sendMessage", chat_id=3000 + person, ok=True,
                                       count=count, since=0, timeout=180)  # fmt: skip
                await until_quiet(srv)
        finally:
            conv.engine.dispose()
        texts = {p: [m["text"] for m in srv.sent_messages(3000 + p)] for p in range(PEOPLE)}
        return texts, given


async def until_quiet(srv: FakeTelegram, quiet: float = 3.0) -> None:
    """Until no Bot API call but getUpdates came for `quiet` seconds (a late repeat shows)."""
    while True:
        seen = sum(c.method != "getUpdates" for c in srv.calls)
        await asyncio.sleep(quiet)
        if sum(c.method != "getUpdates" for c in srv.calls) == seen:
            return


async def test_random_429_5xx_and_timeouts_lose_no_reply_and_repeat_none(tmp_path, clock):
    expected, _ = await talk(tmp_path, clock, "calm", seed=None)
    want = {person: len(texts) for person, texts in expected.items()}
    got, given = await talk(tmp_path, clock, "faulty", seed=13, want=want)
    assert min(given["429"], given["5xx"], given["timeout"]) > 0, given  # each kind happened
    for person in range(PEOPLE):
        assert got[person] == expected[person], person  # each reply once, in order, none lost
