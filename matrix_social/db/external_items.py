"""external_item: (platform, account, remote id) -> the Matrix event that carries it.

Written for items bridged in ("inbound") and for our own cross-posts ("outbound"), so the
reader recognises a cross-post coming back and never bridges it in again. Used for dedupe,
edits (m.replace of event_id) and deletions (redaction of event_id)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from mautrix.util.async_db import Database

INBOUND = "inbound"
OUTBOUND = "outbound"


@dataclass(frozen=True)
class ExternalItemRow:
    platform: str
    account_key: str
    remote_id: str
    event_id: str
    room_id: str
    origin: str
    version: str | None


_COLUMNS = "platform, account_key, remote_id, event_id, room_id, origin, version"


async def insert(db: Database, row: ExternalItemRow, now_ms: int) -> bool:
    """False when the item is already mapped (a duplicate: do not send it again)."""
    inserted = await db.fetchrow(
        f"INSERT INTO external_item ({_COLUMNS}, created_at) VALUES ($1, $2, $3, $4, $5, $6, "
        "$7, $8) ON CONFLICT (platform, account_key, remote_id) DO NOTHING RETURNING remote_id",
        row.platform, row.account_key, row.remote_id, row.event_id, row.room_id, row.origin,
        row.version, now_ms)
    return inserted is not None


async def get(db: Database, platform: str, account_key: str, remote_id: str
              ) -> ExternalItemRow | None:
    row = await db.fetchrow(
        f"SELECT {_COLUMNS} FROM external_item WHERE platform=$1 AND account_key=$2 "
        "AND remote_id=$3", platform, account_key, remote_id)
    return ExternalItemRow(**dict(row)) if row else None


async def known(db: Database, platform: str, account_key: str,
                remote_ids: Iterable[str]) -> set[str]:
    ids = list(dict.fromkeys(remote_ids))
    found: set[str] = set()
    for start in range(0, len(ids), 100):
        chunk = ids[start:start + 100]
        marks = ", ".join(f"${i + 3}" for i in range(len(chunk)))
        rows = await db.fetch(
            f"SELECT remote_id FROM external_item WHERE platform=$1 AND account_key=$2 "
            f"AND remote_id IN ({marks})", platform, account_key, *chunk)
        found.update(r["remote_id"] for r in rows)
    return found


async def set_version(db: Database, platform: str, account_key: str, remote_id: str,
                      version: str | None) -> None:
    await db.execute(
        "UPDATE external_item SET version=$4 WHERE platform=$1 AND account_key=$2 "
        "AND remote_id=$3", platform, account_key, remote_id, version)


async def delete(db: Database, platform: str, account_key: str, remote_id: str
                 ) -> ExternalItemRow | None:
    row = await db.fetchrow(
        f"DELETE FROM external_item WHERE platform=$1 AND account_key=$2 AND remote_id=$3 "
        f"RETURNING {_COLUMNS}", platform, account_key, remote_id)
    return ExternalItemRow(**dict(row)) if row else None


async def by_event(db: Database, event_id: str) -> list[ExternalItemRow]:
    rows = await db.fetch(
        f"SELECT {_COLUMNS} FROM external_item WHERE event_id=$1 ORDER BY platform", event_id)
    return [ExternalItemRow(**dict(r)) for r in rows]
