"""Activities in: reported by the OS and agents (POST /activity, the report_activity IPC call)
or seen by the service itself (apps published, profile edits, AI answers). An activity whose
kind the user shares is recorded and, except for the AI's answers (counted, never posted one
by one), becomes a draft in the seed's wording. Nothing is recorded for a kind that is off."""

from __future__ import annotations

import json
import logging
import secrets
from typing import Any

from mautrix.util.async_db import Database

from ...clock import Clock
from ...db import activities, apps, drafts
from ...errors import InvalidInput, NotFound
from ...ids import Identities
from . import templates as say
from .drafts import Drafts
from .report_kinds import clean_activity
from .settings import SWITCH_OF, ActivitySettings

log = logging.getLogger("matrix_social.activity")
MAX_PENDING_DRAFTS = 200  # beyond this, activities are still counted but drafted no more


def _app_input(row) -> dict[str, Any]:
    return {"name": row["name"], "description": row["description"], "icon": row["icon"],
            "url": row["url"], "slug": row["slug"]}


class Activities:
    def __init__(self, db: Database, ids: Identities, settings: ActivitySettings,
                 drafts: Drafts, clock: Clock, review_seconds: int) -> None:
        self.db = db
        self.ids = ids
        self.settings = settings
        self.drafts = drafts
        self.clock = clock
        self.review_ms = review_seconds * 1000

    # --- reported -----------------------------------------------------------------------------

    async def report(self, user: str, body: Any) -> dict[str, Any]:
        kind, data = clean_activity(body)
        return await self._resolve_and_record(user, kind, data, "api")

    async def _resolve_and_record(self, user: str, kind: str, data: dict[str, Any],
                                  source: str) -> dict[str, Any]:
        app_row = None
        dedupe = secrets.token_urlsafe(12)
        if kind == "app_publish":
            app_row = await self._app(data["app_id"], "app_id")
            if app_row["author"] != user:
                raise InvalidInput("'data.app_id' must be one of your own apps")
            dedupe = f"app_publish:{data['app_id']}"
            text = say.app_publish(app_row["name"])
        elif kind == "app_fork":
            app_row, data = await self._fork(user, data)
            dedupe = f"app_fork:{data.get('app_id') or data['original']}"
            text = say.app_fork(self.ids.handle_of(data["author"]), data["original_name"])
        elif kind == "game_score":
            text = say.game_score(data["game"], data["score"], data["duration"])
        elif kind == "ai_task":
            text = say.ai_task(data["task"])
        else:
            text = say.profile_update(data["fields"])
        author = self.ids.ai_of(user) if kind == "ai_task" else user
        app = _app_input(app_row) if app_row is not None else None
        return await self._record(user, kind, data, source, dedupe,
                                  draft={"author": author, "text": text, "app": app})

    async def _app(self, app_id: str, field: str):
        row = await apps.get(self.db, app_id)
        if row is None:
            raise NotFound(f"'data.{field}': no app {app_id!r} is published")
        return row

    async def _fork(self, user: str, data: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        """The original must exist and be by the author named; a fork id must be the caller's
        own app, published as a fork of that original."""
        original = await self._app(data["original"], "original")
        claimed = data["author"]
        claimed_id = claimed if claimed.startswith("@") else self.ids.parse_handle(claimed)
        if claimed_id != original["author"]:
            raise InvalidInput(f"'data.author' is not the author of {data['original']!r}")
        shown = original
        if "app_id" in data:
            fork = await self._app(data["app_id"], "app_id")
            if fork["author"] != user or fork["forked_from"] != data["original"]:
                raise InvalidInput("'data.app_id' must be your own app published as a fork of "
                                   f"{data['original']!r} (forked_from)")
            shown = fork
        return shown, {**data, "author": original["author"], "original_name": original["name"]}

    # --- seen by the service --------------------------------------------------------------------

    async def app_published(self, author: str, app_id: str, forked_from: str | None) -> None:
        if forked_from:
            original = await apps.get(self.db, forked_from)
            if original is None:
                return
            data = {"original": forked_from, "author": original["author"], "app_id": app_id}
            await self._observed(author, "app_fork", data)
        else:
            await self._observed(author, "app_publish", {"app_id": app_id})

    async def profile_updated(self, user: str, fields: list[str]) -> None:
        await self._observed(user, "profile_update", {"fields": fields})

    async def _observed(self, user: str, kind: str, data: dict[str, Any]) -> None:
        """Never fails what the user did: a problem here is logged."""
        try:
            await self._resolve_and_record(user, kind, data, "observed")
        except Exception:
            log.exception("Could not record %s's %s activity", user, kind)

    async def ai_answered(self, ai: str, sender: str, room_id: str, kind: str) -> None:
        """One task handled by the AI, counted for its owner's AI summary. Who asked and
        where is not kept."""
        owner = self.ids.ai_owner(ai)
        if owner is None:
            return
        try:
            await self._record(owner, "ai_task", {"ai": ai, "via": kind}, "observed",
                               secrets.token_urlsafe(12), draft=None)
        except Exception:
            log.exception("Could not record a task of %s", ai)

    # --- recording ------------------------------------------------------------------------------

    async def _record(self, user: str, kind: str, data: dict[str, Any], source: str,
                      dedupe: str, draft: dict[str, Any] | None) -> dict[str, Any]:
        settings = await self.settings.get(user)
        if not settings[SWITCH_OF[kind]]:
            return {"shared": False, "activity": None, "draft": None}
        now = self.clock.now_ms()
        activity_id = secrets.token_urlsafe(12)
        public = {k: v for k, v in data.items() if k != "original_name"}
        async with self.db.acquire() as conn, conn.transaction():
            if not await activities.insert(conn, activity_id, user, kind, data, source, dedupe,
                                           now):
                existing = await activities.by_dedupe(conn, user, dedupe)
                return {"shared": True, "duplicate": True, "activity": _view(existing),
                        "draft": None}
            made, skipped = None, None
            if draft is not None and await drafts.pending_count(conn, user) >= MAX_PENDING_DRAFTS:
                skipped = (f"{MAX_PENDING_DRAFTS} drafts are already waiting: publish or "
                           "discard some first")
            elif draft is not None:
                publish_at = now + self.review_ms \
                    if settings["auto_post_frequency"] == "immediate" else None
                made = await self.drafts.create(
                    user=user, author=draft["author"], kind=kind, text=draft["text"],
                    data=public, app=draft["app"], publish_at=publish_at,
                    activity_id=activity_id, conn=conn)
            row = await activities.by_dedupe(conn, user, dedupe)
        result = {"shared": True, "activity": _view(row), "draft": made}
        if skipped:
            result["draft_skipped"] = skipped
        return result


def _view(row) -> dict[str, Any]:
    return {"id": row["activity_id"], "kind": row["kind"], "data": json.loads(row["data"]),
            "source": row["source"], "ts": row["ts"]}
