"""Matrix transaction ids for what one API request sends, derived from its Idempotency-Key:
a client's retry after a crash re-sends with the same ids, and the homeserver answers with
the events it already made instead of making them twice."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_current: ContextVar[list | None] = ContextVar("request_txn_ids", default=None)


@contextmanager
def derived_from(base: str) -> Iterator[None]:
    token = _current.set([base, 0])
    try:
        yield
    finally:
        _current.reset(token)


def next_txn_id() -> str | None:
    """The next id for this request (None outside an idempotent request: mautrix picks)."""
    state = _current.get()
    if state is None:
        return None
    state[1] += 1
    return f"{state[0]}.{state[1]}"
