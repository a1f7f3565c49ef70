"""The conversation core: one inbound message in, the replies out.

Each message is handled in one database transaction, and all conversation state lives in the
database, so any process can take the next message and a restart loses nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from content.store import ContentStore
from content.textnorm import canonical
from content.texts import ContentError
from handlers import qa, qa_prepared, start
from handlers.clock import Clock, SystemClock
from handlers.context import MAX_TEXT, Context
from handlers.messages import Inbound, Reply
from handlers.ports import HandlerSettings, ReportFiles
from handlers.registry import REGISTRY, Registry
from handlers.tickets import inbox
from storage import app_state, contacts, inbound_seen
from storage.db import session_scope
from storage.models import ContactStatus

log = logging.getLogger(__name__)


def _database_away(exc: BaseException) -> bool:
    """The database cannot be reached (refused, dropped), not a fault of the bot's own."""
    return isinstance(exc, OperationalError) and (
        exc.connection_invalidated or "connection" in str(exc.orig).lower()
    )


@dataclass
class Conversation:
    """The conversation core. Its commands, buttons, flows, menu and jobs all come from the
    capability registry (handlers.registry)."""

    engine: Engine
    content: ContentStore
    settings: HandlerSettings
    clock: Clock = field(default_factory=SystemClock)
    content_generation: int = 0
    registry: Registry = REGISTRY
    files: ReportFiles | None = None  # chart and Excel files for officers (bot/exports/)
    # Told of every handled message: (channel, seconds, ended in the apology); bot/metrics.py.
    observe: Callable[[str, float, bool], None] | None = None
    _open_flows: qa_prepared.OpenFlows = field(default_factory=qa_prepared.OpenFlows, repr=False)

    # -- entry point ---------------------------------------------------------------------
    def handle(self, inbound: Inbound) -> list[Reply]:
        """Handle one message; never raises for a person's input (they get an apology)."""
        started, failed = time.perf_counter(), False
        try:
            return self._handle(inbound)
        except Exception as exc:
            failed = True
            if _database_away(exc):  # one line per message, not a 100-line traceback each
                log.error(
                    "failed to handle a %s message: database unreachable (%s)",
                    inbound.channel,
                    type(exc.orig).__name__,
                )
            else:
                log.exception("failed to handle a %s message", inbound.channel)
            return [Reply(text=self.content.texts.get(self._language_of(inbound), "error"))]
        finally:
            if self.observe is not None:
                self.observe(inbound.channel, time.perf_counter() - started, failed)

    def language_of(self, channel: str, user_id: str) -> str:
        """The person's language ("vi"/"en"), the default for someone new (the terminal's own
        lines: its greeting and goodbye)."""
        return self._language_of(Inbound(channel=channel, user_id=user_id))

    def _language_of(self, inbound: Inbound) -> str:
        """The person's language for the apology, read apart from the failed transaction; the
        default when even that fails (the database is what broke)."""
        try:
            with session_scope(self.engine) as session:
                contact = contacts.get(session, inbound.channel, inbound.user_id)
                lang = contact.language if contact is not None else None
        except Exception:  # noqa: BLE001 - the apology must still go out
            lang = None
        return lang if lang in ("vi", "en") else self.settings.default_language

    def _handle(self, inbound: Inbound) -> list[Reply]:
        if inbound.text:
            # The one neutral ingress: every capability reads what was typed in one form.
            inbound = replace(inbound, text=canonical(inbound.text))
        now = self.clock.now()
        # A likely question is searched before the transaction: no lock held meanwhile.
        index = self.content.knowledge.index
        prepared = qa_prepared.prepare(inbound, index, self._open_flows, MAX_TEXT)
        with session_scope(self.engine) as session:
            contacts.lock_person(session, inbound.channel, inbound.user_id)
            if inbound.message_id is not None and not inbound_seen.first_time(
                session, inbound.channel, inbound.user_id, inbound.message_id, now
            ):
                # A platform redelivered what this transaction's predecessor already handled.
                log.info("ignored a redelivered %s event", inbound.channel)
                return []
            self._maybe_reload(session)
            if inbound.kind == "blocked":
                contact = contacts.get(session, inbound.channel, inbound.user_id)
                if contact is not None:
                    contacts.set_status(session, contact, ContactStatus.blocked)
                return []
            arrival = contacts.arrive(
                session,
                inbound.channel,
                inbound.user_id,
                now,
                # The platform's display name is personal data: used for this reply, not stored.
                language=self.settings.default_language,
            )
            contact = arrival.contact
            ctx = Context(
                session=session,
                contact=contact,
                inbound=inbound,
                content=self.content,
                settings=self.settings,
                clock=self.clock,
                registry=self.registry,
                files=self.files,
                is_new=arrival.is_new,
                listed_officer=arrival.listed_officer,
                _now=now,
                memo=prepared,
            )
            if inbound.kind == "unblocked":
                return []
            replies = _as_list(self.dispatch(ctx))
            self._open_flows.set(inbound.channel, inbound.user_id, contact.active_flow)
            return replies

    def dispatch(self, ctx: Context) -> list[Reply] | Reply:
        inbound = ctx.inbound
        cancelled = self._cancel_open_flow(ctx)
        if cancelled is not None:
            return cancelled
        paused = self._pause_flow_if_left(ctx)
        if paused:
            rest = _as_list(self.dispatch(ctx))
            # Said after the command ran, so in the language it left ("/lang en" pauses the
            # assessment: the notice, with the word to type to go on, is in English).
            return [*(ctx.reply(key) for key in paused), *rest]
        if inbound.kind == "unsupported":
            # A sticker or photo inside an open flow: the flow repeats what it is waiting for.
            flow = self.registry.flow(ctx.contact.active_flow)
            return (flow.on_text(ctx, "") if flow else None) or ctx.reply("unsupported")
        if inbound.payload is not None:
            ns, _, arg = inbound.payload.partition(":")
            # Officer namespaces (ticket cards) do not exist for others: rights at each press.
            handler = self.registry.button(
                ns, ns in self.registry.officer_buttons and ctx.is_officer
            )
            if handler is None:
                return start.stale(ctx)
            return handler(ctx, arg)
        text = (inbound.text or "").strip()
        cmd = typed_command(ctx)
        if ctx.contact.active_flow and cmd is None:
            # An open flow gets every typed answer, even an empty or huge one, so its own
            # message says what it expects (e.g. the assessment's current question).
            flow = self.registry.flow(ctx.contact.active_flow)
            replies = flow.on_text(ctx, inbound.text or "") if flow else None
            if replies is not None:
                return replies
        if not text:
            return ctx.reply("empty")
        if len(text) > MAX_TEXT:
            return ctx.reply("too_long", length=len(text), limit=MAX_TEXT)
        if cmd is not None:
            name, args = cmd
            # Officer-only commands do not exist for anyone else (rights per message).
            command = self.registry.command(name, ctx.is_officer)
            if command is None:
                return ctx.reply("unknown_command", command="/" + name)
            return command.run(ctx, args)
        return self.on_text(ctx, text)

    def on_text(self, ctx: Context, text: str) -> list[Reply] | Reply:
        """Free text that no open flow took: an officer's reply to a ticket card, or a
        question for the knowledge base."""
        if ctx.inbound.reply_to:
            answered = inbox.on_card_reply(ctx, text)
            if answered is not None:
                return answered
        for cap in self.registry.capabilities:
            taken = cap.free_text(ctx, text) if cap.free_text else None
            if taken is not None:
                return taken
        return qa.on_text(ctx, text)

    def _cancel_open_flow(self, ctx: Context) -> list[Reply] | None:
        """/cancel typed while a question of another capability is open (the officer message,
        the erase question, a draft) cancels that question: the assessment's /cancel would
        otherwise end an assessment paused behind it, answers and all."""
        cmd = typed_command(ctx)
        flow = self.registry.flow(ctx.contact.active_flow)
        if cmd is None or cmd[0] != "cancel" or flow is None or "cancel" in flow.keeps_open:
            return None
        if flow.on_cancel is not None:
            return _as_list(flow.on_cancel(ctx, ""))
        contacts.set_flow(ctx.session, ctx.contact, None)
        return [ctx.reply("flow_cancelled", buttons=[start.menu_button(ctx)])]

    def _pause_flow_if_left(self, ctx: Context) -> list[str]:
        """Another command or menu while a flow is open pauses it (the assessment keeps its
        answers), so the person's next free text is a question again, not an answer. The
        text key of the flow's notice, if it has one."""
        flow = ctx.contact.active_flow
        if flow is None:
            return []
        inbound, cmd = ctx.inbound, typed_command(ctx)
        if inbound.payload is None and cmd is None:
            return []  # free text: the flow's answer
        name = cmd[0] if cmd is not None else None
        if self.registry.keeps_flow_open(flow, inbound.payload, name):
            return []
        open_flow = self.registry.flow(flow)
        notice = open_flow.pause_notice if open_flow else None
        contacts.set_flow(ctx.session, ctx.contact, None)
        return [notice] if notice else []

    def maintenance_jobs(self) -> list[Callable[[], object]]:
        """The registry's periodic jobs, each in its own transaction (run in a worker thread)."""

        def bind(job):  # noqa: ANN001, ANN202
            def run() -> object:
                with session_scope(self.engine) as session:
                    return job.run(session, self.clock.now(), self.settings)

            run.__name__, run.every_minutes = job.name, job.every_minutes
            return run

        # The core's own housekeeping: keys of handled platform events (storage/inbound_seen.py).
        def forget_seen_inbound() -> int:
            with session_scope(self.engine) as session:
                cutoff = self.clock.now() - inbound_seen.KEEP
                return inbound_seen.forget_older_than(session, cutoff)

        return [*(bind(job) for job in self.registry.jobs), forget_seen_inbound]

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


def typed_command(ctx: Context) -> tuple[str, str] | None:
    """(name, args) of "/name args", or of a word typed alone that stands for a command in the
    lexicon ("dừng" is /stop, "menu" is /menu); None for buttons and other text."""
    inbound = ctx.inbound
    if inbound.payload is not None:
        return None
    if inbound.command is not None:
        return inbound.command
    word = ctx.content.lexicon.command_for(inbound.text or "")
    if word:
        return word, ""
    lang = start.language_named(inbound.text or "")  # "English" alone, even mid-assessment
    return ("lang", lang) if lang else None


def _as_list(result: list[Reply] | Reply | None) -> list[Reply]:
    if result is None:
        return []
    return [result] if isinstance(result, Reply) else list(result)
