"""Security: the hs_token guard, nobody acting for somebody else on any route, no secret in logs.

Also see test_foundation.py (wrong hs_token on a transaction) and
test_social_follows_feed.py (test_nobody_acts_as_another_user, test_auth_errors).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from aiohttp import web
from nio import RoomMessagesResponse

from matrix_social import events as ev
from matrix_social.matrix import txn_guard

from .harness import User, api, api_ok, eventually, open_dm, record_ingested, wait_joined
from .platform_steps import connect, through_login


def q(value: str) -> str:
    return quote(value, safe="")


# hs_token ----------------------------------------------------------------------------------


# mautrix's liveness and readiness probes: no data, meant for unauthenticated health checks
_PROBES = {"/_matrix/mau/live", "/_matrix/mau/ready"}


def _homeserver_routes(stack) -> list[tuple[str, str]]:
    """Every route of the appservice app that is not the /api/social sub-application or the
    web app's static files (/social/)."""
    routes = []
    for resource in stack.bridge.az.app.router.resources():
        if resource.canonical.startswith(("/api/social", "/social")) \
                or resource.canonical in _PROBES:
            continue
        for route in resource:
            if route.method != "HEAD":
                routes.append((route.method, resource.canonical))
    return routes


def _concrete(stack, path: str, alice: User) -> str:
    values = {"transaction_id": f"sec-{secrets.token_hex(4)}", "txnId": "sec-x",
              "user_id": f"@{alice.localpart}_ai:{stack.domain}",
              "userId": f"@{alice.localpart}_ai:{stack.domain}",
              "alias": f"#feed_{alice.localpart}:{stack.domain}"}
    for name, value in values.items():
        path = path.replace("{" + name + "}", q(value))
    assert "{" not in path, f"no value for a parameter of {path}"
    return path


async def test_homeserver_routes_refuse_a_missing_or_wrong_hs_token(stack, monkeypatch):
    alice = await stack.register("alice")
    routes = _homeserver_routes(stack)
    paths = {path for _, path in routes}
    for needed in ("/_matrix/app/v1/transactions/{transaction_id}",
                   "/_matrix/app/v1/users/{user_id}", "/_matrix/app/v1/rooms/{alias}",
                   "/_matrix/app/v1/ping"):
        assert needed in paths, f"{needed} not served? {sorted(paths)}"
    compared: list[tuple[bytes, bytes]] = []
    real = txn_guard.hmac.compare_digest

    class SpyHmac:
        @staticmethod
        def compare_digest(a, b):
            compared.append((a, b))
            return real(a, b)

    monkeypatch.setattr(txn_guard, "hmac", SpyHmac)
    hs_token = stack.config["appservice.hs_token"]
    event = {"type": "m.room.message", "room_id": f"!x:{stack.domain}",
             "sender": alice.user_id, "event_id": "$sec-forged", "origin_server_ts": 1,
             "content": {"msgtype": "m.text", "body": "forged"}}
    handled = record_ingested(stack, monkeypatch)
    wrong_tokens = ["wrong", hs_token[:-1], hs_token + "x", hs_token.upper(), "", " " + hs_token,
                    stack.config["appservice.as_token"], alice.access_token, "é" * 8]
    checked = 0
    for method, template in routes:
        url = stack.appservice_url + _concrete(stack, template, alice)
        body = {"events": [event]} if method == "PUT" else {}
        status, resp = await stack.request(method, url, json=body)
        assert (status, resp["errcode"]) == (401, "M_UNAUTHORIZED"), (method, template, resp)
        for wrong in wrong_tokens:
            compared.clear()
            for how in ("header", "query"):
                target = f"{url}?access_token={q(wrong)}" if how == "query" else url
                headers = {"Authorization": f"Bearer {wrong}"} if how == "header" else {}
                status, resp = await stack.request(method, target, json=body, headers=headers)
                if how == "header" and wrong == "":
                    # "Bearer " with nothing after: missing, or an empty (wrong) token
                    assert status in (401, 403), (method, template, status, resp)
                    continue
                assert (status, resp["errcode"]) == (403, "M_FORBIDDEN"), \
                    (method, template, how, wrong, resp)
                checked += 1
            assert compared and all(b == hs_token.encode() for _, b in compared), \
                "the hs_token was not compared with hmac.compare_digest"
    assert checked >= 4 * len(wrong_tokens)
    assert "$sec-forged" not in handled
    # the refused user and alias queries created nothing: no AI puppet, no feed room
    puppets = await stack.bridge.db.fetchval("SELECT COUNT(*) FROM ai_puppet WHERE mxid=$1",
                                             f"@{alice.localpart}_ai:{stack.domain}")
    assert puppets == 0
    rooms = await stack.bridge.db.fetchval("SELECT COUNT(*) FROM feed_room WHERE owner=$1",
                                           alice.user_id)
    assert rooms == 0
    # and the right token still works on the same routes
    url = stack.appservice_url + "/_matrix/app/v1/users/" + q(stack.mxid("nobody_here_ai"))
    status, resp = await stack.request("GET", url, token=hs_token)
    assert status == 404, resp


def test_hs_token_guard_source_compares_in_constant_time():
    """Belt and braces for the spy above: no == or != on the token in the guard."""
    import inspect

    source = inspect.getsource(txn_guard.make_txn_guard)
    assert "hmac.compare_digest(" in source
    assert "== hs_token" not in source and "!= hs_token" not in source


# Every API route, with mallory's token, against alice's things -----------------------------


def _api_routes(stack) -> set[tuple[str, str]]:
    for resource in stack.bridge.az.app.router.resources():
        if resource.canonical == "/api/social":
            sub: web.Application = resource._app
            return {(route.method, route.resource.canonical) for route in sub.router.routes()
                    if route.method != "HEAD"}
    raise AssertionError("no /api/social sub-application")


async def _sender_of(stack, room_id: str, event_id: str, reader: str) -> str:
    """Who sent the event, as the homeserver has it (read as `reader`, one of our puppets in
    the room, with the appservice's token)."""
    status, event = await stack.request(
        "GET", f"{stack.synapse.url}/_matrix/client/v3/rooms/{q(room_id)}/event/{q(event_id)}"
        f"?user_id={q(reader)}", token=stack.config["appservice.as_token"])
    assert status == 200, event
    return event["sender"]


async def _room_event_count(client, room_id: str) -> list[str]:
    resp = await client.room_messages(room_id, start="", limit=100)
    assert isinstance(resp, RoomMessagesResponse), resp
    return sorted(e.event_id for e in resp.chunk)


async def test_mallory_cannot_act_for_alice_on_any_route(stack):
    """Walks every route the API app has (a new route fails this test until it is covered):
    mallory, with her own valid token, tries to act on or as alice; every attempt is refused
    or only ever acts as mallory, and alice's things are unchanged afterwards."""
    alice, bob, mallory = [await stack.register(n) for n in ("alice", "bob", "mallory")]
    ai, mal_ai = f"{alice.localpart}_ai", f"{mallory.localpart}_ai"
    # alice's things
    await api_ok(stack, "PATCH", "/profile", alice, json={"bio": "alice's bio"})
    await api_ok(stack, "PATCH", "/profile/ai", alice, json={"personality": "kind"})
    post = await api_ok(stack, "POST", "/posts", alice, json={"text": "alice's post"})
    pid = q(post["id"])
    await api_ok(stack, "POST", f"/posts/{pid}/like", alice)
    comment = await api_ok(stack, "POST", f"/posts/{pid}/comments", alice,
                           json={"text": "alice's comment"})
    app = await api_ok(stack, "POST", "/apps", alice, json={
        "slug": "chess", "name": "Chess", "url": "https://chess.invalid"})
    await api_ok(stack, "POST", "/follow", alice, json={"handle": bob.localpart})
    dm = await api_ok(stack, "POST", "/messages/dm", alice,
                      json={"to": bob.user_id, "encrypted": False})
    group = await api_ok(stack, "POST", "/messages/groups", alice,
                         json={"name": "alice's group", "members": [bob.user_id]})
    await api_ok(stack, "PUT", "/settings", alice,
                 json={"share_game_scores": True, "timezone": "Europe/Paris"})
    alice_draft = (await api_ok(stack, "POST", "/activity", alice, json={
        "kind": "game_score", "data": {"game": "chess", "score": 1, "duration": 60}}))["draft"]
    did = q(alice_draft["id"])
    bob_client = stack.nio(bob)
    for room in (dm["room_id"], group["room_id"]):
        await bob_client.join(room)
        await wait_joined(bob_client, room, bob.user_id)
    alice_client = stack.nio(alice)
    x_account = stack.platforms.x.add_user(f"alice{secrets.token_hex(3)}")
    stack.platforms.x.oauth.authorizing_user = x_account
    await connect(stack, alice, "x")
    await api_ok(stack, "PUT", "/settings/cross_post", alice,
                 json={"cross_post_default": ["x"]})

    async def snapshot() -> dict:
        profile = await api_ok(stack, "GET", f"/profile/{alice.localpart}", alice)
        ai_profile = await api_ok(stack, "GET", f"/profile/{ai}", alice)
        for p in (profile, ai_profile):
            p.pop("recent_posts", None)
            # mallory may follow alice's AI and install her app herself: counted, not changed
            p.pop("followers_count", None)
            for a in p.get("apps", []):
                a.pop("installs", None)
                a.pop("installs_7d", None)
        got_post = await api_ok(stack, "GET", f"/posts/{pid}", alice)
        got_post.pop("counts")  # mallory may like, comment and repost: counted below
        return {
            "profile": profile, "ai": ai_profile, "post": got_post,
            "comments": [c for c in (await api_ok(
                stack, "GET", f"/posts/{pid}/comments?limit=100", alice))["items"]
                if c["author"]["user_id"] == alice.user_id],
            "app": {k: v for k, v in (await api_ok(
                stack, "GET", f"/apps/{q(app['id'])}", alice)).items() if k != "installs"},
            "following": await api_ok(stack, "GET", f"/following/{alice.localpart}", alice),
            "conversations": sorted(c["room_id"] for c in (await api_ok(
                stack, "GET", "/messages/conversations", alice))["items"]),
            "dm": await _room_event_count(alice_client, dm["room_id"]),
            "group": await _room_event_count(alice_client, group["room_id"]),
            "dm_members": await api_ok(stack, "GET",
                                       f"/messages/rooms/{q(dm['room_id'])}/members", alice),
            "group_members": await api_ok(
                stack, "GET", f"/messages/rooms/{q(group['room_id'])}/members", alice),
            "settings": await api_ok(stack, "GET", "/settings", alice),
            "drafts": await api_ok(stack, "GET", "/drafts", alice),
            "draft_preview": await api_ok(stack, "GET", f"/drafts/{did}/preview", alice),
            "connections": [{k: v for k, v in c.items() if k not in ("last_sync",
                                                                      "portal_room_id")}
                            for c in (await api_ok(stack, "GET", "/connections",
                                                   alice))["connections"]],
            "cross_post": await api_ok(stack, "GET", "/settings/cross_post", alice),
        }

    before = await snapshot()
    impersonate = {"user_id": alice.user_id, "author": alice.user_id, "sender": alice.user_id,
                   "from": ai, "owner": alice.user_id}
    refused = (400, 403, 404)

    async def as_mallory(method: str, path: str, json=None, fields=True,
                         **kw) -> tuple[int, dict]:
        sep = "&" if "?" in path else "?"
        body = {**impersonate, **json} if isinstance(json, dict) and fields else json
        return await api(stack, method, f"{path}{sep}user_id={q(alice.user_id)}", mallory,
                         json=body, **kw)

    async def refused_(method, path, json=None):
        status, body = await as_mallory(method, path, json)
        assert status in refused, (method, path, status, body)

    async def public_read(method, path, json=None):
        status, body = await as_mallory(method, path)
        assert status == 200, (method, path, status, body)

    async def health(method, path):
        await public_read(method, path)

    async def feed(method, path):
        status, body = await as_mallory(method, path)
        assert status == 200
        assert all(p["author"]["user_id"] in (mallory.user_id, stack.mxid(mal_ai))
                   for p in body["items"]), body

    async def create_post(method, path):
        for as_ in ("me", "ai"):
            status, body = await as_mallory(method, path, {"text": "mine", "as": as_})
            assert status == 201 and body["author"]["user_id"] in (
                mallory.user_id, stack.mxid(mal_ai)), body

    async def get_post(method, path):
        status, body = await as_mallory(method, f"/posts/{pid}")
        assert status == 200 and body["liked"] is False, body  # mallory's view, not alice's

    async def edit_post(method, path):
        await refused_(method, f"/posts/{pid}", {"text": "pwned"})

    async def delete_post(method, path):
        await refused_(method, f"/posts/{pid}")
        await refused_(method, f"/posts/{q(comment['id'])}")

    async def like(method, path):
        status, body = await as_mallory(method, f"/posts/{pid}/like")
        assert status == 200 and body["liked"] is True and body["counts"]["likes"] == 2, body

    async def unlike(method, path):
        for _ in range(2):  # a second unlike must not remove alice's like instead
            status, body = await as_mallory(method, f"/posts/{pid}/like")
            assert status in (200, *refused), body
        mine = await api_ok(stack, "GET", f"/posts/{pid}", alice)
        assert mine["liked"] is True and mine["counts"]["likes"] == 1, mine

    async def comment_on(method, path):
        status, body = await as_mallory(method, f"/posts/{pid}/comments",
                                        {"text": "mallory's", "reply_to": comment["id"]})
        assert status == 201 and body["author"]["user_id"] == mallory.user_id, body

    async def list_comments(method, path):
        await public_read(method, f"/posts/{pid}/comments")

    async def repost(method, path):
        status, body = await as_mallory(method, f"/posts/{pid}/repost", {"text": "rt"})
        assert status == 201 and body["author"]["user_id"] == mallory.user_id, body

    async def upload(method, path):
        status, body = await stack.request(
            method, f"{stack.api_url}/media?user_id={q(alice.user_id)}",
            token=mallory.access_token, data=b"GIF89a" + b"\x01\x00\x01\x00\x00\x00\x00;",
            headers={"Content-Type": "application/octet-stream"})
        assert status in (201, 400), body

    async def follow(method, path):
        status, body = await as_mallory(method, path, {"handle": ai})
        assert status == 200, body
        followers = await api_ok(stack, "GET", f"/followers/{ai}", mallory)
        assert mallory.user_id in {p["user_id"] for p in followers["items"]}

    async def unfollow(method, path):
        status, body = await as_mallory(method, f"/unfollow?handle={bob.localpart}",
                                        {"handle": bob.localpart})
        assert status in (200, *refused), body  # mallory does not follow bob: nothing to do

    async def people(method, path):
        await public_read(method, path.replace("{handle}", alice.localpart))

    async def get_profile(method, path):
        status, body = await as_mallory(method, f"/profile/{alice.localpart}")
        assert status == 200 and body["user_id"] == alice.user_id, body

    async def profile_posts(method, path):
        """Alice's posts as mallory sees them: hers, with mallory's own likes."""
        status, body = await as_mallory(method, path.replace("{handle}", alice.localpart))
        assert status == 200 and body["items"], body
        assert all(p["author"]["user_id"] == alice.user_id for p in body["items"]), body
        mine = {p["id"]: p["liked"] for p in body["items"]}
        for post_id, liked in mine.items():
            theirs = await api_ok(stack, "GET", f"/posts/{q(post_id)}", mallory)
            assert theirs["liked"] == liked, (post_id, theirs)

    async def profile_apps(method, path):
        status, body = await as_mallory(method, path.replace("{handle}", alice.localpart))
        assert status == 200 and [a["id"] for a in body["items"]] == [app["id"]], body

    async def patch_profile(method, path):
        status, body = await as_mallory(method, path, {"bio": "pwned"})
        assert status == 400 or status == 200 and body["user_id"] == mallory.user_id, body
        status, body = await as_mallory(method, path, {"bio": "pwned"}, fields=False)
        assert status == 200 and body["user_id"] == mallory.user_id, body

    async def patch_ai(method, path):
        status, body = await as_mallory(method, path, {"personality": "evil"})
        assert status == 400 or status == 200 and body["user_id"] == stack.mxid(mal_ai), body
        status, body = await as_mallory(method, path, {"personality": "evil"}, fields=False)
        assert status == 200 and body["user_id"] == stack.mxid(mal_ai), body

    async def soul(method, path):
        status, body = await as_mallory(method, path)
        assert status in (200, 404), body
        if status == 200:
            assert body["user_id"] == stack.mxid(mal_ai), body

    async def publish(method, path):
        status, body = await as_mallory(method, path, {
            "slug": "chess", "name": "Evil chess", "url": "https://evil.invalid"})
        assert status == 201 and body["author"]["user_id"] == mallory.user_id, body
        assert body["id"] != app["id"]

    async def get_app(method, path):
        await public_read(method, f"/apps/{q(app['id'])}")

    async def unpublish(method, path):
        await refused_(method, f"/apps/{q(app['id'])}")

    async def install(method, path):
        status, body = await as_mallory(method, f"/apps/{q(app['id'])}/install")
        assert status == 200, body  # an install by mallory herself

    async def explore_read(method, path):
        await public_read(method, path + ("?q=alice" if path == "/search" else ""))

    async def open_dm_(method, path):
        status, body = await as_mallory(method, path, {"to": bob.user_id,
                                                       "encrypted": False})
        assert status == 200 and body["room_id"] != dm["room_id"], body

    async def create_group(method, path):
        status, body = await as_mallory(method, path, {"name": "g"})
        assert status == 201 and body["room_id"] != group["room_id"], body

    async def conversations(method, path):
        status, body = await as_mallory(method, path)
        rooms = {c["room_id"] for c in body["items"]}
        assert status == 200 and not rooms & {dm["room_id"], group["room_id"]}, body

    async def in_alice_rooms(method, path, json=None):
        for room in (dm["room_id"], group["room_id"]):
            await refused_(method, path.replace("{room_id}", q(room)), json)

    async def members(method, path):
        await in_alice_rooms(method, path)

    async def invite(method, path):
        await in_alice_rooms(method, path, {"user": mallory.user_id})

    async def remove(method, path):
        await in_alice_rooms(method, path, {"user": bob.user_id})
        await in_alice_rooms(method, path, {"user": alice.user_id})

    async def leave(method, path):
        await in_alice_rooms(method, path)

    async def send(method, path):
        await in_alice_rooms(method, path, {"text": "pwned"})

    async def ai_request(method, path):
        # mallory names alice and alice's AI in every field she can: the request event must
        # still come from mallory's own AI, whichever AI she asks (bob's, or alice's own)
        for target in (stack.mxid(f"{bob.localpart}_ai"), stack.mxid(ai)):
            status, body = await as_mallory(method, path,
                                            {"to": target, "content": "hi", "timeout": 20})
            assert status == 200 and body["from"] == target, body
            sent_by = await _sender_of(stack, body["room_id"], body["request_event_id"],
                                       reader=target)
            assert sent_by == stack.mxid(mal_ai), (target, sent_by)
            asked = stack.agent.requests_for(target)[-1]
            assert asked["sender"]["user_id"] == stack.mxid(mal_ai), asked["sender"]

    async def ipc_send(method, path):
        # as herself: refused whoever asks (the service holds no one's keys)
        status, body = await as_mallory(method, path,
                                        {"to": bob.user_id, "content": "hi", "as": "human"})
        assert (status, body["errcode"]) == (403, "M_FORBIDDEN"), body
        for as_ in ("ai",):
            status, body = await as_mallory(method, path,
                                            {"to": bob.user_id, "content": "hi", "as": as_})
            assert status == 201, body
            await bob_client.join(body["room_id"])  # bob was invited to the new DM
            sent = await bob_client.room_get_event(body["room_id"], body["event_id"])
            sender = getattr(getattr(sent, "event", None), "sender", None)
            assert sender in (mallory.user_id, stack.mxid(mal_ai)), sent

    async def settings_read(method, path):
        status, body = await as_mallory(method, path)
        assert status == 200 and body["timezone"] == "UTC", body  # mallory's own settings

    async def settings_write(method, path):
        await refused_(method, path, {"share_game_scores": True})  # with the impersonation
        status, body = await as_mallory(method, path, {"share_game_scores": True,
                                                       "share_app_forks": True}, fields=False)
        assert status == 200 and body["timezone"] == "UTC", body

    async def report(method, path):
        await refused_(method, path, {"kind": "game_score", "data": {
            "game": "chess", "score": 1, "duration": 60}})
        await refused_(method, path, {"kind": "game_score", "data": {
            "game": "chess", "score": 1, "duration": 60, "user_id": alice.user_id}})
        status, body = await as_mallory(method, path, {"kind": "game_score", "data": {
            "game": "chess", "score": 1, "duration": 60}}, fields=False)
        assert status in (200, 201), body
        if body["draft"]:
            assert body["draft"]["author"]["user_id"] == mallory.user_id, body

    async def list_drafts(method, path):
        status, body = await as_mallory(method, path)
        assert status == 200 and alice_draft["id"] not in {d["id"] for d in body["items"]}

    async def alice_draft_refused(method, path):
        for fields in (True, False):
            status, body = await as_mallory(method, path.replace("{draft_id}", did),
                                            {"text": "pwned"}, fields=fields)
            assert status == 404, body  # somebody else's draft does not exist for mallory

    async def mark_public(method, path):
        await in_alice_rooms(method, path, {"public": True})
    async def own_connections(method, path):
        status, body = await as_mallory(method, path)
        assert status == 200 and body["connections"] == [], body

    async def connect_(method, path):
        status, body = await as_mallory(method, "/connections/x")
        assert status == 200 and body["authorize_url"], body  # her own login, if she wants

    async def callback(method, path):
        status, body = await as_mallory(method, "/connections/x/callback?state=forged&code=c",
                                        headers={"Accept": "application/json"})
        assert status == 400, body

    async def disconnect(method, path):
        await refused_(method, "/connections/x")

    async def confirm_(method, path):
        # alice's login came back without her browser, so it waits for her; even holding its
        # code (the strongest case: the page was shown to mallory), mallory connects nothing,
        # whatever she claims to be.
        started = await api_ok(stack, "POST", "/connections/x", alice)
        status, held, _ = await through_login(stack, started["authorize_url"])
        assert status == 202 and held["confirm"]["matrix_user"] == alice.user_id, held
        for fields in (True, False):
            status, body = await as_mallory(method, "/connections/x/confirm",
                                            {"code": held["confirm"]["code"]}, fields=fields)
            assert status == 400 and body["errcode"] == "M_INVALID_PARAM", body
        assert (await api_ok(stack, "GET", "/connections", mallory))["connections"] == []

    async def share(method, path):
        await refused_(method, "/connections/x", {"share_with_followers": True})

    async def own_settings(method, path):
        status, body = await as_mallory(method, path, {"cross_post_default": ["mastodon"]})
        assert status == 200 and body["cross_post_default"] == (
            ["mastodon"] if method == "PUT" else []), body

    async def preview(method, path):
        status, body = await as_mallory(method, path, {"text": "hi"})
        assert status == 200 and {t["target"] for t in body["targets"]} == {
            "x", "mastodon", "instagram"}, body  # hers: no default targets of alice's

    async def platform_media(method, path):
        status, body = await as_mallory(method, "/platform-media/forged.jpg")
        assert status in refused, body

    attacks: dict[tuple[str, str], Callable[[str, str], Awaitable[None]]] = {
        ("GET", "/api/social/connections"): own_connections,
        ("POST", "/api/social/connections/{platform}"): connect_,
        ("GET", "/api/social/connections/{platform}/callback"): callback,
        ("DELETE", "/api/social/connections/{platform}"): disconnect,
        ("POST", "/api/social/connections/{platform}/confirm"): confirm_,
        ("PATCH", "/api/social/connections/{platform}"): share,
        ("GET", "/api/social/settings/cross_post"): own_settings,
        ("PUT", "/api/social/settings/cross_post"): own_settings,
        ("POST", "/api/social/posts/preview"): preview,
        ("GET", "/api/social/platform-media/{token}"): platform_media,
        ("GET", "/api/social/health"): health,
        ("GET", "/api/social/openapi.json"): health,
        ("GET", "/api/social/feed"): feed,
        ("POST", "/api/social/posts"): create_post,
        ("GET", "/api/social/posts/{post_id}"): get_post,
        ("PATCH", "/api/social/posts/{post_id}"): edit_post,
        ("DELETE", "/api/social/posts/{post_id}"): delete_post,
        ("POST", "/api/social/posts/{post_id}/like"): like,
        ("DELETE", "/api/social/posts/{post_id}/like"): unlike,
        ("POST", "/api/social/posts/{post_id}/comments"): comment_on,
        ("GET", "/api/social/posts/{post_id}/comments"): list_comments,
        ("POST", "/api/social/posts/{post_id}/repost"): repost,
        ("POST", "/api/social/media"): upload,
        ("POST", "/api/social/follow"): follow,
        ("DELETE", "/api/social/unfollow"): unfollow,
        ("GET", "/api/social/followers/{handle}"): people,
        ("GET", "/api/social/following/{handle}"): people,
        ("GET", "/api/social/profile/{handle}"): get_profile,
        ("GET", "/api/social/profile/{handle}/posts"): profile_posts,
        ("GET", "/api/social/profile/{handle}/apps"): profile_apps,
        ("PATCH", "/api/social/profile"): patch_profile,
        ("PATCH", "/api/social/profile/ai"): patch_ai,
        ("POST", "/api/social/profile/ai/soul"): soul,
        ("POST", "/api/social/apps"): publish,
        ("GET", "/api/social/apps/{app_id}"): get_app,
        ("DELETE", "/api/social/apps/{app_id}"): unpublish,
        ("POST", "/api/social/apps/{app_id}/install"): install,
        ("GET", "/api/social/explore/trending"): explore_read,
        ("GET", "/api/social/explore/apps"): explore_read,
        ("GET", "/api/social/explore/suggestions"): explore_read,
        ("GET", "/api/social/search"): explore_read,
        ("POST", "/api/social/messages/dm"): open_dm_,
        ("POST", "/api/social/messages/groups"): create_group,
        ("GET", "/api/social/messages/conversations"): conversations,
        ("GET", "/api/social/messages/rooms/{room_id}/members"): members,
        ("POST", "/api/social/messages/rooms/{room_id}/invite"): invite,
        ("POST", "/api/social/messages/rooms/{room_id}/remove"): remove,
        ("POST", "/api/social/messages/rooms/{room_id}/leave"): leave,
        ("POST", "/api/social/messages/rooms/{room_id}/send"): send,
        ("POST", "/api/social/ai/request"): ai_request,
        ("POST", "/api/social/ipc/send_matrix_message"): ipc_send,
        ("GET", "/api/social/settings"): settings_read,
        ("PUT", "/api/social/settings"): settings_write,
        ("GET", "/api/social/settings/social-config"): settings_read,
        ("PUT", "/api/social/settings/social-config"): settings_write,
        ("POST", "/api/social/activity"): report,
        ("POST", "/api/social/ipc/report_activity"): report,
        ("GET", "/api/social/drafts"): list_drafts,
        ("GET", "/api/social/drafts/{draft_id}"): alice_draft_refused,
        ("PATCH", "/api/social/drafts/{draft_id}"): alice_draft_refused,
        ("DELETE", "/api/social/drafts/{draft_id}"): alice_draft_refused,
        ("GET", "/api/social/drafts/{draft_id}/preview"): alice_draft_refused,
        ("POST", "/api/social/drafts/{draft_id}/publish"): alice_draft_refused,
        ("PUT", "/api/social/ai/conversations/{room_id}/public"): mark_public,
    }
    routes = _api_routes(stack)
    assert routes - set(attacks) == set(), "routes without an impersonation check"
    assert set(attacks) - routes == set(), "checks for routes that no longer exist"
    for (method, path), attack in sorted(attacks.items()):
        await attack(method, path.removeprefix("/api/social"))

    after = await snapshot()
    for key in before:
        if isinstance(before[key], dict):
            changed = {k: (before[key].get(k), after[key].get(k))
                       for k in before[key].keys() | after[key].keys()
                       if before[key].get(k) != after[key].get(k)}
            assert not changed, (key, changed)
    assert after == before
    final = await api_ok(stack, "GET", f"/posts/{pid}", alice)
    assert final["liked"] is True and final["text"] == "alice's post"


async def test_an_ai_request_is_answered_for_its_real_sender_whatever_it_claims(stack):
    """Over Matrix, mallory sends alice's AI an ai_request whose content names alice (and
    alice's AI) as the requester: the AI answers it as mallory's request, to mallory."""
    alice, mallory = await stack.register("alice"), await stack.register("mallory")
    ai = stack.mxid(f"{alice.localpart}_ai")
    room_id = await open_dm(stack, mallory, ai)
    client = stack.nio(mallory)
    claims = {"from": alice.user_id, "sender": alice.user_id, "user_id": alice.user_id,
              "requester": ai, "as": "ai", "on_behalf_of": alice.user_id}
    sent = await client.room_send(room_id, str(ev.AI_REQUEST), {
        "request_id": "claims-1", "to": ai, "body": "as alice", **claims})

    async def answered():
        events = await client.room_messages(room_id, start="", limit=20)
        return [e.source for e in getattr(events, "chunk", [])
                if e.source["type"] == str(ev.AI_RESPONSE)]

    [response] = await eventually(answered, what="the AI's ai_response")
    assert response["sender"] == ai
    assert response["content"]["m.relates_to"]["event_id"] == sent.event_id
    asked = stack.agent.requests_for(ai)[-1]
    assert asked["message"]["event_id"] == sent.event_id
    assert asked["sender"]["user_id"] == mallory.user_id and asked["sender_is_owner"] is False
    assert alice.user_id not in str(asked["sender"]), asked["sender"]


# No secret in the logs ---------------------------------------------------------------------


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:  # a broken record must not hide others
            text = f"{record.msg!r} {record.args!r}"
        self.lines.append(f"{record.name} {record.levelname} {text} {record.exc_text or ''}")
        if record.exc_info:
            self.lines.append(logging.Formatter().formatException(record.exc_info))


async def _tokens_where_a_log_would_catch_them(stack, alice) -> str:
    """A bad bearer token, a token in the query string, a transaction with the hs_token in
    the query; returns the hs_token."""
    await stack.request("GET", f"{stack.api_url}/feed", token="syt_not_a_real_token")
    await stack.request("GET", f"{stack.api_url}/feed?access_token={alice.access_token}")
    hs = stack.config["appservice.hs_token"]
    await stack.request("PUT", f"{stack.appservice_url}/_matrix/app/v1/transactions/"
                        f"log-{secrets.token_hex(3)}?access_token={hs}", json={"events": []})
    return hs


async def test_no_token_or_secret_in_the_in_process_logs(stack):
    """Everything logged at DEBUG while tokens are in use: API calls, transactions (hs_token),
    appservice requests (as_token), a failed login, a bad token."""
    handler = _Collect()
    root = logging.getLogger()
    # every logger at DEBUG, including those the config keeps quieter (aiohttp's access log)
    loggers = [root, *(logging.getLogger(name) for name in list(root.manager.loggerDict))]
    levels = {lg: lg.level for lg in loggers}
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
    root.addHandler(handler)
    try:
        alice, bob = await stack.register("alice"), await stack.register("bob")
        post = await api_ok(stack, "POST", "/posts", alice, json={"text": "hi"})
        await api_ok(stack, "POST", f"/posts/{q(post['id'])}/like", bob)
        await api_ok(stack, "POST", "/follow", bob, json={"handle": alice.localpart})
        room = await open_dm(stack, alice, stack.mxid(f"{alice.localpart}_ai"))
        client = stack.nio(alice)
        await client.room_send(room, "m.room.message", {"msgtype": "m.text", "body": "hello"})
        await api(stack, "GET", "/feed", None)
        hs = await _tokens_where_a_log_would_catch_them(stack, alice)

        async def answered() -> bool:
            resp = await client.room_messages(room, start="", limit=20)
            return any(e.sender.endswith(f"_ai:{stack.domain}") and
                       getattr(e, "body", None) for e in getattr(resp, "chunk", []))

        await eventually(answered, timeout=30, what="the AI answered")
    finally:
        root.removeHandler(handler)
        for lg, level in levels.items():
            lg.setLevel(level)
    assert len(handler.lines) > 50, "nothing was logged: the check would prove nothing"
    assert any("aiohttp.access" in line for line in handler.lines), "no access log captured"
    secrets_ = {"as_token": stack.config["appservice.as_token"], "hs_token": hs,
                "alice token": alice.access_token, "bob token": bob.access_token}
    leaks = [(name, line[:300]) for line in handler.lines for name, value in secrets_.items()
             if value in line]
    assert leaks == [], leaks[:5]


async def test_no_token_or_secret_in_the_subprocess_logs(process_stack):
    """The bridge as its own process, logging DEBUG to a file: API use, transactions, and the
    OpenAI-compatible backend called with its API key (a platform secret)."""
    stack = process_stack
    alice, bob = await stack.register("alice"), await stack.register("bob")
    await api_ok(stack, "POST", "/posts", alice, json={"text": "hi"})
    await api_ok(stack, "POST", "/follow", bob, json={"handle": alice.localpart})
    ai = stack.mxid(f"{alice.localpart}_ai")
    room = await open_dm(stack, alice, ai)
    client = stack.nio(alice)
    await client.room_send(room, "m.room.message", {"msgtype": "m.text", "body": "hello AI"})
    await _tokens_where_a_log_would_catch_them(stack, alice)

    async def answered() -> bool:
        resp = await client.room_messages(room, start="", limit=20)
        return any(e.sender == ai and "model says" in (getattr(e, "body", "") or "")
                   for e in getattr(resp, "chunk", []))

    await eventually(answered, timeout=40, what="the AI answered through the OpenAI backend")
    assert stack.openai.requests, "the OpenAI backend (and its key) was never used"
    await stack.stop_bridge()  # flush everything to the log file
    await stack.start_bridge()
    log = stack.log_path.read_text(errors="replace")
    assert "DEBUG" in log and len(log.splitlines()) > 50
    assert "aiohttp.access" in log, "the access log (request lines with query strings) is on"
    found = {name: value for name, value in {
        **stack.secrets(), "alice token": alice.access_token, "bob token": bob.access_token,
    }.items() if value in log}
    assert found == {}, f"secrets in the bridge log: {sorted(found)}"


def test_log_redaction_covers_arguments_headers_and_known_secrets():
    from matrix_social import log_redact

    secret = "sk-" + secrets.token_hex(12)
    log_redact.install(secret)
    handler = _Collect()
    logger = logging.getLogger("matrix_social.test_redaction")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        logger.debug("GET %s", "/x?user_id=@a:b&access_token=syt_abc123&limit=1")
        logger.info("headers: %r", {"Authorization": "Bearer syt_secretvalue1"})
        logger.warning("backend key %s failed", secret)
        logger.error("plain line without secrets")
        logger.info("GET /api/social/connections/x/callback?state=st4te9&code=c0de9 200")
        logger.info('{"formatted_body": "<a href=\\"https://x.com/i?a=1&amp;state=st8te7\\">"}')
    finally:
        logger.removeHandler(handler)
    text = "\n".join(handler.lines)
    for leaked in ("syt_abc123", "syt_secretvalue1", secret, "st4te9", "c0de9", "st8te7"):
        assert leaked not in text, text
    assert "access_token=<redacted>&limit=1" in text and "plain line without secrets" in text
