"""Handling one verified webhook event: the person's message through the conversation core and
the answers back in the reply form; follow / unfollow / withdraw as contact changes; officers'
echoes kept on the person's ticket; anything else ignored. Runs after Zalo got its 200."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from bot import flood
from bot.channels.answers import Answering
from bot.channels.zalo_oa.inbound import (
    ANONYMOUS,
    Echo,
    conversation_id,
    echo_of,
    to_inbound,
)
from bot.channels.zalo_oa.limits import CHANNEL
from bot.channels.zalo_oa.sender import ZaloOASender
from handlers.messages import Inbound
from handlers.router import Conversation
from storage import contacts, inbound_seen, tickets
from storage import zalo_oa as store
from storage.db import session_scope
from storage.tickets_models import TicketSource

log = logging.getLogger(__name__)

# The subject of a ticket opened by an officer writing first in Zalo's own chat tool.
NOTE_QUESTION = "(Zalo OA chat)"


def event_time(event: dict, fallback: datetime) -> datetime:
    """The event's `timestamp` (milliseconds, a string), else `fallback`."""
    try:
        return datetime.fromtimestamp(int(str(event.get("timestamp"))) / 1000, UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return fallback


@dataclass
class EventHandler:
    conversation: Conversation
    sender: ZaloOASender
    guard: flood.FloodGuard
    answering: Answering  # tries, backoff and the longest -32 wait (Answering.configured)

    @property
    def engine(self):  # noqa: ANN201
        return self.conversation.engine

    def person(self, event: dict) -> str:
        sender = event.get("sender") if isinstance(event.get("sender"), dict) else {}
        follower = event.get("follower") if isinstance(event.get("follower"), dict) else {}
        recipient = event.get("recipient") if isinstance(event.get("recipient"), dict) else {}
        return str(sender.get("id") or follower.get("id") or recipient.get("id") or "")

    async def handle(self, event: dict) -> None:
        """Handle one event; never raises for what a person sent."""
        echo = echo_of(event)
        if echo is not None:
            await asyncio.to_thread(self._record_echo, echo)
            return
        inbound = to_inbound(event)
        if inbound is None:
            return
        if inbound.kind in ("blocked", "unblocked") or event.get("event_name") == "user_withdraw":
            # Facts about the contact, never flood-limited; nobody is answered: an unfollower
            # and a person who withdrew cannot be written to.
            await asyncio.to_thread(self.conversation.handle, inbound)
            return
        if await asyncio.to_thread(self._seen, inbound):
            log.info("ignored a redelivered zalo_oa event")
            return
        at = event_time(event, self.conversation.clock.now())
        inbound = await asyncio.to_thread(self._typed_number, inbound)
        replies = await asyncio.to_thread(flood.handle, self.conversation, self.guard, inbound)
        reply_to = conversation_id(event) if inbound.user_id.startswith(ANONYMOUS) else None
        await asyncio.to_thread(self._record_window, inbound, reply_to, at)
        if replies:
            await self._answer(inbound.user_id, replies)

    async def _answer(self, user_id: str, replies: list) -> None:
        """Part by part; passing faults tried again, what Zalo would not take held in the
        outbox (bot/channels/answers.py)."""
        await self.answering.answer(self.sender, user_id, replies)

    def _seen(self, inbound: Inbound) -> bool:
        """Handled before (the core checks again, atomically; this keeps a duplicate from
        touching the numbered choices its first delivery showed)."""
        if inbound.message_id is None:
            return False
        with session_scope(self.engine) as session:
            return inbound_seen.seen(session, CHANNEL, inbound.user_id, inbound.message_id)

    def _typed_number(self, inbound: Inbound) -> Inbound:
        """ "2" typed under numbered choices presses the second; any message makes the choices
        shown before it stale (a later number never presses an old choice)."""
        with session_scope(self.engine) as session:
            contact_id, row = store.window(session, CHANNEL, inbound.user_id)
            if row is None:
                return inbound
            shown = store.choices(session, contact_id)
            if not shown:
                return inbound
            store.set_choices(session, contact_id, [])
        text = (inbound.text or "").strip()
        if inbound.kind == "message" and text.isascii() and text.isdigit():
            n = int(text)
            if 1 <= n <= len(shown):
                return replace(inbound, text=None, payload=shown[n - 1], kind="button")
        return inbound

    def _record_window(self, inbound: Inbound, reply_to: str | None, at: datetime) -> None:
        """The message the answers reply to (for an anonymous person: their conversation)."""
        msg_id = reply_to or inbound.message_id
        if msg_id is None:
            return
        with session_scope(self.engine) as session:
            contact = contacts.get(session, CHANNEL, inbound.user_id)
            if contact is not None:  # None: the message deleted the person's data
                store.record_inbound(session, contact.id, msg_id, at)

    def _record_echo(self, echo: Echo) -> None:
        """An officer wrote to the person in Zalo's own OA chat tool: the message goes on the
        person's open ticket as an officer answer (already delivered by Zalo, so no outbox row);
        with no open ticket, on a new note ticket, so officers see the whole exchange."""
        now = self.conversation.clock.now()
        with session_scope(self.engine) as session:
            if not inbound_seen.first_time(session, CHANNEL, echo.user_id, echo.msg_id, now):
                return
            contact = contacts.get(session, CHANNEL, echo.user_id)
            if contact is None:
                log.info("an officer wrote in Zalo's OA chat to a person the bot does not know")
                return
            ticket = tickets.current_for(session, contact.id)
            if ticket is None:
                ticket = tickets.open_ticket(
                    session,
                    contact_id=contact.id,
                    channel=CHANNEL,
                    question=NOTE_QUESTION,
                    lang=contact.language,
                    source=TicketSource.note,
                    now=now,
                )
            officer = f"zalo_oa_admin:{echo.admin_id or '?'}"
            tickets.add_message(session, ticket, echo.text, now, officer=officer)
