"""v24: moderation policy lists. policy_room: the policy rooms the operator subscribed to (as
configured, and the room id it resolved to); policy_rule: their current ban rules, one row per
(room, event type, state key), so a rule replaced or removed (empty content) by a later state
event is replaced or removed here."""

from mautrix.util.async_db import Connection, Scheme

DESCRIPTION = "Moderation policy lists: subscribed policy rooms and their current rules"


async def upgrade(conn: Connection, scheme: Scheme) -> None:
    await conn.execute(
        "CREATE TABLE policy_room (room_id TEXT PRIMARY KEY, configured_as TEXT NOT NULL, "
        "synced_ts BIGINT NOT NULL)")
    await conn.execute(
        "CREATE TABLE policy_rule (room_id TEXT NOT NULL, rule_type TEXT NOT NULL, "
        "state_key TEXT NOT NULL, kind TEXT NOT NULL, entity TEXT NOT NULL, "
        "recommendation TEXT NOT NULL, reason TEXT NOT NULL, sender TEXT NOT NULL, "
        "ts BIGINT NOT NULL, PRIMARY KEY (room_id, rule_type, state_key))")
