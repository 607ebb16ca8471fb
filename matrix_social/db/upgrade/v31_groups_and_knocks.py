"""v31: MSC4501 group rooms and follows waiting for an answer to a knock (issue 27).

group_room: an ownerless group page a user of ours follows, recorded when the room's create
event (read from the room itself, once joined) says it is of MSC4501's group type; its name
follows the room's m.room.name, its moderators (a JSON list: whoever the room's power levels
let redact others' events, "*" for everybody) its m.room.power_levels, and in room versions
whose creators outrank every power level (12) its creators, from its m.room.create. Never from
a claim in any other state event, and a room is never both a feed room and a group (a room
recorded as one is refused as the other).

follow_request: a follow of a room whose join rule is `knock`: the user knocked and waits for
an invite (state 'pending'), or the room said no (state 'refused': the knock was answered with
a leave or a ban). `kind` says what the room is followed as ('group', or 'profile' with the
owner in `target`); `via` is the server the knock went through. The row goes when the invite
is accepted (the follow row then comes from the join, as any follow's), when the user
withdraws, or when she follows again. The same SQL on SQLite and PostgreSQL."""

from mautrix.util.async_db import Connection, Scheme

DESCRIPTION = "MSC4501 group rooms, and follows pending on a knock"


async def upgrade(conn: Connection, scheme: Scheme) -> None:
    await conn.execute(
        """CREATE TABLE group_room (
            room_id    TEXT PRIMARY KEY,
            name       TEXT NOT NULL DEFAULT '',
            moderators TEXT NOT NULL DEFAULT '[]',
            creators   TEXT NOT NULL DEFAULT '[]',
            created_at BIGINT NOT NULL
        )"""
    )
    await conn.execute(
        """CREATE TABLE follow_request (
            room_id    TEXT NOT NULL,
            user_id    TEXT NOT NULL,
            kind       TEXT NOT NULL,
            target     TEXT NOT NULL DEFAULT '',
            via        TEXT NOT NULL DEFAULT '',
            state      TEXT NOT NULL,
            reason     TEXT NOT NULL DEFAULT '',
            ts         BIGINT NOT NULL,
            PRIMARY KEY (room_id, user_id)
        )"""
    )
    await conn.execute("CREATE INDEX follow_request_user ON follow_request (user_id, ts)")
