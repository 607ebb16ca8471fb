"""Feed reads: posts with author profile, counts and the viewer's like, keyset-paginated.

A feed page is picked by one of two plans, both giving the same rows for the same position
(newest first by (ts, event_id), strictly before the cursor), so a cursor from one plan
continues with the other:

- scan: walk every post newest first (post_ts, which carries room_id) and keep the viewer's
  rooms' posts. Cost follows how far back the page lies among all posts: cheap when the viewer
  follows much of what is posted, the whole table when she follows a few quiet people. So it
  is bounded: it looks at `budget` posts at most and may return a short page.
- merge: the newest posts of each visible room (post_room_ts), merged. Cost follows the number
  of rooms the viewer sees, whatever the server's size.

social/feed_plan.py chooses per request. The viewer's own bridged external items
(external_post) are merged in by external_page, in the same order and keyset.
"""

from __future__ import annotations

from mautrix.util.async_db import Database, Scheme

# $1 is the viewer. Counts come from post_count, kept by triggers (db/upgrade/v09_post_counters.py).
SELECT_POST = """
SELECT p.event_id, p.room_id, p.author, p.kind, p.body, p.content, p.ts, p.edited_ts,
       p.repost_of, pr.displayname, pr.avatar_url,
       COALESCE(c.likes, 0) AS likes, COALESCE(c.comments, 0) AS comments,
       COALESCE(c.reposts, 0) AS reposts,
       EXISTS (SELECT 1 FROM post_like l
               WHERE l.post_id = p.event_id AND l.user_id = $1) AS liked,
       EXISTS (SELECT 1 FROM external_share s WHERE s.event_id = p.event_id)
         AS external_verified,
       EXISTS (SELECT 1 FROM bookmark b WHERE b.user_id = $1 AND b.post_id = p.event_id)
         AS bookmarked,
       g.name AS group_name
FROM post p LEFT JOIN profile pr ON pr.user_id = p.author
LEFT JOIN post_count c ON c.post_id = p.event_id
LEFT JOIN group_room g ON g.room_id = p.room_id
"""

# The viewer's bridged items, in the shape of SELECT_POST (only the bridge writes these rows);
# an item shared to her feed room is there as her own post instead.
_EXTERNAL_POSTS = """
SELECT e.event_id, e.room_id, e.author, e.kind, e.body, e.content, e.ts, e.edited_ts,
       NULL AS repost_of, e.displayname, e.avatar_url, 0 AS likes, 0 AS comments,
       0 AS reposts, FALSE AS liked, TRUE AS external_verified, FALSE AS bookmarked,
       NULL AS group_name
FROM external_post e WHERE e.user_id = $1 AND e.shared_event_id IS NULL
"""

# The rooms whose posts the viewer ($1) sees: the ones she follows and her own.
_VISIBLE = ("SELECT f.room_id FROM follow f WHERE f.user_id = $1 "
            "UNION SELECT fr.room_id FROM feed_room fr WHERE fr.owner = $1")
# PostgreSQL: two INs joined by OR filter a scan through hashed sets; one IN over the UNION
# became a nested loop comparing every scanned post with every followed room.
_IN_VISIBLE_POSTGRES = """
(q.room_id IN (SELECT f.room_id FROM follow f WHERE f.user_id = $1)
 OR q.room_id IN (SELECT fr.room_id FROM feed_room fr WHERE fr.owner = $1))
"""
_ORDER = "ORDER BY p.ts DESC, p.event_id DESC"


def _keyset(alias: str, ts: str, event_id: str) -> str:
    """Strictly before (ts, event_id) in newest-first order. `ts <= ts` on its own, so both
    databases start the index range at the cursor instead of filtering every newer post."""
    return f"AND {alias}.ts <= {ts} AND ({alias}.ts < {ts} OR {alias}.event_id < {event_id})"


def _position(before: tuple[int, str] | None) -> tuple[list, str, int]:
    """(arguments after the viewer, keyset condition on `q`, next parameter number)."""
    if before is None:
        return [], "", 2
    return [before[0], before[1]], _keyset("q", "$2", "$3"), 4


async def visible_room_count(db: Database, viewer: str) -> int:
    return await db.fetchval(
        "SELECT (SELECT COUNT(*) FROM follow WHERE user_id = $1) "
        "+ (SELECT COUNT(*) FROM feed_room WHERE owner = $1)", viewer)


async def author_count(db: Database) -> int:
    return await db.fetchval("SELECT COUNT(*) FROM feed_room")


# How a scan tells the viewer's posts: "list" reads her rooms once into a set (cost grows with
# how many rooms she sees), "probe" looks each scanned post's room up in follow's primary key
# (cost grows with how many posts are scanned). The planner picks the cheaper.
_SCAN_FILTERS = {  # (SQLite?, match)
    (True, "list"): f"+q.room_id IN ({_VISIBLE})",
    (False, "list"): _IN_VISIBLE_POSTGRES,
    # PostgreSQL would turn a plain EXISTS into the same hashed set; LIMIT 1 keeps it a probe.
    (False, "probe"): """
((SELECT 1 FROM follow f WHERE f.room_id = q.room_id AND f.user_id = $1 LIMIT 1) IS NOT NULL
 OR q.room_id = (SELECT fr.room_id FROM feed_room fr WHERE fr.owner = $1))""",
    (True, "probe"): """
(EXISTS (SELECT 1 FROM follow f WHERE f.room_id = q.room_id AND f.user_id = $1)
 OR q.room_id = (SELECT fr.room_id FROM feed_room fr WHERE fr.owner = $1))""",
}


async def scan_page(db: Database, viewer: str, before: tuple[int, str] | None, limit: int,
                    budget: int, match: str = "list") -> list:
    """The page from the newest-first scan of at most about `budget` posts: short when the
    viewer's posts are sparser than that (the merge plan then gives the page).

    `limit` and `budget` are written into the statement, not passed as parameters: given
    them, PostgreSQL keeps one plan per statement instead of planning it again on every
    call (0.68 -> 0.34 ms for the 500-follow viewer); the planner rounds the budget to a
    power of two, so there are few such statements."""
    args, keyset, n = _position(before)
    limit, budget = int(limit), int(budget)
    where = _SCAN_FILTERS[db.scheme == Scheme.SQLITE, match]
    if db.scheme == Scheme.SQLITE:
        # SQLite sorts a LIMITed subquery's rows again instead of stopping at the page, so
        # the budget is a time bound: the ts of the budget-th post (NULL: fewer are left).
        bound = (f"(SELECT q.ts FROM post q WHERE 1 = 1 {keyset} "
                 f"ORDER BY q.ts DESC, q.event_id DESC LIMIT 1 OFFSET {budget - 1})")
        keys = (f"SELECT q.event_id FROM post q WHERE {where} {keyset} "
                f"AND q.ts >= IFNULL({bound}, {-2**63}) "
                f"ORDER BY q.ts DESC, q.event_id DESC LIMIT {limit}")
    else:
        keys = ("SELECT q.event_id FROM ("
                f"SELECT event_id, room_id, ts FROM post q WHERE 1 = 1 {keyset} "
                f"ORDER BY ts DESC, event_id DESC LIMIT {budget}) q "
                f"WHERE {where} ORDER BY q.ts DESC, q.event_id DESC LIMIT {limit}")
    return await db.fetch(f"{SELECT_POST} WHERE p.event_id IN ({keys}) {_ORDER}",
                          viewer, *args)


async def merge_page(db: Database, viewer: str, before: tuple[int, str] | None,
                     limit: int) -> list:
    """The page from each visible room's newest `limit` posts, merged."""
    args, keyset, n = _position(before)
    if db.scheme != Scheme.SQLITE:
        if before is None:
            # Bounded anyway: with a ts parameter PostgreSQL settles on one plan for this
            # statement instead of planning it again on every call (0.64 -> 0.32 ms).
            args, keyset, n = [2**63 - 1], "AND q.ts <= $2", 3
        return await db.fetch(
            f"{SELECT_POST} WHERE p.event_id IN ("
            f"SELECT k.event_id FROM ({_VISIBLE}) r CROSS JOIN LATERAL ("
            f"SELECT q.event_id, q.ts FROM post q WHERE q.room_id = r.room_id {keyset} "
            f"ORDER BY q.ts DESC, q.event_id DESC LIMIT ${n}) k "
            f"ORDER BY k.ts DESC, k.event_id DESC LIMIT ${n}) {_ORDER}",
            viewer, *args, limit)
    # SQLite has no LATERAL: the rooms first, then one limited branch per room (at most
    # _BRANCHES per statement: SQLite's limit on a compound SELECT is 500).
    rooms = [row["room_id"] for row in await db.fetch(_VISIBLE, viewer)]
    if len(rooms) <= _BRANCHES:
        return await db.fetch(
            f"{SELECT_POST} WHERE p.event_id IN ({_merged_keys(len(rooms), keyset, n)}) "
            f"{_ORDER}", viewer, *args, limit, *rooms) if rooms else []
    keys: list = []
    for start in range(0, len(rooms), _BRANCHES):
        chunk = rooms[start:start + _BRANCHES]
        # $1 (the viewer) is unused here, but the parameters are numbered from it.
        keys += await db.fetch(_merged_keys(len(chunk), keyset, n, "event_id, ts"),
                               viewer, *args, limit, *chunk)
    # BINARY collation orders strings as Python does (UTF-8 bytes = code points).
    keys.sort(key=lambda k: (k["ts"], k["event_id"]), reverse=True)
    ids = [k["event_id"] for k in keys[:limit]]
    marks = ", ".join(f"${i + 2}" for i in range(len(ids)))
    return await db.fetch(f"{SELECT_POST} WHERE p.event_id IN ({marks}) {_ORDER}", viewer, *ids)


_BRANCHES = 400


def _merged_keys(rooms: int, keyset: str, n: int, columns: str = "event_id") -> str:
    """SQLite: the newest ${n} posts of the rooms ${n+1}... , one branch per room."""
    branches = " UNION ALL ".join(
        "SELECT * FROM (SELECT q.event_id, q.ts FROM post q "
        f"WHERE q.room_id = ${n + 1 + i} {keyset} "
        f"ORDER BY q.ts DESC, q.event_id DESC LIMIT ${n})"
        for i in range(rooms))
    return f"SELECT {columns} FROM ({branches}) ORDER BY ts DESC, event_id DESC LIMIT ${n}"


async def external_page(db: Database, viewer: str, before: tuple[int, str] | None,
                        limit: int) -> list:
    """The viewer's bridged items strictly before the position, newest first."""
    args, keyset, n = _position(before)
    return await db.fetch(
        f"{_EXTERNAL_POSTS} {keyset.replace('q.', 'e.')} "
        f"ORDER BY e.ts DESC, e.event_id DESC LIMIT ${n}", viewer, *args, limit)


async def one_post(db: Database, viewer: str, event_id: str):
    return await db.fetchrow(f"{SELECT_POST} WHERE p.event_id = $2", viewer, event_id)


async def some_posts(db: Database, viewer: str, event_ids: list[str]) -> list:
    """The posts of a page's reposts, in one round trip (at most a page's worth of ids)."""
    if not event_ids:
        return []
    marks = ", ".join(f"${i + 2}" for i in range(len(event_ids)))
    return await db.fetch(f"{SELECT_POST} WHERE p.event_id IN ({marks})", viewer, *event_ids)


async def pinned_post(db: Database, viewer: str, owner: str, room_id: str, event_id: str):
    """The post a profile pins, only if it is the owner's own post in her own feed room (not
    a repost: a pin shows her words)."""
    return await db.fetchrow(
        f"{SELECT_POST} WHERE p.event_id = $2 AND p.author = $3 AND p.room_id = $4 "
        "AND p.kind <> 'repost'", viewer, event_id, owner, room_id)


async def room_posts(db: Database, viewer: str, room_id: str, before: tuple[int, str] | None,
                     limit: int, kind: str | None = None) -> list:
    """A room's posts (of one kind, if given), newest first, keyset-paginated (a profile's
    posts, an AI's recent activity)."""
    args: list = [viewer, room_id, limit]
    where = "p.room_id = $2"
    if kind is not None:
        args.append(kind)
        where += f" AND p.kind = ${len(args)}"
    if before is not None:
        args += [before[0], before[1]]
        where += " " + _keyset("p", f"${len(args) - 1}", f"${len(args)}")
    return await db.fetch(f"{SELECT_POST} WHERE {where} {_ORDER} LIMIT $3", *args)
