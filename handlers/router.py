"""The conversation core: one inbound message in, the replies out.

Each message is handled in one database transaction, and all conversation state lives in the
database, so any process can take the next message and a restart loses nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

from content.store import ContentStore
from content.texts import ContentError
from handlers import assessment, handoff, officer, privacy, qa, start
from handlers.clock import Clock, SystemClock
from handlers.context import Context
from handlers.messages import Inbound, Reply
from storage import app_state, contacts
from storage.db import session_scope
from storage.models import ContactStatus, Role

if TYPE_CHECKING:
    from bot.settings import Settings  # type only: handlers never import the bot layer

log = logging.getLogger(__name__)

MAX_TEXT = 4096
# Flows that take free text while they are open (contacts.active_flow).
FLOWS = {assessment.FLOW: assessment.on_text, handoff.FLOW: handoff.on_text}
# What keeps a flow open: its buttons' prefix, its commands, and what to say when it pauses.
FLOW_SCOPE = {
    assessment.FLOW: ("as:", assessment.COMMANDS, "assess.paused"),
    handoff.FLOW: ("ho:", set(), None),
}
Handler = Callable[[Context, str], list[Reply] | Reply]


@dataclass
class Conversation:
    engine: Engine
    content: ContentStore
    settings: Settings
    clock: Clock = field(default_factory=SystemClock)
    content_generation: int = 0
    commands: dict[str, Handler] = field(default_factory=dict)
    buttons: dict[str, Handler] = field(default_factory=dict)
    menu_actions: dict[str, Handler] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.commands = {
            "start": start.start,
            "help": start.help_,
            "menu": start.menu,
            "lang": start.choose_language,
            "language": start.choose_language,
            "stop": start.stop,
            "reload": reload_command,
            "assess": assessment.command,
            "result": assessment.result_command,
            "cancel": assessment.cancel,
            "skip": assessment.skip_command,
            "back": assessment.back_command,
            "officer": handoff.command,
            "mydata": privacy.show,
            "deletedata": privacy.ask_delete,
            # Announced in the content already; the events capability comes in a later issue.
            "events": lambda ctx, args: start.not_ready(ctx, "events"),
            "subscribe": lambda ctx, args: start.not_ready(ctx, "events"),
            "questions": officer.list_command,
            "reply": officer.reply_command,
            **self.commands,
        }
        self.buttons = {
            "m": menu_button,
            "lang": lambda ctx, arg: start.set_language(ctx, arg),
            "qa": qa.button,
            "as": assessment.button,
            "ho": handoff.button,
            "pv": privacy.button,
            **self.buttons,
        }
        self.menu_actions = {
            "qa": qa.intro,
            "prog": qa.programmes,
            "assess": assessment.command,
            "officer": handoff.command,
            **self.menu_actions,
        }

    # -- entry point ---------------------------------------------------------------------
    def handle(self, inbound: Inbound) -> list[Reply]:
        """Handle one message; never raises for a person's input (they get an apology)."""
        try:
            return self._handle(inbound)
        except Exception:
            log.exception("failed to handle a %s message", inbound.channel)
            return [Reply(text=self.content.texts.get(self.settings.default_language, "error"))]

    def _handle(self, inbound: Inbound) -> list[Reply]:
        now = self.clock.now()
        with session_scope(self.engine) as session:
            contacts.lock_person(session, inbound.channel, inbound.user_id)
            self._maybe_reload(session)
            if inbound.kind == "blocked":
                contact = contacts.get(session, inbound.channel, inbound.user_id)
                if contact is not None:
                    contacts.set_status(session, contact, ContactStatus.blocked)
                return []
            officer = self.settings.is_officer(inbound.channel, inbound.user_id)
            contact, is_new = contacts.touch(
                session,
                inbound.channel,
                inbound.user_id,
                now,
                # The platform's display name is personal data: used for this reply, not stored.
                language=self.settings.default_language,
                role=Role.officer if officer else None,
            )
            ctx = Context(
                session=session,
                contact=contact,
                inbound=inbound,
                content=self.content,
                settings=self.settings,
                clock=self.clock,
                is_new=is_new,
                conversation=self,
                _now=now,
            )
            if inbound.kind == "unblocked":
                return []
            return _as_list(self.dispatch(ctx))

    def dispatch(self, ctx: Context) -> list[Reply] | Reply:
        inbound = ctx.inbound
        paused = self._pause_flow_if_left(ctx)
        if paused:
            return [*paused, *_as_list(self.dispatch(ctx))]
        if inbound.kind == "unsupported":
            # A sticker or photo inside an open flow: the flow repeats what it is waiting for.
            flow = FLOWS.get(ctx.contact.active_flow)
            return (flow(ctx, "") if flow else None) or ctx.reply("unsupported")
        if inbound.payload is not None:
            ns, _, arg = inbound.payload.partition(":")
            handler = self.buttons.get(ns)
            if handler is None:
                return [ctx.reply("stale_button"), start.menu(ctx)]
            return handler(ctx, arg)
        text = (inbound.text or "").strip()
        if ctx.contact.active_flow and inbound.command is None and not start.is_stop_word(text):
            # An open flow gets every typed answer, even an empty or huge one, so its own
            # message says what it expects (e.g. the assessment's current question).
            flow = FLOWS.get(ctx.contact.active_flow)
            replies = flow(ctx, inbound.text or "") if flow else None
            if replies is not None:
                return replies
        if not text:
            return ctx.reply("empty")
        if len(text) > MAX_TEXT:
            return ctx.reply("too_long", length=len(text), limit=MAX_TEXT)
        cmd = inbound.command
        if cmd is not None:
            name, args = cmd
            handler = self.commands.get(name)
            if handler is None:
                return ctx.reply("unknown_command", command="/" + name)
            return handler(ctx, args)
        if start.is_stop_word(text):
            return start.stop(ctx)
        return self.on_text(ctx, text)

    def on_text(self, ctx: Context, text: str) -> list[Reply] | Reply:
        """Free text that no open flow took: a question for the knowledge base."""
        return qa.on_text(ctx, text)

    def _pause_flow_if_left(self, ctx: Context) -> list[Reply]:
        """Another command or menu while a flow is open pauses it (the assessment keeps its
        answers), so the person's next free text is a question again, not an answer."""
        flow = ctx.contact.active_flow
        if flow is None:
            return []
        prefix, commands, notice = FLOW_SCOPE.get(flow, ("", set(), None))
        inbound = ctx.inbound
        if inbound.payload is not None:
            leaving = not inbound.payload.startswith(prefix)
        else:
            cmd = inbound.command
            leaving = (cmd is not None and cmd[0] not in commands) or start.is_stop_word(
                inbound.text or ""
            )
        if not leaving:
            return []
        contacts.set_flow(ctx.session, ctx.contact, None)
        return [ctx.reply(notice)] if notice else []

    def maintenance_jobs(self) -> list[Callable[[], object]]:
        """Periodic housekeeping the scheduler runs in a worker thread."""

        def expire_assessments() -> int:
            with session_scope(self.engine) as session:
                return assessment.expire_stale(
                    session, self.clock.now(), self.settings.assessment_expiry_days
                )

        return [expire_assessments]

    # -- content reload across processes ---------------------------------------------------
    def _maybe_reload(self, session) -> None:  # noqa: ANN001
        generation = int(app_state.get_value(session, app_state.CONTENT_GENERATION, "0") or 0)
        if generation != self.content_generation:
            try:
                self.content = ContentStore.load(self.content.directory)
            except ContentError as exc:
                log.error(
                    "content generation %s is invalid, keeping the old one: %s",
                    generation,
                    exc.errors[:3],
                )
            self.content_generation = generation


def _as_list(result: list[Reply] | Reply | None) -> list[Reply]:
    if result is None:
        return []
    return [result] if isinstance(result, Reply) else list(result)


def menu_button(ctx: Context, arg: str) -> list[Reply] | Reply:
    conv = ctx.conversation
    if arg == "main":
        return start.menu(ctx)
    if arg == "lang":
        return start.choose_language(ctx)
    if arg in conv.menu_actions:
        return conv.menu_actions[arg](ctx, "")
    feature = {"prog": "programmes"}.get(arg, arg)
    if feature not in ("qa", "assess", "events", "programmes", "officer"):
        return [ctx.reply("stale_button"), start.menu(ctx)]
    return start.not_ready(ctx, feature)


def reload_command(ctx: Context, args: str = "") -> Reply:
    """Officers reload content for every process: validate here, then bump the generation."""
    if not ctx.is_officer:
        return ctx.reply("officer_only")
    try:
        ContentStore.load(ctx.content.directory)
    except ContentError as exc:
        return ctx.reply("content_invalid", errors="\n".join(exc.errors[:10]))
    generation = app_state.bump(ctx.session, app_state.CONTENT_GENERATION)
    return ctx.reply("content_reloaded", generation=generation)
