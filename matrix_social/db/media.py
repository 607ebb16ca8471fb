"""media_upload: images uploaded through the API, so a post can only use its author's own."""

from __future__ import annotations

from mautrix.util.async_db import Database

from ..clock import now_ms


async def insert(db: Database, mxc: str, owner: str, mimetype: str, size: int,
                 width: int | None, height: int | None) -> None:
    await db.execute(
        "INSERT INTO media_upload (mxc, owner, mimetype, size, width, height, created_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7)",
        mxc, owner, mimetype, size, width, height, now_ms(),
    )


async def get(db: Database, mxc: str):
    return await db.fetchrow("SELECT * FROM media_upload WHERE mxc=$1", mxc)
