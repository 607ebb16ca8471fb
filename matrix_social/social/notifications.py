"""Notifications as the API shows them: grouped (likes and reposts by post, follows by day),
actors newest first, read up to a position the user moved."""

from __future__ import annotations

from typing import Any

from mautrix.util.async_db import Database

from ..db import notifications as notes
from ..db import profiles
from ..errors import InvalidInput
from . import cursor as cursors
from .users import Users
from .views import author_view

TYPES = notes.TYPES
EXCERPT_CHARS = 140


def parse_types(value: str | None) -> list[str] | None:
    """`like,follow` -> those types; absent -> all."""
    if not value:
        return None
    chosen = [t.strip() for t in value.split(",") if t.strip()]
    unknown = [t for t in chosen if t not in TYPES]
    if unknown or not chosen:
        raise InvalidInput(f"types must be a comma-separated list of {', '.join(TYPES)}")
    return chosen


class Notifications:
    def __init__(self, db: Database, users: Users) -> None:
        self.db = db
        self.users = users

    async def page(self, user: str, cursor: str | None, types: list[str] | None,
                   limit: int) -> dict[str, Any]:
        position = cursors.decode(cursor, (int, int))
        rows = await notes.groups(self.db, user, types, position, limit + 1)
        shown = rows[:limit]
        actors = await notes.actors(self.db, user, [row["group_key"] for row in shown])
        read_up_to = await notes.read_up_to(self.db, user)
        excerpts = await self._excerpts([row["post_id"] for row in shown if row["post_id"]])
        people: dict[str, dict[str, Any]] = {}
        for ids in actors.values():
            for user_id in ids:
                if user_id not in people:
                    people[user_id] = await self._person(user_id)
        items = [self._view(row, actors.get(row["group_key"], []), read_up_to, excerpts,
                            people) for row in shown]
        more = len(rows) > limit
        return {"items": items,
                "next_cursor": cursors.encode(shown[-1]["ts"], shown[-1]["id"]) if more else None}

    async def unread_count(self, user: str) -> dict[str, int]:
        return {"count": await notes.unread_count(self.db, user)}

    async def mark_read(self, user: str, up_to: Any) -> dict[str, int]:
        """Up to a notification id this user was shown (absent: everything so far)."""
        newest = await notes.newest_id(self.db, user)
        if up_to is None:
            up_to = newest
        if isinstance(up_to, bool) or not isinstance(up_to, int) or up_to < 0:
            raise InvalidInput("up_to must be a notification id")
        await notes.mark_read(self.db, user, min(up_to, newest))
        return await self.unread_count(user)

    async def _person(self, user_id: str) -> dict[str, Any]:
        name, avatar = await profiles.get(self.db, user_id)
        return author_view(user_id, name, avatar, self.users.handle_of(user_id))

    async def _excerpts(self, post_ids: list[str]) -> dict[str, str]:
        if not post_ids:
            return {}
        bodies = await notes.post_bodies(self.db, post_ids)
        return {post_id: body[:EXCERPT_CHARS] for post_id, body in bodies.items()}

    @staticmethod
    def _view(row, actors: list[str], read_up_to: int, excerpts: dict[str, str],
              people: dict[str, dict[str, Any]]) -> dict[str, Any]:
        view: dict[str, Any] = {
            "id": row["id"], "type": row["type"], "actors": actors,
            "actor_count": row["actor_count"], "ts": row["ts"],
            "read": row["id"] <= read_up_to,
            "accounts": [people[a] for a in actors],
        }
        if row["post_id"]:
            view["post_id"] = row["post_id"]
            view["post_excerpt"] = excerpts.get(row["post_id"])
        if row["comment_id"]:
            view["comment_id"] = row["comment_id"]
        if row["via"] and row["type"] == "ai_answer":
            view["room_id"] = row["via"]
        elif row["via"]:
            view["via"] = row["via"]  # her AI, when it was her AI that was named
        return view
