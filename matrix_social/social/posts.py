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
from ..content.fields import MAX_ALT_CHARS, clean_cw, clean_text
from ..content.parse import notice_of
from ..db import comments, likes, posts, profiles
from ..errors import Forbidden, InvalidInput, NotFound
from ..matrix.intents import Intents
from ..matrix.rooms import FeedRooms
from ..matrix.sender import IndexedSender
from . import cursor as cursors
from .feed import Feed
from .media import Media
from .users import Users
from .views import author_view, comment_view

log = logging.getLogger("matrix_social.social")


class Posts:
    def __init__(self, db: Database, users: Users, intents: Intents, feed_rooms: FeedRooms,
                 sender: IndexedSender, feed: Feed, media: Media, runner_template: str) -> None:
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
        _, content = await self.compose(author, body)
        return await self.publish(author, content)

    async def compose(self, author: str, body: dict[str, Any]) -> tuple[str, dict]:
        """The content a POST /posts body would publish, checked, without publishing it."""
        kind = body.get("kind", "text")
        text = clean_text(body.get("text"), "text", required=kind == "text")
        cw = clean_cw(body.get("cw"))
        if cw and kind not in ("text", "image"):
            raise InvalidInput("A content warning is for text and image posts")
        if kind == "text":
            return kind, compose.text_content(text, cw)
        if kind == "image":
            return kind, compose.image_content(await self._images(author, body), text, cw)
        if kind == "app":
            return kind, compose.app_content(body.get("app"), self.runner_template, text)
        if kind == "activity":
            return kind, compose.activity_content(body.get("activity"), text)
        raise InvalidInput("'kind' must be one of text, image, app, activity")

    async def _images(self, author: str, body: dict[str, Any]) -> list[compose.ImageRef]:
        """`images` ([{mxc, alt}], 1 to 4) or `image` (one mxc URI), each uploaded by the
        author through /media."""
        if "images" in body:
            given = body["images"]
            if not isinstance(given, list) or not 1 <= len(given) <= ev.MAX_POST_IMAGES:
                raise InvalidInput(f"'images' must be a list of 1 to {ev.MAX_POST_IMAGES} "
                                   "images")
            if "image" in body:
                raise InvalidInput("Give 'images' or 'image', not both")
        else:
            given = [{"mxc": body.get("image")}]
        refs = []
        for i, item in enumerate(given):
            if not isinstance(item, dict):
                raise InvalidInput(f"'images[{i}]' must be an object with mxc and alt")
            row = await self.media.own(author, item.get("mxc"), f"images[{i}].mxc")
            if row["mimetype"] == "application/octet-stream":
                raise InvalidInput(f"'images[{i}].mxc' is a file, not an image")
            alt = clean_text(item.get("alt"), f"images[{i}].alt", max_chars=MAX_ALT_CHARS,
                             required=False)
            refs.append(compose.ImageRef(row["mxc"], row["mimetype"], row["size"],
                                         row["width"], row["height"], alt))
        if len({ref.mxc for ref in refs}) != len(refs):
            raise InvalidInput("The same image is in 'images' twice")
        return refs

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
                      reply_to: Any, cw: Any = None) -> dict[str, Any]:
        room_id, _ = await self._location(post_id)
        body = clean_text(text, "text")
        warning = clean_cw(cw)
        if reply_to is not None and (not isinstance(reply_to, str)
                                     or not await comments.exists(self.db, reply_to, post_id)):
            raise InvalidInput("'reply_to' must be a comment on this post")
        intent = await self.rooms.join_without_following(room_id, user)
        event_id = await self.sender.send(
            intent, room_id, "m.room.message",
            compose.comment_content(post_id, body, reply_to, warning))
        displayname, avatar = await profiles.get(self.db, user)
        view = {"id": event_id, "post_id": post_id, "room_id": room_id,
                "author": author_view(user, displayname, avatar, self.users.handle_of(user)),
                "text": body, "in_reply_to": reply_to}
        if warning:
            view["cw"] = warning
        return view

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
