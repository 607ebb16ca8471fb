"""Turning a homeserver's refusal to reach another server into a sentence for the user."""

from __future__ import annotations

from mautrix.errors import MatrixRequestError

from ..errors import RemoteUnreachable


def unreachable(server: str, what: str, error: MatrixRequestError) -> RemoteUnreachable:
    return RemoteUnreachable(
        f"Could not {what} on {server}: {error.errcode or error.http_status} "
        f"{error.message or ''}".rstrip() + ". Try again later.")
