"""The trending refresh before v30 (db/trending.py at v22, commit 03a2548), kept for
bench/reads.py's before column: it runs on a copy of the bench's database made before the v30
upgrade (the (key, user) pairs, their dirty and claim marks, the tallies, the scores with their
rank index, the ranking with its positions), on the same traffic as the code after it, minute
by minute. Not used by the service."""

from __future__ import annotations

from dataclasses import dataclass

from mautrix.util.async_db import Database, Scheme


@dataclass(frozen=True)
class Ranking:
    name: str  # trending_state's row
    prefix: str  # <prefix>_score, _tally, _pair, _pair_dirty, _pair_claim, _dirty, _claim
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


async def _run(conn, db: Database, statements: list[str]) -> None:
    """The statements in order: on PostgreSQL as one script (one round trip; in the
    transaction around it, or else one implicit transaction of its own), on SQLite one by
    one (no round trips there). Their numbers are written in (ints only), no parameters."""
    if db.scheme == Scheme.SQLITE:
        for statement in statements:
            await conn.execute(statement)
    else:
        await conn.execute(";\n".join(statements))


def _claim(db: Database, r: Ranking) -> list[str]:
    statements = []
    for dirty, claimed, columns in ((f"{r.prefix}_dirty", f"{r.prefix}_claim", r.key),
                                    (f"{r.prefix}_pair_dirty", f"{r.prefix}_pair_claim",
                                     f"{r.key}, user_id")):
        if db.scheme == Scheme.SQLITE:  # one writer: nothing is marked in between
            statements += [f"INSERT INTO {claimed} ({columns}) SELECT {columns} FROM {dirty} "
                           "WHERE true ON CONFLICT DO NOTHING", f"DELETE FROM {dirty}"]
        else:
            statements.append(
                f"WITH taken AS (DELETE FROM {dirty} RETURNING {columns}) "
                f"INSERT INTO {claimed} ({columns}) SELECT {columns} FROM taken "
                "ON CONFLICT DO NOTHING")
    return statements


BULK = 10_000  # pairs claimed at once past which the dirty table is vacuumed


async def claim(db: Database, r: Ranking) -> None:
    """Move the pairs (and keys) marked dirty into the claim, in a transaction of its own
    (short, so ingest never waits on a refresh): a claim left by a failed refresh is
    re-evaluated by the next one."""
    async with db.acquire() as conn:
        if db.scheme == Scheme.SQLITE:
            async with conn.transaction():
                await _run(conn, db, _claim(db, r))
            return
        # One implicit transaction; not waiting for its WAL's flush (see refresh).
        status = await conn.execute(";\n".join(
            ["SET LOCAL synchronous_commit = off", *_claim(db, r)]))
        if int(status.split()[-1]) > BULK:
            # After a bulk load the dirty table is all dead rows, which every claim would
            # scan until autovacuum came: gone now (outside any transaction, as VACUUM is).
            await conn.execute(f"VACUUM {r.prefix}_pair_dirty")


def _with_ts(r: Ranking, alias: str, key: str) -> tuple[str, str]:
    """(the join that gives each key its ts, the ts expression)."""
    if r.ranked is None:
        return "", "0"
    return f"JOIN ({r.ranked}) k ON k.{r.ranked_key} = {alias}.{key}", "k.ts"


def _from_scratch(db: Database, r: Ranking, since: int, until: int) -> list[str]:
    join, ts = _with_ts(r, "t", r.key)
    # Only the refresher reads its pairs, tallies and claims: on PostgreSQL TRUNCATE, so no
    # dead rows of a whole window stay behind for each refresh to step over (the scores are
    # read by requests meanwhile: DELETE, which does not lock them out).
    own = [f"{r.prefix}_{part}" for part in ("tally", "pair", "claim", "pair_claim")]
    empty = ([f"DELETE FROM {table}" for table in own] if db.scheme == Scheme.SQLITE
             else [f"TRUNCATE {', '.join(own)}"])
    return [f"DELETE FROM {r.prefix}_score", *empty,
            f"INSERT INTO {r.prefix}_pair ({r.key}, user_id, n) "
            f"SELECT {r.source_key}, {r.source_user}, COUNT(*) FROM {r.source} "
            f"WHERE ts >= {since} AND ts <= {until} GROUP BY {r.source_key}, {r.source_user}",
            f"INSERT INTO {r.prefix}_tally ({r.key}, trend, uses) "
            f"SELECT {r.key}, COUNT(*), SUM(n) FROM {r.prefix}_pair GROUP BY {r.key}",
            f"INSERT INTO {r.prefix}_score ({r.key}, trend, uses, ts) "
            f"SELECT t.{r.key}, t.trend, t.uses, {ts} FROM {r.prefix}_tally t {join}"]


def _pairs_from_deltas(db: Database, r: Ranking, since: int, until: int, old_since: int,
                       old_end: int) -> list[str]:
    """Re-evaluate the claimed pairs and those with a row that crossed an edge of the window,
    add the differences to the tallies, and claim the keys whose tally changed."""
    pairs = f"{r.prefix}_pair_claim"
    statements = [
        # Rows whose time is in one window and not the other: [min, max) of the starts,
        # (min, max] of the ends.
        f"INSERT INTO {pairs} ({r.key}, user_id) "
        f"SELECT {r.source_key}, {r.source_user} FROM {r.source} "
        f"WHERE ts >= {min(old_since, since)} AND ts < {max(old_since, since)} "
        f"UNION SELECT {r.source_key}, {r.source_user} FROM {r.source} "
        f"WHERE ts > {min(old_end, until)} AND ts <= {max(old_end, until)} "
        "ON CONFLICT DO NOTHING"]
    if db.scheme == Scheme.POSTGRES:
        # The claims are small but their tables' statistics may say otherwise (after a bulk
        # load, or never analysed): keep every lookup on the indexes.
        statements += [f"SET LOCAL {setting} = off" for setting in (
            "enable_seqscan", "enable_hashjoin", "enable_mergejoin", "jit")]
    return statements + [
        # Each pair: its rows in the window now, and what the pair table counted.
        f"UPDATE {pairs} SET new_n = (SELECT COUNT(*) FROM {r.source} s "
        f"WHERE s.{r.source_key} = {pairs}.{r.key} AND s.{r.source_user} = {pairs}.user_id "
        f"AND s.ts >= {since} AND s.ts <= {until}), "
        f"old_n = COALESCE((SELECT p.n FROM {r.prefix}_pair p WHERE p.{r.key} = {pairs}.{r.key} "
        f"AND p.user_id = {pairs}.user_id), 0)",
        f"INSERT INTO {r.prefix}_tally ({r.key}, trend, uses) "
        f"SELECT {r.key}, SUM(CASE WHEN new_n > 0 THEN 1 ELSE 0 END) "
        "- SUM(CASE WHEN old_n > 0 THEN 1 ELSE 0 END), SUM(new_n - old_n) "
        f"FROM {pairs} WHERE new_n <> old_n GROUP BY {r.key} "
        f"ON CONFLICT ({r.key}) DO UPDATE SET trend = {r.prefix}_tally.trend + excluded.trend, "
        f"uses = {r.prefix}_tally.uses + excluded.uses",
        f"INSERT INTO {r.prefix}_claim ({r.key}) SELECT DISTINCT {r.key} FROM {pairs} "
        "WHERE new_n <> old_n ON CONFLICT DO NOTHING",
        f"DELETE FROM {r.prefix}_pair WHERE ({r.key}, user_id) IN (SELECT c.{r.key}, c.user_id "
        f"FROM {pairs} c WHERE c.new_n = 0 AND c.old_n > 0)",
        f"INSERT INTO {r.prefix}_pair ({r.key}, user_id, n) SELECT {r.key}, user_id, new_n "
        f"FROM {pairs} WHERE new_n > 0 AND new_n <> old_n "
        f"ON CONFLICT ({r.key}, user_id) DO UPDATE SET n = excluded.n",
        f"DELETE FROM {pairs}",
    ]


def _scores(r: Ranking) -> list[str]:
    """The claimed keys' scores from their tallies (gone: no tally, or not ranked)."""
    join, ts = _with_ts(r, "c", r.key)
    gone = "" if r.ranked is None else (
        f" OR NOT EXISTS (SELECT 1 FROM ({r.ranked}) k "
        f"WHERE k.{r.ranked_key} = {r.prefix}_score.{r.key})")
    return [
        f"DELETE FROM {r.prefix}_tally WHERE {r.key} IN "
        f"(SELECT {r.key} FROM {r.prefix}_claim) AND trend = 0",
        f"INSERT INTO {r.prefix}_score ({r.key}, trend, uses, ts) "
        f"SELECT c.{r.key}, t.trend, t.uses, {ts} FROM {r.prefix}_claim c "
        f"JOIN {r.prefix}_tally t ON t.{r.key} = c.{r.key} {join} WHERE true "
        f"ON CONFLICT ({r.key}) DO UPDATE SET trend = excluded.trend, "
        "uses = excluded.uses, ts = excluded.ts",
        f"DELETE FROM {r.prefix}_score WHERE {r.key} IN "
        f"(SELECT {r.key} FROM {r.prefix}_claim) AND (NOT EXISTS (SELECT 1 FROM "
        f"{r.prefix}_tally t WHERE t.{r.key} = {r.prefix}_score.{r.key}){gone})",
        f"DELETE FROM {r.prefix}_claim",
    ]


def _ranking(depth: int) -> list[str]:
    return ["DELETE FROM trending_post",
            "INSERT INTO trending_post (position, event_id, trend, ts) "
            "SELECT ROW_NUMBER() OVER (ORDER BY trend DESC, ts DESC, post_id DESC) - 1, "
            "post_id, trend, ts FROM (SELECT post_id, trend, ts FROM trending_score "
            f"ORDER BY trend DESC, ts DESC, post_id DESC LIMIT {int(depth)}) best"]


async def refresh(db: Database, r: Ranking, since: int, until: int, computed_at: int,
                  depth: int | None = None) -> int:
    """Bring r's scores to the window [since, until] (and the stored ranking of posts, its
    first `depth`); the number of keys whose score was rewritten (-1: counted from
    scratch)."""
    since, until, computed_at = int(since), int(until), int(computed_at)
    await claim(db, r)
    async with db.acquire() as conn, conn.transaction():
        if db.scheme == Scheme.POSTGRES:
            # One refresher at a time per ranking. The commit does not wait for the WAL's
            # flush: a crash may lose the last refresh (and a claim), never half of one, and
            # the next refresh redoes it (its claims and the pairs' re-evaluation are
            # idempotent); six flushes a minute were a good part of a quiet refresh.
            await conn.execute(f"LOCK TABLE {r.prefix}_claim IN EXCLUSIVE MODE; "
                               "SET LOCAL synchronous_commit = off")
        row = await conn.fetchrow(
            "SELECT window_end FROM trending_state WHERE name = $1", r.name)
        width = until - since
        if row is None or abs(until - row["window_end"]) > width:
            recounted = -1
            await _run(conn, db, _from_scratch(db, r, since, until))
        else:
            old_end = int(row["window_end"])
            await _run(conn, db, _pairs_from_deltas(db, r, since, until, old_end - width,
                                                    old_end))
            recounted = await conn.fetchval(f"SELECT COUNT(*) FROM {r.prefix}_claim")
        statements = _scores(r) if recounted > 0 else []
        if depth is not None and recounted:
            statements += _ranking(depth)
        statements.append(
            "INSERT INTO trending_state (name, computed_at, window_end) "
            f"VALUES ('{r.name}', {computed_at}, {until}) "
            "ON CONFLICT (name) DO UPDATE SET computed_at = excluded.computed_at, "
            "window_end = excluded.window_end")
        await _run(conn, db, statements)
    return recounted
