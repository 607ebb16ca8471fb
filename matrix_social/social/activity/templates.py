"""The wording of every auto-post, in one place (docs/activity.md lists them)."""

from __future__ import annotations

import math
from typing import Any

PROFILE_FIELD_WORDS = {"display_name": "name", "avatar_url": "picture", "bio": "bio",
                       "links": "links", "interests": "interests"}
MAX_GAMES_NAMED = 3


def mention(handle: str) -> str:
    return handle if handle.startswith("@") else f"@{handle}"


def join_words(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def duration(seconds: float) -> str:
    """45 minutes, 1 hour, 1.5 hours, 12 hours."""
    if seconds < 3600:
        return plural(max(1, round(seconds / 60)), "minute")
    hours = round(seconds / 3600, 1)
    shown = f"{hours:g}"
    return f"{shown} hour" if hours == 1 else f"{shown} hours"


def score(value: float) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def app_publish(app_name: str) -> str:
    return f"Published {app_name} -- try it!"


def app_fork(original_author_handle: str, original_name: str) -> str:
    return f"Remixed {mention(original_author_handle)}'s {original_name}"


def game_score(game: str, value: float, seconds: float) -> str:
    return f"Scored {score(value)} in {game} ({duration(seconds)})"


def ai_task(task: str) -> str:
    return f"Helped with: {task}"


def ai_conversation(room: str, link: str) -> str:
    return f"Talking in {room}: {link}"


def profile_update(fields: list[str]) -> str:
    words = [PROFILE_FIELD_WORDS[f] for f in PROFILE_FIELD_WORDS if f in fields]
    return f"Updated my {join_words(words)}" if words else "Updated my profile"


def _when(period_kind: str) -> tuple[str, str]:
    return ("This week", "this week") if period_kind == "weekly" else ("Today", "today")


def summary(period_kind: str, totals: dict[str, Any]) -> str | None:
    """"This week I built 3 apps and played 2 hours of chess"; None when there is nothing to
    say. `totals` holds only what the user shares: apps_built, forks, games
    [{game, seconds}] (most played first)."""
    parts = []
    if totals.get("apps_built"):
        parts.append(f"built {plural(totals['apps_built'], 'app')}")
    if totals.get("forks"):
        parts.append(f"remixed {plural(totals['forks'], 'app')}")
    games = totals.get("games") or []
    if games:
        named = [f"{duration(g['seconds'])} of {g['game']}" for g in games[:MAX_GAMES_NAMED]]
        if len(games) > MAX_GAMES_NAMED:
            named.append(plural(len(games) - MAX_GAMES_NAMED, "more game"))
        parts.append(f"played {join_words(named)}")
    if not parts:
        return None
    return f"{_when(period_kind)[0]} I {join_words(parts)}"


def ai_summary(period_kind: str, tasks: int) -> str | None:
    if tasks <= 0:
        return None
    return f"My AI helped with {plural(tasks, 'task')} {_when(period_kind)[1]}"


def is_finite_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) \
        and math.isfinite(value)
