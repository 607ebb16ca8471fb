"""Opaque keyset cursors: a position such as (timestamp, id), base64url-encoded JSON."""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Callable
from typing import Any

from ..errors import BadCursor


def encode(*position: Any) -> str:
    raw = json.dumps(list(position), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


_MAX_INT = 2**63 - 1  # positions are timestamps, counts and scores: a BIGINT, never negative


def _matches(value: Any, expected: type) -> bool:
    """A value of the expected type that the database can take (no overflow, no NUL, no lone
    surrogate), so a tampered cursor is refused here and never reaches a query."""
    if isinstance(value, bool):
        return False
    if expected is float:
        return isinstance(value, (int, float)) and math.isfinite(value) \
            and abs(value) <= 1e300
    if expected is int:
        return isinstance(value, int) and 0 <= value <= _MAX_INT
    if expected is str:
        if not isinstance(value, str) or "\x00" in value:
            return False
        try:
            value.encode()
        except UnicodeEncodeError:
            return False
        return True
    return isinstance(value, expected)


def decode(cursor: str | None, shape: tuple[type, ...] = (int, str)) -> tuple | None:
    """The position, checked against `shape`; None for no cursor (the first page)."""
    if not cursor:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError) as e:
        raise BadCursor("cursor is not one this API returned") from e
    if (not isinstance(values, list) or len(values) != len(shape)
            or not all(_matches(v, t) for v, t in zip(values, shape, strict=True))):
        raise BadCursor("cursor is not one this API returned")
    return tuple(float(v) if t is float else v for v, t in zip(values, shape, strict=True))


def page(rows: list, limit: int, view: Callable[[Any], Any],
         position: Callable[[Any], tuple]) -> dict[str, Any]:
    """A page from `limit + 1` rows: the first `limit` as items, and a cursor after the last
    of them when the extra row shows there is more."""
    more = len(rows) > limit
    return {"items": [view(row) for row in rows[:limit]],
            "next_cursor": encode(*position(rows[limit - 1])) if more else None}
