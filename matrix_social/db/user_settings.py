"""user_setting: each user's settings as JSON values by name: the cross-post default targets,
and the index's mirror of the activity-sharing settings (their truth is the user's Matrix
account data; docs/activity.md)."""

from __future__ import annotations

import json
from typing import Any

from mautrix.util.async_db import Database

CROSS_POST_DEFAULT = "cross_post_default"
ACTIVITY = "activity"


async def get(db: Database, user_id: str, name: str, default: Any = None) -> Any:
    raw = await db.fetchval("SELECT value FROM user_setting WHERE user_id=$1 AND name=$2",
                            user_id, name)
    return json.loads(raw) if raw is not None else default


async def put(db: Database, user_id: str, name: str, value: Any, now_ms: int) -> None:
    await db.execute(
        "INSERT INTO user_setting (user_id, name, value, updated_at) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (user_id, name) DO UPDATE SET value=excluded.value, "
        "updated_at=excluded.updated_at", user_id, name, json.dumps(value), now_ms)
