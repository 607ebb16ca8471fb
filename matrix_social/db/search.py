"""Search: posts by full text (PostgreSQL tsvector + GIN, SQLite FTS5), users and apps."""

from __future__ import annotations

import re

from mautrix.util.async_db import Database, Scheme

from .feed import SELECT_POST

_WORD = re.compile(r"\w+", re.UNICODE)


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def words(query: str) -> list[str]:
    return _WORD.findall(query.lower())[:16]


async def posts(db: Database, viewer: str, query: str, after: tuple[float, str] | None,
                limit: int) -> list:
    """Best match first; `rank` is larger for better matches on both databases."""
    terms = words(query)
    if not terms:
        return []
    if db.scheme == Scheme.SQLITE:
        match = " ".join(f'"{term}"' for term in terms)
        ranked = ("SELECT p.event_id, -bm25(post_fts) AS rank FROM post_fts "
                  "JOIN post p ON p.rowid = post_fts.rowid WHERE post_fts MATCH $2")
    else:
        match = " & ".join(terms)
        ranked = ("SELECT p.event_id, ts_rank(p.body_tsv, to_tsquery('simple', $2))::float8 "
                  "AS rank FROM post p WHERE p.body_tsv @@ to_tsquery('simple', $2)")
    keyset = ""
    args: list = [viewer, match, limit]
    if after is not None:
        keyset = "WHERE r.rank < $4 OR (r.rank = $4 AND r.event_id > $5)"
        args += list(after)
    return await db.fetch(
        f"WITH r AS ({ranked}), top AS (SELECT * FROM r {keyset} "
        "ORDER BY r.rank DESC, r.event_id ASC LIMIT $3) "
        f"SELECT top.rank, sub.* FROM top JOIN ({SELECT_POST}) sub "
        "ON sub.event_id = top.event_id ORDER BY top.rank DESC, top.event_id ASC",
        *args,
    )


async def users(db: Database, query: str, after: tuple[int, str] | None,
                limit: int) -> list:
    """Handle prefix (best), then display name containing the query."""
    q = query.strip().lower().lstrip("@")
    if not q:
        return []
    prefix = _like_escaped(q)
    keyset = ""
    args: list = [f"@{prefix}%", f"%{prefix}%", limit]
    if after is not None:
        keyset = "WHERE c.rank < $4 OR (c.rank = $4 AND c.user_id > $5)"
        args += list(after)
    return await db.fetch(
        f"""
        WITH c AS (
            SELECT r.owner AS user_id,
                   CASE WHEN LOWER(r.owner) LIKE $1 ESCAPE '\\' THEN 2 ELSE 1 END AS rank,
                   pr.displayname, pr.avatar_url, pr.bio
            FROM feed_room r LEFT JOIN profile pr ON pr.user_id = r.owner
            WHERE LOWER(r.owner) LIKE $1 ESCAPE '\\'
               OR LOWER(COALESCE(pr.displayname, '')) LIKE $2 ESCAPE '\\'
        )
        SELECT * FROM c {keyset} ORDER BY c.rank DESC, c.user_id ASC LIMIT $3
        """,
        *args,
    )


async def apps(db: Database, query: str, after: tuple[int, str] | None, limit: int) -> list:
    q = query.strip().lower()
    if not q:
        return []
    pattern = f"%{_like_escaped(q)}%"
    keyset = ""
    args: list = [pattern, limit]
    if after is not None:
        keyset = "WHERE c.rank < $3 OR (c.rank = $3 AND c.app_id > $4)"
        args += list(after)
    return await db.fetch(
        f"""
        WITH c AS (
            SELECT a.*, CASE WHEN LOWER(a.name) LIKE $1 ESCAPE '\\' THEN 2 ELSE 1 END AS rank
            FROM app a
            WHERE LOWER(a.name) LIKE $1 ESCAPE '\\' OR LOWER(a.description) LIKE $1 ESCAPE '\\'
        )
        SELECT c.*, (SELECT COUNT(*) FROM app_install x WHERE x.app_id = c.app_id) AS installs
        FROM c {keyset} ORDER BY c.rank DESC, c.app_id ASC LIMIT $2
        """,
        *args,
    )
