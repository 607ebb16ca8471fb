"""Every error type of the service, in one leaf module (it imports nothing of ours).

The API maps each to a Matrix-style error (api/errors.py); ingest sorts event failures into
permanent (quarantine the event) and transient (the homeserver retries the transaction).
"""

from __future__ import annotations

from typing import Any


class SocialError(Exception):
    """Base of the errors a user can be told about in words."""


class InvalidInput(SocialError, ValueError):
    """Input a user sent that we refuse; the message says what is wrong."""


class BadCursor(InvalidInput):
    """A pagination cursor this API did not hand out."""


class NotFound(SocialError, LookupError):
    pass


class Forbidden(SocialError, PermissionError):
    pass


class Conflict(SocialError):
    """The request clashes with an earlier one (e.g. an idempotency key reused for another
    body)."""


class ApiError(SocialError):
    """An answer with its own Matrix error code and HTTP status (token missing, body too
    large, not JSON...)."""

    def __init__(self, status: int, errcode: str, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.status = status
        self.errcode = errcode
        self.error = error
        self.extra = extra


class TooLarge(SocialError, ValueError):
    """Input larger than the service takes (an image with too many pixels to convert): the
    API answers 413 M_TOO_LARGE."""


class CannotActAsUser(Forbidden):
    """The service may not act as this user (not ours, or masquerading is off)."""


class RemoteUnreachable(SocialError):
    """Another homeserver could not be reached (or would not answer) just now."""


class KnockRequired(NotFound):
    """A person's MSC4501 profile room lets people in only by invite: following them is a
    knock (by the follower), and nothing of the room is read until she is let in."""

    def __init__(self, message: str, room_id: str, via: tuple[str, ...], owner: str) -> None:
        super().__init__(message)
        self.room_id = room_id
        self.via = via
        self.owner = owner


class NoRemoteFeed(NotFound):
    """The user's server has no feed room for them (or it is not theirs)."""


class RequestTimeout(SocialError):
    """An AI did not answer in time."""


class DatabaseBusy(SocialError):
    """The database ended a write's transaction to break a deadlock or a serialization
    conflict with another writer, on every attempt (db/retry.py): nothing of it was written,
    and the same request a moment later will most likely go through. The API answers 503
    M_UNKNOWN; ingest counts it transient (the homeserver resends its transaction)."""


class RateLimited(SocialError):
    """Too many requests from this sender; `retry_after_ms` says when to try again."""

    def __init__(self, message: str, retry_after_ms: int) -> None:
        super().__init__(message)
        self.retry_after_ms = retry_after_ms


class MalformedEvent(ValueError):
    """An event from some client that does not fit the schema: it will fail the same way
    every time, so it is quarantined, never retried."""


class UntrustedEvent(MalformedEvent):
    """An event that claims something its sender or room cannot vouch for."""


class BackendError(Exception):
    """An AI backend failed to answer."""


class ConfigError(ValueError):
    """A config field is missing or invalid; str() is the one line shown to the operator."""

    def __init__(self, key: str, expected: str, got: Any = None) -> None:
        shown = "nothing" if got is None else repr(got)
        super().__init__(f"config field '{key}': expected {expected}, got {shown}")
        self.key = key


# --- external platforms -----------------------------------------------------------------------
# Deliberately few; callers act on the type alone: AuthRevoked (any 401, and a 403 that is not
# about one post) -> mark the connection broken and tell the user (never retry blindly);
# PlatformRateLimited -> wait until `until_ms`; TransientError -> back off and retry;
# Refused -> show `reason`, do not retry the same request.


class PlatformError(Exception):
    """Something an external platform (or our use of it) refused or failed."""

    def __init__(self, platform: str, message: str) -> None:
        super().__init__(f"{platform}: {message}")
        self.platform = platform
        self.message = message


class AuthRevoked(PlatformError):
    """The grant is gone or no longer enough: revoked, expired, an invalid/replayed refresh
    token, or access refused (HTTP 401, or 403 for the account rather than for one post)."""


class PlatformRateLimited(PlatformError):
    """Over the platform's budget; nothing should be sent before `until_ms` (epoch ms)."""

    def __init__(self, platform: str, until_ms: int, message: str = "rate limited") -> None:
        super().__init__(platform, message)
        self.until_ms = until_ms


class TransientError(PlatformError):
    """A 5xx, a timeout or a network failure: the same request may succeed later (not before
    `until_ms` when the platform said so, e.g. with Retry-After)."""

    def __init__(self, platform: str, message: str, until_ms: int | None = None) -> None:
        super().__init__(platform, message)
        self.until_ms = until_ms


class Refused(PlatformError):
    """The platform (or our own check) will not do this; `reason` is fit to show the user."""

    def __init__(self, platform: str, reason: str) -> None:
        super().__init__(platform, reason)
        self.reason = reason


class UnknownClient(Refused):
    """The platform no longer knows our app registration (OAuth `invalid_client`): a Mastodon
    instance that forgot the app we registered there."""
