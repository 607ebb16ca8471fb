"""media_derivative: a converted copy of an uploaded image (the JPEG Instagram fetches), kept on
the homeserver as media of its own, so it is made once, not at every fetch."""

from __future__ import annotations

from . import Executor

INSTAGRAM_JPEG = "instagram_jpeg"


async def get(db: Executor, source: str, kind: str) -> str | None:
    return await db.fetchval(
        "SELECT mxc FROM media_derivative WHERE source_mxc=$1 AND kind=$2", source, kind)


async def put(db: Executor, source: str, kind: str, mxc: str, size: int, now: int) -> str:
    """Remember a derivative; the one already remembered wins (another process made it
    first), and is returned."""
    await db.execute(
        "INSERT INTO media_derivative (source_mxc, kind, mxc, size, created_at) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (source_mxc, kind) DO NOTHING",
        source, kind, mxc, size, now)
    return await get(db, source, kind) or mxc


async def forget(db: Executor, source: str, kind: str, mxc: str) -> None:
    """The homeserver no longer has it (its media retention removed it): make it again."""
    await db.execute("DELETE FROM media_derivative WHERE source_mxc=$1 AND kind=$2 AND mxc=$3",
                     source, kind, mxc)
