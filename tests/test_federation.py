"""Across federation: a second Synapse on loopback (TLS federation listener, self-signed)."""

from __future__ import annotations

import io
import time
from urllib.parse import quote

from nio import (
    JoinResponse,
    RoomCreateResponse,
    RoomPutStateResponse,
    RoomResolveAliasResponse,
    RoomSendResponse,
)
from PIL import Image

from matrix_social import events as ev
from matrix_social.matrix.reindex import Reindexer

from .harness import (
    api,
    api_ok,
    dm_to_ai,
    eventually,
    room_texts,
    spend_the_hour,
    until_equal,
    wait_joined,
)


async def test_remote_user_follows_by_joining_and_receives_posts(stack, remote):
    alice = await stack.register("alice")
    carol = await remote.register("carol")
    client = remote.nio(carol)
    alias = f"#feed_{alice.localpart}:{stack.domain}"
    resolved = await client.room_resolve_alias(alias)
    assert isinstance(resolved, RoomResolveAliasResponse), resolved
    joined = await client.join(alias)
    assert isinstance(joined, JoinResponse), joined

    async def counted():
        followers = await api_ok(stack, "GET", f"/followers/{alice.localpart}", alice)
        return [f["user_id"] for f in followers["items"]] == [carol.user_id]

    await eventually(counted, timeout=30, what="remote join counted as a follow")
    post = await api_ok(stack, "POST", "/posts", alice, json={"text": "hello federation"})

    async def delivered():
        events = await room_texts(client, joined.room_id)
        return any(e["event_id"] == post["id"] for e in events)

    await eventually(delivered, timeout=30, what="post delivered to the remote follower")
    liked = await api_ok(stack, "POST", f"/posts/{_path(post['id'])}/like", alice)
    assert liked["liked"] is True and liked["counts"]["likes"] == 1, liked

    async def like_delivered():
        events = await room_texts(client, joined.room_id)
        return [e for e in events if e["type"] == "m.reaction" and e["sender"] == alice.user_id
                and e["content"].get("m.relates_to", {}).get("event_id") == post["id"]]

    [reaction] = await eventually(like_delivered, timeout=30,
                                  what="the like delivered to the remote follower")
    assert reaction["content"]["m.relates_to"]["key"] == ev.LIKE_KEY == "👍", reaction


async def test_remote_user_dms_an_ai_and_gets_an_answer(stack, remote):
    alice = await stack.register("alice")
    dave = await remote.register("dave")
    ai = stack.mxid(f"{alice.localpart}_ai")
    client = remote.nio(dave)
    room = await dm_to_ai(client, ai, "hi from afar")

    async def answered():
        events = await room_texts(client, room)
        return [e["content"].get("body") for e in events
                if e["sender"] == ai and e["type"] == "m.room.message"]

    assert await eventually(answered, timeout=30, what="AI answered") == ["echo: hi from afar"]
    request = stack.agent.requests_for(ai)[-1]
    assert request["sender"]["user_id"] == dave.user_id
    assert request["sender"]["followers_count"] == 0


async def test_a_user_of_another_server_passes_the_same_ai_limit(stack, remote):
    alice = await stack.register("alice")
    dave = await remote.register("dave")
    ai = stack.mxid(f"{alice.localpart}_ai")
    client = remote.nio(dave)
    room = await client.room_create(is_direct=True, invite=[ai])
    assert isinstance(room, RoomCreateResponse), room
    await wait_joined(client, room.room_id, ai)
    await spend_the_hour(stack, ai, dave.user_id)
    await client.room_send(room.room_id, "m.room.message",
                           {"msgtype": "m.text", "body": "one more from afar"})

    async def replied():
        events = await room_texts(client, room.room_id)
        return [e for e in events if e["sender"] == ai and e["type"] == "m.room.message"]

    [reply] = await eventually(replied, timeout=30, what="the AI's reply")
    assert reply["content"]["msgtype"] == "m.notice", reply  # the limit's notice, no answer
    assert stack.agent.requests_for(ai) == []


async def test_api_dm_with_a_remote_user(stack, remote):
    alice = await stack.register("alice")
    erin = await remote.register("erin")
    dm = await api_ok(stack, "POST", "/messages/dm", alice,
                      json={"to": erin.user_id, "encrypted": False})
    client = remote.nio(erin)
    joined = await client.join(dm["room_id"])
    assert isinstance(joined, JoinResponse), joined
    await api_ok(stack, "POST", f"/messages/rooms/{dm['room_id']}/send", alice,
                 json={"text": "over the wire"})

    async def received():
        events = await room_texts(client, dm["room_id"])
        return any(e["content"].get("body") == "over the wire" for e in events)

    await eventually(received, timeout=30, what="message received on the remote server")


async def test_ai_request_from_another_server_is_answered(stack, remote):
    alice = await stack.register("alice")
    asker = await remote.register("remote_ai")
    ai = stack.mxid(f"{alice.localpart}_ai")
    client = remote.nio(asker)
    room = await client.room_create(invite=[ai])
    assert isinstance(room, RoomCreateResponse), room
    await wait_joined(client, room.room_id, ai)
    sent = await client.room_send(room.room_id, str(ev.AI_REQUEST), {
        "request_id": "r-42", "to": ai, "body": "can you help?", "wants": "answer"})

    async def response():
        events = await room_texts(client, room.room_id)
        return [e for e in events if e["type"] == str(ev.AI_RESPONSE)]

    [answer] = await eventually(response, timeout=30, what="ai_response")
    assert answer["sender"] == ai
    assert answer["content"]["request_id"] == "r-42"
    assert answer["content"]["body"] == "echo: can you help?"
    assert answer["content"]["m.relates_to"] == {"rel_type": "m.reference",
                                                 "event_id": sent.event_id}


def _path(event_id: str) -> str:
    return quote(event_id, safe="")


async def _feed_ids(stack, user) -> list[str]:
    return [p["id"] for p in (await api_ok(stack, "GET", "/feed", user))["items"]]


async def test_follow_a_remote_user_through_the_api(stack, remote):
    alice = await stack.register("alice")
    bob = await remote.register("bob")
    early = await api_ok(remote, "POST", "/posts", bob, json={"text": "before you came"})
    followed = await api_ok(stack, "POST", "/follow", alice, json={"handle": bob.user_id})
    assert followed["following"] is True and followed["room_id"] == early["room_id"]
    assert followed["handle"] == bob.user_id

    async def backfilled():
        return early["id"] in await _feed_ids(stack, alice)

    await eventually(backfilled, timeout=30, what="the remote user's earlier post backfilled")
    late = await api_ok(remote, "POST", "/posts", bob, json={"text": "after you came"})

    async def delivered():
        return (await _feed_ids(stack, alice))[:2] == [late["id"], early["id"]]

    await eventually(delivered, timeout=30, what="new remote post in the local feed")

    async def follower_on_bobs_server():
        followers = await api_ok(remote, "GET", f"/followers/{bob.localpart}", bob)
        return alice.user_id in [f["user_id"] for f in followers["items"]]

    await eventually(follower_on_bobs_server, timeout=30, what="follower counted on bob's server")
    await api_ok(stack, "POST", f"/posts/{_path(late['id'])}/like", alice)
    comment = await api_ok(stack, "POST", f"/posts/{_path(late['id'])}/comments", alice,
                           json={"text": "nice one"})
    repost = await api_ok(stack, "POST", f"/posts/{_path(late['id'])}/repost", alice, json={})
    assert repost["repost_of"]["event_id"] == late["id"]

    async def counts_on_bobs_server():
        post = await api_ok(remote, "GET", f"/posts/{_path(late['id'])}", bob)
        comments = await api_ok(remote, "GET", f"/posts/{_path(late['id'])}/comments", bob)
        counts = post["counts"]
        return (counts["likes"], counts["comments"], counts["reposts"],
                [c["id"] for c in comments["items"]])

    await until_equal(counts_on_bobs_server, (1, 1, 1, [comment["id"]]), timeout=30,
                      what="like, comment and repost counted on bob's server")
    local = await api_ok(stack, "GET", f"/posts/{_path(late['id'])}", alice)
    assert local["counts"] == {"likes": 1, "comments": 1, "reposts": 1}
    await api_ok(stack, "DELETE", f"/posts/{_path(repost['id'])}", alice, expect=(200, 204))
    await until_equal(counts_on_bobs_server, (1, 1, 0, [comment["id"]]), timeout=30,
                      what="deleted repost no longer counted on bob's server")
    unfollowed = await api_ok(stack, "DELETE", "/unfollow", alice, json={"handle": bob.user_id})
    assert unfollowed["following"] is False
    await until_equal(follower_on_bobs_server, False, timeout=30,
                      what="unfollow reaches bob's server")


async def test_profile_of_a_remote_user_and_of_their_ai(stack, remote):
    alice = await stack.register("alice")
    bob = await remote.register("bob")
    png = io.BytesIO()
    Image.new("RGB", (8, 8), "teal").save(png, format="PNG")
    avatar = await api_ok(remote, "POST", "/media", bob, data=png.getvalue())
    await api_ok(remote, "PATCH", "/profile", bob, json={
        "display_name": "Bob Faraway", "avatar_url": avatar["content_uri"],
        "bio": "I live on another server",
        "links": ["https://bob.example"], "interests": ["federation"]})
    await api_ok(remote, "PATCH", "/profile/ai", bob, json={
        "personality": "helpful", "skills": ["maps"]})
    app = await api_ok(remote, "POST", "/apps", bob, json={
        "slug": "atlas", "name": "Atlas", "url": "https://atlas.example"})
    profile = await api_ok(stack, "GET", f"/profile/{quote(bob.user_id)}", alice)
    assert (profile["display_name"], profile["avatar_url"]) == (
        "Bob Faraway", avatar["content_uri"])
    assert (profile["kind"], profile["bio"], profile["links"], profile["interests"]) == (
        "human", "I live on another server", [{"url": "https://bob.example"}], ["federation"])
    assert [a["slug"] for a in profile["apps"]] == [app["slug"]]
    assert profile["apps"][0]["id"] == f"{bob.user_id}:atlas"
    ai = await api_ok(stack, "GET", f"/profile/{quote(remote.mxid(bob.localpart + '_ai'))}",
                      alice)
    assert ai["kind"] == "ai"
    assert (ai["ai"]["personality"], ai["ai"]["skills"]) == ("helpful", ["maps"])
    await api_ok(remote, "PATCH", "/profile", bob, json={"bio": "moved my bio"})

    async def live_update():
        view = await api_ok(stack, "GET", f"/profile/{quote(bob.user_id)}", alice)
        return view["bio"] == "moved my bio"

    await eventually(live_update, timeout=30, what="remote profile change reaches us")


async def test_follow_from_a_plain_client_by_joining_the_remote_alias(stack, remote):
    """What Element does: join #feed_bob:other-server; our feed API then has bob's posts."""
    alice = await stack.register("alice")
    bob = await remote.register("bob")
    first = await api_ok(remote, "POST", "/posts", bob, json={"text": "first"})
    joined = await stack.nio(alice).join(f"#feed_{bob.localpart}:{remote.domain}")
    assert isinstance(joined, JoinResponse), joined
    assert joined.room_id == first["room_id"]

    async def following():
        view = await api_ok(stack, "GET", f"/profile/{quote(bob.user_id)}", alice)
        return view["following"]

    await eventually(following, timeout=30, what="join from a plain client counted here")
    second = await api_ok(remote, "POST", "/posts", bob, json={"text": "second"})
    await until_equal(lambda: _feed_ids(stack, alice), [second["id"], first["id"]],
                      timeout=30, what="remote posts in the feed after a plain join")


async def test_group_with_a_remote_member(stack, remote):
    alice, bob = await stack.register("alice"), await stack.register("bob")
    erin = await remote.register("erin")
    group = await api_ok(stack, "POST", "/messages/groups", alice,
                         json={"name": "Two servers", "members": [bob.user_id, erin.user_id]})
    room_id = group["room_id"]
    for server, user in ((stack, bob), (remote, erin)):
        joined = await server.nio(user).join(room_id)
        assert isinstance(joined, JoinResponse), joined
    members = await api_ok(stack, "GET", f"/messages/rooms/{quote(room_id)}/members", alice)
    assert {m["user_id"] for m in members["members"]} == {
        alice.user_id, bob.user_id, erin.user_id}
    await api_ok(remote, "POST", f"/messages/rooms/{quote(room_id)}/send", erin,
                 json={"text": "hello from the other server"})
    await api_ok(stack, "POST", f"/messages/rooms/{quote(room_id)}/send", alice,
                 json={"text": "welcome"})

    async def bodies(server, user):
        return {e["content"].get("body") for e in await room_texts(server.nio(user), room_id)}

    for server, user in ((stack, bob), (remote, erin)):
        await eventually(
            lambda s=server, u=user: _has_all(bodies(s, u), {"hello from the other server",
                                                             "welcome"}),
            timeout=30, what=f"both messages seen by {user.user_id}")
    conversations = await api_ok(remote, "GET", "/messages/conversations", erin)
    assert room_id in [c["room_id"] for c in conversations["items"]]


async def _has_all(found, wanted: set) -> bool:
    return wanted <= await found


async def test_ai_to_ai_between_the_two_servers(stack, remote):
    alice = await stack.register("alice")
    bob = await remote.register("bob")
    bob_ai = remote.mxid(f"{bob.localpart}_ai")
    answer = await api_ok(stack, "POST", "/ai/request", alice,
                          json={"to": bob_ai, "content": "which way north?", "timeout": 30})
    assert (answer["status"], answer["body"], answer["from"]) == (
        "ok", "echo: which way north?", bob_ai)
    request = remote.agent.requests_for(bob_ai)[-1]
    assert request["sender"]["user_id"] == stack.mxid(f"{alice.localpart}_ai")
    back = await api_ok(remote, "POST", "/ai/request", bob, json={
        "to": stack.mxid(f"{alice.localpart}_ai"), "content": "and south?", "timeout": 30})
    assert (back["status"], back["body"]) == ("ok", "echo: and south?")


async def test_follow_while_the_remote_server_is_down_fails_cleanly_then_works(stack, remote):
    alice = await stack.register("alice")
    frank, zed = await remote.register("frank"), await remote.register("zed")
    post = await api_ok(remote, "POST", "/posts", frank, json={"text": "anyone there?"})
    await api_ok(stack, "POST", "/follow", alice, json={"handle": zed.user_id})
    zeds = await api_ok(remote, "POST", "/posts", zed, json={"text": "followed before"})
    await until_equal(lambda: _feed_ids(stack, alice), [zeds["id"]], what="zed's post")
    remote.synapse.stop()
    try:
        # A reindex meanwhile cannot check zed's feed with his server: it skips it and says
        # why, and keeps what the index had of it.
        services = stack.bridge.services
        progress = await Reindexer(stack.bridge.az.intent, stack.bridge.db, services.ids,
                                   services.owners, services.ingest, "feed_",
                                   on_progress=lambda _: None).run()
        zed_room = await stack.bridge.db.fetchval(
            "SELECT room_id FROM feed_room WHERE owner=$1", zed.user_id)
        assert zed_room and "could not be checked" in progress.skipped[zed_room], progress
        assert await _feed_ids(stack, alice) == [zeds["id"]]

        started = time.monotonic()
        status, body = await api(stack, "POST", "/follow", alice,
                                 json={"handle": frank.user_id})
        assert time.monotonic() - started <= 6, "a follow fails within 5 s"
        assert status == 502, body
        assert body["errcode"] == "M_UNKNOWN" and remote.domain in body["error"], body
        following = await api_ok(stack, "GET", f"/following/{alice.localpart}", alice)
        assert [f["user_id"] for f in following["items"]] == [zed.user_id]
        assert await stack.bridge.db.fetchval(
            "SELECT COUNT(*) FROM feed_room WHERE owner=$1", frank.user_id) == 0
    finally:
        await remote.synapse.start()

    async def follow():
        status, body = await api(stack, "POST", "/follow", alice,
                                 json={"handle": frank.user_id})
        return body if status == 200 else None

    followed = await eventually(follow, timeout=60, interval=1,
                                what="follow once the server is back")
    assert followed["following"] is True
    await until_equal(lambda: _feed_ids(stack, alice), [zeds["id"], post["id"]], timeout=30,
                      what="the remote post in the feed after the outage")


async def test_malformed_social_content_from_a_remote_server_is_skipped(stack, remote):
    """Content Synapse lets through but our schema refuses. (Synapse already refuses its own
    clients' messages without a string body; the ingest checks that too, for other servers.)"""
    alice = await stack.register("alice")
    bob = await remote.register("bob")
    first = await api_ok(remote, "POST", "/posts", bob, json={"text": "fine"})
    room_id = first["room_id"]
    await api_ok(stack, "POST", "/follow", alice, json={"handle": bob.user_id})
    client = remote.nio(bob)
    hostile = [
        ("m.room.message", {"msgtype": "m.text", "body": "x", ev.POST_BLOCK: ["a list"]}),
        ("m.room.message", {"msgtype": "m.text", "body": "x",
                            ev.POST_BLOCK: {ev.POST_KIND: "bogus"}}),
        ("m.room.message", {"msgtype": "m.text", "body": "x",
                            ev.POST_BLOCK: {ev.POST_KIND: "repost", ev.POST_REPOST_OF: 7}}),
        ("m.room.message", {"msgtype": "m.text", "body": "x",
                            "m.relates_to": {"rel_type": ev.THREAD_REL, "event_id": 5}}),
        ("m.room.message", {"msgtype": "m.text", "body": "x", "m.relates_to": [1]}),
        ("m.reaction", {"m.relates_to": "nonsense"}),
        ("m.reaction", {"m.relates_to": {"rel_type": "m.annotation", "event_id": first["id"],
                                         "key": ev.REPOST_KEY},
                        ev.REPOST_NOTICE: "not an object"}),
        ("m.room.message", {"msgtype": "m.text", "body": "* x",
                            "m.relates_to": {"rel_type": "m.replace",
                                             "event_id": first["id"]}}),
    ]
    for event_type, content in hostile:
        sent = await client.room_send(room_id, event_type, content)
        assert isinstance(sent, RoomSendResponse), (event_type, content, sent.message)
    for event_type, content in ((ev.FEED_STATE, {ev.FEED_OWNER_KEY: 42}),
                                (ev.PROFILE_STATE, {"bio": 5, "links": "nope"})):
        state = await client.room_put_state(room_id, str(event_type), content)
        assert isinstance(state, RoomPutStateResponse), state
    last = await api_ok(remote, "POST", "/posts", bob, json={"text": "still here"})
    await until_equal(lambda: _feed_ids(stack, alice), [last["id"], first["id"]], timeout=30,
                      what="the stream goes on after malformed remote events")
    view = await api_ok(stack, "GET", f"/posts/{_path(first['id'])}", alice)
    assert (view["text"], view["counts"]) == ("fine", {"likes": 0, "comments": 0, "reposts": 0})
    health = await api_ok(stack, "GET", "/health")
    assert health["status"] == "ok", health


async def test_a_user_of_another_server_cannot_speak_for_another_user_there(stack, remote):
    """Finding 3 of the trust issue: eve (on the other server) makes a room claiming to be
    bob's feed, with a forged bio and app, and gets our user into it."""
    alice = await stack.register("alice")
    bob, eve = await remote.register("bob"), await remote.register("eve")
    real = await api_ok(remote, "POST", "/posts", bob, json={"text": "bob's real feed"})
    e = remote.nio(eve)
    created = await e.room_create(invite=[alice.user_id])
    assert isinstance(created, RoomCreateResponse), created
    forged = created.room_id
    for etype, key, content in (
            (ev.FEED_STATE, "", {"owner": bob.user_id, "kind": "human"}),
            (ev.PROFILE_STATE, "", {"bio": "forged bio", "links": ["https://evil.example"]}),
            (ev.APP_STATE, "fake", {"name": "Fake", "url": "https://evil.example/app"})):
        resp = await e.room_put_state(forged, str(etype), content, state_key=key)
        assert isinstance(resp, RoomPutStateResponse), resp
    joined = await stack.nio(alice).join(forged)  # as Element would, from the invite
    assert isinstance(joined, JoinResponse), joined

    async def attached():
        return await stack.bridge.db.fetchval(
            "SELECT room_id FROM feed_room WHERE owner=$1", bob.user_id)

    assert await eventually(attached, timeout=30, what="bob's real feed found") == \
        real["room_id"]
    profile = await api_ok(stack, "GET", f"/profile/{quote(bob.user_id, safe='')}", alice)
    assert profile["room_id"] == real["room_id"]
    assert profile["bio"] == "" and profile["links"] == [] and profile["apps"] == []
    followed = await api_ok(stack, "POST", "/follow", alice, json={"handle": bob.user_id})
    assert followed["room_id"] == real["room_id"]
    assert await stack.bridge.db.fetchval(
        "SELECT COUNT(*) FROM feed_room WHERE room_id=$1", forged) == 0
