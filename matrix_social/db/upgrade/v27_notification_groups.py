"""v27: notification groups kept, not computed (issue 25). The list grouped a recipient's
rows at read time (GROUP BY group_key over all of them, ordered by each group's newest row):
180-280 ms at 100,000 rows. Now `notification_group` holds one row per (recipient, group_key)
with what that query answered (the newest id and ts, type, post, comment, via, the count of
distinct actors), kept by triggers on notification insert and delete, and back-filled here; a
page is an index range read on (recipient, ts, id), the unread count one on (recipient, id).
A group's type, post, comment and via are the same on all its rows (ingest makes its key of
them: likes and reposts by post, follows by day, everything else by event).

Rows of actors she blocked or mutes are left out before grouping (db/notifications.py): each
group keeps the actors of its newest rows (`id_actor`, `ts_actor`); a group whose newest rows
are nobody she hides keeps its place (its actor count less the hidden actors'), the others are
computed from their visible rows at read time. The actor count needs to know whether the new
row's actor is already in its group: the group index holds the actor (it replaces the one on
(recipient, group_key, id), of which no query used the id)."""

from mautrix.util.async_db import Connection, Scheme

DESCRIPTION = "Notification groups kept by triggers"

# The new row's actor already has a row in its group (the new row itself excepted).
_SEEN = ("EXISTS (SELECT 1 FROM notification n WHERE n.recipient = NEW.recipient "
         "AND n.group_key = NEW.group_key AND n.actor = NEW.actor AND n.id <> NEW.id)")
_OF_OLD = "n.recipient = OLD.recipient AND n.group_key = OLD.group_key"
# After a delete: the group as the grouped query computes it from the rows left.
_RECOMPUTE = (
    "UPDATE notification_group SET "
    f"id = (SELECT MAX(n.id) FROM notification n WHERE {_OF_OLD}), "
    f"ts = (SELECT MAX(n.ts) FROM notification n WHERE {_OF_OLD}), "
    f"type = (SELECT MIN(n.type) FROM notification n WHERE {_OF_OLD}), "
    f"post_id = (SELECT MIN(n.post_id) FROM notification n WHERE {_OF_OLD}), "
    f"comment_id = (SELECT MIN(n.comment_id) FROM notification n WHERE {_OF_OLD}), "
    f"via = (SELECT MIN(n.via) FROM notification n WHERE {_OF_OLD}), "
    f"actor_count = (SELECT COUNT(DISTINCT n.actor) FROM notification n WHERE {_OF_OLD}), "
    f"id_actor = (SELECT n.actor FROM notification n WHERE {_OF_OLD} ORDER BY n.id DESC LIMIT 1), "
    f"ts_actor = (SELECT n.actor FROM notification n WHERE {_OF_OLD} "
    "ORDER BY n.ts DESC, n.id DESC LIMIT 1) "
    "WHERE recipient = OLD.recipient AND group_key = OLD.group_key")
_DROP_EMPTY = (
    "DELETE FROM notification_group WHERE recipient = OLD.recipient "
    f"AND group_key = OLD.group_key AND NOT EXISTS (SELECT 1 FROM notification n WHERE {_OF_OLD})")
_COLUMNS = ("recipient, group_key, type, post_id, comment_id, via, id, ts, actor_count, "
            "id_actor, ts_actor")
_VALUES = ("NEW.recipient, NEW.group_key, NEW.type, NEW.post_id, NEW.comment_id, NEW.via, "
           "NEW.id, NEW.ts, 1, NEW.actor, NEW.actor")
# PostgreSQL counts the actor in a statement of its own (below).
_VALUES_UNCOUNTED = _VALUES.replace("NEW.ts, 1,", "NEW.ts, 0,")
# The actors of the rows holding the newest id and the newest ts (of rows with equal ts, any):
# while neither is someone she hides, the group keeps its place in her list.
_NEWEST_ACTORS = ("id_actor = CASE WHEN NEW.id > {g}id THEN NEW.actor ELSE {g}id_actor END, "
                  "ts_actor = CASE WHEN NEW.ts > {g}ts THEN NEW.actor ELSE {g}ts_actor END")
GROUPED = (
    "SELECT recipient, group_key, MIN(type) AS type, MIN(post_id) AS post_id, "
    "MIN(comment_id) AS comment_id, MIN(via) AS via, MAX(id) AS id, MAX(ts) AS ts, "
    "COUNT(DISTINCT actor) AS actor_count FROM notification GROUP BY recipient, group_key")
_OF_GROUP = ("n.recipient = notification_group.recipient "
             "AND n.group_key = notification_group.group_key")


async def upgrade(conn: Connection, scheme: Scheme) -> None:
    await conn.execute("""CREATE TABLE notification_group (
        recipient   TEXT NOT NULL,
        group_key   TEXT NOT NULL,
        type        TEXT NOT NULL,
        post_id     TEXT,
        comment_id  TEXT,
        via         TEXT,
        id          BIGINT NOT NULL,
        ts          BIGINT NOT NULL,
        actor_count INTEGER NOT NULL,
        id_actor    TEXT NOT NULL,
        ts_actor    TEXT NOT NULL,
        PRIMARY KEY (recipient, group_key)
    )""")
    await conn.execute(
        "CREATE INDEX notification_group_page ON notification_group (recipient, ts, id)")
    await conn.execute("CREATE INDEX notification_group_unread ON notification_group "
                       "(recipient, id, id_actor)")
    await conn.execute("CREATE INDEX notification_group_id_actor ON notification_group "
                       "(recipient, id_actor, ts)")
    await conn.execute("CREATE INDEX notification_group_ts_actor ON notification_group "
                       "(recipient, ts_actor, ts)")
    await conn.execute("DROP INDEX notification_group_idx")
    await conn.execute("CREATE INDEX notification_group_actor_idx ON notification "
                       "(recipient, group_key, actor)")
    await conn.execute(
        f"INSERT INTO notification_group ({_COLUMNS}) SELECT grouped.*, '', '' FROM ({GROUPED}) "
        "AS grouped")
    await conn.execute(
        "UPDATE notification_group SET "
        f"id_actor = (SELECT n.actor FROM notification n WHERE {_OF_GROUP} "
        "ORDER BY n.id DESC LIMIT 1), "
        f"ts_actor = (SELECT n.actor FROM notification n WHERE {_OF_GROUP} "
        "ORDER BY n.ts DESC, n.id DESC LIMIT 1)")
    if scheme == Scheme.SQLITE:
        # SQLite's two-argument MIN is NULL when either is: COALESCE keeps the other.
        def least(col: str) -> str:
            return f"COALESCE(MIN({col}, NEW.{col}), {col}, NEW.{col})"
        await conn.execute(f"""CREATE TRIGGER notification_group_add AFTER INSERT ON notification
        BEGIN
            UPDATE notification_group SET {_NEWEST_ACTORS.format(g="")},
                id = MAX(id, NEW.id), ts = MAX(ts, NEW.ts),
                type = MIN(type, NEW.type), post_id = {least('post_id')},
                comment_id = {least('comment_id')}, via = {least('via')},
                actor_count = actor_count + CASE WHEN {_SEEN} THEN 0 ELSE 1 END
            WHERE recipient = NEW.recipient AND group_key = NEW.group_key;
            INSERT INTO notification_group ({_COLUMNS}) SELECT {_VALUES}
            WHERE NOT EXISTS (SELECT 1 FROM notification_group g
                              WHERE g.recipient = NEW.recipient AND g.group_key = NEW.group_key);
        END""")
        await conn.execute(f"""CREATE TRIGGER notification_group_remove AFTER DELETE
        ON notification BEGIN {_DROP_EMPTY}; {_RECOMPUTE}; END""")
        return
    # PostgreSQL: LEAST and GREATEST ignore NULLs, as MIN and MAX do. The upsert locks the
    # group's row, so two transactions adding to one group go one after the other; whether the
    # actor is new is asked in the next statement, which takes a new snapshot and so sees the
    # rows of a transaction it waited for (asked inside the upsert, it would not, and two rows
    # of one actor written at once would count him twice).
    await conn.execute(f"""CREATE FUNCTION notification_group_add() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO notification_group AS g ({_COLUMNS}) VALUES ({_VALUES_UNCOUNTED})
        ON CONFLICT (recipient, group_key) DO UPDATE SET {_NEWEST_ACTORS.format(g="g.")},
            id = GREATEST(g.id, NEW.id), ts = GREATEST(g.ts, NEW.ts),
            type = LEAST(g.type, NEW.type), post_id = LEAST(g.post_id, NEW.post_id),
            comment_id = LEAST(g.comment_id, NEW.comment_id), via = LEAST(g.via, NEW.via);
        UPDATE notification_group SET actor_count = actor_count + 1
        WHERE recipient = NEW.recipient AND group_key = NEW.group_key AND NOT {_SEEN};
        RETURN NULL;
    END $$""")
    await conn.execute(f"""CREATE FUNCTION notification_group_remove() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        {_DROP_EMPTY};
        {_RECOMPUTE};
        RETURN NULL;
    END $$""")
    await conn.execute("CREATE TRIGGER notification_group_add AFTER INSERT ON notification "
                       "FOR EACH ROW EXECUTE FUNCTION notification_group_add()")
    await conn.execute("CREATE TRIGGER notification_group_remove AFTER DELETE ON notification "
                       "FOR EACH ROW EXECUTE FUNCTION notification_group_remove()")
