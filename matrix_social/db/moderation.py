"""The operator's moderation queue (moderation_report), what moderators did
(moderation_action), who is suspended (suspended_user, of this server or any other) and what a
suspension takes out of the index."""

from __future__ import annotations

from . import Executor


async def add_report(db: Executor, reporter: str, event_id: str | None, room_id: str | None,
                     user_id: str | None, category: str, reason: str, matrix: str,
                     ts: int) -> int:
    return await db.fetchval(
        "INSERT INTO moderation_report (reporter, event_id, room_id, user_id, category, "
        "reason, matrix, status, ts) VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8) "
        "RETURNING id", reporter, event_id, room_id, user_id, category, reason, matrix, ts)


async def reports(db: Executor, status: str | None, before: int | None, limit: int) -> list:
    """Newest first (by id), optionally one status only."""
    where, args = [], []
    if status is not None:
        args.append(status)
        where.append(f"status = ${len(args)}")
    if before is not None:
        args.append(before)
        where.append(f"id < ${len(args)}")
    args.append(limit)
    condition = f"WHERE {' AND '.join(where)} " if where else ""
    return await db.fetch(f"SELECT * FROM moderation_report {condition}"
                          f"ORDER BY id DESC LIMIT ${len(args)}", *args)


async def report(db: Executor, report_id: int):
    return await db.fetchrow("SELECT * FROM moderation_report WHERE id=$1", report_id)


async def set_status(db: Executor, report_id: int, status: str) -> bool:
    return await db.fetchval(
        "UPDATE moderation_report SET status=$2 WHERE id=$1 RETURNING id",
        report_id, status) is not None


async def log_action(db: Executor, actor: str, action: str, target: str, reason: str,
                     report_id: int | None, ts: int) -> None:
    await db.execute(
        "INSERT INTO moderation_action (actor, action, target, reason, report_id, ts) "
        "VALUES ($1, $2, $3, $4, $5, $6)", actor, action, target, reason, report_id, ts)


async def actions(db: Executor, limit: int) -> list:
    return await db.fetch("SELECT * FROM moderation_action ORDER BY id DESC LIMIT $1", limit)


async def suspend(db: Executor, user_id: str, actor: str, reason: str, ts: int) -> None:
    await db.execute(
        "INSERT INTO suspended_user (user_id, actor, reason, ts) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (user_id) DO UPDATE SET actor=excluded.actor, reason=excluded.reason, "
        "ts=excluded.ts", user_id, actor, reason, ts)


async def unsuspend(db: Executor, user_id: str) -> bool:
    found = await db.fetchval("SELECT 1 FROM suspended_user WHERE user_id=$1", user_id)
    await db.execute("DELETE FROM suspended_user WHERE user_id=$1", user_id)
    return found is not None


async def suspended(db: Executor) -> set[str]:
    return {r["user_id"] for r in await db.fetch("SELECT user_id FROM suspended_user")}


async def suspensions(db: Executor) -> list:
    """Every suspension, newest first: who, by whom, why, when."""
    return await db.fetch("SELECT user_id, actor, reason, ts FROM suspended_user "
                          "ORDER BY ts DESC, user_id")


async def local_rooms_of(db: Executor, user_id: str, bot: str) -> list[str]:
    """The feed rooms of this server (made by our bot `bot`) the index saw him in: followed,
    or joined to comment, like or announce a repost; never his own."""
    rows = await db.fetch(
        "SELECT DISTINCT f.room_id FROM feed_room f JOIN ("
        "SELECT room_id FROM follow WHERE user_id=$1 "
        "UNION SELECT room_id FROM comment WHERE author=$1 "
        "UNION SELECT p.room_id FROM post_like l JOIN post p ON p.event_id = l.post_id "
        "WHERE l.user_id=$1 "
        "UNION SELECT o.room_id FROM post r JOIN post o ON o.event_id = r.repost_of "
        "WHERE r.author=$1 AND r.repost_of IS NOT NULL"
        ") seen ON seen.room_id = f.room_id WHERE f.bot=$2 AND f.owner <> $1 "
        "ORDER BY f.room_id", user_id, bot)
    return [r["room_id"] for r in rows]


async def forget_marks_of(db: Executor, user_id: str) -> dict[str, int]:
    """A suspension (run in one transaction): his follows, likes, comments and reposts (and
    repost notices) leave the index, so every count goes down with them (the counters'
    triggers); the hashtags of his posts, which stay indexed (hidden where read); and every
    notification he gave anybody. What the index rules refuse him while he is suspended, so
    the index is what a reindex would make of the rooms."""
    async def gone(statement: str) -> int:
        return len(await db.fetch(statement, user_id))

    return {
        "follows": await gone("DELETE FROM follow WHERE user_id=$1 RETURNING room_id"),
        "likes": await gone("DELETE FROM post_like WHERE user_id=$1 RETURNING event_id"),
        "comments": await gone("DELETE FROM comment WHERE author=$1 RETURNING event_id"),
        "reposts": await gone("DELETE FROM post WHERE author=$1 AND repost_of IS NOT NULL "
                              "RETURNING event_id"),
        "hashtags": await gone("DELETE FROM post_tag WHERE author=$1 RETURNING post_id"),
        "notifications": await gone("DELETE FROM notification WHERE actor=$1 RETURNING id"),
    }


async def posts_of(db: Executor, user_id: str) -> list:
    """His own posts (not reposts), as the index has them: what an unsuspension tags again."""
    return await db.fetch("SELECT event_id, body, ts FROM post WHERE author=$1 "
                          "AND repost_of IS NULL", user_id)


async def event_room(db: Executor, event_id: str) -> tuple[str, str] | None:
    """(room_id, sender) of an indexed post, comment or like."""
    row = await db.fetchrow(
        "SELECT room_id, author AS sender FROM post WHERE event_id=$1 "
        "UNION ALL SELECT room_id, author FROM comment WHERE event_id=$1 "
        "UNION ALL SELECT p.room_id, l.user_id FROM post_like l "
        "JOIN post p ON p.event_id = l.post_id WHERE l.event_id=$1", event_id)
    return (row["room_id"], row["sender"]) if row else None


def _marks(values: list, start: int = 1) -> str:
    return ", ".join(f"${i + start}" for i in range(len(values)))


async def events_of(db: Executor, event_ids: list[str]) -> list:
    """The indexed posts and comments among these ids: what a report's target looks like."""
    if not event_ids:
        return []
    marks = _marks(event_ids)
    return await db.fetch(
        f"SELECT event_id, 'post' AS kind, author, body, ts FROM post "
        f"WHERE event_id IN ({marks}) UNION ALL "
        f"SELECT event_id, 'comment' AS kind, author, body, ts FROM comment "
        f"WHERE event_id IN ({marks})", *event_ids)


async def taken_down(db: Executor, event_ids: list[str]) -> set[str]:
    if not event_ids:
        return set()
    rows = await db.fetch(
        f"SELECT DISTINCT target FROM moderation_action WHERE action='takedown' "
        f"AND target IN ({_marks(event_ids)})", *event_ids)
    return {r["target"] for r in rows}


async def actions_of_reports(db: Executor, report_ids: list[int]) -> list:
    """What was done about these reports, oldest first."""
    if not report_ids:
        return []
    return await db.fetch(
        f"SELECT * FROM moderation_action WHERE report_id IN ({_marks(report_ids)}) "
        f"ORDER BY id", *report_ids)
