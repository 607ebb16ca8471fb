"""user_mute and muted_word: what a person chose not to see (her views only; nothing is sent).
An expiry (ms) is kept as given; rows past it are no longer active and are pruned on write."""

from __future__ import annotations

from mautrix.util.async_db import Scheme

from . import Executor


async def mute(db: Executor, owner: str, muted: str, expires_at: int | None, ts: int) -> None:
    await db.execute(
        "INSERT INTO user_mute (owner, muted, expires_at, ts) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (owner, muted) DO UPDATE SET expires_at=excluded.expires_at, ts=excluded.ts",
        owner, muted, expires_at, ts)


async def unmute(db: Executor, owner: str, muted: str) -> bool:
    found = await db.fetchval("SELECT 1 FROM user_mute WHERE owner=$1 AND muted=$2",
                              owner, muted)
    await db.execute("DELETE FROM user_mute WHERE owner=$1 AND muted=$2", owner, muted)
    return found is not None


async def muted_users(db: Executor, owner: str, now: int) -> list:
    """Her active mutes, oldest first."""
    return await db.fetch(
        "SELECT muted, expires_at, ts FROM user_mute WHERE owner=$1 "
        "AND (expires_at IS NULL OR expires_at > $2) ORDER BY ts, muted", owner, now)


async def add_word(db: Executor, owner: str, word: str, feed: bool, notifications: bool,
                   expires_at: int | None, ts: int) -> int:
    """The word's id; the same word again (any case) replaces its contexts and expiry."""
    await db.execute("DELETE FROM muted_word WHERE owner=$1 AND expires_at IS NOT NULL "
                     "AND expires_at <= $2", owner, ts)
    await db.execute(
        "INSERT INTO muted_word (owner, word, feed, notifications, expires_at, ts) "
        "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (owner, word) DO UPDATE SET "
        "feed=excluded.feed, notifications=excluded.notifications, "
        "expires_at=excluded.expires_at, ts=excluded.ts",
        owner, word, feed, notifications, expires_at, ts)
    return await db.fetchval("SELECT id FROM muted_word WHERE owner=$1 AND word=$2",
                             owner, word)


async def remove_word(db: Executor, owner: str, word_id: int) -> bool:
    found = await db.fetchval("SELECT 1 FROM muted_word WHERE owner=$1 AND id=$2",
                              owner, word_id)
    await db.execute("DELETE FROM muted_word WHERE owner=$1 AND id=$2", owner, word_id)
    return found is not None


async def words(db: Executor, owner: str, now: int, context: str | None = None) -> list:
    """Her active muted words (in one context: feed or notifications), oldest first."""
    where = {"feed": " AND feed", "notifications": " AND notifications", None: ""}[context]
    if db.scheme == Scheme.SQLITE:
        where = where.replace("feed", "feed = 1").replace("notifications", "notifications = 1") \
            if where else where
    return await db.fetch(
        "SELECT id, word, feed, notifications, expires_at, ts FROM muted_word "
        f"WHERE owner=$1 AND (expires_at IS NULL OR expires_at > $2){where} "
        "ORDER BY ts, id", owner, now)


async def feed_filter(db: Executor, owner: str, now: int) -> tuple[list[str], list[str]]:
    """Her active mutes and her active words of context feed, in one round trip (read with
    every page of her feed and explore): (muted users, words)."""
    feed = "m.feed = 1" if db.scheme == Scheme.SQLITE else "m.feed"
    rows = await db.fetch(
        "SELECT 'user' AS kind, u.muted AS value FROM user_mute u WHERE u.owner = $1 "
        "AND (u.expires_at IS NULL OR u.expires_at > $2) "
        "UNION ALL SELECT 'word', m.word FROM muted_word m WHERE m.owner = $1 "
        f"AND (m.expires_at IS NULL OR m.expires_at > $2) AND {feed}", owner, now)
    return ([r["value"] for r in rows if r["kind"] == "user"],
            [r["value"] for r in rows if r["kind"] == "word"])
