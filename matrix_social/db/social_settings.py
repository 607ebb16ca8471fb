"""social_settings: the index's mirror of each user's activity-sharing settings (the truth is
their Matrix account data; docs/activity.md)."""

from __future__ import annotations

import json
from typing import Any

from . import Executor


async def upsert(db: Executor, user_id: str, settings: dict[str, Any], ts: int) -> None:
    await db.execute(
        "INSERT INTO social_settings (user_id, settings, updated_at) VALUES ($1, $2, $3) "
        "ON CONFLICT (user_id) DO UPDATE SET settings=excluded.settings, "
        "updated_at=excluded.updated_at",
        user_id, json.dumps(settings, sort_keys=True), ts,
    )


async def get(db: Executor, user_id: str) -> dict[str, Any] | None:
    raw = await db.fetchval("SELECT settings FROM social_settings WHERE user_id=$1", user_id)
    return json.loads(raw) if raw else None
