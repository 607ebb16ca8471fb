"""What a backend may know: the asker's public profile, the AI's public profile, and the
recent messages of the one room the question came from (the call-center model)."""

from __future__ import annotations

import json
from typing import Any

from mautrix.api import Method, Path
from mautrix.appservice import IntentAPI
from mautrix.errors import MatrixRequestError
from mautrix.util.async_db import Database

from ..db import ai_profiles, feed_rooms, follows, profiles
from ..ids import Identities
from ..matrix.user_directory import UserDirectory

HISTORY_TYPES = ("m.room.message", "m.room.member", "m.room.history_visibility")


class ContextBuilder:
    def __init__(self, db: Database, ids: Identities, directory: UserDirectory,
                 history_size: int) -> None:
        self.db = db
        self.ids = ids
        self.directory = directory
        self.history_size = history_size

    async def public_profile(self, user_id: str) -> dict[str, Any]:
        """Only what anybody can see on the user's public profile page."""
        displayname, avatar = await self.directory.profile(user_id)
        row = await profiles.full(self.db, user_id)
        room_id = await feed_rooms.room_of(self.db, user_id)
        return {
            "user_id": user_id,
            "handle": self.ids.handle_of(user_id),
            "display_name": displayname,
            "avatar_url": avatar,
            "bio": (row["bio"] if row else None) or "",
            "followers_count": await follows.count_followers(self.db, room_id) if room_id else 0,
            "following_count": await follows.count_following(self.db, user_id),
        }

    async def ai_identity(self, ai: str) -> dict[str, Any]:
        owner = self.ids.ai_owner(ai)
        owner_name, _ = await self.directory.profile(owner)
        ai_name, _ = await self.directory.profile(ai)
        return {
            "user_id": ai,
            "display_name": ai_name,
            "owner": owner,
            "owner_name": owner_name,
            "owner_localpart": self.ids.local_localpart(owner),
            "profile": await ai_profiles.get(self.db, ai),
        }

    async def room_history(self, intent: IntentAPI, room_id: str, exclude_event: str,
                           asker: str) -> list[dict[str, Any]]:
        """The room's latest messages that `asker` may read: the AI reads the room as a member,
        but the asker may have joined later (history_visibility joined or invited), so what
        came before their membership is left out, as their own client would show it."""
        page = await intent.api.request(
            Method.GET, Path.v3.rooms[room_id].messages,
            query_params={"dir": "b", "limit": str(self.history_size * 3 + 10),
                          "filter": json.dumps({"types": list(HISTORY_TYPES)})})
        visibility = await self._visibility(intent, room_id)
        membership = "join"  # the asker just wrote in the room
        history = []
        for event in page.get("chunk", []):  # newest first: walking back in time
            etype, content = event.get("type"), event.get("content") or {}
            before = ((event.get("unsigned") or {}).get("prev_content") or {})
            if etype == "m.room.history_visibility" and event.get("state_key") == "":
                visibility = before.get("history_visibility", "shared")
                continue
            if etype == "m.room.member":
                if event.get("state_key") == asker:
                    membership = before.get("membership", "leave")
                continue
            body = content.get("body")
            if event.get("event_id") == exclude_event or not isinstance(body, str) \
                    or not _visible(visibility, membership):
                continue
            history.append({"sender": event["sender"], "body": body[:2000],
                            "ts": event.get("origin_server_ts")})
            if len(history) >= self.history_size:
                break
        return list(reversed(history))

    @staticmethod
    async def _visibility(intent: IntentAPI, room_id: str) -> str:
        try:
            content = await intent.api.request(
                Method.GET, Path.v3.rooms[room_id].state["m.room.history_visibility"])
        except MatrixRequestError:
            return "shared"  # the spec's default
        value = content.get("history_visibility")
        return value if isinstance(value, str) else "shared"


def _visible(visibility: str, membership: str) -> bool:
    """Could a member whose membership at that point was `membership` read an event sent
    under `visibility`? (An unknown value is treated as the strictest.)"""
    if visibility in ("world_readable", "shared"):
        return True
    if visibility == "invited":
        return membership in ("invite", "join")
    return membership == "join"
