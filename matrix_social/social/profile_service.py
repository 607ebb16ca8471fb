"""Profiles of people and of their AIs: reading them, editing your own, SOUL files."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mautrix.errors import MatrixRequestError
from mautrix.types import EventType, UserID

from .. import events as ev
from ..db import ai_profiles, apps, feed, follows, profiles
from . import cursor as cursors
from . import profiles as rules
from .posts import InvalidInput, clean_text
from .service import NotFound, Social
from .views import post_view

if TYPE_CHECKING:
    from ..bridge import SocialBridge

RECENT_POSTS = 10  # the first page of the profile's posts (GET .../posts for the next)
PROFILE_APPS = 20  # the first page of the profile's apps (GET .../apps for the next)


def _column(row, name: str) -> Any:
    try:
        return row[name]
    except (KeyError, IndexError):
        return None


def app_view(row, handle: str) -> dict[str, Any]:
    return {"id": row["app_id"], "slug": row["slug"], "name": row["name"],
            "description": row["description"], "icon": row["icon"], "url": row["url"],
            "author": {"user_id": row["author"], "handle": handle},
            "installs": _column(row, "installs"),
            "published_at": row["ts"]}


class Profiles:
    def __init__(self, bridge: SocialBridge, social: Social) -> None:
        self.bridge = bridge
        self.social = social
        self.db = bridge.db
        self.ids = bridge.identities
        self.soul_template = bridge.config["bridge.soul_path_template"]

    async def get(self, viewer: str, handle: str) -> dict[str, Any]:
        user_id = await self.social.resolve(handle)
        room_id = await self.bridge.feed_rooms.ensure(user_id)
        displayname, avatar = await self.matrix_profile(user_id)
        row = await profiles.full(self.db, user_id)
        is_ai = self.ids.is_ai(user_id) or await self._remote_ai(user_id, room_id)
        posts = await self._posts_page(viewer, room_id, None, RECENT_POSTS)
        published = await self._apps_page(user_id, None, PROFILE_APPS)
        view: dict[str, Any] = {
            "user_id": user_id,
            "handle": self.social.handle_of(user_id),
            "kind": "ai" if is_ai else "human",
            "display_name": displayname,
            "avatar_url": avatar,
            "bio": (row["bio"] if row else None) or "",
            "links": json.loads(row["links"]) if row and row["links"] else [],
            "interests": json.loads(row["interests"]) if row and row["interests"] else [],
            "room_id": room_id,
            "followers_count": await follows.count_followers(self.db, room_id),
            "following_count": await follows.count_following(self.db, user_id),
            "following": await follows.is_following(self.db, room_id, viewer),
            "apps": published["items"],
            "apps_next_cursor": published["next_cursor"],
            "recent_posts": posts["items"],
            "recent_posts_next_cursor": posts["next_cursor"],
        }
        if is_ai:
            owner = self.ids.ai_owner(user_id)
            if owner:
                view["owner"] = {"user_id": owner, "handle": self.social.handle_of(owner)}
            view["ai"] = await ai_profiles.get(self.db, user_id) or {
                "personality": "", "skills": [], "capabilities": []}
        return view

    async def posts(self, viewer: str, handle: str, cursor: str | None,
                    limit: int) -> dict[str, Any]:
        """A profile's posts, newest first (the profile itself holds the first page)."""
        user_id = await self.social.resolve(handle)
        room_id = await self.bridge.feed_rooms.ensure(user_id)
        return await self._posts_page(viewer, room_id, self._decode(cursor, (int, str)), limit)

    async def apps(self, handle: str, cursor: str | None, limit: int) -> dict[str, Any]:
        """A profile's published apps by slug (the profile itself holds the first page)."""
        user_id = await self.social.resolve(handle)
        after = self._decode(cursor, (str,))
        return await self._apps_page(user_id, after[0] if after else None, limit)

    async def _posts_page(self, viewer: str, room_id: str, before: tuple[int, str] | None,
                          limit: int) -> dict[str, Any]:
        rows = await feed.room_posts(self.db, viewer, room_id, before, limit + 1)
        return cursors.page(rows, limit, lambda p: post_view(p, self.social.handle_of(p["author"])),
                            lambda p: (p["ts"], p["event_id"]))

    async def _apps_page(self, user_id: str, after: str | None, limit: int) -> dict[str, Any]:
        rows = await apps.by_author(self.db, user_id, after, limit + 1)
        return cursors.page(rows, limit, lambda a: app_view(a, self.social.handle_of(a["author"])),
                            lambda a: (a["slug"],))

    @staticmethod
    def _decode(cursor: str | None, shape: tuple[type, ...]) -> tuple | None:
        try:
            return cursors.decode(cursor, shape)
        except cursors.BadCursor as e:
            raise InvalidInput(str(e)) from None

    async def _remote_ai(self, user_id: str, room_id: str) -> bool:
        """Another server says in its feed room's state whether the feed is an AI's."""
        if self.ids.local_localpart(user_id):
            return False
        feed_state = await self.bridge.feed_rooms.state_content(room_id, ev.FEED_STATE)
        return feed_state.get(ev.FEED_KIND_KEY) == "ai"

    async def matrix_profile(self, user_id: str) -> tuple[str, str | None]:
        """(display name or handle, avatar) from the homeserver; the index when it fails."""
        try:
            profile = await self.bridge.az.intent.get_profile(UserID(user_id))
        except MatrixRequestError:
            stored = await profiles.get(self.db, user_id)
            return stored[0] or self.social.handle_of(user_id), stored[1]
        return profile.displayname or self.social.handle_of(user_id), profile.avatar_url or None

    async def update(self, user: str, body: dict[str, Any]) -> dict[str, Any]:
        """Validate every field first, so a bad field changes nothing."""
        known = {"display_name", "avatar_url", "bio", "links", "interests"}
        unknown = set(body) - known
        if unknown:
            raise InvalidInput(f"Unknown profile fields: {', '.join(sorted(unknown))}")
        name = avatar = None
        if "display_name" in body:
            name = clean_text(body["display_name"], "display_name", max_chars=rules.MAX_NAME)
        if "avatar_url" in body:
            avatar = rules.clean_avatar(body["avatar_url"])
        details: dict[str, Any] = {}
        if "bio" in body:
            details["bio"] = clean_text(body["bio"], "bio", max_chars=rules.MAX_BIO,
                                        required=False)
        if "links" in body:
            details["links"] = rules.clean_links(body["links"])
        if "interests" in body:
            details["interests"] = rules.clean_interests(body["interests"])
        intent = await self.social.intent_for(user)
        room_id = await self.bridge.feed_rooms.ensure(user)
        if details:
            current = await self.bridge.feed_rooms.state_content(room_id, ev.PROFILE_STATE)
            content = {"bio": current.get("bio", ""), "links": current.get("links", []),
                       "interests": current.get("interests", []), **details}
            await self.social.send_and_index(intent, room_id, ev.PROFILE_STATE, content,
                                             state_key="")
            if "bio" in details and details["bio"] != current.get("bio", ""):
                await intent.send_state_event(room_id, EventType.ROOM_TOPIC,
                                              {"topic": details["bio"]})
        if name is not None:
            await intent.set_displayname(name, check_current=False)
        if avatar is not None:
            await intent.set_avatar_url(avatar, check_current=False)
        return await self.get(user, user)

    async def update_ai(self, owner: str, body: dict[str, Any]) -> dict[str, Any]:
        """Validate every field first, so a bad field changes nothing (not even a new room)."""
        unknown = set(body) - {"personality", "skills", "capabilities"}
        if unknown:
            raise InvalidInput(f"Unknown AI profile fields: {', '.join(sorted(unknown))}")
        changes: dict[str, Any] = {}
        if "personality" in body:
            changes["personality"] = clean_text(body["personality"], "personality",
                                                max_chars=rules.MAX_BIO, required=False)
        for field in ("skills", "capabilities"):
            if field in body:
                changes[field] = rules.clean_string_list(body[field], field)
        ai = self.ids.ai_of(owner)
        room_id = await self.bridge.feed_rooms.ensure(ai)
        content = {**await self.bridge.feed_rooms.state_content(room_id, ev.AI_PROFILE_STATE),
                   **changes}
        return await self._publish_ai(ai, {"personality": content.get("personality", ""),
                                           "skills": content.get("skills", []),
                                           "capabilities": content.get("capabilities", []),
                                           "source": "api"})

    async def sync_soul(self, owner: str) -> dict[str, Any]:
        if not self.soul_template:
            raise NotFound("SOUL files are not configured on this server")
        localpart = self.ids.local_localpart(owner)
        path = Path(self.soul_template.format(localpart=localpart))
        try:
            text = await asyncio.get_running_loop().run_in_executor(
                None, lambda: path.read_text(encoding="utf-8")[:200_000])
        except (OSError, UnicodeDecodeError):
            raise NotFound(f"No readable SOUL file for {localpart}") from None
        parsed = rules.parse_soul(text)
        return await self._publish_ai(self.ids.ai_of(owner), {**parsed, "source": "soul"})

    async def _publish_ai(self, ai: str, content: dict[str, Any]) -> dict[str, Any]:
        intent = await self.social.intent_for(ai)
        room_id = await self.bridge.feed_rooms.ensure(ai)
        await self.social.send_and_index(intent, room_id, ev.AI_PROFILE_STATE, content,
                                         state_key="")
        return await self.get(ai, ai)
