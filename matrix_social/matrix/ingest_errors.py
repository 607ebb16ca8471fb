"""Which failures mean "the index could not be written" (retry the transaction) rather than
"this event is malformed" (skip it with one log line)."""

import asyncio
import sqlite3

import asyncpg

_STORAGE_ERRORS = (
    sqlite3.Error,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    ConnectionError,
    asyncio.TimeoutError,
    OSError,
)


def is_storage_error(error: BaseException) -> bool:
    return isinstance(error, _STORAGE_ERRORS)
