"""A write in one transaction of its own, run again when PostgreSQL ends it to break a deadlock
(40P01) or a serialization conflict (40001): a few attempts, a short jittered backoff between
them, then DatabaseBusy (the API answers 503, ingest counts it transient).

Why a deadlock happens at all (v26's docstring): its triggers take advisory locks per
person-bucket, shared for marks and exclusive for blocks and unblocks, along with row locks
on the counters; a transaction writing several people's marks and a block of one of them at
the same moment can wait for each other, and PostgreSQL fails one of the two. The one it
fails wrote nothing, so running its transaction again is safe; what a caller did outside the
transaction (a Matrix event sent) is not repeated.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import asyncpg
from mautrix.util.async_db import Database

from ..errors import DatabaseBusy
from . import Executor

log = logging.getLogger("matrix_social.db")

T = TypeVar("T")

ATTEMPTS = 4
FIRST_BACKOFF_SECONDS = 0.05  # then twice as long each time, each between half and 1.5 times
_RETRIED_STATES = {"40P01": "a deadlock", "40001": "a serialization conflict"}


def ended_to_resolve_a_conflict(error: BaseException) -> bool:
    """PostgreSQL rolled the transaction back because of another writer, not because of it."""
    return isinstance(error, asyncpg.PostgresError) and error.sqlstate in _RETRIED_STATES


def backoff(attempt: int) -> float:
    """Seconds to wait after failed attempt `attempt` (1, 2, ...); jittered, so the two
    writers that deadlocked do not meet again at the same moment."""
    return FIRST_BACKOFF_SECONDS * 2 ** (attempt - 1) * random.uniform(0.5, 1.5)


async def in_transaction(db: Executor, work: Callable[..., Awaitable[T]], *args: Any) -> T:
    """`work(conn, *args)` in one transaction, run again (from the start, in a new
    transaction) when PostgreSQL ended it to resolve a conflict with another writer. Given
    a connection rather than the database, `work` runs once on it: it is then part of the
    caller's transaction, which only the caller can run again."""
    if not isinstance(db, Database):
        return await work(db, *args)
    attempt = 1
    while True:
        try:
            async with db.acquire() as conn, conn.transaction():
                return await work(conn, *args)
        except asyncpg.PostgresError as e:
            if not ended_to_resolve_a_conflict(e):
                raise
            what = _RETRIED_STATES[e.sqlstate]
            if attempt == ATTEMPTS:
                raise DatabaseBusy(f"The database was busy ({what} with another write, "
                                   f"{ATTEMPTS} times); try again") from e
            wait = backoff(attempt)
            log.warning("%s ended by %s (attempt %d of %d); again in %d ms",
                        getattr(work, "__qualname__", work), what, attempt, ATTEMPTS,
                        wait * 1000)
            await asyncio.sleep(wait)
            attempt += 1
