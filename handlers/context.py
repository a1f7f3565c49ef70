"""What a handler gets for one inbound message: the contact, a database session in one
transaction, the content, the clock, the settings and the capability registry."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlmodel import Session

from content.locale import Locale
from handlers.messages import Button, Inbound, Reply
from handlers.roles import is_officer
from storage.models import Contact

if TYPE_CHECKING:
    from content.store import ContentStore
    from handlers.clock import Clock
    from handlers.ports import CapabilityView, HandlerSettings, ReportFiles


# The longest message the bot reads (Telegram's own limit; a person cannot send more there).
# Longer text, possible on the console, is refused with a message saying so, never cut.
MAX_TEXT = 4096


@dataclass
class Context:
    session: Session
    contact: Contact
    inbound: Inbound
    content: ContentStore
    settings: HandlerSettings
    clock: Clock
    registry: CapabilityView  # the registry (handlers/registry.py), seen through what handlers use
    files: ReportFiles | None = None  # None: this process cannot make files (tests, tools)
    is_new: bool = False
    # Whether the officers table listed the sender when this turn began (read with the
    # contact, storage.contacts.arrive); None: not read, is_officer asks the table.
    listed_officer: bool | None = None
    _now: datetime | None = field(default=None, repr=False)
    # What this turn has read once and several handlers need (e.g. the person's ticket).
    memo: dict[str, object] = field(default_factory=dict, repr=False)

    @property
    def lang(self) -> str:
        return self.contact.language if self.contact.language in ("vi", "en") else "vi"

    @property
    def now(self) -> datetime:
        if self._now is None:
            self._now = self.clock.now()
        return self._now

    @property
    def is_officer(self) -> bool:
        # Checked on the server at every message against the settings and the officers table,
        # never from the message nor a role stored once: a removal takes effect at once.
        if self.listed_officer is not None:
            c = self.contact
            return self.listed_officer or self.settings.is_officer(c.channel, c.platform_id)
        return is_officer(
            self.session, self.settings, self.contact.channel, self.contact.platform_id
        )

    @property
    def locale(self) -> Locale:
        """Dates, times, numbers and amounts in the person's language and the configured time
        zone: ctx.locale.date(moment), .weekday_date_time(moment), .money(amount)..."""
        return Locale(self.lang, self.settings.tz, self.content.texts)

    def t(self, key: str, **fields: object) -> str:
        return self.content.texts.get(self.lang, key, **fields)

    def reply(self, key: str, buttons: list[Button] | None = None, **fields: object) -> Reply:
        return Reply(text=self.t(key, **fields), buttons=buttons or [])
