"""post_tag: the hashtags of indexed posts (normalized, content/tags.py), with the post's author
and time, for tag pages and trending tags. A post's rows go with it (a trigger, v15)."""

from __future__ import annotations

from mautrix.util.async_db import Database

from . import Executor
from .feed import SELECT_POST

# Only for a post that is indexed and was never edited: a transaction replayed after an edit
# must not bring back the tags the edit removed.
_INSERT = (
    "INSERT INTO post_tag (tag, post_id, author, ts) SELECT $1, $2, $3, $4 "
    "WHERE EXISTS (SELECT 1 FROM post p WHERE p.event_id = $2 AND p.edited_ts IS NULL) "
    "ON CONFLICT (post_id, tag) DO NOTHING"
)


async def insert_many(db: Executor, rows: list[tuple[str, str, str, int]]) -> None:
    """(tag, post_id, author, ts) rows of freshly indexed posts."""
    if rows:
        await db.executemany(_INSERT, rows)


async def put_back(db: Executor, rows: list[tuple[str, str, str, int]]) -> None:
    """(tag, post_id, author, ts) rows of indexed posts, edited or not: the tags a suspension
    took away, given back at its end."""
    if rows:
        await db.executemany(
            "INSERT INTO post_tag (tag, post_id, author, ts) SELECT $1, $2, $3, $4 "
            "WHERE EXISTS (SELECT 1 FROM post p WHERE p.event_id = $2) "
            "ON CONFLICT (post_id, tag) DO NOTHING", rows)


async def replace_after_edit(db: Executor, post_id: str, edited_ts: int,
                             tags: list[str]) -> None:
    """The tags of an edited post, when the edit at `edited_ts` is the one the post shows."""
    current = await db.fetchrow(
        "SELECT author, ts FROM post WHERE event_id = $1 AND edited_ts = $2", post_id, edited_ts)
    if current is None:
        return
    await db.execute("DELETE FROM post_tag WHERE post_id = $1", post_id)
    for tag in tags:
        await db.execute(
            "INSERT INTO post_tag (tag, post_id, author, ts) VALUES ($1, $2, $3, $4) "
            "ON CONFLICT (post_id, tag) DO NOTHING", tag, post_id, current["author"],
            current["ts"])


async def of_post(db: Executor, post_id: str) -> list[str]:
    rows = await db.fetch("SELECT tag FROM post_tag WHERE post_id = $1 ORDER BY tag", post_id)
    return [row["tag"] for row in rows]


async def page(db: Database, viewer: str, tag: str, before: tuple[int, str] | None,
               limit: int) -> list:
    """The tag's posts, newest first, strictly before (ts, post_id)."""
    keyset, args = "", [viewer, tag]
    if before is not None:
        keyset = "AND t.ts <= $3 AND (t.ts < $3 OR t.post_id < $4)"
        args += list(before)
    return await db.fetch(
        f"WITH t AS (SELECT post_id, ts FROM post_tag t WHERE t.tag = $2 {keyset} "
        f"ORDER BY t.ts DESC, t.post_id DESC LIMIT {int(limit)}) "
        f"SELECT sub.* FROM t JOIN ({SELECT_POST}) sub ON sub.event_id = t.post_id "
        "ORDER BY t.ts DESC, t.post_id DESC", *args)


async def trends(db: Database, since: int, until: int, limit: int) -> list:
    """Tags used in [since, until], by how many distinct authors used them (one account
    posting a tag a hundred times counts once), then uses, then the tag, counted from scratch
    over every use in the window: what the kept ranking (db/trending.py's TAGS, which the
    endpoint serves) must always equal (tests, the bench's before)."""
    return await db.fetch(
        "SELECT tag, COUNT(DISTINCT author) AS accounts, COUNT(*) AS uses FROM post_tag "
        "WHERE ts >= $1 AND ts <= $2 GROUP BY tag "
        f"ORDER BY accounts DESC, uses DESC, tag ASC LIMIT {int(limit)}", since, until)


async def search(db: Database, prefix: str, limit: int) -> list:
    """Tags starting with `prefix` (normalized), the most used first."""
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return await db.fetch(
        "SELECT tag, COUNT(*) AS uses FROM post_tag WHERE tag LIKE $1 ESCAPE '\\' "
        f"GROUP BY tag ORDER BY uses DESC, tag ASC LIMIT {int(limit)}", f"{escaped}%")
