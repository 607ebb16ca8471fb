"""Published apps: an app state event in the author's feed room; installs counted once."""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

from mautrix.types import RoomID

from .. import events as ev
from ..db import apps
from . import posts as compose
from .posts import InvalidInput, clean_text, clean_url
from .profile_service import Profiles, app_view
from .service import Forbidden, NotFound, Social

if TYPE_CHECKING:
    from ..bridge import SocialBridge

SLUG_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


def app_id_of(ids, author: str, slug: str) -> str:
    """`alice:slug` for our users; `@bob:server:slug` for users of other servers (a slug
    has no colon)."""
    return f"{ids.local_localpart(author) or author}:{slug}"


class Apps:
    def __init__(self, bridge: SocialBridge, social: Social, profiles: Profiles) -> None:
        self.bridge = bridge
        self.social = social
        self.profiles = profiles
        self.db = bridge.db
        self.ids = bridge.identities

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
        intent = await self.social.intent_for(author)
        room_id = await self.bridge.feed_rooms.ensure(author)
        await self.social.send_and_index(intent, room_id, ev.APP_STATE, content, state_key=slug)
        app_id = app_id_of(self.ids, author, slug)
        result = await self.get(app_id)
        if share:
            post = compose.app_content({**content, "slug": slug}, self.social.runner_template,
                                       text)
            result["post"] = await self.social.publish(author, post)
        return result

    async def unpublish(self, user: str, app_id: str) -> None:
        row = await self._row(app_id)
        if row["author"] != user:
            raise Forbidden("Only the author can unpublish an app")
        intent = await self.social.intent_for(user)
        await self.social.send_and_index(intent, RoomID(row["room_id"]), ev.APP_STATE, {},
                                        state_key=row["slug"])

    async def get(self, app_id: str) -> dict[str, Any]:
        row = await self._row(app_id)
        view = app_view(row, self.social.handle_of(row["author"]))
        view["installs"] = await apps.install_count(self.db, app_id)
        return view

    async def install(self, user: str, app_id: str) -> dict[str, Any]:
        await self._row(app_id)
        new = await apps.install(self.db, app_id, user, int(time.time() * 1000))
        return {"id": app_id, "installed": True, "new": new,
                "installs": await apps.install_count(self.db, app_id)}

    async def _row(self, app_id: str):
        row = await apps.get(self.db, app_id)
        if row is None:
            raise NotFound(f"No app {app_id!r}")
        return row
