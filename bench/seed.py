"""Seeds the index tables directly (synthetic rows in the service's own schema, created by its
numbered upgrades), on SQLite or PostgreSQL. The large read figures run on this data; nothing in
it went through Matrix. The database's own triggers keep the post counters while seeding, as
they do for ingest.

Shape (FULL): 10,000 authors, each with a feed room and a profile; 1,000,000 posts over the
last 30 days, newest-first evenly spaced; authors are picked with Zipf-like weights (a few post
a lot, most a little), except 50 quiet authors whose 120 posts each all lie on the window's
first day (a month ago); 1% of posts are reposts; a comment on every fourth post; ~1M likes,
all in the last 24 hours (so the trending window holds all of them): 20 recent posts with
20,000 likes each (from 20,000 fans of another server, a 👍 and a ❤️ by some of them, the second
counting once), the rest spread over random posts by random authors. Each author follows 20
others and has 3 of 100 interests; one app per 10 authors, installs over the last 30 days.
Post bodies are 8 words from a 1,000-word vocabulary (each word in ~0.8% of posts).

Viewers (the feed's four shapes): `active` follows 500 random active authors, `quiet` follows
10 quiet authors, `wide` follows 5,000 random authors, `popular` follows 100 active authors,
20 of whom wrote the 20 much-liked posts.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from mautrix.util.async_db import Database, Scheme

from matrix_social.db import pool, upgrade_table

from .sizes import Sizes

ADMIN_DSN = "postgres://postgres@127.0.0.1:5432/postgres"
DAY_MS = 86_400_000
DOMAIN = "bench.invalid"
FANS = "fans.invalid"
VOCAB = [f"w{i}" for i in range(1000)]
SEARCH_WORD = "w42"
SHAPES = ("active", "quiet", "wide", "popular")
BATCH = 20_000


# One author in ten is a user of another server who posts from an MSC4501 profile room (a plain
# Matrix client such as Haven): in the index a feed room without a bot, reposts translated from
# `relates_to` (docs/events.md, "MSC4501"). The feed reads them like any other.
MSC4501_DOMAIN = "msc4501.invalid"


def msc4501_author(i: int) -> bool:
    return i % 10 == 9


def author(i: int) -> str:
    return f"@user{i}:{MSC4501_DOMAIN if msc4501_author(i) else DOMAIN}"


def room(i: int) -> str:
    return f"!profile{i}:{MSC4501_DOMAIN}" if msc4501_author(i) else f"!feed{i}:{DOMAIN}"


def viewer_room(shape: str) -> str:
    return f"!viewer-{shape}:{DOMAIN}"


class BenchDatabase:
    """A throwaway database: a SQLite file in `root`, or a PostgreSQL database of its own."""

    def __init__(self, kind: str, root: Path) -> None:
        self.kind = kind
        self.name = f"matrix_social_bench_{secrets.token_hex(4)}"
        self.path = root / f"{self.name}.db"

    @property
    def url(self) -> str:
        if self.kind == "sqlite":
            return f"sqlite:{self.path}"
        return f"postgres://postgres@127.0.0.1:5432/{self.name}"

    async def create(self) -> None:
        if self.kind == "postgres":
            conn = await asyncpg.connect(ADMIN_DSN)
            try:
                await conn.execute(f'CREATE DATABASE "{self.name}"')
            finally:
                await conn.close()

    async def drop(self) -> None:
        if self.kind == "postgres":
            conn = await asyncpg.connect(ADMIN_DSN)
            try:
                await conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            finally:
                await conn.close()
        else:
            self._remove_files()

    def _remove_files(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    async def open(self, upgrades=upgrade_table) -> Database:
        """With the pool options of the bridge (matrix_social/db/pool.py)."""
        db = Database.create(self.url, upgrade_table=upgrades, db_args=pool.options(self.url, {}))
        await db.start()
        return db


@dataclass
class Seeded:
    now: int
    viewers: dict[str, str]  # shape -> viewer's user id
    posts: int
    likes: int
    window_likes: int  # likes in the 24 hours before `now`


async def _insert(db: Database, table: str, columns: list[str], rows: list[tuple]) -> None:
    """Big batches: PostgreSQL's COPY, SQLite's executemany in one transaction."""
    if not rows:
        return
    async with db.acquire() as conn:
        if db.scheme == Scheme.SQLITE:
            marks = ",".join(f"${i + 1}" for i in range(len(columns)))
            async with conn.transaction():
                await conn.executemany(
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
        else:
            await conn.wrapped.copy_records_to_table(table, records=rows, columns=columns)


class _Writer:
    """Rows gathered per table and written every BATCH rows, posts before what refers to them.
    A batch is written while the next one is generated (the database works in its own
    process or thread meanwhile)."""

    ORDER = ("post", "post_like", "comment")
    COLUMNS = {
        "post": ["event_id", "room_id", "author", "kind", "body", "content", "ts", "repost_of"],
        "post_like": ["event_id", "post_id", "user_id", "ts"],
        "comment": ["event_id", "post_id", "room_id", "author", "body", "in_reply_to", "ts"],
    }

    def __init__(self, db: Database) -> None:
        self.db = db
        self.rows: dict[str, list[tuple]] = {table: [] for table in self.ORDER}
        self.counts = dict.fromkeys(self.ORDER, 0)
        self._writing: asyncio.Task | None = None

    async def add(self, table: str, row: tuple) -> None:
        self.rows[table].append(row)
        if len(self.rows[table]) >= BATCH:
            await self._start_writing()

    async def _start_writing(self) -> None:
        if self._writing is not None:
            await self._writing
        batches = [(table, self.rows[table]) for table in self.ORDER]
        self.rows = {table: [] for table in self.ORDER}
        self._writing = asyncio.create_task(self._write(batches))

    async def _write(self, batches: list[tuple[str, list[tuple]]]) -> None:
        for table, rows in batches:
            self.counts[table] += len(rows)
            await _insert(self.db, table, self.COLUMNS[table], rows)

    async def flush(self) -> None:
        await self._start_writing()
        await self._writing


def _text_post(rng: random.Random, event_id: str, i: int, ts: int) -> tuple:
    body = " ".join(rng.choices(VOCAB, k=8))
    content = json.dumps({"msgtype": "m.text", "body": body,
                          "m.matrix_os.social.post": {"kind": "text"}})
    return (event_id, room(i), author(i), "text", body, content, ts, None)


def _repost(rng: random.Random, event_id: str, i: int, ts: int, original: str,
            original_author: int) -> tuple:
    repost_of = {"room_id": room(original_author), "event_id": original,
                 "author": author(original_author)}
    if msc4501_author(i):  # as the index keeps an MSC4501 quote: its words, our block
        content = json.dumps({"msgtype": "m.text", "body": "so true https://matrix.to/#/…",
                              "m.matrix_os.social.post": {"kind": "repost", "text": "so true",
                                                          "repost_of": repost_of}})
        return (event_id, room(i), author(i), "repost", "so true", content, ts, original)
    content = json.dumps({"msgtype": "m.text", "body": "repost", "m.matrix_os.social.post": {
        "kind": "repost", "repost_of": repost_of}})
    return (event_id, room(i), author(i), "repost", "", content, ts, original)


async def seed(db: Database, sizes: Sizes, viewers: dict[str, str], seed_value: int = 7) -> Seeded:
    """Fill the index; `viewers` maps each of SHAPES to a user id."""
    rng = random.Random(seed_value)
    now = int(time.time() * 1000)
    start_ts = now - 30 * DAY_MS
    users = sizes.users
    quiet = list(range(users - sizes.quiet_authors, users))
    active = list(range(users - sizes.quiet_authors))
    await _insert(db, "feed_room", ["room_id", "owner", "created_at"],
                  [(room(i), author(i), start_ts) for i in range(users)]
                  + [(viewer_room(s), viewers[s], start_ts) for s in SHAPES])
    await _insert(db, "profile", ["user_id", "displayname", "avatar_url", "bio"],
                  [(author(i), f"User {i}", None, f"bio of user {i}") for i in range(users)])
    follows = {
        "active": rng.sample(active, sizes.follows_active),
        "quiet": rng.sample(quiet, sizes.follows_quiet),
        "wide": rng.sample(range(users), sizes.follows_wide),
        "popular": rng.sample(active, sizes.follows_popular),
    }
    await _insert(db, "follow", ["room_id", "user_id", "ts"],
                  [(room(i), viewers[s], start_ts) for s in SHAPES for i in follows[s]])
    graph = {(room(j), author(i), start_ts) for i in range(users)
             for j in rng.sample(range(users), min(20, users)) if i != j}
    await _insert(db, "follow", ["room_id", "user_id", "ts"], sorted(graph))
    await _insert(db, "interest", ["user_id", "tag"],
                  [(u, f"tag{t}") for u in [*viewers.values(), *map(author, range(users))]
                   for t in rng.sample(range(100), 3)])

    writer = _Writer(db)
    post_ids, popular = await _posts(writer, rng, sizes, now, start_ts, active, quiet,
                                     follows["popular"])
    likes = await _likes(writer, rng, sizes, now, post_ids, popular)
    await writer.flush()
    apps = [(f"user{i}:app{i}", room(i), author(i), f"app{i}", f"App {i}", f"does thing {i}",
             "", f"https://apps.invalid/{i}", start_ts) for i in range(0, users, 10)]
    await _insert(db, "app", ["app_id", "room_id", "author", "slug", "name", "description",
                              "icon", "url", "ts"], apps)
    installs = {(apps[rng.randrange(len(apps))][0], author(rng.randrange(users)))
                for _ in range(users * 4)}
    await _insert(db, "app_install", ["app_id", "user_id", "ts"],
                  [(a, u, now - rng.randrange(30 * DAY_MS)) for a, u in sorted(installs)])
    # What autovacuum does on a live server (visibility map for index-only scans, statistics).
    await db.execute("ANALYZE" if db.scheme == Scheme.SQLITE else "VACUUM ANALYZE")
    return Seeded(now=now, viewers=viewers, posts=writer.counts["post"], likes=likes,
                  window_likes=likes)


async def _posts(writer: _Writer, rng: random.Random, sizes: Sizes, now: int, start_ts: int,
                 active: list[int], quiet: list[int], popular_follows: list[int]
                 ) -> tuple[list[str], list[str]]:
    """Every post; returns the post ids and the much-liked posts' ids."""
    quiet_posts = [q for q in quiet for _ in range(sizes.quiet_posts_each)]
    rng.shuffle(quiet_posts)
    weights = list(itertools.accumulate(1 / (k + 1) ** 0.8 for k in range(len(active))))
    order = active[:]
    rng.shuffle(order)
    # The first day holds the quiet authors' posts among the others.
    first_day = sizes.posts // 30
    quiet_at = set(rng.sample(range(first_day), min(first_day, len(quiet_posts))))
    step = max(1, 30 * DAY_MS // max(1, sizes.posts))
    authors: list[int] = []
    post_ids: list[str] = []
    popular_authors = set(popular_follows[:sizes.popular_posts])
    popular: list[str] = []
    popular_at = set(rng.sample(range(sizes.posts - sizes.posts // 30, sizes.posts),
                                sizes.popular_posts))  # within the last day
    for i in range(sizes.posts):
        ts = start_ts + i * step
        if i in quiet_at:
            a = quiet_posts.pop()
        else:
            a = order[min(len(order) - 1,
                          _bisect(weights, rng.random() * weights[-1]))]
        if i in popular_at:
            a = popular_follows[len(popular)]
            popular.append(f"$p{i}")
        event_id = f"$p{i}"
        if post_ids and rng.random() < 0.01 and a not in popular_authors:
            j = rng.randrange(len(post_ids))
            row = _repost(rng, event_id, a, ts, post_ids[j], authors[j])
        else:
            row = _text_post(rng, event_id, a, ts)
        await writer.add("post", row)
        authors.append(a)
        post_ids.append(event_id)
        if i % 4 == 0:
            await writer.add("comment", (f"$c{i}", event_id, room(a),
                                         author(rng.randrange(sizes.users)), "nice", None,
                                         ts + 2000))
    return post_ids, popular


def _bisect(cumulative: list[float], x: float) -> int:
    lo, hi = 0, len(cumulative)
    while lo < hi:
        mid = (lo + hi) // 2
        if cumulative[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


async def _likes(writer: _Writer, rng: random.Random, sizes: Sizes, now: int,
                 post_ids: list[str], popular: list[str]) -> int:
    """Likes in the last 24 hours; returns how many rows."""
    n = 0
    for post_id in popular:
        for k in range(sizes.popular_likes):
            await writer.add("post_like", (f"$lp{post_id}_{k}", post_id, f"@fan{k}:{FANS}",
                                           now - rng.randrange(DAY_MS)))
            n += 1
        for k in range(0, sizes.popular_likes, 100):  # a 👍 and a ❤️: not a second like
            await writer.add("post_like", (f"$lq{post_id}_{k}", post_id, f"@fan{k}:{FANS}",
                                           now - rng.randrange(DAY_MS)))
            n += 1
    for k in range(sizes.spread_likes):
        await writer.add("post_like", (f"$l{k}", post_ids[rng.randrange(len(post_ids))],
                                       author(rng.randrange(sizes.users)),
                                       now - rng.randrange(DAY_MS)))
        n += 1
    return n
