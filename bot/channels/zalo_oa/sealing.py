"""The OA's tokens at rest: encrypted with Fernet (the `cryptography` package: AES-128-CBC and
HMAC-SHA256, a timestamped token) when `SXSH_ZALO_OA_TOKEN_KEY` is set, stored as they are
otherwise (the default keeps working without a key).

The setting holds one key or several separated by commas: the first encrypts, every one
decrypts (MultiFernet), so a key is rotated by putting the new one first and dropping the old
one after the next refresh (at most 12 hours). A stored value is marked `fernet:`; a value
written before a key was set is read as it is and encrypted at the next refresh. A key is made
with `python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`.
Neither the key nor a token reaches a log line or an error text."""

from __future__ import annotations

import base64
import binascii

from bot.channels.errors import ChannelDown

PREFIX = "fernet:"
KEY_BYTES = 32  # a Fernet key is 32 bytes, URL-safe base64 (44 characters)


def key_problem(keys: str) -> str | None:
    """Why the setting is not a comma-separated list of Fernet keys (never the key itself)."""
    parts = [k.strip() for k in keys.split(",") if k.strip()]
    if not parts:
        return "no key"
    for i, key in enumerate(parts, 1):
        try:
            raw = base64.urlsafe_b64decode(key.encode())
        except (binascii.Error, ValueError):
            return f"key {i} is not URL-safe base64"
        if len(raw) != KEY_BYTES:
            return f"key {i} is {len(raw)} bytes, a Fernet key is {KEY_BYTES}"
    return None


class Sealer:
    """seal() before a token is stored, open() after it is read."""

    def __init__(self, keys: str | None = None):
        self._fernet = None
        if keys:
            problem = key_problem(keys)
            if problem:
                raise ValueError(f"SXSH_ZALO_OA_TOKEN_KEY: {problem}")
            from cryptography.fernet import Fernet, MultiFernet  # only with a key

            fernets = [Fernet(k.strip().encode()) for k in keys.split(",") if k.strip()]
            self._fernet = MultiFernet(fernets)

    @property
    def encrypts(self) -> bool:
        return self._fernet is not None

    def seal(self, token: str) -> str:
        if self._fernet is None or not token:
            return token
        return PREFIX + self._fernet.encrypt(token.encode()).decode()

    def open(self, stored: str) -> str:
        """The token; ChannelDown (the lane waits, officers see why) when it was encrypted and
        no key set here decrypts it."""
        if not stored.startswith(PREFIX):
            return stored
        if self._fernet is None:
            raise ChannelDown("zalo_oa tokens are encrypted: set SXSH_ZALO_OA_TOKEN_KEY")
        from cryptography.fernet import InvalidToken

        try:
            return self._fernet.decrypt(stored[len(PREFIX) :].encode()).decode()
        except InvalidToken:
            raise ChannelDown(
                "zalo_oa tokens cannot be decrypted with SXSH_ZALO_OA_TOKEN_KEY (a wrong or "
                "dropped key): put the old key back after the new one, or authorize again"
            ) from None
