"""Where the index rules write: one writer, two ways.

While an appservice transaction is handled, posts, likes and comments (most of the stream) are
gathered and written together, in one database transaction with the transaction's processed
mark (on PostgreSQL one statement); on its own (our API indexing what it just sent, a backfill,
a reindex) every write goes straight to the database. Any other write, and any read, is a
barrier: what is gathered is written first, so the index sees the events in their order.

A batch, and every write on its own, is one database transaction, run again when PostgreSQL
ends it to break a deadlock (db/retry.py: v26's locks; our API's writes must not fail for
it). The barrier writes of an appservice transaction are single statements and are not: one
that fails fails the appservice transaction, and the homeserver resends it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from mautrix.util.async_db import Database, Scheme

from ...db import (
    Executor,
    comments,
    follows,
    ingest_batch,
    likes,
    notifications,
    post_tags,
    posts,
    txn,
)
from ...db.posts import PostRow
from ...db.retry import in_transaction
from .changes import IndexChanges, Written

Mentioned = Sequence[tuple[str, str | None]]


@dataclass
class Pending:
    """What a batch holds, each item with the event it came from (to quarantine that one
    event if the batch cannot be written)."""

    posts: list[tuple[dict, PostRow]] = field(default_factory=list)
    likes: list[tuple[dict, tuple]] = field(default_factory=list)
    comments: list[tuple[dict, tuple]] = field(default_factory=list)
    # (event_id, recipient, via): who a post or comment of this batch mentions
    mentions: list[tuple[dict, tuple]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.posts or self.likes or self.comments or self.mentions)


def written(pending: Pending) -> Written:
    return Written(
        counted_posts={row[1] for _, row in pending.likes} | {row[1] for _, row in pending.comments}
        | {row.repost_of for _, row in pending.posts if row.repost_of},
        new_posts=[(row.room_id, row.event_id, row.author) for _, row in pending.posts],
        notifying_events=[row[0] for _, row in pending.likes + pending.comments]
        + [row.event_id for _, row in pending.posts]
        + [row[0] for _, row in pending.mentions])


class IndexWriter:
    def __init__(self, db: Executor, batching: bool = False,
                 changes: IndexChanges | None = None) -> None:
        self.db = db
        self.batching = batching
        self.changes = changes
        self.pending = Pending()
        self.current_event: dict[str, Any] = {}

    async def post(self, row: PostRow, mentioned: Mentioned = ()) -> None:
        pending = self.pending if self.batching else Pending()
        pending.posts.append((self.current_event, row))
        self._mentions(pending, row.event_id, mentioned)
        if not self.batching:
            await self._write_now(pending)

    async def like(self, event_id: str, post_id: str, room_id: str, user_id: str,
                   ts: int) -> None:
        row = (event_id, post_id, room_id, user_id, ts)
        if self.batching:
            self.pending.likes.append((self.current_event, row))
        else:
            await write_batch(self.db, Pending(likes=[(self.current_event, row)]), None)

    async def comment(self, event_id: str, post_id: str, room_id: str, author: str, body: str,
                      in_reply_to: str | None, ts: int, cw: str | None = None,
                      mentioned: Mentioned = ()) -> None:
        row = (event_id, post_id, room_id, author, body, in_reply_to, ts, cw)
        pending = self.pending if self.batching else Pending()
        pending.comments.append((self.current_event, row))
        self._mentions(pending, event_id, mentioned)
        if not self.batching:
            await self._write_now(pending)

    async def _write_now(self, pending: Pending) -> None:
        await write_batch(self.db, pending, None)
        if self.changes is not None:
            self.changes.publish(written(pending))

    def _mentions(self, pending: Pending, event_id: str, mentioned: Mentioned) -> None:
        """(recipient, via) pairs: notified with the event, once it is indexed, before
        anything else the same event tells them (a mention of the post's author is a
        mention, not a comment)."""
        pending.mentions.extend((self.current_event, (event_id, recipient, via))
                                for recipient, via in mentioned)

    async def follow(self, room_id: str, user_id: str, ts: int, recipient: str | None,
                     event_id: str) -> None:
        """The follow and its notification, in one database transaction."""
        await self.flush()
        if not isinstance(self.db, Database):
            await _follow(self.db, room_id, user_id, ts, recipient, event_id)
            return
        async with self.db.acquire() as conn, conn.transaction():
            await _follow(conn, room_id, user_id, ts, recipient, event_id)
        if self.changes is not None and recipient is not None:
            self.changes.publish(Written(notifying_events=[event_id]))

    async def changed_post(self, room_id: str, event_id: str, author: str) -> None:
        """An edit: told as a post (the app reloads what it shows of it)."""
        await self.flush()
        if self.changes is not None:
            self.changes.publish(Written(new_posts=[(room_id, event_id, author)]))

    async def removed(self, redacts: str, post: tuple[str, str, str | None] | None,
                      counted: set[str], unnotified: Iterable[str] = ()) -> None:
        """A redaction took something away: a post (room, author, repost_of), from the
        counts of `counted` (likes or comments gone), and the notifications of `unnotified`:
        told like any other change."""
        if self.changes is None:
            return
        if post is not None and post[2]:
            counted = counted | {post[2]}
        self.changes.publish(Written(
            counted_posts=counted,
            removed_posts=[(post[0], redacts, post[1])] if post is not None else [],
            unnotified=set(unnotified)))

    async def write(self, statement: Callable[..., Awaitable[Any]], *args: Any) -> Any:
        await self.flush()
        if self.batching:
            return await statement(self.db, *args)
        return await in_transaction(self.db, statement, *args)

    async def read(self, query: Callable[..., Awaitable[Any]], *args: Any) -> Any:
        await self.flush()
        return await query(self.db, *args)

    async def flush(self, processed_txn: str | None = None) -> None:
        """Write what is gathered (and the transaction's mark) in one database transaction."""
        pending, self.pending = self.pending, Pending()
        if not pending and processed_txn is None:
            return
        await write_batch(self.db, pending, processed_txn)
        if self.changes is not None:
            self.changes.publish(written(pending))


async def write_batch(db: Executor, pending: Pending, processed_txn: str | None) -> None:
    """The rows, the notifications derived from them and the mark: one database transaction
    (run again when PostgreSQL ends it to break a deadlock: db/retry.py)."""
    post_rows = [row for _, row in pending.posts]
    like_rows = [row for _, row in pending.likes]
    comment_rows = [row for _, row in pending.comments]
    mention_rows = [row for _, row in pending.mentions]
    if not isinstance(db, Database):
        await _write_statements(db, post_rows, like_rows, comment_rows, processed_txn)
        await _notify(db, post_rows, like_rows, comment_rows, mention_rows)
        return
    await in_transaction(db, _write_batch_in, db.scheme, post_rows, like_rows, comment_rows,
                         mention_rows, processed_txn)


async def _write_batch_in(conn, scheme: Scheme, post_rows, like_rows, comment_rows,
                          mention_rows, processed_txn) -> None:
    if scheme == Scheme.SQLITE:
        await _write_statements(conn, post_rows, like_rows, comment_rows, processed_txn)
    else:
        await ingest_batch.write_postgres(conn, [posts.values(row) for row in post_rows],
                                          like_rows, comment_rows, processed_txn)
        if any(row.tags for row in post_rows):
            await post_tags.insert_many(conn, posts.tag_rows(post_rows))
    await _notify(conn, post_rows, like_rows, comment_rows, mention_rows)


async def _write_statements(conn, post_rows, like_rows, comment_rows, processed_txn) -> None:
    """Posts first, then the likes and comments whose post is indexed in their room (the
    statements check), then the mark."""
    if post_rows:
        await posts.upsert_many(conn, post_rows)
        await post_tags.insert_many(conn, posts.tag_rows(post_rows))
    if like_rows:
        await likes.upsert_many(conn, like_rows)
    if comment_rows:
        await comments.upsert_many(conn, comment_rows)
    if processed_txn:
        await txn.mark_processed(conn, processed_txn)


async def _follow(conn: Executor, room_id: str, user_id: str, ts: int, recipient: str | None,
                  event_id: str) -> None:
    await follows.upsert(conn, room_id, user_id, ts)
    if recipient is not None:
        await notifications.follow(conn, recipient, user_id, event_id, ts)


async def _notify(conn, post_rows, like_rows, comment_rows, mention_rows) -> None:
    """From what the index now holds, so an event the statements refused notifies nobody."""
    await notifications.derive(
        conn, [row[0] for row in like_rows], [row[0] for row in comment_rows],
        [row.event_id for row in post_rows if row.repost_of], mention_rows)
