"""Opaque keyset cursors: a (timestamp, id) position, base64url-encoded JSON."""

from __future__ import annotations

import base64
import json


class BadCursor(ValueError):
    pass


def encode(ts: int, key: str) -> str:
    raw = json.dumps([ts, key], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str | None) -> tuple[int, str] | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        ts, key = json.loads(raw)
    except (ValueError, TypeError) as e:
        raise BadCursor("cursor is not one this API returned") from e
    if not isinstance(ts, int) or isinstance(ts, bool) or not isinstance(key, str):
        raise BadCursor("cursor is not one this API returned")
    return ts, key
