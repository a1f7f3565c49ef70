"""When a failed send is tried again, and when delivery gives up (issue 7 item 14).

The next try is stored in the row (`due_at`), so a restart or another worker keeps the same
schedule; nothing is held in memory."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff: `first_delay` seconds after the first failure, doubling, at most
    `max_delay`; after `max_attempts` tries the row is failed with the reason. The defaults
    (8 tries, 30 s doubling to 1 h) keep retrying for about an hour, which outlasts the
    platform outages of minutes that issue 13 asks delivery to survive."""

    max_attempts: int = 8
    first_delay: float = 30.0
    max_delay: float = 3600.0

    def gives_up(self, attempts: int) -> bool:
        """True when `attempts` tries (this one included) are all the row gets."""
        return attempts >= self.max_attempts

    def next_try(self, attempts: int, now: datetime) -> datetime:
        """When to try again after the `attempts`-th failed try."""
        delay = self.first_delay * 2 ** max(0, attempts - 1)
        return now + timedelta(seconds=min(self.max_delay, delay))

    @staticmethod
    def gave_up(attempts: int, reason: str) -> str:
        """The final reason officers see, e.g. 'gave up after 8 attempts: Bad Gateway'."""
        return f"gave up after {attempts} attempt{'' if attempts == 1 else 's'}: {reason}"
