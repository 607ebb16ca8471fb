"""Blocks, as the blocked user acts: through the API and with a plain Matrix client, on this
server and on another one (docs/events.md, "Blocks")."""

from __future__ import annotations

import asyncio
import secrets
from urllib.parse import quote

from nio import JoinError, JoinResponse, RoomCreateResponse, RoomSendError, RoomSendResponse

from .harness import api, api_ok, dm_to_ai, eventually, room_texts

IGNORED = "m.ignored_user_list"


def _q(value: str) -> str:
    return quote(value, safe="")


async def _ignored(stack, user) -> dict:
    status, body = await stack.request(
        "GET", f"{stack.synapse.url}/_matrix/client/v3/user/{_q(user.user_id)}/account_data/"
        f"{IGNORED}", token=user.access_token)
    return body.get("ignored_users", {}) if status == 200 else {}


async def _feed_ids(stack, user) -> list[str]:
    page = await api_ok(stack, "GET", "/feed?limit=50", user)
    return [p["id"] for p in page["items"]]


async def test_a_blocked_local_user_leaves_her_views_and_reaches_her_by_no_path(stack):
    alice = await stack.register("alice")
    bob = await stack.register("bob")
    carol = await stack.register("carol")
    word = f"zebra{secrets.token_hex(3)}"
    for follower, followed in ((bob, alice), (alice, bob), (carol, alice), (alice, carol)):
        await api_ok(stack, "POST", "/follow", follower, json={"handle": followed.localpart})
    post = await api_ok(stack, "POST", "/posts", alice, json={"text": "my morning"})
    p = _q(post["id"])
    await api_ok(stack, "POST", f"/posts/{p}/like", bob)
    comment = await api_ok(stack, "POST", f"/posts/{p}/comments", bob, json={"text": "ugh"})
    await api_ok(stack, "POST", f"/posts/{p}/like", carol)
    await api_ok(stack, "POST", f"/posts/{p}/comments", carol, json={"text": "lovely"})
    repost = await api_ok(stack, "POST", f"/posts/{p}/repost", bob)
    his = await api_ok(stack, "POST", "/posts", bob, json={"text": f"about {word}"})
    shared = await api_ok(stack, "POST", f"/posts/{_q(his['id'])}/repost", carol)
    assert {his["id"], shared["id"]} <= set(await _feed_ids(stack, alice))

    blocked = await api_ok(stack, "POST", "/blocks", alice,
                           json={"user_id": bob.user_id, "include_ai": True})
    bob_ai = stack.mxid(f"{bob.localpart}_ai")
    assert blocked["blocked_ids"] == [bob.user_id, bob_ai], blocked
    listed = await api_ok(stack, "GET", "/blocks", alice)
    assert {b["user_id"] for b in listed["items"]} == {bob.user_id, bob_ai}

    # Her views: his posts and repost gone, his marks out of her counts and comments.
    feed = await _feed_ids(stack, alice)
    assert his["id"] not in feed and repost["id"] not in feed and post["id"] in feed
    assert shared["id"] not in feed  # somebody else's repost of him
    seen = await api_ok(stack, "GET", f"/posts/{p}", alice)
    assert seen["counts"] == {"likes": 1, "comments": 1, "reposts": 0}, seen["counts"]
    comments = await api_ok(stack, "GET", f"/posts/{p}/comments", alice)
    assert [c["author"]["user_id"] for c in comments["items"]] == [carol.user_id]
    found = await api_ok(stack, "GET", f"/search?q={word}&type=posts", alice)
    assert found["posts"]["items"] == []
    people = await api_ok(stack, "GET", f"/search?q={bob.localpart}&type=users", alice)
    assert bob.user_id not in [u["user_id"] for u in people["users"]["items"]]
    suggested = await api_ok(stack, "GET", "/explore/suggestions", alice)
    assert bob.user_id not in [s["user_id"] for s in suggested["items"]]
    # Unfollowed both ways.
    followers = await api_ok(stack, "GET", f"/followers/{alice.localpart}", alice)
    assert bob.user_id not in [f["user_id"] for f in followers["items"]]
    following = await api_ok(stack, "GET", f"/following/{alice.localpart}", alice)
    assert bob.user_id not in [f["user_id"] for f in following["items"]]
    # Her own clients hide him; the homeserver drops his invites.
    assert set(await _ignored(stack, alice)) == {bob.user_id, bob_ai}

    # Others: his like and comment were redacted by her feed's bot, as Element sees it.
    room = post["room_id"]
    carol_client = stack.nio(carol)

    async def redacted() -> bool:
        events = {e["event_id"]: e for e in await room_texts(carol_client, room)}
        return comment["id"] in events and not events[comment["id"]]["content"] \
            and not any(e["type"] == "m.reaction" and e["sender"] == bob.user_id
                        and e["content"] for e in events.values())

    await eventually(redacted, timeout=30, what="his like and comment redacted")
    by_carol = await api_ok(stack, "GET", f"/posts/{p}", carol)
    assert by_carol["counts"]["likes"] == 1 and by_carol["counts"]["comments"] == 1

    # Every path he tries through the API is refused, and nothing is sent.
    for method, path, body in (
            ("POST", f"/posts/{p}/like", None),
            ("POST", f"/posts/{p}/comments", {"text": "still here"}),
            ("POST", f"/posts/{p}/repost", None),
            ("POST", "/follow", {"handle": alice.localpart}),
            ("POST", "/messages/dm", {"to": alice.user_id}),
            ("POST", "/messages/dm", {"to": stack.mxid(f"{alice.localpart}_ai")}),
            ("POST", "/ai/request", {"to": f"{alice.localpart}_ai", "content": "hi"})):
        status, answer = await api(stack, method, path, bob, json=body)
        assert status == 403 and answer["errcode"] == "M_FORBIDDEN", (path, status, answer)
    assert (await api_ok(stack, "GET", f"/posts/{p}", alice))["counts"]["likes"] == 1
    # Her post's permalink is, to him, a post that does not exist; to others it is there.
    status, answer = await api(stack, "GET", f"/posts/{p}", bob)
    assert (status, answer["errcode"]) == (404, "M_NOT_FOUND"), answer
    assert (await api_ok(stack, "GET", f"/posts/{p}", carol))["id"] == post["id"]
    # ... and so is every path through a plain client: the ban holds in Matrix.
    bob_client = stack.nio(bob)
    assert isinstance(await bob_client.join(room), JoinError)
    sent = await bob_client.room_send(room, "m.reaction", {"m.relates_to": {
        "rel_type": "m.annotation", "event_id": post["id"], "key": "❤️"}})
    assert isinstance(sent, RoomSendError), sent

    # Unblock: the ban and the ignore are lifted; what was undone stays undone.
    status, answer = await api(stack, "DELETE", f"/blocks/{_q(carol.user_id)}", alice)
    assert status == 404, answer
    unblocked = await api_ok(stack, "DELETE", f"/blocks/{_q(bob.user_id)}", alice)
    assert set(unblocked["unblocked_ids"]) == {bob.user_id, bob_ai}
    assert await _ignored(stack, alice) == {}
    assert (await api_ok(stack, "GET", "/blocks", alice))["items"] == []
    again = await api_ok(stack, "POST", "/follow", bob, json={"handle": alice.localpart})
    assert again["following"] is True
    assert his["id"] not in await _feed_ids(stack, alice)  # she no longer follows him


async def test_a_blocked_user_of_another_server_is_shut_out_in_matrix(stack, remote):
    alice = await stack.register("alice")
    mallory = await remote.register("mallory")
    post = await api_ok(stack, "POST", "/posts", alice, json={"text": "hello world"})
    client = remote.nio(mallory)
    alias = f"#feed_{alice.localpart}:{stack.domain}"
    joined = await client.join(alias)
    assert isinstance(joined, JoinResponse), joined
    room = joined.room_id

    async def post_seen_there() -> bool:
        return any(e["event_id"] == post["id"] for e in await room_texts(client, room))

    await eventually(post_seen_there, timeout=30, what="her post backfilled on his server")
    sent = await client.room_send(room, "m.room.message", {
        "msgtype": "m.text", "body": "creep", "m.relates_to": {
            "rel_type": "m.thread", "event_id": post["id"], "is_falling_back": True,
            "m.in_reply_to": {"event_id": post["id"]}}})
    assert isinstance(sent, RoomSendResponse), sent.message

    async def indexed() -> bool:
        seen = await api_ok(stack, "GET", f"/posts/{_q(post['id'])}", alice)
        followers = await api_ok(stack, "GET", f"/followers/{alice.localpart}", alice)
        return seen["counts"]["comments"] == 1 and [
            f["user_id"] for f in followers["items"]] == [mallory.user_id]

    await eventually(indexed, timeout=30, what="the remote comment and follow indexed")
    await api_ok(stack, "POST", "/blocks", alice, json={"user_id": mallory.user_id})

    seen = await api_ok(stack, "GET", f"/posts/{_q(post['id'])}", alice)
    assert seen["counts"]["comments"] == 0
    followers = await api_ok(stack, "GET", f"/followers/{alice.localpart}", alice)
    assert followers["items"] == []

    async def banned_there() -> bool:  # the ban reached her server's copy of the room
        return isinstance(await client.join(room), JoinError)

    await eventually(banned_there, timeout=30, what="the ban enforced for the remote user")

    async def comment_redacted() -> bool:
        events = {e["event_id"]: e for e in await room_texts(client, room)}
        return sent.event_id in events and not events[sent.event_id]["content"]

    await eventually(comment_redacted, timeout=30, what="his comment redacted over federation")
    # Through his own server's API too: a follow is refused by the ban.
    status, _ = await api(remote, "POST", "/follow", mallory,
                          json={"handle": alice.user_id})
    assert status >= 400

    # A DM invite from him never shows in her sync (she ignores him); her AI never answers
    # him.
    dm = await client.room_create(is_direct=True, invite=[alice.user_id])
    assert isinstance(dm, RoomCreateResponse), dm
    ai = stack.mxid(f"{alice.localpart}_ai")
    to_ai = await dm_to_ai(client, ai, "answer me")
    # A control message from somebody she did not block is answered; his never is.
    friend = await remote.register("friend")
    friend_client = remote.nio(friend)
    control = await dm_to_ai(friend_client, ai, "control")

    async def control_answered() -> bool:
        return any(e["sender"] == ai and e["type"] == "m.room.message"
                   for e in await room_texts(friend_client, control))

    await eventually(control_answered, timeout=30, what="the control message answered")
    await asyncio.sleep(1)
    assert [r for r in stack.agent.requests_for(ai)
            if r["sender"]["user_id"] == mallory.user_id] == []
    assert not any(e["sender"] == ai and e["type"] == "m.room.message"
                   for e in await room_texts(client, to_ai))

    async def invite_arrived_on_her_server() -> bool:
        return await _membership(stack, alice, dm.room_id) == "invite"

    await eventually(invite_arrived_on_her_server, timeout=30, what="the invite federated")
    status, body = await stack.request(
        "GET", f"{stack.synapse.url}/_matrix/client/v3/sync?timeout=0", token=alice.access_token)
    assert status == 200
    assert dm.room_id not in body.get("rooms", {}).get("invite", {}), "ignored invite shown"


async def _membership(stack, user, room_id: str) -> str | None:
    """Her membership as the homeserver's admin API shows it (not filtered by ignores)."""
    from .harness import synapse_rows

    rows = await asyncio.to_thread(
        synapse_rows, stack, "SELECT membership FROM local_current_membership "
        "WHERE user_id = ? AND room_id = ?", user.user_id, room_id)
    return rows[0][0] if rows else None
