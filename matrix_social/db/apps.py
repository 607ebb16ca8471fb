"""app and app_install: published apps (state events) and installs reported by the OS."""

from __future__ import annotations

from mautrix.util.async_db import Database

# How many people published a fork of the app (one author's many forks count once).
FORKS = "(SELECT COUNT(DISTINCT f.author) FROM app f WHERE f.forked_from = a.app_id) AS forks"


async def upsert(db: Database, app_id: str, room_id: str, author: str, slug: str, name: str,
                 description: str, icon: str, url: str, ts: int,
                 forked_from: str | None = None) -> None:
    await db.execute(
        "INSERT INTO app (app_id, room_id, author, slug, name, description, icon, url, ts, "
        "forked_from) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
        "ON CONFLICT (app_id) DO UPDATE SET name=excluded.name, "
        "description=excluded.description, icon=excluded.icon, url=excluded.url, "
        "ts=excluded.ts, forked_from=excluded.forked_from",
        app_id, room_id, author, slug, name, description, icon, url, ts, forked_from,
    )


async def delete(db: Database, app_id: str) -> None:
    await db.execute("DELETE FROM app WHERE app_id=$1", app_id)


async def get(db: Database, app_id: str):
    return await db.fetchrow(f"SELECT a.*, {FORKS} FROM app a WHERE a.app_id=$1", app_id)


async def by_author(db: Database, author: str, after: str | None, limit: int) -> list:
    """The author's apps by slug, after the slug `after`."""
    return await db.fetch(
        "SELECT a.*, (SELECT COUNT(*) FROM app_install i WHERE i.app_id=a.app_id) AS installs, "
        f"{FORKS} FROM app a WHERE a.author=$1 AND a.slug > $2 ORDER BY a.slug LIMIT $3",
        author, after or "", limit,
    )


async def install(db: Database, app_id: str, user_id: str, ts: int) -> bool:
    """Count an install once per user; True when it is new."""
    existing = await db.fetchval(
        "SELECT 1 FROM app_install WHERE app_id=$1 AND user_id=$2", app_id, user_id)
    if existing:
        return False
    await db.execute(
        "INSERT INTO app_install (app_id, user_id, ts) VALUES ($1, $2, $3) "
        "ON CONFLICT (app_id, user_id) DO NOTHING", app_id, user_id, ts,
    )
    return True


async def install_count(db: Database, app_id: str) -> int:
    return await db.fetchval("SELECT COUNT(*) FROM app_install WHERE app_id=$1", app_id)
