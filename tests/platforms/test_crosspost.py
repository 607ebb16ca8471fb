"""Cross-post delivery against the fakes: all three targets, refusals, 429 then success, 500
until giving up, a crash mid-delivery, deletes and edits following, no echo."""

from __future__ import annotations

import asyncio

import pytest
from cryptography.fernet import Fernet

from matrix_social.db import cross_post_deliveries as deliveries
from matrix_social.db import external_items
from matrix_social.db import platform_connections as connections
from matrix_social.external.delivery import Deliveries
from matrix_social.external.platform import Draft, Image, OutgoingPost
from matrix_social.external.previews import preview

from .stack import Stack

POST = "$post1"
ROOM = "!feed:hs"


@pytest.fixture
async def world(db, fakes):
    stack = Stack(db, fakes, Fernet.generate_key().decode())
    fakes["x"].add_user("alice")
    fakes["mastodon"].add_account("alice")
    fakes["instagram"].add_user("alice_shop")
    await stack.connect("@alice:hs", "x")
    await stack.connect("@alice:hs", "mastodon", fakes["mastodon"].base_url)
    await stack.connect("@alice:hs", "instagram")
    stack.poster = Deliveries(db, stack.platforms, stack.grants)
    return stack


def _posts(draft: Draft, image_url: str | None) -> dict[str, OutgoingPost]:
    previews = preview(draft, ["x", "mastodon", "instagram"])
    return {t: OutgoingPost(p.text or "", image_url=image_url if t == "instagram" else None)
            for t, p in previews.items() if p.text is not None}


async def _run_due(world, posts) -> None:
    for row in await world.poster.due():
        await world.poster.attempt(row, posts[row.target], ROOM)


async def test_a_post_goes_to_all_three_targets(db, fakes, world, images):
    draft = Draft("Hello everywhere #matrix", "https://social.example.org/p/1", ("image/jpeg",))
    url = f"http://127.0.0.1:{images.port}/img.jpg"
    rows = await world.poster.enqueue(POST, "@alice:hs", preview(draft, ["x", "mastodon",
                                                                          "instagram"]))
    assert {r.target: r.status for r in rows} == dict.fromkeys(
        ["x", "mastodon", "instagram"], "pending")
    await _run_due(world, _posts(draft, url))
    rows = {r.target: r for r in await deliveries.for_post(db, POST)}
    assert all(r.status == "delivered" and r.remote_id and r.url for r in rows.values())
    assert fakes["x"].published[0].text == "Hello everywhere #matrix"
    assert fakes["mastodon"].published[0].text == "Hello everywhere #matrix"
    assert fakes["instagram"].published[0].caption == "Hello everywhere #matrix"
    assert images.hits == 1
    # Recorded as outbound: the reader will recognise each one when it comes back.
    for target, row in rows.items():
        connection = await connections.get(db, "@alice:hs", target)
        mapped = await external_items.get(db, "@alice:hs", target, connection.account_key,
                                          row.remote_id)
        assert (mapped.event_id, mapped.origin) == (POST, "outbound")
    x_row = await connections.get(db, "@alice:hs", "x")
    seen = await world.poller.poll(x_row)
    ids = [i.remote_id for i in seen.result.items]
    assert rows["x"].remote_id in ids
    assert await external_items.known(db, "@alice:hs", "x", x_row.account_key, ids) == {
        rows["x"].remote_id}


async def test_a_text_only_post_is_refused_for_instagram_only(db, fakes, world):
    draft = Draft("no picture today", "https://social.example.org/p/2")
    rows = {r.target: r for r in await world.poster.enqueue(
        POST, "@alice:hs", preview(draft, ["x", "mastodon", "instagram"]))}
    assert rows["instagram"].status == "refused" and "image" in rows["instagram"].last_error
    await _run_due(world, _posts(draft, None))
    rows = {r.target: r for r in await deliveries.for_post(db, POST)}
    assert (rows["x"].status, rows["mastodon"].status) == ("delivered", "delivered")
    assert fakes["instagram"].published == []


async def test_429_then_success(db, fakes, world):
    draft = Draft("patience", None)
    await world.poster.enqueue(POST, "@alice:hs", preview(draft, ["mastodon"]))
    fakes["mastodon"].fail(429, path="/api/v1/statuses", method="POST", reset_in_s=1)
    [row] = await world.poster.due()
    after = await world.poster.attempt(row, _posts(draft, None)["mastodon"], ROOM)
    assert (after.status, after.attempts) == ("pending", 1) and after.next_attempt
    await db.execute("UPDATE cross_post_delivery SET next_attempt=0")  # time passes
    [row] = await world.poster.due()
    after = await world.poster.attempt(row, _posts(draft, None)["mastodon"], ROOM)
    assert (after.status, after.attempts, after.last_error) == ("delivered", 2, None)
    assert len(fakes["mastodon"].published) == 1


async def test_500_three_times_then_giving_up_visibly(db, fakes, world):
    draft = Draft("doomed", None)
    await world.poster.enqueue(POST, "@alice:hs", preview(draft, ["x"]))
    fakes["x"].fail(500, times=3, path="/2/tweets", method="POST")
    for attempt in range(1, 4):
        [row] = await world.poster.due() or [None]
        assert row is not None, attempt
        after = await world.poster.attempt(row, _posts(draft, None)["x"], ROOM)
        await db.execute("UPDATE cross_post_delivery SET next_attempt=0 WHERE status='pending'")
    assert (after.status, after.attempts) == ("failed", 3) and "500" in after.last_error
    assert await world.poster.due() == [] and fakes["x"].published == []


async def test_a_crash_mid_delivery_never_posts_twice(db, fakes, world):
    draft = Draft("exactly once", None)
    await world.poster.enqueue(POST, "@alice:hs", preview(draft, ["x", "mastodon"]))
    posts = _posts(draft, None)
    # The platforms accepted the posts, then the bridge died before recording anything.
    for row in await world.poster.due():
        await deliveries.claim(db, row.post_event_id, row.target, 1)
        connection = await connections.get(db, "@alice:hs", row.target)
        adapter = await world.platforms.adapter_for(row.target, connection.instance)
        token = await world.grants.token("@alice:hs", row.target)
        await adapter.publish(token, world.grants.account(connection), OutgoingPost(
            posts[row.target].text, idempotency_key=row.idempotency_key))
    assert await world.poster.due() == []
    assert await world.poster.release_in_flight() == 2  # the restart
    await _run_due(world, posts)
    rows = {r.target: r for r in await deliveries.for_post(db, POST)}
    assert {r.status for r in rows.values()} == {"delivered"}
    assert [s.text for s in fakes["mastodon"].published] == ["exactly once"]  # Idempotency-Key
    assert [t.text for t in fakes["x"].current(next(iter(fakes["x"].users)))] == [
        "exactly once"]  # X refused the duplicate; the adapter found the first post
    assert rows["x"].remote_id == fakes["x"].published[0].id


async def test_delete_and_edit_follow_where_the_platform_allows(db, fakes, world,
                                                                images):
    draft = Draft("follow me", None, ("image/jpeg",))
    url = f"http://127.0.0.1:{images.port}/img.jpg"
    await world.poster.enqueue(POST, "@alice:hs", preview(draft, ["x", "mastodon", "instagram"]))
    await _run_due(world, _posts(draft, url))
    edited = await world.poster.edit(POST, {t: OutgoingPost("follow me, edited")
                                            for t in ("mastodon", "instagram", "x")})
    assert edited["mastodon"] is None and "edit" in edited["instagram"]
    assert "not permitted" in edited["x"]  # this X account cannot edit
    # A 403 about one post refuses that post; the login still works, nobody is told.
    assert (await connections.get(db, "@alice:hs", "x")).status == "ok" and world.broken == []
    mastodon_id = {r.target: r for r in await deliveries.for_post(db, POST)}["mastodon"].remote_id
    assert fakes["mastodon"].statuses[mastodon_id].text == "follow me, edited"

    deleted = await world.poster.delete(POST)
    assert (deleted["x"], deleted["mastodon"]) == (None, None)
    assert "delete it in the Instagram app" in deleted["instagram"]
    rows = {r.target: r.status for r in await deliveries.for_post(db, POST)}
    assert rows == {"x": "deleted", "mastodon": "deleted", "instagram": "delivered"}
    assert fakes["x"].current(next(iter(fakes["x"].users))) == []
    assert fakes["mastodon"].of(next(iter(fakes["mastodon"].accounts))) == []


async def test_a_post_deleted_while_its_cross_post_is_in_flight_does_not_stay(db, fakes,
                                                                              world):
    """Mastodon makes the status while the post is deleted here: the attempt's outcome does not
    overwrite the deletion, and the status it made is deleted again."""
    draft = Draft("gone before it lands", None)
    await world.poster.enqueue(POST, "@alice:hs", preview(draft, ["mastodon"]))
    release = fakes["mastodon"].stall("/api/v1/statuses", method="POST")
    [row] = await world.poster.due()
    attempt = asyncio.create_task(world.poster.attempt(row, _posts(draft, None)["mastodon"],
                                                       ROOM))
    for _ in range(500):
        if fakes["mastodon"].stalled:
            break
        await asyncio.sleep(0.01)
    assert fakes["mastodon"].stalled == 1
    assert await world.poster.delete(POST) == {"mastodon": None}
    release.set()
    after = await attempt
    assert (after.status, after.last_error) == ("refused", "the post was deleted")
    assert len(fakes["mastodon"].published) == 1  # it was made...
    assert fakes["mastodon"].of(next(iter(fakes["mastodon"].accounts))) == []  # ...and undone


async def test_a_broken_connection_refuses_its_target(db, fakes, world):
    await connections.mark_broken(db, "@alice:hs", "x", "revoked")
    rows = {r.target: r for r in await world.poster.enqueue(
        POST, "@alice:hs", preview(Draft("hi", None), ["x", "mastodon", "github"]))}
    assert rows["x"].status == "refused" and "connect again" in rows["x"].last_error
    assert rows["github"].status == "refused"
    assert rows["mastodon"].status == "pending"


async def test_a_401_on_a_cross_post_breaks_the_connection_at_once(db, fakes, world):
    """Mastodon answers 401 to the post: the connection is broken at that moment, not at the
    next poll; she is told once; later cross-posts to it are refused with the reason without
    a request leaving."""
    draft = Draft("is anybody there", None)
    await world.poster.enqueue(POST, "@alice:hs", preview(draft, ["mastodon", "x"]))
    fakes["mastodon"].fail(401, times=5, path="/api/v1/statuses", method="POST")
    await _run_due(world, _posts(draft, None))
    rows = {r.target: r for r in await deliveries.for_post(db, POST)}
    assert rows["mastodon"].status == "refused" and rows["x"].status == "delivered"
    assert rows["mastodon"].attempts == 1  # not retried blindly
    row = await connections.get(db, "@alice:hs", "mastodon")
    assert row.status == "broken" and "refused" in row.status_reason
    assert [(u, p) for u, p, _ in world.broken] == [("@alice:hs", "mastodon")]
    assert (await connections.get(db, "@alice:hs", "x")).status == "ok"

    asked = fakes["mastodon"].count("/api/v1/")
    later = {r.target: r for r in await world.poster.enqueue(
        "$post2", "@alice:hs", preview(Draft("again", None), ["mastodon"]))}
    assert later["mastodon"].status == "refused"
    assert "Mastodon connection is not working" in later["mastodon"].last_error
    # Even a delivery queued before the break is refused without asking the instance.
    await deliveries.create(db, "$post3", "mastodon", "@alice:hs", "k3", 0)
    await _run_due(world, {"mastodon": OutgoingPost("queued before")})
    assert {r.target: r.status for r in await deliveries.for_post(db, "$post3")} == {
        "mastodon": "refused"}
    assert fakes["mastodon"].count("/api/v1/") == asked
    assert len(world.broken) == 1  # told once


async def test_a_403_on_an_image_upload_breaks_the_x_connection(db, fakes, world):
    """X refuses the media upload (a grant without media.write, a locked account): the login
    is refused, after one forced refresh, and the connection is broken."""
    fakes["x"].fail(403, times=2, path="/2/media/upload")
    await world.poster.enqueue(POST, "@alice:hs", preview(Draft("pic", None), ["x"]))
    png = (b"\x89PNG\r\n\x1a\n" + b"0" * 64)
    await _run_due(world, {"x": OutgoingPost("pic", images=(Image(png, "image/png"),))})
    [row] = await deliveries.for_post(db, POST)
    assert row.status == "refused" and "X refused access" in row.last_error
    assert (await connections.get(db, "@alice:hs", "x")).status == "broken"
    assert [(u, p) for u, p, _ in world.broken] == [("@alice:hs", "x")]
    assert fakes["x"].published == []


async def test_a_401_then_a_working_refresh_is_not_a_break(db, fakes, world):
    """An X access token that died early (one 401): the grant is refreshed once and the post
    goes; the connection keeps working."""
    fakes["x"].fail(401, times=1, path="/2/tweets", method="POST")
    await world.poster.enqueue(POST, "@alice:hs", preview(Draft("second wind", None), ["x"]))
    await _run_due(world, {"x": OutgoingPost("second wind")})
    [row] = await deliveries.for_post(db, POST)
    assert row.status == "delivered"
    assert (await connections.get(db, "@alice:hs", "x")).status == "ok" and world.broken == []
