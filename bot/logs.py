"""Log output that never carries a secret: redaction of the FORMATTED line (message, traceback and
stack), so a token inside an exception's text or a traceback is caught too, not only in the
message a filter sees. Personal data is kept out at the source (handlers log types and ids, not
texts); as a second line of defence the SQL parameters that database errors print (message texts,
phone numbers) are cut here as well."""

from __future__ import annotations

import logging
import re

# A Bot API token (<bot id>:<35 characters>), wherever it appears, configured or not.
_TOKEN = re.compile(r"(?<!\d)\d{5,}:[A-Za-z0-9_-]{30,}")
# SQLAlchemy's "[parameters: (...)]" line in database errors (engines without hide_parameters);
# a repr, so one line whatever the values hold.
_SQL_PARAMETERS = re.compile(r"\[parameters: [^\n]*")
# python-telegram-bot logs a whole update it could not parse ("Received data was: {...}"), in
# Bot.get_updates and in its webhook server: names, texts, phone numbers. A repr: one line.
_RECEIVED_DATA = re.compile(r"(Received data was)[^\n]*")
MASK = "***"


def redact(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, MASK)
    text = _TOKEN.sub(MASK, text)
    text = _RECEIVED_DATA.sub(r"\1: [hidden]", text)
    return _SQL_PARAMETERS.sub("[parameters hidden]", text)


class RedactingFormatter(logging.Formatter):
    def __init__(self, fmt: str, secrets: list[str]):
        super().__init__(fmt)
        self.secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record), self.secrets)
