"""v18: notifications, derived by ingest from the index rows of the same transaction, and how
far each user has read them."""

from mautrix.util.async_db import Connection, Scheme

DESCRIPTION = "Notifications and their read positions"


async def upgrade(conn: Connection, scheme: Scheme) -> None:
    id_column = ("id INTEGER PRIMARY KEY AUTOINCREMENT" if scheme == Scheme.SQLITE
                 else "id BIGSERIAL PRIMARY KEY")
    # One row per (recipient, source event): the API's own copy of an event and the
    # transaction's copy derive the same row once. group_key groups rows when read (likes and
    # reposts by post, follows by day, everything else by event).
    await conn.execute(f"""CREATE TABLE notification (
        {id_column},
        recipient  TEXT NOT NULL,
        type       TEXT NOT NULL,
        actor      TEXT NOT NULL,
        event_id   TEXT NOT NULL,
        post_id    TEXT,
        comment_id TEXT,
        via        TEXT,
        group_key  TEXT NOT NULL,
        ts         BIGINT NOT NULL,
        UNIQUE (recipient, event_id)
    )""")
    await conn.execute("CREATE INDEX notification_recipient_idx ON notification (recipient, id)")
    await conn.execute(
        "CREATE INDEX notification_group_idx ON notification (recipient, group_key, id)")
    await conn.execute("CREATE INDEX notification_event_idx ON notification (event_id)")
    await conn.execute(
        "CREATE TABLE notification_read (user_id TEXT PRIMARY KEY, up_to BIGINT NOT NULL)")
