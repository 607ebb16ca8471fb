"""Who a person blocked, as her views and the rules read it: the people whose posts, likes,
comments and reposts leave what she sees, and who may not reach her (docs/events.md,
"Blocks"). Writing blocks is social/blocks.py."""

from __future__ import annotations

from typing import Any

from mautrix.util.async_db import Database

from ..db import blocks
from ..errors import Forbidden


class BlockList:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def hidden(self, viewer: str) -> set[str]:
        return await blocks.blocked_by(self.db, viewer)

    async def refuse_if_blocked(self, owner: str, user: str, what: str) -> None:
        """`user` may not `what` (comment on her post, follow her...) once `owner` blocked
        him; the same answer whatever he tries, and nothing is sent."""
        if owner != user and await blocks.is_blocked(self.db, owner, user):
            raise Forbidden(f"You cannot {what}: {owner} has blocked you")

    async def filter_posts(self, viewer: str, views: list[dict[str, Any]],
                           hidden: set[str] | None = None) -> list[dict[str, Any]]:
        """Her views without the posts of people she blocked nor reposts of them, and with
        their likes, comments and reposts taken out of the counts of what is left."""
        hidden = await self.hidden(viewer) if hidden is None else hidden
        if not hidden:
            return views
        kept = [v for v in views if not _by_any(v, hidden)]
        await self.without_their_counts(viewer, kept)
        return kept

    async def without_their_counts(self, viewer: str, views: list[dict[str, Any]]) -> None:
        found = await blocks.counts_by_blocked(self.db, viewer, [v["id"] for v in views])
        for view in views:
            for name, n in found.get(view["id"], {}).items():
                view["counts"][name] = max(0, view["counts"][name] - n)


def _by_any(view: dict[str, Any], hidden: set[str]) -> bool:
    if view["author"]["user_id"] in hidden:
        return True
    original = view.get("repost_of")
    return isinstance(original, dict) and original.get("author") in hidden
