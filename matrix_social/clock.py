"""Time, in one place: milliseconds since the epoch, as Matrix counts them."""

from __future__ import annotations

import time


def now_ms() -> int:
    return int(time.time() * 1000)
