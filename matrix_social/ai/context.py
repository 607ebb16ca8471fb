"""What a backend may know: the asker's public profile, the AI's public profile, and the
recent messages of the one room the question came from (the call-center model)."""

from __future__ import annotations

import json
from typing import Any

from mautrix.api import Method, Path
from mautrix.appservice import IntentAPI
from mautrix.util.async_db import Database

from ..db import ai_profiles, feed_rooms, follows, profiles
from ..ids import Identities
from ..matrix.user_directory import UserDirectory


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

    async def room_history(self, intent: IntentAPI, room_id: str,
                           exclude_event: str) -> list[dict[str, Any]]:
        page = await intent.api.request(
            Method.GET, Path.v3.rooms[room_id].messages,
            query_params={"dir": "b", "limit": str(self.history_size + 1),
                          "filter": json.dumps({"types": ["m.room.message"]})})
        history = []
        for event in page.get("chunk", []):
            body = (event.get("content") or {}).get("body")
            if event.get("event_id") == exclude_event or not isinstance(body, str):
                continue
            history.append({"sender": event["sender"], "body": body[:2000],
                            "ts": event.get("origin_server_ts")})
        return list(reversed(history[: self.history_size]))
