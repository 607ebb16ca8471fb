"""Reading the platforms' rate-limit and retry headers into epoch milliseconds."""

from __future__ import annotations

import email.utils
from collections.abc import Mapping
from datetime import datetime

from ..clock import now_ms
from .platform import PollHints


def _get(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lowered), None)
    return value


def _int(value: str | None) -> int | None:
    try:
        return int(str(value).strip()) if value is not None else None
    except ValueError:
        return None


def reset_ms(value: str | None) -> int | None:
    """A reset header as epoch ms: Unix seconds (X, GitHub) or an ISO 8601 time (Mastodon)."""
    if value is None:
        return None
    number = _int(value)
    if number is not None:
        return number * 1000
    try:
        return int(datetime.fromisoformat(value.strip().replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        return None


def retry_after_ms(headers: Mapping[str, str]) -> int | None:
    """Retry-After (seconds or an HTTP date) as epoch ms."""
    value = _get(headers, "Retry-After")
    if value is None:
        return None
    seconds = _int(value)
    if seconds is not None:
        return now_ms() + max(seconds, 0) * 1000
    try:
        return int(email.utils.parsedate_to_datetime(value).timestamp() * 1000)
    except (TypeError, ValueError):
        return None


def rate_hints(headers: Mapping[str, str], prefix: str, poll_interval: bool = False,
               not_modified: bool = False) -> PollHints:
    """`prefix`: "x-rate-limit" (X), "X-RateLimit" (Mastodon), "x-ratelimit" (GitHub)."""
    return PollHints(
        remaining=_int(_get(headers, f"{prefix}-remaining")),
        limit=_int(_get(headers, f"{prefix}-limit")),
        reset_at_ms=reset_ms(_get(headers, f"{prefix}-reset")),
        poll_interval_s=_int(_get(headers, "X-Poll-Interval")) if poll_interval else None,
        not_modified=not_modified)
