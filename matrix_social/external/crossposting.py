"""Write once, publish everywhere: cross-posting listens to Posts. A post published with
`cross_post` (or, when the request did not say, with the user's default targets) gets one
recorded delivery per target, in the background (the platform scheduler runs them:
delivery.py); its per-target status is on the post in the API and in Matrix (a state event by
the bot in her feed room, docs/events.md), and edits and deletions follow where the platform
allows. Everything comes from what Posts announced: nothing is read back.

The local post never waits for a platform and never fails because of one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from mautrix.util.async_db import Database

from ..background import Background
from ..clock import now_ms
from ..db import cross_post_deliveries as deliveries
from ..db import platform_connections as connections
from ..db import user_settings
from ..matrix.feed_owners import FeedOwners
from ..social.posts import Composer, Deleted, Edited, Published, cross_post_targets
from ..social.views import delivery_view
from .delivery import Deliveries, StatusBoard, broken_refusal
from .management import ManagementRooms
from .platform import OutgoingPost, Preview
from .previews import Previews, draft_of, permalink
from .registry import Platforms

log = logging.getLogger("matrix_social.crossposting")


class CrossPosting:
    """Posts' listener (published, edited, deleted), the default targets, and the preview."""

    def __init__(self, db: Database, platforms: Platforms, queue: Deliveries,
                 previews: Previews, status: StatusBoard, composer: Composer,
                 owners: FeedOwners, management: ManagementRooms, background: Background,
                 wake: Callable[[], None]) -> None:
        self.db = db
        self.platforms = platforms
        self.queue = queue
        self.previews = previews
        self.status = status
        self.composer = composer
        self.owners = owners
        self.management = management
        self.background = background
        self.wake = wake

    # --- settings ----------------------------------------------------------------------------

    async def default_targets(self, user_id: str) -> list[str]:
        stored = await user_settings.get(self.db, user_id, user_settings.CROSS_POST_DEFAULT, [])
        targets = self.platforms.targets()
        return [t for t in stored if t in targets] if isinstance(stored, list) else []

    async def settings(self, user_id: str) -> dict[str, Any]:
        return {"cross_post_default": await self.default_targets(user_id)}

    async def set_default(self, user_id: str, value: Any) -> dict[str, Any]:
        targets = cross_post_targets(value, self.platforms.targets(), "cross_post_default")
        await user_settings.put(self.db, user_id, user_settings.CROSS_POST_DEFAULT,
                                list(targets), now_ms())
        return await self.settings(user_id)

    # --- the preview -------------------------------------------------------------------------

    async def preview(self, author: str, body: dict[str, Any]) -> dict[str, Any]:
        """Per target: the exact text, its counted length and limit, or the refusal; for a
        post that goes out as a thread (Bluesky), each post of it (`parts`). The link
        back names the post's event id, known only once it is published: `$…` stands for it
        (a link counts the same whatever it says, so lengths and cuts are exact)."""
        targets = self.platforms.targets()
        chosen = list(cross_post_targets(body["cross_post"], targets)) \
            if "cross_post" in body else await self.default_targets(author)
        composed = await self.composer.compose(author, body)
        room = await self.owners.room_of(author) or "!room"
        draft = draft_of(composed.kind, composed.content, permalink(room, "$…"))
        previews = await self.previews.of(author, draft, chosen or targets)
        for row in await connections.list_for_user(self.db, author):
            if row.platform in previews and row.status != connections.OK:
                shown = previews[row.platform]
                previews[row.platform] = Preview(row.platform, None, shown.length, shown.limit,
                                                 refusal=broken_refusal(
                                                     row, self.platforms.label(row.platform)))
        return {"targets": [{"target": t, "text": p.text, "length": p.length,
                             "limit": p.limit, "truncated": p.truncated, "refusal": p.refusal,
                             "parts": [part.sent for part in p.parts]}
                            for t, p in previews.items()]}

    # --- what Posts announces ------------------------------------------------------------------

    async def published(self, post: Published) -> Mapping[str, Any] | None:
        """Queue one delivery per target (refused at once where the preview refuses); the
        post's answer carries them as queued."""
        targets = post.cross_post if post.cross_post is not None else \
            await self.default_targets(post.author)
        if not targets:
            return None
        draft = draft_of(post.kind, post.content, permalink(post.room_id, post.post_id))
        rows = await self.queue.enqueue(post.post_id, post.author,
                                        await self.previews.of(post.author, draft, targets))
        self.wake()
        await self.status.publish(post.post_id, post.room_id)
        return {"cross_posts": [delivery_view(r) for r in rows]}

    async def edited(self, post: Edited) -> None:
        rows = await deliveries.for_post(self.db, post.post_id)
        if any(r.status == deliveries.DELIVERED for r in rows):
            self.background.spawn(self._follow_edit(post))

    async def _follow_edit(self, post: Edited) -> None:
        try:
            draft = draft_of(post.kind, post.content, permalink(post.room_id, post.post_id))
            delivered = [r.target for r in await deliveries.for_post(self.db, post.post_id)
                         if r.status == deliveries.DELIVERED]
            previews = await self.previews.of(post.author, draft, delivered)
            outcome = await self.queue.edit(post.post_id, {
                t: OutgoingPost(p.text or "", parts=p.parts) for t, p in previews.items()
                if p.text is not None})
            await self._report(post.author, post.post_id, "edited", outcome)
        except Exception:
            log.exception("Following the edit of %s failed", post.post_id)

    async def deleted(self, post: Deleted) -> None:
        if await deliveries.for_post(self.db, post.post_id):
            self.background.spawn(self._follow_delete(post))

    async def _follow_delete(self, post: Deleted) -> None:
        try:
            outcome = await self.queue.delete(post.post_id)
            await self.status.publish(post.post_id, post.room_id)
            await self._report(post.author, post.post_id, "deleted", outcome)
        except Exception:
            log.exception("Following the deletion of %s failed", post.post_id)

    async def _report(self, user: str, post_id: str, verb: str,
                      outcome: dict[str, str | None]) -> None:
        """Tell her where an edit or a deletion followed, and where it could not (a platform
        that offers neither: she must do it there, at the post's URL)."""
        if not outcome:
            return
        label = self.platforms.label
        done = [label(t) for t, reason in outcome.items() if reason is None]
        lines = [f"Your post was also {verb} on {', '.join(done)}."] if done else []
        urls = {r.target: r.url for r in await deliveries.for_post(self.db, post_id)}
        for target, reason in outcome.items():
            if reason is not None:
                lines.append(f"Not {verb} on {label(target)}: {reason}"
                             + (f" ({urls[target]})" if urls.get(target) else ""))
        await self.management.notify(user, "\n".join(lines))
