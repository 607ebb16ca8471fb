"""Who a person blocked, as her views and the rules read it: the people whose posts, likes,
comments and reposts leave what she sees, and who may not reach her (docs/events.md,
"Blocks"). Writing blocks is social/blocks.py.

Whom the operator bars (matrix/bars.py: the policy lists, docs/events.md "Policy lists", and
suspensions, "Reports and moderation") takes the same road: he is hidden from everybody but
himself, and is refused what a block refuses, whoever he tries to reach."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mautrix.util.async_db import Database

from ..db import blocks
from ..errors import Forbidden
from ..matrix.bars import BarMatcher, Bars, Suspension


@dataclass(frozen=True)
class Hidden:
    """Whom a viewer does not see: the people she blocked (and whatever a caller adds), and
    whom the operator bars (a policy list, a suspension), except herself. Reads as a set
    (`in`, `|`)."""

    users: frozenset[str]
    policy: BarMatcher | None = None
    viewer: str = ""

    def __contains__(self, user_id: object) -> bool:
        return user_id in self.users or (
            self.policy is not None and isinstance(user_id, str) and user_id != self.viewer
            and self.policy.match(user_id) is not None)

    def __bool__(self) -> bool:
        return bool(self.users) or bool(self.policy)

    def __or__(self, other: Any) -> Hidden:
        return Hidden(self.users | frozenset(other), self.policy, self.viewer)

    __ror__ = __or__


class BlockList:
    def __init__(self, db: Database, bars: Bars | None = None) -> None:
        self.db = db
        self.bars = bars

    async def hidden(self, viewer: str) -> Hidden:
        matcher = await self.bars.matcher() if self.bars is not None else None
        return Hidden(frozenset(await blocks.blocked_by(self.db, viewer)), matcher or None,
                      viewer)

    async def has_blocked(self, owner: str, user: str) -> bool:
        return owner != user and await blocks.is_blocked(self.db, owner, user)

    async def refuse_if_blocked(self, owner: str, user: str, what: str) -> None:
        """`user` may not `what` (comment on her post, follow her...) once `owner` blocked
        him, nor at all while the operator bars him (a policy list, a suspension); the same
        answer whatever he tries, and nothing is sent."""
        if await self.has_blocked(owner, user):
            raise Forbidden(f"You cannot {what}: {owner} has blocked you")
        bar = await self.bars.barred(user, what) if self.bars is not None else None
        if isinstance(bar, Suspension):
            raise Forbidden(f"You cannot {what}: your account is suspended on this server")
        if bar is not None:
            raise Forbidden(f"You cannot {what}: this server's moderation policy bars you")

    async def refuse_if_owner_blocked(self, owner: str, target: str, what: str) -> None:
        """Her AI follows her choices: it never reaches (`what`: DMs, asks...) somebody she
        blocked, whoever asks it to."""
        if await blocks.is_blocked(self.db, owner, target):
            raise Forbidden(f"Your AI does not {what} {target}: you blocked them")

    async def filter_posts(self, viewer: str, views: list[dict[str, Any]],
                           hidden: Hidden | None = None) -> list[dict[str, Any]]:
        """Her views without the posts of people she blocked (or a policy list bars) nor
        reposts of them, and with the likes, comments and reposts of whom she blocked taken
        out of the counts of what is left."""
        hidden = await self.hidden(viewer) if hidden is None else hidden
        if not hidden:
            return views
        kept = [v for v in views if not _by_any(v, hidden)]
        await self.without_their_counts(viewer, kept, hidden)
        return kept

    async def without_their_counts(self, viewer: str, views: list[dict[str, Any]],
                                   hidden: Hidden | None = None) -> None:
        """Her counts of these posts: their likes, comments and reposts less those of the
        people she blocked (`hidden`: whom she blocked, if already read). Whom the operator
        bars is hidden, his marks are not counted out: a suspension took them out of the
        index, and the index never took those made while a bar stood."""
        hidden = await self.hidden(viewer) if hidden is None else hidden
        if not hidden.users or not views:
            return
        found = await blocks.counts_by_blocked(self.db, viewer, [v["id"] for v in views])
        for view in views:
            for name, n in found.get(view["id"], {}).items():
                view["counts"][name] = max(0, view["counts"][name] - n)


def _by_any(view: dict[str, Any], hidden: Hidden) -> bool:
    if view["author"]["user_id"] in hidden:
        return True
    original = view.get("repost_of")
    return isinstance(original, dict) and original.get("author") in hidden
