"""external_item: (user, platform, account, remote id) -> the Matrix event that carries it.

Written for items bridged in ("inbound") and for our own cross-posts ("outbound"), so the
reader recognises a cross-post coming back and never bridges it in again. Used for dedupe,
edits (m.replace of event_id) and deletions (redaction of event_id).

Per user: two Matrix users may connect the same external account, and each connection has its
own portal room, so an item bridged for one is still new for the other (keyed without the user,
the second portal never got an item the first connection had bridged)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from mautrix.util.async_db import Database

INBOUND = "inbound"
OUTBOUND = "outbound"


@dataclass(frozen=True)
class ExternalItemRow:
    user_id: str  # the connection's Matrix user
    platform: str
    account_key: str
    remote_id: str
    event_id: str
    room_id: str
    origin: str
    version: str | None


_COLUMNS = "user_id, platform, account_key, remote_id, event_id, room_id, origin, version"
_KEY = "user_id=$1 AND platform=$2 AND account_key=$3 AND remote_id=$4"


async def insert(db: Database, row: ExternalItemRow, now_ms: int) -> bool:
    """False when the item is already mapped for this user (a duplicate: do not send it
    again)."""
    inserted = await db.fetchrow(
        f"INSERT INTO external_item ({_COLUMNS}, created_at) VALUES ($1, $2, $3, $4, $5, $6, "
        "$7, $8, $9) ON CONFLICT (user_id, platform, account_key, remote_id) DO NOTHING "
        "RETURNING remote_id",
        row.user_id, row.platform, row.account_key, row.remote_id, row.event_id, row.room_id,
        row.origin, row.version, now_ms)
    return inserted is not None


async def get(db: Database, user_id: str, platform: str, account_key: str, remote_id: str
              ) -> ExternalItemRow | None:
    row = await db.fetchrow(f"SELECT {_COLUMNS} FROM external_item WHERE {_KEY}",
                            user_id, platform, account_key, remote_id)
    return ExternalItemRow(**dict(row)) if row else None


async def known(db: Database, user_id: str, platform: str, account_key: str,
                remote_ids: Iterable[str]) -> set[str]:
    ids = list(dict.fromkeys(remote_ids))
    found: set[str] = set()
    for start in range(0, len(ids), 100):
        chunk = ids[start:start + 100]
        marks = ", ".join(f"${i + 4}" for i in range(len(chunk)))
        rows = await db.fetch(
            f"SELECT remote_id FROM external_item WHERE user_id=$1 AND platform=$2 "
            f"AND account_key=$3 AND remote_id IN ({marks})", user_id, platform, account_key,
            *chunk)
        found.update(r["remote_id"] for r in rows)
    return found


async def set_version(db: Database, user_id: str, platform: str, account_key: str,
                      remote_id: str, version: str | None) -> None:
    await db.execute(f"UPDATE external_item SET version=$5 WHERE {_KEY}",
                     user_id, platform, account_key, remote_id, version)


async def delete(db: Database, user_id: str, platform: str, account_key: str, remote_id: str
                 ) -> ExternalItemRow | None:
    row = await db.fetchrow(f"DELETE FROM external_item WHERE {_KEY} RETURNING {_COLUMNS}",
                            user_id, platform, account_key, remote_id)
    return ExternalItemRow(**dict(row)) if row else None


async def by_event(db: Database, event_id: str) -> list[ExternalItemRow]:
    rows = await db.fetch(
        f"SELECT {_COLUMNS} FROM external_item WHERE event_id=$1 ORDER BY platform", event_id)
    return [ExternalItemRow(**dict(r)) for r in rows]
