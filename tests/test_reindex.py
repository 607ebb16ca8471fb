"""Dropping the index and rebuilding it from the rooms gives the same feed, counts and lists."""

from __future__ import annotations

from urllib.parse import quote

from nio import JoinResponse

from matrix_social.db.index_reset import clear_index
from matrix_social.matrix.reindex import Reindexer

from .harness import api_ok, eventually, run_cli
from .test_counters import _mismatches


def q(event_id: str) -> str:
    return quote(event_id, safe="")


async def _all_feed(stack, user) -> list[dict]:
    items, cursor = [], None
    for _ in range(50):
        page = await api_ok(stack, "GET", "/feed?limit=7" + (f"&cursor={cursor}" if cursor
                                                              else ""), user)
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return items
    raise AssertionError("feed did not end")


async def _snapshot(stack, users) -> dict:
    snap = {}
    for user in users:
        snap[f"feed:{user.localpart}"] = await _all_feed(stack, user)
        for kind in ("followers", "following"):
            page = await api_ok(stack, "GET", f"/{kind}/{user.localpart}?limit=100", user)
            snap[f"{kind}:{user.localpart}"] = page
    viewer = users[0]
    for post in snap[f"feed:{viewer.localpart}"]:
        snap[f"comments:{post['id']}"] = await api_ok(
            stack, "GET", f"/posts/{q(post['id'])}/comments?limit=100", viewer)
    return snap


async def test_reindex_rebuilds_the_same_index(stack):
    alice, bob, carol, dave = [await stack.register(n) for n in ("alice", "bob", "carol", "dave")]
    await api_ok(stack, "POST", "/follow", bob, json={"handle": alice.localpart})
    await api_ok(stack, "POST", "/follow", alice, json={"handle": bob.localpart})
    await api_ok(stack, "POST", "/follow", alice, json={"handle": f"{bob.localpart}_ai"})
    posts = []
    for i in range(6):
        posts.append(await api_ok(stack, "POST", "/posts", alice, json={"text": f"a{i}"}))
    b1 = await api_ok(stack, "POST", "/posts", bob, json={"text": "b1"})
    await api_ok(stack, "POST", "/posts", bob, json={"text": "from bob's AI", "as": "ai"})
    await api_ok(stack, "POST", f"/posts/{q(posts[0]['id'])}/like", bob)
    await api_ok(stack, "POST", f"/posts/{q(posts[1]['id'])}/like", carol)
    await api_ok(stack, "POST", f"/posts/{q(posts[1]['id'])}/like", bob)
    await api_ok(stack, "DELETE", f"/posts/{q(posts[1]['id'])}/like", bob)
    top = await api_ok(stack, "POST", f"/posts/{q(posts[2]['id'])}/comments", carol,
                       json={"text": "c1"})
    await api_ok(stack, "POST", f"/posts/{q(posts[2]['id'])}/comments", alice,
                 json={"text": "c2", "reply_to": top["id"]})
    await api_ok(stack, "POST", f"/posts/{q(b1['id'])}/repost", alice, json={"text": "rt"})
    await api_ok(stack, "PATCH", f"/posts/{q(posts[3]['id'])}", alice, json={"text": "edited"})
    await api_ok(stack, "DELETE", f"/posts/{q(posts[4]['id'])}", alice)
    client = stack.nio(dave)
    joined = await client.join(f"#feed_{alice.localpart}:{stack.domain}")
    assert isinstance(joined, JoinResponse), joined
    await client.room_send(joined.room_id, "m.reaction", {"m.relates_to": {
        "rel_type": "m.annotation", "event_id": posts[5]["id"], "key": "❤️"}})

    async def settled():
        got = await api_ok(stack, "GET", f"/posts/{q(posts[5]['id'])}", alice)
        followers = await api_ok(stack, "GET", f"/followers/{alice.localpart}", alice)
        return got["counts"]["likes"] == 1 and followers["count"] == 2

    await eventually(settled, what="client events indexed")
    before = await _snapshot(stack, [alice, bob, carol, dave])
    assert len(before[f"feed:{alice.localpart}"]) == 8

    await clear_index(stack.bridge.db)
    stack.bridge.services.owners.forget()
    emptied = await api_ok(stack, "GET", "/feed", alice)
    assert emptied["items"] == []
    assert await stack.bridge.db.fetchval("SELECT COUNT(*) FROM post_count") == 0

    bars = []
    services = stack.bridge.services
    progress = await Reindexer(stack.bridge.az.intent, stack.bridge.db, services.ids,
                               services.owners, services.ingest, "feed_",
                               on_progress=lambda p: bars.append(p.rooms_done)).run()
    assert progress.rooms_done == progress.rooms_total >= 4 and bars[-1] == progress.rooms_total
    after = await _snapshot(stack, [alice, bob, carol, dave])
    assert after == before
    assert await _mismatches(stack.bridge.db) == []
    assert await stack.bridge.db.fetchval(
        "SELECT likes FROM post_count WHERE post_id = $1", posts[1]["id"]) == 1


async def test_reindex_command_line_rebuilds_an_emptied_index(stack):

    alice, bob = await stack.register("alice"), await stack.register("bob")
    await api_ok(stack, "POST", "/follow", bob, json={"handle": alice.localpart})
    kept = await api_ok(stack, "POST", "/posts", alice, json={"text": "survives a reindex"})
    await api_ok(stack, "POST", "/posts", alice, json={"text": "so does this"})
    await api_ok(stack, "POST", f"/posts/{q(kept['id'])}/like", bob)
    await api_ok(stack, "POST", f"/posts/{q(kept['id'])}/comments", bob, json={"text": "c"})
    before = await _snapshot(stack, [alice, bob])
    assert [p["text"] for p in before[f"feed:{alice.localpart}"]] == [
        "so does this", "survives a reindex"]
    assert before[f"followers:{alice.localpart}"]["count"] == 1

    await clear_index(stack.bridge.db)
    stack.bridge.services.owners.forget()
    assert (await api_ok(stack, "GET", "/feed", alice))["items"] == []
    code, _, stderr = await run_cli("reindex", "-c", str(stack.root / "config.yaml"), "-n",
                                    timeout=120)
    assert code == 0, stderr[-2000:]
    assert "rooms" in stderr and "reindex [" in stderr
    stack.bridge.services.owners.forget()
    assert await _snapshot(stack, [alice, bob]) == before
