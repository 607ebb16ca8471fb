"""Follows, the feed and its pagination, auth, handles, the OpenAPI document."""

from __future__ import annotations

import asyncio
from urllib.parse import quote

from nio import JoinResponse, RoomResolveAliasResponse

from matrix_social.api.app import api_document

from .harness import api, api_ok, eventually


async def test_follow_user_and_ai_separately(stack):
    alice, bob = await stack.register("alice"), await stack.register("bob")
    ai = f"{alice.localpart}_ai"
    await api_ok(stack, "POST", "/follow", bob, json={"handle": alice.localpart})
    following = await api_ok(stack, "GET", f"/following/{bob.localpart}", bob)
    assert [f["user_id"] for f in following["items"]] == [alice.user_id]
    assert following["count"] == 1
    status = await api_ok(stack, "POST", "/follow", bob, json={"handle": ai})
    assert status["following"] is True and status["user_id"] == stack.mxid(ai)
    following = await api_ok(stack, "GET", f"/following/@{bob.localpart}:{stack.domain}", bob)
    assert {f["user_id"] for f in following["items"]} == {alice.user_id, stack.mxid(ai)}
    await api_ok(stack, "DELETE", f"/unfollow?handle={ai}", bob)
    following = await api_ok(stack, "GET", f"/following/{bob.localpart}", bob)
    assert [f["user_id"] for f in following["items"]] == [alice.user_id]
    followers = await api_ok(stack, "GET", f"/followers/{alice.localpart}", alice)
    assert followers["count"] == 1 and followers["items"][0]["user_id"] == bob.user_id
    ai_followers = await api_ok(stack, "GET", f"/followers/{ai}", alice)
    assert ai_followers["count"] == 0
    await api_ok(stack, "DELETE", "/unfollow", bob, json={"handle": alice.localpart})
    assert (await api_ok(stack, "GET", f"/followers/{alice.localpart}", alice))["count"] == 0


async def test_follow_by_joining_from_a_plain_client_and_unfollow_by_leaving(stack):
    alice, carol = await stack.register("alice"), await stack.register("carol")
    client = stack.nio(carol)
    alias = f"#feed_{alice.localpart}:{stack.domain}"
    resolved = await client.room_resolve_alias(alias)  # the alias query creates the room
    assert isinstance(resolved, RoomResolveAliasResponse), resolved
    joined = await client.join(alias)
    assert isinstance(joined, JoinResponse), joined

    async def followers_count():
        return (await api_ok(stack, "GET", f"/followers/{alice.localpart}", alice))["count"]

    assert await eventually(followers_count, what="join counted as follow") == 1
    await client.room_leave(joined.room_id)

    async def unfollowed():
        return await followers_count() == 0

    await eventually(unfollowed, what="leave counted as unfollow")


async def test_feed_has_followed_and_own_posts_newest_first(stack):
    alice, bob, zed = [await stack.register(n) for n in ("alice", "bob", "zed")]
    mine = await api_ok(stack, "POST", "/posts", bob, json={"text": "bob 1"})
    await api_ok(stack, "POST", "/follow", bob, json={"handle": alice.localpart})
    await api_ok(stack, "POST", "/follow", bob, json={"handle": f"{alice.localpart}_ai"})
    a1 = await api_ok(stack, "POST", "/posts", alice, json={"text": "alice 1"})
    ai1 = await api_ok(stack, "POST", "/posts", alice, json={"text": "from the AI", "as": "ai"})
    await api_ok(stack, "POST", "/posts", zed, json={"text": "not followed"})
    await api_ok(stack, "POST", f"/posts/{quote(a1['id'], safe='')}/like", bob)
    feed = await api_ok(stack, "GET", "/feed", bob)
    assert [p["id"] for p in feed["items"]] == [ai1["id"], a1["id"], mine["id"]]
    item = feed["items"][1]
    assert item["liked"] is True and item["counts"]["likes"] == 1
    assert item["author"] == {"user_id": alice.user_id, "handle": alice.localpart,
                              "display_name": alice.localpart, "avatar_url": None}
    assert feed["items"][0]["author"]["user_id"] == stack.mxid(f"{alice.localpart}_ai")
    assert feed["items"][0]["author"]["display_name"] == f"{alice.localpart}'s AI"
    assert item["room_id"].startswith("!") and item["event_id"] == a1["id"]


async def test_250_post_feed_paginates_each_post_exactly_once_while_posts_arrive(stack):
    author, reader = await stack.register("prolific"), await stack.register("reader")
    await api_ok(stack, "POST", "/follow", reader, json={"handle": author.localpart})
    sem = asyncio.Semaphore(8)

    async def post(i: int) -> str:
        async with sem:
            return (await api_ok(stack, "POST", "/posts", author, json={"text": f"n{i}"}))["id"]

    created = set(await asyncio.gather(*(post(i) for i in range(250))))
    seen: list[str] = []
    cursor, added = None, []
    for page_no in range(100):
        path = "/feed?limit=30" + (f"&cursor={cursor}" if cursor else "")
        page = await api_ok(stack, "GET", path, reader)
        seen += [p["id"] for p in page["items"]]
        if page_no < 3:
            added.append(await post(1000 + page_no))
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 250
    assert set(seen) == created
    newest = await api_ok(stack, "GET", "/feed?limit=3", reader)
    assert [p["id"] for p in newest["items"]] == added[::-1]


async def test_auth_errors(stack):
    status, body = await api(stack, "GET", "/feed")
    assert (status, body["errcode"]) == (401, "M_MISSING_TOKEN")
    status, body = await stack.request("GET", f"{stack.api_url}/feed", token="syt_bogus")
    assert (status, body["errcode"]) == (401, "M_UNKNOWN_TOKEN")
    status, body = await stack.request("POST", f"{stack.api_url}/posts",
                                       headers={"Authorization": "Basic abc"}, json={})
    assert (status, body["errcode"]) == (401, "M_MISSING_TOKEN")


async def test_nobody_acts_as_another_user(stack):
    alice, mallory = await stack.register("alice"), await stack.register("mallory")
    post = await api_ok(stack, "POST", "/posts", mallory,
                        json={"text": "hi", "author": alice.user_id, "user_id": alice.user_id})
    assert post["author"]["user_id"] == mallory.user_id
    status, body = await stack.request(
        "POST", f"{stack.api_url}/posts?user_id={quote(alice.user_id)}",
        token=mallory.access_token, json={"text": "x"})
    assert status == 201 and body["author"]["user_id"] == mallory.user_id


async def test_handles_and_bad_input(stack):
    alice = await stack.register("alice")
    for handle in (alice.localpart, alice.user_id, f"{alice.localpart}_ai"):
        await api_ok(stack, "GET", f"/followers/{quote(handle)}", alice)
    for path in ("/followers/nobody_there", "/following/nobody_there",
                 f"/followers/{quote('@nobody:' + stack.domain)}"):
        status, body = await api(stack, "GET", path, alice)
        assert (status, body["errcode"]) == (404, "M_NOT_FOUND"), path
    status, body = await api(stack, "POST", "/follow", alice, json={"handle": "nobody_there"})
    assert (status, body["errcode"]) == (404, "M_NOT_FOUND")
    status, body = await api(stack, "POST", "/follow", alice, json={"handle": alice.localpart})
    assert (status, body["errcode"]) == (400, "M_INVALID_PARAM")
    status, body = await api(stack, "POST", "/follow", alice, json={})
    assert (status, body["errcode"]) == (400, "M_INVALID_PARAM")
    status, body = await api(stack, "POST", "/posts", alice, data=b"{not json",
                             headers={"Content-Type": "application/json"})
    assert (status, body["errcode"]) == (400, "M_NOT_JSON")
    status, body = await api(stack, "POST", "/posts", alice, json=["a list"])
    assert (status, body["errcode"]) == (400, "M_BAD_JSON")
    status, body = await api(stack, "POST", "/posts", alice, json={"text": 5})
    assert (status, body["errcode"]) == (400, "M_INVALID_PARAM")
    status, body = await api(stack, "POST", "/posts", alice, json={"text": "   "})
    assert (status, body["errcode"]) == (400, "M_INVALID_PARAM")
    for query in ("cursor=garbage", "limit=0", "limit=1000", "limit=ten"):
        status, body = await api(stack, "GET", f"/feed?{query}", alice)
        assert (status, body["errcode"]) == (400, "M_INVALID_PARAM"), query
    for method in ("POST", "GET"):
        status, body = await api(stack, method, f"/posts/{quote('$missing')}/comments", alice,
                                 **({"json": {"text": "x"}} if method == "POST" else {}))
        assert (status, body["errcode"]) == (404, "M_NOT_FOUND")
    for path in ("/like", "/repost"):
        status, body = await api(stack, "POST", f"/posts/{quote('$missing')}{path}", alice)
        assert (status, body["errcode"]) == (404, "M_NOT_FOUND")
    status, body = await api(stack, "GET", "/no/such/route", alice)
    assert (status, body["errcode"]) == (404, "M_UNRECOGNIZED")
    status, body = await api(stack, "PUT", "/feed", alice)
    assert (status, body["errcode"]) == (405, "M_UNRECOGNIZED")
    feed = await api_ok(stack, "GET", "/feed", alice)
    assert feed["items"] == []


def _app_routes(stack) -> set[tuple[str, str]]:
    routes = set()
    for app in stack.bridge.az.app._subapps:
        for resource in app.router.resources():
            path = resource.canonical.removeprefix("/api/social")
            for route in resource:
                if route.method not in ("HEAD", "OPTIONS"):
                    routes.add((route.method.lower(), path))
    return routes


async def test_openapi_document_matches_the_routes(stack):
    served = await api_ok(stack, "GET", "/openapi.json")
    assert served == api_document()
    documented = {(method, path) for path, ops in served["paths"].items() for method in ops}
    assert _app_routes(stack) == documented


async def test_feed_room_name_follows_the_owner_profile(stack):
    alice = await stack.register("alice")
    post = await api_ok(stack, "POST", "/posts", alice, json={"text": "hi"})
    client = stack.nio(alice)
    await client.set_displayname("Alice Liddell")

    async def renamed():
        resp = await client.room_get_state_event(post["room_id"], "m.room.name")
        return getattr(resp, "content", {}).get("name") == "Alice Liddell"

    await eventually(renamed, what="feed room renamed after the owner")
    got = await api_ok(stack, "GET", f"/posts/{quote(post['id'], safe='')}", alice)
    assert got["author"]["display_name"] == "Alice Liddell"
