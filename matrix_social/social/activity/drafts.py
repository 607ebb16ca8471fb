"""Drafts: the posts the service prepared from activities. The user lists, previews, edits,
discards and publishes them; a draft with a `publish_at` is published then by the scheduler
unless it was edited or discarded first (docs/activity.md)."""

from __future__ import annotations

import json
import logging
import secrets
from typing import Any

from mautrix.util.async_db import Database

from ...clock import Clock
from ...content import compose
from ...content.fields import clean_text
from ...db import Executor, drafts
from ...errors import Conflict, InvalidInput, NotFound
from ...ids import Identities
from .. import cursor as cursors
from ..posts import Posts
from .settings import SWITCH_OF, ActivitySettings

log = logging.getLogger("matrix_social.activity")
RETRY_MS = 5 * 60 * 1000
MAX_AUTO_ATTEMPTS = 3


def still_automatic(settings: dict[str, Any], kind: str, data: dict[str, Any]) -> bool:
    """Whether the user's settings (now) still publish this draft on their own."""
    frequency = settings["auto_post_frequency"]
    if kind in SWITCH_OF:
        return frequency == "immediate" and settings[SWITCH_OF[kind]]
    wanted = frequency == f"{data.get('period_kind')}_summary"
    return wanted and (kind != "ai_summary" or settings["share_ai_activity"])


class Drafts:
    def __init__(self, db: Database, ids: Identities, posts: Posts, settings: ActivitySettings,
                 clock: Clock, runner_template: str) -> None:
        self.db = db
        self.ids = ids
        self.posts = posts
        self.settings = settings
        self.clock = clock
        self.runner_template = runner_template

    async def create(self, *, user: str, author: str, kind: str, text: str,
                     data: dict[str, Any], app: dict[str, Any] | None, publish_at: int | None,
                     activity_id: str | None = None, period: str | None = None,
                     conn: Executor | None = None) -> dict[str, Any]:
        draft_id = secrets.token_urlsafe(16)
        await drafts.insert(conn or self.db, draft_id, user, author, kind, text,
                            {"kind": kind, "data": data}, app, publish_at, activity_id, period,
                            self.clock.now_ms())
        return await self.get(user, draft_id, conn=conn)

    def view(self, row) -> dict[str, Any]:
        app = json.loads(row["app"]) if row["app"] else None
        return {
            "id": row["draft_id"],
            "kind": row["kind"],
            "text": row["text"],
            "as": "me" if row["author"] == row["user_id"] else "ai",
            "author": {"user_id": row["author"], "handle": self.ids.handle_of(row["author"])},
            "activity": json.loads(row["activity"]),
            "app": compose.app_block(app, self.runner_template) if app else None,
            "edited": bool(row["edited"]),
            "status": row["status"],
            "publish_at": row["publish_at"],
            "period": row["period"],
            "post_id": row["post_id"],
            "created_at": row["created_at"],
        }

    def content(self, row) -> dict[str, Any]:
        """Exactly what publishing sends: an activity post (with the app preview, if any)."""
        app = json.loads(row["app"]) if row["app"] else None
        block = compose.app_block(app, self.runner_template) if app else None
        return compose.activity_content(json.loads(row["activity"]), row["text"], block)

    async def _own(self, user: str, draft_id: Any, conn: Executor | None = None):
        row = await drafts.get(conn or self.db, draft_id) if isinstance(draft_id, str) else None
        if row is None or row["user_id"] != user:  # somebody else's draft does not exist
            raise NotFound(f"No draft {draft_id!r}")
        return row

    async def get(self, user: str, draft_id: str,
                  conn: Executor | None = None) -> dict[str, Any]:
        return self.view(await self._own(user, draft_id, conn))

    async def page(self, user: str, cursor: str | None, limit: int) -> dict[str, Any]:
        rows = await drafts.pending_page(self.db, user, cursors.decode(cursor), limit + 1)
        return cursors.page(rows, limit, self.view,
                            lambda r: (r["created_at"], r["draft_id"]))

    async def preview(self, user: str, draft_id: str) -> dict[str, Any]:
        row = await self._own(user, draft_id)
        return {"draft": self.view(row), "sender": row["author"], "type": "m.room.message",
                "content": self.content(row)}

    async def edit(self, user: str, draft_id: str, body: dict[str, Any]) -> dict[str, Any]:
        await self._own(user, draft_id)
        unknown = sorted(set(body) - {"text"})
        if unknown:
            raise InvalidInput(f"Only 'text' can be edited (got {', '.join(unknown)})")
        text = clean_text(body.get("text"), "text")
        if not await drafts.edit_text(self.db, draft_id, user, text, self.clock.now_ms()):
            raise Conflict("This draft is no longer waiting (published or being published)")
        return await self.get(user, draft_id)

    async def discard(self, user: str, draft_id: str) -> None:
        await self._own(user, draft_id)
        if not await drafts.discard(self.db, draft_id, user):
            raise Conflict("This draft is no longer waiting (published or being published)")

    async def publish(self, user: str, draft_id: str) -> dict[str, Any]:
        row = await self._own(user, draft_id)
        return await self._publish(row, retry_at=None)

    async def _publish(self, row, retry_at: int | None) -> dict[str, Any]:
        draft_id = row["draft_id"]
        if not await drafts.claim(self.db, draft_id, self.clock.now_ms()):
            raise Conflict("This draft is no longer waiting (published or being published)")
        try:
            post = await self.posts.publish(row["author"], self.content(row))
        except BaseException:
            await drafts.release(self.db, draft_id, retry_at, self.clock.now_ms())
            raise
        await drafts.published(self.db, draft_id, post["id"], self.clock.now_ms())
        return {"draft": await self.get(row["user_id"], draft_id), "post": post}

    async def publish_due(self, limit: int) -> list[str]:
        """Publish the drafts whose time has come; the post ids."""
        now = self.clock.now_ms()
        published = []
        for row in await drafts.due(self.db, now, limit):
            activity = json.loads(row["activity"])
            settings = await self.settings.get(row["user_id"])
            if not still_automatic(settings, row["kind"], activity.get("data") or {}):
                await drafts.unschedule(self.db, row["draft_id"], now)
                continue
            retry_at = now + RETRY_MS if row["attempts"] + 1 < MAX_AUTO_ATTEMPTS else None
            try:
                result = await self._publish(row, retry_at)
            except Conflict:
                continue
            except Exception:
                log.exception("Could not publish draft %s of %s", row["draft_id"],
                              row["user_id"])
                continue
            published.append(result["post"]["id"])
        return published

    async def recover(self) -> None:
        count = await drafts.recover_interrupted(self.db, self.clock.now_ms())
        if count:
            log.warning("%d draft(s) were being published when the service stopped; they wait "
                        "for their owners now", count)

