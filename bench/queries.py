"""The index queries behind the read endpoints, timed as bare function calls on the seeded
database: the feed page, trending posts, trending apps, post search."""

from __future__ import annotations

from mautrix.util.async_db import Database

from matrix_social.db import explore, feed, search

from .seed import DAY_MS, SEARCH_WORD
from .stats import summary, time_ms

PAGE = 20


async def measure(db: Database, viewer: str, now: int, runs: int) -> dict[str, dict]:
    # The endpoint asks for limit + 1 rows (to know whether there is a next page).
    rows = await feed.feed_page(db, viewer, None, PAGE + 1)
    assert len(rows) == PAGE + 1, f"seeded feed has only {len(rows)} posts"
    out = {
        "feed": await time_ms(lambda: feed.feed_page(db, viewer, None, PAGE + 1), runs),
        "trending_posts": await time_ms(lambda: explore.trending_posts(
            db, viewer, now - DAY_MS, now, None, PAGE + 1), runs),
        "trending_apps": await time_ms(lambda: explore.trending_apps(
            db, now - 7 * DAY_MS, now, None, PAGE + 1), runs),
        "search_posts": await time_ms(lambda: search.posts(
            db, viewer, SEARCH_WORD, None, PAGE + 1), runs),
    }
    return {name: {**summary(values), "samples": values} for name, values in out.items()}
