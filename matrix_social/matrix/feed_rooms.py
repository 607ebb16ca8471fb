"""Feed rooms on the homeserver: created on first need, public, world-readable."""

from __future__ import annotations

import logging

from mautrix.api import Method, Path
from mautrix.appservice import IntentAPI
from mautrix.errors import IntentError, MatrixRequestError, MNotFound
from mautrix.types import (
    EventType,
    RoomAlias,
    RoomCreatePreset,
    RoomDirectoryVisibility,
    RoomID,
    UserID,
)

from .. import events as ev
from ..errors import CannotActAsUser
from ..ids import Identities
from ..locks import KeyedLocks
from . import msc4501
from .ai_puppets import EXISTS
from .feed_owners import FeedOwners
from .intents import Intents
from .remote_feeds import RemoteFeeds
from .user_directory import UserDirectory

log = logging.getLogger("matrix_social.rooms")

# Room versions where the creator's power is implicit and must not be listed in power levels.
_CREATOR_IMPLICIT = ("12",)
_OWNER_ONLY_STATE = (
    "m.room.name", "m.room.avatar", "m.room.topic", "m.room.power_levels",
    "m.room.history_visibility", "m.room.canonical_alias", "m.room.join_rules",
    "m.room.encryption", "m.room.server_acl", "m.room.tombstone",
)


class FeedRooms:
    def __init__(self, ids: Identities, owners: FeedOwners, intents: Intents,
                 remote: RemoteFeeds, directory: UserDirectory, alias_prefix: str) -> None:
        self.owners = owners
        self.ids = ids
        self.intents = intents
        self.remote = remote
        self.directory = directory
        self.prefix = alias_prefix
        self._locks = KeyedLocks()
        # Read-modify-write of a room's profile state and topic (the API's profile update and
        # the topic/bio mirror), one at a time per room within this process.
        self.profile_writes = KeyedLocks()
        self._default_version: str | None = None
        self._caps: dict | None = None

    @property
    def bot(self) -> IntentAPI:
        return self.intents.bot

    def alias_for(self, owner: str) -> RoomAlias:
        return RoomAlias(f"#{self.prefix}{self.ids.local_localpart(owner)}:{self.ids.domain}")

    def owner_from_alias(self, alias: str) -> str | None:
        localpart, _, server = alias.removeprefix("#").partition(":")
        if server != self.ids.domain or not localpart.startswith(self.prefix):
            return None
        owner = self.ids.parse_handle(localpart.removeprefix(self.prefix))
        return owner if owner and self.ids.local_localpart(owner) else None

    async def ensure(self, owner: str, alias_missing: bool = False) -> RoomID:
        """The owner's feed room, created on first need, with the owner joined; for users of
        other servers, their own server's feed room, joined by the bot."""
        async with self._locks.hold(owner):
            room_id = await self.owners.room_of(owner)
            if room_id:
                return RoomID(room_id)
            if not self.ids.local_localpart(owner):
                return await self.remote.attach(owner)
            room_id = None if alias_missing else await self._resolve_alias(owner)
            created = room_id is None
            if room_id is None:
                room_id = await self._create(owner)
            await self.owners.record(room_id, owner, self.bot.mxid)
            await self._join_owner(room_id, owner)
            if created:
                await self.name_in_profile(room_id, owner)
            return room_id

    async def _resolve_alias(self, owner: str) -> RoomID | None:
        try:
            return (await self.bot.resolve_room_alias(self.alias_for(owner))).room_id
        except MNotFound:
            return None

    async def _capabilities(self) -> dict:
        if self._caps is None:
            self._caps = await self.bot.api.request(Method.GET, Path.v3.capabilities)
        return self._caps

    async def _room_version(self) -> str:
        if self._default_version is None:
            caps = await self._capabilities()
            versions = caps.get("capabilities", {}).get("m.room_versions", {})
            self._default_version = str(versions.get("default", "10"))
        return self._default_version

    async def name_in_profile(self, room_id: RoomID, owner: str) -> None:
        """MSC4501's profile room field on the owner's profile, naming the new feed room,
        where the homeserver has per-key profile fields and the owner has not named a room
        already. Best effort: the feed room stands without it."""
        try:
            if not msc4501.profile_fields_writable(await self._capabilities()):
                return
            intent = await self.intents.for_user(owner)
            path = msc4501.profile_field_path(owner)
            try:
                current = await intent.api.request(Method.GET, path)
            except MNotFound:
                current = {}
            if msc4501.pointer_from_profile(current) is not None:
                return
            await intent.api.request(Method.PUT, path, content={
                ev.SOCIAL_PROFILE_ROOM_FIELD: {"room_id": room_id, "via": [self.ids.domain]}})
        except (CannotActAsUser, MatrixRequestError) as e:
            log.info("%s's profile does not name the feed room %s: %s", owner, room_id, e)

    async def _create(self, owner: str) -> RoomID:
        displayname, avatar = await self._owner_profile(owner)
        users = {owner: 100}
        if await self._room_version() not in _CREATOR_IMPLICIT:
            users[self.bot.mxid] = 100
        power_levels = {
            "users": users,
            "users_default": 0,
            "events_default": 0,
            "state_default": 100,
            "invite": 0,
            "kick": 50,
            "ban": 50,
            "redact": 50,
            "events": {
                **{event_type: 100 for event_type in _OWNER_ONLY_STATE},
                str(ev.FEED_STATE): 100,
                str(ev.PROFILE_STATE): 100,
                str(ev.AI_PROFILE_STATE): 100,
                str(ev.APP_STATE): 100,
                str(ev.SOCIAL_PROFILE_USER_ID): 100,
            },
        }
        kind = "ai" if self.ids.is_ai(owner) else "human"
        initial_state = [
            {"type": "m.room.history_visibility", "state_key": "",
             "content": {"history_visibility": "world_readable"}},
            {"type": "m.room.guest_access", "state_key": "",
             "content": {"guest_access": "can_join"}},
            {"type": str(ev.FEED_STATE), "state_key": "",
             "content": {ev.FEED_OWNER_KEY: owner, ev.FEED_KIND_KEY: kind}},
            {"type": str(ev.SOCIAL_PROFILE_USER_ID), "state_key": "",
             "content": {ev.SOCIAL_PROFILE_USER_ID_KEY: owner}},
        ]
        if avatar:
            initial_state.append({"type": "m.room.avatar", "state_key": "",
                                  "content": {"url": avatar}})
        invitees = [] if self.intents.masquerade or kind == "ai" else [UserID(owner)]
        room_id = await self.bot.create_room(
            alias_localpart=f"{self.prefix}{self.ids.local_localpart(owner)}",
            visibility=RoomDirectoryVisibility.PUBLIC,
            preset=RoomCreatePreset.PUBLIC,
            name=displayname,
            invitees=invitees,
            initial_state=initial_state,
            creation_content={"type": ev.FEED_ROOM_TYPE},
            power_level_override=power_levels,
        )
        log.info("Created feed room %s for %s", room_id, owner)
        return room_id

    async def _owner_profile(self, owner: str) -> tuple[str, str | None]:
        try:
            profile = await self.bot.get_profile(UserID(owner))
        except MatrixRequestError:
            return self.ids.local_localpart(owner), None
        return profile.displayname or self.ids.local_localpart(owner), profile.avatar_url or None

    async def _join_owner(self, room_id: RoomID, owner: str) -> None:
        try:
            intent = await self.intents.for_user(owner)
        except CannotActAsUser:
            return
        await intent.join_room_by_id(room_id)

    async def join_without_following(self, room_id: RoomID, user_id: str) -> IntentAPI:
        """Join to like or comment; the member event says this is not a follow."""
        intent = await self.intents.for_user(user_id)
        if not await intent.state_store.is_joined(room_id, UserID(user_id)):
            await intent.join_room_by_id(room_id, extra_content={ev.FOLLOW_FLAG: False})
        return intent

    async def sync_room_profile(self, room_id: str, displayname: str | None,
                                avatar_url: str | None) -> None:
        """Keep the feed room's name and avatar equal to the owner's profile."""
        room = RoomID(room_id)
        if displayname and displayname != (
                await self.state_content(room, EventType.ROOM_NAME)).get("name"):
            await self.bot.set_room_name(room, displayname)
        if avatar_url and avatar_url != (
                await self.state_content(room, EventType.ROOM_AVATAR)).get("url"):
            await self.bot.send_state_event(room, EventType.ROOM_AVATAR, {"url": avatar_url})

    async def state_content(self, room_id: RoomID, event_type: EventType) -> dict:
        """A feed room's current state content, as the bot reads it; {} when unset, or when
        the bot cannot be in the room (a knock-only profile room: only its followers are)."""
        try:
            content = await self.bot.get_state_event(room_id, event_type)
        except (MNotFound, IntentError):
            return {}
        return dict(content.serialize()) if hasattr(content, "serialize") else dict(content)

    async def query_alias(self, alias: RoomAlias) -> dict | None:
        """The homeserver asks about #feed_NAME: create the feed room if NAME exists."""
        owner = self.owner_from_alias(alias)
        if owner is None or not await self.directory.exists(owner):
            return None
        if self._locks.locked(owner):
            # ensure() itself is resolving the alias; answering "no" lets it create the room.
            return None
        await self.ensure(owner, alias_missing=True)
        return EXISTS
