"""An AI's public conversations: the rooms where it answered that are public (public join rule
or world-readable history) or that its owner marked public, listed on the AI's profile.
A DM (two members) is never listed, and neither is a private group nobody marked."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from mautrix.api import Method, Path
from mautrix.errors import MatrixRequestError
from mautrix.types import RoomID
from mautrix.util.async_db import Database

from .. import events as ev
from ..background import Background
from ..clock import Clock
from ..db import ai_conversations, notifications
from ..errors import Forbidden, InvalidInput, NotFound
from ..ids import Identities
from ..matrix.ingest.changes import IndexChanges, Written
from ..matrix.intents import Intents

log = logging.getLogger("matrix_social.activity")
WATCHED = frozenset({"m.room.join_rules", "m.room.history_visibility", "m.room.member",
                     "m.room.name", "m.room.canonical_alias",
                     str(ev.PUBLIC_CONVERSATION_STATE)})
MAX_LISTED = 20


def mark_key(ai: str) -> str:
    """The mark's state key: the AI's user ID without its @ (state keys starting with @ may
    only be set by that user, and the mark is set by the AI's owner)."""
    return ai.removeprefix("@")


@dataclass(frozen=True)
class RoomNature:
    public: bool
    dm: bool
    name: str | None
    alias: str | None
    joined: frozenset[str]


def classify(state: list[dict[str, Any]], ai: str, owner: str | None, bot: str) -> RoomNature:
    """From a room's current state events (GET /rooms/{id}/state)."""
    join_rule = history = name = alias = None
    joined: set[str] = set()
    direct = marked = False
    for event in state:
        etype, key = event.get("type"), event.get("state_key")
        content = event.get("content") if isinstance(event.get("content"), dict) else {}
        if etype == "m.room.join_rules" and key == "":
            join_rule = content.get("join_rule")
        elif etype == "m.room.history_visibility" and key == "":
            history = content.get("history_visibility")
        elif etype == "m.room.member" and isinstance(key, str):
            if content.get("membership") == "join" and key != bot:
                joined.add(key)
            if content.get("is_direct") is True:
                direct = True
        elif etype == str(ev.PUBLIC_CONVERSATION_STATE) and key == mark_key(ai):
            marked = owner is not None and event.get("sender") == owner \
                and content.get("public") is True
        elif etype == "m.room.name" and key == "" and isinstance(content.get("name"), str):
            name = content["name"][:200]
        elif etype == "m.room.canonical_alias" and key == "" \
                and isinstance(content.get("alias"), str):
            alias = content["alias"][:255]
    dm = direct or len(joined) <= 2
    public = not dm and (join_rule == "public" or history == "world_readable" or marked)
    return RoomNature(public, dm, name, alias, frozenset(joined))


class AiConversations:
    def __init__(self, db: Database, ids: Identities, intents: Intents, background: Background,
                 clock: Clock, changes: IndexChanges | None = None) -> None:
        self.db = db
        self.changes = changes
        self.ids = ids
        self.intents = intents
        self.background = background
        self.clock = clock

    async def _nature(self, ai: str, room_id: str) -> RoomNature:
        intent = await self.intents.for_user(ai)
        state = await intent.api.request(Method.GET, Path.v3.rooms[RoomID(room_id)].state)
        return classify(state if isinstance(state, list) else [], ai, self.ids.ai_owner(ai),
                        self.ids.bot)

    async def answered(self, ai: str, room_id: str, asker: str | None = None,
                       answer_id: str | None = None) -> None:
        """Counted for the AI's profile; in a public room, when someone else than its owner
        asked, its owner gets an `ai_answer` notification (never for her own questions, nor
        in a DM or a private group; not from someone she blocked or mutes)."""
        now = self.clock.now_ms()
        row = await ai_conversations.get(self.db, ai, room_id)
        if row is not None:
            await ai_conversations.answered(self.db, ai, room_id, now)
            public = bool(row["public"])
        else:
            nature = await self._nature(ai, room_id)
            await ai_conversations.insert(self.db, ai, room_id, nature.public, nature.name,
                                          nature.alias, now)
            public = nature.public
        owner = self.ids.ai_owner(ai)
        if public and owner is not None and asker and answer_id and asker not in (owner, ai):
            await notifications.ai_answer(self.db, owner, asker, answer_id, room_id, now, now)
            if self.changes is not None:  # her bell on the live stream
                self.changes.publish(Written(notifying_events=[answer_id]))

    async def on_event(self, raw: dict[str, Any]) -> None:
        """A room where an AI talked changed who may read it: look at it again."""
        if raw.get("type") not in WATCHED or raw.get("state_key") is None:
            return
        ais = await ai_conversations.ais_in_room(self.db, raw["room_id"])
        if ais:
            self.background.spawn(self._refresh(raw["room_id"], ais))

    async def _refresh(self, room_id: str, ais: list[str]) -> None:
        for ai in ais:
            try:
                try:
                    nature = await self._nature(ai, room_id)
                except MatrixRequestError as e:  # the AI left or was removed: not listed
                    log.info("%s cannot read %s any more (%s)", ai, room_id, e)
                    nature = RoomNature(False, False, None, None, frozenset())
                await ai_conversations.set_public(self.db, ai, room_id, nature.public,
                                                  nature.name, nature.alias)
            except Exception:
                log.exception("Could not look at %s again for %s", room_id, ai)

    async def mark(self, owner: str, room_id: Any, public: Any) -> dict[str, Any]:
        """The owner lists (or unlists) their AI's conversation in a group they administer;
        the mark is room state, so the homeserver checks the owner's power level."""
        if not isinstance(room_id, str) or not room_id.startswith("!") or len(room_id) > 255:
            raise InvalidInput("'room_id' must be a room ID such as !abc:example.org")
        if not isinstance(public, bool):
            raise InvalidInput("'public' must be true or false")
        ai = self.ids.ai_of(owner)
        try:
            nature = await self._nature(ai, room_id)
        except MatrixRequestError:
            raise NotFound(f"Your AI is not in {room_id}") from None
        if ai not in nature.joined:
            raise NotFound(f"Your AI is not in {room_id}")
        if owner not in nature.joined:
            raise Forbidden("Only a member of the room can mark it")
        if nature.dm and public:
            raise InvalidInput("A DM is never listed as a public conversation")
        intent = await self.intents.for_user(owner)
        path = Path.v3.rooms[RoomID(room_id)].state[str(ev.PUBLIC_CONVERSATION_STATE)][
            mark_key(ai)]
        try:
            await intent.api.request(Method.PUT, path, {"public": public})
        except MatrixRequestError as e:
            if e.http_status == 403:
                raise Forbidden("This room does not let you change its state (your power "
                                "level is too low)") from None
            raise
        nature = await self._nature(ai, room_id)
        await ai_conversations.set_public(self.db, ai, room_id, nature.public, nature.name,
                                          nature.alias)
        return {"room_id": room_id, "ai": ai, "marked": public, "public": nature.public}

    async def claim_announcement(self, ai: str, room_id: str, every_ms: int):
        """The public conversation to announce to the AI's followers now, at most once per
        `every_ms` per room; None when it is not public or was announced lately."""
        now = self.clock.now_ms()
        return await ai_conversations.claim_announcement(self.db, ai, room_id, now,
                                                         now - every_ms)

    async def public_of(self, ai: str) -> list[dict[str, Any]]:
        return [{"room_id": row["room_id"], "name": row["name"], "alias": row["alias"],
                 "answers": row["answers"], "last_active": row["last_ts"]}
                for row in await ai_conversations.public_of(self.db, ai, MAX_LISTED)]
