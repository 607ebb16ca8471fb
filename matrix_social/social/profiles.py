"""Profiles of people and of their AIs: reading them, editing your own, SOUL files."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from mautrix.util.async_db import Database

from .. import events as ev
from ..clock import now_ms
from ..content import fields as rules
from ..content.fields import MAX_BIO, MAX_LIST_ITEMS, clean_text
from ..db import ai_profiles, apps, follow_requests, follows, profiles
from ..errors import InvalidInput, KnockRequired, NotFound
from ..ids import Identities
from ..matrix.feed_rooms import FeedRooms
from ..matrix.intents import Intents
from ..matrix.sender import IndexedSender
from ..matrix.user_directory import UserDirectory
from ..safe_paths import file_in
from . import cursor as cursors
from .feed import Feed
from .users import Users
from .views import app_view

RECENT_POSTS = 10
PROFILE_APPS = 20
# (user, the profile fields they changed), after PATCH /profile.
ProfileUpdated = Callable[[str, list[str]], Awaitable[None]]
# (viewer, AI user ID, the AI's feed room) -> more fields for an AI's profile.
AiExtras = Callable[[str, str, str], Awaitable[dict[str, Any]]]


class Profiles:
    def __init__(self, db: Database, ids: Identities, users: Users, directory: UserDirectory,
                 intents: Intents, feed_rooms: FeedRooms, sender: IndexedSender, feed: Feed,
                 soul_template: str | None, *, on_updated: Sequence[ProfileUpdated] = (),
                 ai_extras: AiExtras | None = None) -> None:
        self.db = db
        self.ids = ids
        self.users = users
        self.directory = directory
        self.intents = intents
        self.feed_rooms = feed_rooms
        self.sender = sender
        self.feed = feed
        self.soul_template = soul_template
        self.on_updated = list(on_updated)
        self.ai_extras = ai_extras

    async def get(self, viewer: str, handle: str) -> dict[str, Any]:
        user_id = await self.users.resolve(handle)
        try:
            room_id = await self.feed_rooms.ensure(user_id)
        except KnockRequired as knock:
            return await self._behind_a_knock(viewer, user_id, knock.room_id)
        displayname, avatar = await self.directory.profile(user_id)
        row = await profiles.full(self.db, user_id)
        is_ai = self.ids.is_ai(user_id) or await self._remote_ai(user_id, room_id)
        posts = await self.feed.room_page(viewer, room_id, None, RECENT_POSTS)
        published = await self._apps_page(user_id, None, PROFILE_APPS)
        view: dict[str, Any] = {
            "user_id": user_id,
            "handle": self.ids.handle_of(user_id),
            "kind": "ai" if is_ai else "human",
            "display_name": displayname,
            "avatar_url": avatar,
            "bio": (row["bio"] if row else None) or "",
            "links": json.loads(row["links"]) if row and row["links"] else [],
            "interests": json.loads(row["interests"]) if row and row["interests"] else [],
            "banner_url": row["banner_url"] if row else None,
            "pinned_post": await self.feed.pinned(viewer, user_id, room_id,
                                                  row["pinned_post"] if row else None),
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
                # Her current name, as the homeserver says (never the AI's copy of it).
                owner_name, owner_avatar = await self.directory.profile(owner)
                view["owner"] = {"user_id": owner, "handle": self.ids.handle_of(owner),
                                 "display_name": owner_name, "avatar_url": owner_avatar}
            view["ai"] = await ai_profiles.get(self.db, user_id) or {
                "personality": "", "skills": [], "capabilities": []}
            if self.ai_extras is not None:
                view.update(await self.ai_extras(viewer, user_id, room_id))
        return view

    async def _behind_a_knock(self, viewer: str, user_id: str, room_id: str) -> dict[str, Any]:
        """Somebody whose MSC4501 profile room lets people in by invite, and nobody of ours is
        in yet: what her own server says of her, nothing of the room; `following` is
        "pending" while the viewer's knock waits (the button says "Requested")."""
        displayname, avatar = await self.directory.profile(user_id)
        request = await follow_requests.get(self.db, room_id, viewer)
        return {"user_id": user_id, "handle": self.ids.handle_of(user_id), "kind": "human",
                "display_name": displayname, "avatar_url": avatar, "bio": "", "links": [],
                "interests": [], "banner_url": None, "pinned_post": None, "room_id": room_id,
                "followers_count": 0, "following_count": 0,
                "following": request["state"] if request and request["state"] == "pending"
                else False,
                "follow_state": request["state"] if request else "none",
                "knock": True, "apps": [], "apps_next_cursor": None, "recent_posts": [],
                "recent_posts_next_cursor": None}

    async def posts(self, viewer: str, handle: str, cursor: str | None,
                    limit: int) -> dict[str, Any]:
        """A profile's posts, newest first (the profile itself holds the first page)."""
        user_id = await self.users.resolve(handle)
        room_id = await self.feed_rooms.ensure(user_id)
        return await self.feed.room_page(viewer, room_id, cursors.decode(cursor), limit)

    async def apps(self, handle: str, cursor: str | None, limit: int) -> dict[str, Any]:
        """A profile's published apps by slug (the profile itself holds the first page)."""
        user_id = await self.users.resolve(handle)
        after = cursors.decode(cursor, (str,))
        return await self._apps_page(user_id, after[0] if after else None, limit)

    async def _apps_page(self, user_id: str, after: str | None, limit: int) -> dict[str, Any]:
        rows = await apps.by_author(self.db, user_id, after, limit + 1)
        return cursors.page(rows, limit, lambda a: app_view(a, self.ids.handle_of(a["author"])),
                            lambda a: (a["slug"],))

    async def _remote_ai(self, user_id: str, room_id: str) -> bool:
        """Another server says in its feed room's state whether the feed is an AI's."""
        if self.ids.local_localpart(user_id):
            return False
        feed_state = await self.feed_rooms.state_content(room_id, ev.FEED_STATE)
        return feed_state.get(ev.FEED_KIND_KEY) == "ai"

    async def update(self, user: str, body: dict[str, Any]) -> dict[str, Any]:
        """Validate every field first, so a bad field changes nothing."""
        known = {"display_name", "avatar_url", "bio", "links", "interests", "banner_url",
                 "pinned_post"}
        unknown = set(body) - known
        if unknown:
            raise InvalidInput(f"Unknown profile fields: {', '.join(sorted(unknown))}")
        name = avatar = None
        if "display_name" in body:
            name = clean_text(body["display_name"], "display_name", max_chars=rules.MAX_NAME)
        if "avatar_url" in body:
            avatar = rules.clean_avatar(body["avatar_url"])
        details: dict[str, Any] = {}
        if "banner_url" in body:  # null or "" takes the banner away
            details[ev.PROFILE_BANNER] = body["banner_url"] and rules.clean_avatar(
                body["banner_url"], "banner_url")
        if "pinned_post" in body:  # null unpins
            details[ev.PROFILE_PINNED] = await self._own_post(user, body["pinned_post"])
        if "bio" in body:
            details["bio"] = clean_text(body["bio"], "bio", max_chars=rules.MAX_BIO,
                                        required=False)
        if "links" in body:
            details["links"] = rules.clean_links(body["links"])
        if "interests" in body:
            details["interests"] = rules.clean_interests(body["interests"])
        intent = await self.intents.for_user(user)
        room_id = await self.feed_rooms.ensure(user)
        if details:
            async with self.feed_rooms.profile_writes.hold(room_id):
                await self._write_details(intent, room_id, details)
        if name is not None:
            await intent.set_displayname(name, check_current=False)
        if avatar is not None:
            await intent.set_avatar_url(avatar, check_current=False)
        if name is not None or avatar is not None:
            # The homeserver took it: search and feeds show it now, not when her member
            # event comes back through a transaction (which then writes the same).
            old_name, old_avatar = await profiles.get(self.db, user)
            await profiles.upsert(self.db, user, old_name if name is None else name,
                                  old_avatar if avatar is None else avatar, now_ms())
        # A pin is not a profile update to share.
        changed = sorted(field for field in known - {"pinned_post"} if field in body)
        for listener in self.on_updated if changed else ():
            await listener(user, changed)
        return await self.get(user, user)

    async def _write_details(self, intent, room_id: str, details: dict[str, Any]) -> None:
        current = await self.feed_rooms.state_content(room_id, ev.PROFILE_STATE)
        content = {"bio": current.get("bio", ""), "links": current.get("links", []),
                   "interests": current.get("interests", []),
                   ev.PROFILE_BANNER: current.get(ev.PROFILE_BANNER),
                   ev.PROFILE_PINNED: current.get(ev.PROFILE_PINNED), **details}
        content = {key: value for key, value in content.items() if value is not None
                   and not (key in (ev.PROFILE_BANNER, ev.PROFILE_PINNED) and not value)}
        # The room's topic follows the bio (matrix/bio_topic.py).
        await self.sender.send(intent, room_id, ev.PROFILE_STATE, content, state_key="")

    async def _own_post(self, user: str, post_id: Any) -> str | None:
        """A post she may pin: her own (not a repost), in her own feed room; None unpins."""
        if post_id is None or post_id == "":
            return None
        room_id = await self.feed_rooms.ensure(user)
        if not isinstance(post_id, str) \
                or await self.feed.pinned(user, user, room_id, post_id) is None:
            raise InvalidInput("'pinned_post' must be one of your own posts")
        return post_id

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
        room_id = await self.feed_rooms.ensure(ai)
        content = {**await self.feed_rooms.state_content(room_id, ev.AI_PROFILE_STATE),
                   **changes}
        return await self._publish_ai(ai, {"personality": content.get("personality", ""),
                                           "skills": content.get("skills", []),
                                           "capabilities": content.get("capabilities", []),
                                           "source": "api"})

    async def sync_soul(self, owner: str) -> dict[str, Any]:
        if not self.soul_template:
            raise NotFound("SOUL files are not configured on this server")
        localpart = self.ids.local_localpart(owner)
        path = file_in(self.soul_template, localpart)
        try:
            text = await asyncio.get_running_loop().run_in_executor(
                None, lambda: path.read_text(encoding="utf-8")[:200_000])
        except (OSError, UnicodeDecodeError):
            raise NotFound(f"No readable SOUL file for {localpart}") from None
        parsed = parse_soul(text)
        return await self._publish_ai(self.ids.ai_of(owner), {**parsed, "source": "soul"})

    async def _publish_ai(self, ai: str, content: dict[str, Any]) -> dict[str, Any]:
        intent = await self.intents.for_user(ai)
        room_id = await self.feed_rooms.ensure(ai)
        await self.sender.send(intent, room_id, ev.AI_PROFILE_STATE, content,
                                         state_key="")
        return await self.get(ai, ai)


def parse_soul(markdown: str) -> dict[str, Any]:
    """Derive an AI profile from a SOUL.md: the first paragraph is the personality summary;
    bullets under headings naming skills or capabilities fill those lists."""
    personality = ""
    sections: dict[str, list[str]] = {}
    current: str | None = None
    paragraph: list[str] = []

    def end_paragraph() -> None:
        nonlocal personality
        if paragraph and not personality:
            personality = " ".join(paragraph)
        paragraph.clear()

    for raw in [*markdown.splitlines(), ""]:
        line = raw.strip()
        heading = re.match(r"#{1,6}\s+(.*)", line)
        bullet = re.match(r"[-*+]\s+(.*)", line)
        if heading:
            end_paragraph()
            current = heading.group(1).strip().lower()
            sections.setdefault(current, [])
        elif bullet and current is not None:
            end_paragraph()
            sections[current].append(bullet.group(1).strip())
        elif not line:
            end_paragraph()
        elif not personality:
            paragraph.append(line)

    def collect(*keys: str) -> list[str]:
        return [item[:200] for title, items in sections.items()
                if any(key in title for key in keys) for item in items][:MAX_LIST_ITEMS]

    return {"personality": personality[:MAX_BIO], "skills": collect("skill"),
            "capabilities": collect("capabilit", "can do", "tools")}
