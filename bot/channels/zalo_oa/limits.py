"""Zalo OA's hard limits (CHANNELS.md, Open API v3: text at most 2000 characters, at most 5
buttons, a title at most 100 characters, a payload at most 1000). The settings can change the
text cap and the button count; these are the defaults the content check uses."""

from __future__ import annotations

from bot.channels.base import Limits

CHANNEL = "zalo_oa"
TEXT = 2000
MAX_BUTTONS = 5
TITLE = 100
PAYLOAD = 1000
# A button tap comes back as an ordinary text message whose text is the button's payload: this
# prefix tells a tap from typed text ("m:qa" typed by a person stays a question).
TAP = "#sxsh:"
LIMITS = Limits(channel=CHANNEL, text=TEXT, payload_bytes=PAYLOAD - len(TAP.encode()))
