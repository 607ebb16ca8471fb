"""The polling policy, pure: when to ask a platform again, from its budget, the account's
activity, the last response's headers and the last error. No I/O, no clock of its own.

- Each platform declares its budget: a base interval from its rate limits, a floor and a
  ceiling (its module, `Platform.budget`).
- Activity adapts it: new items halve the interval (down to the floor), an empty poll
  stretches it by half (up to the ceiling).
- Headers bound it from below: GitHub's X-Poll-Interval; with `remaining` and `reset` known,
  never faster than the remaining budget spread over the time to the reset, and when the
  budget is spent, not before the reset.
- Jitter only ever makes a poll later (0 to +10 %), so no bound above is undercut by it.
- A 429 waits for its reset (x-rate-limit-reset, X-RateLimit-Reset, Retry-After...); a 429
  without one and a 5xx back off exponentially with jitter, up to a cap. An error never
  brings the next poll sooner than the regular interval (which carries X-Poll-Interval).
- A revoked grant or a refusal stops the job: the user must act.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from ..errors import AuthRevoked, PlatformRateLimited, Refused, TransientError
from .platform import Budget, PollHints

BACKOFF_BASE_S = 30.0
BACKOFF_CAP_S = 6 * 3600.0
DELIVERY_RETRY_S = 10.0  # a failed cross-post's first wait (platforms.delivery_retry_seconds)
JITTER = 0.1  # up to +10 % on regular intervals, so many accounts do not poll in lockstep


@dataclass(frozen=True)
class Schedule:
    next_due_ms: int | None  # None: stop polling until the user acts
    interval_s: float  # the adapted interval, to store and pass back next time
    failures: int  # consecutive failures, to store and pass back next time


def _jittered(seconds: float, rng: random.Random) -> float:
    """Later, never sooner: a floor (X-Poll-Interval, the budget's) stays a floor."""
    return seconds * rng.uniform(1, 1 + JITTER)


def after_success(budget: Budget, interval_s: float | None, new_items: int, hints: PollHints,
                  now_ms: int, rng: random.Random | None = None) -> Schedule:
    rng = rng or random.Random()
    interval = interval_s or budget.base_s
    interval = interval / 2 if new_items else interval * 1.5
    interval = min(max(interval, budget.floor_s), budget.ceiling_s)
    if hints.poll_interval_s:
        interval = max(interval, float(hints.poll_interval_s))
    due = now_ms + math.ceil(_jittered(interval, rng) * 1000)
    if hints.reset_at_ms is not None and hints.remaining is not None:
        if hints.remaining <= 0:
            due = max(due, hints.reset_at_ms + 1000)
        elif hints.reset_at_ms > now_ms:
            due = max(due, now_ms + (hints.reset_at_ms - now_ms) // hints.remaining)
    return Schedule(due, interval, 0)


def backoff_s(failures: int, rng: random.Random, base_s: float = BACKOFF_BASE_S,
              cap_s: float = BACKOFF_CAP_S) -> float:
    """Exponential in the number of consecutive failures (1, 2, ...), jittered 0.5-1.5x."""
    return min(cap_s, base_s * 2 ** max(failures - 1, 0)) * rng.uniform(0.5, 1.5)


def after_error(budget: Budget, interval_s: float | None, failures: int, error: Exception,
                now_ms: int, rng: random.Random | None = None) -> Schedule:
    """`failures` is the count before this error."""
    rng = rng or random.Random()
    interval = interval_s or budget.base_s
    failures += 1
    if isinstance(error, AuthRevoked | Refused):
        return Schedule(None, interval, failures)
    regular = now_ms + math.ceil(interval * 1000)  # a failure never makes us ask sooner
    until = getattr(error, "until_ms", None)
    if isinstance(error, PlatformRateLimited | TransientError) and until and until > now_ms:
        # The platform said when; a little jitter so the herd does not return at once.
        return Schedule(max(until + int(rng.uniform(1, 5) * 1000), regular), interval,
                        failures)
    return Schedule(max(now_ms + int(backoff_s(failures, rng) * 1000), regular), interval,
                    failures)


def delivery_retry(attempts: int, error: Exception, now_ms: int, max_attempts: int = 3,
                   rng: random.Random | None = None, base_s: float = DELIVERY_RETRY_S
                   ) -> int | None:
    """When to try a cross-post again after its `attempts`-th attempt failed (base_s, then
    doubling, jittered); None: give up."""
    rng = rng or random.Random()
    if isinstance(error, AuthRevoked | Refused) or attempts >= max_attempts:
        return None
    until = getattr(error, "until_ms", None)
    if isinstance(error, PlatformRateLimited) and until and until > now_ms:
        return until + int(rng.uniform(1, 5) * 1000)
    return now_ms + int(backoff_s(attempts, rng, base_s=base_s, cap_s=3600) * 1000)
