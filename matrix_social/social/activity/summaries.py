"""Daily and weekly summaries: at the end of each period (18:00 in the user's time zone, on
Sunday for the week) the period's shared activities become one draft ("This week I built 3
apps and played 2 hours of chess") and the AI's tasks another ("My AI helped with 12 tasks
this week"), for users whose auto_post_frequency is that summary. Each (user, period) is
recorded once in the database, so a period is drafted at most once, also across restarts; a
period that ended while the service was down is caught up at the next start (only the latest
one of each kind)."""

from __future__ import annotations

import json
import logging
from typing import Any

from mautrix.util.async_db import Database

from ...clock import Clock
from ...db import activities, summary_runs
from . import periods
from . import templates as say
from .drafts import Drafts
from .settings import ActivitySettings

log = logging.getLogger("matrix_social.activity")
DAY_MS = 24 * 3600 * 1000
LOOKBACK_MS = 15 * DAY_MS  # activities of the latest week, even when caught up a week late
USERS_PER_QUERY = 500
MAX_USERS_PER_RUN = 20_000
MAX_TRACKED = 200_000


def tally(rows: list, settings: dict[str, Any]) -> dict[str, Any]:
    """What a period's activities add up to, counting only the kinds the user shares."""
    totals: dict[str, Any] = {"apps_built": 0, "apps": [], "forks": 0, "games": [],
                              "seconds_played": 0, "tasks": 0}
    games: dict[str, dict[str, Any]] = {}
    for row in rows:
        kind, data = row["kind"], json.loads(row["data"])
        if kind == "app_publish" and settings["share_app_publishes"]:
            totals["apps_built"] += 1
            totals["apps"].append(data.get("app_id"))
        elif kind == "app_fork" and settings["share_app_forks"]:
            totals["forks"] += 1
        elif kind == "game_score" and settings["share_game_scores"]:
            game = games.setdefault(data["game"].casefold(),
                                    {"game": data["game"], "seconds": 0, "plays": 0})
            game["seconds"] += data["duration"]
            game["plays"] += 1
            totals["seconds_played"] += data["duration"]
        elif kind == "ai_task" and settings["share_ai_activity"]:
            totals["tasks"] += 1
    totals["games"] = sorted(games.values(), key=lambda g: (-g["seconds"], g["game"]))
    return totals


class Summaries:
    def __init__(self, db: Database, settings: ActivitySettings, drafts: Drafts, clock: Clock,
                 review_seconds: int) -> None:
        self.db = db
        self.settings = settings
        self.drafts = drafts
        self.clock = clock
        self.review_ms = review_seconds * 1000
        # user -> when a period may next end for them (in memory: one pass after a start)
        self._next_check: dict[str, int] = {}

    async def run(self) -> list[dict[str, Any]]:
        """Every user with recent activity whose period has ended; the drafts made."""
        now = self.clock.now_ms()
        made: list[dict[str, Any]] = []
        after, seen = "", 0
        while seen < MAX_USERS_PER_RUN:
            users = await activities.users_since(self.db, now - LOOKBACK_MS, after,
                                                 USERS_PER_QUERY)
            for user in users:
                if self._next_check.get(user, 0) > now:
                    continue
                try:
                    made += await self.for_user(user, now)
                except Exception:
                    log.exception("Could not summarize %s's activities", user)
            seen += len(users)
            if len(users) < USERS_PER_QUERY:
                break
            after = users[-1]
        return made

    async def for_user(self, user: str, now: int) -> list[dict[str, Any]]:
        mirror = await self.settings.mirrored(user)
        made: list[dict[str, Any]] = []
        if not await self._all_done(user, now, mirror["timezone"]):
            settings = await self.settings.get(user, fresh=True)
            for kind in periods.KINDS:
                made += await self._summarize(user, settings,
                                              periods.latest(kind, now, settings["timezone"]),
                                              now)
            mirror = settings
        if len(self._next_check) > MAX_TRACKED:
            self._next_check.clear()
        self._next_check[user] = periods.next_end(now, mirror["timezone"])
        return made

    async def _all_done(self, user: str, now: int, timezone: str) -> bool:
        for kind in periods.KINDS:
            period = periods.latest(kind, now, timezone)
            if not await summary_runs.exists(self.db, user, kind, period.key):
                return False
        return True

    async def _summarize(self, user: str, settings: dict[str, Any], period: periods.Period,
                         now: int) -> list[dict[str, Any]]:
        if await summary_runs.exists(self.db, user, period.kind, period.key):
            return []
        if settings["auto_post_frequency"] != f"{period.kind}_summary":
            await summary_runs.claim(self.db, user, period.kind, period.key, "not_opted_in",
                                     now)
            return []
        totals = tally(await activities.in_window(self.db, user, period.start_ms,
                                                  period.end_ms), settings)
        meta = {"period_kind": period.kind, "period": period.key, "start": period.start_ms,
                "end": period.end_ms}
        wanted = []
        text = say.summary(period.kind, totals)
        if text:
            wanted.append((f"{period.kind}_summary", text, {
                **meta, "apps_built": totals["apps_built"], "forks": totals["forks"],
                "games": totals["games"], "seconds_played": totals["seconds_played"]}))
        ai_text = say.ai_summary(period.kind, totals["tasks"])
        if ai_text:
            wanted.append(("ai_summary", ai_text, {**meta, "tasks": totals["tasks"]}))
        publish_at = max(period.publish_at_ms, now + self.review_ms)
        made = []
        async with self.db.acquire() as conn, conn.transaction():
            if not await summary_runs.claim(conn, user, period.kind, period.key,
                                            "drafted" if wanted else "empty", now):
                return []
            for kind, text, data in wanted:
                made.append(await self.drafts.create(
                    user=user, author=user, kind=kind, text=text, data=data, app=None,
                    publish_at=publish_at, period=f"{period.kind}:{period.key}", conn=conn))
        return made
