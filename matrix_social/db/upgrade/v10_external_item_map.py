"""v10: the external item map per connection."""

from mautrix.util.async_db import Connection, Scheme

DESCRIPTION = ("The external item map per connection: (user, platform, "
               "account, remote id)")


async def upgrade(conn: Connection, scheme: Scheme) -> None:
    # Two users may connect the same external account; each has her own portal, so an item is
    # mapped once per user. Existing rows get the user whose portal (inbound) or cross-post
    # (outbound) they belong to.
    await conn.execute(
        """CREATE TABLE external_item_v10 (
            user_id     TEXT NOT NULL,
            platform    TEXT NOT NULL,
            account_key TEXT NOT NULL,
            remote_id   TEXT NOT NULL,
            event_id    TEXT NOT NULL,
            room_id     TEXT NOT NULL,
            origin      TEXT NOT NULL,
            version     TEXT,
            created_at  BIGINT NOT NULL,
            PRIMARY KEY (user_id, platform, account_key, remote_id)
        )"""
    )
    await conn.execute(
        """INSERT INTO external_item_v10 (user_id, platform, account_key, remote_id, event_id,
                                          room_id, origin, version, created_at)
           SELECT COALESCE(
                      (SELECT p.user_id FROM portal_room p WHERE p.room_id = e.room_id),
                      (SELECT MIN(d.user_id) FROM cross_post_delivery d
                       WHERE d.post_event_id = e.event_id AND d.target = e.platform),
                      ''),
                  e.platform, e.account_key, e.remote_id, e.event_id, e.room_id, e.origin,
                  e.version, e.created_at
           FROM external_item e"""
    )
    await conn.execute("DROP TABLE external_item")
    await conn.execute("ALTER TABLE external_item_v10 RENAME TO external_item")
    await conn.execute("CREATE INDEX external_item_event ON external_item (event_id)")
