"""Security: the hs_token guard, nobody acting for somebody else on any route, no secret in logs.

Also see test_foundation.py (wrong hs_token on a transaction) and
test_social_follows_feed.py (test_nobody_acts_as_another_user, test_auth_errors).
"""

from __future__ import annotations

import inspect
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
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
#
# A table: one row per attempt (route, what mallory calls, the body, what must come back).
# mallory sends her own valid token, names alice in the query (?user_id=) and, unless the row
# says otherwise, in every field a body could name somebody by; every attempt is refused or
# acts only as mallory, and alice's things are unchanged afterwards. A route the app registers
# without a row fails the test.

REFUSED = (400, 403, 404)
Check = Callable[[int, Any], "bool | None | Awaitable[bool | None]"]


@dataclass(frozen=True)
class Attack:
    route: str                     # "METHOD /template", as the app registers it
    path: str | None = None        # what mallory calls; default: the template itself
    body: Any = None               # JSON (alice's identity added unless `bare`)
    expect: Check = lambda status, _: status in REFUSED
    bare: bool = False
    data: bytes | None = None      # a raw body instead of JSON
    headers: dict[str, str] = field(default_factory=dict)


def _ok(status: int = 200) -> Check:
    return lambda got, _: got == status


def _api_routes(stack) -> set[str]:
    for resource in stack.bridge.az.app.router.resources():
        if resource.canonical == "/api/social":
            sub: web.Application = resource._app
            return {f"{route.method} {route.resource.canonical.removeprefix('/api/social')}"
                    for route in sub.router.routes() if route.method != "HEAD"}
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


class World:
    """alice's things, and who is who."""

    async def make(self, stack) -> World:
        self.stack = stack
        alice, bob, mallory = [await stack.register(n) for n in ("alice", "bob", "mallory")]
        self.alice, self.bob, self.mallory = alice, bob, mallory
        self.ai, self.mal_ai = f"{alice.localpart}_ai", f"{mallory.localpart}_ai"
        self.mallorys = (mallory.user_id, stack.mxid(self.mal_ai))
        await api_ok(stack, "PATCH", "/profile", alice, json={"bio": "alice's bio"})
        await api_ok(stack, "PATCH", "/profile/ai", alice, json={"personality": "kind"})
        self.post = await api_ok(stack, "POST", "/posts", alice, json={"text": "alice's post"})
        self.pid = q(self.post["id"])
        await api_ok(stack, "POST", f"/posts/{self.pid}/like", alice)
        await api_ok(stack, "POST", f"/posts/{self.pid}/bookmark", alice)
        self.comment = await api_ok(stack, "POST", f"/posts/{self.pid}/comments", alice,
                                    json={"text": "alice's comment"})
        self.app = await api_ok(stack, "POST", "/apps", alice, json={
            "slug": "chess", "name": "Chess", "url": "https://chess.invalid"})
        await api_ok(stack, "POST", "/follow", alice, json={"handle": bob.localpart})
        self.dm = await api_ok(stack, "POST", "/messages/dm", alice,
                               json={"to": bob.user_id, "encrypted": False})
        self.group = await api_ok(stack, "POST", "/messages/groups", alice,
                                  json={"name": "alice's group", "members": [bob.user_id]})
        self.rooms = (q(self.dm["room_id"]), q(self.group["room_id"]))
        await api_ok(stack, "PUT", "/settings", alice,
                     json={"share_game_scores": True, "timezone": "Europe/Paris"})
        self.draft = (await api_ok(stack, "POST", "/activity", alice, json={
            "kind": "game_score", "data": {"game": "chess", "score": 1, "duration": 60}}))["draft"]
        self.bob_client = stack.nio(bob)
        for room in (self.dm["room_id"], self.group["room_id"]):
            await self.bob_client.join(room)
            await wait_joined(self.bob_client, room, bob.user_id)
        self.alice_client = stack.nio(alice)
        x_account = stack.platforms.x.add_user(f"alice{secrets.token_hex(3)}")
        stack.platforms.x.oauth.authorizing_user = x_account
        await connect(stack, alice, "x")
        await api_ok(stack, "PUT", "/settings/cross_post", alice,
                     json={"cross_post_default": ["x"]})
        # alice's second login came back without her browser, so it waits for her; even
        # holding its code (the strongest case: the page was shown to mallory), mallory must
        # connect nothing, whatever she claims to be.
        started = await api_ok(stack, "POST", "/connections/x", alice)
        status, held, _ = await through_login(stack, started["authorize_url"])
        assert status == 202 and held["confirm"]["matrix_user"] == alice.user_id, held
        self.held_code = held["confirm"]["code"]
        return self

    async def snapshot(self) -> dict:
        stack, alice, pid = self.stack, self.alice, self.pid
        profile = await api_ok(stack, "GET", f"/profile/{alice.localpart}", alice)
        ai_profile = await api_ok(stack, "GET", f"/profile/{self.ai}", alice)
        for p in (profile, ai_profile):
            p.pop("recent_posts", None)
            # mallory may follow alice's AI and install her app herself: counted, not changed
            p.pop("followers_count", None)
            for a in p.get("apps", []):
                a.pop("installs", None)
                a.pop("installs_7d", None)
        got_post = await api_ok(stack, "GET", f"/posts/{pid}", alice)
        got_post.pop("counts")  # mallory may like, comment and repost: counted below
        dm, group = self.dm["room_id"], self.group["room_id"]
        return {
            "profile": profile, "ai": ai_profile, "post": got_post,
            "comments": [c for c in (await api_ok(
                stack, "GET", f"/posts/{pid}/comments?limit=100", alice))["items"]
                if c["author"]["user_id"] == alice.user_id],
            "app": {k: v for k, v in (await api_ok(
                stack, "GET", f"/apps/{q(self.app['id'])}", alice)).items() if k != "installs"},
            "following": await api_ok(stack, "GET", f"/following/{alice.localpart}", alice),
            "conversations": sorted(c["room_id"] for c in (await api_ok(
                stack, "GET", "/messages/conversations", alice))["items"]),
            "dm": await _room_event_count(self.alice_client, dm),
            "group": await _room_event_count(self.alice_client, group),
            "dm_members": await api_ok(stack, "GET", f"/messages/rooms/{q(dm)}/members", alice),
            "group_members": await api_ok(stack, "GET", f"/messages/rooms/{q(group)}/members",
                                          alice),
            "settings": await api_ok(stack, "GET", "/settings", alice),
            "drafts": await api_ok(stack, "GET", "/drafts", alice),
            "draft_preview": await api_ok(stack, "GET",
                                          f"/drafts/{q(self.draft['id'])}/preview", alice),
            "connections": [{k: v for k, v in c.items() if k not in ("last_sync",
                                                                      "portal_room_id")}
                            for c in (await api_ok(stack, "GET", "/connections",
                                                   alice))["connections"]],
            "cross_post": await api_ok(stack, "GET", "/settings/cross_post", alice),
            "bookmarks": [p["id"] for p in (await api_ok(stack, "GET", "/bookmarks",
                                                         alice))["items"]],
        }

    async def as_mallory(self, attack: Attack) -> tuple[int, Any]:
        method, template = attack.route.split(" ", 1)
        path = attack.path or template
        path += ("&" if "?" in path else "?") + f"user_id={q(self.alice.user_id)}"
        if attack.data is not None:
            return await self.stack.request(
                method, f"{self.stack.api_url}{path}", token=self.mallory.access_token,
                data=attack.data, headers={"Content-Type": "application/octet-stream"})
        impersonate = {"user_id": self.alice.user_id, "author": self.alice.user_id,
                       "sender": self.alice.user_id, "from": self.ai,
                       "owner": self.alice.user_id}
        body = attack.body
        if isinstance(body, dict) and not attack.bare:
            body = {**impersonate, **body}
        return await api(self.stack, method, path, self.mallory, json=body,
                         headers=attack.headers or None)


def attacks(w: World) -> list[Attack]:
    stack, alice, bob, mallory = w.stack, w.alice, w.bob, w.mallory
    pid, did, app_id = w.pid, q(w.draft["id"]), q(w.app["id"])
    score = {"game": "chess", "score": 1, "duration": 60}

    async def alice_still_likes(status: int, _: Any) -> bool:
        mine = await api_ok(stack, "GET", f"/posts/{pid}", alice)
        return status in (200, *REFUSED) and mine["liked"] and mine["counts"]["likes"] == 1

    async def followed_by_mallory(status: int, _: Any) -> bool:
        followers = await api_ok(stack, "GET", f"/followers/{w.ai}", mallory)
        return status == 200 and mallory.user_id in {p["user_id"] for p in followers["items"]}

    async def alices_posts_with_mallorys_likes(status: int, body: Any) -> bool:
        assert status == 200 and body["items"], body
        assert all(p["author"]["user_id"] == alice.user_id for p in body["items"]), body
        for post in body["items"]:
            theirs = await api_ok(stack, "GET", f"/posts/{q(post['id'])}", mallory)
            assert theirs["liked"] == post["liked"], (post["id"], theirs)
        return True

    async def nothing_connected(status: int, body: Any) -> bool:
        mine = await api_ok(stack, "GET", "/connections", mallory)
        return status == 400 and body["errcode"] == "M_INVALID_PARAM" and \
            mine["connections"] == []

    def sent_by_mallorys_ai(target: str) -> Check:
        """The request event comes from mallory's AI, whatever she claimed, and the asked AI
        is told so."""
        async def check(status: int, body: Any) -> bool:
            assert status == 200 and body["from"] == target, body
            sent_by = await _sender_of(stack, body["room_id"], body["request_event_id"],
                                       reader=target)
            asked = stack.agent.requests_for(target)[-1]
            return sent_by == asked["sender"]["user_id"] == stack.mxid(w.mal_ai)
        return check

    async def bob_sees_mallory(status: int, body: Any) -> bool:
        assert status == 201, body
        await w.bob_client.join(body["room_id"])  # bob was invited to the new DM
        sent = await w.bob_client.room_get_event(body["room_id"], body["event_id"])
        return getattr(getattr(sent, "event", None), "sender", None) in w.mallorys

    def in_alice_rooms(route: str, *bodies: Any) -> list[Attack]:
        return [Attack(route, route.split(" ", 1)[1].replace("{room_id}", room), body)
                for room in w.rooms for body in (bodies or (None,))]

    public = _ok(200)
    return [
        Attack("GET /health", expect=public),
        Attack("GET /openapi.json", expect=public),
        # posts
        Attack("GET /feed", expect=lambda s, b: s == 200 and all(
            p["author"]["user_id"] in w.mallorys for p in b["items"])),
        *(Attack("POST /posts", body={"text": "mine", "as": as_}, expect=lambda s, b: (
            s == 201 and b["author"]["user_id"] in w.mallorys)) for as_ in ("me", "ai")),
        Attack("GET /posts/{post_id}", f"/posts/{pid}",  # mallory's view, not alice's
               expect=lambda s, b: s == 200 and b["liked"] is False),
        Attack("PATCH /posts/{post_id}", f"/posts/{pid}", {"text": "pwned"}),
        Attack("DELETE /posts/{post_id}", f"/posts/{pid}"),
        Attack("DELETE /posts/{post_id}", f"/posts/{q(w.comment['id'])}"),
        Attack("POST /posts/{post_id}/like", f"/posts/{pid}/like", expect=lambda s, b: (
            s == 200 and b["liked"] is True and b["counts"]["likes"] == 2)),
        # a second unlike must not remove alice's like instead
        Attack("DELETE /posts/{post_id}/like", f"/posts/{pid}/like",
               expect=lambda s, _: s in (200, *REFUSED)),
        Attack("DELETE /posts/{post_id}/like", f"/posts/{pid}/like", expect=alice_still_likes),
        Attack("POST /posts/{post_id}/comments", f"/posts/{pid}/comments",
               {"text": "mallory's", "reply_to": w.comment["id"]},
               expect=lambda s, b: s == 201 and b["author"]["user_id"] == mallory.user_id),
        Attack("GET /posts/{post_id}/comments", f"/posts/{pid}/comments", expect=public),
        Attack("POST /posts/{post_id}/repost", f"/posts/{pid}/repost", {"text": "rt"},
               expect=lambda s, b: s == 201 and b["author"]["user_id"] == mallory.user_id),
        Attack("POST /media", data=b"GIF89a" + b"\x01\x00\x01\x00\x00\x00\x00;",
               expect=lambda s, _: s in (201, 400)),
        # cross-posting
        Attack("POST /posts/preview", body={"text": "hi"},  # hers: no default targets of alice's
               expect=lambda s, b: s == 200 and {t["target"] for t in b["targets"]} == {
                   "x", "mastodon", "instagram", "bluesky"}),
        Attack("GET /settings/cross_post", body={"cross_post_default": ["mastodon"]},
               expect=lambda s, b: s == 200 and b["cross_post_default"] == []),
        Attack("PUT /settings/cross_post", body={"cross_post_default": ["mastodon"]},
               expect=lambda s, b: s == 200 and b["cross_post_default"] == ["mastodon"]),
        Attack("GET /platform-media/{token}", "/platform-media/forged.jpg"),
        # external accounts
        Attack("GET /connections", expect=lambda s, b: s == 200 and b["connections"] == []),
        Attack("POST /connections/{platform}", "/connections/x",  # her own login, if she wants
               expect=lambda s, b: s == 200 and bool(b["authorize_url"])),
        Attack("GET /connections/{platform}/callback", "/connections/x/callback?state=forged"
               "&code=c", headers={"Accept": "application/json"}, expect=_ok(400)),
        Attack("DELETE /connections/{platform}", "/connections/x"),
        *(Attack("POST /connections/{platform}/confirm", "/connections/x/confirm",
                 {"code": w.held_code}, bare=bare, expect=nothing_connected)
          for bare in (False, True)),
        Attack("PATCH /connections/{platform}", "/connections/x",
               {"share_with_followers": True}),
        # follows
        Attack("POST /follow", body={"handle": w.ai}, expect=followed_by_mallory),
        # alice's DM with bob is no group: following it must not let mallory in
        Attack("POST /follow", body={"room": w.dm["room_id"]}, expect=_ok(403)),
        Attack("GET /follows", expect=lambda s, b: s == 200 and bob.user_id not in {
            item.get("user_id") for item in b["items"]}),
        # mallory does not follow bob: nothing to do
        Attack("DELETE /unfollow", f"/unfollow?handle={bob.localpart}",
               {"handle": bob.localpart}, expect=lambda s, _: s in (200, *REFUSED)),
        Attack("GET /followers/{handle}", f"/followers/{alice.localpart}", expect=public),
        Attack("GET /following/{handle}", f"/following/{alice.localpart}", expect=public),
        # profiles and apps
        Attack("GET /profile/{handle}", f"/profile/{alice.localpart}",
               expect=lambda s, b: s == 200 and b["user_id"] == alice.user_id),
        Attack("GET /profile/{handle}/posts", f"/profile/{alice.localpart}/posts",
               expect=alices_posts_with_mallorys_likes),
        Attack("GET /profile/{handle}/apps", f"/profile/{alice.localpart}/apps",
               expect=lambda s, b: s == 200 and [a["id"] for a in b["items"]] == [w.app["id"]]),
        Attack("PATCH /profile", body={"bio": "pwned"}, expect=lambda s, b: s == 400 or (
            s == 200 and b["user_id"] == mallory.user_id)),
        Attack("PATCH /profile", body={"bio": "pwned"}, bare=True,
               expect=lambda s, b: s == 200 and b["user_id"] == mallory.user_id),
        Attack("PATCH /profile/ai", body={"personality": "evil"}, expect=lambda s, b: (
            s == 400 or s == 200 and b["user_id"] == stack.mxid(w.mal_ai))),
        Attack("PATCH /profile/ai", body={"personality": "evil"}, bare=True,
               expect=lambda s, b: s == 200 and b["user_id"] == stack.mxid(w.mal_ai)),
        Attack("POST /profile/ai/soul", expect=lambda s, b: s == 404 or (
            s == 200 and b["user_id"] == stack.mxid(w.mal_ai))),
        Attack("POST /apps", body={"slug": "chess", "name": "Evil chess",
                                   "url": "https://evil.invalid"},
               expect=lambda s, b: s == 201 and b["author"]["user_id"] == mallory.user_id
               and b["id"] != w.app["id"]),
        Attack("GET /apps/{app_id}", f"/apps/{app_id}", expect=public),
        Attack("DELETE /apps/{app_id}", f"/apps/{app_id}"),
        # an install by mallory herself
        Attack("POST /apps/{app_id}/install", f"/apps/{app_id}/install", expect=public),
        # explore
        Attack("GET /explore/trending", expect=public),
        Attack("GET /explore/apps", expect=public),
        Attack("GET /explore/suggestions", expect=public),
        Attack("GET /search", "/search?q=alice", expect=public),
        # tags, bookmarks (mallory's own, never alice's), link previews (asked as mallory)
        Attack("GET /tags/{tag}", "/tags/matrix", expect=public),
        Attack("GET /trends/tags", expect=public),
        Attack("GET /bookmarks", expect=lambda s, b: s == 200 and b["items"] == []),
        Attack("POST /posts/{post_id}/bookmark", f"/posts/{pid}/bookmark",
               expect=lambda s, b: s == 200 and b["bookmarked"] is True),
        Attack("DELETE /posts/{post_id}/bookmark", f"/posts/{pid}/bookmark",
               expect=lambda s, b: s == 200 and b["bookmarked"] is False),
        Attack("GET /previews", f"/previews?url={q('http://10.0.0.1/')}",
               expect=lambda s, b: s == 200 and b["available"] is False),
        Attack("GET /explore/interests", expect=public),
        # safety: mallory's own lists and choices; alice's are neither shown nor changed
        Attack("GET /blocks", expect=lambda s, b: s == 200 and b["items"] == []),
        Attack("POST /blocks", body={"user_id": stack.mxid("nobody-at-all")}, bare=True,
               expect=lambda s, b: s in (200, 400, 404)),
        Attack("DELETE /blocks/{user_id}", f"/blocks/{q(alice.user_id)}",
               expect=lambda s, b: s in (200, 404)),
        Attack("GET /mutes", expect=_ok(200)),
        Attack("POST /mutes", body={"user_id": bob.user_id}, bare=True,
               expect=lambda s, b: s in (200, 201)),
        Attack("DELETE /mutes/{user_id}", f"/mutes/{q(bob.user_id)}",
               expect=lambda s, b: s in (200, 404)),
        Attack("GET /muted_words", expect=_ok(200)),
        Attack("POST /muted_words", body={"word": "pwned", "contexts": ["feed"]},
               expect=lambda s, b: s in (200, 201)),
        Attack("DELETE /muted_words/{word_id}", "/muted_words/999999",
               expect=lambda s, b: s in (400, 404)),
        *(Attack("POST /reports", body={"event_id": w.post["id"], "reason": "test",
                                        "category": "spam"}, bare=bare,
                 expect=lambda s, b: s in (200, 201, 202, 400))
          for bare in (False, True)),
        Attack("GET /moderation/reports", expect=_ok(403)),
        # moderation is the homeserver's admins' (mallory is none, whoever she names)
        Attack("GET /moderation/me", expect=lambda s, b: s == 200 and b == {
            "user_id": mallory.user_id, "is_admin": False}),
        Attack("GET /moderation/reports/{report_id}", "/moderation/reports/1",
               expect=_ok(403)),
        Attack("POST /moderation/reports/{report_id}/resolve", "/moderation/reports/1/resolve",
               {"reason": "pwned"}, expect=_ok(403)),
        Attack("POST /moderation/takedown", body={"event_id": w.post["id"], "reason": "pwned"},
               expect=_ok(403)),
        Attack("POST /moderation/suspend", body={"user_id": alice.user_id, "reason": "pwned"},
               expect=_ok(403)),
        Attack("POST /moderation/unsuspend", body={"user_id": alice.user_id, "reason": "pwned"},
               expect=_ok(403)),
        Attack("GET /moderation/policies", expect=_ok(403)),
        Attack("GET /moderation/suspensions", expect=_ok(403)),
        Attack("GET /moderation/actions", expect=_ok(403)),
        # notifications and the live stream: hers, never alice's
        Attack("GET /notifications", expect=lambda s, b: s == 200 and all(
            n.get("post_id") != w.post["id"] for n in b["items"])),
        Attack("GET /notifications/unread_count", expect=_ok(200)),
        Attack("POST /notifications/read", body={"up_to": "0"},
               expect=lambda s, b: s in (200, 400)),
        Attack("POST /events/ticket", expect=_ok(200)),
        Attack("POST /events/watch", body={"post_ids": [w.post["id"]]}, expect=_ok(200)),
        # the access token never in a URL: refused before any stream starts
        Attack("GET /events", "/events?access_token=forged", expect=_ok(400)),
        Attack("POST /connections/{platform}/app-password", "/connections/bluesky/app-password",
               {"identifier": "alice.example", "password": "x"},
               expect=lambda s, b: s in (400, 401, 404)),
        # messages
        Attack("POST /messages/dm", body={"to": bob.user_id, "encrypted": False},
               expect=lambda s, b: s == 200 and b["room_id"] != w.dm["room_id"]),
        Attack("POST /messages/groups", body={"name": "g"},
               expect=lambda s, b: s == 201 and b["room_id"] != w.group["room_id"]),
        Attack("GET /messages/conversations", expect=lambda s, b: s == 200 and not (
            {c["room_id"] for c in b["items"]} & {w.dm["room_id"], w.group["room_id"]})),
        *in_alice_rooms("GET /messages/rooms/{room_id}/members"),
        *in_alice_rooms("POST /messages/rooms/{room_id}/invite", {"user": mallory.user_id}),
        *in_alice_rooms("POST /messages/rooms/{room_id}/remove", {"user": bob.user_id},
                        {"user": alice.user_id}),
        *in_alice_rooms("POST /messages/rooms/{room_id}/leave"),
        *in_alice_rooms("POST /messages/rooms/{room_id}/send", {"text": "pwned"}),
        # mallory names alice and alice's AI in every field she can, asking bob's AI and
        # alice's own
        *(Attack("POST /ai/request", body={"to": target, "content": "hi", "timeout": 20},
                 expect=sent_by_mallorys_ai(target))
          for target in (stack.mxid(f"{bob.localpart}_ai"), stack.mxid(w.ai))),
        # as herself: refused whoever asks (the service holds no one's keys)
        Attack("POST /ipc/send_matrix_message",
               body={"to": bob.user_id, "content": "hi", "as": "human"},
               expect=lambda s, b: (s, b["errcode"]) == (403, "M_FORBIDDEN")),
        Attack("POST /ipc/send_matrix_message",
               body={"to": bob.user_id, "content": "hi", "as": "ai"}, expect=bob_sees_mallory),
        # activity sharing: mallory's own settings, drafts and reports
        *(Attack(f"GET {path}", expect=lambda s, b: s == 200 and b["timezone"] == "UTC")
          for path in ("/settings", "/settings/social-config")),
        *(attack for path in ("/settings", "/settings/social-config") for attack in (
            Attack(f"PUT {path}", body={"share_game_scores": True}),
            Attack(f"PUT {path}", body={"share_game_scores": True, "share_app_forks": True},
                   bare=True, expect=lambda s, b: s == 200 and b["timezone"] == "UTC"))),
        *(attack for path in ("/activity", "/ipc/report_activity") for attack in (
            Attack(f"POST {path}", body={"kind": "game_score", "data": score}),
            Attack(f"POST {path}", body={"kind": "game_score",
                                         "data": {**score, "user_id": alice.user_id}}),
            Attack(f"POST {path}", body={"kind": "game_score", "data": score}, bare=True,
                   expect=lambda s, b: s in (200, 201) and (
                       not b["draft"] or b["draft"]["author"]["user_id"] == mallory.user_id)))),
        Attack("GET /drafts", expect=lambda s, b: s == 200 and w.draft["id"] not in {
            d["id"] for d in b["items"]}),
        # somebody else's draft does not exist for mallory
        *(Attack(route, route.split(" ", 1)[1].replace("{draft_id}", did), {"text": "pwned"},
                 bare=bare, expect=_ok(404))
          for route in ("GET /drafts/{draft_id}", "PATCH /drafts/{draft_id}",
                        "DELETE /drafts/{draft_id}", "GET /drafts/{draft_id}/preview",
                        "POST /drafts/{draft_id}/publish") for bare in (False, True)),
        *in_alice_rooms("PUT /ai/conversations/{room_id}/public", {"public": True}),
    ]


async def test_mallory_cannot_act_for_alice_on_any_route(stack):
    """Every row of the table (attacks()), route by route in a fixed order; a route the app
    registers without a row fails, and so does a row for a route that is gone."""
    w = await World().make(stack)
    before = await w.snapshot()
    table = attacks(w)
    covered = {attack.route for attack in table}
    routes = _api_routes(stack)
    assert routes - covered == set(), "routes without an attack in the table"
    assert covered - routes == set(), "attacks on routes that no longer exist"
    method_then_path = sorted(table, key=lambda a: tuple(reversed(a.route.split(" ", 1))))
    for attack in sorted(method_then_path, key=lambda a: a.route.split(" ", 1)[0]):
        status, body = await w.as_mallory(attack)
        verdict = attack.expect(status, body)
        if inspect.isawaitable(verdict):
            verdict = await verdict
        assert verdict in (True, None), (attack.route, attack.path, status, body)

    after = await w.snapshot()
    for key in before:
        if isinstance(before[key], dict):
            changed = {k: (before[key].get(k), after[key].get(k))
                       for k in before[key].keys() | after[key].keys()
                       if before[key].get(k) != after[key].get(k)}
            assert not changed, (key, changed)
    assert after == before
    final = await api_ok(stack, "GET", f"/posts/{w.pid}", w.alice)
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
