"""Reading the files officers edit: one place that turns a wrong encoding or broken YAML into a
sentence naming the file and the fix, never a traceback.

Officers edit content in Notepad, Word or Excel exports; a file saved in a legacy encoding
(Windows-1258, Latin-1, UTF-16) used to crash `content check` and `content reload`."""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Any

import yaml

SAVE_AS_UTF8 = "save it as UTF-8 (in Notepad: File > Save as > Encoding: UTF-8)"


class UnreadableFile(ValueError):
    """The file cannot be read as content; the message says why and how to fix it."""


def read_text(path: Path) -> str:
    """The file's text, UTF-8 (a byte-order mark is allowed). Raises UnreadableFile naming the
    encoding problem (UTF-16, or the line of the first byte that is not UTF-8)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UnreadableFile(f"cannot read: {exc.strerror or exc}") from None
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise UnreadableFile(f"saved as UTF-16; {SAVE_AS_UTF8}")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise UnreadableFile(
            f"line {line}: not UTF-8 (probably Windows-1258 or Latin-1); {SAVE_AS_UTF8}"
        ) from None


def read_yaml(path: Path) -> Any:
    """The parsed YAML of `path`. Raises UnreadableFile with the line of a syntax error."""
    text = read_text(path)
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise UnreadableFile(
            f"{where}not valid YAML: {exc.problem or exc.context or 'syntax error'}"
        ) from None
    except yaml.YAMLError as exc:
        raise UnreadableFile(f"not valid YAML: {str(exc).splitlines()[0]}") from None
