"""Turns events (from transactions, from our own API, from backfill and reindex) into index
rows, through the one set of rules; idempotent by event id.

A failure that will happen again (malformed or untrusted content, an integrity violation, a
bug) quarantines that one event and the stream goes on; only a transient one (the database
unreachable or busy) fails the appservice transaction, so the homeserver resends it.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

from mautrix.util.async_db import Database

from .changes import IndexChanges
from .failures import describe, is_transient
from .quarantine import Quarantine
from .rules import IndexRules
from .writer import IndexWriter, Pending, write_batch, written

log = logging.getLogger("matrix_social.ingest")

_batch: ContextVar[TransactionBatch | None] = ContextVar("ingest_batch", default=None)


def _has_nul(value: Any) -> bool:
    """JSON escapes every NUL as \\u0000 (C speed, a tenth of walking the event in Python); a
    user who typed that text itself only costs the walk of without_nul, which changes nothing."""
    return "\\u0000" in json.dumps(value, ensure_ascii=False)


def without_nul(value: Any) -> Any:
    """The event with every NUL character replaced by U+FFFD: any client may send a NUL
    (JSON \\u0000), and PostgreSQL text cannot hold one."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, list):
        return [without_nul(v) for v in value]
    if isinstance(value, dict):
        return {without_nul(k): without_nul(v) for k, v in value.items()}
    return value


class TransactionBatch:
    """The writes of one appservice transaction; the guard sets `processed_txn` to have the
    transaction marked processed with the last write."""

    def __init__(self, db: Database, changes: IndexChanges) -> None:
        self.writer = IndexWriter(db, batching=True, changes=changes)
        self.processed_txn: str | None = None
        self.closed = False


class Ingest:
    def __init__(self, db: Database, rules: IndexRules, quarantine: Quarantine,
                 changes: IndexChanges | None = None) -> None:
        self.db = db
        self.changes = changes or IndexChanges()
        self.rules = rules
        self.quarantine = quarantine
        self.seen: Counter[str] = Counter()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[TransactionBatch]:
        """Gather the index writes of the events handled inside; write them on the way out."""
        batch = TransactionBatch(self.db, self.changes)
        token = _batch.set(batch)
        try:
            yield batch
            # Anything still running with this context from now on writes directly.
            batch.closed = True
            await self._write_out(batch.writer, batch.processed_txn)
        finally:
            batch.closed = True
            _batch.reset(token)

    async def _write_out(self, writer: IndexWriter, processed_txn: str | None) -> None:
        pending, writer.pending = writer.pending, Pending()
        try:
            await write_batch(self.db, pending, processed_txn)
            self.changes.publish(written(pending))
        except Exception as e:
            if is_transient(e):
                raise
            # Find the event that cannot be written: each on its own, the rest go in.
            log.warning("Batch not written (%s); writing its events one by one", describe(e))
            await self._one_by_one(pending)
            if processed_txn:
                await write_batch(self.db, Pending(), processed_txn)

    async def _one_by_one(self, pending: Pending) -> None:
        direct = IndexWriter(self.db, changes=self.changes)
        items = [(raw, direct.post, (row,)) for raw, row in pending.posts]
        items += [(raw, direct.like, row) for raw, row in pending.likes]
        items += [(raw, direct.comment, row) for raw, row in pending.comments]
        for raw, write, args in items:
            try:
                await write(*args)
            except Exception as e:
                if is_transient(e):
                    raise
                await self.quarantine.record(raw, e)
        if pending.mentions:  # each counts only for an event that went in
            try:
                await write_batch(self.db, Pending(mentions=pending.mentions), None)
            except Exception as e:
                if is_transient(e):
                    raise
                log.warning("Mentions of a batch not notified: %s", describe(e))

    async def on_event(self, raw: dict[str, Any]) -> None:
        await self.handle(raw)

    async def handle(self, raw: dict[str, Any]) -> None:
        """An event from the transaction stream, as JSON."""
        self.seen[raw.get("type")] += 1
        batch = _batch.get()
        writer = batch.writer if batch is not None and not batch.closed else None
        await self._apply(raw, writer or IndexWriter(self.db, changes=self.changes))

    async def apply(self, raw: dict[str, Any]) -> None:
        """Index one event straight away (our API's own events, backfill)."""
        await self._apply(raw, IndexWriter(self.db, changes=self.changes))

    async def _apply(self, raw: dict[str, Any], writer: IndexWriter) -> None:
        if _has_nul(raw):
            raw = without_nul(raw)
        writer.current_event = raw
        try:
            await self.rules.apply(raw, writer)
        except Exception as e:
            if is_transient(e):
                raise
            await self.quarantine.record(raw, e)
