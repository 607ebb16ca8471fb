"""Published apps: an app state event in the author's feed room; installs counted once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from mautrix.types import RoomID
from mautrix.util.async_db import Database

from .. import events as ev
from ..clock import now_ms
from ..content import compose
from ..content.fields import SLUG_RE, clean_text, clean_url
from ..db import apps
from ..errors import Forbidden, InvalidInput, NotFound
from ..ids import Identities
from ..matrix.feed_rooms import FeedRooms
from ..matrix.intents import Intents
from ..matrix.sender import IndexedSender
from .posts import Posts
from .views import app_view

# (author, app id, the original's app id for a fork): called once an app is first published.
AppPublished = Callable[[str, str, str | None], Awaitable[None]]


class Apps:
    def __init__(self, db: Database, ids: Identities, intents: Intents, feed_rooms: FeedRooms,
                 sender: IndexedSender, posts: Posts, runner_template: str, *,
                 on_published: Sequence[AppPublished] = ()) -> None:
        self.db = db
        self.ids = ids
        self.intents = intents
        self.feed_rooms = feed_rooms
        self.sender = sender
        self.posts = posts
        self.runner_template = runner_template
        self.on_published = list(on_published)

    async def publish(self, author: str, body: dict[str, Any]) -> dict[str, Any]:
        slug = body.get("slug")
        if not isinstance(slug, str) or not SLUG_RE.fullmatch(slug):
            raise InvalidInput("'slug' must be 1-64 characters of a-z, 0-9 and -")
        content = {
            "name": clean_text(body.get("name"), "name", max_chars=100),
            "description": clean_text(body.get("description"), "description", required=False),
            "icon": clean_url(body.get("icon"), "icon", required=False),
            "url": clean_url(body.get("url"), "url"),
        }
        share = body.get("share", False)
        if not isinstance(share, bool):
            raise InvalidInput("'share' must be true or false")
        text = clean_text(body.get("text"), "text", required=False)
        app_id = self.ids.app_id(author, slug)
        forked_from = await self._original(body.get("forked_from"), app_id)
        if forked_from is not None:
            content[ev.APP_FORKED_FROM] = {"author": forked_from["author"],
                                           "slug": forked_from["slug"]}
        is_new = await apps.get(self.db, app_id) is None
        intent = await self.intents.for_user(author)
        room_id = await self.feed_rooms.ensure(author)
        await self.sender.send(intent, room_id, ev.APP_STATE, content, state_key=slug)
        result = await self.get(app_id)
        if is_new:
            for listener in self.on_published:
                await listener(author, app_id, forked_from["app_id"] if forked_from else None)
        if share:
            post = compose.app_content({**content, "slug": slug}, self.runner_template,
                                       text)
            result["post"] = await self.posts.publish(author, post)
        return result

    async def _original(self, value: Any, app_id: str):
        """A fork names its original by app id; the original must be published (here, or on
        another server and indexed here)."""
        if value is None:
            return None
        if not isinstance(value, str) or not value or len(value) > 320:
            raise InvalidInput("'forked_from' must be the original's app id, such as bob:chess")
        if value == app_id:
            raise InvalidInput("An app cannot be a fork of itself")
        original = await apps.get(self.db, value)
        if original is None:
            raise NotFound(f"'forked_from': no app {value!r} is published")
        return original

    async def unpublish(self, user: str, app_id: str) -> None:
        row = await self._row(app_id)
        if row["author"] != user:
            raise Forbidden("Only the author can unpublish an app")
        intent = await self.intents.for_user(user)
        await self.sender.send(intent, RoomID(row["room_id"]), ev.APP_STATE, {},
                                        state_key=row["slug"])

    async def get(self, app_id: str) -> dict[str, Any]:
        row = await self._row(app_id)
        view = app_view(row, self.ids.handle_of(row["author"]))
        view["installs"] = await apps.install_count(self.db, app_id)
        original = await apps.get(self.db, row["forked_from"]) if row["forked_from"] else None
        view["original"] = None if original is None else {
            "id": original["app_id"], "name": original["name"],
            "author": {"user_id": original["author"],
                       "handle": self.ids.handle_of(original["author"])}}
        return view

    async def install(self, user: str, app_id: str) -> dict[str, Any]:
        await self._row(app_id)
        new = await apps.install(self.db, app_id, user, now_ms())
        return {"id": app_id, "installed": True, "new": new,
                "installs": await apps.install_count(self.db, app_id)}

    async def _row(self, app_id: str):
        row = await apps.get(self.db, app_id)
        if row is None:
            raise NotFound(f"No app {app_id!r}")
        return row
