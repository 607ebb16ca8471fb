"""mastodon_app: our OAuth app registration on each Mastodon instance, created once (and made
again once when the instance no longer knows it)."""

from __future__ import annotations

from dataclasses import dataclass

from mautrix.util.async_db import Database


@dataclass(frozen=True)
class MastodonAppRow:
    instance: str
    redirect_uri: str
    scopes: str
    client_id: str
    client_secret: str  # encrypted

    def __repr__(self) -> str:
        return f"MastodonAppRow(instance={self.instance!r}, client_id={self.client_id!r})"


async def get(db: Database, instance: str, redirect_uri: str, scopes: str
              ) -> MastodonAppRow | None:
    row = await db.fetchrow(
        "SELECT instance, redirect_uri, scopes, client_id, client_secret FROM mastodon_app "
        "WHERE instance=$1 AND redirect_uri=$2 AND scopes=$3", instance, redirect_uri, scopes)
    return MastodonAppRow(**dict(row)) if row else None


async def insert_or_get(db: Database, app: MastodonAppRow, now_ms: int) -> MastodonAppRow:
    """Store a new registration unless another one won the race; return the stored one."""
    await db.execute(
        "INSERT INTO mastodon_app (instance, redirect_uri, scopes, client_id, client_secret, "
        "created_at) VALUES ($1, $2, $3, $4, $5, $6) "
        "ON CONFLICT (instance, redirect_uri, scopes) DO NOTHING",
        app.instance, app.redirect_uri, app.scopes, app.client_id, app.client_secret, now_ms)
    stored = await get(db, app.instance, app.redirect_uri, app.scopes)
    assert stored is not None
    return stored


async def delete(db: Database, instance: str, redirect_uri: str, scopes: str,
                 client_id: str) -> None:
    """Forget a registration the instance no longer knows; only this one (a concurrent login
    may already have stored its successor)."""
    await db.execute(
        "DELETE FROM mastodon_app WHERE instance=$1 AND redirect_uri=$2 AND scopes=$3 "
        "AND client_id=$4", instance, redirect_uri, scopes, client_id)
