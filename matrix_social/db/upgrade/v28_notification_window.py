"""v28: her notifications by time (issue 25). A page of her kept groups (v27) whose newest rows
are by someone she blocks or mutes is completed from those groups that have a row she sees in
the page's window of time (db/notifications.py `groups`): the rows are found by this index on
(recipient, ts), where before every such group above the page was grouped again (1,000 blocks:
page 50 of the list regrouped some 200 groups). The indexes on a kept group's newest actors
were read by that search only and go (each one was rewritten at every new notification)."""

from mautrix.util.async_db import Connection, Scheme

DESCRIPTION = "Notifications indexed by recipient and time; the kept groups' actor indexes go"


async def upgrade(conn: Connection, scheme: Scheme) -> None:
    await conn.execute("CREATE INDEX notification_recipient_ts ON notification (recipient, ts)")
    await conn.execute("DROP INDEX notification_group_id_actor")
    await conn.execute("DROP INDEX notification_group_ts_actor")
