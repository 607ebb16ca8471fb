"""How big each part of a run is: the full run (the issue's sizes) and the CI smoke run."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sizes:
    users: int  # authors, each with a feed room and a profile
    posts: int  # posts indexed (seeded directly into the index tables), over 30 days
    quiet_authors: int  # authors whose posts all lie on the window's first day
    quiet_posts_each: int
    follows_active: int  # the four viewers' follows (see bench/seed.py)
    follows_quiet: int
    follows_wide: int
    follows_popular: int
    popular_posts: int  # recent posts with `popular_likes` likes each
    popular_likes: int
    spread_likes: int  # likes on random posts
    deep_page: int  # the page reached by cursor for the deep-page figures
    runs: int  # timed repetitions per read figure (p99 needs >= 100)
    native_rooms: int  # feed rooms followed in the Matrix-native comparison
    native_posts: int  # posts per such room
    native_runs: int
    ingest_txns: int  # appservice transactions of 50 events
    e2e_posts: int  # posts timed from API to follower's feed and sync
    api_posts: int  # posts through the API (and bare sends) at concurrency 8, each
    conversation_rooms: int  # rooms of the user whose conversations list is timed
    conversation_runs: int


FULL = Sizes(users=10_000, posts=1_000_000, quiet_authors=50, quiet_posts_each=120,
             follows_active=500, follows_quiet=10, follows_wide=5000, follows_popular=100,
             popular_posts=20, popular_likes=20_000, spread_likes=600_000, deep_page=50,
             runs=300, native_rooms=50, native_posts=3, native_runs=30, ingest_txns=200,
             e2e_posts=50, api_posts=400, conversation_rooms=100, conversation_runs=20)
SMOKE = Sizes(users=60, posts=3000, quiet_authors=4, quiet_posts_each=30, follows_active=10,
              follows_quiet=3, follows_wide=30, follows_popular=10, popular_posts=3,
              popular_likes=50, spread_likes=2000, deep_page=3, runs=5, native_rooms=2,
              native_posts=2, native_runs=2, ingest_txns=3, e2e_posts=2, api_posts=16,
              conversation_rooms=3, conversation_runs=2)
