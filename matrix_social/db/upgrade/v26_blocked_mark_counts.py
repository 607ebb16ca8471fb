"""v26: her counts of the marks of the people she blocked, kept by the database (issue 24).

blocked_mark_count (owner, post_id) holds, for every post somebody `owner` blocked liked,
commented on or reposted, how many of the post's likes, comments and reposts are theirs,
counted as post_count counts (v9): distinct likers, every comment, every repost row. The counts
a viewer is shown leave those out (db/blocks.py counts_by_blocked): a page reads its rows by
key, where it counted every blocked person's marks on every request (1,000 blocks, a trending
page: p99 300 ms). Rows that reach zero go, so the table holds only what is there to take out.

Kept by triggers in the writing transaction: on post_like, comment and post (reposts), for the
owners who blocked the mark's person (user_block (blocked)); on user_block, his marks are
added to her rows when she blocks him and taken out when she unblocks him. No row of those
tables is updated in place in a way that matters here (edits change bodies only), so there are
no update triggers. The same rows are reached on both databases: by the new indexes on
comment (author, post_id) and reposts (author, repost_of), and post_like (user_id, post_id)
(v25).

PostgreSQL, concurrent writers: a like counts for her when it is his first of the post, which
two writers of his likes of one post decide one after the other, as post_count does: this
table's triggers on post_like are named to fire after post_count's (triggers fire in the
order of their names), whose lock on the post's counter row is held to the commit, and each
statement of a PL/pgSQL function takes a new snapshot, so the second writer sees the first's
row. A block and a mark by the blocked person are ordered by an advisory lock on the person
(key space BLOCK_LOCK; people share BUCKETS locks): marks take it shared (marks never wait for
marks), blocks and unblocks exclusive, so whichever writer comes second sees the other's
committed row and counts it. Each trigger takes its locks in one order, but one transaction's
several triggers (a batch's posts, then likes, then comments) each take their own: a batch of
several people's marks and a block of one of them at the same moment can deadlock, which
PostgreSQL detects and ends by failing one of the two transactions. (So can the counters' row
locks taken along: a block waits for her row of a post that the batch holds, while the
batch's next mark waits for the block's lock.) The deadlock is not prevented here: a failed
ingest batch is retried in-process and then by the homeserver resending its transaction, and
the API's writes (blocks, unblocks and the index's writes of what it sent) run their
transaction again, a few times, before answering 503 (db/retry.py;
tests/test_deadlock_retry.py makes the deadlock for real).
"""

from mautrix.util.async_db import Connection, Scheme

BLOCK_LOCK = 26  # first key of pg_advisory_xact_lock(int, int): marks vs blocks of a person
# People share BUCKETS locks (the second key), so a batch of many people's marks (a reindex, a
# bulk COPY) takes at most this many locks, not one a person: PostgreSQL's lock table is
# shared by every session (max_locks_per_transaction × max_connections entries), and a lock
# per person ran it out (bench seeding, 1M likes in one COPY). A block waits for the
# unfinished marks of the people of its bucket only.
BUCKETS = 16

# (source table, its post column, its person column, likes/comments/reposts, distinct, filter)
_MARKS = (("post_like", "post_id", "user_id", "likes", True, ""),
          ("comment", "post_id", "author", "comments", False, ""),
          ("post", "repost_of", "author", "reposts", False, "repost_of IS NOT NULL"))

_ZERO = "likes = 0 AND comments = 0 AND reposts = 0"
# Added to her row (PostgreSQL names the row c; SQLite allows no alias in a trigger).
_ADD = ("ON CONFLICT (owner, post_id) DO UPDATE SET likes = c.likes + excluded.likes, "
        "comments = c.comments + excluded.comments, reposts = c.reposts + excluded.reposts")
_ADD_SQLITE = _ADD.replace("c.", "")


def _his_marks(blockers: str, sign: str = "") -> str:
    """(owner, post_id, likes, comments, reposts) of the people in `blockers` (rows of
    owner, blocked), per owner and post."""
    return f"""
    SELECT owner, post_id, {sign}SUM(likes) AS likes, {sign}SUM(comments) AS comments,
           {sign}SUM(reposts) AS reposts FROM (
        SELECT b.owner, l.post_id, COUNT(DISTINCT l.user_id) AS likes, 0 AS comments,
               0 AS reposts
        FROM {blockers} b JOIN post_like l ON l.user_id = b.blocked GROUP BY b.owner, l.post_id
        UNION ALL SELECT b.owner, m.post_id, 0, COUNT(*), 0
        FROM {blockers} b JOIN comment m ON m.author = b.blocked GROUP BY b.owner, m.post_id
        UNION ALL SELECT b.owner, r.repost_of, 0, 0, COUNT(*)
        FROM {blockers} b JOIN post r ON r.author = b.blocked AND r.repost_of IS NOT NULL
        GROUP BY b.owner, r.repost_of
    ) AS marks WHERE true GROUP BY owner, post_id"""


def _sqlite_triggers() -> list[str]:
    statements = []
    for table, post, person, name, distinct, only in _MARKS:
        for op, row in (("INSERT", "NEW"), ("DELETE", "OLD")):
            conditions = [f"{row}.{only}"] if only else []
            if distinct:  # his first like of the post, his last one
                other = " AND l.event_id <> NEW.event_id" if op == "INSERT" else ""
                conditions.append(
                    f"NOT EXISTS (SELECT 1 FROM {table} l WHERE l.{post} = {row}.{post} "
                    f"AND l.{person} = {row}.{person}{other})")
            when = f"WHEN {' AND '.join(conditions)} " if conditions else ""
            owners = f"(SELECT owner FROM user_block WHERE blocked = {row}.{person})"
            if op == "INSERT":
                body = (f"INSERT INTO blocked_mark_count (owner, post_id, {name}) "
                        f"SELECT owner, NEW.{post}, 1 FROM user_block "
                        f"WHERE blocked = NEW.{person} "
                        f"ON CONFLICT (owner, post_id) DO UPDATE SET {name} = {name} + 1;")
            else:
                body = (f"UPDATE blocked_mark_count SET {name} = {name} - 1 "
                        f"WHERE post_id = OLD.{post} AND owner IN {owners}; "
                        f"DELETE FROM blocked_mark_count WHERE post_id = OLD.{post} "
                        f"AND owner IN {owners} AND {_ZERO};")
            statements.append(
                f"CREATE TRIGGER {table}_then_blocked_marks_{op.lower()} AFTER {op} ON {table} "
                f"{when}BEGIN {body} END")
    one = "(SELECT NEW.owner AS owner, NEW.blocked AS blocked)"
    gone = "(SELECT OLD.owner AS owner, OLD.blocked AS blocked)"
    statements.append(
        "CREATE TRIGGER user_block_then_blocked_marks_insert AFTER INSERT ON user_block BEGIN "
        "INSERT INTO blocked_mark_count (owner, post_id, likes, comments, reposts) "
        f"{_his_marks(one)} {_ADD_SQLITE}; END")
    statements.append(
        "CREATE TRIGGER user_block_then_blocked_marks_delete AFTER DELETE ON user_block BEGIN "
        "INSERT INTO blocked_mark_count (owner, post_id, likes, comments, reposts) "
        f"{_his_marks(gone, '-')} {_ADD_SQLITE}; "
        f"DELETE FROM blocked_mark_count WHERE owner = OLD.owner AND {_ZERO} AND post_id IN "
        f"(SELECT post_id FROM ({_his_marks(gone)})); END")
    return statements


_INDEX_PLANS = "SET enable_seqscan = off"  # v9's note: plans kept from small tables


def _lock_people(column: str, shared: bool, only: str = "") -> str:
    """The people of the changed rows, one lock each, in one order for every writer."""
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    where = f" WHERE {only}" if only else ""
    return (f"PERFORM {function}({BLOCK_LOCK}, k) FROM (SELECT DISTINCT "
            f"hashtext({column}) & {BUCKETS - 1} AS k FROM changed{where} ORDER BY 1) AS people;")


def _postgres_triggers() -> list[str]:
    statements = []
    for table, post, person, name, distinct, only in _MARKS:
        where = f"WHERE {only} " if only else ""
        if distinct:
            likers = (f"(SELECT COUNT(*) FROM {table} l WHERE l.{post} = x.post_id "
                      f"AND l.{person} = x.person)")
            counted = f"""
            IF TG_OP = 'INSERT' THEN
                -- He counts when all of his likes of the post are new ones.
                INSERT INTO blocked_mark_count AS c (owner, post_id, {name})
                SELECT b.owner, x.post_id, COUNT(*) FROM (
                    SELECT {post} AS post_id, {person} AS person, COUNT(*) AS k FROM changed
                    GROUP BY 1, 2
                ) x JOIN user_block b ON b.blocked = x.person WHERE {likers} = x.k
                GROUP BY b.owner, x.post_id ORDER BY 1, 2
                ON CONFLICT (owner, post_id) DO UPDATE SET {name} = c.{name} + excluded.{name};
            ELSE
                -- He stops counting when none of his likes of the post is left.
                UPDATE blocked_mark_count AS c SET {name} = c.{name} - x.n FROM (
                    SELECT b.owner, x.post_id, COUNT(*) AS n FROM (
                        SELECT DISTINCT {post} AS post_id, {person} AS person FROM changed
                    ) x JOIN user_block b ON b.blocked = x.person WHERE {likers} = 0
                    GROUP BY b.owner, x.post_id
                ) x WHERE c.owner = x.owner AND c.post_id = x.post_id;
            END IF;"""
        else:
            counted = f"""
            IF TG_OP = 'INSERT' THEN
                INSERT INTO blocked_mark_count AS c (owner, post_id, {name})
                SELECT b.owner, x.{post}, COUNT(*) FROM changed x
                JOIN user_block b ON b.blocked = x.{person} {where}
                GROUP BY b.owner, x.{post} ORDER BY 1, 2
                ON CONFLICT (owner, post_id) DO UPDATE SET {name} = c.{name} + excluded.{name};
            ELSE
                UPDATE blocked_mark_count AS c SET {name} = c.{name} - x.n FROM (
                    SELECT b.owner, x.{post} AS post_id, COUNT(*) AS n FROM changed x
                    JOIN user_block b ON b.blocked = x.{person} {where}
                    GROUP BY b.owner, x.{post}
                ) x WHERE c.owner = x.owner AND c.post_id = x.post_id;
            END IF;"""
        statements.append(f"""
        CREATE FUNCTION {table}_blocked_marks() RETURNS trigger LANGUAGE plpgsql
        {_INDEX_PLANS} AS $$
        BEGIN
            {_lock_people(person, shared=True, only=only)}
            {counted}
            IF TG_OP = 'DELETE' THEN
                DELETE FROM blocked_mark_count c USING (
                    SELECT DISTINCT b.owner, x.{post} AS post_id FROM changed x
                    JOIN user_block b ON b.blocked = x.{person} {where}
                ) k WHERE c.owner = k.owner AND c.post_id = k.post_id
                AND c.likes = 0 AND c.comments = 0 AND c.reposts = 0;
            END IF;
            RETURN NULL;
        END $$""")
    statements.append(f"""
    CREATE FUNCTION user_block_blocked_marks() RETURNS trigger LANGUAGE plpgsql
    {_INDEX_PLANS} AS $$
    BEGIN
        {_lock_people("blocked", shared=False)}
        IF TG_OP = 'INSERT' THEN
            INSERT INTO blocked_mark_count AS c (owner, post_id, likes, comments, reposts)
            {_his_marks("changed")} ORDER BY 1, 2 {_ADD};
        ELSE
            UPDATE blocked_mark_count AS c SET likes = c.likes - x.likes,
                comments = c.comments - x.comments, reposts = c.reposts - x.reposts
            FROM ({_his_marks("changed")}) x
            WHERE c.owner = x.owner AND c.post_id = x.post_id;
            DELETE FROM blocked_mark_count c USING ({_his_marks("changed")}) k
            WHERE c.owner = k.owner AND c.post_id = k.post_id
            AND c.likes = 0 AND c.comments = 0 AND c.reposts = 0;
        END IF;
        RETURN NULL;
    END $$""")
    for table in ("post_like", "comment", "post", "user_block"):
        for op in ("INSERT", "DELETE"):
            statements.append(
                f"CREATE TRIGGER {table}_then_blocked_marks_{op.lower()} AFTER {op} ON {table} "
                f"REFERENCING {'NEW' if op == 'INSERT' else 'OLD'} TABLE AS changed "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_blocked_marks()")
    return statements


DESCRIPTION = "Per-owner counts of the marks of the people she blocked, kept by triggers"


async def upgrade(conn: Connection, scheme: Scheme) -> None:
    await conn.execute(
        """CREATE TABLE blocked_mark_count (
            owner    TEXT NOT NULL,
            post_id  TEXT NOT NULL,
            likes    INTEGER NOT NULL DEFAULT 0,
            comments INTEGER NOT NULL DEFAULT 0,
            reposts  INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (owner, post_id)
        )""")
    # His comments and reposts, for a block or unblock of him.
    await conn.execute("CREATE INDEX comment_author ON comment (author, post_id)")
    await conn.execute(
        "CREATE INDEX post_author_repost ON post (author, repost_of) WHERE repost_of IS NOT NULL")
    await conn.execute(
        "INSERT INTO blocked_mark_count (owner, post_id, likes, comments, reposts) "
        + _his_marks("user_block"))
    for statement in _sqlite_triggers() if scheme == Scheme.SQLITE else _postgres_triggers():
        await conn.execute(statement)
