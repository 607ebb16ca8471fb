"""Write once, publish everywhere, end to end: a post cross-posted to X, Mastodon and Instagram
(through the real SDKs against the fakes), its status in the API and in Matrix, no echo, the
deletion following, a 429 then success and a 500 until giving up, a crash mid-delivery
without a duplicate, the preview and the default."""

from __future__ import annotations

import time
from urllib.parse import quote

from nio import RoomGetStateEventResponse
from twitter_text import parse_tweet

from .fakes.platforms.base import tiny_png
from .fakes.platforms.mastodon import FakeMastodon
from .harness import api, api_ok, eventually, until_equal
from .platform_steps import (
    bot_said,
    connect,
    db,
    feed_items,
    management_room,
    sync_now,
)


def _unique(name: str) -> str:
    return f"{name}{time.time_ns() % 10**7}"


async def _connect_all(stack, user, instagram: bool = True):
    fakes = stack.platforms
    ids = {"x": fakes.x.add_user(_unique("xu")),
           "mastodon": fakes.mastodon.add_account(_unique("mu"))}
    fakes.x.oauth.authorizing_user = ids["x"]
    fakes.mastodon.oauth.authorizing_user = ids["mastodon"]
    await connect(stack, user, "x")
    await connect(stack, user, "mastodon", fakes.mastodon.base_url)
    if instagram:
        ids["instagram"] = fakes.instagram.add_user(_unique("ig"))
        fakes.instagram.oauth.authorizing_user = ids["instagram"]
        await connect(stack, user, "instagram")
    return ids


async def _statuses(stack, user, post_id, wanted):
    async def settled():
        post = await api_ok(stack, "GET", f"/posts/{quote(post_id, safe='')}", user)
        statuses = {c["target"]: c["status"] for c in post.get("cross_posts", [])}
        return post if statuses == wanted else None

    return await eventually(settled, what=f"cross-posts {wanted}")


async def test_a_post_to_all_three_no_echo_and_the_deletion_following(stack):
    fakes = stack.platforms
    alice = await stack.register("alice")
    ids = await _connect_all(stack, alice)
    image = await api_ok(stack, "POST", "/media", alice, data=tiny_png())
    started = time.monotonic()
    post = await api_ok(stack, "POST", "/posts", alice, json={
        "kind": "image", "image": image["content_uri"], "text": "Hello everywhere #matrix",
        "cross_post": ["x", "mastodon", "instagram"]})
    assert time.monotonic() - started < 5  # the local post never waits for the platforms
    assert {c["target"]: c["status"] for c in post["cross_posts"]} == dict.fromkeys(
        ["instagram", "mastodon", "x"], "pending")
    done = await _statuses(stack, alice, post["id"], dict.fromkeys(
        ["instagram", "mastodon", "x"], "delivered"))
    by_target = {c["target"]: c for c in done["cross_posts"]}
    assert all(c["url"] and c["remote_id"] and c["attempts"] == 1 for c in by_target.values())

    tweet = fakes.x.tweets[by_target["x"]["remote_id"]]
    assert (tweet.author_id, tweet.text) == (ids["x"], "Hello everywhere #matrix")
    assert tweet.media_keys  # the image went along (media.write)
    toot = fakes.mastodon.statuses[by_target["mastodon"]["remote_id"]]
    assert (toot.account_id, toot.text, len(toot.media_ids)) == (
        ids["mastodon"], "Hello everywhere #matrix", 1)
    published = fakes.instagram.media[by_target["instagram"]["remote_id"]]
    assert (published.owner, published.caption) == (ids["instagram"],
                                                    "Hello everywhere #matrix")
    url, content_type = fakes.instagram.fetched_images[-1]
    assert url.startswith(f"{stack.appservice_url}/api/social/platform-media/")
    assert content_type == "image/jpeg"
    container = next(c for c in fakes.instagram.containers.values() if c["image_url"] == url)
    assert container["image"][:3] == b"\xff\xd8\xff"  # our PNG, served as JPEG

    # The signed link: tampered or expired, nobody gets anything.
    status, _ = await api(stack, "GET", url.removeprefix(stack.api_url)[:-10] + "AAAAAA.jpg")
    assert status in (403, 404)
    links = stack.bridge.services.media_links
    expired = links.url(image["content_uri"], expires_at_ms=int(time.time() * 1000) - 1)
    assert (await api(stack, "GET", expired.removeprefix(stack.api_url)))[0] == 403

    # In Matrix: the status as state in her feed room, by the bot (sent just after the
    # delivery is recorded).
    client = stack.nio(alice)

    async def in_matrix():
        state = await client.room_get_state_event(
            post["room_id"], "m.matrix_os.social.cross_posts", post["id"])
        assert isinstance(state, RoomGetStateEventResponse), state
        return {t: v["status"] for t, v in state.content["targets"].items()}

    await until_equal(in_matrix, dict.fromkeys(["instagram", "mastodon", "x"], "delivered"),
                      what="the cross-post state")
    state = await client.room_get_state_event(post["room_id"], "m.matrix_os.social.cross_posts",
                                              post["id"])
    assert state.content["targets"]["x"]["url"] == by_target["x"]["url"]

    # Reading X and Mastodon again brings her own cross-posts back: recognised, not bridged.
    await sync_now(stack, alice, "x")
    await sync_now(stack, alice, "mastodon")
    assert await feed_items(stack, alice) == []

    # An edit follows where the platform lets an app edit (Mastodon; X only for accounts X
    # lets edit, this one not; Instagram never): she is told where it did not.
    await api_ok(stack, "PATCH", f"/posts/{quote(post['id'], safe='')}", alice,
                 json={"text": "Hello everywhere, edited"})
    await eventually(lambda: _edited(fakes, by_target), what="the edit on Mastodon")
    room = await management_room(stack, alice)
    notice = await bot_said(stack, alice, room, "also edited on Mastodon")
    assert "Not edited on X" in notice and "Not edited on Instagram" in notice
    assert fakes.x.tweets[by_target["x"]["remote_id"]].text == "Hello everywhere #matrix"

    # Deleting follows where the platform allows; Instagram offers no deletion: she is told.
    await api_ok(stack, "DELETE", f"/posts/{quote(post['id'], safe='')}", alice)
    await eventually(lambda: _gone(fakes, by_target), what="deleted on X and Mastodon")
    assert by_target["instagram"]["remote_id"] in fakes.instagram.media
    notice = await bot_said(stack, alice, room, "Not deleted on Instagram")
    assert "also deleted on" in notice and by_target["instagram"]["url"] in notice
    rows = await db(stack).fetch("SELECT target, status FROM cross_post_delivery "
                                 "WHERE post_event_id=$1", post["id"])
    assert {r["target"]: r["status"] for r in rows} == {
        "x": "deleted", "mastodon": "deleted", "instagram": "delivered"}


async def _edited(fakes, by_target) -> bool:
    return fakes.mastodon.statuses[by_target["mastodon"]["remote_id"]].text == \
        "Hello everywhere, edited"


async def _gone(fakes, by_target) -> bool:
    return by_target["x"]["remote_id"] not in fakes.x.tweets and \
        by_target["mastodon"]["remote_id"] not in fakes.mastodon.statuses


async def test_a_crash_mid_delivery_then_a_restart_posts_nothing_twice(stack):
    fakes = stack.platforms
    bob = await stack.register("bob")
    ids = await _connect_all(stack, bob, instagram=False)
    held = [fakes.x.stall("/2/tweets", "POST"),
            fakes.mastodon.stall("/api/v1/statuses", "POST")]
    stalled = fakes.x.stalled + fakes.mastodon.stalled
    try:
        post = await api_ok(stack, "POST", "/posts", bob, json={
            "text": "exactly once, whatever happens", "cross_post": ["x", "mastodon"]})
        # Both platforms have the post; their answers are held; the service dies meanwhile.
        await eventually(lambda: _at(fakes, stalled + 2), what="both platforms posting")
        await stack.stop_bridge()
        rows = await _rows(stack, post["id"])
        assert rows == {"x": "sending", "mastodon": "sending"}
        await stack.start_bridge()
        await _statuses(stack, bob, post["id"], {"x": "delivered", "mastodon": "delivered"})
    finally:
        for release in held:
            release.set()
    tweets = [t for t in fakes.x.current(ids["x"]) if t.text.startswith("exactly once")]
    toots = [s for s in fakes.mastodon.of(ids["mastodon"]) if s.text.startswith("exactly")]
    assert len(tweets) == 1 and len(toots) == 1
    final = await api_ok(stack, "GET", f"/posts/{quote(post['id'], safe='')}", bob)
    assert {c["target"]: c["remote_id"] for c in final["cross_posts"]} == {
        "x": tweets[0].id, "mastodon": toots[0].id}


async def test_a_429_then_success_and_a_500_three_times_then_giving_up_visibly(stack):
    fakes = stack.platforms
    dan = await stack.register("dan")
    await _connect_all(stack, dan, instagram=False)
    fakes.mastodon.fail(429, path="/api/v1/statuses", method="POST", reset_in_s=1)
    fakes.x.fail(500, times=3, path="/2/tweets", method="POST")
    posted_before = len(fakes.x.published), len(fakes.mastodon.published)
    post = await api_ok(stack, "POST", "/posts", dan, json={
        "text": "through thick and thin", "cross_post": ["x", "mastodon"]})
    settled = await _statuses(stack, dan, post["id"], {"x": "failed", "mastodon": "delivered"})
    by_target = {c["target"]: c for c in settled["cross_posts"]}
    assert by_target["x"]["attempts"] == 3 and "500" in by_target["x"]["last_error"]
    assert not by_target["x"]["remote_id"]
    assert by_target["mastodon"]["attempts"] == 2 and by_target["mastodon"]["remote_id"]
    assert (len(fakes.x.published), len(fakes.mastodon.published)) == (
        posted_before[0], posted_before[1] + 1)

    # What a Matrix client sees in her feed room: the same outcome, with X's error.
    client = stack.nio(dan)

    async def in_matrix():
        state = await client.room_get_state_event(
            post["room_id"], "m.matrix_os.social.cross_posts", post["id"])
        if not isinstance(state, RoomGetStateEventResponse):
            return None
        return {t: (v["status"], v["error"]) for t, v in state.content["targets"].items()}

    await until_equal(in_matrix, {"x": ("failed", "X: HTTP 500"), "mastodon": ("delivered", None)},
                      what="the cross-post state in Matrix")
    room = await management_room(stack, dan)
    said = await bot_said(stack, dan, room, "could not be published to X")
    assert "HTTP 500" in said


async def _at(fakes, count: int) -> bool:
    return fakes.x.stalled + fakes.mastodon.stalled >= count


async def _rows(stack, post_id):
    from asyncpg import connect as pg_connect

    conn = await pg_connect(stack.database_url)
    try:
        rows = await conn.fetch("SELECT target, status FROM cross_post_delivery "
                                "WHERE post_event_id=$1", post_id)
    finally:
        await conn.close()
    return {r["target"]: r["status"] for r in rows}


async def test_preview_refusals_and_the_default_targets(stack):
    carol = await stack.register("carol")
    wide = FakeMastodon(max_characters=1000)
    await wide.start()
    try:
        account = wide.add_account(_unique("wide"))
        x_account = stack.platforms.x.add_user(_unique("cx"))
        stack.platforms.x.oauth.authorizing_user = x_account
        await connect(stack, carol, "x")
        await connect(stack, carol, "mastodon", wide.base_url)
        text = ("更多 " * 10 + "https://example.org/a/long/link " + "word " * 60).strip()
        answer = await api_ok(stack, "POST", "/posts/preview", carol, json={
            "text": text, "cross_post": ["x", "mastodon", "instagram"]})
        previews = {p["target"]: p for p in answer["targets"]}
        cut = previews["x"]
        assert cut["truncated"] and cut["limit"] == 280
        assert cut["length"] == parse_tweet(cut["text"]).weightedLength <= 280
        assert cut["text"].startswith("更多 更多") and "… https://matrix.to/#/!" in cut["text"]
        assert cut["text"].split("… ")[0] in text  # cut at a word boundary
        whole = previews["mastodon"]
        assert (whole["limit"], whole["truncated"], whole["text"]) == (1000, False, text)
        assert whole["length"] == len(text) - len("https://example.org/a/long/link") + 23
        assert previews["instagram"]["text"] is None
        assert "image" in previews["instagram"]["refusal"]

        for bad in (["github"], "x", ["x"] * 6, [1]):  # more entries than targets
            status, body = await api(stack, "POST", "/posts/preview", carol,
                                     json={"text": "hi", "cross_post": bad})
            assert status == 400 and body["errcode"] == "M_INVALID_PARAM", (bad, body)
        status, body = await api(stack, "POST", "/posts", carol,
                                 json={"text": "never posted", "cross_post": ["myspace"]})
        assert status == 400
        assert not [p for p in (await api_ok(stack, "GET", "/feed", carol))["items"]
                    if p["text"] == "never posted"]

        # A text-only post aimed at Instagram: refused there, the others still go.
        assert (await api_ok(stack, "GET", "/settings/cross_post", carol)) == {
            "cross_post_default": []}
        await api_ok(stack, "PUT", "/settings/cross_post", carol,
                     json={"cross_post_default": ["mastodon", "instagram"]})
        post = await api_ok(stack, "POST", "/posts", carol, json={"text": "by default"})
        refused = {c["target"]: c for c in post["cross_posts"]}
        assert refused["instagram"]["status"] == "refused"
        assert "image" in refused["instagram"]["last_error"]
        await _statuses(stack, carol, post["id"], {"mastodon": "delivered",
                                                   "instagram": "refused"})
        assert [s.text for s in wide.of(account)] == ["by default"]
        assert [p for p in await feed_items(stack, carol)] == []
    finally:
        await wide.stop()
