"""Notifications as the API shows them: grouped (likes and reposts by post, follows by day),
actors newest first, read up to a position the user moved. Never from someone she blocked or
mutes (the SQL leaves them out, db/notifications.py), and never a comment, reply or mention
whose text holds one of her muted words of context `notifications` (looked for here, as her
feed's are: whole word, case-folded; expired words no longer count)."""

from __future__ import annotations

import re
from typing import Any

from mautrix.util.async_db import Database

from ..clock import now_ms
from ..db import mutes as mutes_db
from ..db import notifications as notes
from ..db import profiles
from ..errors import InvalidInput
from . import cursor as cursors
from .mutes import word_pattern
from .users import Users
from .views import author_view

TYPES = notes.TYPES
EXCERPT_CHARS = 140
# A page whose groups her muted words hid is filled from the next rows, this many times.
REFILLS = 4
# Unread comments, replies and mentions looked at for muted words in the unread count.
MAX_WORDED_UNREAD = 2000


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

    async def muted_words(self, user: str, now: int) -> re.Pattern | None:
        return word_pattern([r["word"] for r in await mutes_db.words(
            self.db, user, now, "notifications")])

    async def _worded(self, user: str, rows: list, words: re.Pattern | None) -> set[str]:
        """The group keys of these rows whose text holds one of her muted words."""
        if words is None:
            return set()
        found = await notes.texts(self.db, user, [row["group_key"] for row in rows
                                                  if row["type"] in notes.WORDED])
        return {key for key, texts in found.items() if _holds(words, texts)}

    async def page(self, user: str, cursor: str | None, types: list[str] | None,
                   limit: int) -> dict[str, Any]:
        now = now_ms()
        position = cursors.decode(cursor, (int, int))
        words = await self.muted_words(user, now)
        rows: list = []
        more = False
        for _ in range(REFILLS + 1):
            fetched = await notes.groups(self.db, user, types, position, limit + 1, now)
            hidden = await self._worded(user, fetched, words)
            for row in fetched:
                if row["group_key"] not in hidden:
                    if len(rows) == limit:
                        more = True
                        break
                    rows.append(row)
                position = (row["ts"], row["id"])
            if more or len(fetched) <= limit:
                break
        else:
            more = True  # her words hid page after page: the cursor goes on from there
        shown = rows
        actors = await notes.actors(self.db, user, [row["group_key"] for row in shown], now)
        read_up_to = await notes.read_up_to(self.db, user)
        excerpts = await self._excerpts([row["post_id"] for row in shown if row["post_id"]])
        people = await self._people(list(dict.fromkeys(
            user_id for ids in actors.values() for user_id in ids)))
        items = [self._view(row, actors.get(row["group_key"], []), read_up_to, excerpts,
                            people) for row in shown]
        return {"items": items,
                "next_cursor": cursors.encode(*position) if more and position else None}

    async def unread_count(self, user: str) -> dict[str, int]:
        now = now_ms()
        count = await notes.unread_count(self.db, user, now)
        words = await self.muted_words(user, now) if count else None
        if words is not None:
            worded = await notes.unread_texts(self.db, user, MAX_WORDED_UNREAD, now)
            count -= sum(1 for row in worded if _holds(words, (row["body"], row["cw"])))
        return {"count": max(0, count)}

    async def shown_to(self, event_ids: list[str], among: list[str]) -> list[str]:
        """Who of `among` these events notified, as she would see it: nobody she blocked or
        mutes, nothing her muted words hide (the live stream pushes to these)."""
        now = now_ms()
        rows = await notes.recipients_of(self.db, event_ids, among, now)
        users: list[str] = []
        for user in dict.fromkeys(row["recipient"] for row in rows):
            mine = [row for row in rows if row["recipient"] == user]
            hidden = await self._worded(user, mine, await self.muted_words(user, now))
            if any(row["group_key"] not in hidden for row in mine):
                users.append(user)
        return users

    async def mark_read(self, user: str, up_to: Any) -> dict[str, int]:
        """Up to a notification id this user was shown (absent: everything so far)."""
        newest = await notes.newest_id(self.db, user)
        if up_to is None:
            up_to = newest
        if isinstance(up_to, bool) or not isinstance(up_to, int) or up_to < 0:
            raise InvalidInput("up_to must be a notification id")
        await notes.mark_read(self.db, user, min(up_to, newest))
        return await self.unread_count(user)

    async def _people(self, user_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The actors' names and avatars, read in one query."""
        found = await profiles.get_many(self.db, user_ids)
        return {user_id: author_view(user_id, *found[user_id], self.users.handle_of(user_id))
                for user_id in user_ids}

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


def _holds(words: re.Pattern, texts: tuple) -> bool:
    return any(isinstance(t, str) and words.search(t.casefold()) for t in texts)
