"""Prometheus metrics (prometheus-client, its default registry).

Served in the Prometheus text format at /metrics by mautrix's metrics listener, on a port of
its own and only when the config says `metrics.enabled: true` (`metrics.hostname`,
`metrics.listen_port`): never on the appservice's or the public API's port. mautrix adds its
own metrics to the same registry (homeserver API calls, ...).

Anything may call these functions; they never raise and never block.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from prometheus_client import Counter, Gauge, Histogram

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5,
                    1.0, 2.5, 5.0, 10.0)
_LAG_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0,
                3600.0)

TRANSACTIONS = Counter("matrix_social_transactions_indexed",
                       "Appservice transactions indexed (acknowledged to the homeserver)")
EVENTS = Counter("matrix_social_events_indexed",
                 "Events carried by the indexed appservice transactions (counted by their "
                 "origin_server_ts: to-device and ephemeral events are not counted)")
QUARANTINED = Counter("matrix_social_events_quarantined",
                      "Events set aside instead of indexed", ["reason"])
QUARANTINE_EVENTS = Gauge("matrix_social_quarantine_events",
                          "Events kept in quarantine now (bounded: bridge.quarantine)")
QUARANTINE_DROPPED = Counter(
    "matrix_social_quarantine_dropped",
    "Quarantined events dropped to keep the quarantine bounded: sender_cap (the sender had "
    "bridge.quarantine.max_per_sender newer ones), total_cap, expired", ["reason"])
QUARANTINE_TRUNCATED = Counter(
    "matrix_social_quarantine_truncated",
    "Quarantined events kept as a truncated copy (larger than max_event_bytes)")
INGEST_LAG = Histogram(
    "matrix_social_ingest_lag_seconds",
    "From the newest event's origin_server_ts to its transaction being indexed (the sender's "
    "server sets that timestamp: clocks may differ)", buckets=_LAG_BUCKETS)
INGEST_LAG_LAST = Gauge("matrix_social_ingest_lag_last_seconds",
                        "The ingest lag of the last indexed transaction")
API_LATENCY = Histogram("matrix_social_api_request_seconds",
                        "Time to answer an /api/social request, per route template",
                        ["method", "route"], buckets=_LATENCY_BUCKETS)
API_RESPONSES = Counter("matrix_social_api_responses", "/api/social answers",
                        ["method", "route", "status"])
TRENDING_REFRESH = Gauge("matrix_social_trending_refresh_seconds",
                         "How long the last trending ranking took to compute and store")
TRENDING_POSTS = Gauge("matrix_social_trending_posts", "Posts in the stored trending ranking")
TRENDING_REFRESHED_AT = Gauge("matrix_social_trending_refreshed_timestamp_seconds",
                              "When the trending ranking was last stored (Unix time)")
DB_POOL_SIZE = Gauge("matrix_social_db_pool_connections", "Database connections open")
DB_POOL_IN_USE = Gauge("matrix_social_db_pool_connections_in_use",
                       "Database connections lent out to a query or transaction")
DB_POOL_MAX = Gauge("matrix_social_db_pool_connections_max", "Most connections the pool opens")

_TS = re.compile(rb'"origin_server_ts"\s*:\s*(\d{1,16})')


def transaction_indexed(events: int, body: bytes | None = None) -> None:
    """An appservice transaction was indexed; `body` (its JSON) gives the newest event's
    timestamp for the lag."""
    TRANSACTIONS.inc()
    EVENTS.inc(events)
    stamps = _TS.findall(body) if body else []
    if stamps:
        lag = max(0.0, time.time() - max(int(ts) for ts in stamps) / 1000)
        INGEST_LAG.observe(lag)
        INGEST_LAG_LAST.set(lag)


def event_quarantined(reason: str = "invalid") -> None:
    """An event was set aside instead of indexed. Keep `reason` to a few fixed words: each
    one is a time series."""
    QUARANTINED.labels(reason=reason).inc()


def watch_quarantine(rows: Callable[[], int | None]) -> None:
    """The quarantine's size, read at scrape time from its keeper's count."""
    QUARANTINE_EVENTS.set_function(lambda: rows() or 0)


def quarantine_dropped(reason: str, events: int) -> None:
    if events:
        QUARANTINE_DROPPED.labels(reason=reason).inc(events)


def quarantine_truncated() -> None:
    QUARANTINE_TRUNCATED.inc()


def api_request(method: str, route: str, status: int, seconds: float) -> None:
    API_LATENCY.labels(method=method, route=route).observe(seconds)
    API_RESPONSES.labels(method=method, route=route, status=str(status)).inc()


def trending_refreshed(seconds: float, posts: int) -> None:
    TRENDING_REFRESH.set(seconds)
    TRENDING_POSTS.set(posts)
    TRENDING_REFRESHED_AT.set(time.time())


def watch_database(db: Any) -> None:
    """Pool gauges read at scrape time (mautrix's pools: asyncpg's, or SQLite's queue of
    connections); the last database watched is the one reported."""
    DB_POOL_SIZE.set_function(lambda: _pool(db)[0])
    DB_POOL_IN_USE.set_function(lambda: _pool(db)[1])
    DB_POOL_MAX.set_function(lambda: _pool(db)[2])


def _pool(db: Any) -> tuple[int, int, int]:
    """(open, in use, max). Read from the scrape thread: plain integer reads."""
    pool = getattr(db, "_pool", None)
    try:
        if hasattr(pool, "get_size"):  # asyncpg
            size = pool.get_size()
            return size, size - pool.get_idle_size(), pool.get_max_size()
        if hasattr(pool, "qsize"):  # mautrix's SQLite pool: a queue of idle connections
            size = getattr(db, "_conns", 0)
            return size, size - pool.qsize(), size
    except Exception:  # a pool being closed
        pass
    return 0, 0, 0
