"""Telegram redelivers an update whose offset was not confirmed (the process died between handling
it and its next getUpdates): through the real PTB Application restarted on the same database, the
second delivery of a message or a button press changes nothing and sends nothing."""

from __future__ import annotations

from sqlmodel import Session, select

from storage.models import QuestionLog
from tests.resilience_support import confirmed, conv, running, srv, tg_settings  # noqa: F401

QUESTION = "tiết kiệm nước trong nhà máy thế nào"


def questions(conv) -> list[str]:  # noqa: F811
    with Session(conv.engine) as s:
        return [q.text for q in s.exec(select(QuestionLog)).all()]


async def redeliver_after_restart(srv, conv, settings, update) -> list:  # noqa: F811
    """Queue `update` again (same update_id) for a restarted bot, then a /help after it; return
    every sendMessage the restarted bot made once both are confirmed."""
    async with running(srv, conv, settings):
        start = srv.mark()
        srv.queue_update(update)
        srv.user_sends("/help")
        # Updates are handled in order: once /help is answered, the redelivery was handled.
        await srv.wait_for(is_help, chat_id=1001, since=start, timeout=30)
        return [c for c in srv.calls[start:] if c.method == "sendMessage"]


def is_help(call) -> bool:
    return call.method == "sendMessage" and "Cách dùng bot" in str(call.params.get("text"))


async def test_a_redelivered_message_is_answered_once(srv, conv, tg_settings):  # noqa: F811
    async with running(srv, conv, tg_settings):
        update = srv.text_update(QUESTION)
        srv.queue_update(update)
        await srv.wait_for("sendMessage", chat_id=1001)
        await confirmed(srv)
    sent = await redeliver_after_restart(srv, conv, tg_settings, update)
    assert len(sent) == 1 and QUESTION not in str(sent[0].params), [c.summary() for c in sent]
    assert questions(conv) == [QUESTION]


async def test_a_redelivered_button_press_acts_once(srv, conv, tg_settings):  # noqa: F811
    async with running(srv, conv, tg_settings):
        srv.user_sends("/start")
        await srv.wait_for("sendMessage", chat_id=1001)
        srv.user_presses("m:lang")
        [update] = srv.pending_updates  # taken before the bot polls it (no await in between)
        await srv.wait_for("sendMessage", chat_id=1001)
        await confirmed(srv)
    sent = await redeliver_after_restart(srv, conv, tg_settings, update)
    assert len(sent) == 1, [c.summary() for c in sent]  # the /help answer only
