"""What an activity report may say, kind by kind (POST /activity, the report_activity IPC
call). Strict: an unknown key or a wrong type refuses the whole report."""

from __future__ import annotations

from typing import Any

from ... import events as ev
from ...content.fields import clean_text
from ...errors import InvalidInput
from .templates import PROFILE_FIELD_WORDS, is_finite_number

MAX_SCORE = 1e15
MAX_SESSION_SECONDS = 24 * 3600
MAX_APP_ID_CHARS = 320
# kind -> (required keys, optional keys)
FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "app_publish": (("app_id",), ()),
    "app_fork": (("original", "author"), ("app_id",)),
    "game_score": (("game", "score", "duration"), ()),
    "ai_task": (("task",), ()),
    "profile_update": (("fields",), ()),
}


def _app_id(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value or len(value) > MAX_APP_ID_CHARS \
            or ":" not in value:
        raise InvalidInput(f"'data.{field}' must be an app id such as alice:chess")
    return value


def clean_activity(body: Any) -> tuple[str, dict[str, Any]]:
    if not isinstance(body, dict):
        raise InvalidInput("an activity must be a JSON object with 'kind' and 'data'")
    unknown = sorted(set(body) - {"kind", "data"})
    if unknown:
        raise InvalidInput(f"Unknown activity fields: {', '.join(unknown)} (an activity is "
                           "always the caller's own)")
    kind, data = body.get("kind"), body.get("data")
    if kind not in ev.ACTIVITY_KINDS or not isinstance(kind, str):
        raise InvalidInput(f"'kind' must be one of {', '.join(ev.ACTIVITY_KINDS)}")
    if not isinstance(data, dict):
        raise InvalidInput("'data' must be an object")
    required, optional = FIELDS[kind]
    unknown = sorted(set(data) - set(required) - set(optional))
    if unknown:
        raise InvalidInput(f"Unknown fields in {kind} data: {', '.join(unknown)}")
    missing = [key for key in required if key not in data]
    if missing:
        raise InvalidInput(f"{kind} needs data.{', data.'.join(missing)}")
    return kind, _CLEANERS[kind](data)


def _app_publish(data: dict) -> dict:
    return {"app_id": _app_id(data["app_id"], "app_id")}


def _app_fork(data: dict) -> dict:
    author = data["author"]
    if not isinstance(author, str) or not author.strip() or len(author) > 255:
        raise InvalidInput("'data.author' must be the original's author (a handle or user ID)")
    cleaned = {"original": _app_id(data["original"], "original"), "author": author.strip()}
    if "app_id" in data:
        cleaned["app_id"] = _app_id(data["app_id"], "app_id")
    return cleaned


def _game_score(data: dict) -> dict:
    score, seconds = data["score"], data["duration"]
    if not is_finite_number(score) or abs(score) > MAX_SCORE:
        raise InvalidInput(f"'data.score' must be a number of at most {MAX_SCORE:g}")
    if not is_finite_number(seconds) or not 0 < seconds <= MAX_SESSION_SECONDS:
        raise InvalidInput("'data.duration' must be the seconds played (more than 0, at most "
                           f"{MAX_SESSION_SECONDS})")
    return {"game": clean_text(data["game"], "data.game", max_chars=100), "score": score,
            "duration": seconds}


def _ai_task(data: dict) -> dict:
    return {"task": clean_text(data["task"], "data.task", max_chars=200)}


def _profile_update(data: dict) -> dict:
    fields = data["fields"]
    if not isinstance(fields, list) or not fields \
            or not all(isinstance(f, str) and f in PROFILE_FIELD_WORDS for f in fields):
        raise InvalidInput("'data.fields' must list what changed: "
                           f"{', '.join(PROFILE_FIELD_WORDS)}")
    return {"fields": [f for f in PROFILE_FIELD_WORDS if f in fields]}


_CLEANERS = {"app_publish": _app_publish, "app_fork": _app_fork, "game_score": _game_score,
             "ai_task": _ai_task, "profile_update": _profile_update}
