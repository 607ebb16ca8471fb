"""The index writes of one appservice transaction, gathered and written together.

Posts, likes and comments are most of the stream. Written one statement at a time each is its
own database transaction (on PostgreSQL a WAL flush each) and a round trip; gathered, one
transaction of the homeserver becomes one database transaction of a few batched statements.
The transaction guard opens a batch around the transaction's handlers and writes it before
answering the homeserver, so an acknowledged transaction is in the index, and a failed write
fails the transaction (the homeserver retries it). Any other event writes the batch first, so
the index sees the events in their order.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar

from mautrix.util.async_db import Database, Scheme

from ..db import comments, ingest_batch, likes, posts, txn
from ..db.posts import PostRow
from .txn_guard import report_failure

_current: ContextVar[IngestBatch | None] = ContextVar("ingest_batch", default=None)


class IngestBatch:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.posts: list[PostRow] = []
        self.likes: list[tuple[str, str, str, int]] = []
        self.comments: list[tuple] = []
        self.closed = False
        # Set by the transaction guard: mark this transaction processed with the final write.
        self.processed_txn: str | None = None

    async def flush(self) -> None:
        """Posts first, then the likes and comments whose post is indexed (the statements
        check), and the transaction mark, in one database transaction."""
        if not (self.posts or self.likes or self.comments or self.processed_txn):
            return
        new_posts, new_likes, new_comments = self.posts, self.likes, self.comments
        self.posts, self.likes, self.comments = [], [], []
        if self.db.scheme != Scheme.SQLITE:
            async with self.db.acquire() as conn:
                await ingest_batch.write_postgres(
                    conn, [posts.values(row) for row in new_posts], new_likes, new_comments,
                    self.processed_txn)
            return
        async with self.db.acquire() as conn, conn.transaction():
            if new_posts:
                await posts.upsert_many(conn, new_posts)
            # Likes and comments of posts that are not indexed are left out by the inserts.
            if new_likes:
                await likes.upsert_many(conn, new_likes)
            if new_comments:
                await comments.upsert_many(conn, new_comments)
            if self.processed_txn:
                await txn.mark_processed(conn, self.processed_txn)


def current() -> IngestBatch | None:
    batch = _current.get()
    return None if batch is None or batch.closed else batch


@asynccontextmanager
async def collect(db: Database) -> AsyncIterator[IngestBatch]:
    """Gather the index writes of the events handled inside; write them on the way out."""
    batch = IngestBatch(db)
    token = _current.set(batch)
    try:
        yield batch
        # Anything still running with this context from now on writes directly.
        batch.closed = True
        try:
            await batch.flush()
        except Exception as e:
            if not report_failure(e):
                raise
    finally:
        batch.closed = True
        _current.reset(token)
