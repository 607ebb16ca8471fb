"""Trending, kept from deltas (v19, v22, v30): each ranking (posts by distinct likers over 24
hours, apps by installs over 7 days, tags by distinct authors over 24 hours) keeps per key its
distinct users and rows in the window (<prefix>_score). Triggers log every row added to or
removed from the source with its time (<prefix>_change: key, user, ts, +1 or -1, in the
writing transaction). A refresh finds the (key, user) pairs the log names and the pairs with a
row whose time entered or left the window since the last refresh (two ranges of the time
index), reads each pair's rows in the old and the new window through the (key, user, ts) index,
takes the logged changes off the old window's count (which leaves what the last refresh
counted, without keeping it), and adds the differences to the scores: its cost follows the rows
that changed or crossed an edge, never a key's every row, nor the window's. The log it read is
deleted in the same transaction and snapshot (PostgreSQL: REPEATABLE READ; SQLite: the write
lock taken first), so each change is counted once; a refresh that fails leaves it for the next.
Posts whose existence changed (a post indexed or deleted, v19's triggers, <prefix>_dirty) get
their ts again (none: not indexed, not ranked). The scores have no index but their key (a
changed score is rewritten in its page, HOT on PostgreSQL): posts rank from a top
(<prefix>_top), every post at or above its floor (its last (trend, ts, post)), kept from the
changed scores and made again from every score when it falls under the ranking's depth. The
served ranking of posts (trending_post, the top's first DEPTH, in their order, no position)
gets only its rows that changed. trending_state holds each ranking's window end: no state, or
a move longer than the window, means a count from scratch."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from mautrix.util.async_db import Database, Scheme

from .feed import SELECT_POST


@dataclass(frozen=True)
class Ranking:
    name: str  # trending_state's row
    prefix: str  # <prefix>_score, _change, _delta, _dirty, _claim
    key: str  # the key column in those tables
    source: str  # the rows counted: (source_key, source_user, ts)
    source_key: str
    # (key, ts) of the keys that may rank (the ts breaks ties, newer first); None: every
    # key counted ranks, with ts 0
    ranked: str | None
    ranked_key: str = ""
    source_user: str = "user_id"  # whose rows count once per key


POSTS = Ranking("posts", "trending", "post_id", "post_like", "post_id",
                "SELECT event_id, ts FROM post", "event_id")
# Apps rank by installs, ties by app id: their ts is a constant, and an app's installs count
# whether or not the app is indexed (the page joins the apps still there).
APPS = Ranking("apps", "trending_app", "app_id", "app_install", "app_id", None)
# Tags rank by distinct authors in 24 hours (as Mastodon's trends), then uses, then the tag.
TAGS = Ranking("tags", "trending_tag", "tag", "post_tag", "tag", None, source_user="author")


def background_database(db: Database) -> Database:
    """A database handle for long background reads: PostgreSQL's pool has connections to
    spare; SQLite's service connection is one, so a connection of its own on the same file
    (WAL: it reads while the service writes). Start and stop it when it is not `db`."""
    if db.scheme != Scheme.SQLITE:
        return db
    return Database.create(db.url, upgrade_table=db.upgrade_table, db_args={"min_size": 1})


async def state(db: Database, name: str = POSTS.name) -> tuple[int, int] | None:
    """(computed at, the window's end) of the stored ranking; None before the first."""
    row = await db.fetchrow(
        "SELECT computed_at, window_end FROM trending_state WHERE name = $1", name)
    return (row["computed_at"], row["window_end"]) if row else None


async def _run(conn, db: Database, statements: list[str]) -> None:
    """The statements in order: on PostgreSQL as one script (one round trip; in the
    transaction around it, or else one implicit transaction of its own), on SQLite one by
    one (no round trips there). Their numbers are written in (ints only), no parameters."""
    if db.scheme == Scheme.SQLITE:
        for statement in statements:
            await conn.execute(statement)
    else:
        await conn.execute(";\n".join(statements))


# Posts rank from a top: every post at or above its floor, about KEEP times the ranking's
# depth when made, made again from every score when it has fewer posts than the depth (the
# floor rises as posts drop under it) or more than OVERGROWN times what it was made with.
KEEP = 5
OVERGROWN = 4
DEFAULT_DEPTH = 1000


def _claim(r: Ranking) -> list[str]:
    dirty, claimed = f"{r.prefix}_dirty", f"{r.prefix}_claim"
    return [f"WITH taken AS (DELETE FROM {dirty} RETURNING {r.key}) INSERT INTO {claimed} "
            f"({r.key}) SELECT {r.key} FROM taken ON CONFLICT DO NOTHING"]


async def claim(db: Database, r: Ranking) -> None:
    """Move the keys marked dirty (posts indexed or deleted) into the claim, in a transaction
    of its own (short, so ingest never waits on a refresh): a claim left by a failed refresh
    is taken again by the next one. (PostgreSQL's refresh sends it in its first round trip.)"""
    dirty, claimed = f"{r.prefix}_dirty", f"{r.prefix}_claim"
    async with db.acquire() as conn:
        if db.scheme == Scheme.SQLITE:  # one writer: nothing is marked in between
            async with conn.transaction():
                await _run(conn, db, [
                    f"INSERT INTO {claimed} ({r.key}) SELECT {r.key} FROM {dirty} "
                    "WHERE true ON CONFLICT DO NOTHING", f"DELETE FROM {dirty}"])
            return
        # One implicit transaction; not waiting for its WAL's flush (see refresh).
        await _run(conn, db, ["SET LOCAL synchronous_commit = off", *_claim(r)])


def _ts(r: Ranking, key: str) -> str:
    """A key's ts (NULL: not ranked) as an expression of its column `key`."""
    if r.ranked is None:
        return "0"
    return f"(SELECT k.ts FROM ({r.ranked}) k WHERE k.{r.ranked_key} = {key})"


def _from_scratch(r: Ranking, since: int, until: int) -> list[str]:
    # DELETE, not TRUNCATE: requests read the scores meanwhile, ingest appends to the log, and
    # only the log's rows this snapshot sees are counted here.
    join, ts = "", "0"
    if r.ranked is not None:
        join, ts = f"LEFT JOIN ({r.ranked}) k ON k.{r.ranked_key} = c.k", "k.ts"
    parts = ("score", "change", "delta", "claim") + (("top",) if r.ranked is not None else ())
    return [*(f"DELETE FROM {r.prefix}_{part}" for part in parts),
            f"INSERT INTO {r.prefix}_score ({r.key}, trend, uses, ts) "
            f"SELECT c.k, c.trend, c.uses, {ts} FROM (SELECT {r.source_key} AS k, "
            f"COUNT(DISTINCT {r.source_user}) AS trend, COUNT(*) AS uses FROM {r.source} "
            f"WHERE ts >= {since} AND ts <= {until} GROUP BY {r.source_key}) c {join}"]


def _deltas(db: Database, r: Ranking, since: int, until: int, old_since: int,
            old_end: int) -> list[str]:
    """The differences between the old window's counts and the new one's, per key, added to
    the key's score into <prefix>_delta (with the keys whose ts changed), then into the
    scores and the top; the log read is consumed."""
    log, delta, score = f"{r.prefix}_change", f"{r.prefix}_delta", f"{r.prefix}_score"
    src, sk, su = r.source, r.source_key, r.source_user
    # The pairs that may count otherwise now: those the log names, and those with a row whose
    # time is in one window and not the other ([min, max) of the starts, (min, max] of the ends).
    pairs = (f"SELECT {r.key} AS k, user_id AS u FROM {log} "
             f"UNION SELECT {sk}, {su} FROM {src} "
             f"WHERE ts >= {min(old_since, since)} AND ts < {max(old_since, since)} "
             f"UNION SELECT {sk}, {su} FROM {src} "
             f"WHERE ts > {min(old_end, until)} AND ts <= {max(old_end, until)}")
    # Each pair's rows in either window, as (in the new one, in the old one); the logged
    # changes in the old window taken off it: an added row was not there, a removed one was.
    rows = (f"SELECT p.k, p.u, CASE WHEN s.ts >= {since} AND s.ts <= {until} THEN 1 ELSE 0 END "
            f"AS n, CASE WHEN s.ts >= {old_since} AND s.ts <= {old_end} THEN 1 ELSE 0 END AS o "
            f"FROM pairs p JOIN {src} s ON s.{sk} = p.k AND s.{su} = p.u "
            f"AND s.ts >= {min(since, old_since)} AND s.ts <= {max(until, old_end)} "
            f"UNION ALL SELECT {r.key}, user_id, 0, -sign FROM {log} "
            f"WHERE ts >= {old_since} AND ts <= {old_end}")
    users = "SUM(CASE WHEN n > 0 THEN 1 ELSE 0 END) - SUM(CASE WHEN o > 0 THEN 1 ELSE 0 END)"
    statements = []
    if db.scheme == Scheme.POSTGRES:
        # The log and the pairs are small but the statistics may say otherwise (after a bulk
        # load, or never analysed): keep every lookup on the indexes.
        statements += [f"SET LOCAL {setting} = off" for setting in (
            "enable_seqscan", "enable_hashjoin", "enable_mergejoin", "jit")]
    # Each changed key's new score (its old one and the differences: one lookup of the old
    # one; a new key's ts from the ranked keys), which every later step reads from the delta.
    statements += [
        f"WITH pairs AS ({pairs}), counted AS (SELECT k, u, SUM(n) AS n, SUM(o) AS o "
        f"FROM ({rows}) x GROUP BY k, u), keys AS (SELECT k, {users} AS trend, "
        f"SUM(n - o) AS uses FROM counted GROUP BY k HAVING {users} <> 0 OR SUM(n - o) <> 0) "
        f"INSERT INTO {delta} ({r.key}, trend, uses, ts) SELECT c.k, "
        "COALESCE(s.trend, 0) + c.trend, COALESCE(s.uses, 0) + c.uses, "
        f"CASE WHEN s.{r.key} IS NULL THEN {_ts(r, 'c.k')} ELSE s.ts END "
        f"FROM keys c LEFT JOIN {score} s ON s.{r.key} = c.k",
        f"DELETE FROM {log}",
    ]
    if r.ranked is not None:  # indexed or deleted since: its ts again
        statements.append(
            f"INSERT INTO {delta} ({r.key}, trend, uses, ts) SELECT c.{r.key}, s.trend, "
            f"s.uses, {_ts(r, 'c.' + r.key)} FROM {r.prefix}_claim c JOIN {score} s "
            f"ON s.{r.key} = c.{r.key} WHERE true ON CONFLICT ({r.key}) DO UPDATE SET "
            "ts = excluded.ts")
    statements += [
        f"INSERT INTO {score} ({r.key}, trend, uses, ts) SELECT {r.key}, trend, uses, ts "
        f"FROM {delta} WHERE trend > 0 ON CONFLICT ({r.key}) DO UPDATE SET "
        "trend = excluded.trend, uses = excluded.uses, ts = excluded.ts",
        f"DELETE FROM {score} WHERE {r.key} IN (SELECT {r.key} FROM {delta} WHERE trend = 0)",
    ]
    if r.ranked is not None:
        statements += _top_changed(r)
    if db.scheme == Scheme.POSTGRES:
        statements += [f"RESET {setting}" for setting in (
            "enable_seqscan", "enable_hashjoin", "enable_mergejoin", "jit")]
    return statements


def _changed(r: Ranking) -> str:
    return (f"SELECT {r.key} FROM {r.prefix}_delta UNION SELECT {r.key} FROM {r.prefix}_claim")


def _top_changed(r: Ranking) -> list[str]:
    """The keys whose score changed leave the top, and come back if they rank at or above its
    floor (its last (trend, ts, key) once they are out). The top holds every ranked key at or
    above its floor: so did it before, the keys that did not change are where they were, and
    the floor can only have risen. Their new scores are in the delta."""
    top, delta = f"{r.prefix}_top", f"{r.prefix}_delta"
    return [f"DELETE FROM {top} WHERE {r.key} IN (SELECT {r.key} FROM {delta})",
            f"INSERT INTO {top} ({r.key}, trend, ts) SELECT {r.key}, trend, ts FROM {delta} "
            f"WHERE trend > 0 AND ts IS NOT NULL AND (trend, ts, {r.key}) >= "
            f"(SELECT trend, ts, {r.key} FROM {top} ORDER BY trend, ts, {r.key} LIMIT 1)"]


def _new_top(r: Ranking, keep: int) -> list[str]:
    """The top made again from every score (one read of them all): the first `keep` ranked
    keys. After a count from scratch, or when the top has fallen under the ranking's depth."""
    return [f"DELETE FROM {r.prefix}_top",
            f"INSERT INTO {r.prefix}_top ({r.key}, trend, ts) SELECT {r.key}, trend, ts "
            f"FROM {r.prefix}_score WHERE ts IS NOT NULL "
            f"ORDER BY trend DESC, ts DESC, {r.key} DESC LIMIT {int(keep)}"]


def _ranking(depth: int) -> list[str]:
    """The stored ranking made the top's first `depth`, rewriting only the rows that differ
    (a minute changes a few: its order is the rows', no position to shift)."""
    best = ("SELECT post_id, trend, ts FROM trending_top "
            f"ORDER BY trend DESC, ts DESC, post_id DESC LIMIT {int(depth)}")
    return [f"DELETE FROM trending_post WHERE event_id NOT IN (SELECT post_id FROM ({best}) b)",
            f"INSERT INTO trending_post (event_id, trend, ts) SELECT b.post_id, b.trend, b.ts "
            f"FROM ({best}) b LEFT JOIN trending_post t ON t.event_id = b.post_id "
            "WHERE t.event_id IS NULL OR t.trend <> b.trend OR t.ts <> b.ts "
            "ON CONFLICT (event_id) DO UPDATE SET trend = excluded.trend, ts = excluded.ts"]


async def refresh(db: Database, r: Ranking, since: int, until: int, computed_at: int,
                  depth: int | None = None, keep: int | None = None) -> int:
    """Bring r's scores to the window [since, until] (and the stored ranking of posts, its
    first `depth`, from a top of about `keep` posts, KEEP times the depth unless given); the
    number of keys whose score was rewritten (-1: counted from scratch)."""
    window = (int(since), int(until), int(computed_at))
    keep = keep or KEEP * (depth or DEFAULT_DEPTH)
    if db.scheme == Scheme.SQLITE:
        if r.ranked is not None:
            await claim(db, r)
        async with db.acquire() as conn, conn.transaction():
            # A write first: SQLite's write lock, so no other write comes between what this
            # transaction reads and what it writes.
            await conn.execute(f"DELETE FROM {r.prefix}_delta")
            return await _refresh(conn, db, r, window, depth, keep, [])
    # PostgreSQL, in as few round trips as it takes: the claim committed on its own (short, so
    # ingest never waits on a refresh), then the refresh's transaction, whose COMMIT ends its
    # last script. One snapshot for the whole refresh (REPEATABLE READ): the log it deletes is
    # the log it read, and the source rows it counted are those the log had changed. One
    # refresher at a time per ranking (the lock before the snapshot, so a second one sees the
    # first's work). No commit waits for the WAL's flush: a crash may lose the last refresh,
    # never half of one, and the log is still there.
    claiming = ["SET LOCAL synchronous_commit = off", *_claim(r), "COMMIT"] if r.ranked else []
    async with db.acquire() as conn:
        try:
            await _run(conn, db, [*claiming, "BEGIN ISOLATION LEVEL REPEATABLE READ",
                                  f"LOCK TABLE {r.prefix}_claim IN EXCLUSIVE MODE",
                                  "SET LOCAL synchronous_commit = off"])
            changed = await _refresh(conn, db, r, window, depth, keep, ["COMMIT"])
        except BaseException:
            with contextlib.suppress(Exception):
                await conn.execute("ROLLBACK")
            raise
        if changed == -1:
            # After a count from scratch (a bulk load, a reindex) the log is all dead rows,
            # which every refresh would scan until autovacuum came, and every page of the
            # scores is new: their hint bits and visibility set now, once, rather than by the
            # next refreshes' updates (outside any transaction).
            await conn.execute(f"VACUUM {r.prefix}_change")
            await conn.execute(f"VACUUM ANALYZE {r.prefix}_score")
    return changed


async def _refresh(conn, db: Database, r: Ranking, window: tuple[int, int, int],
                   depth: int | None, keep: int, end: list[str]) -> int:
    """refresh's work in its transaction; `end` closes its last script."""
    since, until, computed_at = window
    row = await conn.fetchrow("SELECT window_end FROM trending_state WHERE name = $1", r.name)
    width = until - since
    if row is None or abs(until - row["window_end"]) > width:
        changed = -1
        statements = _from_scratch(r, since, until) + (
            _new_top(r, keep) if r.ranked is not None else [])
    else:
        old_end = int(row["window_end"])
        await _run(conn, db, _deltas(db, r, since, until, old_end - width, old_end))
        top = "0" if r.ranked is None else f"(SELECT COUNT(*) FROM {r.prefix}_top)"
        changed, in_top = await conn.fetchrow(
            f"SELECT (SELECT COUNT(*) FROM ({_changed(r)}) c), {top}")
        statements = ([f"DELETE FROM {r.prefix}_delta", f"DELETE FROM {r.prefix}_claim"]
                      if changed else [])
        if changed and r.ranked is not None and (
                in_top < (depth or 0) or in_top > OVERGROWN * keep):
            statements += _new_top(r, keep)
    if depth is not None and changed:
        statements += _ranking(depth)
    statements.append(
        "INSERT INTO trending_state (name, computed_at, window_end) "
        f"VALUES ('{r.name}', {computed_at}, {until}) "
        "ON CONFLICT (name) DO UPDATE SET computed_at = excluded.computed_at, "
        "window_end = excluded.window_end")
    await _run(conn, db, statements + end)
    return changed


async def page(db: Database, viewer: str, after: tuple[int, int, str] | None,
               limit: int) -> list:
    """The stored ranking's posts (still indexed) after (trend, ts, event_id), best first,
    with `trend`: the likes in the ranking's window."""
    keyset, args = "", [viewer]
    if after is not None:
        keyset = ("WHERE t.trend < $2 OR (t.trend = $2 AND (t.ts < $3 OR "
                  "(t.ts = $3 AND t.event_id < $4)))")
        args += list(after)
    # The limit written in, not a parameter: PostgreSQL then keeps one plan (db/feed.py).
    return await db.fetch(
        f"SELECT t.trend, x.* FROM trending_post t JOIN ({SELECT_POST}) x "
        f"ON x.event_id = t.event_id {keyset} "
        f"ORDER BY t.trend DESC, t.ts DESC, t.event_id DESC LIMIT {int(limit)}", *args)


async def ranked_posts(db: Database) -> int:
    return await db.fetchval("SELECT COUNT(*) FROM trending_post")


async def scores(db: Database, r: Ranking, limit: int) -> list:
    """(key, trend, ts) of r's best `limit`, as kept (for tests and the bench)."""
    return await db.fetch(
        f"SELECT {r.key} AS key, trend, ts FROM {r.prefix}_score WHERE ts IS NOT NULL "
        f"ORDER BY trend DESC, ts DESC, {r.key} DESC LIMIT $1", limit)


async def tags(db: Database, limit: int) -> list:
    """(tag, accounts, uses) of the kept 24-hour ranking of tags, best first."""
    return await db.fetch(
        "SELECT tag, trend AS accounts, uses FROM trending_tag_score "
        f"ORDER BY trend DESC, uses DESC, tag ASC LIMIT {int(limit)}")
