"""v21: what the live streams share between API processes (docs/replicas.md): the single-use
tickets an EventSource connects with (issued by one process, redeemed by whichever the proxy
picks), and the posts each user has on screen (told to one process, pushed by the one holding
her stream), per screen (a browser tab)."""

from mautrix.util.async_db import Connection, Scheme

DESCRIPTION = "Live stream tickets and watched posts shared between API processes"


async def upgrade(conn: Connection, scheme: Scheme) -> None:
    await conn.execute("""CREATE TABLE live_ticket (
        ticket     TEXT PRIMARY KEY,
        user_id    TEXT NOT NULL,
        expires_at BIGINT NOT NULL
    )""")
    await conn.execute("CREATE INDEX live_ticket_expiry_idx ON live_ticket (expires_at)")
    await conn.execute("""CREATE TABLE live_watch (
        user_id    TEXT PRIMARY KEY,
        screens    TEXT NOT NULL
    )""")
