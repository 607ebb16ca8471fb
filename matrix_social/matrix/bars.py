"""Whom the operator bars, and from what: one answer for the subscribed policy lists
(policy_lists.py) and for suspensions (social/moderation.py writes them, `suspended_user`), of
users of this server or of any other (docs/events.md, "Reports and moderation"). Every check
asks here: the index rules (a follow, comment, like, repost or mention that is not indexed),
the API's refusals and whom views hide (social/block_list.py), the AI rate limit.

Suspensions are read whole into a small cache, dropped at once in this process when one
changes (`changed`), in the others by NOTIFY (`suspensions`, PostgreSQL), and at the latest
after SUSPENSIONS_TTL seconds (SQLite with the command line in another process; a NOTIFY lost).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from mautrix.util.async_db import Database

from ..db import moderation
from ..db.notify import Broadcast
from .policy_globs import PolicyMatcher, PolicyRule
from .policy_lists import PolicyLists

log = logging.getLogger("matrix_social.moderation")
SUSPENSIONS_TTL = 5.0


@dataclass(frozen=True)
class Suspension:
    user_id: str
    actor: str
    reason: str
    ts: int

    def describe(self) -> str:
        return f"suspension by {self.actor}: {self.reason}"


Bar = PolicyRule | Suspension


class BarMatcher:
    """Suspensions and the policy rules together, as the read side uses them: `match` names
    what bars a user (his suspension first), or None. Falsy when nobody is barred."""

    def __init__(self, suspended: dict[str, Suspension],
                 policy: PolicyMatcher | None = None) -> None:
        self.suspended = suspended
        self.policy = policy

    def __bool__(self) -> bool:
        return bool(self.suspended) or bool(self.policy)

    def match(self, user_id: str) -> Bar | None:
        found = self.suspended.get(user_id)
        if found is not None:
            return found
        return self.policy.match(user_id) if self.policy else None

    async def barred(self, user_id: str, what: str) -> Bar | None:
        """As Bars.barred, from this snapshot (a reindex replays with one)."""
        return _logged(self.match(user_id), user_id, what)


class Bars:
    def __init__(self, db: Database, policy: PolicyLists | None = None,
                 broadcast: Broadcast | None = None) -> None:
        self.db = db
        self.policy = policy
        self.broadcast = broadcast
        self._suspended: dict[str, Suspension] | None = None
        self._read_at = 0.0
        if broadcast is not None:
            broadcast.on("suspensions", lambda _: self._drop())
            broadcast.on_gap(self._drop)

    def _drop(self) -> None:
        self._suspended = None

    async def suspended(self) -> dict[str, Suspension]:
        if self._suspended is None or time.monotonic() - self._read_at > SUSPENSIONS_TTL:
            self._read_at = time.monotonic()
            self._suspended = {r["user_id"]: Suspension(r["user_id"], r["actor"], r["reason"],
                                                        r["ts"])
                               for r in await moderation.suspensions(self.db)}
        return self._suspended

    async def matcher(self) -> BarMatcher:
        policy = await self.policy.matcher() if self.policy is not None else None
        return BarMatcher(await self.suspended(), policy or None)

    async def barred(self, user_id: str, what: str) -> Bar | None:
        """What bars `user_id` from `what` (a suspension, else a policy rule), logged for the
        operator; None if nothing does."""
        return await (await self.matcher()).barred(user_id, what)

    async def changed(self) -> None:
        """A suspension was written or lifted: read again here, and in every other process
        (told before the caller goes on, so their next check sees it)."""
        self._drop()
        if self.broadcast is not None:
            await self.broadcast.tell("suspensions")


def _logged(bar: Bar | None, user_id: str, what: str) -> Bar | None:
    if isinstance(bar, Suspension):
        log.info("Suspended: %s refused to %s (%s)", what, user_id, bar.describe())
    elif bar is not None:
        logging.getLogger("matrix_social.policy").info(
            "Policy list: %s refused to %s by the %s", what, user_id, bar.describe())
    return bar
