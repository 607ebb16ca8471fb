"""Every error type of the project that crosses a layer (kernel: imports nothing of ours).

The external-platform errors are deliberately few; callers act on the type alone:
AuthRevoked -> mark the connection broken and tell the user (never retry blindly);
RateLimited -> wait until `until_ms`; TransientError -> back off and retry;
Refused -> show `reason` to the user, do not retry the same request.
"""

from __future__ import annotations


class PlatformError(Exception):
    """Something an external platform (or our use of it) refused or failed."""

    def __init__(self, platform: str, message: str) -> None:
        super().__init__(f"{platform}: {message}")
        self.platform = platform
        self.message = message


class AuthRevoked(PlatformError):
    """The grant is gone: revoked, expired, or an invalid/replayed refresh token."""


class RateLimited(PlatformError):
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
