"""Connection pool options."""

from __future__ import annotations

from typing import Any


async def _keep_session(connection: Any) -> None:
    """Nothing to reset: the service sets no session state, listens to nothing and takes no
    session-level advisory locks (asyncpg still rolls back an open transaction first)."""


def options(url: str, configured: dict[str, Any] | None) -> dict[str, Any]:
    """The pool options for `url`: the configured ones, and on PostgreSQL no reset query when
    a connection goes back to the pool. asyncpg's default (UNLISTEN, RESET ALL, CLOSE ALL,
    advisory unlocks) is a round trip of its own, and mautrix takes a connection from the pool
    for every statement, so it doubled the round trips of every request."""
    args = dict(configured or {})
    if url.startswith(("postgres://", "postgresql://")):
        args.setdefault("reset", _keep_session)
    return args
