"""AI puppets the service has created on the homeserver."""


from mautrix.util.async_db import Database

from ..clock import now_ms


async def upsert(db: Database, mxid: str, owner: str, displayname: str | None) -> None:
    await db.execute(
        "INSERT INTO ai_puppet (mxid, owner, displayname, created_at) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (mxid) DO UPDATE SET displayname=excluded.displayname",
        mxid,
        owner,
        displayname,
        now_ms(),
    )


async def get_displayname(db: Database, mxid: str) -> tuple[bool, str | None]:
    row = await db.fetchrow("SELECT displayname FROM ai_puppet WHERE mxid=$1", mxid)
    return (row is not None, row["displayname"] if row else None)


async def get_avatar(db: Database, mxid: str) -> str | None:
    return await db.fetchval("SELECT avatar_url FROM ai_puppet WHERE mxid=$1", mxid)


async def set_avatar(db: Database, mxid: str, avatar_url: str) -> None:
    await db.execute("UPDATE ai_puppet SET avatar_url=$2 WHERE mxid=$1", mxid, avatar_url)
