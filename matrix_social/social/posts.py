"""Writing posts and reacting to them: create (text, image, app, activity), edit, delete, like,
comment, repost. Each is a Matrix event sent as the user, indexed at once."""

from __future__ import annotations

import json
import logging
from typing import Any

from mautrix.errors import MatrixRequestError
from mautrix.types import EventID, RoomID
from mautrix.util.async_db import Database

from .. import events as ev
from ..content import compose
from ..content.fields import clean_text
from ..content.parse import notice_of
from ..db import comments, likes, posts
from ..errors import Forbidden, InvalidInput, NotFound
from ..matrix.feed_rooms import FeedRooms
from ..matrix.intents import Intents
from ..matrix.sender import IndexedSender
from . import cursor as cursors
from .feed import Feed
from .media import Uploads
from .users import Users
from .views import comment_view

log = logging.getLogger("matrix_social.social")


class Posts:
    def __init__(self, db: Database, users: Users, intents: Intents, feed_rooms: FeedRooms,
                 sender: IndexedSender, feed: Feed, media: Uploads, runner_template: str) -> None:
        self.db = db
        self.users = users
        self.intents = intents
        self.rooms = feed_rooms
        self.sender = sender
        self.feed = feed
        self.media = media
        self.runner_template = runner_template

    async def _location(self, post_id: str) -> tuple[RoomID, str]:
        found = await posts.get_author(self.db, post_id)
        if found is None:
            raise NotFound(f"No post {post_id!r}")
        return RoomID(found[0]), found[1]

    async def create(self, author: str, body: dict[str, Any]) -> dict[str, Any]:
        kind = body.get("kind", "text")
        text = clean_text(body.get("text"), "text", required=kind == "text")
        if kind == "text":
            content = compose.text_content(text)
        elif kind == "image":
            row = await self.media.own(author, body.get("image"), "image")
            content = compose.image_content(row["mxc"], row["mimetype"], row["size"],
                                            row["width"], row["height"], text)
        elif kind == "app":
            content = compose.app_content(body.get("app"), self.runner_template, text)
        elif kind == "activity":
            content = compose.activity_content(body.get("activity"), text)
        else:
            raise InvalidInput("'kind' must be one of text, image, app, activity")
        return await self.publish(author, content)

    async def publish(self, author: str, content: dict) -> dict[str, Any]:
        intent = await self.intents.for_user(author)
        room_id = await self.rooms.ensure(author)
        event_id = await self.sender.send(intent, room_id, "m.room.message", content)
        return await self.feed.post(author, event_id)

    async def edit(self, user: str, post_id: str, text: Any) -> dict[str, Any]:
        room_id, author = await self._location(post_id)
        if author != user:
            raise Forbidden("You can only edit your own posts")
        row = await self.feed.row(user, post_id)
        new = compose.edited_post_content(row, clean_text(text, "text"))
        intent = await self.intents.for_user(user)
        await self.sender.send(intent, room_id, "m.room.message",
                               compose.edit_event_content(post_id, new))
        return await self.feed.post(user, post_id)

    async def delete(self, user: str, post_id: str) -> None:
        room_id, author = await self._location(post_id)
        if author != user:
            raise Forbidden("You can only delete your own posts")
        row = await self.feed.row(user, post_id)
        intent = await self.intents.for_user(user)
        await intent.redact(room_id, EventID(post_id))
        await posts.delete(self.db, post_id)
        content = json.loads(row["content"])
        notice = notice_of(content)
        if notice:
            await self._withdraw_notice(intent, user, content, notice)

    async def _withdraw_notice(self, intent, user: str, content: dict, notice: str) -> None:
        original_room = content[ev.POST_BLOCK][ev.POST_REPOST_OF].get("room_id")
        try:
            await intent.redact(RoomID(original_room), EventID(notice))
        except MatrixRequestError as e:
            log.warning("Could not withdraw repost notice %s: %s", notice, e)
        await posts.delete_own(self.db, notice, user)

    async def like(self, user: str, post_id: str) -> dict[str, Any]:
        room_id, _ = await self._location(post_id)
        if not await likes.reaction_events(self.db, post_id, user):
            intent = await self.rooms.join_without_following(room_id, user)
            await self.sender.send(intent, room_id, "m.reaction", compose.like_content(post_id))
        return await self.feed.post(user, post_id)

    async def unlike(self, user: str, post_id: str) -> dict[str, Any]:
        room_id, _ = await self._location(post_id)
        reactions = await likes.reaction_events(self.db, post_id, user)
        if reactions:
            intent = await self.intents.for_user(user)
            for reaction in reactions:
                await intent.redact(room_id, EventID(reaction))
                await likes.delete(self.db, reaction)
        return await self.feed.post(user, post_id)

    async def comment(self, user: str, post_id: str, text: Any,
                      reply_to: Any) -> dict[str, Any]:
        room_id, _ = await self._location(post_id)
        body = clean_text(text, "text")
        if reply_to is not None and (not isinstance(reply_to, str)
                                     or not await comments.exists(self.db, reply_to, post_id)):
            raise InvalidInput("'reply_to' must be a comment on this post")
        intent = await self.rooms.join_without_following(room_id, user)
        event_id = await self.sender.send(intent, room_id, "m.room.message",
                                          compose.comment_content(post_id, body, reply_to))
        return {"id": event_id, "post_id": post_id, "room_id": room_id,
                "author": {"user_id": user, "handle": self.users.handle_of(user)}, "text": body,
                "in_reply_to": reply_to}

    async def comments(self, post_id: str, cursor: str | None, limit: int) -> dict[str, Any]:
        await self._location(post_id)
        rows = await comments.page(self.db, post_id, cursors.decode(cursor), limit + 1)
        return cursors.page(rows, limit,
                            lambda r: comment_view(r, self.users.handle_of(r["author"])),
                            lambda r: (r["ts"], r["event_id"]))

    async def repost(self, user: str, post_id: str, comment: Any) -> dict[str, Any]:
        original = await self.feed.post(user, post_id)
        text = clean_text(comment, "text", required=False)
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
            intent = await self.rooms.join_without_following(room_id, user)
            return await self.sender.send(
                intent, room_id, "m.reaction",
                compose.repost_notice_content(origin["event_id"], own_room))
        except MatrixRequestError as e:
            log.warning("Could not announce %s's repost in %s: %s", user, room_id, e)
            return None
