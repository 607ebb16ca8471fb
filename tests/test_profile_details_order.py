"""Profile details (bio, links, interests, banner, pin) come twice: the API's own copy of the
event it sent and the homeserver's copy through a transaction, in any order. The newer one
wins, also when two writers race."""

from __future__ import annotations

import asyncio

from matrix_social.db import profiles

from .harness import concurrent_writers

USER = "@alice:hs"


async def _details(db) -> tuple:
    row = await profiles.full(db, USER)
    tags = await db.fetch("SELECT tag FROM interest WHERE user_id=$1 ORDER BY tag", USER)
    return row["bio"], row["banner_url"], row["pinned_post"], [t["tag"] for t in tags]


async def test_a_late_older_copy_changes_nothing(db):
    await profiles.set_details(db, USER, "new", [], ["now"], None, None, ts=3)
    await profiles.set_details(db, USER, "old", [], ["then"], "mxc://hs/b", "$pin", ts=2)
    assert await _details(db) == ("new", None, None, ["now"])


async def test_an_older_copy_racing_a_newer_one_does_not_win():
    """PostgreSQL, two connections: the newer write is in flight (not committed) when the
    older one starts, so the older one cannot see it before it writes; it must wait for the
    row and then leave it be (the failure was a banner and a pin back after she removed
    them)."""
    async with concurrent_writers() as (db, newer, older):
        await profiles.set_details(db, USER, "first", [], [], None, None, ts=1)
        tx = newer.transaction()
        await tx.start()
        await profiles.set_details(newer, USER, "Hi again", [], ["now"], None, None, ts=3)
        late = asyncio.create_task(profiles.set_details(
            older, USER, "Hi again", [], ["then"], "mxc://hs/banner", "$pinned", ts=2))
        await asyncio.sleep(0.3)
        assert not late.done(), "the older writer did not wait for the newer one's row"
        await tx.commit()
        await asyncio.wait_for(late, 10)
        assert await _details(db) == ("Hi again", None, None, ["now"])
