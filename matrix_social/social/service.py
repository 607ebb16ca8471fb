"""The social rules, acting on Matrix rooms and reading the index. No HTTP here."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import TYPE_CHECKING, Any

from mautrix.errors import MatrixRequestError
from mautrix.types import EventID, EventType, RoomID, UserID

from .. import events as ev
from ..db import comments, feed, follows, likes, media, posts
from ..matrix.remote_feeds import NoRemoteFeed, RemoteUnreachable, unreachable
from ..matrix.rooms import CannotActAsUser
from ..matrix.send import send_event
from . import cursor as cursors
from . import posts as compose
from .feed_plan import FeedPlanner
from .images import sniff_image
from .views import comment_view, post_view

if TYPE_CHECKING:
    from ..bridge import SocialBridge


log = logging.getLogger("matrix_social.social")


class NotFound(LookupError):
    pass


__all__ = ["Forbidden", "NoRemoteFeed", "NotFound", "RemoteUnreachable", "Social"]


class Forbidden(PermissionError):
    pass


def _now_ms() -> int:
    return int(time.time() * 1000)


class Social:
    def __init__(self, bridge: SocialBridge) -> None:
        self.bridge = bridge
        self.db = bridge.db
        self.ids = bridge.identities
        self.rooms = bridge.feed_rooms
        self.max_page = bridge.config["api.max_page_size"]
        self.max_image = bridge.config["api.max_image_size"] * 1024 * 1024
        self.runner_template = bridge.config["api.app_runner_url"]
        self._exists: dict[str, float] = {}
        self.feed_plan = FeedPlanner(bridge.db)

    # --- identities -----------------------------------------------------------------------

    def handle_of(self, user_id: str) -> str:
        localpart = self.ids.local_localpart(user_id)
        return localpart if localpart is not None else user_id

    async def user_exists(self, user_id: str) -> bool:
        if self._exists.get(user_id, 0) > time.monotonic():
            return True
        # Our AI puppets exist once their owner does; another server's AI may not have been
        # created yet either, so its owner answers for it.
        owner = self.ids.named_owner(user_id)
        local = self.ids.local_localpart(user_id) is not None
        candidates = [owner] if local and self.ids.is_ai(user_id) else [user_id, owner]
        for target in filter(None, candidates):
            if await self._profile_exists(target):
                self._exists[user_id] = time.monotonic() + 300
                return True
        return False

    async def _profile_exists(self, user_id: str) -> bool:
        try:
            await self.bridge.az.intent.get_profile(UserID(user_id))
        except MatrixRequestError as e:
            if e.http_status in (403, 404):
                return False
            server = self.ids.split(user_id)[1]
            if server != self.ids.domain:
                raise unreachable(server, f"look up {user_id}", e) from None
            raise
        return True

    def user_id_param(self, value: Any, field: str) -> str:
        """A full Matrix user ID from request input, or a clear 400."""
        if not isinstance(value, str) or self.ids.split(value.strip()) is None:
            raise compose.InvalidInput(
                f"'{field}' must be a Matrix user ID such as @bob:example.org")
        return value.strip()

    async def existing_user(self, value: Any, field: str) -> str:
        user_id = self.user_id_param(value, field)
        if not await self.user_exists(user_id):
            raise NotFound(f"No user {user_id}")
        return user_id

    async def resolve(self, handle: str) -> str:
        user_id = self.ids.parse_handle(handle)
        if user_id is None or not await self.user_exists(user_id):
            raise NotFound(f"No user {handle!r}")
        return user_id

    def page_limit(self, raw: str | None, default: int = 20) -> int:
        if raw is None:
            return min(default, self.max_page)
        try:
            limit = int(raw)
        except ValueError:
            raise compose.InvalidInput("'limit' must be an integer") from None
        if not 1 <= limit <= self.max_page:
            raise compose.InvalidInput(f"'limit' must be between 1 and {self.max_page}")
        return limit

    def _cursor(self, raw: str | None) -> tuple[int, str] | None:
        try:
            return cursors.decode(raw)
        except cursors.BadCursor as e:
            raise compose.InvalidInput(str(e)) from None

    # --- reading --------------------------------------------------------------------------

    async def feed(self, viewer: str, cursor: str | None, limit: int) -> dict[str, Any]:
        rows = await self.feed_plan.page(viewer, self._cursor(cursor), limit + 1)
        return cursors.page(rows, limit, self._post_view, lambda r: (r["ts"], r["event_id"]))

    def _post_view(self, row) -> dict[str, Any]:
        return post_view(row, self.handle_of(row["author"]))

    async def get_post(self, viewer: str, post_id: str) -> dict[str, Any]:
        row = await feed.one_post(self.db, viewer, post_id)
        if row is None:
            raise NotFound(f"No post {post_id!r}")
        return self._post_view(row)

    async def _post_location(self, post_id: str) -> tuple[RoomID, str]:
        found = await posts.get_author(self.db, post_id)
        if found is None:
            raise NotFound(f"No post {post_id!r}")
        return RoomID(found[0]), found[1]

    # --- writing --------------------------------------------------------------------------

    async def intent_for(self, user_id: str):
        try:
            return await self.rooms.intent_for(user_id)
        except CannotActAsUser as e:
            raise Forbidden(str(e)) from None

    async def send_and_index(self, intent, room_id: RoomID, event_type: EventType | str,
                             content: dict, state_key: str | None = None) -> EventID:
        """Send a message (or, with a state_key, a state event) and index it right away.

        The timestamp is ours, given to the homeserver (appservice timestamp massaging), so
        the event indexed here is the one the transaction brings later, without reading it
        back from the homeserver."""
        ts = _now_ms()
        event_id = await send_event(intent, room_id, str(event_type), content, ts, state_key)
        raw = {"type": str(event_type), "room_id": room_id, "sender": intent.mxid,
               "event_id": event_id, "origin_server_ts": ts, "content": content}
        if state_key is not None:
            raw["state_key"] = state_key
        await self.bridge.ingest.apply(raw)
        return event_id

    async def create_post(self, author: str, body: dict[str, Any]) -> dict[str, Any]:
        kind = body.get("kind", "text")
        text_required = kind == "text"
        text = compose.clean_text(body.get("text"), "text", required=text_required)
        if kind == "text":
            content = compose.text_content(text)
        elif kind == "image":
            content = await self._image_post_content(author, body.get("image"), text)
        elif kind == "app":
            content = compose.app_content(body.get("app"), self.runner_template, text)
        elif kind == "activity":
            content = compose.activity_content(body.get("activity"), text)
        else:
            raise compose.InvalidInput("'kind' must be one of text, image, app, activity")
        return await self.publish(author, content)

    async def publish(self, author: str, content: dict) -> dict[str, Any]:
        intent = await self.intent_for(author)
        room_id = await self.rooms.ensure(author)
        event_id = await self.send_and_index(intent, room_id, "m.room.message", content)
        return await self.get_post(author, event_id)

    async def _image_post_content(self, author: str, mxc: Any, caption: str) -> dict:
        if not isinstance(mxc, str):
            raise compose.InvalidInput("'image' must be the content_uri returned by /media")
        row = await media.get(self.db, mxc)
        if row is None or row["owner"] != author:
            raise compose.InvalidInput("'image' is not an image you uploaded through /media")
        return compose.image_content(mxc, row["mimetype"], row["size"], row["width"],
                                     row["height"], caption)

    async def upload_media(self, owner: str, data: bytes, kind: str = "image") -> dict[str, Any]:
        """Images must sniff as JPEG, PNG, GIF or WebP; files are stored as octet-stream
        unless they sniff as one of those images."""
        if len(data) > self.max_image:
            raise compose.InvalidInput(f"upload is larger than {self.max_image} bytes")
        if kind not in ("image", "file"):
            raise compose.InvalidInput("'kind' must be image or file")
        sniffed = await asyncio.get_running_loop().run_in_executor(None, sniff_image, data)
        if sniffed is None and kind == "image":
            raise compose.InvalidInput("not a JPEG, PNG, GIF or WebP image")
        mimetype, width, height = sniffed or ("application/octet-stream", None, None)
        intent = await self.intent_for(owner)
        mxc = await intent.upload_media(data, mime_type=mimetype)
        await media.insert(self.db, mxc, owner, mimetype, len(data), width, height)
        return {"content_uri": mxc, "mimetype": mimetype, "size": len(data),
                "width": width, "height": height}

    async def edit_post(self, user: str, post_id: str, text: Any) -> dict[str, Any]:
        room_id, author = await self._post_location(post_id)
        if author != user:
            raise Forbidden("You can only edit your own posts")
        row = await feed.one_post(self.db, user, post_id)
        new = compose.edited_post_content(row, compose.clean_text(text, "text"))
        intent = await self.intent_for(user)
        await self.send_and_index(intent, room_id, "m.room.message",
                                   compose.edit_event_content(post_id, new))
        return await self.get_post(user, post_id)

    async def delete_post(self, user: str, post_id: str) -> None:
        room_id, author = await self._post_location(post_id)
        if author != user:
            raise Forbidden("You can only delete your own posts")
        row = await feed.one_post(self.db, user, post_id)
        intent = await self.intent_for(user)
        await intent.redact(room_id, EventID(post_id))
        await posts.delete(self.db, post_id)
        notice = compose.notice_of(json.loads(row["content"]))
        if notice:
            await self._withdraw_notice(intent, json.loads(row["content"]), notice)

    async def _withdraw_notice(self, intent, content: dict, notice: str) -> None:
        original_room = content[ev.POST_BLOCK][ev.POST_REPOST_OF].get("room_id")
        try:
            await intent.redact(RoomID(original_room), EventID(notice))
        except MatrixRequestError as e:
            log.warning("Could not withdraw repost notice %s: %s", notice, e)
        await posts.delete(self.db, notice)

    async def like(self, user: str, post_id: str) -> dict[str, Any]:
        room_id, _ = await self._post_location(post_id)
        if not await likes.reaction_events(self.db, post_id, user):
            intent = await self._join_to_interact(room_id, user)
            await self.send_and_index(intent, room_id, "m.reaction",
                                       compose.like_content(post_id))
        return await self.get_post(user, post_id)

    async def unlike(self, user: str, post_id: str) -> dict[str, Any]:
        room_id, _ = await self._post_location(post_id)
        reactions = await likes.reaction_events(self.db, post_id, user)
        if reactions:
            intent = await self.intent_for(user)
            for reaction in reactions:
                await intent.redact(room_id, EventID(reaction))
                await likes.delete(self.db, reaction)
        return await self.get_post(user, post_id)

    async def comment(self, user: str, post_id: str, text: Any,
                      reply_to: Any) -> dict[str, Any]:
        room_id, _ = await self._post_location(post_id)
        body = compose.clean_text(text, "text")
        if reply_to is not None and (not isinstance(reply_to, str)
                                     or not await comments.exists(self.db, reply_to, post_id)):
            raise compose.InvalidInput("'reply_to' must be a comment on this post")
        intent = await self._join_to_interact(room_id, user)
        event_id = await self.send_and_index(intent, room_id, "m.room.message",
                                              compose.comment_content(post_id, body, reply_to))
        return {"id": event_id, "post_id": post_id, "room_id": room_id,
                "author": {"user_id": user, "handle": self.handle_of(user)}, "text": body,
                "in_reply_to": reply_to}

    async def comments(self, post_id: str, cursor: str | None, limit: int) -> dict[str, Any]:
        await self._post_location(post_id)
        rows = await comments.page(self.db, post_id, self._cursor(cursor), limit + 1)
        return cursors.page(rows, limit, lambda r: comment_view(r, self.handle_of(r["author"])),
                            lambda r: (r["ts"], r["event_id"]))

    async def repost(self, user: str, post_id: str, comment: Any) -> dict[str, Any]:
        original = await self.get_post(user, post_id)
        text = compose.clean_text(comment, "text", required=False)
        origin = original.get("repost_of") or {
            "room_id": original["room_id"], "event_id": original["id"],
            "author": original["author"]["user_id"],
        }
        notice = await self._announce_repost(user, origin)
        content = compose.repost_content(origin["room_id"], origin["event_id"],
                                         origin["author"], original["text"], text, notice)
        return await self.publish(user, content)

    async def _announce_repost(self, user: str, origin: dict[str, Any]) -> str | None:
        """A 🔁 reaction on the original, so its own server (maybe another one) counts the
        repost; best effort: the repost stands without it."""
        own_room = await self.rooms.ensure(user)
        if origin["room_id"] == own_room:
            return None
        room_id = RoomID(origin["room_id"])
        try:
            intent = await self._join_to_interact(room_id, user)
            return await self.send_and_index(
                intent, room_id, "m.reaction",
                compose.repost_notice_content(origin["event_id"], own_room))
        except MatrixRequestError as e:
            log.warning("Could not announce %s's repost in %s: %s", user, room_id, e)
            return None

    async def _join_to_interact(self, room_id: RoomID, user: str):
        try:
            return await self.rooms.join_without_following(room_id, user)
        except CannotActAsUser as e:
            raise Forbidden(str(e)) from None

    # --- follows --------------------------------------------------------------------------

    async def follow(self, user: str, handle: str) -> dict[str, Any]:
        target = await self.resolve(handle)
        if target == user:
            raise compose.InvalidInput("You cannot follow yourself")
        room_id = await self.rooms.ensure(target)
        intent = await self.intent_for(user)
        if not await follows.is_following(self.db, room_id, user):
            await intent.join_room_by_id(room_id, extra_content={ev.FOLLOW_FLAG: True})
            await follows.upsert_provisional(self.db, room_id, user, _now_ms())
        return await self.follow_status(user, target, room_id)

    async def unfollow(self, user: str, handle: str) -> dict[str, Any]:
        target = await self.resolve(handle)
        room_id = await self.rooms.ensure(target)
        if await follows.is_following(self.db, room_id, user):
            intent = await self.intent_for(user)
            await intent.leave_room(room_id)
            await follows.delete(self.db, room_id, user)
        return await self.follow_status(user, target, room_id)

    async def follow_status(self, user: str, target: str, room_id: str) -> dict[str, Any]:
        return {"user_id": target, "handle": self.handle_of(target), "room_id": room_id,
                "following": await follows.is_following(self.db, room_id, user),
                "followers_count": await follows.count_followers(self.db, room_id)}

    async def followers(self, handle: str, cursor: str | None, limit: int) -> dict[str, Any]:
        target = await self.resolve(handle)
        room_id = await self.rooms.ensure(target)
        rows = await follows.followers_page(self.db, room_id, self._cursor(cursor), limit + 1)
        return await self._people_page(rows, limit,
                                       await follows.count_followers(self.db, room_id))

    async def following(self, handle: str, cursor: str | None, limit: int) -> dict[str, Any]:
        target = await self.resolve(handle)
        rows = await follows.following_page(self.db, target, self._cursor(cursor), limit + 1)
        return await self._people_page(rows, limit,
                                       await follows.count_following(self.db, target))

    async def _people_page(self, rows: list, limit: int, total: int) -> dict[str, Any]:
        people = cursors.page(
            rows, limit,
            lambda r: {"user_id": r["user_id"], "handle": self.handle_of(r["user_id"]),
                       "since": r["ts"]},
            lambda r: (r["ts"], r["user_id"]))
        return {**people, "count": total}
