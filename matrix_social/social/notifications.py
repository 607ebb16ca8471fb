"""Notifications as the API shows them: grouped (likes and reposts by post, follows by day),
actors newest first, read up to a position the user moved. Never from someone she blocked or
mutes (the SQL leaves them out, db/notifications.py), and never a comment, reply or mention
whose text holds one of her muted words of context `notifications` (looked for here, as her
feed's are: whole word, case-folded; expired words no longer count). The unread count stops
at MAX_UNREAD (the bell shows 99+)."""

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
# A page whose groups her muted words hid is filled from the next groups, at most as many as
# this many more reads of a page would look at (looked_at).
REFILLS = 4
# With muted words, a page's first read takes this share of a page more (most pages then
# need no second read; each group read costs a step of the walk, db/notifications.py).
FIRST_READ_EXTRA = 4  # a quarter
# The unread count stops at this many: the bell shows 99+ from 100 on (web/js/shell.js).
MAX_UNREAD = 100
# Unread comments, replies and mentions looked at for muted words in the unread count.
MAX_WORDED_UNREAD = 2000
# Unread groups read at a time while her words are looked for; at most the reads it takes to
# pass every word-hidden group there can be and MAX_UNREAD shown ones.
UNREAD_BATCH = 128
UNREAD_READS = (MAX_WORDED_UNREAD + MAX_UNREAD) // UNREAD_BATCH + 2


def looked_at(limit: int) -> int:
    """How many groups a page looks at, at most, for `limit` her words leave."""
    return (REFILLS + 1) * (limit + 1)


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
        words = await self.muted_words(user, now)
        shown, position, more = await self._shown_groups(
            user, types, cursors.decode(cursor, (int, int)), limit, now, words)
        actors = await notes.actors(self.db, user, [row["group_key"] for row in shown], now)
        read_up_to = await notes.read_up_to(self.db, user)
        excerpts = await self._excerpts([row["post_id"] for row in shown if row["post_id"]])
        people = await self._people(list(dict.fromkeys(
            user_id for group in actors.values() for user_id in group.newest)))
        items = [self._view(row, actors.get(row["group_key"]) or notes.GroupActors([], 0),
                            read_up_to, excerpts, people)
                 for row in shown]  # (a group gone between the page's reads has nobody)
        return {"items": items,
                "next_cursor": cursors.encode(*position) if more and position else None}

    async def _shown_groups(self, user: str, types: list[str] | None,
                            position: tuple[int, int] | None, limit: int, now: int,
                            words: re.Pattern | None) -> tuple[list, Any, bool]:
        """The page's groups her words leave, where the cursor goes on from (the last group
        looked at), and whether more follow. A page her words emptied is filled from the
        next groups: at most looked_at(limit) are looked at, then the cursor goes on from
        there. With words the first read takes a little more than a page, so that one read is
        enough for most pages (the groups looked at and the cursor do not depend on how many
        each read takes)."""
        budget = looked_at(limit)
        size = limit + 1 + (0 if words is None else limit // FIRST_READ_EXTRA)
        rows: list = []
        for _ in range(budget):  # each read looks at one group at least
            fetched = await notes.groups(self.db, user, types, position, size, now)
            hidden = await self._worded(user, fetched, words)
            for row in fetched:
                if row["group_key"] not in hidden:
                    if len(rows) == limit:
                        return rows, position, True
                    rows.append(row)
                position = (row["ts"], row["id"])
            budget -= len(fetched)
            if len(fetched) < size:
                return rows, position, False
            if budget == 0:
                return rows, position, True  # her words hid group after group
            size = min(budget, limit + 1)
        return rows, position, True

    async def unread_count(self, user: str) -> dict[str, int]:
        """Her unread groups, counted up to MAX_UNREAD (the bell shows 99+ from 100 on)."""
        now = now_ms()
        words = await self.muted_words(user, now)
        if words is None:
            return {"count": await notes.unread_count(self.db, user, now, MAX_UNREAD)}
        return {"count": await self._unread_her_words_leave(user, words, now)}

    async def _unread_her_words_leave(self, user: str, words: re.Pattern, now: int) -> int:
        """Her unread groups, newest first, less the comments, replies and mentions that hold
        one of her words among the newest MAX_WORDED_UNREAD of them (older ones count), up
        to MAX_UNREAD."""
        counted = worded = 0
        before = None
        for _ in range(UNREAD_READS):
            rows = await notes.unread_groups(self.db, user, before, UNREAD_BATCH, now)
            for row in rows:
                if row["type"] in notes.WORDED:
                    worded += 1
                    if worded <= MAX_WORDED_UNREAD and _holds(words, (row["body"], row["cw"])):
                        continue
                counted += 1
                if counted == MAX_UNREAD:
                    return counted
            if len(rows) < UNREAD_BATCH:
                break
            before = rows[-1]["id"]
        return counted

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
    def _view(row, actors: notes.GroupActors, read_up_to: int, excerpts: dict[str, str],
              people: dict[str, dict[str, Any]]) -> dict[str, Any]:
        view: dict[str, Any] = {
            "id": row["id"], "type": row["type"], "actors": actors.newest,
            "actor_count": actors.count, "ts": row["ts"],
            "read": row["id"] <= read_up_to,
            "accounts": [people[a] for a in actors.newest],
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
