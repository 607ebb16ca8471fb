"""The read queries as they were before issue 14 (commit dbf2a80), kept verbatim so every run
measures "before" beside "after" on the same data: the feed page (one newest-first scan
filtered by the followed rooms, counts recounted per row) and the post counts."""

from __future__ import annotations

from mautrix.util.async_db import Database, Scheme

SELECT_POST = """
SELECT p.event_id, p.room_id, p.author, p.kind, p.body, p.content, p.ts, p.edited_ts,
       p.repost_of, pr.displayname, pr.avatar_url,
       (SELECT COUNT(DISTINCT l.user_id) FROM post_like l WHERE l.post_id = p.event_id) AS likes,
       (SELECT COUNT(*) FROM comment c WHERE c.post_id = p.event_id) AS comments,
       (SELECT COUNT(*) FROM post r WHERE r.repost_of = p.event_id) AS reposts,
       (SELECT COUNT(*) FROM post_like l
         WHERE l.post_id = p.event_id AND l.user_id = $1) AS liked
FROM post p LEFT JOIN profile pr ON pr.user_id = p.author
"""

_VISIBLE_ROOMS_SQLITE = """
q.room_id IN (SELECT f.room_id FROM follow f WHERE f.user_id = $1
              UNION SELECT fr.room_id FROM feed_room fr WHERE fr.owner = $1)
"""
_VISIBLE_ROOMS_POSTGRES = """
(q.room_id IN (SELECT f.room_id FROM follow f WHERE f.user_id = $1)
 OR q.room_id IN (SELECT fr.room_id FROM feed_room fr WHERE fr.owner = $1))
"""


def _page_query(scheme: Scheme, keyset: str, limit_param: str) -> str:
    visible = _VISIBLE_ROOMS_SQLITE if scheme == Scheme.SQLITE else _VISIBLE_ROOMS_POSTGRES
    return (
        f"{SELECT_POST} WHERE p.event_id IN ("
        f"SELECT q.event_id FROM post q WHERE {visible} {keyset} "
        f"ORDER BY q.ts DESC, q.event_id DESC LIMIT {limit_param}) "
        "ORDER BY p.ts DESC, p.event_id DESC"
    )


async def feed_page(db: Database, viewer: str, before: tuple[int, str] | None,
                    limit: int) -> list:
    if before is None:
        return await db.fetch(_page_query(db.scheme, "", "$2"), viewer, limit)
    return await db.fetch(
        _page_query(db.scheme, "AND (q.ts < $2 OR (q.ts = $2 AND q.event_id < $3))", "$4"),
        viewer, before[0], before[1], limit,
    )


async def posts_by_id(db: Database, viewer: str, ids: list[str]) -> list:
    """The rows of the old trending endpoint's second query (counts recounted)."""
    marks = ", ".join(f"${i + 2}" for i in range(len(ids)))
    return await db.fetch(f"{SELECT_POST} WHERE p.event_id IN ({marks})", viewer, *ids)
