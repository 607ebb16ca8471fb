"""Whether a figure meets its target: the rules, apart from the measuring and the report, so
they can be tested (tests/test_bench_verdicts.py). Timings are summaries with "p50" and "p99"
in milliseconds (bench/stats.py)."""

from __future__ import annotations

from collections.abc import Iterable

PERCENTILES = ("p50", "p99")


def p99_at_most(timing: dict, limit_ms: float) -> bool:
    return timing["p99"] <= limit_ms


def ratio(ours: dict, base: dict, percentile: str) -> float:
    """ours / base at one percentile (infinite when base is 0 and ours is not)."""
    if base[percentile] <= 0:
        return 0.0 if ours[percentile] <= 0 else float("inf")
    return ours[percentile] / base[percentile]


def within_factor(ours: dict, base: dict, factor: float,
                  percentiles: Iterable[str] = PERCENTILES) -> bool:
    """ours <= factor x base at each of the percentiles."""
    return all(ratio(ours, base, p) <= factor for p in percentiles)


def feed_page_met(ours: dict, lower_bound: dict, limit_ms: float = 15.0,
                  factor: float = 2.0) -> bool:
    """The feed page target: p99 within `limit_ms`, and within `factor` of the per-room-merge
    lower bound of the same shape at p50 and at p99."""
    return p99_at_most(ours, limit_ms) and within_factor(ours, lower_bound, factor)


def at_least(value: float, minimum: float) -> bool:
    return value >= minimum


def at_most(value: float, maximum: float) -> bool:
    return value <= maximum
