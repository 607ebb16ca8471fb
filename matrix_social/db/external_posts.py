"""external_post: bridged items as the connecting user's feed shows them (only hers: a portal
room is private). Written only by the bridge, for events its puppets sent; never by ingest, so
nothing anybody else sends into a portal room can become one. An item also shared to her feed
room (share_with_followers) names that post, which the feed shows instead."""

from __future__ import annotations

import json
from dataclasses import dataclass

from mautrix.util.async_db import Database


@dataclass(frozen=True)
class ExternalPostRow:
    event_id: str  # the puppet's event in the portal room
    user_id: str
    room_id: str
    platform: str
    account_key: str
    remote_id: str
    author: str  # the account's puppet
    kind: str  # text | image (as posts)
    body: str
    content: dict
    ts: int
    displayname: str | None
    avatar_url: str | None
    shared_event_id: str | None = None  # her post in her feed room


_COLUMNS = ("event_id, user_id, room_id, platform, account_key, remote_id, author, kind, body, "
            "content, ts, displayname, avatar_url, shared_event_id")


def _row(row) -> ExternalPostRow:
    values = {k: row[k] for k in _COLUMNS.split(", ")}
    values["content"] = json.loads(values["content"])
    return ExternalPostRow(**values)


async def insert(db: Database, row: ExternalPostRow) -> None:
    await db.execute(
        f"INSERT INTO external_post ({_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
        "$10, $11, $12, $13, $14) ON CONFLICT (event_id) DO NOTHING",
        row.event_id, row.user_id, row.room_id, row.platform, row.account_key, row.remote_id,
        row.author, row.kind, row.body, json.dumps(row.content), row.ts, row.displayname,
        row.avatar_url, row.shared_event_id)


async def get(db: Database, event_id: str) -> ExternalPostRow | None:
    row = await db.fetchrow(f"SELECT {_COLUMNS} FROM external_post WHERE event_id=$1", event_id)
    return _row(row) if row else None


async def apply_edit(db: Database, event_id: str, body: str, content: dict,
                     edited_ts: int) -> None:
    await db.execute(
        "UPDATE external_post SET body=$2, content=$3, edited_ts=$4 WHERE event_id=$1",
        event_id, body, json.dumps(content), edited_ts)


async def delete(db: Database, event_id: str) -> None:
    await db.execute("DELETE FROM external_post WHERE event_id=$1", event_id)


async def for_user(db: Database, user_id: str, platform: str) -> list[ExternalPostRow]:
    rows = await db.fetch(
        f"SELECT {_COLUMNS} FROM external_post WHERE user_id=$1 AND platform=$2 "
        "ORDER BY ts, event_id", user_id, platform)
    return [_row(r) for r in rows]
