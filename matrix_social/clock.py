"""Time, in one place: milliseconds since the epoch, as Matrix counts them."""

from __future__ import annotations

import time


def now_ms() -> int:
    return int(time.time() * 1000)


class Clock:
    """The time as a component, so what runs on a schedule can be shown a simulated week."""

    def now_ms(self) -> int:
        return now_ms()
