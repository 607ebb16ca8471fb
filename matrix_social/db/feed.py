"""Feed reads: posts with author profile, counts and the viewer's like, keyset-paginated."""

from __future__ import annotations

from mautrix.util.async_db import Database

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

_VISIBLE_ROOMS = """
q.room_id IN (SELECT f.room_id FROM follow f WHERE f.user_id = $1
              UNION SELECT fr.room_id FROM feed_room fr WHERE fr.owner = $1)
"""


def _page_query(keyset: str, limit_param: str) -> str:
    """Pick the page's keys first, then compute counts for those rows only (SQLite would
    otherwise evaluate the count subqueries for every visible post before sorting)."""
    return (
        f"{SELECT_POST} WHERE p.event_id IN ("
        f"SELECT q.event_id FROM post q WHERE {_VISIBLE_ROOMS} {keyset} "
        f"ORDER BY q.ts DESC, q.event_id DESC LIMIT {limit_param}) "
        "ORDER BY p.ts DESC, p.event_id DESC"
    )


async def feed_page(db: Database, viewer: str, before: tuple[int, str] | None,
                    limit: int) -> list:
    if before is None:
        return await db.fetch(_page_query("", "$2"), viewer, limit)
    return await db.fetch(
        _page_query("AND (q.ts < $2 OR (q.ts = $2 AND q.event_id < $3))", "$4"),
        viewer, before[0], before[1], limit,
    )


async def one_post(db: Database, viewer: str, event_id: str):
    return await db.fetchrow(f"{SELECT_POST} WHERE p.event_id = $2", viewer, event_id)


async def room_posts(db: Database, viewer: str, room_id: str, limit: int) -> list:
    return await db.fetch(
        f"{SELECT_POST} WHERE p.room_id = $2 ORDER BY p.ts DESC, p.event_id DESC LIMIT $3",
        viewer, room_id, limit,
    )
