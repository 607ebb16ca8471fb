"""The batched index writes of one appservice transaction (no homeserver needed)."""

from __future__ import annotations

import pytest
from mautrix.util.async_db import Database

from matrix_social.db import upgrade_table
from matrix_social.db.posts import PostRow
from matrix_social.matrix.ingest_batch import IngestBatch

from .harness import PostgresDatabase


@pytest.fixture(params=["sqlite", "postgres"])
async def db(request, tmp_path):
    postgres = PostgresDatabase() if request.param == "postgres" else None
    if postgres:
        await postgres.create()
    url = postgres.url if postgres else f"sqlite:{tmp_path / 'batch.db'}"
    database = Database.create(url, upgrade_table=upgrade_table)
    await database.start()
    try:
        yield database
    finally:
        await database.stop()
        if postgres:
            await postgres.drop()


async def _ids(db: Database, table: str, column: str = "event_id") -> list[str]:
    return [row[column] for row in await db.fetch(f"SELECT {column} FROM {table} ORDER BY 1")]


async def test_batch_writes_posts_then_likes_and_comments_of_indexed_posts(db):
    await db.execute("INSERT INTO post (event_id, room_id, author, kind, body, content, ts) "
                     "VALUES ('$old', '!r', '@a', 'text', 'x', '{}', 1)")
    batch = IngestBatch(db)
    batch.posts.append(PostRow("$new", "!r", "@a", "text", "hi", {"a": 1}, 2, None, None))
    batch.likes += [("$l1", "$old", "@u", 3), ("$l2", "$new", "@u", 4), ("$l3", "$nope", "@u", 5)]
    batch.comments += [("$c1", "$new", "!r", "@u", "c", None, 6),
                       ("$c2", "$nope", "!r", "@u", "c", "$x", 7)]
    batch.processed_txn = "t1"
    await batch.flush()
    # The same events again (a retried transaction): nothing doubles.
    batch.posts.append(PostRow("$new", "!r", "@a", "text", "hi", {"a": 1}, 2, None, None))
    batch.likes.append(("$l1", "$old", "@u", 3))
    batch.processed_txn = "t2"
    await batch.flush()
    assert await _ids(db, "post") == ["$new", "$old"]
    assert await _ids(db, "post_like") == ["$l1", "$l2"]
    assert await _ids(db, "comment") == ["$c1"]
    assert await _ids(db, "appservice_txn", "txn_id") == ["t1", "t2"]
    assert await db.fetchval("SELECT content FROM post WHERE event_id='$new'") == '{"a": 1}'
