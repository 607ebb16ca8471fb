"""Writing posts and reacting to them: create (text, image, app, activity), edit, delete, like,
comment, repost. Each is a Matrix event sent as the user, indexed at once.

Posts announce: every post published, edited or deleted is told to the listeners wired at start
(cross-posting), with what was composed (the Matrix content, its images, where it went, who
wrote it, and for a request the platforms it asked for), so no listener reads back what was
just written. A listener may add to a new post's answer (cross-posting: each target's status
as queued); its failure never fails the post.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from mautrix.errors import MatrixRequestError
from mautrix.types import RoomID
from mautrix.util.async_db import Database

from .. import events as ev
from ..content import compose, tags
from ..content.fields import MAX_ALT_CHARS, clean_cw, clean_text
from ..content.parse import images_of, notice_of
from ..db import comments, likes, posts, profiles
from ..db.retry import in_transaction
from ..errors import Forbidden, InvalidInput, NotFound
from ..matrix.feed_rooms import FeedRooms
from ..matrix.intents import Intents
from ..matrix.sender import IndexedSender
from . import cursor as cursors
from .feed import Feed
from .media import Uploads
from .mentions import Mentions
from .users import Users
from .views import author_view, comment_view

log = logging.getLogger("matrix_social.social")


@dataclass(frozen=True)
class PostImage:
    mxc: str
    mimetype: str
    alt: str | None = None


@dataclass(frozen=True)
class Composed:
    """What a POST /posts body publishes: its kind and the Matrix content."""

    kind: str
    content: dict[str, Any]


@dataclass(frozen=True)
class Published:
    """A post was published (a request's, a draft's, an app share, a repost)."""

    post_id: str  # its event id
    room_id: str
    author: str
    kind: str
    content: dict[str, Any]  # the m.room.message content sent
    images: tuple[PostImage, ...]
    # The platforms the request asked to publish to as well: None when it did not say (her
    # defaults apply), () for nowhere (an explicit empty list, an AI's post, a post the service
    # made: a draft, an app share, a repost).
    cross_post: tuple[str, ...] | None


@dataclass(frozen=True)
class Edited:
    post_id: str
    room_id: str
    author: str
    kind: str
    content: dict[str, Any]  # the new content


@dataclass(frozen=True)
class Deleted:
    post_id: str
    room_id: str
    author: str


class PostListener(Protocol):
    async def published(self, post: Published) -> Mapping[str, Any] | None:
        """What to add to the post's answer, if anything."""

    async def edited(self, post: Edited) -> None: ...

    async def deleted(self, post: Deleted) -> None: ...


def cross_post_targets(value: Any, allowed: Sequence[str], field: str = "cross_post"
                       ) -> tuple[str, ...]:
    """A list of platforms to publish to, each one of `allowed`, once."""
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value) \
            or len(value) > len(allowed):
        raise InvalidInput(f"'{field}' must be a list of platforms: {', '.join(allowed)}")
    for target in value:
        if target not in allowed:
            raise InvalidInput(f"'{field}': cannot publish to {target[:40]!r}; "
                               f"choose from {', '.join(allowed)}")
    return tuple(dict.fromkeys(value))


def post_images(content: dict[str, Any]) -> tuple[PostImage, ...]:
    return tuple(PostImage(image["url"], str(image.get("mimetype") or "image/jpeg"),
                           image.get(ev.IMAGE_ALT) or None) for image in images_of(content))


class Composer:
    """The content a POST /posts body publishes, composed once for publishing and for the
    cross-post preview."""

    def __init__(self, media: Uploads, runner_template: str, tag_link_base: str = "") -> None:
        """`tag_link_base`: the service's public URL, under which the web app's tag pages
        are (formatted_body links each #tag there); empty: tags stay plain text."""
        self.media = media
        self.runner_template = runner_template
        self.tag_link_base = tag_link_base

    def linked(self, content: dict) -> dict:
        return tags.with_links(content, self.tag_link_base)

    async def compose(self, author: str, body: dict[str, Any]) -> Composed:
        composed = await self._compose(author, body)
        return Composed(composed.kind, self.linked(composed.content))

    async def _compose(self, author: str, body: dict[str, Any]) -> Composed:
        kind = body.get("kind", "text")
        text = clean_text(body.get("text"), "text", required=kind == "text")
        cw = clean_cw(body.get("cw"))
        if cw and kind not in ("text", "image"):
            raise InvalidInput("A content warning is for text and image posts")
        if kind == "text":
            return Composed(kind, compose.text_content(text, cw))
        if kind == "image":
            return Composed(kind, compose.image_content(await self._images(author, body), text,
                                                        cw))
        if kind == "app":
            return Composed(kind, compose.app_content(body.get("app"), self.runner_template,
                                                      text))
        if kind == "activity":
            return Composed(kind, compose.activity_content(body.get("activity"), text))
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


class Posts:
    def __init__(self, db: Database, users: Users, intents: Intents, feed_rooms: FeedRooms,
                 sender: IndexedSender, feed: Feed, composer: Composer,
                 cross_post_targets: Sequence[str] = (),
                 listeners: Sequence[PostListener] = ()) -> None:
        """`cross_post_targets`: the platforms a request may ask to publish to as well (the
        external wing's, derived from its registered platforms)."""
        self.db = db
        self.users = users
        self.intents = intents
        self.rooms = feed_rooms
        self.sender = sender
        self.feed = feed
        self.composer = composer
        self.targets = tuple(cross_post_targets)
        self.listeners = tuple(listeners)
        self.mentions = Mentions(users, db)

    async def _announce(self, what: str, post: Published | Edited | Deleted
                        ) -> list[Mapping[str, Any]]:
        added = []
        for listener in self.listeners:
            try:
                answer = await getattr(listener, what)(post)
            except Exception:
                log.exception("%s of %s: %s failed", what, post.post_id,
                              type(listener).__name__)
                continue
            if answer:
                added.append(answer)
        return added

    def requested_targets(self, body: dict[str, Any], as_ai: bool) -> tuple[str, ...] | None:
        """The request's `cross_post`, checked: None when it did not say (her defaults apply).
        Refused before anything is sent."""
        if "cross_post" not in body:
            return () if as_ai else None
        targets = cross_post_targets(body["cross_post"], self.targets)
        if targets and as_ai:
            raise InvalidInput("'cross_post' is for your own posts, not your AI's")
        return targets

    async def _location(self, post_id: str) -> tuple[RoomID, str]:
        found = await posts.get_author(self.db, post_id)
        if found is None:
            raise NotFound(f"No post {post_id!r}")
        return RoomID(found[0]), found[1]

    async def create(self, author: str, body: dict[str, Any], as_ai: bool = False
                     ) -> dict[str, Any]:
        """A post from a request (POST /posts), as `author` (her AI with `as_ai`)."""
        targets = self.requested_targets(body, as_ai)
        composed = await self.composer.compose(author, body)
        content = await self.mentions.apply(author, composed.content)
        return await self.publish(author, content, targets)

    async def publish(self, author: str, content: dict,
                      cross_post: tuple[str, ...] | None = ()) -> dict[str, Any]:
        """Send the post and announce it; the answer is the post as the API shows it, with
        what the listeners added (the cross-posts as queued)."""
        intent = await self.intents.for_user(author)
        room_id = await self.rooms.ensure(author)
        event_id = await self.sender.send(intent, room_id, "m.room.message", content)
        view = await self.feed.post(author, event_id)
        kind = (content.get(ev.POST_BLOCK) or {}).get(ev.POST_KIND, "text")
        for added in await self._announce("published", Published(
                event_id, room_id, author, kind, content, post_images(content), cross_post)):
            view.update(added)
        return view

    async def edit(self, user: str, post_id: str, text: Any) -> dict[str, Any]:
        room_id, author = await self._location(post_id)
        if author != user:
            raise Forbidden("You can only edit your own posts")
        row = await self.feed.row(user, post_id)
        new = self.composer.linked(compose.edited_post_content(row, clean_text(text, "text")))
        intent = await self.intents.for_user(user)
        await self.sender.send(intent, room_id, "m.room.message",
                               compose.edit_event_content(post_id, new))
        await self._announce("edited", Edited(post_id, room_id, user, row["kind"], new))
        return await self.feed.post(user, post_id)

    async def delete(self, user: str, post_id: str) -> None:
        room_id, author = await self._location(post_id)
        if author != user:
            raise Forbidden("You can only delete your own posts")
        row = await self.feed.row(user, post_id)
        intent = await self.intents.for_user(user)
        await self.sender.redact(intent, room_id, post_id)
        # When the index did not take the redaction.
        await in_transaction(self.db, posts.delete, post_id)
        content = json.loads(row["content"])
        notice = notice_of(content)
        if notice:
            await self._withdraw_notice(intent, user, content, notice)
        await self._announce("deleted", Deleted(post_id, room_id, user))

    async def _withdraw_notice(self, intent, user: str, content: dict, notice: str) -> None:
        original_room = content[ev.POST_BLOCK][ev.POST_REPOST_OF].get("room_id")
        try:
            await self.sender.redact(intent, RoomID(original_room), notice)
        except MatrixRequestError as e:
            log.warning("Could not withdraw repost notice %s: %s", notice, e)
        await in_transaction(self.db, posts.delete_own, notice, user)

    async def like(self, user: str, post_id: str) -> dict[str, Any]:
        room_id, author = await self._location(post_id)
        await self.feed.blocks.refuse_if_blocked(author, user, "like this post")
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
                await self.sender.redact(intent, room_id, reaction)
                # When the index did not take the redaction.
                await in_transaction(self.db, likes.delete, reaction)
        return await self.feed.post(user, post_id)

    async def comment(self, user: str, post_id: str, text: Any,
                      reply_to: Any, cw: Any = None) -> dict[str, Any]:
        room_id, post_author = await self._location(post_id)
        await self.feed.blocks.refuse_if_blocked(post_author, user, "comment on this post")
        body = clean_text(text, "text")
        warning = clean_cw(cw)
        if reply_to is not None and (not isinstance(reply_to, str)
                                     or not await comments.exists(self.db, reply_to, post_id)):
            raise InvalidInput("'reply_to' must be a comment on this post")
        intent = await self.rooms.join_without_following(room_id, user)
        content = await self.mentions.apply(
            user, compose.comment_content(post_id, body, reply_to, warning),
            (post_author, reply_to and await comments.author_of(self.db, reply_to)))
        event_id = await self.sender.send(intent, room_id, "m.room.message", content)
        displayname, avatar = await profiles.get(self.db, user)
        view = {"id": event_id, "post_id": post_id, "room_id": room_id,
                "author": author_view(user, displayname, avatar, self.users.handle_of(user)),
                "text": body, "in_reply_to": reply_to}
        if warning:
            view["cw"] = warning
        return view

    async def comments(self, post_id: str, cursor: str | None, limit: int,
                       viewer: str | None = None) -> dict[str, Any]:
        """The comments, without those of people the viewer blocked."""
        await self._location(post_id)
        rows = await comments.page(self.db, post_id, cursors.decode(cursor), limit + 1)
        page = cursors.page(rows, limit,
                            lambda r: comment_view(r, self.users.handle_of(r["author"])),
                            lambda r: (r["ts"], r["event_id"]))
        hidden = await self.feed.blocks.hidden(viewer or "")
        page["items"] = [c for c in page["items"] if c["author"]["user_id"] not in hidden]
        return page

    async def repost(self, user: str, post_id: str, comment: Any) -> dict[str, Any]:
        original = await self.feed.post(user, post_id)
        text = clean_text(comment, "text", required=False)
        origin = original.get("repost_of") or {
            "room_id": original["room_id"], "event_id": original["id"],
            "author": original["author"]["user_id"],
        }
        await self.feed.blocks.refuse_if_blocked(origin["author"], user, "repost this post")
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
