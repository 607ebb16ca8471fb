"""How big each part of a run is: the full run (the issue's sizes) and the CI smoke run."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sizes:
    users: int  # authors, each with a feed room and a profile
    followed: int  # how many of them the viewer follows
    posts: int  # posts indexed (seeded directly into the index tables)
    runs: int  # timed repetitions per read figure (p99 needs >= 100)
    native_rooms: int  # feed rooms followed in the Matrix-native comparison
    native_posts: int  # posts per such room
    native_runs: int
    ingest_txns: int  # appservice transactions of 50 events
    e2e_posts: int  # posts timed from API to follower's feed and sync


FULL = Sizes(users=5000, followed=500, posts=200_000, runs=300, native_rooms=50,
             native_posts=3, native_runs=30, ingest_txns=200, e2e_posts=50)
SMOKE = Sizes(users=40, followed=8, posts=800, runs=5, native_rooms=2, native_posts=2,
              native_runs=2, ingest_txns=3, e2e_posts=2)
