"""cross_post_part: the parts of a cross-post that goes out as a thread (one row per part of a
delivery of cross_post_delivery). The plan is written whole before the first part is sent, so
every attempt sends the same parts (an edit made meanwhile does not reshape a thread half
made); each part's remote id is written before its request and its ref and URL after, so a
later attempt skips what was made and asks the platform about what may have been."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mautrix.util.async_db import Database


@dataclass(frozen=True)
class PartRow:
    part: int  # from 0: the first is the thread's root
    text: str
    numbering: str
    cut_before: bool
    cut_after: bool
    remote_id: str | None  # reserved before the part is sent
    ref: str | None  # set once it is made (Bluesky: the record's CID)
    url: str | None


_COLUMNS = "part, text, numbering, cut_before, cut_after, remote_id, ref, url"
_KEY = "post_event_id=$1 AND target=$2"


def _row(row) -> PartRow:
    values = dict(row)
    values["cut_before"] = bool(values["cut_before"])  # SQLite answers 0 and 1
    values["cut_after"] = bool(values["cut_after"])
    return PartRow(**values)


async def of_delivery(db: Database, post_event_id: str, target: str) -> list[PartRow]:
    rows = await db.fetch(f"SELECT {_COLUMNS} FROM cross_post_part WHERE {_KEY} ORDER BY part",
                          post_event_id, target)
    return [_row(r) for r in rows]


async def plan(db: Database, post_event_id: str, target: str, parts: Sequence[PartRow],
               now_ms: int) -> list[PartRow]:
    """The delivery's parts: those an earlier attempt planned, else `parts`, written whole
    (one transaction) before anything is sent. Only the holder of the delivery's claim calls
    this."""
    async with db.acquire() as conn, conn.transaction():
        rows = await conn.fetch(
            f"SELECT {_COLUMNS} FROM cross_post_part WHERE {_KEY} ORDER BY part",
            post_event_id, target)
        if rows:
            return [_row(r) for r in rows]
        for part in parts:
            await conn.execute(
                "INSERT INTO cross_post_part (post_event_id, target, part, text, numbering, "
                "cut_before, cut_after, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                post_event_id, target, part.part, part.text, part.numbering, part.cut_before,
                part.cut_after, now_ms)
    return list(parts)


async def reserve(db: Database, post_event_id: str, target: str, part: int, remote_id: str,
                  now_ms: int) -> None:
    await db.execute(f"UPDATE cross_post_part SET remote_id=$4, updated_at=$5 WHERE {_KEY} "
                     "AND part=$3", post_event_id, target, part, remote_id, now_ms)


async def made(db: Database, post_event_id: str, target: str, part: int, ref: str, url: str,
               now_ms: int) -> None:
    await db.execute(f"UPDATE cross_post_part SET ref=$4, url=$5, updated_at=$6 WHERE {_KEY} "
                     "AND part=$3", post_event_id, target, part, ref, url, now_ms)


async def forget(db: Database, post_event_id: str, target: str, part: int) -> None:
    """A part deleted at the platform: a deletion tried again does not ask for it again."""
    await db.execute(f"DELETE FROM cross_post_part WHERE {_KEY} AND part=$3",
                     post_event_id, target, part)


async def forget_all(db: Database, post_event_id: str, target: str) -> None:
    await db.execute(f"DELETE FROM cross_post_part WHERE {_KEY}", post_event_id, target)
