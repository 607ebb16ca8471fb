"""Mutes and muted words (docs/events.md, "Mutes and muted words"): what a person chose not to
see in her feed and explore (and, for words, her notifications). Nothing is sent to anyone,
nothing changes in Matrix: only her views are filtered.

A muted word matches as a whole word (or phrase), case-insensitively (Unicode case folding):
"cat" hides "Cat!" and "the CAT sat", not "catalog" nor "concat"."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from mautrix.util.async_db import Database

from ..clock import now_ms
from ..db import mutes
from ..errors import InvalidInput, NotFound
from ..ids import Identities
from .users import Users

CONTEXTS = ("feed", "notifications")
MAX_WORD_CHARS = 100
MAX_WORDS = 1000


def word_pattern(words: list[str]) -> re.Pattern | None:
    """One pattern for all of them, matched against casefolded text."""
    if not words:
        return None
    alternatives = "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")


def clean_word(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("'word' must be a word or phrase")
    word = " ".join(value.split()).casefold()
    if len(word) > MAX_WORD_CHARS:
        raise InvalidInput(f"'word' is longer than {MAX_WORD_CHARS} characters")
    if "\x00" in word:
        raise InvalidInput("'word' must not contain NUL")
    return word


def expiry(value: Any, now: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not now < value < 2**62:
        raise InvalidInput("'expires_at' must be a time in the future, in milliseconds")
    return value


@dataclass(frozen=True)
class FeedMutes:
    """What one viewer's feed and explore leave out."""

    users: frozenset[str]
    words: re.Pattern | None

    def hides(self, view: dict[str, Any]) -> bool:
        if view["author"]["user_id"] in self.users:
            return True
        original = view.get("repost_of")
        if isinstance(original, dict) and original.get("author") in self.users:
            return True
        if self.words is None:
            return False
        texts = [view.get("text"), view.get("cw"), (view.get("original") or {}).get("text")]
        return any(isinstance(t, str) and self.words.search(t.casefold()) for t in texts)


class Mutes:
    def __init__(self, db: Database, ids: Identities, users: Users) -> None:
        self.db = db
        self.ids = ids
        self.users = users

    async def for_feed(self, viewer: str) -> FeedMutes:
        users, words = await mutes.feed_filter(self.db, viewer, now_ms())
        return FeedMutes(frozenset(users), word_pattern(words))

    async def mute(self, owner: str, body: dict[str, Any]) -> dict[str, Any]:
        now = now_ms()
        target = self.users.user_id(body.get("user_id"), "user_id")
        if target == owner:
            raise InvalidInput("You cannot mute yourself")
        until = expiry(body.get("expires_at"), now)
        await mutes.mute(self.db, owner, target, until, now)
        return {"user_id": target, "muted": True, "expires_at": until}

    async def unmute(self, owner: str, user_id: str) -> dict[str, Any]:
        target = self.users.user_id(user_id, "user_id")
        if not await mutes.unmute(self.db, owner, target):
            raise NotFound(f"You have not muted {target}")
        return {"user_id": target, "muted": False, "expires_at": None}

    async def muted_users(self, owner: str) -> dict[str, Any]:
        return {"items": [{"user_id": r["muted"], "handle": self.ids.handle_of(r["muted"]),
                           "since": r["ts"], "expires_at": r["expires_at"]}
                          for r in await mutes.muted_users(self.db, owner, now_ms())]}

    async def add_word(self, owner: str, body: dict[str, Any]) -> dict[str, Any]:
        now = now_ms()
        word = clean_word(body.get("word"))
        contexts = body.get("contexts", list(CONTEXTS))
        if (not isinstance(contexts, list) or not contexts
                or not all(isinstance(c, str) and c in CONTEXTS for c in contexts)):
            raise InvalidInput("'contexts' must be a list of feed, notifications")
        until = expiry(body.get("expires_at"), now)
        if len(await mutes.words(self.db, owner, now)) >= MAX_WORDS:
            raise InvalidInput(f"You have muted {MAX_WORDS} words already")
        word_id = await mutes.add_word(self.db, owner, word, "feed" in contexts,
                                       "notifications" in contexts, until, now)
        return {"id": str(word_id), "word": word,
                "contexts": [c for c in CONTEXTS if c in contexts], "expires_at": until}

    async def remove_word(self, owner: str, word_id: str) -> dict[str, Any]:
        if not re.fullmatch(r"[0-9]{1,18}", word_id) or \
                not await mutes.remove_word(self.db, owner, int(word_id)):
            raise NotFound(f"No muted word {word_id!r}")
        return {"id": word_id, "deleted": True}

    async def words(self, owner: str) -> dict[str, Any]:
        return {"items": [
            {"id": str(r["id"]), "word": r["word"],
             "contexts": [c for c in CONTEXTS if r[c]], "expires_at": r["expires_at"]}
            for r in await mutes.words(self.db, owner, now_ms())]}
