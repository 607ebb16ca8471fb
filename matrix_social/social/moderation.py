"""Reports and moderation (docs/events.md, "Reports and moderation"), Matrix-first:

- a report goes to the homeserver's own reporting endpoints as the reporting user (report
  event; report user, else report room for a person's feed room), so the homeserver's admins
  get it in their tools; what the homeserver said is kept with the report in the service's
  own queue (moderation_report), which the operator reads (`matrix-social moderation`, and
  `GET /moderation/reports` for the homeserver's admins);
- a takedown is a redaction by the feed room's bot, then the event leaves the index;
- a suspension, of a user of this server or of any other, bars him as a policy rule would
  (matrix/bars.py: refused at the API and at ingest, hidden from every view but his own), ends
  his follows (the bot kicks him from our feed rooms he was seen in), takes his likes,
  comments, reposts, hashtags and notifications out of the index (so the counts are what a
  reindex would make of the rooms), and makes a local user's feed room read-only (power
  levels); lifting it ends the bars and gives his hashtags back (see `unsuspend`);
- every action is logged with who did it and why (moderation_action);
- the policy lists the operator subscribed to (matrix/policy_lists.py): their rooms, rules and
  whom of the index they bar, for the operator to see (`policies`)."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from mautrix.api import Method, Path
from mautrix.errors import MatrixRequestError
from mautrix.types import EventID, EventType, RoomID, UserID
from mautrix.util.async_db import Database

from ..clock import now_ms
from ..content.fields import clean_text
from ..content.tags import tags_in
from ..db import comments as comments_db
from ..db import feed_rooms as feed_rooms_db
from ..db import likes as likes_db
from ..db import moderation, policy_rules, post_tags
from ..db import posts as posts_db
from ..db import profiles as profiles_db
from ..db.retry import in_transaction
from ..errors import InvalidInput, NotFound
from ..ids import Identities
from ..matrix.bars import SUSPENSIONS_TTL, Bars
from ..matrix.intents import Intents
from ..matrix.policy_lists import PolicyLists
from . import cursor as cursors
from .users import Users
from .views import author_view

log = logging.getLogger("matrix_social.moderation")
CATEGORIES = ("spam", "harassment", "hate", "violence", "sexual", "self_harm",
              "impersonation", "illegal", "other")
STATUSES = ("open", "resolved")
MAX_REASON = 1000
SUSPENDED_LEVEL = 0
OWNER_LEVEL = 100
READ_ONLY_EVENTS_DEFAULT = 50
KICK_REASON = "Suspended by this server's moderators"
MAX_KICKS = 1000  # rooms a suspension kicks him from; beyond, the index alone ends his follows


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


def action_view(row) -> dict[str, Any]:
    return {"actor": row["actor"], "action": row["action"], "target": row["target"],
            "reason": row["reason"],
            "report_id": None if row["report_id"] is None else str(row["report_id"]),
            "at": row["ts"]}


def _why(reason: Any) -> str:
    """Every moderation action says why (kept in the log with who acted)."""
    return clean_text(reason, "reason", max_chars=MAX_REASON)


class Moderation:
    """The operator's side; `actor` is who acts (a server admin's user id, or the operator at
    the command line), written into the log with the reason."""

    def __init__(self, db: Database, ids: Identities, intents: Intents,
                 policy: PolicyLists | None = None, bars: Bars | None = None) -> None:
        self.db = db
        self.ids = ids
        self.intents = intents
        self.policy = policy
        self.bars = bars or Bars(db, policy)
        self._sweeps: set[asyncio.Task] = set()

    async def policies(self) -> dict[str, Any]:
        """The subscribed policy rooms with their rule counts, the rules, and which users the
        index knows are barred now, by which rule."""
        rules = await policy_rules.all_rules(self.db)
        counts: dict[str, dict[str, int]] = {}
        for r in rules:
            room = counts.setdefault(r["room_id"], {"user": 0, "server": 0})
            room[r["kind"]] += 1
        rooms = [{"room_id": r["room_id"], "configured_as": r["configured_as"],
                  "synced_at": r["synced_ts"],
                  "rules": counts.get(r["room_id"], {"user": 0, "server": 0})}
                 for r in await policy_rules.rooms(self.db)]
        matched = []
        if self.policy is not None:
            matcher = await self.policy.matcher()
            for user_id in await policy_rules.known_users(self.db) if matcher else []:
                rule = matcher.match(user_id)
                if rule is not None:
                    matched.append({"user_id": user_id, "room_id": rule.room_id,
                                    "kind": rule.kind, "entity": rule.entity,
                                    "rule": rule.state_key, "reason": rule.reason})
        return {"configured": list(self.policy.configured) if self.policy else [],
                "rooms": rooms,
                "rules": [{"room_id": r["room_id"], "type": r["rule_type"],
                           "rule": r["state_key"], "kind": r["kind"], "entity": r["entity"],
                           "recommendation": r["recommendation"], "reason": r["reason"],
                           "sender": r["sender"], "at": r["ts"]} for r in rules],
                "matched_users": matched}

    async def reports(self, status: str | None, cursor: str | None,
                      limit: int) -> dict[str, Any]:
        """The queue, newest first, each report with what it is about (the post or comment as
        the index has it, or the person) and what was done about it."""
        if status is not None and status not in STATUSES:
            raise InvalidInput(f"'status' must be one of {', '.join(STATUSES)}")
        position = cursors.decode(cursor, (int,))
        rows = await moderation.reports(self.db, status, position[0] if position else None,
                                        limit + 1)
        answer = cursors.page(rows, limit, report_view, lambda r: (r["id"],))
        await self._with_targets(answer["items"])
        return answer

    async def report(self, report_id: str) -> dict[str, Any]:
        row = await moderation.report(self.db, _report_id(report_id))
        if row is None:
            raise NotFound(f"No report {report_id!r}")
        view = report_view(row)
        await self._with_targets([view])
        return view

    async def resolve(self, report_id: str, actor: str, reason: Any) -> dict[str, Any]:
        why = _why(reason)
        number = _report_id(report_id)
        if not await moderation.set_status(self.db, number, "resolved"):
            raise NotFound(f"No report {report_id!r}")
        await moderation.log_action(self.db, actor, "resolve", str(number), why, number,
                                    now_ms())
        log.info("%s resolved report %s: %s", actor, number, why)
        return await self.report(report_id)

    async def takedown(self, event_id: Any, actor: str, reason: Any,
                       report_id: Any = None) -> dict[str, Any]:
        """Redacted by the bot in the event's room (it moderates our feed rooms), then out of
        the index; with `report_id`, that report is resolved by it."""
        why = _why(reason)
        if not isinstance(event_id, str) or not event_id:
            raise InvalidInput("'event_id' must be an event id")
        report = await self._report_to_resolve(report_id)
        found = await moderation.event_room(self.db, event_id)
        if found is None:
            raise NotFound(f"No post or comment {event_id!r} in the index")
        room_id = found[0]
        await self.intents.bot.redact(RoomID(room_id), EventID(event_id),
                                      reason=f"Taken down by the moderators: {why}")
        await in_transaction(self.db, _out_of_the_index, event_id)
        await self._logged(actor, "takedown", event_id, why, report)
        return {"event_id": event_id, "room_id": room_id, "taken_down": True}

    async def suspend(self, user_id: Any, actor: str, reason: Any,
                      report_id: Any = None) -> dict[str, Any]:
        """A user of this server or of any other (docs/events.md, "Reports and moderation").
        The bar first (told to every process), then what he already did: kicked from our
        feed rooms, his marks out of the index; then swept once more when every process has
        surely read the bar (what a process indexed of his meanwhile)."""
        why = _why(reason)
        target = self._user_id(user_id)
        report = await self._report_to_resolve(report_id)
        local = self.ids.local_localpart(target) is not None
        room_id = await self._feed_of(target, local)
        if local:
            await self._owner_level(room_id, target, SUSPENDED_LEVEL, READ_ONLY_EVENTS_DEFAULT)
        await moderation.suspend(self.db, target, actor, why, now_ms())
        await self.bars.changed()
        kicked = await self._kick_out(target)
        removed = await in_transaction(self.db, moderation.forget_marks_of, target)
        await self._logged(actor, "suspend", target, why, report)
        self._sweep_later(target)
        return {"user_id": target, "suspended": True, "room_id": room_id, "local": local,
                "kicked_from": kicked, "removed": removed}

    async def unsuspend(self, user_id: Any, actor: str, reason: Any) -> dict[str, Any]:
        """The bars end at once, in every process; a local feed room is writable again; his
        posts get their hashtags back. Not given back: his follows (he follows again by
        joining), and the likes, comments, reposts and notifications taken out of the index
        (still in the rooms, unredacted: a `reindex` reads them again)."""
        why = _why(reason)
        target = self._user_id(user_id)
        local = self.ids.local_localpart(target) is not None
        room_id = await self._feed_of(target, local)
        if not await moderation.unsuspend(self.db, target):
            raise NotFound(f"{target} is not suspended")
        await self.bars.changed()
        if local:
            await self._owner_level(room_id, target, OWNER_LEVEL, 0)
        rows = [(tag, r["event_id"], target, r["ts"])
                for r in await moderation.posts_of(self.db, target) for tag in tags_in(r["body"])]
        await in_transaction(self.db, post_tags.put_back, rows)
        await self._logged(actor, "unsuspend", target, why, None)
        return {"user_id": target, "suspended": False, "room_id": room_id, "local": local,
                "restored": {"hashtags": len(rows)}}

    async def suspended(self) -> set[str]:
        return await moderation.suspended(self.db)

    async def suspensions(self) -> list[dict[str, Any]]:
        """Every suspension, of this server's users and of others', newest first."""
        views = []
        for row in await moderation.suspensions(self.db):
            name, avatar = await profiles_db.get(self.db, row["user_id"])
            views.append({
                "user": author_view(row["user_id"], name, avatar,
                                    self.ids.handle_of(row["user_id"])),
                "local": self.ids.local_localpart(row["user_id"]) is not None,
                "actor": row["actor"], "reason": row["reason"], "since": row["ts"]})
        return views

    async def swept(self) -> None:
        """Wait for the second sweeps still to come (the command line, before it exits)."""
        while self._sweeps:
            await asyncio.gather(*self._sweeps, return_exceptions=True)

    def _sweep_later(self, target: str) -> None:
        task = asyncio.get_running_loop().create_task(self._sweep(target))
        self._sweeps.add(task)
        task.add_done_callback(self._sweeps.discard)

    async def _sweep(self, target: str) -> None:
        await asyncio.sleep(SUSPENSIONS_TTL + 1)
        if target in await moderation.suspended(self.db):
            again = await in_transaction(self.db, moderation.forget_marks_of, target)
            if any(again.values()):
                log.info("Suspension of %s: swept again %s", target, again)

    async def _kick_out(self, target: str) -> int:
        """His follows end in Matrix too: the bot (which moderates our feed rooms) kicks him
        from each of them the index saw him in. A kick, not a ban: he may join again, and
        the index does not take it while he is suspended."""
        rooms = await moderation.local_rooms_of(self.db, target, self.ids.bot)
        kicked = 0
        for room_id in rooms[:MAX_KICKS]:
            try:
                await self.intents.bot.kick_user(RoomID(room_id), UserID(target), KICK_REASON)
                kicked += 1
            except MatrixRequestError as e:  # he left already; the room is gone
                log.info("Could not kick %s from %s: %s", target, room_id, e)
        if len(rooms) > MAX_KICKS:
            log.warning("Suspension of %s: %d rooms left unkicked", target,
                        len(rooms) - MAX_KICKS)
        return kicked

    async def actions(self, limit: int = 100) -> list[dict[str, Any]]:
        return [action_view(r) for r in await moderation.actions(self.db, limit)]

    async def _report_to_resolve(self, report_id: Any) -> int | None:
        """Checked before anything is done: an action on an unknown report does nothing."""
        if report_id is None:
            return None
        number = _report_id(report_id)
        if await moderation.report(self.db, number) is None:
            raise NotFound(f"No report {report_id!r}")
        return number

    async def _logged(self, actor: str, action: str, target: str, why: str,
                      report: int | None) -> None:
        await moderation.log_action(self.db, actor, action, target, why, report, now_ms())
        if report is not None:
            await moderation.set_status(self.db, report, "resolved")
        log.info("%s: %s %s: %s", actor, action, target, why)

    async def _with_targets(self, views: list[dict[str, Any]]) -> None:
        event_ids = sorted({v["event_id"] for v in views if v["event_id"]})
        events = {r["event_id"]: r for r in await moderation.events_of(self.db, event_ids)}
        gone = await moderation.taken_down(self.db, event_ids)
        suspended = await moderation.suspended(self.db)
        done: dict[str, list] = {}
        for row in await moderation.actions_of_reports(self.db, [int(v["id"]) for v in views]):
            done.setdefault(str(row["report_id"]), []).append(action_view(row))
        people: dict[str, dict[str, Any]] = {}
        for who in sorted({v["user_id"] for v in views if v["user_id"]}
                          | {v["reporter"] for v in views}):
            name, avatar = await profiles_db.get(self.db, who)
            people[who] = author_view(who, name, avatar, self.ids.handle_of(who))
        for view in views:
            event = events.get(view["event_id"]) if view["event_id"] else None
            view["target"] = {
                "kind": (event["kind"] if event else "event") if view["event_id"] else "user",
                "user": people.get(view["user_id"]) if view["user_id"] else None,
                "text": event["body"] if event else None,
                "posted_at": event["ts"] if event else None,
                "taken_down": view["event_id"] in gone,
                "suspended": view["user_id"] in suspended,
            }
            view["reporter_profile"] = people[view["reporter"]]
            view["actions"] = done.get(view["id"], [])

    def _user_id(self, value: Any) -> str:
        if not isinstance(value, str) or self.ids.split(value) is None:
            raise InvalidInput("'user_id' must be a Matrix user ID such as @bob:example.org")
        if value == self.ids.bot:
            raise InvalidInput("The service's own bot cannot be suspended")
        return value

    async def _feed_of(self, user_id: str, local: bool) -> str | None:
        """A local user's feed room (she must have one); another server's user's, if the
        index knows it (he may be suspended before we ever saw him)."""
        room_id = await feed_rooms_db.room_of(self.db, user_id)
        if local and room_id is None:
            raise NotFound(f"{user_id} has no feed room")
        return room_id

    async def _owner_level(self, room_id: str, owner: str, level: int,
                           events_default: int) -> None:
        bot = self.intents.bot
        levels = await bot.get_state_event(RoomID(room_id), EventType.ROOM_POWER_LEVELS)
        levels.users[UserID(owner)] = level
        levels.events_default = events_default
        await bot.send_state_event(RoomID(room_id), EventType.ROOM_POWER_LEVELS, levels)


async def _out_of_the_index(conn, event_id: str) -> None:
    """Whichever row the event is: a post, a comment or a like."""
    await posts_db.delete(conn, event_id)
    await comments_db.delete(conn, event_id)
    await likes_db.delete(conn, event_id)


def _report_id(value: str) -> int:
    if not isinstance(value, str) or not value.isascii() or not value.isdigit() \
            or len(value) > 18:
        raise NotFound(f"No report {value!r}")
    return int(value)
