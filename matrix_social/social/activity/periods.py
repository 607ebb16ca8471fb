"""Summary periods in a user's own time zone: a day or a week ending at 18:00 local time (the
week on Sunday), whatever daylight saving time does in between."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

CUTOFF = time(18, 0)  # a summary covers everything up to 18:00 local time
PUBLISH_DELAY_MS = 2 * 3600 * 1000  # ...and is published at 20:00 unless edited or discarded
SUNDAY = 6  # date.weekday()
KINDS = ("daily", "weekly")


@dataclass(frozen=True)
class Period:
    kind: str  # daily | weekly
    key: str  # 2026-03-08 | 2026-W10 (the ISO week whose Sunday ends the period)
    start_ms: int
    end_ms: int  # exclusive: [start_ms, end_ms)
    end_local: datetime

    @property
    def publish_at_ms(self) -> int:
        return self.end_ms + PUBLISH_DELAY_MS


def _at_cutoff(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, CUTOFF, tzinfo=zone)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def latest(kind: str, now_ms: int, timezone: str) -> Period:
    """The most recent period of `kind` that has ended at or before `now_ms`."""
    zone = ZoneInfo(timezone)
    local = datetime.fromtimestamp(now_ms / 1000, zone)
    if kind == "daily":
        end_day = local.date()
        if _at_cutoff(end_day, zone) > local:
            end_day -= timedelta(days=1)
        start_day = end_day - timedelta(days=1)
        key = end_day.isoformat()
    elif kind == "weekly":
        end_day = local.date() - timedelta(days=(local.weekday() - SUNDAY) % 7)
        if _at_cutoff(end_day, zone) > local:
            end_day -= timedelta(days=7)
        start_day = end_day - timedelta(days=7)
        year, week, _ = end_day.isocalendar()
        key = f"{year}-W{week:02d}"
    else:
        raise ValueError(f"unknown period kind {kind!r}")
    end = _at_cutoff(end_day, zone)
    return Period(kind, key, _ms(_at_cutoff(start_day, zone)), _ms(end), end)


def next_end(now_ms: int, timezone: str) -> int:
    """When the next period of any kind ends after `now_ms` (the next 18:00 local; weekly
    periods end on one of those too)."""
    zone = ZoneInfo(timezone)
    local = datetime.fromtimestamp(now_ms / 1000, zone)
    end = _at_cutoff(local.date(), zone)
    if end <= local:
        end = _at_cutoff(local.date() + timedelta(days=1), zone)
    return _ms(end)
