"""v15: safety. Blocks and mutes (bridge state: a person's own choices, the ban and the
ignore list in Matrix are their public side), muted words, reports and the moderation log."""

from mautrix.util.async_db import Connection, Scheme

DESCRIPTION = "Safety: blocks, mutes, muted words, reports, moderation log"


async def upgrade(conn: Connection, scheme: Scheme) -> None:
    # `via`: the person whose block brought this row along (his AI blocked with him).
    await conn.execute(
        """CREATE TABLE user_block (
            owner   TEXT NOT NULL,
            blocked TEXT NOT NULL,
            via     TEXT,
            ts      BIGINT NOT NULL,
            PRIMARY KEY (owner, blocked)
        )""")
    await conn.execute("CREATE INDEX user_block_owner_ts ON user_block (owner, ts, blocked)")
    await conn.execute("CREATE INDEX user_block_blocked ON user_block (blocked)")
    await conn.execute(
        """CREATE TABLE user_mute (
            owner      TEXT NOT NULL,
            muted      TEXT NOT NULL,
            expires_at BIGINT,
            ts         BIGINT NOT NULL,
            PRIMARY KEY (owner, muted)
        )""")
    id_column = ("id INTEGER PRIMARY KEY AUTOINCREMENT" if scheme == Scheme.SQLITE
                 else "id BIGSERIAL PRIMARY KEY")
    await conn.execute(
        f"""CREATE TABLE muted_word (
            {id_column},
            owner      TEXT NOT NULL,
            word       TEXT NOT NULL,
            feed       BOOLEAN NOT NULL,
            notifications BOOLEAN NOT NULL,
            expires_at BIGINT,
            ts         BIGINT NOT NULL,
            UNIQUE (owner, word)
        )""")
    await conn.execute(
        f"""CREATE TABLE moderation_report (
            {id_column},
            reporter   TEXT NOT NULL,
            event_id   TEXT,
            room_id    TEXT,
            user_id    TEXT,
            category   TEXT NOT NULL,
            reason     TEXT NOT NULL,
            matrix     TEXT NOT NULL,
            status     TEXT NOT NULL,
            ts         BIGINT NOT NULL
        )""")
    await conn.execute(
        "CREATE INDEX moderation_report_status ON moderation_report (status, id)")
    await conn.execute(
        f"""CREATE TABLE moderation_action (
            {id_column},
            actor      TEXT NOT NULL,
            action     TEXT NOT NULL,
            target     TEXT NOT NULL,
            reason     TEXT NOT NULL,
            report_id  BIGINT,
            ts         BIGINT NOT NULL
        )""")
    await conn.execute(
        """CREATE TABLE suspended_user (
            user_id TEXT PRIMARY KEY,
            actor   TEXT NOT NULL,
            reason  TEXT NOT NULL,
            ts      BIGINT NOT NULL
        )""")
