"""link_preview: what the homeserver's URL preview API answered for a URL, and when."""

from __future__ import annotations

import json
from typing import Any

from . import Executor


async def get(db: Executor, url: str) -> tuple[int, dict[str, Any], int] | None:
    """(status, data, fetched_at) of the stored answer."""
    row = await db.fetchrow(
        "SELECT status, data, fetched_at FROM link_preview WHERE url = $1", url)
    return (row["status"], json.loads(row["data"]), row["fetched_at"]) if row else None


async def put(db: Executor, url: str, status: int, data: dict[str, Any], fetched_at: int) -> None:
    await db.execute(
        "INSERT INTO link_preview (url, status, data, fetched_at) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (url) DO UPDATE SET status = excluded.status, data = excluded.data, "
        "fetched_at = excluded.fetched_at", url, status, json.dumps(data), fetched_at)
