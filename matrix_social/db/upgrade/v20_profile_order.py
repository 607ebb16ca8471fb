"""v20: when the profile's two parts were last set (origin_server_ts of the event, or the
time the service wrote what the homeserver accepted): an older event arriving late (a
transaction retried, the service's own write indexed before the homeserver delivers the
event before it) no longer undoes a newer one."""

from mautrix.util.async_db import Connection, Scheme

DESCRIPTION = "Profile: the time each part was last set, so late events cannot undo newer ones"


async def upgrade(conn: Connection, scheme: Scheme) -> None:
    await conn.execute("ALTER TABLE profile ADD COLUMN member_ts BIGINT")
    await conn.execute("ALTER TABLE profile ADD COLUMN details_ts BIGINT")
