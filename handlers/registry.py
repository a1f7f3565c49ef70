"""The one list of capabilities, and everything derived from it: the router's command, button
and flow tables, the main menu, the platforms' command lists, the outbox renderers (with their
lane), the scheduled jobs and the personal-data hooks behind /mydata and /deletedata.

Adding a capability is one module (or folder) exposing a `CAPABILITY` plus one line in
`CAPABILITIES` below. Importing this module registers every renderer, so a worker process that
imports only the delivery code renders every outbox kind.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from handlers import (
    assessment,
    broadcasts,
    channel_alerts,
    events,
    handoff,
    held_replies,
    officer,
    privacy,
    qa,
    start,
    stats,
    tickets,
)
from handlers.capability import Capability, Command, Flow, Handler, Job, MenuItem, OutboxKind
from handlers.messages import Reply

if TYPE_CHECKING:
    from sqlmodel import Session

    from content.store import ContentStore
    from content.texts import Texts
    from storage.models import Contact

CAPABILITIES: tuple[Capability, ...] = (
    start.CAPABILITY,
    qa.CAPABILITY,
    assessment.CAPABILITY,
    assessment.CONSENT,
    handoff.CAPABILITY,
    events.CAPABILITY,
    events.CONFIRM,
    privacy.CAPABILITY,
    officer.CAPABILITY,
    tickets.CAPABILITY,
    stats.CAPABILITY,
    broadcasts.CAPABILITY,
    channel_alerts.CAPABILITY,
    held_replies.CAPABILITY,
)


class Registry:
    """Lookups derived from a list of capabilities; raises ValueError on a name declared twice
    (two commands, button namespaces, flows, menu items or outbox kinds)."""

    def __init__(self, capabilities: Iterable[Capability]):
        self.capabilities = tuple(capabilities)
        self.commands: dict[str, Command] = {}
        self.buttons: dict[str, Handler] = {}
        self.flows: dict[str, Flow] = {}
        self.menu: list[MenuItem] = []
        self.outbox: dict[str, OutboxKind] = {}
        self.jobs: list[Job] = []
        self.officer_buttons: set[str] = set()
        for cap in self.capabilities:
            for cmd in cap.commands:
                for name in (cmd.name, *cmd.aliases):
                    _add(self.commands, name, cmd, "command")
            for namespace, handler in cap.buttons.items():
                _add(self.buttons, namespace, handler, "button namespace")
            self.officer_buttons |= set(cap.officer_buttons)
            if cap.flow is not None:
                _add(self.flows, cap.flow.name, cap.flow, "flow")
            for item in cap.menu:
                if any(m.key == item.key for m in self.menu):
                    raise ValueError(f"menu item {item.key!r} declared twice")
                self.menu.append(item)
            for kind in cap.outbox:
                _add(self.outbox, kind.kind, kind, "outbox kind")
            self.jobs.extend(cap.jobs)
        self.menu.sort(key=lambda m: m.order)

    # -- the router ----------------------------------------------------------------------
    def command(self, name: str, is_officer: bool) -> Command | None:
        """The command by name, or None; officer-only commands do not exist for others."""
        cmd = self.commands.get(name)
        if cmd is None or (cmd.officer_only and not is_officer):
            return None
        return cmd

    def button(self, namespace: str, is_officer: bool) -> Handler | None:
        """The handler of a button namespace, or None; officer namespaces do not exist for
        others."""
        if namespace in self.officer_buttons and not is_officer:
            return None
        return self.buttons.get(namespace)

    def flow(self, name: str | None) -> Flow | None:
        return self.flows.get(name or "")

    def keeps_flow_open(self, flow_name: str, payload: str | None, command: str | None) -> bool:
        """A press of the flow's own buttons or one of its commands keeps it open."""
        flow = self.flows.get(flow_name)
        if flow is None:
            return False
        if payload is not None:
            return flow.namespace is not None and payload.partition(":")[0] == flow.namespace
        return command is None or command in flow.keeps_open

    def menu_item(self, key: str) -> MenuItem | None:
        return next((m for m in self.menu if m.key == key), None)

    # -- the platforms -------------------------------------------------------------------
    def announced_commands(self, texts: Texts, lang: str) -> list[tuple[str, str]]:
        """(name, description) of the commands for a platform's command menu, in `lang`."""
        return [
            (cmd.name, texts.get(lang, cmd.help_key))
            for cap in self.capabilities
            for cmd in cap.commands
            if cmd.announce and not cmd.officer_only
        ]

    # -- delivery ------------------------------------------------------------------------
    def is_reply_kind(self, kind: str) -> bool:
        entry = self.outbox.get(kind)
        return entry is not None and entry.reply

    def render(
        self,
        session: Session,
        content: ContentStore,
        contact: Contact,
        kind: str,
        payload: dict,
        now: datetime,
    ) -> list[Reply] | None:
        """The replies of an outbox row, or None when it is no longer relevant.
        Raises LookupError for a kind no capability declares."""
        entry = self.outbox.get(kind)
        if entry is None:
            raise LookupError(f"no renderer for outbox kind {kind!r}")
        return entry.render(session, content, contact, payload, now)

    # -- personal data -------------------------------------------------------------------
    def personal_tables(self) -> set[str]:
        return {t for cap in self.capabilities if cap.personal for t in cap.personal.tables}


def _add(table: dict, key: str, value: object, what: str) -> None:
    if key in table:
        raise ValueError(f"{what} {key!r} declared twice")
    table[key] = value


REGISTRY = Registry(CAPABILITIES)
