"""Cross-post delivery, one (post, target) at a time: the queue of deliveries (Deliveries), and
the worker the platform scheduler runs on each due one (DeliveryWorker), which publishes each
delivery's status in Matrix as it settles (StatusBoard).

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

A platform that threads a long post (Bluesky: `can_thread`) gets the delivery's log of parts
(DeliveryLog, db/cross_post_parts.py): the plan is written before the first part is sent, each
part's remote id before its request and its ref once made, so a retry (after a 5xx, a rate
limit, a restart) continues at the first part not made and never posts one twice. Deleting
the post deletes every part (the last first), delivered or not: a thread that stopped half made
is removed too. A deletion also cancels a delivery in flight: the attempt's outcome never
overwrites the cancel, and what that attempt made is deleted again.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import random
from collections.abc import Iterable, Mapping
from typing import Any

from mautrix.errors import MatrixRequestError
from mautrix.types import ContentURI, RoomID
from mautrix.util.async_db import Database

from .. import events as ev
from ..clock import now_ms
from ..content.parse import images_of
from ..db import cross_post_deliveries as deliveries
from ..db import cross_post_parts as parts_db
from ..db import external_items
from ..db import feed as feed_db
from ..db import platform_connections as connections
from ..db import posts as posts_db
from ..db.cross_post_deliveries import DeliveryRow
from ..db.cross_post_parts import PartRow
from ..db.external_items import ExternalItemRow
from ..db.platform_connections import ConnectionRow
from ..errors import (
    AuthRevoked,
    NotFound,
    PlatformError,
    PlatformRateLimited,
    Refused,
    TooLarge,
    TransientError,
)
from ..locks import KeyedLocks
from ..matrix.ingest.changes import IndexChanges, Written
from ..matrix.intents import Intents
from .grants import Grants
from .management import ManagementRooms
from .media_links import MediaLinks
from .platform import (
    Account,
    Image,
    OutgoingPost,
    PartLog,
    PlatformAdapter,
    Preview,
    Published,
    ThreadPart,
)
from .polling import DELIVERY_RETRY_S, delivery_retry
from .previews import Previews, draft_of, permalink
from .registry import Platforms, account_of

log = logging.getLogger("matrix_social.crossposting")

MAX_ATTEMPTS = 3
STATUS_TIMEOUT_S = 20.0
FINAL = (deliveries.DELIVERED, deliveries.FAILED, deliveries.REFUSED, deliveries.DELETED)
POST_DELETED = "the post was deleted"  # why a delivery was cancelled (she did it: not told)


def idempotency_key(post_event_id: str, target: str) -> str:
    return hashlib.sha256(f"{post_event_id}\n{target}".encode()).hexdigest()[:40]


class Deliveries:
    """The recorded deliveries of cross-posts: queued, claimed, attempted, followed."""

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
                broken_refusal(connection, self.platforms.label(target))
                if connection.status != connections.OK else None)
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
        thread: DeliveryLog | None = None
        published: Published | None = None
        connection = account = adapter = None
        try:
            connection = await connections.get(self.db, row.user_id, row.target)
            if connection is None:
                raise Refused(row.target, f"{row.target} is not connected")
            account = account_of(connection)
            adapter = await self.platforms.adapter_for(row.target, connection.instance)
            outgoing = OutgoingPost(post.text, post.images, post.image_url,
                                    claimed.idempotency_key, post.parts)
            target_adapter = adapter
            if adapter.can_thread:
                thread = await DeliveryLog.open(self.db, claimed, account, room_id,
                                                outgoing.thread())
                parts = thread
                published = await self.grants.call(
                    connection, lambda token: target_adapter.publish_thread(
                        token, account, outgoing, parts))
            else:
                # A refused login breaks the connection inside grants.call.
                published = await self.grants.call(
                    connection, lambda token: target_adapter.publish(token, account, outgoing))
        except (Refused, AuthRevoked) as e:
            settled = await deliveries.mark_refused(self.db, *key, _reason(e), now_ms(),
                                                    only_from=deliveries.SENDING)
        except (PlatformRateLimited, TransientError) as e:
            next_attempt = delivery_retry(claimed.attempts, e, now_ms(), self.max_attempts,
                                          self.rng, self.retry_base_s)
            if next_attempt is None:
                settled = await deliveries.mark_failed(self.db, *key, _reason(e), now_ms(),
                                                       only_from=deliveries.SENDING)
            else:
                settled = await deliveries.mark_retry(self.db, *key, _reason(e),
                                                      next_attempt, now_ms(),
                                                      only_from=deliveries.SENDING)
        else:
            await external_items.insert(self.db, ExternalItemRow(
                row.user_id, row.target, account.key, published.remote_id, row.post_event_id,
                room_id, external_items.OUTBOUND, None), now_ms())
            settled = await deliveries.mark_delivered(
                self.db, *key, published.remote_id, published.url, now_ms(),
                only_from=deliveries.SENDING)
        if not settled and connection is not None and account is not None \
                and adapter is not None:
            # The post was deleted while this attempt was in flight: what it made goes too.
            if thread is not None:
                made = [p.remote_id for p in reversed(thread.parts) if p.remote_id]
            else:
                made = [published.remote_id] if published is not None else []
            await self._undo(row, connection, account, adapter, made)
        return await deliveries.get(self.db, row.post_event_id, row.target)

    async def _undo(self, row: DeliveryRow, connection: ConnectionRow, account: Account,
                    adapter: PlatformAdapter, remote_ids: list[str]) -> None:
        for remote_id in remote_ids:
            try:
                await self.grants.call(connection, lambda token, remote_id=remote_id:
                                       adapter.delete(token, account, remote_id))
            except PlatformError as e:
                log.warning("a %s post made while its post was deleted stays: %s",
                            row.target, _reason(e))
        await parts_db.forget_all(self.db, row.post_event_id, row.target)

    async def edit(self, post_event_id: str, posts: Mapping[str, OutgoingPost]
                   ) -> dict[str, str | None]:
        """Follow an edit of the post where the target allows: target -> None (done) or the
        reason it was not (Instagram cannot edit; X only for some accounts)."""
        return await self._follow(post_event_id, posts.keys(), posts)

    async def delete(self, post_event_id: str) -> dict[str, str | None]:
        """Follow a deletion: cancel pending deliveries and those in flight, delete what was
        made of each (every part of a thread, even one that stopped half made). target ->
        None (done) or the reason it was not (Instagram offers no deletion)."""
        outcome: dict[str, str | None] = {}
        for row in await deliveries.for_post(self.db, post_event_id):
            if row.status in (deliveries.PENDING, deliveries.SENDING):
                await deliveries.mark_refused(self.db, post_event_id, row.target,
                                              POST_DELETED, now_ms())
                outcome[row.target] = None
        outcome.update(await self._follow(post_event_id, None, None))
        return outcome

    async def _follow(self, post_event_id: str, targets: Iterable[str] | None,
                      posts: Mapping[str, OutgoingPost] | None) -> dict[str, str | None]:
        outcome: dict[str, str | None] = {}
        for row in await deliveries.for_post(self.db, post_event_id):
            if targets is not None and row.target not in targets:
                continue
            if posts is None:  # a deletion: whatever was made, delivered or not
                if row.status == deliveries.DELETED or not (row.remote_id or any(
                        p.remote_id for p in await parts_db.of_delivery(
                            self.db, post_event_id, row.target))):
                    continue
            elif row.status != deliveries.DELIVERED or not row.remote_id:
                continue
            try:
                await self._follow_one(row, posts[row.target] if posts is not None else None)
                outcome[row.target] = None
            except PlatformError as e:
                outcome[row.target] = _reason(e)
        return outcome

    async def _follow_one(self, row: DeliveryRow, post: OutgoingPost | None) -> None:
        """Edit (`post`) or delete (None) one cross-post: a thread's every part, the last
        first, each forgotten once deleted (a deletion tried again goes on from there)."""
        connection = await connections.get(self.db, row.user_id, row.target)
        if connection is None:
            raise Refused(row.target, f"{row.target} is no longer connected")
        account = account_of(connection)
        adapter = await self.platforms.adapter_for(row.target, connection.instance)
        remote_id = row.remote_id or ""
        if post is None:
            parts = await parts_db.of_delivery(self.db, row.post_event_id, row.target)
            for part in reversed(parts):
                if part.remote_id:
                    await self.grants.call(connection, lambda token, rid=part.remote_id:
                                           adapter.delete(token, account, rid))
                await parts_db.forget(self.db, row.post_event_id, row.target, part.part)
            if not parts:
                await self.grants.call(connection,
                                       lambda token: adapter.delete(token, account, remote_id))
            await deliveries.mark_deleted(self.db, row.post_event_id, row.target, now_ms())
        else:
            await self.grants.call(connection,
                                   lambda token: adapter.edit(token, account, remote_id, post))


class DeliveryLog(PartLog):
    """A delivery's thread (PartLog), each step written to the database before the next
    request: the part's remote id before it is sent, its ref and URL once made (and the post
    in the item map, so it is never bridged back in). Before a part is sent the delivery must
    still be this attempt's: a deletion meanwhile stops the thread there."""

    def __init__(self, db: Database, row: DeliveryRow, account: Account, room_id: str,
                 parts: list[ThreadPart]) -> None:
        super().__init__(parts)
        self.db = db
        self.row = row
        self.account = account
        self.room_id = room_id

    @classmethod
    async def open(cls, db: Database, row: DeliveryRow, account: Account, room_id: str,
                   parts: tuple[ThreadPart, ...]) -> DeliveryLog:
        """The plan an earlier attempt wrote, else `parts`, written now."""
        planned = await parts_db.plan(db, row.post_event_id, row.target, [
            PartRow(i, p.text, p.numbering, p.cut_before, p.cut_after, None, None, None)
            for i, p in enumerate(parts)], now_ms())
        return cls(db, row, account, room_id, [
            ThreadPart(p.text, p.numbering, p.cut_before, p.cut_after, p.remote_id, p.ref,
                       p.url) for p in planned])

    async def reserve(self, index: int, remote_id: str) -> None:
        current = await deliveries.get(self.db, self.row.post_event_id, self.row.target)
        if current is None or current.status != deliveries.SENDING:
            raise Refused(self.row.target, POST_DELETED)
        await parts_db.reserve(self.db, self.row.post_event_id, self.row.target, index,
                               remote_id, now_ms())
        await super().reserve(index, remote_id)

    async def made(self, index: int, ref: str, url: str) -> None:
        remote_id = self.parts[index].remote_id or ""
        key = (self.row.post_event_id, self.row.target)
        await parts_db.made(self.db, *key, index, ref, url, now_ms())
        await super().made(index, ref, url)
        await external_items.insert(self.db, ExternalItemRow(
            self.row.user_id, self.row.target, self.account.key, remote_id,
            self.row.post_event_id, self.room_id, external_items.OUTBOUND, None), now_ms())
        if index == 0:
            await deliveries.set_remote(self.db, *key, remote_id, url, now_ms())


def broken_refusal(connection: ConnectionRow, name: str) -> str:
    """Why nothing goes to a broken connection (the preview and the delivery say the same)."""
    reason = (connection.status_reason or "it was signed out").rstrip(". ")[:200]
    return f"the {name} connection is not working ({reason}); connect again"


def _reason(error: PlatformError) -> str:
    return (error.reason if isinstance(error, Refused) else error.message)[:300]


class StatusBoard:
    """A post's per-target status as state in her feed room, by the bot (docs/events.md): what
    a Matrix client sees of where the post went."""

    def __init__(self, db: Database, intents: Intents, changes: IndexChanges) -> None:
        self.db = db
        self.intents = intents
        self.changes = changes
        self._locks = KeyedLocks()

    async def publish(self, post_event_id: str, room_id: str) -> None:
        """One at a time per post, each reading the rows when its turn comes, so the last
        state sent is the newest; best effort (the API has the status in any case)."""
        async with self._locks.hold(post_event_id):
            rows = await deliveries.for_post(self.db, post_event_id)
            content = {"post": post_event_id, "targets": {
                r.target: {"status": r.status, "url": r.url, "remote_id": r.remote_id,
                           "error": (r.last_error or None) and r.last_error[:200]}
                for r in rows}}
            try:
                async with asyncio.timeout(STATUS_TIMEOUT_S):
                    await self.intents.bot.send_state_event(
                        RoomID(room_id), ev.CROSS_POST_STATE, content, state_key=post_event_id)
            except (MatrixRequestError, TimeoutError) as e:
                log.warning("cross-post status of %s not published: %s", post_event_id,
                            type(e).__name__)
                return
            # Told as a changed post: the screens showing it reload it (live stream).
            found = await posts_db.get_author(self.db, post_event_id)
            if found is not None:
                self.changes.publish(Written(new_posts=[(found[0], post_event_id, found[1])]))


class DeliveryWorker:
    """The platform scheduler's cross-post worker: one attempt at one due delivery, formatted
    from the post as the index has it when its turn comes (an edit made meanwhile included,
    a deletion refusing it), its status then published and, when it settles badly, told to
    her."""

    def __init__(self, db: Database, platforms: Platforms, queue: Deliveries,
                 previews: Previews, intents: Intents, links: MediaLinks,
                 status: StatusBoard, management: ManagementRooms) -> None:
        self.db = db
        self.platforms = platforms
        self.queue = queue
        self.previews = previews
        self.intents = intents
        self.links = links
        self.status = status
        self.management = management

    async def due(self, limit: int = 20) -> list[DeliveryRow]:
        return await self.queue.due(limit)

    async def release_in_flight(self) -> int:
        return await self.queue.release_in_flight()

    async def deliver(self, row: DeliveryRow) -> None:
        post = await feed_db.one_post(self.db, row.user_id, row.post_event_id)
        if post is None:
            await deliveries.mark_refused(self.db, row.post_event_id, row.target,
                                          POST_DELETED, now_ms())
            return
        content = json.loads(post["content"])
        draft = draft_of(post["kind"], content, permalink(post["room_id"], row.post_event_id))
        chosen = (await self.previews.of(row.user_id, draft, [row.target]))[row.target]
        try:
            outgoing = await self._outgoing(row.target, chosen, content)
        except TooLarge as e:
            chosen = Preview(row.target, None, 0, 0, refusal=f"the post's image is too large "
                                                             f"to convert: {e}")
            outgoing = None
        except (MatrixRequestError, ValueError, NotFound) as e:
            chosen = Preview(row.target, None, 0, 0, refusal=f"the post's image could not be "
                                                             f"read ({type(e).__name__})")
            outgoing = None
        if chosen.refusal or outgoing is None:
            await deliveries.mark_refused(self.db, row.post_event_id, row.target,
                                          chosen.refusal or "nothing to send", now_ms())
            updated = next(d for d in await deliveries.for_post(self.db, row.post_event_id)
                           if d.target == row.target)
        else:
            updated = await self.queue.attempt(row, outgoing, post["room_id"])
        if updated is not None and updated.status in FINAL:
            await self.status.publish(row.post_event_id, post["room_id"])
            if updated.status in (deliveries.FAILED, deliveries.REFUSED) \
                    and updated.last_error != POST_DELETED:
                await self.management.notify(
                    row.user_id, f"Your post could not be published to "
                                 f"{self.platforms.label(row.target)}: {updated.last_error}")

    async def _outgoing(self, target: str, chosen: Preview, content: dict[str, Any]
                        ) -> OutgoingPost | None:
        """The post as the target takes it: its images' bytes with their alt text, or for a
        platform that fetches images itself (Instagram) a signed link to the first one's JPEG."""
        if chosen.text is None:
            return None
        listed = images_of(content)
        if self.platforms.get(target).fetches_images:
            first = listed[0]["url"] if listed else None
            url = await self.links.jpeg_url(first) if isinstance(first, str) else None
            return OutgoingPost(chosen.text, image_url=url)
        images: list[Image] = []
        for image in listed:
            data = await self.intents.bot.download_media(ContentURI(image["url"]))
            if len(data) > self.links.max_bytes:
                raise ValueError("image too large")
            images.append(Image(data, str(image.get("mimetype") or "image/jpeg"),
                                image.get(ev.IMAGE_ALT) or None))
        return OutgoingPost(chosen.text, tuple(images), parts=chosen.parts)
