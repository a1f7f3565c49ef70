"""The webhook signature (CHANNELS.md): `X-ZEvent-Signature: mac=<hex>` with hex the plain
SHA-256 (not an HMAC) of app_id + raw body + timestamp + the OA's secret key. app_id and the
timestamp come from the body; some integrators read the timestamp from `X-ZEvent-Timestamp`, so
either is accepted. Compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import json


def mac(app_id: str, body: bytes, timestamp: str, oa_secret: str) -> str:
    """The hex digest Zalo puts after `mac=`."""
    raw = app_id.encode() + body + timestamp.encode() + oa_secret.encode()
    return hashlib.sha256(raw).hexdigest()


def header(app_id: str, body: bytes, timestamp: str, oa_secret: str) -> str:
    return "mac=" + mac(app_id, body, timestamp, oa_secret)


def verify(
    body: bytes,
    signature: str | None,
    app_id: str,
    oa_secret: str,
    header_timestamp: str | None = None,
) -> bool:
    """True when `signature` signs `body` for our app. The body's own app_id must be ours; the
    timestamp is the body's, else the header's (each candidate is checked in constant time)."""
    if not signature or not body:
        return False
    given = signature.strip()
    given = given[4:] if given.lower().startswith("mac=") else given
    try:
        event = json.loads(body)
    except ValueError:
        return False
    if not isinstance(event, dict) or str(event.get("app_id", "")) != app_id:
        return False
    candidates = [str(t) for t in (event.get("timestamp"), header_timestamp) if t is not None]
    ok = False
    for ts in candidates:  # no early exit: the time taken does not tell which one matched
        ok |= hmac.compare_digest(mac(app_id, body, ts, oa_secret), given.lower())
    return ok
