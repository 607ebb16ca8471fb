"""Mentions in what people write through the API: `@handle`, `@handle:server` and
`@handle_ai` that name existing users become pills with `m.mentions`; unknown handles stay
text. A comment also mentions the people it answers (the post's author, the comment it replies
to), so their clients' push rules notify them as Element's own replies do. Nobody who blocked
the author is named: her handle stays text and she is not in `m.mentions` (so no client's push
rules notify her of him), docs/events.md "Blocks"; nor, in what an AI writes, anybody its owner
blocked."""

from __future__ import annotations

import logging
from typing import Any

from mautrix.util.async_db import Database

from ..content.mentions import MAX_MENTIONS, typed_mentions, with_mentions
from ..db import blocks
from .users import Users

log = logging.getLogger("matrix_social.social")
MAX_LOOKUPS = 2 * MAX_MENTIONS


class Mentions:
    def __init__(self, users: Users, db: Database) -> None:
        self.users = users
        self.db = db

    async def resolve(self, author: str, text: str) -> dict[str, str]:
        """Typed token -> user ID, for the users that exist (asked of their homeserver, a
        bounded number of times per text)."""
        server = self.users.ids.split(author)[1]
        named: dict[str, str] = {}
        looked_up: dict[str, bool] = {}
        for token, user_id in typed_mentions(text, server):
            if token in named or len(set(named.values())) >= MAX_MENTIONS:
                continue
            if user_id not in looked_up:
                if len(looked_up) >= MAX_LOOKUPS:
                    break
                looked_up[user_id] = await self._exists(user_id)
            if looked_up[user_id]:
                named[token] = user_id
        return named

    async def _exists(self, user_id: str) -> bool:
        try:
            return await self.users.exists(user_id)
        except Exception as e:  # another server not answering: the handle stays text
            log.info("Mention of %s left as text: %s", user_id, e)
            return False

    async def apply(self, author: str, content: dict[str, Any],
                    answers: tuple[str | None, ...] = ()) -> dict[str, Any]:
        """The content with pills and `m.mentions` (never the author herself)."""
        named = await self.resolve(author, str(content.get("body", ""))[:20_000])
        also = [user for user in answers if user and user != author]
        refusing = await blocks.blockers_among(
            self.db, author, sorted({*named.values(), *also}))
        owner = self.users.ids.named_owner(author)
        if owner is not None:  # an AI follows its owner's choices: never names whom she blocked
            refusing |= await blocks.blocked_by(self.db, owner)
        named = {token: user for token, user in named.items() if user not in refusing}
        also = [user for user in also if user not in refusing]
        return with_mentions(content, named, self.users.ids.split(author)[1], also)
