"""Moderation policy lists (docs/events.md, "Policy lists"): the policy rooms the operator
subscribed to (`moderation.policy_rooms`), joined by the bot at start and read whole, then
kept current from the transaction stream; their ban rules as one cached matcher.

Trust: a rule counts only as a state event in a subscribed room (the homeserver let its sender
set it: the room's power levels), and only with a ban recommendation. The same event type sent
anywhere else (the attacker's own room, her feed room) changes nothing."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
from mautrix.api import Method, Path
from mautrix.errors import MatrixError
from mautrix.types import RoomAlias, RoomID
from mautrix.util.async_db import Database

from .. import events as ev
from ..clock import now_ms
from ..db import Executor, policy_rules
from ..db.notify import Broadcast
from .intents import Intents
from .policy_globs import SERVER, USER, PolicyMatcher, PolicyRule

log = logging.getLogger("matrix_social.policy")
RULE_KINDS = {**{t: USER for t in ev.POLICY_RULE_USER_TYPES},
              **{t: SERVER for t in ev.POLICY_RULE_SERVER_TYPES}}
MAX_ENTITY = 255
MAX_REASON = 1000


def rule_of(raw: dict[str, Any]) -> PolicyRule | None:
    """The ban rule a policy state event sets, or None when it sets none (removed: empty
    content; a recommendation other than a ban; no usable entity)."""
    content = raw.get("content")
    entity = content.get(ev.POLICY_ENTITY) if isinstance(content, dict) else None
    if not isinstance(entity, str) or not entity or len(entity) > MAX_ENTITY \
            or content.get(ev.POLICY_RECOMMENDATION) not in ev.POLICY_BAN_RECOMMENDATIONS:
        return None
    reason = content.get(ev.POLICY_REASON)
    reason = reason[:MAX_REASON] if isinstance(reason, str) else ""
    return PolicyRule(raw["room_id"], raw["type"], raw["state_key"], RULE_KINDS[raw["type"]],
                      entity, reason)


class PolicyLists:
    def __init__(self, db: Database, intents: Intents, configured: list[str],
                 broadcast: Broadcast | None = None) -> None:
        self.db = db
        self.intents = intents
        self.configured = list(configured)
        self.broadcast = broadcast
        self.room_ids: set[str] = set()  # the subscribed rooms, as this process knows them
        self._matcher: PolicyMatcher | None = None
        if broadcast is not None:  # rules changed by the ingest process
            broadcast.on("policy_rules", lambda _: self._drop())
            broadcast.on_gap(self._drop)

    def _drop(self) -> None:
        self._matcher = None

    async def matcher(self) -> PolicyMatcher:
        if self._matcher is None:
            rows = await policy_rules.all_rules(self.db)
            rules = [PolicyRule(r["room_id"], r["rule_type"], r["state_key"], r["kind"],
                                r["entity"], r["reason"]) for r in rows]
            # compiling a Draupnir-sized list takes a good part of a second (bench.policy_match)
            self._matcher = await asyncio.to_thread(PolicyMatcher, rules)
        return self._matcher

    # --- subscribing ------------------------------------------------------------------------

    async def start(self) -> None:
        """Join each configured room and read its rules; a room that cannot be reached now is
        logged and keeps the rules last read from it."""
        self.room_ids = {r["room_id"] for r in await policy_rules.rooms(self.db)}
        subscribed: dict[str, str] = {}
        for configured in self.configured:
            try:
                room_id = await self._join(configured)
                self.room_ids.add(room_id)  # from now on the stream's rules count
                await self._read_state(room_id)
            except (MatrixError, aiohttp.ClientError, TimeoutError) as e:
                log.warning("Policy room %s could not be read: %s", configured, e)
                known = await self._known_as(configured)
                if known is not None:
                    subscribed[known["room_id"]] = (configured, known["synced_ts"])
                continue
            subscribed[room_id] = (configured, now_ms())
        await policy_rules.set_rooms(self.db, subscribed)
        self.room_ids = set(subscribed)
        await self._changed()
        rules = len((await self.matcher()).rules)
        log.info("Policy lists: %d room(s) subscribed, %d ban rule(s)", len(subscribed), rules)

    async def _known_as(self, configured: str):
        """The room this was read as before, with when (its rules are kept meanwhile)."""
        for row in await policy_rules.rooms(self.db):
            if row["configured_as"] == configured:
                return row
        return None

    async def _join(self, configured: str) -> str:
        bot = self.intents.bot
        target = RoomAlias(configured) if configured.startswith("#") else RoomID(configured)
        return str(await bot.join_room(target))

    async def _read_state(self, room_id: str) -> None:
        state = await self.intents.bot.api.request(Method.GET, Path.v3.rooms[room_id].state)
        async with self.db.acquire() as conn, conn.transaction():
            await policy_rules.clear_room(conn, room_id)
            for raw in state:
                if isinstance(raw, dict) and raw.get("type") in RULE_KINDS \
                        and isinstance(raw.get("state_key"), str):
                    await self._apply({**raw, "room_id": room_id}, conn)

    # --- the stream -------------------------------------------------------------------------

    async def on_event(self, raw: dict[str, Any]) -> None:
        if raw.get("type") not in RULE_KINDS or not isinstance(raw.get("state_key"), str):
            return
        if raw.get("room_id") not in self.room_ids:
            log.debug("%s from %s in %s ignored: not a subscribed policy room",
                      raw["type"], raw.get("sender"), raw.get("room_id"))
            return
        await self._apply(raw, self.db)
        await self._changed()

    async def _apply(self, raw: dict[str, Any], db: Executor) -> None:
        rule = rule_of(raw)
        if rule is None:
            await policy_rules.remove(db, raw["room_id"], raw["type"], raw["state_key"])
            return
        await policy_rules.upsert(db, rule.room_id, rule.rule_type, rule.state_key,
                                  rule.kind, rule.entity,
                                  raw["content"][ev.POLICY_RECOMMENDATION], rule.reason,
                                  str(raw.get("sender", "")),
                                  int(raw.get("origin_server_ts") or now_ms()))

    async def _changed(self) -> None:
        self._drop()
        if self.broadcast is not None:
            await self.broadcast.tell("policy_rules")
