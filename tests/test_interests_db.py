"""The interests a newcomer picks from (GET /explore/interests): the ones most people name,
ties alphabetical, on both databases."""

from __future__ import annotations

import pytest

from matrix_social.db import explore

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_the_most_named_interests_come_first_ties_alphabetical(db):
    named = {"@a:x": ["tea", "chess", "kites"], "@b:x": ["tea", "chess"], "@c:x": ["tea", "art"],
             "@d:x": ["zen"]}
    for user, tags in named.items():
        for tag in tags:
            await db.execute("INSERT INTO interest (user_id, tag) VALUES ($1, $2)", user, tag)
    rows = await explore.popular_interests(db, 4)
    assert [(r["tag"], r["people"]) for r in rows] == [
        ("tea", 3), ("chess", 2), ("art", 1), ("kites", 1)]
    assert await explore.popular_interests(db, 1) == rows[:1]
