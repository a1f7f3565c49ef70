"""A question's match, searched before the turn's transaction begins.

The search is the costliest part of a turn (the embedding model: ~30 ms of one core for a
short question, measured with `benchmarks.load`'s questions; BM25 alone is ~1 ms). Inside the
transaction it held what the transaction holds: on SQLite the database's one write lock (the
turn's first statement writes), so every other person's turn waited for the model too; on
PostgreSQL a pooled connection and the person's lock. Issue 13, "Tail latency that does not
depend on the neighbours".

So a message that will most likely be a question is searched first, with no lock held, and
qa.on_text takes the match from the context. "Most likely": plain text, not a command, not a
reply to a card, and the sender's last turn in this process left no flow open (an
assessment's answers are not questions). Someone this process has not seen yet (a first
message; behind a load balancer, a person whose last turn another process handled) is not
searched ahead: the model must not run for answers that are not questions. A prepared match
is used only for the same text and the same content (a reload in between makes it stale),
otherwise qa.on_text searches as before.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from handlers.messages import Inbound

KEY = "qa.prepared"  # Context.memo key: (text, index, match)
UNSEEN = "?"  # OpenFlows: no turn of this person here yet


class OpenFlows:
    """Who had a flow open after their last turn in this process: the hint for `prepare`.
    Bounded (the least recently seen are forgotten: they get no head start, nothing else).
    Several processes each keep their own: a hint, never the state (the database has that)."""

    def __init__(self, size: int = 20_000):
        self.size = size
        self._flows: OrderedDict[tuple[str, str], str | None] = OrderedDict()
        self._lock = threading.Lock()

    def free(self, channel: str, user_id: str) -> bool:
        """True when the person's last turn here left no flow open (False: a flow, or unseen)."""
        with self._lock:
            return self._flows.get((channel, user_id), UNSEEN) is None

    def set(self, channel: str, user_id: str, flow: str | None) -> None:
        with self._lock:
            self._flows[(channel, user_id)] = flow
            self._flows.move_to_end((channel, user_id))
            while len(self._flows) > self.size:
                self._flows.popitem(last=False)


def prepare(inbound: Inbound, index, flows: OpenFlows, max_text: int) -> dict:  # noqa: ANN001
    """{KEY: (text, index, match)} for a message that will most likely be a question, else
    {}. `index` is the content's search index (content.search)."""
    text = (inbound.text or "").strip()
    if (
        inbound.kind != "message"
        or inbound.payload is not None
        or inbound.reply_to
        or not text
        or text.startswith("/")
        or len(text) > max_text
        or not flows.free(inbound.channel, inbound.user_id)
    ):
        return {}
    return {KEY: (text, index, index.search(text))}


def taken(memo: dict, text: str, index):  # noqa: ANN001, ANN201
    """The prepared match for `text` on `index`, or None (not prepared, or for other content)."""
    ready = memo.get(KEY)
    if ready is not None and ready[0] == text and ready[1] is index:
        return ready[2]
    return None


def search(memo: dict, text: str, index):  # noqa: ANN001, ANN201
    """The match for `text`: the one prepared (or already searched in this turn), else searched
    now and kept in `memo`, so a turn that asks twice (an assessment checking whether a typed
    answer is a question, then answering it) runs the model once."""
    match = taken(memo, text, index)
    if match is None:
        match = index.search(text)
        memo[KEY] = (text, index, match)
    return match
