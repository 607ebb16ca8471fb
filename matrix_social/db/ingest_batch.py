"""The writes of one appservice transaction's batch as a single PostgreSQL statement."""

from __future__ import annotations

from mautrix.util.async_db.connection import LoggingConnection

from ..clock import now_ms

# Data-modifying CTEs run once each, in one snapshot: a like or comment whose post is inserted
# by this same statement is found through new_post's RETURNING, an older post through EXISTS;
# either way only in the post's own room.
_WRITE = """
WITH new_post AS (
    INSERT INTO post (event_id, room_id, author, kind, body, content, ts, repost_of)
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                         $6::text[], $7::bigint[], $8::text[])
    ON CONFLICT (event_id) DO NOTHING RETURNING event_id, room_id
), new_like AS (
    INSERT INTO post_like (event_id, post_id, user_id, ts)
    SELECT u.event_id, u.post_id, u.user_id, u.ts
    FROM unnest($9::text[], $10::text[], $11::text[], $12::text[], $13::bigint[])
        AS u (event_id, post_id, room_id, user_id, ts)
    WHERE (u.post_id, u.room_id) IN (SELECT event_id, room_id FROM new_post)
       OR EXISTS (SELECT 1 FROM post p WHERE p.event_id = u.post_id AND p.room_id = u.room_id)
    ON CONFLICT (event_id) DO NOTHING RETURNING 1
), new_comment AS (
    INSERT INTO comment (event_id, post_id, room_id, author, body, in_reply_to, ts, cw)
    SELECT u.* FROM unnest($14::text[], $15::text[], $16::text[], $17::text[], $18::text[],
                           $19::text[], $20::bigint[], $21::text[])
        AS u (event_id, post_id, room_id, author, body, in_reply_to, ts, cw)
    WHERE (u.post_id, u.room_id) IN (SELECT event_id, room_id FROM new_post)
       OR EXISTS (SELECT 1 FROM post p WHERE p.event_id = u.post_id AND p.room_id = u.room_id)
    ON CONFLICT (event_id) DO NOTHING RETURNING 1
), mark AS (
    INSERT INTO appservice_txn (txn_id, processed_at)
    SELECT $22::text, $23::bigint WHERE $22::text IS NOT NULL
    ON CONFLICT (txn_id) DO NOTHING RETURNING 1
)
SELECT (SELECT COUNT(*) FROM new_post) + (SELECT COUNT(*) FROM new_like)
       + (SELECT COUNT(*) FROM new_comment) + (SELECT COUNT(*) FROM mark)
"""


def _columns(rows: list[tuple], width: int) -> list[list]:
    return [list(column) for column in zip(*rows, strict=True)] if rows else [[]] * width


async def write_postgres(conn: LoggingConnection, post_rows: list[tuple], like_rows: list[tuple],
                         comment_rows: list[tuple], txn_id: str | None) -> None:
    """Posts (as posts.values), likes (event_id, post_id, room_id, user_id, ts), comments
    (event_id, post_id, room_id, author, body, in_reply_to, ts, cw) whose post is indexed in
    their room, and the processed-transaction mark: one round trip, one commit."""
    await conn.fetchval(_WRITE, *_columns(post_rows, 8), *_columns(like_rows, 5),
                        *_columns(comment_rows, 8), txn_id, now_ms())
