"""A local, in-process fake of the Telegram Bot API that speaks real HTTP.

The real python-telegram-bot ``Application`` / ``Bot`` is pointed at it, so tests exercise
PTB's own request building, response parsing, error mapping and polling/webhook machinery::

    async with FakeTelegram() as srv:
        app = srv.application_builder().build()      # or ApplicationBuilder().token(T)
        app.add_handler(CommandHandler("start", start))  #   .base_url(srv.root_url + "/bot")
        async with srv.polling(app):                  #   .base_file_url(srv.root_url + "/file/bot")
            srv.user_sends("/start")
            [call] = await srv.wait_for("sendMessage", chat_id=1001)

What it models (close to the real Bot API, so PTB parses every answer):

* ``POST|GET /bot<token>/<method>`` with JSON, urlencoded or multipart bodies (PTB itself sends
  urlencoded, or multipart when uploading; non-string values arrive JSON-encoded in form fields).
  Method names are case-insensitive. Bad token -> 401, unknown method -> 404.
* getUpdates long polling with ``offset`` confirmation, ``limit``, ``timeout``, ``allowed_updates``
  (default set excludes chat_member / message_reaction*, like Telegram); 409 while a webhook is
  set; a newer getUpdates terminates a pending one with 409 (like Telegram).
* Message methods keep per-chat state: message ids, inline keyboards, edits (an edit without
  ``reply_markup`` drops the inline keyboard; an edit that changes nothing gives
  "message is not modified"), callback queries (answering twice is an error), blocked users (403).
* ``parse_mode`` HTML / MarkdownV2 / Markdown is parsed like Telegram does: the returned message
  ``text`` is the rendered plain text plus ``entities``; malformed markup gives
  400 "can't parse entities" (the raw text stays in ``Call.params["text"]``).
* Uploads (sendDocument/sendPhoto) are stored; getFile + ``GET /file/bot<token>/<path>`` serve them.
* Fault injection (:meth:`FakeTelegram.fail`, :meth:`FakeTelegram.slow`), a record of every call
  (:attr:`FakeTelegram.calls`) and :meth:`FakeTelegram.wait_for` to await the bot's reactions.

Deliberate simplifications: one bot per server (the bot id is taken from the token), webhook URLs
are not restricted to https/ports 443/80/88/8443, URL/mention entities are not auto-detected,
unknown chats are created on demand unless ``strict_chats=True``.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import copy
import hashlib
import inspect
import itertools
import json
import logging
import mimetypes
import re
import socket
import struct
import time
from collections.abc import AsyncIterator, Callable, Collection
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest_asyncio
from aiohttp import web

__all__ = [
    "DEFAULT_TOKEN",
    "BotApiError",
    "Call",
    "FakeTelegram",
    "free_port",
    "telegram_server",
]

_LOG = logging.getLogger(__name__)

#: A well-formed token accepted by a default ``FakeTelegram()``; the bot id is 123456789.
DEFAULT_TOKEN = "123456789:AAFakeTokenForTests_abcdefghijklmnop"

_TOKEN_RE = re.compile(r"^(\d{1,20}):[A-Za-z0-9_-]{1,100}$")
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Update types Telegram does not deliver unless asked for via allowed_updates.
_DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

_CHAT_ACTIONS = _words(
    "typing upload_photo record_video upload_video record_voice upload_voice "
    "upload_document choose_sticker find_location record_video_note upload_video_note"
)

# Form-encoded values are strings; these parameters are *meant* to be strings and are never
# JSON-decoded (e.g. text="123" must stay "123", callback_query_id is a numeric string).
_STRING_FIELDS = _words(
    "action animation audio business_connection_id callback_query_id caption certificate "
    "currency custom_title data description document emoji file_id inline_message_id "
    "ip_address language_code message_effect_id name next_offset parse_mode payload photo "
    "provider_token query_id question secret_token short_description start_parameter "
    "sticker text thumbnail title url video video_note voice web_app_query_id"
)
# Parameters whose value is a JSON object/array; accepted as JSON strings in any body type.
_JSON_FIELDS = _words(
    "allowed_updates caption_entities commands entities link_preview_options media "
    "reply_markup reply_parameters scope"
)

_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
_BLOCKED = "Forbidden: bot was blocked by the user"

_ERROR_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: _BLOCKED,
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; make sure that only one bot "
    "instance is running",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def _nginx_page(status: int, phrase: str) -> str:
    return (
        f"<html>\r\n<head><title>{status} {phrase}</title></head>\r\n<body>\r\n"
        f"<center><h1>{status} {phrase}</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n"
        "</body>\r\n</html>\r\n"
    )


class BotApiError(Exception):
    """Raise from a method implementation (or a :meth:`FakeTelegram.register` handler) to answer
    ``{"ok": false, "error_code": code, "description": description, "parameters": ...}``."""

    def __init__(self, code: int, description: str, parameters: dict | None = None):
        super().__init__(f"{code} {description}")
        self.code = code
        self.description = description
        self.parameters = parameters


@dataclass
class Call:
    """One HTTP request the bot made. ``method`` is the canonical name (``sendMessage``) whatever
    case the client used; ``params`` are decoded (numbers/booleans/JSON objects as Python values);
    ``files`` maps multipart field name to ``(filename, bytes)``."""

    method: str
    params: dict[str, Any]
    files: dict[str, tuple[str, bytes]]
    time: float
    status: int = 200
    response: Any = None  # parsed JSON body, or the raw text of a non-JSON body
    chat_id: int | str | None = None
    http_method: str = "POST"
    content_type: str = ""

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def result(self) -> Any:
        return self.response.get("result") if isinstance(self.response, dict) else None

    @property
    def description(self) -> str | None:
        return self.response.get("description") if isinstance(self.response, dict) else None

    def summary(self) -> str:
        shown = {k: v for k, v in self.params.items() if k not in ("offset", "timeout")}
        files = {k: (v[0], f"{len(v[1])} bytes") for k, v in self.files.items()}
        extra = f" files={files}" if files else ""
        err = "" if self.ok else f" -> {self.status} {self.description or self.response!r}"
        return f"{self.method}({shown}){extra}{err}"


@dataclass
class _Fault:
    kind: str  # "fail" | "slow"
    method: str  # lower-case method name or "*"
    times: int | None  # None = forever
    status: int = 0
    retry_after: int | None = None
    description: str | None = None
    body: str | None = None
    seconds: float = 0.0

    def matches(self, method: str) -> bool:
        return self.method in ("*", method.lower())


@dataclass
class _StoredFile:
    file_id: str
    file_unique_id: str
    data: bytes
    filename: str | None
    mime_type: str | None
    file_path: str


@dataclass
class _CallbackQuery:
    chat_id: int | str | None
    answered: bool = False
    answer: dict | None = None


# --------------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (for PTB's webhook server)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _u16(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def _boff(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _norm_chat_id(value: Any) -> int | str | None:
    if value is None or isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value).strip()
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    return text


def _as_int(value: Any, name: str, default: int | None = None) -> int | None:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise BotApiError(400, f"Bad Request: invalid {name} specified") from None


def _as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() in ("true", "1")
    return bool(value)


def _decode_form_value(key: str, value: str) -> Any:
    if key in _STRING_FIELDS:
        return value
    if key in _JSON_FIELDS or value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    if value in ("true", "false"):
        return value == "true"
    if re.fullmatch(r"-?\d+", value):
        return int(value)
    if re.fullmatch(r"-?\d+\.\d+", value):
        return float(value)
    return value


def _image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG/JPEG/GIF/WEBP/BMP image, or None when it is not an image."""
    try:
        if data[:8] == b"\x89PNG\r\n\x1a\n":
            return struct.unpack(">II", data[16:24])
        if data[:6] in (b"GIF87a", b"GIF89a"):
            return struct.unpack("<HH", data[6:10])
        if data[:2] == b"BM":
            w, h = struct.unpack("<ii", data[18:26])
            return w, abs(h)
        if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            chunk = data[12:16]
            if chunk == b"VP8X":
                w = 1 + int.from_bytes(data[24:27], "little")
                return w, 1 + int.from_bytes(data[27:30], "little")
            if chunk == b"VP8L":
                bits = int.from_bytes(data[21:25], "little")
                return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
            if chunk == b"VP8 ":
                w, h = struct.unpack("<HH", data[26:30])
                return w & 0x3FFF, h & 0x3FFF
            return None
        if data[:2] == b"\xff\xd8":
            i = 2
            while i + 9 < len(data):
                if data[i] != 0xFF:
                    i += 1
                    continue
                marker = data[i + 1]
                if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
                    i += 1 if marker == 0xFF else 2
                    continue
                (length,) = struct.unpack(">H", data[i + 2 : i + 4])
                if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                    h, w = struct.unpack(">HH", data[i + 5 : i + 9])
                    return w, h
                i += 2 + length
    except struct.error:
        return None
    return None


# --------------------------------------------------------------------------------------------
# parse_mode rendering (HTML, MarkdownV2, Markdown) -> (plain text, entities)
# --------------------------------------------------------------------------------------------


class _ParseError(Exception):
    pass


class _TextBuilder:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pos = 0  # UTF-16 offset
        self.entities: list[dict] = []

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.pos += _u16(text)

    def entity(self, etype: str, start: int, **extra: Any) -> None:
        if self.pos > start:
            self.entities.append(
                {"type": etype, "offset": start, "length": self.pos - start} | extra
            )

    def text(self) -> str:
        return "".join(self.parts)


_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_HTML_TAG_RE = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)((?:\s+[^<>]*?)?)\s*(/?)>")
_HTML_ATTR_RE = re.compile(r"""([A-Za-z_-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_HTML_ENTITY_RE = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|lt|gt|amp|quot);")
_HTML_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def _render_html(src: str) -> tuple[str, list[dict]]:
    out = _TextBuilder()
    stack: list[dict] = []
    i = 0
    while i < len(src):
        ch = src[i]
        if ch == "&":
            m = _HTML_ENTITY_RE.match(src, i)
            if m:
                name = m.group(1)
                if name.startswith(("#x", "#X")):
                    out.add(chr(int(name[2:], 16)))
                elif name.startswith("#"):
                    out.add(chr(int(name[1:])))
                else:
                    out.add(_HTML_NAMED[name])
                i = m.end()
            else:
                out.add("&")
                i += 1
            continue
        if ch != "<":
            j = i
            while j < len(src) and src[j] not in "<&":
                j += 1
            out.add(src[i:j])
            i = j
            continue
        m = _HTML_TAG_RE.match(src, i)
        off = _boff(src, i)
        if not m:
            raise _ParseError(f'Unsupported start tag "" at byte offset {off}')
        closing, name, attr_text = m.group(1) == "/", m.group(2).lower(), m.group(3)
        if closing:
            if not stack:
                raise _ParseError(f"Unexpected end tag at byte offset {off}")
            top = stack.pop()
            if top["name"] != name:
                raise _ParseError(
                    f'Unmatched end tag at byte offset {off}, expected "</{top["name"]}>", '
                    f'found "</{name}>"'
                )
            extra: dict[str, Any] = {}
            etype = top["type"]
            if etype == "text_link":
                href = top["attrs"].get("href", "")
                if href.startswith("tg://user?id="):
                    etype = "text_mention"
                    uid = int(re.sub(r"\D", "", href[13:]) or 0)
                    extra["user"] = {"id": uid, "is_bot": False, "first_name": "User"}
                else:
                    extra["url"] = href
            elif etype == "custom_emoji":
                extra["custom_emoji_id"] = top["attrs"].get("emoji-id", "")
            elif etype == "pre" and top.get("language"):
                extra["language"] = top["language"]
            elif etype == "blockquote" and "expandable" in top["attrs"]:
                etype = "expandable_blockquote"
            elif etype == "code" and stack and stack[-1]["type"] == "pre":
                cls = top["attrs"].get("class", "")
                if cls.startswith("language-"):
                    stack[-1]["language"] = cls[9:]
                i = m.end()
                continue
            out.entity(etype, top["start"], **extra)
        else:
            if name not in _HTML_TAGS or m.group(4):
                raise _ParseError(f'Unsupported start tag "{name}" at byte offset {off}')
            attrs = {
                a.group(1).lower(): a.group(2) or a.group(3) or a.group(4) or ""
                for a in _HTML_ATTR_RE.finditer(attr_text or "")
            }
            if name == "span" and attrs.get("class") != "tg-spoiler":
                raise _ParseError(f'Unsupported start tag "span" at byte offset {off}')
            stack.append({"name": name, "type": _HTML_TAGS[name], "start": out.pos, "attrs": attrs})
        i = m.end()
    if stack:
        raise _ParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1]["name"]}"')
    return out.text(), out.entities


_MDV2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_MD_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "text_link": "TextUrl",
}


def _scan_until(src: str, i: int, end: str, escapes: str) -> tuple[str, int] | None:
    """Collect src[i:] up to ``end`` honouring backslash escapes of ``escapes``; returns
    (content, index after end) or None."""
    buf: list[str] = []
    while i < len(src):
        if src[i] == "\\" and i + 1 < len(src) and src[i + 1] in escapes:
            buf.append(src[i + 1])
            i += 2
            continue
        if src.startswith(end, i):
            return "".join(buf), i + len(end)
        buf.append(src[i])
        i += 1
    return None


def _render_markdown_v2(src: str) -> tuple[str, list[dict]]:
    out = _TextBuilder()
    stack: list[tuple[str, str, int, int]] = []  # (marker, type, start, byte offset)
    quote_start: int | None = None
    i = 0
    while i < len(src):
        ch = src[i]
        if ch == "\\" and i + 1 < len(src) and 0 < ord(src[i + 1]) <= 126:
            out.add(src[i + 1])
            i += 2
            continue
        if src.startswith("```", i):
            found = _scan_until(src, i + 3, "```", "`\\")
            if found is None:
                raise _ParseError(f"Can't find end of Pre entity at byte offset {_boff(src, i)}")
            body, nxt = found
            language = None
            if "\n" in body:
                first, rest = body.split("\n", 1)
                if first and not first.isspace():
                    language, body = first.strip(), rest
            start = out.pos
            out.add(body)
            out.entity("pre", start, **({"language": language} if language else {}))
            i = nxt
            continue
        if ch == "`":
            found = _scan_until(src, i + 1, "`", "`\\")
            if found is None:
                raise _ParseError(f"Can't find end of Code entity at byte offset {_boff(src, i)}")
            start = out.pos
            out.add(found[0])
            out.entity("code", start)
            i = found[1]
            continue
        if ch == "[" or src.startswith("![", i):
            marker = "![" if ch == "!" else "["
            stack.append((marker, "text_link", out.pos, _boff(src, i)))
            i += len(marker)
            continue
        if ch == "]" and stack and stack[-1][0] in ("[", "!["):
            marker, _, start, boff = stack.pop()
            if not src.startswith("(", i + 1):
                raise _ParseError(f"Can't find end of TextUrl entity at byte offset {boff}")
            found = _scan_until(src, i + 2, ")", ")\\")
            if found is None:
                raise _ParseError(f"Can't find end of a URL at byte offset {_boff(src, i + 2)}")
            url, nxt = found
            if marker == "![":
                out.entity("custom_emoji", start, custom_emoji_id=url.rsplit("=", 1)[-1])
            else:
                out.entity("text_link", start, url=url)
            i = nxt
            continue
        if ch == ">" and (i == 0 or src[i - 1] == "\n"):
            if quote_start is None:
                quote_start = out.pos
            i += 1
            continue
        if ch == "\n" and quote_start is not None and not src.startswith(">", i + 1):
            out.entity("blockquote", quote_start)
            quote_start = None
        if src.startswith("||", i):
            marker, etype = "||", "spoiler"
        elif src.startswith("__", i):
            marker, etype = "__", "underline"
        elif ch in "*_~":
            marker, etype = ch, {"*": "bold", "_": "italic", "~": "strikethrough"}[ch]
        else:
            if ch in _MDV2_RESERVED:
                raise _ParseError(
                    f"Character '{ch}' is reserved and must be escaped with the preceding '\\'"
                )
            out.add(ch)
            i += 1
            continue
        for k in range(len(stack) - 1, -1, -1):
            if stack[k][0] == marker:
                _, etype, start, _ = stack.pop(k)
                out.entity(etype, start)
                break
        else:
            stack.append((marker, etype, out.pos, _boff(src, i)))
        i += len(marker)
    if quote_start is not None:
        out.entity("blockquote", quote_start)
    if stack:
        _, etype, _, boff = stack[-1]
        raise _ParseError(f"Can't find end of {_MD_NAMES[etype]} entity at byte offset {boff}")
    return out.text(), out.entities


def _render_markdown(src: str) -> tuple[str, list[dict]]:
    out = _TextBuilder()
    i = 0
    while i < len(src):
        ch = src[i]
        boff = _boff(src, i)
        err = f"Can't find end of the entity starting at byte offset {boff}"
        if ch == "\\" and i + 1 < len(src) and src[i + 1] in "_*`[":
            out.add(src[i + 1])
            i += 2
        elif src.startswith("```", i):
            j = src.find("```", i + 3)
            if j < 0:
                raise _ParseError(err)
            body, language = src[i + 3 : j], None
            if "\n" in body and body.split("\n", 1)[0].strip():
                language, body = body.split("\n", 1)
            start = out.pos
            out.add(body)
            out.entity("pre", start, **({"language": language.strip()} if language else {}))
            i = j + 3
        elif ch in "*_`":
            j = src.find(ch, i + 1)
            if j < 0:
                raise _ParseError(err)
            start = out.pos
            out.add(src[i + 1 : j])
            out.entity({"*": "bold", "_": "italic", "`": "code"}[ch], start)
            i = j + 1
        elif ch == "[":
            j = src.find("](", i + 1)
            k = src.find(")", j + 2) if j >= 0 else -1
            if k < 0:
                raise _ParseError(err)
            start = out.pos
            out.add(src[i + 1 : j])
            out.entity("text_link", start, url=src[j + 2 : k])
            i = k + 1
        else:
            out.add(ch)
            i += 1
    return out.text(), out.entities


def _strip_text(text: str, entities: list[dict]) -> tuple[str, list[dict]]:
    """Telegram trims leading/trailing whitespace of message texts (entities shift with it)."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    lead = _u16(text) - _u16(text.lstrip())
    total = _u16(stripped)
    fixed = []
    for ent in entities:
        start = max(ent["offset"] - lead, 0)
        end = min(ent["offset"] + ent["length"] - lead, total)
        if end > start:
            fixed.append(ent | {"offset": start, "length": end - start})
    return stripped, fixed


def render_text(
    text: str, parse_mode: str | None, entities: list[dict] | None = None
) -> tuple[str, list[dict]]:
    """Render ``text`` like Telegram does for ``parse_mode``; raises BotApiError(400) on bad
    markup. Returns (plain text, entities)."""
    mode = (parse_mode or "").lower()
    try:
        if mode == "html":
            rendered, ents = _render_html(text)
        elif mode == "markdownv2":
            rendered, ents = _render_markdown_v2(text)
        elif mode == "markdown":
            rendered, ents = _render_markdown(text)
        elif mode:
            raise BotApiError(400, f"Bad Request: unsupported parse_mode {parse_mode!r}")
        else:
            rendered, ents = text, list(entities or [])
    except _ParseError as exc:
        raise BotApiError(400, f"Bad Request: can't parse entities: {exc}") from None
    ents.sort(key=lambda e: (e["offset"], -e["length"]))
    return _strip_text(rendered, ents)


# --------------------------------------------------------------------------------------------
# the server
# --------------------------------------------------------------------------------------------


class FakeTelegram:
    """Fake Telegram Bot API server; see the module docstring.

    ``token_ok``: ``None`` accepts any well-formed token (``<digits>:<chars>``); a string, a
    collection of strings or a predicate restricts the accepted tokens (others get 401).
    ``strict_chats``: answer 400 "chat not found" for chats no update ever mentioned.
    """

    def __init__(
        self,
        token_ok: str | Collection[str] | Callable[[str], bool] | None = None,
        *,
        bot_username: str = "test_bot",
        bot_first_name: str = "Test Bot",
        strict_chats: bool = False,
    ) -> None:
        self.token_ok = token_ok
        self.strict_chats = strict_chats
        self.bot_user: dict[str, Any] = {
            "id": int(DEFAULT_TOKEN.split(":")[0]),
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        self.calls: list[Call] = []
        #: Exceptions raised by this fake itself (bugs); answered as HTTP 500.
        self.errors: list[BaseException] = []
        self.host = "127.0.0.1"
        self.port: int | None = None

        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._closing = False
        self._calls_changed = asyncio.Event()
        self._updates_changed = asyncio.Event()
        self._mark = 0

        self._updates: list[dict] = []
        self._next_update_id = 100_000_001
        self._allowed_updates: list[str] | None = None
        self._poll_generation = 0
        self._webhook: dict[str, Any] | None = None

        self._users: dict[int, dict] = {}
        self._chats: dict[int | str, dict] = {}
        self._msg_counter: dict[int | str, int] = {}
        self._messages: dict[tuple[int | str, int], dict] = {}
        self._last_bot_message: dict[int | str, int] = {}
        self._outgoing: list[dict] = []
        self._callbacks: dict[str, _CallbackQuery] = {}
        self._callback_ids = itertools.count(4_382_910_482_817_390_001)
        self._blocked: set[int | str] = set()
        self._files: dict[str, _StoredFile] = {}
        self._file_counter = itertools.count(1)
        self._commands: dict[tuple[str, str], list[dict]] = {}
        self._faults: list[_Fault] = []
        #: Telegram's rate limits when set (:meth:`enforce_limits`); every 429 they gave, and
        #: when each accepted send* call arrived (time.monotonic()).
        self._limits: tuple[float, float] | None = None
        self._window: collections.deque[float] = collections.deque()
        self._last_to_chat: dict[int | str, float] = {}
        self.rate_429s = 0
        self.send_times: list[float] = []
        self._gone_chats: set[int | str] = set()

        self._methods: dict[str, tuple[str, Callable[..., Any]]] = {}
        for attr in dir(self):
            if attr.startswith("_api_"):
                name = attr[len("_api_") :]
                self._methods[name.lower()] = (name, getattr(self, attr))
        self._methods["logout"] = ("logOut", self._api_close)

    # ---------------------------------------------------------------- lifecycle

    @property
    def root_url(self) -> str:
        if self.port is None:
            raise RuntimeError("FakeTelegram is not started")
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """Value for ``ApplicationBuilder().base_url(...)``."""
        return self.root_url + "/bot"

    @property
    def base_file_url(self) -> str:
        """Value for ``ApplicationBuilder().base_file_url(...)``."""
        return self.root_url + "/file/bot"

    async def start(self) -> FakeTelegram:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_route("GET", "/file/bot{token}/{path:.+}", self._handle_file)
        # handler_cancellation: a client that gives up on a long poll really goes away.
        self._runner = web.AppRunner(
            app, handler_cancellation=True, shutdown_timeout=0.5, access_log=None
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        sockets = self._runner.addresses
        self.port = sockets[0][1]
        self._closing = False
        return self

    async def stop(self) -> None:
        self._closing = True
        self._notify_updates()
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ---------------------------------------------------------------- PTB conveniences

    def application_builder(self, token: str = DEFAULT_TOKEN) -> Any:
        """``telegram.ext.ApplicationBuilder`` already pointed at this server."""
        from telegram.ext import ApplicationBuilder

        return (
            ApplicationBuilder()
            .token(token)
            .base_url(self.base_url)
            .base_file_url(self.base_file_url)
        )

    def make_bot(self, token: str = DEFAULT_TOKEN, **kwargs: Any) -> Any:
        """A ``telegram.Bot`` pointed at this server (use ``async with``)."""
        from telegram import Bot

        return Bot(token, base_url=self.base_url, base_file_url=self.base_file_url, **kwargs)

    @contextlib.asynccontextmanager
    async def polling(
        self,
        application: Any,
        *,
        timeout: float = 1,  # noqa: ASYNC109 - getUpdates long-poll seconds
        **start_polling_kwargs: Any,
    ) -> AsyncIterator[Any]:
        """Run a PTB Application with polling for the duration of the block."""
        await application.initialize()
        try:
            await application.start()
            try:
                await application.updater.start_polling(
                    poll_interval=0, timeout=timeout, **start_polling_kwargs
                )
                try:
                    yield application
                finally:
                    await application.updater.stop()
            finally:
                await application.stop()
        finally:
            await application.shutdown()

    # ---------------------------------------------------------------- test helpers: users

    def _user(
        self,
        user_id: int,
        first_name: str | None = None,
        language_code: str | None = None,
        username: str | None = None,
    ) -> dict:
        user = self._users.setdefault(
            user_id, {"id": user_id, "is_bot": False, "first_name": first_name or "User"}
        )
        if first_name:
            user["first_name"] = first_name
        if language_code:
            user["language_code"] = language_code
        if username:
            user["username"] = username
        return user

    def _chat(self, chat_id: int | str, user: dict | None = None) -> dict:
        chat = self._chats.get(chat_id)
        if chat is None:
            if isinstance(chat_id, int) and chat_id > 0:
                user = user or self._users.get(chat_id) or {"first_name": f"User {chat_id}"}
                chat = {"id": chat_id, "type": "private", "first_name": user["first_name"]}
                if user.get("username"):
                    chat["username"] = user["username"]
            elif isinstance(chat_id, int) and str(chat_id).startswith("-100"):
                chat = {"id": chat_id, "type": "supergroup", "title": f"Group {chat_id}"}
            else:
                chat = {"id": chat_id, "type": "group", "title": f"Group {chat_id}"}
            self._chats[chat_id] = chat
        return chat

    def _new_message_id(self, chat_id: int | str) -> int:
        self._msg_counter[chat_id] = self._msg_counter.get(chat_id, 0) + 1
        return self._msg_counter[chat_id]

    def user_sends(
        self,
        text: str,
        user_id: int = 1001,
        first_name: str = "Lan",
        language_code: str = "vi",
        chat_id: int | None = None,
        *,
        username: str | None = None,
        reply_to_message_id: int | None = None,
    ) -> int:
        """Queue a text message from a user; a leading ``/command`` gets its bot_command entity.
        If the user had blocked the bot, this first queues the 'unblocked' my_chat_member update
        (like pressing Restart in a real client). Returns the update_id."""
        if user_id in self._blocked and (chat_id is None or chat_id == user_id):
            self.user_unblocks_bot(user_id)
        update = self.text_update(
            text,
            user_id,
            first_name,
            language_code,
            chat_id,
            username=username,
            reply_to_message_id=reply_to_message_id,
        )
        return self.queue_update(update)

    def text_update(
        self,
        text: str,
        user_id: int = 1001,
        first_name: str = "Lan",
        language_code: str = "vi",
        chat_id: int | None = None,
        *,
        username: str | None = None,
        reply_to_message_id: int | None = None,
    ) -> dict:
        """Build (without queueing) the Update :meth:`user_sends` would queue, e.g. for
        :meth:`post_webhook`. The message is registered in the chat and gets an update_id."""
        msg = self._user_message(user_id, first_name, language_code, chat_id, username)
        msg["text"] = text
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            msg["entities"] = [{"type": "bot_command", "offset": 0, "length": _u16(command)}]
        if reply_to_message_id is not None:
            replied = self._messages.get((msg["chat"]["id"], reply_to_message_id))
            if replied:
                msg["reply_to_message"] = copy.deepcopy(replied)
        self._messages[(msg["chat"]["id"], msg["message_id"])] = msg
        return self._prepare_update({"message": copy.deepcopy(msg)})

    def user_sends_photo(
        self,
        data: bytes,
        user_id: int = 1001,
        caption: str | None = None,
        *,
        first_name: str = "Lan",
        language_code: str = "vi",
    ) -> int:
        """Queue a message carrying a photo (one size, downloadable via getFile). Returns
        update_id; the photo's file_id is in the queued update."""
        msg = self._user_message(user_id, first_name, language_code, None, None)
        stored = self._store_file(data, "photo.jpg", "image/jpeg", "photos")
        size = _image_size(data) or (800, 600)
        msg["photo"] = [{"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                         "file_size": len(data), "width": size[0], "height": size[1]}]  # fmt: skip
        if caption:
            msg["caption"] = caption
        self._messages[(msg["chat"]["id"], msg["message_id"])] = msg
        return self.queue_update({"message": msg})

    def user_sends_document(
        self,
        data: bytes,
        filename: str,
        user_id: int = 1001,
        caption: str | None = None,
        *,
        mime_type: str | None = None,
        first_name: str = "Lan",
        language_code: str = "vi",
    ) -> int:
        """Queue a message carrying a document (downloadable via getFile). Returns update_id."""
        msg = self._user_message(user_id, first_name, language_code, None, None)
        mime_type = mime_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
        stored = self._store_file(data, filename, mime_type, "documents")
        msg["document"] = self._document_obj(stored)
        if caption:
            msg["caption"] = caption
        self._messages[(msg["chat"]["id"], msg["message_id"])] = msg
        return self.queue_update({"message": msg})

    def _user_message(
        self,
        user_id: int,
        first_name: str,
        language_code: str,
        chat_id: int | None,
        username: str | None,
    ) -> dict:
        user = self._user(user_id, first_name, language_code, username)
        chat = self._chat(chat_id if chat_id is not None else user_id, user)
        return {
            "message_id": self._new_message_id(chat["id"]),
            "from": dict(user),
            "chat": dict(chat),
            "date": int(time.time()),
        }

    def user_presses(
        self,
        callback_data: str,
        user_id: int = 1001,
        message_id: int | None = None,
        *,
        chat_id: int | None = None,
        check: bool = True,
    ) -> int:
        """Queue a callback_query for pressing an inline button on the bot's last message to the
        user's chat (or ``message_id``). With ``check`` the data must belong to a button of that
        message (a real user cannot press buttons that are not there). Returns the update_id."""
        chat_id = chat_id if chat_id is not None else user_id
        if message_id is None:
            message_id = self._last_bot_message.get(chat_id)
            if message_id is None:
                raise AssertionError(f"the bot has sent no message to chat {chat_id} yet")
        message = self._messages.get((chat_id, message_id))
        if message is None:
            raise AssertionError(f"no message {message_id} in chat {chat_id}")
        if check:
            buttons = [
                b.get("callback_data")
                for row in (message.get("reply_markup") or {}).get("inline_keyboard", [])
                for b in row
            ]
            if callback_data not in buttons:
                raise AssertionError(
                    f"message {message_id} in chat {chat_id} has no button with callback_data "
                    f"{callback_data!r}; its buttons: {buttons}"
                )
        user = self._user(user_id)
        query_id = str(next(self._callback_ids))
        update = {
            "callback_query": {
                "id": query_id,
                "from": dict(user),
                "message": copy.deepcopy(message),
                "chat_instance": str(-abs(hash(("chat_instance", chat_id))) % 10**18),
                "data": callback_data,
            }
        }
        return self.queue_update(update)

    def user_blocks_bot(self, user_id: int = 1001) -> int:
        """User blocks the bot: my_chat_member member->kicked; later sends get 403."""
        self._blocked.add(user_id)
        return self.queue_update(self._my_chat_member(user_id, "member", "kicked"))

    def user_unblocks_bot(self, user_id: int = 1001) -> int:
        """User restarts the bot: my_chat_member kicked->member."""
        self._blocked.discard(user_id)
        return self.queue_update(self._my_chat_member(user_id, "kicked", "member"))

    def _my_chat_member(self, user_id: int, old: str, new: str) -> dict:
        user = self._user(user_id)
        chat = self._chat(user_id, user)

        def member(status: str) -> dict:
            m: dict[str, Any] = {"user": dict(self.bot_user), "status": status}
            if status == "kicked":
                m["until_date"] = 0
            return m

        return {
            "my_chat_member": {
                "chat": dict(chat),
                "from": dict(user),
                "date": int(time.time()),
                "old_chat_member": member(old),
                "new_chat_member": member(new),
            }
        }

    def queue_update(self, update: dict) -> int:
        """Queue a raw Update dict (any type, even unknown future fields); assigns update_id when
        missing and registers contained messages / callback queries. Returns the update_id."""
        update = copy.deepcopy(update)
        self._prepare_update(update)
        self._updates.append(update)
        self._updates.sort(key=lambda u: u["update_id"])
        self._mark = len(self.calls)
        self._notify_updates()
        return update["update_id"]

    def _prepare_update(self, update: dict) -> dict:
        if "update_id" not in update:
            update["update_id"] = self._next_update_id
        self._next_update_id = max(self._next_update_id, int(update["update_id"]) + 1)
        for key in ("message", "edited_message", "channel_post", "edited_channel_post"):
            msg = update.get(key)
            if isinstance(msg, dict) and "chat" in msg and "message_id" in msg:
                cid = msg["chat"].get("id")
                self._chats.setdefault(cid, dict(msg["chat"]))
                self._msg_counter[cid] = max(self._msg_counter.get(cid, 0), msg["message_id"])
                if key in ("message", "channel_post"):
                    self._messages.setdefault((cid, msg["message_id"]), msg)
        cq = update.get("callback_query")
        if isinstance(cq, dict) and "id" in cq:
            chat_id = ((cq.get("message") or {}).get("chat") or {}).get("id")
            self._callbacks.setdefault(str(cq["id"]), _CallbackQuery(chat_id))
        return update

    @property
    def pending_updates(self) -> list[dict]:
        """Updates not yet confirmed by the bot (via a getUpdates offset)."""
        return copy.deepcopy(self._updates)

    # ---------------------------------------------------------------- test helpers: inspection

    def sent_messages(self, chat_id: int | str | None = None) -> list[dict]:
        """Messages the bot sent or edited (results of send*/edit* calls), oldest first."""
        chat_id = _norm_chat_id(chat_id)
        return [
            copy.deepcopy(m)
            for m in self._outgoing
            if chat_id is None or m.get("chat", {}).get("id") == chat_id
        ]

    def message(self, chat_id: int | str, message_id: int) -> dict | None:
        """Current state of a message (after edits); None when unknown or deleted."""
        msg = self._messages.get((_norm_chat_id(chat_id), message_id))
        return copy.deepcopy(msg) if msg is not None else None

    def chat_history(self, chat_id: int | str) -> list[dict]:
        """Current state of every message (user's and bot's) in a chat, by message_id."""
        cid = _norm_chat_id(chat_id)
        keys = sorted(k for k in self._messages if k[0] == cid)
        return [copy.deepcopy(self._messages[k]) for k in keys]

    def commands(self, scope: dict | None = None, language_code: str = "") -> list[dict]:
        """Commands set by setMyCommands for a scope/language."""
        return copy.deepcopy(self._commands.get(self._commands_key(scope, language_code), []))

    @property
    def webhook(self) -> dict | None:
        """The webhook registered by setWebhook (url, secret_token, allowed_updates, ...)."""
        return copy.deepcopy(self._webhook)

    def mark(self) -> int:
        """Index into :attr:`calls`; pass as ``since=`` to :meth:`wait_for`."""
        return len(self.calls)

    async def wait_for(
        self,
        what: str | Callable[[Call], bool],
        chat_id: int | str | None = None,
        timeout: float = 10,  # noqa: ASYNC109
        count: int = 1,
        *,
        since: int | None = None,
        ok: bool | None = None,
    ) -> list[Call]:
        """Wait until ``count`` calls match ``what`` (a method name, case-insensitive, or a
        predicate on :class:`Call`) and return the first ``count`` of them.

        Only calls recorded after the most recent queued update (user_sends, user_presses,
        queue_update, post_webhook...) are considered unless ``since`` (an index into
        :attr:`calls`, e.g. ``0`` or :meth:`mark`) is given. ``ok=True/False`` keeps only
        successful/failed calls. Raises AssertionError listing what the bot did send."""
        start = self._mark if since is None else since
        cid = _norm_chat_id(chat_id)
        if isinstance(what, str):
            wanted = what.lower()

            def pred(c: Call) -> bool:
                return c.method.lower() == wanted

        else:
            pred = what
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            found = [
                c
                for c in self.calls[start:]
                if (cid is None or c.chat_id == cid) and (ok is None or c.ok == ok) and pred(c)
            ]
            if len(found) >= count:
                return found[:count]
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(self._timeout_report(what, cid, timeout, count, found, start))
            event = self._calls_changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    def _timeout_report(
        self, what: Any, cid: Any, timeout: float, count: int, found: list, start: int
    ) -> str:
        label = what if isinstance(what, str) else getattr(what, "__name__", repr(what))
        lines = [
            f"timed out after {timeout}s waiting for {count} x {label}"
            + (f" in chat {cid}" if cid is not None else "")
            + f" (matched {len(found)}); calls since #{start}:"
        ]
        shown = [c for c in self.calls[start:] if c.method != "getUpdates" or not c.ok]
        lines += [f"  {c.summary()}" for c in shown] or ["  (none besides getUpdates)"]
        older = [c for c in self.calls[:start] if c.method != "getUpdates"]
        if older:
            lines.append(f"  ... and {len(older)} earlier non-getUpdates calls")
        lines.append(f"pending (unconfirmed) updates: {[u['update_id'] for u in self._updates]}")
        if self.errors:
            lines.append(f"fake server errors: {self.errors!r}")
        return "\n".join(lines)

    # ---------------------------------------------------------------- fault injection

    def fail(
        self,
        method: str,
        status: int = 429,
        retry_after: int = 2,
        times: int | None = 1,
        *,
        description: str | None = None,
        body: str | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``method`` (``"*"`` = any) fail with ``status``.

        429 -> "Too Many Requests: retry after N" + parameters.retry_after; 403 -> "Forbidden: bot
        was blocked by the user"; 500/503 -> JSON error; 502/504 -> nginx HTML page (not JSON).
        ``description`` overrides the JSON description; ``body`` sends that raw text instead.
        ``times=None`` fails forever (until :meth:`clear_faults`)."""
        self._faults.append(
            _Fault(
                "fail",
                method.lower(),
                times,
                status=status,
                retry_after=retry_after,
                description=description,
                body=body,
            )
        )

    def slow(self, method: str, seconds: float, times: int | None = 1) -> None:
        """Delay the answer to the next ``times`` calls of ``method`` (``"*"`` = any)."""
        self._faults.append(_Fault("slow", method.lower(), times, seconds=seconds))

    def clear_faults(self) -> None:
        self._faults.clear()

    def enforce_limits(self, per_second: float = 30.0, per_chat_per_second: float = 1.0) -> None:
        """Answer send* calls like Telegram's flood control: more than ``per_second`` in any
        one-second window overall, or two to one chat closer than 1/``per_chat_per_second`` s
        (10% tolerance for clock jitter), get 429 "retry after 1". Counted in ``rate_429s``."""
        self._limits = (per_second, per_chat_per_second)

    def forget_chat(self, chat_id: int) -> None:
        """The chat no longer exists for the bot: sends to it get 400 "chat not found"."""
        self._gone_chats.add(chat_id)

    def _check_limits(self, method: str, params: dict) -> None:
        if not method.lower().startswith("send"):
            return
        chat = _norm_chat_id(params.get("chat_id"))
        if chat in self._gone_chats:
            raise BotApiError(400, "Bad Request: chat not found")
        if self._limits is None:
            return
        per_second, per_chat = self._limits
        now = time.monotonic()
        while self._window and now - self._window[0] >= 1.0:
            self._window.popleft()
        too_close = now - self._last_to_chat.get(chat, -1e9) < 0.9 / per_chat
        if len(self._window) >= per_second or too_close:
            self.rate_429s += 1
            raise BotApiError(429, "Too Many Requests: retry after 1", {"retry_after": 1})
        self._window.append(now)
        self._last_to_chat[chat] = now
        self.send_times.append(now)

    def _take_fault(self, kind: str, method: str) -> _Fault | None:
        for fault in self._faults:
            if fault.kind == kind and fault.matches(method):
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                return fault
        return None

    def _fault_response(self, fault: _Fault) -> tuple[int, Any, web.Response]:
        status = fault.status
        if fault.body is not None:
            ctype = "text/html" if fault.body.lstrip().startswith("<") else "text/plain"
            return (
                status,
                fault.body,
                web.Response(status=status, text=fault.body, content_type=ctype),
            )
        if status in (502, 504) and fault.description is None:
            page = _nginx_page(status, _ERROR_DESCRIPTIONS[status])
            return status, page, web.Response(status=status, text=page, content_type="text/html")
        if status == 429:
            desc = fault.description or f"Too Many Requests: retry after {fault.retry_after}"
            err = BotApiError(429, desc, {"retry_after": fault.retry_after})
        else:
            default = _ERROR_DESCRIPTIONS.get(status, f"Error {status}")
            err = BotApiError(status, fault.description or default)
        payload = self._error_payload(err)
        return status, payload, web.json_response(payload, status=status)

    # ---------------------------------------------------------------- webhook delivery

    async def post_webhook(self, update: dict, secret: str | None = None) -> int:
        """POST an update to the URL registered via setWebhook (with the
        X-Telegram-Bot-Api-Secret-Token header when ``secret`` is given); returns HTTP status."""
        if not self._webhook or not self._webhook.get("url"):
            raise AssertionError("no webhook is set (the bot has not called setWebhook)")
        update = self._prepare_update(copy.deepcopy(update))
        self._mark = len(self.calls)
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        if self._session is None:
            self._session = aiohttp.ClientSession()
        async with self._session.post(self._webhook["url"], json=update, headers=headers) as resp:
            await resp.read()
            return resp.status

    # ---------------------------------------------------------------- custom methods

    def register(self, method: str, handler: Callable[[dict, dict], Any]) -> None:
        """Add or override a Bot API method: ``handler(params, files)`` (sync or async) returns
        the ``result`` or raises :class:`BotApiError`."""
        self._methods[method.lower()] = (method, handler)

    # ---------------------------------------------------------------- HTTP plumbing

    def _notify_calls(self) -> None:
        event, self._calls_changed = self._calls_changed, asyncio.Event()
        event.set()

    def _notify_updates(self) -> None:
        event, self._updates_changed = self._updates_changed, asyncio.Event()
        event.set()

    def _token_accepted(self, token: str) -> bool:
        if not _TOKEN_RE.match(token):
            return False
        ok = self.token_ok
        if ok is None:
            return True
        if isinstance(ok, str):
            return token == ok
        if callable(ok):
            return bool(ok(token))
        return token in ok

    @staticmethod
    def _error_payload(err: BotApiError) -> dict:
        payload: dict[str, Any] = {
            "ok": False,
            "error_code": err.code,
            "description": err.description,
        }
        if err.parameters:
            payload["parameters"] = err.parameters
        return payload

    async def _read_params(self, request: web.Request) -> tuple[dict, dict, dict]:
        params: dict[str, Any] = {}
        files: dict[str, tuple[str, bytes]] = {}
        file_types: dict[str, str] = {}
        for key, value in request.query.items():
            params[key] = _decode_form_value(key, value)
        if not request.body_exists:
            return params, files, file_types
        ctype = request.content_type
        if ctype == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise BotApiError(400, "Bad Request: can't parse JSON object") from None
            if not isinstance(body, dict):
                raise BotApiError(400, "Bad Request: JSON object expected")
            for key, value in body.items():
                if key in _JSON_FIELDS and isinstance(value, str):
                    with contextlib.suppress(ValueError):
                        value = json.loads(value)
                params[key] = value
        elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    files[key] = (value.filename, value.file.read())
                    file_types[key] = value.content_type
                else:
                    params[key] = _decode_form_value(key, str(value))
        return params, files, file_types

    def _record(self, call: Call) -> None:
        self.calls.append(call)
        self._notify_calls()

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        arrived = time.time()
        token = request.match_info["token"]
        name = request.match_info["method"]
        call = Call(
            name, {}, {}, arrived, http_method=request.method, content_type=request.content_type
        )
        try:
            if not self._token_accepted(token):
                raise BotApiError(401, "Unauthorized")
            entry = self._methods.get(name.lower())
            if entry is None:
                raise BotApiError(404, "Not Found")
            call.method, impl = entry
            params, files, file_types = await self._read_params(request)
            call.params, call.files = params, files
            self.bot_user["id"] = int(token.split(":", 1)[0])

            slow = self._take_fault("slow", call.method)
            if slow is not None:
                await self._sleep(slow.seconds)
            fault = self._take_fault("fail", call.method)
            if fault is not None:
                call.status, call.response, response = self._fault_response(fault)
            else:
                self._check_limits(call.method, params)
                result = impl(params, files | {"__types__": file_types})
                if inspect.isawaitable(result):
                    result = await result
                call.response = {"ok": True, "result": result}
                response = web.json_response(call.response)
        except BotApiError as err:
            call.status, call.response = err.code, self._error_payload(err)
            response = web.json_response(call.response, status=err.code)
        except Exception as exc:  # a bug in this fake: make it loud but keep serving
            _LOG.exception("FakeTelegram failed handling %s", name)
            self.errors.append(exc)
            err = BotApiError(500, f"Internal Server Error: fake server bug: {exc!r}")
            call.status, call.response = 500, self._error_payload(err)
            response = web.json_response(call.response, status=500)
        call.chat_id = self._call_chat_id(call)
        self._record(call)
        return response

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wait_closing(), seconds)

    async def _wait_closing(self) -> None:
        while not self._closing:
            await self._updates_changed.wait()

    def _call_chat_id(self, call: Call) -> int | str | None:
        cid = _norm_chat_id(call.params.get("chat_id"))
        if cid is not None:
            return cid
        cq = self._callbacks.get(str(call.params.get("callback_query_id", "")))
        if cq is not None:
            return cq.chat_id
        result = call.result
        if isinstance(result, dict) and isinstance(result.get("chat"), dict):
            return result["chat"].get("id")
        return None

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if not self._token_accepted(request.match_info["token"]):
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        path = request.match_info["path"]
        for stored in self._files.values():
            if stored.file_path == path:
                return web.Response(
                    body=stored.data, content_type=stored.mime_type or "application/octet-stream"
                )
        return web.json_response(
            {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
        )

    # ---------------------------------------------------------------- method helpers

    def _target_chat(self, params: dict) -> dict:
        raw = params.get("chat_id")
        if raw is None or raw == "":
            raise BotApiError(400, "Bad Request: chat_id is empty")
        cid = _norm_chat_id(raw)
        if isinstance(cid, str):
            for chat in self._chats.values():
                if cid.startswith("@") and chat.get("username") == cid[1:]:
                    cid = chat["id"]
                    break
            else:
                raise BotApiError(400, "Bad Request: chat not found")
        if cid in self._blocked:
            raise BotApiError(403, _BLOCKED)
        if self.strict_chats and cid not in self._chats:
            raise BotApiError(400, "Bad Request: chat not found")
        return self._chat(cid)

    @staticmethod
    def _check_markup(markup: Any) -> dict | None:
        """Validate reply_markup; return what Telegram echoes in the Message (inline only)."""
        if markup in (None, ""):
            return None
        if not isinstance(markup, dict):
            raise BotApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        if "inline_keyboard" not in markup:
            if "keyboard" in markup and not isinstance(markup["keyboard"], list):
                raise BotApiError(400, 'Bad Request: field "keyboard" must be an Array')
            return None
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise BotApiError(400, 'Bad Request: field "inline_keyboard" must be an Array')
        for row in rows:
            for button in row:
                if not isinstance(button, dict) or not button.get("text"):
                    raise BotApiError(
                        400,
                        "Bad Request: can't parse inline keyboard button: Text must be non-empty",
                    )
                actions = set(button) - {"text", "style", "icon_custom_emoji_id"}
                if not actions:
                    raise BotApiError(
                        400,
                        "Bad Request: can't parse inline keyboard button: Text buttons are "
                        "unallowed in the inline keyboard",
                    )
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= 64:
                    raise BotApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        if not any(rows):
            return None
        return copy.deepcopy(markup)

    def _reply_to(self, chat_id: int | str, params: dict) -> dict | None:
        reply_id = params.get("reply_to_message_id")
        rp = params.get("reply_parameters")
        if isinstance(rp, dict):
            reply_id = rp.get("message_id")
        if reply_id is None:
            return None
        replied = self._messages.get((chat_id, int(reply_id)))
        allow = _as_bool(params.get("allow_sending_without_reply")) or (
            isinstance(rp, dict) and _as_bool(rp.get("allow_sending_without_reply"))
        )
        if replied is None and not allow:
            raise BotApiError(400, "Bad Request: message to be replied not found")
        return copy.deepcopy(replied) if replied else None

    def _bot_message(self, chat: dict, params: dict, **content: Any) -> dict:
        markup = self._check_markup(params.get("reply_markup"))
        msg: dict[str, Any] = {
            "message_id": self._new_message_id(chat["id"]),
            "from": dict(self.bot_user),
            "chat": dict(chat),
            "date": int(time.time()),
        }
        replied = self._reply_to(chat["id"], params)
        if replied:
            msg["reply_to_message"] = replied
        msg.update({k: v for k, v in content.items() if v not in (None, [], "")})
        if markup:
            msg["reply_markup"] = markup
        self._messages[(chat["id"], msg["message_id"])] = msg
        self._last_bot_message[chat["id"]] = msg["message_id"]
        self._outgoing.append(copy.deepcopy(msg))
        return copy.deepcopy(msg)

    def _render_caption(self, params: dict) -> tuple[str | None, list[dict]]:
        caption = params.get("caption")
        if caption is None or caption == "":
            return None, []
        text, ents = render_text(
            str(caption), params.get("parse_mode"), params.get("caption_entities")
        )
        if len(text) > 1024:
            raise BotApiError(400, "Bad Request: message caption is too long")
        return text, ents

    def _store_file(
        self, data: bytes, filename: str | None, mime_type: str | None, folder: str
    ) -> _StoredFile:
        n = next(self._file_counter)
        unique = "AgAD" + hashlib.sha1(data).hexdigest()[:12]
        file_id = f"BQACAgUAAxkBAAI{n:06d}{hashlib.md5(data + bytes([n % 256])).hexdigest()[:20]}"
        ext = ""
        if filename and "." in filename:
            ext = "." + filename.rsplit(".", 1)[-1]
        elif folder == "photos":
            ext = ".jpg"
        stored = _StoredFile(file_id, unique, data, filename, mime_type, f"{folder}/file_{n}{ext}")
        self._files[file_id] = stored
        return stored

    @staticmethod
    def _document_obj(stored: _StoredFile) -> dict:
        doc: dict[str, Any] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
        }
        if stored.filename:
            doc["file_name"] = stored.filename
        if stored.mime_type:
            doc["mime_type"] = stored.mime_type
        return doc

    def _input_file(self, params: dict, files: dict, field: str) -> tuple[str, bytes, str | None]:
        """Resolve an InputFile parameter: (filename, bytes, content type)."""
        value = params.get(field)
        types = files.get("__types__", {})
        if isinstance(value, str) and value.startswith("attach://"):
            name = value[len("attach://") :]
            if name not in files:
                raise BotApiError(400, f"Bad Request: file attach {name!r} not found")
            return files[name][0], files[name][1], types.get(name)
        if value in (None, "") and field in files:
            return files[field][0], files[field][1], types.get(field)
        if isinstance(value, str) and value:
            if value in self._files:
                f = self._files[value]
                return f.filename or "file", f.data, f.mime_type
            if value.startswith(("http://", "https://")):
                return value.rstrip("/").rsplit("/", 1)[-1] or "file", b"", None
            raise BotApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        raise BotApiError(400, f"Bad Request: there is no {field} in the request")

    def _find_editable(self, params: dict) -> tuple[dict | None, bool]:
        """(message, is_inline) for edit* methods."""
        if params.get("inline_message_id"):
            return None, True
        if params.get("chat_id") in (None, ""):
            raise BotApiError(400, "Bad Request: chat_id is empty")
        chat = self._target_chat(params)
        mid = _as_int(params.get("message_id"), "message_id")
        if mid is None:
            raise BotApiError(400, "Bad Request: message identifier is not specified")
        msg = self._messages.get((chat["id"], mid))
        if msg is None:
            raise BotApiError(400, "Bad Request: message to edit not found")
        if msg.get("from", {}).get("id") != self.bot_user["id"]:
            raise BotApiError(400, "Bad Request: message can't be edited")
        return msg, False

    def _finish_edit(self, msg: dict) -> dict:
        msg["edit_date"] = int(time.time())
        self._outgoing.append(copy.deepcopy(msg))
        return copy.deepcopy(msg)

    @staticmethod
    def _commands_key(scope: Any, language_code: Any) -> tuple[str, str]:
        scope = scope or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(language_code or "")

    # ---------------------------------------------------------------- Bot API methods

    def _api_getMe(self, params: dict, files: dict) -> dict:
        return self.bot_user | {
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _api_getUpdates(self, params: dict, files: dict) -> list[dict]:
        self._poll_generation += 1
        generation = self._poll_generation
        self._notify_updates()  # wakes an older pending poll so it gets terminated (409)
        if self._webhook:
            raise BotApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
            )
        offset = _as_int(params.get("offset"), "offset")
        limit = min(max(_as_int(params.get("limit"), "limit", 100) or 100, 1), 100)
        timeout = max(float(params.get("timeout") or 0), 0.0)
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = [str(a) for a in allowed]
        if offset is not None and offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset is not None and offset < 0:
            self._updates = self._updates[offset:]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if self._webhook:
                raise BotApiError(409, _ERROR_DESCRIPTIONS[409])
            batch = [u for u in self._updates if self._is_allowed(u)][:limit]
            if batch or self._closing:
                return copy.deepcopy(batch)
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            event = self._updates_changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)
            if generation != self._poll_generation:
                raise BotApiError(409, _ERROR_DESCRIPTIONS[409])

    def _is_allowed(self, update: dict) -> bool:
        kind = next((k for k in update if k != "update_id"), None)
        if not self._allowed_updates:
            return kind not in _DEFAULT_EXCLUDED_UPDATES
        return kind in self._allowed_updates

    def _api_sendMessage(self, params: dict, files: dict) -> dict:
        chat = self._target_chat(params)
        raw = params.get("text")
        if raw is None or str(raw).strip() == "":
            raise BotApiError(400, "Bad Request: message text is empty")
        text, entities = render_text(str(raw), params.get("parse_mode"), params.get("entities"))
        if not text:
            raise BotApiError(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            raise BotApiError(400, "Bad Request: message is too long")
        return self._bot_message(chat, params, text=text, entities=entities)

    def _api_sendDocument(self, params: dict, files: dict) -> dict:
        chat = self._target_chat(params)
        filename, data, ctype = self._input_file(params, files, "document")
        caption, cap_ents = self._render_caption(params)
        mime = mimetypes.guess_type(filename or "")[0] or ctype or "application/octet-stream"
        stored = self._store_file(data, filename, mime, "documents")
        return self._bot_message(
            chat,
            params,
            document=self._document_obj(stored),
            caption=caption,
            caption_entities=cap_ents,
        )

    def _api_sendPhoto(self, params: dict, files: dict) -> dict:
        chat = self._target_chat(params)
        filename, data, _ = self._input_file(params, files, "photo")
        size = _image_size(data) if data else (800, 600)
        if size is None:
            raise BotApiError(400, "Bad Request: IMAGE_PROCESS_FAILED")
        caption, cap_ents = self._render_caption(params)
        width, height = size
        sizes = []
        if max(width, height) > 90:
            scale = 90 / max(width, height)
            thumb = self._store_file(data, filename, "image/jpeg", "photos")
            sizes.append(
                {
                    "file_id": thumb.file_id,
                    "file_unique_id": thumb.file_unique_id + "s",
                    "file_size": max(len(data) // 10, 1),
                    "width": max(int(width * scale), 1),
                    "height": max(int(height * scale), 1),
                }
            )
        full = self._store_file(data, filename, "image/jpeg", "photos")
        sizes.append(
            {
                "file_id": full.file_id,
                "file_unique_id": full.file_unique_id,
                "file_size": len(data),
                "width": width,
                "height": height,
            }
        )
        return self._bot_message(
            chat, params, photo=sizes, caption=caption, caption_entities=cap_ents
        )

    def _api_getFile(self, params: dict, files: dict) -> dict:
        stored = self._files.get(str(params.get("file_id", "")))
        if stored is None:
            raise BotApiError(400, "Bad Request: invalid file_id")
        if len(stored.data) > 20 * 1024 * 1024:
            raise BotApiError(400, "Bad Request: file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }

    def _api_editMessageText(self, params: dict, files: dict) -> dict | bool:
        msg, inline = self._find_editable(params)
        raw = params.get("text")
        if raw is None or str(raw).strip() == "":
            raise BotApiError(400, "Bad Request: text must be non-empty")
        text, entities = render_text(str(raw), params.get("parse_mode"), params.get("entities"))
        if len(text) > 4096:
            raise BotApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        markup = self._check_markup(params.get("reply_markup"))
        if inline or msg is None:
            return True
        if "text" not in msg:
            raise BotApiError(400, "Bad Request: there is no text in the message to edit")
        if (
            msg.get("text") == text
            and msg.get("entities", []) == entities
            and msg.get("reply_markup") == markup
        ):
            raise BotApiError(400, _NOT_MODIFIED)
        msg["text"] = text
        msg.pop("entities", None)
        if entities:
            msg["entities"] = entities
        msg.pop("reply_markup", None)  # an edit without reply_markup drops the keyboard
        if markup:
            msg["reply_markup"] = markup
        return self._finish_edit(msg)

    def _api_editMessageCaption(self, params: dict, files: dict) -> dict | bool:
        msg, inline = self._find_editable(params)
        caption, cap_ents = self._render_caption(params)
        markup = self._check_markup(params.get("reply_markup"))
        if inline or msg is None:
            return True
        if not any(k in msg for k in ("document", "photo", "video", "audio", "animation")):
            raise BotApiError(400, "Bad Request: there is no caption in the message to edit")
        if (
            msg.get("caption") == caption
            and msg.get("caption_entities", []) == cap_ents
            and msg.get("reply_markup") == markup
        ):
            raise BotApiError(400, _NOT_MODIFIED)
        for key, value in (
            ("caption", caption),
            ("caption_entities", cap_ents),
            ("reply_markup", markup),
        ):
            msg.pop(key, None)
            if value:
                msg[key] = value
        return self._finish_edit(msg)

    def _api_editMessageReplyMarkup(self, params: dict, files: dict) -> dict | bool:
        msg, inline = self._find_editable(params)
        markup = self._check_markup(params.get("reply_markup"))
        if inline or msg is None:
            return True
        if msg.get("reply_markup") == markup:
            raise BotApiError(400, _NOT_MODIFIED)
        msg.pop("reply_markup", None)
        if markup:
            msg["reply_markup"] = markup
        return self._finish_edit(msg)

    def _api_deleteMessage(self, params: dict, files: dict) -> bool:
        chat = self._target_chat(params)
        mid = _as_int(params.get("message_id"), "message_id")
        if self._messages.pop((chat["id"], mid), None) is None:
            raise BotApiError(400, "Bad Request: message to delete not found")
        return True

    def _api_answerCallbackQuery(self, params: dict, files: dict) -> bool:
        qid = str(params.get("callback_query_id") or "")
        query = self._callbacks.get(qid)
        if query is None or query.answered:
            raise BotApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        if len(str(params.get("text") or "")) > 200:
            raise BotApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        query.answered, query.answer = True, dict(params)
        return True

    def _api_sendChatAction(self, params: dict, files: dict) -> bool:
        self._target_chat(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise BotApiError(400, "Bad Request: wrong parameter action in request")
        return True

    def _api_setMyCommands(self, params: dict, files: dict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise BotApiError(400, "Bad Request: can't parse commands JSON object")
        if len(commands) > 100:
            raise BotApiError(400, "Bad Request: too many commands")
        for cmd in commands:
            if not isinstance(cmd, dict) or not _COMMAND_RE.match(str(cmd.get("command", ""))):
                raise BotApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(cmd.get("description", ""))) <= 256:
                raise BotApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        key = self._commands_key(params.get("scope"), params.get("language_code"))
        if commands:
            self._commands[key] = [
                {"command": c["command"], "description": c["description"]} for c in commands
            ]
        else:
            self._commands.pop(key, None)
        return True

    def _api_getMyCommands(self, params: dict, files: dict) -> list[dict]:
        key = self._commands_key(params.get("scope"), params.get("language_code"))
        return copy.deepcopy(self._commands.get(key, []))

    def _api_deleteMyCommands(self, params: dict, files: dict) -> bool:
        self._commands.pop(
            self._commands_key(params.get("scope"), params.get("language_code")), None
        )
        return True

    def _api_setWebhook(self, params: dict, files: dict) -> bool:
        url = str(params.get("url") or "")
        secret = params.get("secret_token")
        if secret is not None and not _SECRET_RE.match(str(secret)):
            raise BotApiError(400, "Bad Request: secret token contains unallowed characters")
        if url and not url.startswith(("http://", "https://")):
            raise BotApiError(400, "Bad Request: bad webhook: Failed to resolve host")
        if _as_bool(params.get("drop_pending_updates")):
            self._updates.clear()
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = [str(a) for a in allowed]
        if not url:
            self._webhook = None
            return True
        self._webhook = {
            "url": url,
            "secret_token": None if secret is None else str(secret),
            "allowed_updates": allowed if isinstance(allowed, list) else None,
            "max_connections": _as_int(params.get("max_connections"), "max_connections", 40),
            "ip_address": params.get("ip_address"),
            "has_custom_certificate": "certificate" in files or bool(params.get("certificate")),
        }
        self._notify_updates()  # a pending getUpdates is terminated by setWebhook
        return True

    def _api_deleteWebhook(self, params: dict, files: dict) -> bool:
        if _as_bool(params.get("drop_pending_updates")):
            self._updates.clear()
        self._webhook = None
        return True

    def _api_getWebhookInfo(self, params: dict, files: dict) -> dict:
        info: dict[str, Any] = {
            "url": "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self._webhook:
            info["url"] = self._webhook["url"]
            info["has_custom_certificate"] = self._webhook["has_custom_certificate"]
            info["max_connections"] = self._webhook["max_connections"]
            if self._webhook["ip_address"]:
                info["ip_address"] = self._webhook["ip_address"]
            if self._allowed_updates:
                info["allowed_updates"] = list(self._allowed_updates)
        return info

    def _api_close(self, params: dict, files: dict) -> bool:
        return True


@pytest_asyncio.fixture
async def telegram_server() -> AsyncIterator[FakeTelegram]:
    """A started :class:`FakeTelegram` (import this fixture into a conftest.py)."""
    async with FakeTelegram() as srv:
        yield srv
