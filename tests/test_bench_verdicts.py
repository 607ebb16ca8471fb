"""The bench's verdicts: a figure meets its target exactly when the target says (no harness
run needed)."""

from __future__ import annotations

import math

from bench import verdicts


def timing(p50: float, p99: float) -> dict:
    return {"p50": p50, "p99": p99, "n": 300}


def test_feed_page_needs_p99_within_15_ms_and_both_percentiles_within_2x_the_bound():
    bound = timing(1.0, 2.0)
    assert verdicts.feed_page_met(timing(2.0, 4.0), bound)  # exactly 2x at both
    assert not verdicts.feed_page_met(timing(2.01, 3.0), bound)  # p50 over 2x
    assert not verdicts.feed_page_met(timing(1.0, 4.01), bound)  # p99 over 2x
    slow_bound = timing(10.0, 20.0)
    assert verdicts.feed_page_met(timing(10.0, 15.0), slow_bound)
    assert not verdicts.feed_page_met(timing(10.0, 15.01), slow_bound)  # over 15 ms


def test_within_factor_checks_each_percentile_it_is_given():
    ours, base = timing(3.0, 9.1), timing(1.0, 3.0)
    assert verdicts.within_factor(ours, base, 3, percentiles=("p50",))
    assert not verdicts.within_factor(ours, base, 3)
    assert not verdicts.within_factor(ours, base, 3, percentiles=("p99",))
    assert verdicts.ratio(timing(0, 0), timing(0, 0), "p50") == 0
    assert math.isinf(verdicts.ratio(timing(1, 1), timing(0, 0), "p99"))
    assert not verdicts.within_factor(timing(1, 1), timing(0, 0), 3)


def test_p99_and_thresholds():
    assert verdicts.p99_at_most(timing(20.0, 15.0), 15)  # p50 is not what the target says
    assert not verdicts.p99_at_most(timing(1.0, 15.001), 15)
    assert verdicts.at_least(5000, 5000) and not verdicts.at_least(4999.9, 5000)
    assert verdicts.at_least(0.9, 0.9) and not verdicts.at_least(0.899, 0.9)
    assert verdicts.at_most(120, 120) and not verdicts.at_most(120.1, 120)


def _results(feed_ours: dict, lower: dict, endpoint: dict, ingest_eps: float,
             api_ratio: float, conversations_ms: float = 30.0) -> dict:
    shapes = ("active", "quiet", "wide", "popular")
    feed = {s: {"ours": feed_ours, "lower": lower, "before": timing(50, 90), "plan": "merge",
                "rooms": 11} for s in shapes}
    memory = {"rss": 70.0, "peak": 72.0}
    return {
        "seed_s": 1.0, "seed": {"posts": 1000, "likes": 10},
        "sql": {"feed": feed, "deep": feed, "search": timing(1, 2),
                "trending_apps": timing(1, 2),
                "trending": {"ours": timing(0.5, 1), "before": timing(900, 1200),
                             "refresh_s": timing(2, 3), "window_likes": 10}},
        "api": {"feed": dict.fromkeys(shapes, endpoint), "deep": dict.fromkeys(shapes, endpoint),
                # the bare query timed interleaved with the endpoint (what feed-overhead uses)
                "feed_bare": dict.fromkeys(shapes, feed_ours),
                "deep_bare": dict.fromkeys(shapes, feed_ours),
                "feed_back_to_back": dict.fromkeys(shapes, endpoint),
                "deep_back_to_back": dict.fromkeys(shapes, endpoint),
                "trending_posts": timing(1, 14), "trending_apps": timing(1, 2),
                "search_posts": timing(1, 2), "http_floor": timing(0.3, 0.5),
                "memory": {"start": memory, "after_feed_and_explore": memory,
                           "after_all": memory, "after_posts": memory}},
        "api_posts": {"api": 90 * api_ratio, "bare": 90, "ratio": api_ratio, "posts": 8,
                      "rounds": {"api": [1.0], "bare": [1.0]}},
        "ingest": {"events": 100, "ours_eps": ingest_eps, "bare_eps": ingest_eps,
                   "ours_runs": [ingest_eps, ingest_eps],
                   "ratio": 1.0, "no_counters_eps": ingest_eps},
        "conversations": {"rooms": 3, "cold_ms": conversations_ms, "initial_sync_ms": 500.0,
                          "warm": timing(3, 4),
                          "all_pages_ms": 5.0, "all_pages_from_top_ms": 6.0, "pages": 1,
                          "old": timing(20, 30)},
        "native": {"rooms": 2, "native_parallel": timing(200, 300),
                   "native_sequential": timing(300, 400), "ours": timing(1, 2)},
        "e2e": {"feed": {**timing(80, 100), "n": 2}, "sync": {**timing(80, 100), "n": 2}},
    }


def test_report_judges_each_row_against_its_own_target():
    from bench.report import figures
    from bench.sizes import SMOKE

    good = _results(timing(1.0, 2.0), timing(0.5, 1.0), timing(3.0, 6.0), 5000, 0.9)
    bad = _results(timing(1.0, 2.5), timing(0.5, 1.0), timing(3.25, 6.0), 4999, 0.89)
    met = {f.key: f.met for f in figures({"postgres": good, "sqlite": good}, SMOKE)}
    missed = {f.key: f.met for f in figures({"postgres": bad, "sqlite": bad}, SMOKE)}
    assert met["feed-quiet-postgres"] is True and missed["feed-quiet-postgres"] is False
    assert met["feed-deep-wide-postgres"] is True and missed["feed-deep-wide-postgres"] is False
    assert met["feed-quiet-sqlite"] is None and missed["feed-quiet-sqlite"] is None
    # good: exactly 3x at p50 and p99; bad: 6.0 / 2.5 < 3 at p99 but 3.25 / 1.0 > 3 at p50
    assert met["feed-overhead-active-postgres"] is True
    assert missed["feed-overhead-active-postgres"] is False
    # It is judged against the bare query timed interleaved with it, not the one timed alone.
    apart = {**good, "sql": {**good["sql"], "feed": {
        s: {**f, "ours": timing(0.1, 0.1)} for s, f in good["sql"]["feed"].items()}}}
    assert {f.key: f.met for f in figures({"postgres": apart}, SMOKE)}[
        "feed-overhead-active-postgres"] is True
    assert met["ingest-postgres"] is True and missed["ingest-postgres"] is False
    assert met["ingest-sqlite"] is None
    assert met["api-posts-sqlite"] is True and missed["api-posts-sqlite"] is False
    assert met["trending-posts-postgres"] is True and met["rss-postgres"] is True
    assert met["conversations-postgres"] is True and met["conversations-sqlite"] is None
    slow_list = _results(timing(1.0, 2.0), timing(0.5, 1.0), timing(3.0, 6.0), 5000, 0.9,
                         conversations_ms=150.5)
    assert {f.key: f.met for f in figures({"postgres": slow_list}, SMOKE)}[
        "conversations-postgres"] is False
    assert met["search-sqlite"] is None
