"""Reports and moderation (docs/events.md, "Reports and moderation"), Matrix-first:

- a report goes to the homeserver's own reporting endpoints as the reporting user (report
  event; report user, else report room for a person's feed room), so the homeserver's admins
  get it in their tools; what the homeserver said is kept with the report in the service's
  own queue (moderation_report), which the operator reads (`matrix-social moderation`, and
  `GET /moderation/reports` for the homeserver's admins);
- a takedown is a redaction by the feed room's bot, then the event leaves the index;
- a suspension makes a local user's feed room read-only (power levels) and hides them from
  explore and search;
- every action is logged with who did it and why (moderation_action)."""

from __future__ import annotations

import json
import logging
from typing import Any

from mautrix.api import Method, Path
from mautrix.errors import MatrixRequestError
from mautrix.types import EventID, EventType, RoomID, UserID
from mautrix.util.async_db import Database

from ..clock import now_ms
from ..content.fields import clean_text
from ..db import comments as comments_db
from ..db import feed_rooms as feed_rooms_db
from ..db import likes as likes_db
from ..db import moderation
from ..db import posts as posts_db
from ..errors import InvalidInput, NotFound
from ..ids import Identities
from ..matrix.intents import Intents
from . import cursor as cursors
from .users import Users

log = logging.getLogger("matrix_social.moderation")
CATEGORIES = ("spam", "harassment", "hate", "violence", "sexual", "self_harm",
              "impersonation", "illegal", "other")
STATUSES = ("open", "resolved")
MAX_REASON = 1000
SUSPENDED_LEVEL = 0
OWNER_LEVEL = 100
READ_ONLY_EVENTS_DEFAULT = 50


def _outcome(endpoint: str, error: MatrixRequestError | None) -> dict[str, str]:
    """What the homeserver said: reported, unsupported (it has no such endpoint) or refused."""
    if error is None:
        return {"endpoint": endpoint, "result": "reported"}
    if error.http_status in (404, 405) and error.errcode in ("M_UNRECOGNIZED", "", None):
        return {"endpoint": endpoint, "result": "unsupported"}
    return {"endpoint": endpoint, "result": "refused",
            "detail": f"{error.http_status} {error.errcode}"}


class Reports:
    def __init__(self, db: Database, ids: Identities, users: Users, intents: Intents) -> None:
        self.db = db
        self.ids = ids
        self.users = users
        self.intents = intents

    async def report(self, reporter: str, body: dict[str, Any]) -> dict[str, Any]:
        event_id, user_id = body.get("event_id"), body.get("user_id")
        if (event_id is None) == (user_id is None):
            raise InvalidInput("Give one of 'event_id' (a post or comment) or 'user_id'")
        category = body.get("category")
        if category not in CATEGORIES:
            raise InvalidInput(f"'category' must be one of {', '.join(CATEGORIES)}")
        reason = clean_text(body.get("reason"), "reason", max_chars=MAX_REASON)
        intent = await self.intents.for_user(reporter)
        room_id = None
        if event_id is not None:
            if not isinstance(event_id, str):
                raise InvalidInput("'event_id' must be an event id")
            found = await moderation.event_room(self.db, event_id)
            if found is None:
                raise NotFound(f"No post or comment {event_id!r}")
            room_id, user_id = found
            matrix = [await self._send(intent, "report_event", Path.v3.rooms[room_id].report[
                event_id], {"reason": f"[{category}] {reason}"})]
        else:
            user_id = await self.users.existing(user_id, "user_id")
            matrix = [await self._send(intent, "report_user", Path.v3.users[user_id].report,
                                       {"reason": f"[{category}] {reason}"})]
            room_id = await feed_rooms_db.room_of(self.db, user_id)
            if matrix[0]["result"] == "unsupported" and room_id:
                matrix.append(await self._send(intent, "report_room",
                                               Path.v3.rooms[room_id].report,
                                               {"reason": f"[{category}] {reason}"}))
        report_id = await moderation.add_report(
            self.db, reporter, event_id, room_id, user_id, category, reason,
            json.dumps(matrix), now_ms())
        return {"id": str(report_id), "status": "open", "matrix": matrix}

    @staticmethod
    async def _send(intent, endpoint: str, path, content: dict) -> dict[str, str]:
        try:
            await intent.api.request(Method.POST, path, content)
        except MatrixRequestError as e:
            log.info("%s answered %s %s", endpoint, e.http_status, e.errcode)
            return _outcome(endpoint, e)
        return _outcome(endpoint, None)


def report_view(row) -> dict[str, Any]:
    return {"id": str(row["id"]), "reporter": row["reporter"], "event_id": row["event_id"],
            "room_id": row["room_id"], "user_id": row["user_id"],
            "category": row["category"], "reason": row["reason"],
            "matrix": json.loads(row["matrix"]), "status": row["status"],
            "created_at": row["ts"]}


class Moderation:
    """The operator's side; `actor` is who acts (a server admin's user id, or the operator at
    the command line), written into the log with the reason."""

    def __init__(self, db: Database, ids: Identities, intents: Intents) -> None:
        self.db = db
        self.ids = ids
        self.intents = intents

    async def reports(self, status: str | None, cursor: str | None,
                      limit: int) -> dict[str, Any]:
        if status is not None and status not in STATUSES:
            raise InvalidInput(f"'status' must be one of {', '.join(STATUSES)}")
        position = cursors.decode(cursor, (int,))
        rows = await moderation.reports(self.db, status, position[0] if position else None,
                                        limit + 1)
        return cursors.page(rows, limit, report_view, lambda r: (r["id"],))

    async def report(self, report_id: str) -> dict[str, Any]:
        row = await moderation.report(self.db, _report_id(report_id))
        if row is None:
            raise NotFound(f"No report {report_id!r}")
        return report_view(row)

    async def resolve(self, report_id: str, actor: str, reason: str) -> dict[str, Any]:
        number = _report_id(report_id)
        if not await moderation.set_status(self.db, number, "resolved"):
            raise NotFound(f"No report {report_id!r}")
        await moderation.log_action(self.db, actor, "resolve", str(number), reason, number,
                                    now_ms())
        return await self.report(report_id)

    async def takedown(self, event_id: str, actor: str, reason: str) -> dict[str, Any]:
        """Redacted by the bot in the event's room (it moderates our feed rooms), then out of
        the index."""
        found = await moderation.event_room(self.db, event_id)
        if found is None:
            raise NotFound(f"No post or comment {event_id!r} in the index")
        room_id = found[0]
        await self.intents.bot.redact(RoomID(room_id), EventID(event_id),
                                      reason=f"Taken down by the moderators: {reason}")
        await posts_db.delete(self.db, event_id)
        await comments_db.delete(self.db, event_id)
        await likes_db.delete(self.db, event_id)
        await moderation.log_action(self.db, actor, "takedown", event_id, reason, None,
                                    now_ms())
        return {"event_id": event_id, "room_id": room_id, "taken_down": True}

    async def suspend(self, user_id: str, actor: str, reason: str) -> dict[str, Any]:
        room_id = await self._local_feed(user_id)
        await self._owner_level(room_id, user_id, SUSPENDED_LEVEL, READ_ONLY_EVENTS_DEFAULT)
        await moderation.suspend(self.db, user_id, actor, reason, now_ms())
        await moderation.log_action(self.db, actor, "suspend", user_id, reason, None, now_ms())
        return {"user_id": user_id, "suspended": True, "room_id": room_id}

    async def unsuspend(self, user_id: str, actor: str, reason: str) -> dict[str, Any]:
        room_id = await self._local_feed(user_id)
        if not await moderation.unsuspend(self.db, user_id):
            raise NotFound(f"{user_id} is not suspended")
        await self._owner_level(room_id, user_id, OWNER_LEVEL, 0)
        await moderation.log_action(self.db, actor, "unsuspend", user_id, reason, None,
                                    now_ms())
        return {"user_id": user_id, "suspended": False, "room_id": room_id}

    async def suspended(self) -> set[str]:
        return await moderation.suspended(self.db)

    async def actions(self, limit: int = 100) -> list[dict[str, Any]]:
        return [{"actor": r["actor"], "action": r["action"], "target": r["target"],
                 "reason": r["reason"], "report_id": r["report_id"], "at": r["ts"]}
                for r in await moderation.actions(self.db, limit)]

    async def _local_feed(self, user_id: str) -> str:
        if self.ids.local_localpart(user_id) is None:
            raise InvalidInput(f"{user_id} is not a user of this server")
        room_id = await feed_rooms_db.room_of(self.db, user_id)
        if room_id is None:
            raise NotFound(f"{user_id} has no feed room")
        return room_id

    async def _owner_level(self, room_id: str, owner: str, level: int,
                           events_default: int) -> None:
        bot = self.intents.bot
        levels = await bot.get_state_event(RoomID(room_id), EventType.ROOM_POWER_LEVELS)
        levels.users[UserID(owner)] = level
        levels.events_default = events_default
        await bot.send_state_event(RoomID(room_id), EventType.ROOM_POWER_LEVELS, levels)


def _report_id(value: str) -> int:
    if not isinstance(value, str) or not value.isascii() or not value.isdigit() \
            or len(value) > 18:
        raise NotFound(f"No report {value!r}")
    return int(value)
