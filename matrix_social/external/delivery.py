"""Cross-post delivery, one (post, target) at a time, for the integration's delivery loop.

The local post never waits for this. Each delivery is recorded (db/cross_post_deliveries.py):
claimed before the attempt (a crash leaves it "sending"; release_in_flight() at start-up makes
it pending again), sent with its idempotency key (Mastodon returns the same status for the
same key; X refuses a duplicate and the adapter finds the existing post), retried with
backoff on 429/5xx up to max_attempts, then failed with the last error visible. A delivered
post is also written to the item map as "outbound", so the reader recognises it when it comes
back and does not bridge it in again.

A 401 (or a 403 that is not about one post) on any call of a delivery, its image upload
included, breaks the connection at once (Grants.mark_broken: she is told once), so later
deliveries to it are refused without a request leaving, with the reason.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Mapping

from mautrix.util.async_db import Database

from .. import events as ev
from ..clock import now_ms
from ..db import cross_post_deliveries as deliveries
from ..db import external_items
from ..db import platform_connections as connections
from ..db.cross_post_deliveries import DeliveryRow
from ..db.external_items import ExternalItemRow
from ..db.platform_connections import ConnectionRow
from ..errors import AuthRevoked, PlatformError, PlatformRateLimited, Refused, TransientError
from .formatting import Preview
from .grants import Grants
from .platform import OutgoingPost
from .polling import DELIVERY_RETRY_S, delivery_retry
from .registry import Platforms, account_of

MAX_ATTEMPTS = 3


def idempotency_key(post_event_id: str, target: str) -> str:
    return hashlib.sha256(f"{post_event_id}\n{target}".encode()).hexdigest()[:40]


class CrossPoster:
    def __init__(self, db: Database, platforms: Platforms, grants: Grants,
                 max_attempts: int = MAX_ATTEMPTS, rng: random.Random | None = None,
                 retry_base_s: float = DELIVERY_RETRY_S) -> None:
        self.db = db
        self.retry_base_s = retry_base_s
        self.platforms = platforms
        self.grants = grants
        self.max_attempts = max_attempts
        self.rng = rng or random.Random()

    async def enqueue(self, post_event_id: str, user_id: str,
                      previews: Mapping[str, Preview]) -> list[DeliveryRow]:
        """Record one delivery per target: pending, or refused with the preview's reason (the
        others still go). Enqueuing the same post again changes nothing."""
        now = now_ms()
        for target, preview in previews.items():
            key = idempotency_key(post_event_id, target)
            connection = await connections.get(self.db, user_id, target)
            refusal = preview.refusal or (
                f"{target} is not connected" if connection is None else
                broken_refusal(connection) if connection.status != connections.OK else None)
            if refusal:
                await deliveries.create_refused(self.db, post_event_id, target, user_id, key,
                                                refusal, now)
            else:
                await deliveries.create(self.db, post_event_id, target, user_id, key, now)
        return await deliveries.for_post(self.db, post_event_id)

    async def due(self, limit: int = 20) -> list[DeliveryRow]:
        return await deliveries.due(self.db, now_ms(), limit)

    async def release_in_flight(self) -> int:
        """At start-up: deliveries a crash caught mid-attempt are tried again."""
        return await deliveries.release_in_flight(self.db, now_ms())

    async def attempt(self, row: DeliveryRow, post: OutgoingPost, room_id: str
                      ) -> DeliveryRow | None:
        """One attempt at one delivery (`post` already formatted for row.target; its
        idempotency key is the delivery's). None if somebody else holds the delivery."""
        claimed = await deliveries.claim(self.db, row.post_event_id, row.target, now_ms())
        if claimed is None:
            return None
        key = (row.post_event_id, row.target)
        try:
            connection = await connections.get(self.db, row.user_id, row.target)
            if connection is None:
                raise Refused(row.target, f"{row.target} is not connected")
            account = account_of(connection)
            adapter = await self.platforms.adapter_for(row.target, connection.instance)
            outgoing = OutgoingPost(post.text, post.images, post.image_url,
                                    claimed.idempotency_key, post.visibility)
            # A refused login breaks the connection inside grants.call.
            published = await self.grants.call(
                connection, lambda token: adapter.publish(token, account, outgoing))
        except (Refused, AuthRevoked) as e:
            await deliveries.mark_refused(self.db, *key, _reason(e), now_ms())
        except (PlatformRateLimited, TransientError) as e:
            next_attempt = delivery_retry(claimed.attempts, e, now_ms(), self.max_attempts,
                                          self.rng, self.retry_base_s)
            if next_attempt is None:
                await deliveries.mark_failed(self.db, *key, _reason(e), now_ms())
            else:
                await deliveries.mark_retry(self.db, *key, _reason(e), next_attempt, now_ms())
        else:
            await external_items.insert(self.db, ExternalItemRow(
                row.user_id, row.target, account.key, published.remote_id, row.post_event_id,
                room_id, external_items.OUTBOUND, None), now_ms())
            await deliveries.mark_delivered(self.db, *key, published.remote_id, published.url,
                                            now_ms())
        return next(d for d in await deliveries.for_post(self.db, row.post_event_id)
                    if d.target == row.target)

    async def edit(self, post_event_id: str, posts: Mapping[str, OutgoingPost]
                   ) -> dict[str, str | None]:
        """Follow an edit of the post where the target allows: target -> None (done) or the
        reason it was not (Instagram cannot edit; X only for some accounts)."""
        return await self._follow(post_event_id, posts.keys(), posts)

    async def delete(self, post_event_id: str) -> dict[str, str | None]:
        """Follow a deletion: delete delivered cross-posts, cancel pending ones. target ->
        None (done) or the reason it was not (Instagram offers no deletion)."""
        outcome: dict[str, str | None] = {}
        for row in await deliveries.for_post(self.db, post_event_id):
            if row.status == deliveries.PENDING:
                await deliveries.mark_refused(self.db, post_event_id, row.target,
                                              "the post was deleted", now_ms())
                outcome[row.target] = None
        outcome.update(await self._follow(post_event_id, None, None))
        return outcome

    async def _follow(self, post_event_id: str, targets: Iterable[str] | None,
                      posts: Mapping[str, OutgoingPost] | None) -> dict[str, str | None]:
        outcome: dict[str, str | None] = {}
        for row in await deliveries.for_post(self.db, post_event_id):
            if row.status != deliveries.DELIVERED or not row.remote_id or (
                    targets is not None and row.target not in targets):
                continue
            try:
                await self._follow_one(row, posts[row.target] if posts is not None else None)
                outcome[row.target] = None
            except PlatformError as e:
                outcome[row.target] = _reason(e)
        return outcome

    async def _follow_one(self, row: DeliveryRow, post: OutgoingPost | None) -> None:
        """Edit (`post`) or delete (None) one delivered cross-post."""
        connection = await connections.get(self.db, row.user_id, row.target)
        if connection is None:
            raise Refused(row.target, f"{row.target} is no longer connected")
        account = account_of(connection)
        adapter = await self.platforms.adapter_for(row.target, connection.instance)
        remote_id = row.remote_id or ""
        if post is None:
            await self.grants.call(connection,
                                   lambda token: adapter.delete(token, account, remote_id))
            await deliveries.mark_deleted(self.db, row.post_event_id, row.target, now_ms())
        else:
            await self.grants.call(connection,
                                   lambda token: adapter.edit(token, account, remote_id, post))


def broken_refusal(connection: ConnectionRow) -> str:
    """Why nothing goes to a broken connection (the preview and the delivery say the same)."""
    name = ev.PLATFORM_NAMES.get(connection.platform, connection.platform)
    reason = (connection.status_reason or "it was signed out").rstrip(". ")[:200]
    return f"the {name} connection is not working ({reason}); connect again"


def _reason(error: PlatformError) -> str:
    return (error.reason if isinstance(error, Refused) else error.message)[:300]

