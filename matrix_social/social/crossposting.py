"""Write once, publish everywhere: a post with `cross_post` (or the user's default targets) is
published here first, then delivered to each platform in the background (the scheduler runs
deliver()); its per-target status is on the post in the API and in Matrix (a state event by the
bot in her feed room, docs/events.md), and edits and deletions follow where the platform allows.

The local post never waits for a platform and never fails because of one.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from mautrix.errors import MatrixRequestError
from mautrix.types import ContentURI, RoomID
from mautrix.util.async_db import Database

from .. import events as ev
from ..background import Background
from ..clock import now_ms
from ..content import compose
from ..content.fields import clean_text
from ..db import cross_post_deliveries as deliveries
from ..db import platform_connections as connections
from ..db import user_settings
from ..db.cross_post_deliveries import DeliveryRow
from ..errors import InvalidInput, NotFound, PlatformError, TooLarge
from ..locks import KeyedLocks
from ..matrix.feed_owners import FeedOwners
from ..matrix.intents import Intents
from ..matrix.management import ManagementRooms
from ..platforms.base import Image, OutgoingPost
from ..platforms.crosspost import CrossPoster, broken_refusal
from ..platforms.formatting import (
    MASTODON_DEFAULT_LIMIT,
    MASTODON_URL_LENGTH,
    Draft,
    Preview,
    preview,
)
from ..platforms.registry import Platforms
from .feed import Feed
from .media import Uploads
from .platform_media import MediaLinks
from .posts import Posts

log = logging.getLogger("matrix_social.crossposting")

TARGETS = ("x", "mastodon", "instagram")
STATUS_TIMEOUT_S = 20.0
FINAL = (deliveries.DELIVERED, deliveries.FAILED, deliveries.REFUSED, deliveries.DELETED)
_NAMES = ev.PLATFORM_NAMES


def permalink(room_id: str, event_id: str) -> str:
    """The link back to the post, added when a platform's text is cut."""
    return f"https://matrix.to/#/{room_id}/{event_id}"


def delivery_view(row: DeliveryRow) -> dict[str, Any]:
    return {"target": row.target, "status": row.status, "remote_id": row.remote_id,
            "url": row.url, "attempts": row.attempts, "last_error": row.last_error}


def parse_targets(value: Any, field: str = "cross_post") -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value) \
            or len(value) > len(TARGETS):
        raise InvalidInput(f"'{field}' must be a list of platforms: {', '.join(TARGETS)}")
    for target in value:
        if target not in TARGETS:
            raise InvalidInput(f"'{field}': cannot publish to {target[:40]!r}; "
                               f"choose from {', '.join(TARGETS)}")
    return list(dict.fromkeys(value))


class CrossPosting:
    def __init__(self, db: Database, posts: Posts, feed: Feed, media: Uploads,
                 owners: FeedOwners, platforms: Platforms, poster: CrossPoster,
                 intents: Intents,
                 management: ManagementRooms, links: MediaLinks, background: Background,
                 wake: Callable[[], None], runner_template: str,
                 mastodon_visibility: str = "public") -> None:
        self.db = db
        self.posts = posts
        self.feed = feed
        self.media = media
        self.owners = owners
        self.platforms = platforms
        self.poster = poster
        self.intents = intents
        self.management = management
        self.links = links
        self.background = background
        self.wake = wake
        self.runner_template = runner_template
        self.visibility = mastodon_visibility
        self._status_locks = KeyedLocks()

    # --- settings ----------------------------------------------------------------------------

    async def default_targets(self, user_id: str) -> list[str]:
        stored = await user_settings.get(self.db, user_id, user_settings.CROSS_POST_DEFAULT, [])
        return [t for t in stored if t in TARGETS] if isinstance(stored, list) else []

    async def settings(self, user_id: str) -> dict[str, Any]:
        return {"cross_post_default": await self.default_targets(user_id)}

    async def set_default(self, user_id: str, value: Any) -> dict[str, Any]:
        targets = parse_targets(value, "cross_post_default")
        await user_settings.put(self.db, user_id, user_settings.CROSS_POST_DEFAULT, targets,
                                now_ms())
        return await self.settings(user_id)

    # --- drafts and previews -----------------------------------------------------------------

    async def _targets(self, author: str, body: dict[str, Any], as_ai: bool) -> list[str]:
        if "cross_post" in body:
            targets = parse_targets(body["cross_post"])
        else:
            targets = [] if as_ai else await self.default_targets(author)
        if targets and as_ai:
            raise InvalidInput("'cross_post' is for your own posts, not your AI's")
        return targets

    @staticmethod
    def _draft(kind: str, content: dict[str, Any], post_url: str | None) -> Draft:
        block = content.get(ev.POST_BLOCK) or {}
        if kind == "repost":
            return Draft("", post_url)
        if kind == "image":
            mimetype = str((content.get("info") or {}).get("mimetype") or "")
            return Draft(str(block.get("caption") or ""), post_url, (mimetype,))
        return Draft(str(content.get("body") or ""), post_url)

    async def _content_of(self, author: str, body: dict[str, Any]) -> tuple[str, dict]:
        """The content a POST /posts body would publish, without publishing it."""
        kind = body.get("kind", "text")
        text = clean_text(body.get("text"), "text", required=kind == "text")
        if kind == "text":
            return kind, compose.text_content(text)
        if kind == "image":
            row = await self.media.own(author, body.get("image"), "image")
            return kind, compose.image_content(row["mxc"], row["mimetype"], row["size"],
                                               row["width"], row["height"], text)
        if kind == "app":
            return kind, compose.app_content(body.get("app"), self.runner_template, text)
        if kind == "activity":
            return kind, compose.activity_content(body.get("activity"), text)
        raise InvalidInput("'kind' must be one of text, image, app, activity")

    async def _mastodon_limits(self, user_id: str) -> tuple[int, int]:
        row = await connections.get(self.db, user_id, "mastodon")
        if row is None or not row.instance:
            return MASTODON_DEFAULT_LIMIT, MASTODON_URL_LENGTH
        try:
            adapter = await self.platforms.mastodon_adapter(row.instance)
            info = await adapter.instance_info()
        except PlatformError:
            return MASTODON_DEFAULT_LIMIT, MASTODON_URL_LENGTH
        return info.max_characters, info.characters_reserved_per_url

    async def _previews(self, user_id: str, draft: Draft, targets: Iterable[str]
                        ) -> dict[str, Preview]:
        targets = list(targets)
        limit, url_length = (await self._mastodon_limits(user_id) if "mastodon" in targets
                             else (MASTODON_DEFAULT_LIMIT, MASTODON_URL_LENGTH))
        return preview(draft, targets, mastodon_limit=limit, mastodon_url_length=url_length)

    async def preview(self, author: str, body: dict[str, Any]) -> dict[str, Any]:
        """Per target: the exact text, its counted length and limit, or the refusal. The link
        back names the post's event id, known only once it is published: `$…` stands for it
        (a link counts the same whatever it says, so lengths and cuts are exact)."""
        targets = await self._targets(author, body, as_ai=False) or list(TARGETS)
        kind, content = await self._content_of(author, body)
        room = await self.feed_room(author)
        previews = await self._previews(author, self._draft(kind, content,
                                                            permalink(room, "$…")), targets)
        for row in await connections.list_for_user(self.db, author):
            if row.platform in previews and row.status != connections.OK:
                shown = previews[row.platform]
                previews[row.platform] = Preview(row.platform, None, shown.length, shown.limit,
                                                 refusal=broken_refusal(row))
        return {"targets": [{"target": t, "text": p.text, "length": p.length,
                             "limit": p.limit, "truncated": p.truncated, "refusal": p.refusal}
                            for t, p in previews.items()]}

    async def feed_room(self, user_id: str) -> str:
        return await self.owners.room_of(user_id) or "!room"

    # --- publishing --------------------------------------------------------------------------

    async def create_post(self, author: str, body: dict[str, Any], as_ai: bool
                          ) -> dict[str, Any]:
        targets = await self._targets(author, body, as_ai)  # bad input: refused before posting
        post = await self.posts.create(author, body)
        if not targets:
            return post
        try:
            prow = await self._post_row(author, post["id"])
            assert prow is not None
            draft = self._draft(prow["kind"], prow["content"],
                                permalink(post["room_id"], post["id"]))
            rows = await self.poster.enqueue(post["id"], author,
                                             await self._previews(author, draft, targets))
            self.wake()
            await self._publish_status(post["id"], post["room_id"])
        except Exception:
            log.exception("Cross-posting %s was not queued", post["id"])
            rows = []
        return {**post, "cross_posts": [delivery_view(r) for r in rows]}

    async def due(self, limit: int = 20) -> list[DeliveryRow]:
        return await self.poster.due(limit)

    async def release_in_flight(self) -> int:
        return await self.poster.release_in_flight()

    async def deliver(self, row: DeliveryRow) -> None:
        """One attempt at one delivery (the scheduler's)."""
        prow = await self._post_row(row.user_id, row.post_event_id)
        if prow is None:
            await deliveries.mark_refused(self.db, row.post_event_id, row.target,
                                          "the post was deleted", now_ms())
            return
        content = prow["content"]
        draft = self._draft(prow["kind"], content, permalink(prow["room_id"],
                                                            row.post_event_id))
        chosen = (await self._previews(row.user_id, draft, [row.target]))[row.target]
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
            updated = await self.poster.attempt(row, outgoing, prow["room_id"])
        if updated is not None and updated.status in FINAL:
            await self._publish_status(row.post_event_id, prow["room_id"])
            if updated.status in (deliveries.FAILED, deliveries.REFUSED):
                await self.management.notify(
                    row.user_id, f"Your post could not be published to {_NAMES[row.target]}: "
                                 f"{updated.last_error}")

    async def _post_row(self, user_id: str, event_id: str) -> dict[str, Any] | None:
        try:
            row = await self.feed.row(user_id, event_id)
        except LookupError:
            return None
        return {"kind": row["kind"], "room_id": row["room_id"],
                "content": json.loads(row["content"])}

    async def _outgoing(self, target: str, chosen: Preview, content: dict[str, Any]
                        ) -> OutgoingPost | None:
        if chosen.text is None:
            return None
        mxc = content.get("url") if content.get("msgtype") == "m.image" else None
        mimetype = str((content.get("info") or {}).get("mimetype") or "image/jpeg")
        if target == "instagram":
            url = await self.links.jpeg_url(mxc) if isinstance(mxc, str) else None
            return OutgoingPost(chosen.text, image_url=url)
        images: tuple[Image, ...] = ()
        if isinstance(mxc, str):
            data = await self.intents.bot.download_media(ContentURI(mxc))
            if len(data) > self.links.max_bytes:
                raise ValueError("image too large")
            images = (Image(data, mimetype),)
        return OutgoingPost(chosen.text, images, visibility=self.visibility)

    async def _publish_status(self, post_event_id: str, room_id: str) -> None:
        """The per-target status as state in her feed room, by the bot (docs/events.md). One
        at a time per post, each reading the rows when its turn comes, so the last state sent
        is the newest; best effort (the API has the status in any case)."""
        async with self._status_locks.hold(post_event_id):
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

    # --- edits and deletions -----------------------------------------------------------------

    async def edit_post(self, user: str, post_id: str, text: Any) -> dict[str, Any]:
        post = await self.posts.edit(user, post_id, text)
        rows = await deliveries.for_post(self.db, post_id)
        if any(r.status == deliveries.DELIVERED for r in rows):
            self.background.spawn(self._follow_edit(user, post_id))
        return post

    async def _follow_edit(self, user: str, post_id: str) -> None:
        try:
            prow = await self._post_row(user, post_id)
            if prow is None:
                return
            draft = self._draft(prow["kind"], prow["content"],
                                permalink(prow["room_id"], post_id))
            delivered = [r.target for r in await deliveries.for_post(self.db, post_id)
                         if r.status == deliveries.DELIVERED]
            previews = await self._previews(user, draft, delivered)
            outcome = await self.poster.edit(post_id, {
                t: OutgoingPost(p.text or "", visibility=self.visibility)
                for t, p in previews.items() if p.text is not None})
            await self._report(user, post_id, "edited", outcome)
        except Exception:
            log.exception("Following the edit of %s failed", post_id)

    async def delete_post(self, user: str, post_id: str) -> None:
        row = await self.feed.row(user, post_id)
        await self.posts.delete(user, post_id)
        if await deliveries.for_post(self.db, post_id):
            self.background.spawn(self._follow_delete(user, post_id, row["room_id"]))

    async def _follow_delete(self, user: str, post_id: str, room_id: str) -> None:
        try:
            outcome = await self.poster.delete(post_id)
            await self._publish_status(post_id, room_id)
            await self._report(user, post_id, "deleted", outcome)
        except Exception:
            log.exception("Following the deletion of %s failed", post_id)

    async def _report(self, user: str, post_id: str, verb: str,
                      outcome: dict[str, str | None]) -> None:
        """Tell her where an edit or a deletion followed, and where it could not (Instagram
        offers neither: she must do it in the app, at the post's URL)."""
        if not outcome:
            return
        done = [_NAMES[t] for t, reason in outcome.items() if reason is None]
        lines = [f"Your post was also {verb} on {', '.join(done)}."] if done else []
        urls = {r.target: r.url for r in await deliveries.for_post(self.db, post_id)}
        for target, reason in outcome.items():
            if reason is not None:
                lines.append(f"Not {verb} on {_NAMES[target]}: {reason}"
                             + (f" ({urls[target]})" if urls.get(target) else ""))
        await self.management.notify(user, "\n".join(lines))

    async def statuses(self, post_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
        found: dict[str, list[dict[str, Any]]] = {}
        for post_id in post_ids:
            rows = await deliveries.for_post(self.db, post_id)
            if rows:
                found[post_id] = [delivery_view(r) for r in rows]
        return found
