"""Profiles (people and AIs), published apps, trending, suggestions and search."""

from __future__ import annotations

from urllib.parse import quote

from nio import ProfileGetResponse, RoomGetStateEventResponse

from matrix_social import events as ev
from matrix_social.db import likes
from matrix_social.social.explore import DAY_MS, WEEK_MS

from .harness import api, api_ok, eventually


def q(value: str) -> str:
    return quote(value, safe="")


async def test_profile_edit_reaches_element_and_bad_fields_change_nothing(stack):
    alice, bob = await stack.register("alice"), await stack.register("bob")
    updated = await api_ok(stack, "PATCH", "/profile", alice, json={
        "display_name": "Alice L.", "bio": "I like tea", "interests": ["Tea", "chess", "tea"],
        "links": ["https://alice.example", {"url": "https://blog.example", "title": "Blog"}]})
    assert updated["display_name"] == "Alice L." and updated["bio"] == "I like tea"
    assert updated["interests"] == ["tea", "chess"]
    assert updated["links"][1] == {"url": "https://blog.example", "title": "Blog"}
    client = stack.nio(bob)
    profile = await client.get_profile(alice.user_id)
    assert isinstance(profile, ProfileGetResponse) and profile.displayname == "Alice L."
    room_id = updated["room_id"]

    async def topic():
        resp = await client.room_get_state_event(room_id, "m.room.topic")
        return isinstance(resp, RoomGetStateEventResponse) and resp.content.get("topic")

    assert await eventually(topic, what="topic mirrors the bio") == "I like tea"
    state = await client.room_get_state_event(room_id, str(ev.PROFILE_STATE))
    assert state.content["bio"] == "I like tea" and state.content["interests"] == ["tea", "chess"]

    async def renamed():
        resp = await client.room_get_state_event(room_id, "m.room.name")
        return isinstance(resp, RoomGetStateEventResponse) and \
            resp.content.get("name") == "Alice L."

    await eventually(renamed, what="room name follows the profile")
    for bad in ({"bio": "changed", "links": "not a list"}, {"bio": "x" * 501},
                {"display_name": ""}, {"avatar_url": "https://not-mxc"},
                {"interests": ["ok", 5]}, {"nickname": "x"}, {"links": [{"url": "ftp://x"}]}):
        status, body = await api(stack, "PATCH", "/profile", alice, json=bad)
        assert (status, body["errcode"]) == (400, "M_INVALID_PARAM"), (bad, body)
    after = await api_ok(stack, "GET", f"/profile/{alice.localpart}", bob)
    assert after["bio"] == "I like tea" and after["display_name"] == "Alice L."
    assert after["followers_count"] == 0 and after["kind"] == "human"


async def test_profile_has_counts_apps_and_recent_posts(stack):
    alice, bob = await stack.register("alice"), await stack.register("bob")
    await api_ok(stack, "POST", "/follow", bob, json={"handle": alice.localpart})
    await api_ok(stack, "POST", "/follow", alice, json={"handle": f"{bob.localpart}_ai"})
    for i in range(12):
        await api_ok(stack, "POST", "/posts", alice, json={"text": f"post {i}"})
    await api_ok(stack, "POST", "/apps", alice, json={
        "slug": "chess", "name": "Chess", "url": "https://apps.example/chess"})
    profile = await api_ok(stack, "GET", f"/profile/{q(alice.user_id)}", bob)
    assert profile["followers_count"] == 1 and profile["following_count"] == 1
    assert profile["following"] is True
    assert [p["text"] for p in profile["recent_posts"]] == [f"post {i}" for i in range(11, 1, -1)]
    assert [a["id"] for a in profile["apps"]] == [f"{alice.localpart}:chess"]
    status, body = await api(stack, "GET", "/profile/nobody_here", bob)
    assert (status, body["errcode"]) == (404, "M_NOT_FOUND")


async def test_profile_posts_and_apps_continue_by_cursor(stack):
    alice, bob = await stack.register("alice"), await stack.register("bob")
    for i in range(13):
        await api_ok(stack, "POST", "/posts", alice, json={"text": f"post {i}"})
    for slug in ("delta", "alpha", "charlie", "bravo"):
        await api_ok(stack, "POST", "/apps", alice, json={
            "slug": slug, "name": slug.title(), "url": f"https://apps.example/{slug}"})
    profile = await api_ok(stack, "GET", f"/profile/{alice.localpart}", bob)
    assert len(profile["recent_posts"]) == 10 and profile["recent_posts_next_cursor"]
    assert profile["apps_next_cursor"] is None
    assert [a["slug"] for a in profile["apps"]] == ["alpha", "bravo", "charlie", "delta"]
    texts, cursor = [p["text"] for p in profile["recent_posts"]], \
        profile["recent_posts_next_cursor"]
    for _ in range(5):
        page = await api_ok(stack, "GET", f"/profile/{alice.localpart}/posts?limit=2"
                            f"&cursor={cursor}", bob)
        texts += [p["text"] for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert texts == [f"post {i}" for i in range(12, -1, -1)]
    slugs, cursor = [], None
    for _ in range(5):
        suffix = f"&cursor={cursor}" if cursor else ""
        page = await api_ok(stack, "GET", f"/profile/{alice.localpart}/apps?limit=3{suffix}", bob)
        slugs += [a["slug"] for a in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert slugs == ["alpha", "bravo", "charlie", "delta"]
    assert page["items"][0]["installs"] == 0
    for path in (f"/profile/{alice.localpart}/posts?cursor=nonsense",
                 f"/profile/{alice.localpart}/apps?cursor=" + profile["recent_posts_next_cursor"],
                 "/profile/nobody_here/posts", f"/profile/{alice.localpart}/apps?limit=0"):
        status, body = await api(stack, "GET", path, bob)
        assert status in (400, 404) and body["errcode"] in ("M_INVALID_PARAM", "M_NOT_FOUND"), \
            (path, body)


async def test_ai_profile_set_by_owner_and_from_soul(stack):
    alice, bob = await stack.register("alice"), await stack.register("bob")
    ai = f"{alice.localpart}_ai"
    set_ = await api_ok(stack, "PATCH", "/profile/ai", alice, json={
        "personality": "Curious and kind", "skills": ["chess"], "capabilities": ["answers DMs"]})
    assert set_["kind"] == "ai" and set_["ai"]["skills"] == ["chess"]
    await api_ok(stack, "POST", "/posts", alice, json={"text": "AI activity", "as": "ai"})
    seen = await api_ok(stack, "GET", f"/profile/{ai}", bob)
    assert seen["ai"] == {"personality": "Curious and kind", "skills": ["chess"],
                          "capabilities": ["answers DMs"]}
    assert seen["owner"]["user_id"] == alice.user_id
    assert seen["display_name"] == f"{alice.localpart}'s AI"
    assert [p["text"] for p in seen["recent_posts"]] == ["AI activity"]
    state = await stack.nio(bob).room_get_state_event(seen["room_id"], str(ev.AI_PROFILE_STATE))
    assert state.content["personality"] == "Curious and kind"
    status, body = await api(stack, "PATCH", "/profile/ai", alice, json={"skills": "chess"})
    assert (status, body["errcode"]) == (400, "M_INVALID_PARAM")
    status, body = await api(stack, "POST", "/profile/ai/soul", alice)
    assert (status, body["errcode"]) == (404, "M_NOT_FOUND")
    souls = stack.root / "souls"
    souls.mkdir(exist_ok=True)
    (souls / f"{alice.localpart}.md").write_text(
        "# Alice's AI\n\nA patient teacher\nwho loves openings.\n\nMore text.\n\n"
        "## Skills\n- Chess coaching\n- Baking\n\n## Capabilities\n* Books lessons\n")
    from_soul = await api_ok(stack, "POST", "/profile/ai/soul", alice)
    assert from_soul["ai"] == {"personality": "A patient teacher who loves openings.",
                               "skills": ["Chess coaching", "Baking"],
                               "capabilities": ["Books lessons"]}


async def test_publish_share_install_and_unpublish_apps(stack):
    alice, bob, carol = [await stack.register(n) for n in ("alice", "bob", "carol")]
    app = await api_ok(stack, "POST", "/apps", alice, json={
        "slug": "chess", "name": "Chess", "description": "Play", "url": "https://a.example/c",
        "share": True, "text": "New app!"})
    app_id = f"{alice.localpart}:chess"
    assert app["id"] == app_id and app["installs"] == 0
    assert app["post"]["kind"] == "app" and app["post"]["app"]["name"] == "Chess"
    state = await stack.nio(bob).room_get_state_event(app["post"]["room_id"],
                                                      str(ev.APP_STATE), "chess")
    assert state.content["url"] == "https://a.example/c"
    for user in (bob, bob, carol):
        installed = await api_ok(stack, "POST", f"/apps/{q(app_id)}/install", user)
    assert installed["installs"] == 2
    updated = await api_ok(stack, "POST", "/apps", alice, json={
        "slug": "chess", "name": "Chess 2", "url": "https://a.example/c2"})
    assert updated["name"] == "Chess 2" and updated["installs"] == 2
    status, body = await api(stack, "DELETE", f"/apps/{q(app_id)}", bob)
    assert (status, body["errcode"]) == (403, "M_FORBIDDEN")
    for bad in ({"slug": "Bad Slug", "name": "x", "url": "https://x"},
                {"slug": "ok", "url": "https://x"}, {"slug": "ok", "name": "x", "url": "x"}):
        status, body = await api(stack, "POST", "/apps", alice, json=bad)
        assert (status, body["errcode"]) == (400, "M_INVALID_PARAM"), bad
    await api_ok(stack, "DELETE", f"/apps/{q(app_id)}", alice)
    for method, path in (("GET", f"/apps/{q(app_id)}"), ("POST", f"/apps/{q(app_id)}/install")):
        status, body = await api(stack, method, path, bob)
        assert (status, body["errcode"]) == (404, "M_NOT_FOUND")


async def test_trending_window_edges_and_order(stack):
    alice, bob, carol = [await stack.register(n) for n in ("alice", "bob", "carol")]
    old = await api_ok(stack, "POST", "/posts", alice, json={"text": "older"})
    new = await api_ok(stack, "POST", "/posts", alice, json={"text": "newer"})
    top = await api_ok(stack, "POST", "/posts", alice, json={"text": "top"})
    for post, users in ((old, [bob]), (new, [bob]), (top, [bob, carol])):
        for user in users:
            await api_ok(stack, "POST", f"/posts/{q(post['id'])}/like", user)
    trending = stack.bridge.services.trending
    like_ts = [await stack.bridge.db.fetchval(
        "SELECT MAX(ts) FROM post_like WHERE post_id=$1", p["id"]) for p in (old, new, top)]

    async def ranked(now: int, limit: int = 50) -> list[dict]:
        await trending.refresh(now=now)
        return (await api_ok(stack, "GET", f"/explore/trending?limit={limit}", bob))["items"]

    page = await ranked(max(like_ts))
    mine = [p["id"] for p in page if p["author"]["user_id"] == alice.user_id]
    assert mine == [top["id"], new["id"], old["id"]]
    by_id = {p["id"]: p for p in page}
    assert by_id[top["id"]]["likes_24h"] == 2 and by_id[top["id"]]["counts"]["likes"] == 2
    old_like = min(like_ts)
    assert old["id"] in [p["id"] for p in await ranked(old_like + DAY_MS)]
    assert old["id"] not in [p["id"] for p in await ranked(old_like + DAY_MS + 1000)]
    await trending.refresh()
    first = await api_ok(stack, "GET", "/explore/trending?limit=1", bob)
    second = await api_ok(stack, "GET", f"/explore/trending?limit=1&cursor={first['next_cursor']}",
                          bob)
    assert first["items"][0]["id"] != second["items"][0]["id"]
    assert await likes.reaction_events(stack.bridge.db, top["id"], carol.user_id)


async def test_trending_is_served_from_the_stored_ranking(stack):
    """A like after the last refresh changes the post's count at once but not its rank until
    the next refresh; a deleted post leaves the page; the ranking survives a restart."""
    alice, bob, carol = [await stack.register(n) for n in ("alice", "bob", "carol")]
    first = await api_ok(stack, "POST", "/posts", alice, json={"text": "first"})
    second = await api_ok(stack, "POST", "/posts", alice, json={"text": "second"})
    await api_ok(stack, "POST", f"/posts/{q(first['id'])}/like", bob)
    trending = stack.bridge.services.trending
    await trending.refresh()

    async def order() -> list[tuple[str, int, int]]:
        items = (await api_ok(stack, "GET", "/explore/trending?limit=100", carol))["items"]
        return [(p["id"], p["likes_24h"], p["counts"]["likes"]) for p in items
                if p["id"] in (first["id"], second["id"])]

    assert await order() == [(first["id"], 1, 1)]
    for user in (bob, carol):
        await api_ok(stack, "POST", f"/posts/{q(second['id'])}/like", user)
    assert await order() == [(first["id"], 1, 1)]
    await trending.refresh()
    assert await order() == [(second["id"], 2, 2), (first["id"], 1, 1)]
    await api_ok(stack, "DELETE", f"/posts/{q(second['id'])}", alice)
    assert await order() == [(first["id"], 1, 1)]
    await stack.stop_bridge()
    await stack.start_bridge()
    assert stack.bridge.services.trending is not trending
    assert (await order())[0][0] == first["id"]


async def test_trending_apps_window(stack):
    alice, bob = await stack.register("alice"), await stack.register("bob")
    await api_ok(stack, "POST", "/apps", alice, json={
        "slug": "notes", "name": "Notes", "url": "https://a.example/n"})
    app_id = f"{alice.localpart}:notes"
    await api_ok(stack, "POST", f"/apps/{q(app_id)}/install", bob)
    ts = await stack.bridge.db.fetchval("SELECT ts FROM app_install WHERE app_id=$1", app_id)
    explore, trending = stack.bridge.services.explore, stack.bridge.services.trending
    await trending.refresh(now=ts + WEEK_MS)
    inside = await explore.trending_apps("", None, 50)
    assert app_id in [a["id"] for a in inside["items"]]
    await trending.refresh(now=ts + WEEK_MS + 1000)
    outside = await explore.trending_apps("", None, 50)
    assert app_id not in [a["id"] for a in outside["items"]]
    await trending.refresh()
    listed = await api_ok(stack, "GET", "/explore/apps", bob)
    assert any(a["id"] == app_id and a["installs_7d"] == 1 for a in listed["items"])


async def test_suggestions_explain_and_never_include_self_or_followed(stack):
    me, friend, tea_fan, chess_user, popular, followed_fan = [
        await stack.register(n) for n in ("me", "friend", "teafan", "chessuser", "popular",
                                          "ffan")]
    await api_ok(stack, "PATCH", "/profile", me, json={"interests": ["tea", "go"]})
    await api_ok(stack, "PATCH", "/profile", tea_fan, json={"interests": ["tea"]})
    await api_ok(stack, "PATCH", "/profile", friend, json={"interests": ["tea", "go"]})
    await api_ok(stack, "POST", "/apps", popular, json={
        "slug": "chess", "name": "Chess", "url": "https://a.example/c"})
    chess = q(f"{popular.localpart}:chess")
    for user in (me, chess_user):
        await api_ok(stack, "POST", f"/apps/{chess}/install", user)
    await api_ok(stack, "POST", "/follow", me, json={"handle": friend.localpart})
    await api_ok(stack, "POST", "/follow", me, json={"handle": followed_fan.localpart})
    for fan in (friend, followed_fan):
        await api_ok(stack, "POST", "/follow", fan, json={"handle": popular.localpart})
        await api_ok(stack, "POST", "/follow", fan, json={"handle": me.localpart})
    page = await api_ok(stack, "GET", "/explore/suggestions", me)
    by_id = {s["user_id"]: s for s in page["items"]}
    assert me.user_id not in by_id
    assert friend.user_id not in by_id and followed_fan.user_id not in by_id
    assert by_id[tea_fan.user_id]["reasons"] == ["you both like tea"]
    assert by_id[chess_user.user_id]["reasons"] == ["you both use Chess"]
    assert by_id[popular.user_id]["reasons"] == ["followed by 2 people you follow"]
    first = await api_ok(stack, "GET", "/explore/suggestions?limit=1", me)
    rest = await api_ok(stack, "GET",
                        f"/explore/suggestions?limit=10&cursor={first['next_cursor']}", me)
    paged = [s["user_id"] for s in first["items"] + rest["items"]]
    assert paged == [s["user_id"] for s in page["items"]]


async def test_search_posts_users_and_apps(stack):
    alice, bob = await stack.register("zelda"), await stack.register("bob")
    await api_ok(stack, "PATCH", "/profile", alice, json={"display_name": "Princess Zelda"})
    target = await api_ok(stack, "POST", "/posts", alice,
                          json={"text": "Sailing past the xylophonic lighthouse at dawn"})
    await api_ok(stack, "POST", "/posts", alice, json={"text": "nothing to see here"})
    for i in range(3):
        await api_ok(stack, "POST", "/posts", bob, json={"text": f"xylophonic note {i}"})
    await api_ok(stack, "POST", "/apps", alice, json={
        "slug": "lighthouse", "name": "Lighthouse Keeper", "description": "Guide ships",
        "url": "https://a.example/l"})
    found = await api_ok(stack, "GET", "/search?q=lighthouse&type=posts", bob)
    assert [p["id"] for p in found["posts"]["items"]] == [target["id"]]
    assert "users" not in found and "apps" not in found
    middle = await api_ok(stack, "GET", "/search?q=XYLOPHONIC", bob)
    assert target["id"] in [p["id"] for p in middle["posts"]["items"]]
    page1 = await api_ok(stack, "GET", "/search?q=xylophonic&type=posts&limit=2", bob)
    page2 = await api_ok(stack, "GET", "/search?q=xylophonic&type=posts&limit=2&cursor="
                         f"{page1['posts']['next_cursor']}", bob)
    ids = [p["id"] for p in page1["posts"]["items"] + page2["posts"]["items"]]
    assert len(ids) == len(set(ids)) == 4 and page2["posts"]["next_cursor"] is None
    users = await api_ok(stack, "GET", f"/search?q={alice.localpart[:4]}&type=users", bob)
    assert alice.user_id in [u["user_id"] for u in users["users"]["items"]]
    by_name = await api_ok(stack, "GET", "/search?q=princess", bob)
    assert [u["user_id"] for u in by_name["users"]["items"]] == [alice.user_id]
    assert [a["name"] for a in by_name["apps"]["items"]] == []
    apps = await api_ok(stack, "GET", "/search?q=keeper&type=apps", bob)
    assert [a["id"] for a in apps["apps"]["items"]] == [f"{alice.localpart}:lighthouse"]
    for query in ("", "q=", "q=x&type=people", "q=x&cursor=abc"):
        status, body = await api(stack, "GET", f"/search?{query}", bob)
        assert (status, body["errcode"]) == (400, "M_INVALID_PARAM"), query
    edited = await api_ok(stack, "PATCH", f"/posts/{q(target['id'])}", alice,
                          json={"text": "Now about marmalade"})
    assert edited["text"] == "Now about marmalade"
    gone = await api_ok(stack, "GET", "/search?q=lighthouse&type=posts", bob)
    assert gone["posts"]["items"] == []
    now = await api_ok(stack, "GET", "/search?q=marmalade&type=posts", bob)
    assert [p["id"] for p in now["posts"]["items"]] == [target["id"]]
