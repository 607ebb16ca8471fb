"""The polling policy: budgets, activity, header hints, backoff."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from matrix_social.errors import AuthRevoked, PlatformRateLimited, Refused, TransientError
from matrix_social.external.platform import PollHints
from matrix_social.external.platforms import REGISTERED
from matrix_social.external.polling import (
    BACKOFF_CAP_S,
    after_error,
    after_success,
    backoff_s,
    delivery_retry,
)

NOW = 1_000_000_000_000
BUDGETS = {p.name: p.budget for p in REGISTERED}  # as each platform's module declares it
X, MASTODON, GITHUB, INSTAGRAM = (BUDGETS[name]
                                  for name in ("x", "mastodon", "github", "instagram"))


def test_activity_speeds_up_to_the_floor_and_quiet_slows_down_to_the_ceiling():
    rng = random.Random(1)
    interval = None
    for _ in range(10):
        schedule = after_success(MASTODON, interval, 3, PollHints(), NOW, rng)
        interval = schedule.interval_s
    assert interval == MASTODON.floor_s
    for _ in range(20):
        schedule = after_success(MASTODON, interval, 0, PollHints(), NOW, rng)
        interval = schedule.interval_s
    assert interval == MASTODON.ceiling_s
    # Jittered up to 10 % later, never sooner.
    assert interval * 1000 <= schedule.next_due_ms - NOW <= 1.1 * interval * 1000


def test_github_poll_interval_header_is_a_floor():
    schedule = after_success(GITHUB, 60, 5, PollHints(poll_interval_s=300), NOW)
    assert schedule.interval_s == 300 and schedule.next_due_ms - NOW >= 300_000


@settings(max_examples=400, deadline=None)
@given(platform=st.sampled_from(sorted(BUDGETS)),
       interval_s=st.one_of(st.none(), st.floats(1, 10_000)),
       new_items=st.integers(0, 50),
       poll_interval_s=st.one_of(st.none(), st.integers(1, 7200)),
       remaining=st.one_of(st.none(), st.integers(-2, 5000)),
       reset_in_ms=st.one_of(st.none(), st.integers(-60_000, 4 * 3600_000)),
       seed=st.integers(0, 2**32 - 1))
def test_a_poll_never_comes_before_the_poll_interval_or_a_spent_budget_s_reset(
        platform, interval_s, new_items, poll_interval_s, remaining, reset_in_ms, seed):
    """Whatever the adapted interval, the activity and the jitter: X-Poll-Interval and the
    platform's floor are floors, and a spent budget waits for its reset (finding 9: the
    jitter used to be applied after the floor, both ways)."""
    reset_at = None if reset_in_ms is None else NOW + reset_in_ms
    hints = PollHints(remaining=remaining, reset_at_ms=reset_at, poll_interval_s=poll_interval_s)
    budget = BUDGETS[platform]
    schedule = after_success(budget, interval_s, new_items, hints, NOW, random.Random(seed))
    gap = schedule.next_due_ms - NOW
    assert gap >= BUDGETS[platform].floor_s * 1000
    assert gap >= (poll_interval_s or 0) * 1000
    assert schedule.interval_s >= (poll_interval_s or 0)
    if reset_at is not None and remaining is not None and remaining <= 0:
        assert schedule.next_due_ms >= reset_at
    # ... and an error after it never brings the next poll sooner than that interval.
    for error in (TransientError(platform, "503"), PlatformRateLimited(platform, 0),
                  PlatformRateLimited(platform, NOW + 1000),
                  TransientError(platform, "503", until_ms=NOW + 5000)):
        failed = after_error(budget, schedule.interval_s, 0, error, NOW, random.Random(seed))
        assert failed.next_due_ms - NOW >= schedule.interval_s * 1000


def test_a_spent_budget_waits_for_the_reset():
    reset = NOW + 14 * 60_000
    schedule = after_success(X, 180, 1, PollHints(remaining=0, limit=900, reset_at_ms=reset),
                             NOW)
    assert schedule.next_due_ms >= reset


def test_a_small_remaining_budget_is_spread_until_the_reset():
    # Free tier: 1 request per 15 minutes left -> not before the reset, whatever the activity.
    reset = NOW + 15 * 60_000
    schedule = after_success(X, 180, 5, PollHints(remaining=1, limit=1, reset_at_ms=reset), NOW)
    assert schedule.next_due_ms >= reset
    schedule = after_success(X, 180, 5, PollHints(remaining=3, limit=5, reset_at_ms=reset), NOW)
    assert schedule.next_due_ms >= NOW + 5 * 60_000


def test_rate_limited_waits_for_its_reset():
    until = NOW + 600_000
    schedule = after_error(X, 300, 0, PlatformRateLimited("x", until), NOW, random.Random(2))
    assert until < schedule.next_due_ms <= until + 5000 and schedule.failures == 1


def test_transient_errors_back_off_exponentially_with_jitter_and_a_cap():
    rng = random.Random(3)
    delays = []
    failures = 0
    for _ in range(15):
        schedule = after_error(MASTODON, 1, failures, TransientError("m", "500"), NOW, rng)
        failures = schedule.failures
        delays.append((schedule.next_due_ms - NOW) / 1000)
    assert 15 <= delays[0] <= 45 and 60 <= delays[2] <= 180
    assert delays[4] > delays[0] * 4
    assert max(delays) <= BACKOFF_CAP_S * 1.5 and delays[-1] >= BACKOFF_CAP_S * 0.5
    # Never sooner than the regular interval (which carries GitHub's X-Poll-Interval).
    floored = after_error(MASTODON, 120, 0, TransientError("m", "500"), NOW, random.Random(3))
    assert floored.next_due_ms - NOW == 120_000
    # Retry-After carried by the error wins.
    told = after_error(GITHUB, 60, 0, TransientError("github", "503", until_ms=NOW + 90_000),
                       NOW)
    assert NOW + 90_000 < told.next_due_ms <= NOW + 95_000
    # A 429 without a reset backs off like a 5xx.
    blind = after_error(X, 1, 0, PlatformRateLimited("x", 0), NOW, random.Random(4))
    assert 15_000 <= blind.next_due_ms - NOW <= 45_000


def test_backoff_jitter_spreads_clients():
    values = {round(backoff_s(3, random.Random(seed)), 3) for seed in range(20)}
    assert len(values) == 20 and min(values) >= 60 and max(values) <= 180


def test_revoked_or_refused_stops_polling():
    assert after_error(X, 300, 0, AuthRevoked("x", "invalid_grant"), NOW).next_due_ms is None
    assert after_error(INSTAGRAM, 900, 0, Refused("instagram", "personal"), NOW
                       ).next_due_ms is None


def test_delivery_retries_are_bounded():
    assert delivery_retry(1, TransientError("x", "500"), NOW) > NOW
    assert delivery_retry(2, TransientError("x", "500"), NOW) > NOW
    assert delivery_retry(3, TransientError("x", "500"), NOW) is None
    assert delivery_retry(1, Refused("instagram", "no image"), NOW) is None
    assert delivery_retry(1, AuthRevoked("x", "revoked"), NOW) is None
    until = NOW + 60_000
    assert until < delivery_retry(1, PlatformRateLimited("x", until), NOW) <= until + 5000
