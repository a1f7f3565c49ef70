"""A message while the database is away: the person gets the apology and the log one line
per message. Before, each message logged a ~100-line traceback (seen running two `serve`
processes with PostgreSQL cut for 30 s); a fault of the bot's own keeps its traceback."""

from __future__ import annotations

import dataclasses
import logging

from sqlalchemy import create_engine

from handlers.messages import Inbound

APOLOGY = "Xin lỗi, bot gặp lỗi"


def test_the_database_away_is_one_log_line_and_the_apology(conversation, caplog):
    away = create_engine("postgresql+psycopg://postgres@127.0.0.1:1/nothing_listens")
    conv = dataclasses.replace(conversation, engine=away)
    with caplog.at_level(logging.INFO, logger="handlers.router"):
        replies = conv.handle(Inbound(channel="telegram", user_id="5010", text="/start"))
    away.dispose()
    assert replies[0].text.startswith(APOLOGY)
    [record] = [r for r in caplog.records if r.name == "handlers.router"]
    assert record.getMessage() == (
        "failed to handle a telegram message: database unreachable (OperationalError)"
    )
    assert record.exc_info is None


def test_a_fault_of_the_bots_own_keeps_its_traceback(conversation, caplog, monkeypatch):
    def broken(inbound):  # noqa: ANN001, ANN202
        raise KeyError("a bug")

    monkeypatch.setattr(conversation, "_handle", broken)
    with caplog.at_level(logging.INFO, logger="handlers.router"):
        replies = conversation.handle(Inbound(channel="console", user_id="lan", text="hi"))
    assert replies[0].text.startswith(APOLOGY)
    [record] = [r for r in caplog.records if r.name == "handlers.router"]
    assert record.exc_info is not None
