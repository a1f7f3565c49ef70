"""How a capability declares itself: one `Capability` per module (or folder), listed once in
`handlers.registry`. The router's tables, the menu, the platforms' command lists, the outbox
renderers, the scheduled jobs, /mydata and /deletedata are all derived from these declarations
(issue 9: "a capability is declared once")."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from handlers.messages import Reply

if TYPE_CHECKING:
    from sqlmodel import Session

    from content.store import ContentStore
    from handlers.context import Context
    from handlers.ports import HandlerSettings
    from storage.models import Contact

Replies = list[Reply] | Reply
Handler = Callable[["Context", str], Replies]
# (session, content, contact, payload, now) -> the replies, or None when no longer relevant.
Renderer = Callable[["Session", "ContentStore", "Contact", dict, datetime], list[Reply] | None]


@dataclass(frozen=True)
class Command:
    """A slash command. Its help text is `commands.<name>` in every language (checked by the
    registry test). `officer_only` commands are refused as unknown to everyone else, checked
    against the settings at the time of each message. `announce` puts it in the platforms'
    command menu (Telegram's setMyCommands)."""

    name: str
    run: Handler
    officer_only: bool = False
    announce: bool = False
    aliases: tuple[str, ...] = ()

    @property
    def help_key(self) -> str:
        return f"commands.{self.name}"


@dataclass(frozen=True)
class Flow:
    """The free text a capability owns while `contacts.active_flow == name`. `on_text` returns
    None to let the text through. The flow stays open for presses of its own buttons and for
    `keeps_open` commands; anything else pauses it, and the person sees `pause_notice`."""

    name: str
    on_text: Callable[[Context, str], list[Reply] | None]
    namespace: str | None = None  # presses of these buttons keep the flow open
    keeps_open: frozenset[str] = frozenset()
    pause_notice: str | None = None
    # /cancel while this flow is open cancels this flow (never an assessment paused behind
    # it); None: the flow is closed with the generic "cancelled" text. A flow that keeps
    # "cancel" open handles it as its own command.
    on_cancel: Handler | None = None


@dataclass(frozen=True)
class MenuItem:
    """One main-menu button: label text key, payload `m:<key>`; `order` sorts the menu."""

    key: str
    label: str
    run: Handler
    order: int


@dataclass(frozen=True)
class OutboxKind:
    """A proactive message kind and how it is rendered at delivery time. `reply` kinds answer
    the person (an officer's reply): they go in the reply lane and still reach people who
    stopped announcements; only a block stops them."""

    kind: str
    render: Renderer
    reply: bool = False
    # The delivery lane (bot/delivery/lanes.py): "reply", "reminder" or "bulk" (broadcasts);
    # by default "reply" for reply kinds, else "reminder".
    lane: str | None = None
    # Optional: load what `render` needs for a claimed batch of payloads in a few queries
    # (a worker renders thousands of rows in a row); `render` still works without it.
    prefetch: Callable[[Session, list[dict]], object] | None = None
    # Optional: (session, payload, outcome, now) in the transaction that records the row's
    # final state (sent, failed, unreachable); outcome = {"status", "route", "reason"}, route
    # being how the platform took it where it says (Zalo OA: free, quota, not_reachable).
    on_outcome: Callable[[Session, dict, dict, datetime], None] | None = None


@dataclass(frozen=True)
class Job:
    """Periodic housekeeping, run in a worker thread: (engine, now, settings) -> a count."""

    name: str
    run: Callable[[object, datetime, HandlerSettings], object]
    every_minutes: int = 30


@dataclass(frozen=True)
class PersonalData:
    """What the capability keeps about a person. `describe` gives the /mydata lines; `erase`
    removes (or unlinks) what is personal for /deletedata, before the contact row goes.
    `tables` names every table of this capability holding a contact id; the registry test
    checks that each such table in the schema is named by some capability."""

    tables: tuple[str, ...]
    erase: Callable[[Session, Contact, ContentStore, HandlerSettings], None]
    describe: Callable[[Context], list[str]] | None = None


@dataclass(frozen=True)
class Capability:
    name: str
    commands: tuple[Command, ...] = ()
    buttons: Mapping[str, Handler] = field(default_factory=dict)  # namespace -> handler
    # Namespaces of `buttons` only officers may press: to anyone else they do not exist (a
    # forged press gets the ordinary stale-button answer), checked at each press.
    officer_buttons: frozenset[str] = frozenset()
    flow: Flow | None = None
    menu: tuple[MenuItem, ...] = ()
    outbox: tuple[OutboxKind, ...] = ()
    jobs: tuple[Job, ...] = ()
    personal: PersonalData | None = None
    # Free text no open flow took, tried before it is read as a question: words of the
    # capability's own ("làm tiếp" resumes a paused assessment); None lets the text through.
    free_text: Handler | None = None
