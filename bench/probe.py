"""The bridge program with timers, for finding where a slow request's time went:

    python -m bench.probe -c config.yaml -n      (as `python -m matrix_social`)

Records, with CLOCK_MONOTONIC stamps (time.perf_counter, comparable across processes on
Linux): every garbage collection (generation, pause), every /api/social request as the timing
middleware sees it, the feed's stages (plan's page, external items, cross-posts, auth) and each
trending refresh. On SIGUSR1 it writes them as JSON to $PROBE_OUT. Nothing here changes what
the bridge does: it only wraps functions with timers."""

from __future__ import annotations

import functools
import gc
import json
import os
import signal
import sys
import time

events: list[tuple] = []
_gc_started = [0.0]


def _on_gc(phase: str, info: dict) -> None:
    if phase == "start":
        _gc_started[0] = time.perf_counter()
    else:
        events.append(("gc", _gc_started[0], time.perf_counter(), info["generation"],
                       info["collected"]))


def _timed(name: str, fn):
    @functools.wraps(fn)
    async def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return await fn(*args, **kwargs)
        finally:
            events.append((name, start, time.perf_counter()))
    return wrapper


def _dump(*_: object) -> None:
    with open(os.environ["PROBE_OUT"], "w") as out:
        json.dump({"events": events, "gc_count": gc.get_count(),
                   "gc_threshold": gc.get_threshold(), "gc_stats": gc.get_stats(),
                   "frozen": gc.get_freeze_count(), "objects": len(gc.get_objects())}, out)


def install() -> None:
    from matrix_social import metrics
    from matrix_social.api.auth import Authenticator
    from matrix_social.db import cross_post_deliveries, feed
    from matrix_social.social import feed as social_feed
    from matrix_social.social.feed_plan import FeedPlanner
    from matrix_social.social.trending import Trending

    gc.callbacks.append(_on_gc)
    api_request = metrics.api_request

    def timed_request(method: str, route: str, status: int, seconds: float) -> None:
        end = time.perf_counter()
        events.append(("request", end - seconds, end, route))
        api_request(method, route, status, seconds)

    metrics.api_request = timed_request
    FeedPlanner.page = _timed("plan_page", FeedPlanner.page)
    feed.external_page = _timed("external_page", feed.external_page)
    cross_post_deliveries.for_posts = _timed("cross_posts", cross_post_deliveries.for_posts)
    Authenticator.user = _timed("auth", Authenticator.user)
    Trending.refresh = _timed("trending_refresh", Trending.refresh)
    social_feed.Feed.page = _timed("feed_page", social_feed.Feed.page)
    signal.signal(signal.SIGUSR1, _dump)
    _gc_variant(os.environ.get("PROBE_GC", "base"))


def _gc_variant(variant: str) -> None:
    """PROBE_GC: base (as the bridge is), freeze (after start-up, everything alive is moved
    out of the collector's reach), off (no automatic collection: an upper bound), oldext
    (see _old_external)."""
    from matrix_social.bridge import SocialBridge

    start = SocialBridge.start

    async def started(self) -> None:
        await start(self)
        if variant.startswith("freeze"):
            gc.collect()
            gc.freeze()
        elif variant == "off":
            gc.disable()

    SocialBridge.start = started
    if variant == "oldext":
        _old_external()


def _old_external() -> None:
    """oldext: the feed reads the viewer's bridged items on every page, as before
    Feed remembered the viewers without any (for A/B runs)."""
    from matrix_social.db import feed as feed_db
    from matrix_social.social import feed as social_feed

    async def rows(self, viewer, before, limit):
        rows = await self.planner.page(viewer, before, limit)
        external = await feed_db.external_page(self.db, viewer, before, limit)
        if external:
            rows = sorted([*rows, *external], key=social_feed._key, reverse=True)[:limit]
        return rows

    social_feed.Feed.rows = rows


if __name__ == "__main__":
    install()
    from matrix_social.cli import main

    main(sys.argv[1:])
