"""SQL: the index of social events and the bridge's own state. One module per table.

Functions take an `Executor`: the database (each statement on its own) or one connection
(statements inside that connection's transaction, e.g. a reindex)."""

from mautrix.util.async_db import Database
from mautrix.util.async_db.connection import LoggingConnection

from .upgrade import upgrade_table

Executor = Database | LoggingConnection

__all__ = ["Executor", "upgrade_table"]
