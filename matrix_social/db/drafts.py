"""activity_draft: posts the service prepared from activities, waiting for their owner (or
for their scheduled time) before they are published."""

from __future__ import annotations

import json
from typing import Any

from . import Executor

PENDING, PUBLISHING, PUBLISHED = "pending", "publishing", "published"


async def insert(db: Executor, draft_id: str, user_id: str, author: str, kind: str, text: str,
                 activity: dict[str, Any], app: dict[str, Any] | None, publish_at: int | None,
                 activity_id: str | None, period: str | None, ts: int) -> None:
    await db.execute(
        "INSERT INTO activity_draft (draft_id, user_id, author, kind, text, activity, app, "
        "edited, status, publish_at, attempts, post_id, activity_id, period, created_at, "
        "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, NULL, $11, $12, $13, "
        "$13)",
        draft_id, user_id, author, kind, text, json.dumps(activity),
        json.dumps(app) if app is not None else None, False, PENDING, publish_at, activity_id,
        period, ts,
    )


async def get(db: Executor, draft_id: str):
    return await db.fetchrow("SELECT * FROM activity_draft WHERE draft_id=$1", draft_id)


async def pending_page(db: Executor, user_id: str, before: tuple[int, str] | None,
                       limit: int) -> list:
    """The user's drafts waiting to be published, newest first."""
    if before is None:
        return await db.fetch(
            "SELECT * FROM activity_draft WHERE user_id=$1 AND status=$2 "
            "ORDER BY created_at DESC, draft_id DESC LIMIT $3", user_id, PENDING, limit)
    return await db.fetch(
        "SELECT * FROM activity_draft WHERE user_id=$1 AND status=$2 AND (created_at < $3 OR "
        "(created_at = $3 AND draft_id < $4)) ORDER BY created_at DESC, draft_id DESC LIMIT $5",
        user_id, PENDING, before[0], before[1], limit)


async def pending_count(db: Executor, user_id: str) -> int:
    return await db.fetchval(
        "SELECT COUNT(*) FROM activity_draft WHERE user_id=$1 AND status=$2", user_id, PENDING)


async def all_of(db: Executor, user_id: str) -> list:
    return await db.fetch(
        "SELECT * FROM activity_draft WHERE user_id=$1 ORDER BY created_at, draft_id", user_id)


async def edit_text(db: Executor, draft_id: str, user_id: str, text: str, ts: int) -> bool:
    """An edited draft is never published automatically."""
    done = await db.fetchval(
        "UPDATE activity_draft SET text=$3, edited=$4, publish_at=NULL, updated_at=$5 "
        "WHERE draft_id=$1 AND user_id=$2 AND status=$6 RETURNING draft_id",
        draft_id, user_id, text, True, ts, PENDING)
    return done is not None


async def discard(db: Executor, draft_id: str, user_id: str) -> bool:
    done = await db.fetchval(
        "DELETE FROM activity_draft WHERE draft_id=$1 AND user_id=$2 AND status=$3 "
        "RETURNING draft_id", draft_id, user_id, PENDING)
    return done is not None


async def claim(db: Executor, draft_id: str, ts: int) -> bool:
    """pending -> publishing, for exactly one publisher."""
    done = await db.fetchval(
        "UPDATE activity_draft SET status=$2, updated_at=$3 WHERE draft_id=$1 AND status=$4 "
        "RETURNING draft_id", draft_id, PUBLISHING, ts, PENDING)
    return done is not None


async def published(db: Executor, draft_id: str, post_id: str, ts: int) -> None:
    await db.execute(
        "UPDATE activity_draft SET status=$2, post_id=$3, publish_at=NULL, updated_at=$4 "
        "WHERE draft_id=$1", draft_id, PUBLISHED, post_id, ts)


async def release(db: Executor, draft_id: str, publish_at: int | None, ts: int) -> None:
    """Back to pending after a failed publish (retried at publish_at, or by the user)."""
    await db.execute(
        "UPDATE activity_draft SET status=$2, publish_at=$3, attempts=attempts + 1, "
        "updated_at=$4 WHERE draft_id=$1", draft_id, PENDING, publish_at, ts)


async def due(db: Executor, now: int, limit: int) -> list:
    return await db.fetch(
        "SELECT * FROM activity_draft WHERE status=$1 AND publish_at IS NOT NULL "
        "AND publish_at <= $2 ORDER BY publish_at, draft_id LIMIT $3", PENDING, now, limit)


async def unschedule(db: Executor, draft_id: str, ts: int) -> None:
    await db.execute(
        "UPDATE activity_draft SET publish_at=NULL, updated_at=$2 WHERE draft_id=$1 "
        "AND status=$3", draft_id, ts, PENDING)


async def recover_interrupted(db: Executor, ts: int) -> int:
    """Drafts left `publishing` by a stop mid-publish: back to pending and never automatic
    again (the post may have gone out; the user decides), so nothing is posted twice."""
    rows = await db.fetch(
        "UPDATE activity_draft SET status=$1, publish_at=NULL, updated_at=$2 WHERE status=$3 "
        "RETURNING draft_id", PENDING, ts, PUBLISHING)
    return len(rows)
