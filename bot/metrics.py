"""`/metrics` of `sxsh-bot serve` in Prometheus's text format (prometheus_client): what one
process did since it started, and what waits in the shared outbox.

Per process (scrape every `serve` process): messages in and out (out: every message a platform
accepted, Telegram, Zalo OA and Zalo Bot alike), the time to handle each (received →
replies ready: the bot's own processing time, without the platform's network), turns that ended
in the apology, outbox sends by channel, lane and outcome, 429s from a platform. From the
database at each scrape (the same figure from any process): outbox rows pending or being sent
per lane, and the Zalo OA token state. A `worker` process has no web server; its sends show up
in the outbox figures."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

REGISTRY = CollectorRegistry()
CONTENT_TYPE = CONTENT_TYPE_LATEST

MESSAGES_IN = Counter(
    "sxsh_messages_in", "Inbound messages handled", ["channel"], registry=REGISTRY
)
TURN_FAILED = Counter(
    "sxsh_turns_failed", "Messages answered with the apology (a fault)", ["channel"],
    registry=REGISTRY,
)  # fmt: skip
TURN_SECONDS = Histogram(
    "sxsh_turn_seconds",
    "Seconds from a message received to its replies ready (the bot's own processing)",
    ["channel"],
    buckets=(
        0.0025,
        0.005,
        0.0075,
        0.01,
        0.015,
        0.02,
        0.03,
        0.04,
        0.05,
        0.06,
        0.07,
        0.08,
        0.09,
        0.1,
        0.125,
        0.15,
        0.2,
        0.25,
        0.5,
        1,
        2.5,
        5,
        10,
    ),  # fine below 0.1 s: the target is p99 < 100 ms (issue 13)
    registry=REGISTRY,
)
MESSAGES_OUT = Counter(
    "sxsh_messages_out", "Messages the platform accepted (answers and the outbox alike)",
    ["channel"], registry=REGISTRY,
)  # fmt: skip
SENT = Counter(
    "sxsh_outbox_outcomes", "Outbox rows handled, by outcome", ["channel", "lane", "outcome"],
    registry=REGISTRY,
)  # fmt: skip
RATE_LIMITED = Counter(
    "sxsh_platform_429", "Platform answers 'too many requests'", ["channel"], registry=REGISTRY
)
QUEUE = Gauge(
    "sxsh_outbox_queue", "Outbox rows waiting or being sent", ["lane", "status"], registry=REGISTRY
)
# Its own registry: shown only where Zalo OA is configured (a Telegram-only bot showed 0 here,
# and "alert on sxsh_zalo_oa_token_ok == 0" paged for a channel that is off).
ZALO_REGISTRY = CollectorRegistry()
ZALO_TOKEN = Gauge(
    "sxsh_zalo_oa_token_ok", "1 when the Zalo OA token pair is usable", registry=ZALO_REGISTRY
)


def observe_turn(channel: str, seconds: float, failed: bool) -> None:
    """The Conversation's `observe` hook: one handled message."""
    MESSAGES_IN.labels(channel).inc()
    TURN_SECONDS.labels(channel).observe(seconds)
    if failed:
        TURN_FAILED.labels(channel).inc()


def delivered(channel: str, lane: str, outcome: str) -> None:
    SENT.labels(channel, lane, outcome).inc()


def message_out(channel: str) -> None:
    MESSAGES_OUT.labels(channel).inc()


def rate_limited(channel: str) -> None:
    RATE_LIMITED.labels(channel).inc()


def scrape(engine: Engine, lane_of: Callable[[str], str], zalo_state: str | None = None) -> bytes:
    """The text a Prometheus scrape receives. One grouped query on the outbox (indexed by
    status); `lane_of` maps an outbox kind to its lane."""
    from storage.models import Outbox

    with Session(engine) as session:
        rows = session.exec(
            select(Outbox.kind, Outbox.status, func.count())
            .where(Outbox.status.in_(("pending", "sending")))
            .group_by(Outbox.kind, Outbox.status)
        ).all()
    depth: dict[tuple[str, str], int] = {}
    for kind, status, n in rows:
        key = (lane_of(kind), status)
        depth[key] = depth.get(key, 0) + n
    QUEUE.clear()
    for lane in ("reply", "reminder", "bulk"):
        for status in ("pending", "sending"):
            QUEUE.labels(lane, status).set(depth.get((lane, status), 0))
    if zalo_state is None:
        return generate_latest(REGISTRY)
    ZALO_TOKEN.set(1 if zalo_state == "ok" else 0)
    return generate_latest(REGISTRY) + generate_latest(ZALO_REGISTRY)
