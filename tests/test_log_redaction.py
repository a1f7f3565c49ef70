"""The log formatter redacts the whole formatted line: message, traceback and stack."""

from __future__ import annotations

import logging
import sys

from bot.logs import RedactingFormatter

TOKEN = "123456789:AAFakeTokenForTests_abcdefghijklmnop"
OTHER_TOKEN = "987654321:BBsomeoneElsesTokenxxxxxxxxxxxxxxxxx"


def formatted(msg: str, *args: object, exc: BaseException | None = None) -> str:
    record = logging.LogRecord("t", logging.ERROR, __file__, 1, msg, args, None)
    if exc is not None:
        try:
            raise exc
        except BaseException:  # noqa: BLE001
            record.exc_info = sys.exc_info()
    return RedactingFormatter("%(message)s", [TOKEN, "webhook-secret-xyz"]).format(record)


def test_a_token_inside_an_exception_traceback_is_redacted():
    out = formatted("bot stopped", exc=RuntimeError(f"The token `{TOKEN}` was rejected"))
    assert "Traceback" in out and TOKEN.split(":")[1] not in out


def test_a_token_shaped_string_is_redacted_even_when_not_configured():
    out = formatted("GET https://api.telegram.org/bot%s/getMe", OTHER_TOKEN)
    assert OTHER_TOKEN.split(":")[1] not in out and "/getMe" in out


def test_secrets_sql_parameters_and_received_updates_are_cut():
    params = "[parameters: (1, 'telegram', 'Nguyễn Văn An 0912 345 678')]"
    out = formatted(
        "secret %s\n[SQL: INSERT INTO question_log (text) VALUES (?)]\n%s\n(Background on...)",
        "webhook-secret-xyz",
        params,
    )
    assert "webhook-secret-xyz" not in out and "Nguyễn" not in out and "0912" not in out
    assert "INSERT INTO question_log" in out and "(Background on...)" in out
    data = {"message": {"from": {"first_name": "Hoa"}, "text": "số 0912 345 678"}}
    out = formatted("Error while parsing updates! Received data was %r", data)
    assert "Hoa" not in out and "0912" not in out and "Error while parsing updates" in out
