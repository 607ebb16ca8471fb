"""A clock the test moves by hand (the bridge's activity scheduler reads it)."""

from __future__ import annotations

from datetime import datetime


class FakeClock:
    def __init__(self, moment: datetime) -> None:
        self.ms = int(moment.timestamp() * 1000)

    def now_ms(self) -> int:
        return self.ms

    def set(self, moment: datetime) -> None:
        self.ms = int(moment.timestamp() * 1000)

    def advance(self, seconds: float) -> None:
        self.ms += int(seconds * 1000)
