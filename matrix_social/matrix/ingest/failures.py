"""Which failures are worth a retry (the database could not be reached or was busy: the
homeserver resends the transaction) and which would fail the same way every time (the event
is quarantined, and the stream goes on)."""

from __future__ import annotations

import asyncio
import sqlite3

import asyncpg

from ...errors import DatabaseBusy

_TRANSIENT_POSTGRES = (
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.SerializationError,
    asyncpg.DeadlockDetectedError,
    asyncpg.LockNotAvailableError,
    asyncpg.QueryCanceledError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.InsufficientResourcesError,
)
_TRANSIENT_SQLITE_WORDS = ("locked", "busy", "unable to open", "disk i/o", "interrupted")


def is_transient(error: BaseException) -> bool:
    if isinstance(error, (ConnectionError, asyncio.TimeoutError, TimeoutError, OSError)):
        return True
    if isinstance(error, (DatabaseBusy, *_TRANSIENT_POSTGRES)):
        return True
    if isinstance(error, sqlite3.OperationalError):
        return any(word in str(error).lower() for word in _TRANSIENT_SQLITE_WORDS)
    return False


def describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:1000]
