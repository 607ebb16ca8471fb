"""Seeds the index tables directly (synthetic rows in the service's own schema, created by its
numbered upgrades), on SQLite or PostgreSQL. The large read figures run on this data; nothing in
it went through Matrix.

Shape: `users` authors, each with a feed room and a profile; the viewer follows `followed` of
them; `posts` posts spread evenly over the last 7 days (so the 24-hour trending window holds a
seventh of them); 0-3 likes per post, a comment on every fourth post; each author follows 20
others and has 3 of 100 interests; one app per 10 authors, installs over the last 30 days.
Post bodies are 8 words from a 1,000-word vocabulary (each word in ~0.8% of posts).
"""

from __future__ import annotations

import json
import random
import secrets
import time
from pathlib import Path

import asyncpg
from mautrix.util.async_db import Database

from matrix_social.db import upgrade_table

from .sizes import Sizes

ADMIN_DSN = "postgres://postgres@127.0.0.1:5432/postgres"
DAY_MS = 86_400_000
DOMAIN = "bench.invalid"
VOCAB = [f"w{i}" for i in range(1000)]
SEARCH_WORD = "w42"


def author(i: int) -> str:
    return f"@user{i}:{DOMAIN}"


def room(i: int) -> str:
    return f"!feed{i}:{DOMAIN}"


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

    async def open(self) -> Database:
        db = Database.create(self.url, upgrade_table=upgrade_table)
        await db.start()
        return db


async def _insert(db: Database, table: str, columns: str, rows: list[tuple]) -> None:
    n = len(columns.split(","))
    placeholders = ",".join(f"${i + 1}" for i in range(n))
    sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"
    async with db.acquire() as conn, conn.transaction():
        for start in range(0, len(rows), 5000):
            await conn.executemany(sql, rows[start:start + 5000])


async def seed(db: Database, sizes: Sizes, viewer: str, seed_value: int = 7) -> dict:
    """Fill the index; returns what the timings need (now, viewer, counts)."""
    rng = random.Random(seed_value)
    now = int(time.time() * 1000)
    start_ts = now - 7 * DAY_MS
    step = max(1, 7 * DAY_MS // max(1, sizes.posts))
    users = sizes.users
    await _insert(db, "feed_room", "room_id, owner, created_at",
                  [(room(i), author(i), start_ts) for i in range(users)])
    await _insert(db, "profile", "user_id, displayname, avatar_url, bio",
                  [(author(i), f"User {i}", None, f"bio of user {i}") for i in range(users)])
    followed = rng.sample(range(users), sizes.followed)
    await _insert(db, "follow", "room_id, user_id, ts",
                  [(room(i), viewer, start_ts) for i in followed])
    graph = [(room(j), author(i), start_ts) for i in range(users)
             for j in rng.sample(range(users), min(20, users)) if i != j]
    await _insert(db, "follow", "room_id, user_id, ts", graph)
    await _insert(db, "interest", "user_id, tag",
                  [(u, f"tag{t}") for u in [viewer, *map(author, range(users))]
                   for t in rng.sample(range(100), 3)])
    posts: list[tuple] = []
    likes: list[tuple] = []
    comments: list[tuple] = []
    for i in range(sizes.posts):
        a = i % users
        ts = start_ts + i * step
        body = " ".join(rng.choice(VOCAB) for _ in range(8))
        content = json.dumps({"msgtype": "m.text", "body": body,
                              "m.matrix_os.social.post": {"kind": "text"}})
        event_id = f"$p{i}"
        posts.append((event_id, room(a), author(a), "text", body, content, ts, None))
        for j in range(rng.randint(0, 3)):
            likes.append((f"$l{i}_{j}", event_id, author(rng.randrange(users)), ts + 1000 + j))
        if i % 4 == 0:
            comments.append((f"$c{i}", event_id, room(a), author(rng.randrange(users)),
                             "nice", None, ts + 2000))
        if len(posts) >= 5000:
            await _flush(db, posts, likes, comments)
    await _flush(db, posts, likes, comments)
    apps = [(f"user{i}:app{i}", room(i), author(i), f"app{i}", f"App {i}", f"does thing {i}",
             "", f"https://apps.invalid/{i}", start_ts) for i in range(0, users, 10)]
    await _insert(db, "app", "app_id, room_id, author, slug, name, description, icon, url, ts",
                  apps)
    installs = {(apps[rng.randrange(len(apps))][0], author(rng.randrange(users)))
                for _ in range(users * 4)}
    await _insert(db, "app_install", "app_id, user_id, ts",
                  [(a, u, now - rng.randrange(30 * DAY_MS)) for a, u in installs])
    await db.execute("ANALYZE")
    return {"now": now, "viewer": viewer, "posts": sizes.posts, "likes_per_post": 1.5}


async def _flush(db: Database, posts: list, likes: list, comments: list) -> None:
    await _insert(db, "post", "event_id, room_id, author, kind, body, content, ts, repost_of",
                  posts)
    await _insert(db, "post_like", "event_id, post_id, user_id, ts", likes)
    await _insert(db, "comment", "event_id, post_id, room_id, author, body, in_reply_to, ts",
                  comments)
    posts.clear()
    likes.clear()
    comments.clear()
