"""Timing and percentiles."""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable


def p99(values: list[float]) -> float:
    """Nearest-rank 99th percentile (with fewer than 100 samples: the maximum)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, -(-len(ordered) * 99 // 100) - 1))]


def median(values: list[float]) -> float:
    return statistics.median(values)


async def time_ms(fn: Callable[[], Awaitable], runs: int, warmup: int = 3) -> list[float]:
    """`runs` timings of `fn` in milliseconds, after a few untimed warm-up calls."""
    for _ in range(warmup):
        await fn()
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        await fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def summary(values: list[float]) -> dict[str, float]:
    return {"p50": median(values), "p99": p99(values), "n": len(values)}
