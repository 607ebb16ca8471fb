"""cross_post_delivery: one row per (post, target platform): its status, remote id and URL,
attempts, last error and next attempt. A restart resumes what is pending; a delivery caught
mid-send by a crash goes back to pending with its idempotency key unchanged."""

from __future__ import annotations

from dataclasses import dataclass

from mautrix.util.async_db import Database

PENDING = "pending"  # waiting for its next attempt
SENDING = "sending"  # an attempt is in flight
DELIVERED = "delivered"
FAILED = "failed"  # gave up after the last attempt
REFUSED = "refused"  # the target will not take it (no image for Instagram, grant revoked...)
DELETED = "deleted"  # delivered, then deleted at the platform with the post


@dataclass(frozen=True)
class DeliveryRow:
    post_event_id: str
    target: str
    user_id: str
    status: str
    idempotency_key: str
    remote_id: str | None
    url: str | None
    attempts: int
    last_error: str | None
    next_attempt: int | None


_COLUMNS = ("post_event_id, target, user_id, status, idempotency_key, remote_id, url, attempts, "
            "last_error, next_attempt")


def _row(row) -> DeliveryRow:
    return DeliveryRow(**dict(row))


async def create(db: Database, post_event_id: str, target: str, user_id: str,
                 idempotency_key: str, now_ms: int) -> bool:
    row = await db.fetchrow(
        "INSERT INTO cross_post_delivery (post_event_id, target, user_id, status, "
        "idempotency_key, attempts, next_attempt, created_at, updated_at) "
        "VALUES ($1, $2, $3, $4, $5, 0, $6, $6, $6) "
        "ON CONFLICT (post_event_id, target) DO NOTHING RETURNING target",
        post_event_id, target, user_id, PENDING, idempotency_key, now_ms)
    return row is not None


async def create_refused(db: Database, post_event_id: str, target: str, user_id: str,
                         idempotency_key: str, reason: str, now_ms: int) -> bool:
    row = await db.fetchrow(
        "INSERT INTO cross_post_delivery (post_event_id, target, user_id, status, "
        "idempotency_key, attempts, last_error, created_at, updated_at) "
        "VALUES ($1, $2, $3, $4, $5, 0, $6, $7, $7) "
        "ON CONFLICT (post_event_id, target) DO NOTHING RETURNING target",
        post_event_id, target, user_id, REFUSED, idempotency_key, reason, now_ms)
    return row is not None


async def due(db: Database, now_ms: int, limit: int) -> list[DeliveryRow]:
    rows = await db.fetch(
        f"SELECT {_COLUMNS} FROM cross_post_delivery WHERE status=$1 AND next_attempt <= $2 "
        "ORDER BY next_attempt LIMIT $3", PENDING, now_ms, limit)
    return [_row(r) for r in rows]


async def claim(db: Database, post_event_id: str, target: str, now_ms: int
                ) -> DeliveryRow | None:
    """Mark a pending delivery as in flight and count the attempt; None if somebody else
    claimed it or it is not pending any more."""
    row = await db.fetchrow(
        f"UPDATE cross_post_delivery SET status=$3, attempts=attempts+1, updated_at=$4 "
        f"WHERE post_event_id=$1 AND target=$2 AND status=$5 RETURNING {_COLUMNS}",
        post_event_id, target, SENDING, now_ms, PENDING)
    return _row(row) if row else None


async def release_in_flight(db: Database, now_ms: int) -> int:
    """At start-up: attempts caught in flight by a crash become pending again, now."""
    rows = await db.fetch(
        "UPDATE cross_post_delivery SET status=$1, next_attempt=$2, updated_at=$2 "
        "WHERE status=$3 RETURNING target", PENDING, now_ms, SENDING)
    return len(rows)


async def _finish(db: Database, post_event_id: str, target: str, now_ms: int, status: str,
                  only_from: str | None = None, **values: object) -> bool:
    """Set the status (and `values`); with `only_from`, only if the status is that one (an
    attempt's outcome never overwrites a deletion's cancel). Whether the row changed."""
    names = list(values)
    sets = ", ".join(f"{name}=${i + 5}" for i, name in enumerate(names))
    guard = f" AND status=${len(names) + 5}" if only_from else ""
    row = await db.fetchrow(
        f"UPDATE cross_post_delivery SET status=$3, updated_at=$4{', ' + sets if sets else ''} "
        f"WHERE post_event_id=$1 AND target=$2{guard} RETURNING target",
        post_event_id, target, status, now_ms, *values.values(),
        *((only_from,) if only_from else ()))
    return row is not None


async def mark_delivered(db: Database, post_event_id: str, target: str, remote_id: str,
                         url: str, now_ms: int, only_from: str | None = None) -> bool:
    return await _finish(db, post_event_id, target, now_ms, DELIVERED, only_from,
                         remote_id=remote_id, url=url, last_error=None, next_attempt=None)


async def mark_retry(db: Database, post_event_id: str, target: str, error: str,
                     next_attempt_ms: int, now_ms: int, only_from: str | None = None) -> bool:
    return await _finish(db, post_event_id, target, now_ms, PENDING, only_from,
                         last_error=error, next_attempt=next_attempt_ms)


async def mark_failed(db: Database, post_event_id: str, target: str, error: str,
                      now_ms: int, only_from: str | None = None) -> bool:
    return await _finish(db, post_event_id, target, now_ms, FAILED, only_from,
                         last_error=error, next_attempt=None)


async def mark_refused(db: Database, post_event_id: str, target: str, reason: str,
                       now_ms: int, only_from: str | None = None) -> bool:
    return await _finish(db, post_event_id, target, now_ms, REFUSED, only_from,
                         last_error=reason, next_attempt=None)


async def set_remote(db: Database, post_event_id: str, target: str, remote_id: str, url: str,
                     now_ms: int) -> None:
    """Where the first part of a thread is, as soon as it is made (a thread that stops half
    made shows where its made parts are)."""
    await db.execute("UPDATE cross_post_delivery SET remote_id=$3, url=$4, updated_at=$5 "
                     "WHERE post_event_id=$1 AND target=$2",
                     post_event_id, target, remote_id, url, now_ms)


async def get(db: Database, post_event_id: str, target: str) -> DeliveryRow | None:
    row = await db.fetchrow(f"SELECT {_COLUMNS} FROM cross_post_delivery "
                            "WHERE post_event_id=$1 AND target=$2", post_event_id, target)
    return _row(row) if row else None


async def mark_deleted(db: Database, post_event_id: str, target: str, now_ms: int) -> None:
    await _finish(db, post_event_id, target, now_ms, DELETED)


async def for_post(db: Database, post_event_id: str) -> list[DeliveryRow]:
    rows = await db.fetch(
        f"SELECT {_COLUMNS} FROM cross_post_delivery WHERE post_event_id=$1 ORDER BY target",
        post_event_id)
    return [_row(r) for r in rows]


async def next_attempt(db: Database) -> int | None:
    """The earliest next attempt of a pending delivery (for the scheduler's sleep)."""
    return await db.fetchval(
        "SELECT MIN(next_attempt) FROM cross_post_delivery WHERE status=$1", PENDING)


async def for_posts(db: Database, post_event_ids: list[str]) -> list[DeliveryRow]:
    """The deliveries of several posts (a feed page's own posts)."""
    found: list[DeliveryRow] = []
    for start in range(0, len(post_event_ids), 100):
        chunk = post_event_ids[start:start + 100]
        marks = ", ".join(f"${i + 1}" for i in range(len(chunk)))
        rows = await db.fetch(f"SELECT {_COLUMNS} FROM cross_post_delivery "
                              f"WHERE post_event_id IN ({marks}) ORDER BY target", *chunk)
        found.extend(_row(r) for r in rows)
    return found
