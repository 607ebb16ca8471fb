"""policy_room and policy_rule: the subscribed moderation policy rooms and their current
rules, written and read by matrix/policy_lists.py."""

from __future__ import annotations

from . import Executor


async def set_rooms(db: Executor, rooms: dict[str, tuple[str, int]]) -> None:
    """The subscribed rooms are exactly these (room id -> (as configured, when read)); the
    rules of a room no longer subscribed go with it."""
    for room_id, (configured, ts) in rooms.items():
        await db.execute(
            "INSERT INTO policy_room (room_id, configured_as, synced_ts) VALUES ($1, $2, $3) "
            "ON CONFLICT (room_id) DO UPDATE SET configured_as=excluded.configured_as, "
            "synced_ts=excluded.synced_ts", room_id, configured, ts)
    for row in await db.fetch("SELECT room_id FROM policy_room"):
        if row["room_id"] not in rooms:
            await db.execute("DELETE FROM policy_rule WHERE room_id=$1", row["room_id"])
            await db.execute("DELETE FROM policy_room WHERE room_id=$1", row["room_id"])


async def rooms(db: Executor) -> list:
    return await db.fetch("SELECT room_id, configured_as, synced_ts FROM policy_room "
                          "ORDER BY configured_as")


async def upsert(db: Executor, room_id: str, rule_type: str, state_key: str, kind: str,
                 entity: str, recommendation: str, reason: str, sender: str, ts: int) -> None:
    await db.execute(
        "INSERT INTO policy_rule (room_id, rule_type, state_key, kind, entity, recommendation, "
        "reason, sender, ts) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
        "ON CONFLICT (room_id, rule_type, state_key) DO UPDATE SET kind=excluded.kind, "
        "entity=excluded.entity, recommendation=excluded.recommendation, "
        "reason=excluded.reason, sender=excluded.sender, ts=excluded.ts",
        room_id, rule_type, state_key, kind, entity, recommendation, reason, sender, ts)


async def remove(db: Executor, room_id: str, rule_type: str, state_key: str) -> None:
    await db.execute("DELETE FROM policy_rule WHERE room_id=$1 AND rule_type=$2 "
                     "AND state_key=$3", room_id, rule_type, state_key)


async def clear_room(db: Executor, room_id: str) -> None:
    await db.execute("DELETE FROM policy_rule WHERE room_id=$1", room_id)


async def all_rules(db: Executor) -> list:
    return await db.fetch("SELECT room_id, rule_type, state_key, kind, entity, recommendation, "
                          "reason, sender, ts FROM policy_rule ORDER BY room_id, ts")


async def known_users(db: Executor) -> list[str]:
    """Users the index knows (a profile or a feed room), for the operator's view."""
    rows = await db.fetch(
        "SELECT user_id FROM profile UNION SELECT owner FROM feed_room ORDER BY 1")
    return [row[0] for row in rows]
