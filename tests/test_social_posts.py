"""Posts, likes, comments, reposts through the API and from plain Matrix clients."""

from __future__ import annotations

import io
import os
import time
from urllib.parse import quote

from nio import RoomSendResponse
from PIL import Image

from matrix_social import events as ev

from .harness import api, api_ok, eventually, room_texts


def q(event_id: str) -> str:
    return quote(event_id, safe="")


async def test_text_post_reaches_a_follower_as_a_plain_message(stack):
    alice, bob = await stack.register("alice"), await stack.register("bob")
    await api_ok(stack, "POST", "/follow", bob, json={"handle": alice.localpart})
    post = await api_ok(stack, "POST", "/posts", alice, json={"text": "  hello world  "})
    assert post["text"] == "hello world" and post["kind"] == "text"
    assert post["author"]["handle"] == alice.localpart
    bob_client = stack.nio(bob)

    async def delivered():
        events = await room_texts(bob_client, post["room_id"])
        return [e for e in events if e["event_id"] == post["event_id"]]

    [event] = await eventually(delivered, what="post visible to the follower")
    assert event["type"] == "m.room.message" and event["sender"] == alice.user_id
    assert event["content"]["body"] == "hello world"
    assert event["content"]["msgtype"] == "m.text"
    assert event["content"][ev.POST_BLOCK]["kind"] == "text"


async def test_api_writes_are_indexed_with_the_homeserver_s_own_timestamp(stack):
    """The API indexes what it sent without reading it back: the homeserver takes the
    timestamp the service gave it, so the transaction's copy is the same event."""
    alice, bob = await stack.register("alice"), await stack.register("bob")
    post = await api_ok(stack, "POST", "/posts", alice, json={"text": "stamped"})
    await api_ok(stack, "POST", f"/posts/{q(post['id'])}/like", bob)
    comment = await api_ok(stack, "POST", f"/posts/{q(post['id'])}/comments", bob,
                           json={"text": "stamped too"})
    client = stack.nio(bob)
    for event_id, table in ((post["id"], "post"), (comment["id"], "comment")):
        resp = await client.room_get_event(post["room_id"], event_id)
        indexed = await stack.bridge.db.fetchval(f"SELECT ts FROM {table} WHERE event_id = $1",
                                                 event_id)
        assert indexed == resp.event.server_timestamp, table
    like_ts, like_id = tuple(await stack.bridge.db.fetchrow(
        "SELECT ts, event_id FROM post_like WHERE post_id = $1", post["id"]))
    resp = await client.room_get_event(post["room_id"], like_id)
    assert like_ts == resp.event.server_timestamp
    assert post["created_at"] == (await client.room_get_event(
        post["room_id"], post["id"])).event.server_timestamp


async def test_501_character_post_is_refused_and_nothing_is_sent(stack):
    alice = await stack.register("alice")
    first = await api_ok(stack, "POST", "/posts", alice, json={"text": "é" * 500})
    status, body = await api(stack, "POST", "/posts", alice, json={"text": "x" * 501})
    assert status == 400 and body["errcode"] == "M_INVALID_PARAM", body
    assert "501" in body["error"]
    client = stack.nio(alice)
    events = await room_texts(client, first["room_id"])
    bodies = [e["content"].get("body") for e in events if e["type"] == "m.room.message"]
    assert bodies == ["é" * 500]


async def test_like_and_comment_from_a_plain_client_move_the_counts(stack):
    alice, carol = await stack.register("alice"), await stack.register("carol")
    dave = await stack.register("dave")
    post = await api_ok(stack, "POST", "/posts", alice, json={"text": "like me"})
    # other reactions are not likes (only 👍 and ❤️ are)
    other = stack.nio(dave)
    await other.join(post["room_id"])
    for key in ("👍🏽", "😀", "❤️‍🔥"):
        sent = await other.room_send(post["room_id"], "m.reaction", {"m.relates_to": {
            "rel_type": "m.annotation", "event_id": post["id"], "key": key}})
        assert isinstance(sent, RoomSendResponse), sent
    client = stack.nio(carol)
    await client.join(post["room_id"])
    like = await client.room_send(post["room_id"], "m.reaction", {"m.relates_to": {
        "rel_type": "m.annotation", "event_id": post["id"], "key": "❤️"}})
    assert isinstance(like, RoomSendResponse), like
    reply = await client.room_send(post["room_id"], "m.room.message", {
        "msgtype": "m.text", "body": "nice",
        "m.relates_to": {"rel_type": "m.thread", "event_id": post["id"],
                         "is_falling_back": True, "m.in_reply_to": {"event_id": post["id"]}}})
    assert isinstance(reply, RoomSendResponse), reply

    async def comment_counted():
        got = await api_ok(stack, "GET", f"/posts/{q(post['id'])}", alice)
        return got["counts"]["comments"] == 1 and got

    # the comment came last: once it is counted, every reaction before it was handled
    got = await eventually(comment_counted, what="comment counted")
    assert got["counts"] == {"likes": 1, "comments": 1, "reposts": 0}, got
    comments = await api_ok(stack, "GET", f"/posts/{q(post['id'])}/comments", alice)
    assert [c["text"] for c in comments["items"]] == ["nice"]
    assert comments["items"][0]["in_reply_to"] is None
    # a plain join from a client is a follow
    followers = await api_ok(stack, "GET", f"/followers/{alice.localpart}", alice)
    assert {f["user_id"] for f in followers["items"]} == {carol.user_id, dave.user_id}
    # redacting the reaction from the client unlikes
    await client.room_redact(post["room_id"], like.event_id)

    async def unliked():
        got = await api_ok(stack, "GET", f"/posts/{q(post['id'])}", alice)
        return got["counts"]["likes"] == 0

    await eventually(unliked, what="redacted like removed")


async def test_like_twice_is_one_like_and_unlike_redacts(stack):
    alice, dave = await stack.register("alice"), await stack.register("dave")
    post = await api_ok(stack, "POST", "/posts", alice, json={"text": "p"})
    for _ in range(2):
        liked = await api_ok(stack, "POST", f"/posts/{q(post['id'])}/like", dave)
    assert liked["counts"]["likes"] == 1 and liked["liked"] is True
    # dave joined only to like: not a follower
    followers = await api_ok(stack, "GET", f"/followers/{alice.localpart}", alice)
    assert followers["count"] == 0
    unliked = await api_ok(stack, "DELETE", f"/posts/{q(post['id'])}/like", dave)
    assert unliked["counts"]["likes"] == 0 and unliked["liked"] is False
    events = await room_texts(stack.nio(alice), post["room_id"])
    reactions = [e for e in events if e["type"] == "m.reaction"]
    assert len(reactions) == 1 and reactions[0]["content"] == {}  # redacted


async def test_threaded_comments_nest_and_paginate(stack):
    alice, erin = await stack.register("alice"), await stack.register("erin")
    post = await api_ok(stack, "POST", "/posts", alice, json={"text": "thread"})
    path = f"/posts/{q(post['id'])}/comments"
    top = await api_ok(stack, "POST", path, erin, json={"text": "first"})
    nested = await api_ok(stack, "POST", path, alice, json={"text": "re", "reply_to": top["id"]})
    for i in range(3):
        await api_ok(stack, "POST", path, erin, json={"text": f"more {i}"})
    page1 = await api_ok(stack, "GET", f"{path}?limit=2", alice)
    page2 = await api_ok(stack, "GET", f"{path}?limit=2&cursor={page1['next_cursor']}", alice)
    page3 = await api_ok(stack, "GET", f"{path}?limit=2&cursor={page2['next_cursor']}", alice)
    texts = [c["text"] for page in (page1, page2, page3) for c in page["items"]]
    assert texts == ["first", "re", "more 0", "more 1", "more 2"]
    assert page3["next_cursor"] is None
    assert page1["items"][1]["in_reply_to"] == top["id"]
    event = [e for e in await room_texts(stack.nio(alice), post["room_id"])
             if e["event_id"] == nested["id"]][0]
    relates = event["content"]["m.relates_to"]
    assert relates["rel_type"] == "m.thread" and relates["event_id"] == post["id"]
    assert relates["m.in_reply_to"]["event_id"] == top["id"]
    status, body = await api(stack, "POST", path, erin, json={"text": "x", "reply_to": "$nope"})
    assert status == 400 and body["errcode"] == "M_INVALID_PARAM"
    got = await api_ok(stack, "GET", f"/posts/{q(post['id'])}", alice)
    assert got["counts"]["comments"] == 5


async def test_repost_points_at_the_original_with_a_fallback(stack):
    alice, frank = await stack.register("alice"), await stack.register("frank")
    post = await api_ok(stack, "POST", "/posts", alice, json={"text": "worth sharing"})
    repost = await api_ok(stack, "POST", f"/posts/{q(post['id'])}/repost", frank,
                          json={"text": "look"})
    assert repost["kind"] == "repost" and repost["author"]["user_id"] == frank.user_id
    assert repost["repost_of"] == {"room_id": post["room_id"], "event_id": post["id"],
                                   "author": alice.user_id}
    assert repost["room_id"] != post["room_id"]
    event = [e for e in await room_texts(stack.nio(frank), repost["room_id"])
             if e["event_id"] == repost["id"]][0]
    assert "worth sharing" in event["content"]["body"] and "look" in event["content"]["body"]
    got = await api_ok(stack, "GET", f"/posts/{q(post['id'])}", alice)
    assert got["counts"]["reposts"] == 1


async def test_edit_and_delete_own_posts_only(stack):
    alice, gina = await stack.register("alice"), await stack.register("gina")
    post = await api_ok(stack, "POST", "/posts", alice, json={"text": "tpyo"})
    path = f"/posts/{q(post['id'])}"
    status, body = await api(stack, "PATCH", path, gina, json={"text": "hacked"})
    assert (status, body["errcode"]) == (403, "M_FORBIDDEN")
    edited = await api_ok(stack, "PATCH", path, alice, json={"text": "typo"})
    assert edited["text"] == "typo" and edited["edited_at"]
    events = await room_texts(stack.nio(alice), post["room_id"])
    edit = [e for e in events if e["content"].get("m.relates_to", {}).get("rel_type")
            == "m.replace"][0]
    assert edit["content"]["m.new_content"]["body"] == "typo"
    status, body = await api(stack, "DELETE", path, gina)
    assert (status, body["errcode"]) == (403, "M_FORBIDDEN")
    await api_ok(stack, "DELETE", path, alice)
    status, body = await api(stack, "GET", path, alice)
    assert (status, body["errcode"]) == (404, "M_NOT_FOUND")
    redacted = [e for e in await room_texts(stack.nio(alice), post["room_id"])
                if e["event_id"] == post["id"]][0]
    assert redacted["content"] == {}


def _png(width: int = 3, height: int = 2) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 10, 10)).save(out, format="PNG")
    return out.getvalue()


async def test_image_post_is_sniffed_uploaded_and_readable(stack):
    alice = await stack.register("alice")
    media = await api_ok(stack, "POST", "/media", alice, data=_png(),
                         headers={"Content-Type": "image/jpeg"})
    assert media["mimetype"] == "image/png" and (media["width"], media["height"]) == (3, 2)
    assert media["content_uri"].startswith("mxc://")
    post = await api_ok(stack, "POST", "/posts", alice,
                        json={"kind": "image", "image": media["content_uri"], "text": "sunset"})
    assert post["kind"] == "image" and post["text"] == "sunset"
    event = [e for e in await room_texts(stack.nio(alice), post["room_id"])
             if e["event_id"] == post["id"]][0]
    assert event["content"]["msgtype"] == "m.image"
    assert event["content"]["url"] == media["content_uri"]
    assert event["content"]["info"]["mimetype"] == "image/png"
    status, body = await api(stack, "POST", "/media", alice, data=b"<svg>not an image</svg>",
                             headers={"Content-Type": "image/png"})
    assert (status, body["errcode"]) == (400, "M_INVALID_PARAM")
    limit = stack.config["api.max_image_size"] * 1024 * 1024
    status, body = await api(stack, "POST", "/media", alice, data=b"\0" * (limit + 1))
    assert (status, body["errcode"]) == (413, "M_TOO_LARGE")
    other = await stack.register("other")
    status, body = await api(stack, "POST", "/posts", other,
                             json={"kind": "image", "image": media["content_uri"]})
    assert (status, body["errcode"]) == (400, "M_INVALID_PARAM")


async def test_app_share_and_activity_posts(stack):
    alice = await stack.register("alice")
    app = await api_ok(stack, "POST", "/posts", alice, json={
        "kind": "app", "text": "made this",
        "app": {"name": "Chess", "description": "Play chess", "icon": "mxc://x/y",
                "url": "https://apps.example/chess"}})
    assert app["app"]["try_url"] == "http://127.0.0.1:3000/run?app=https://apps.example/chess"
    activity = await api_ok(stack, "POST", "/posts", alice, json={
        "kind": "activity", "activity": {"kind": "workout", "data": {"km": 5}}})
    assert activity["activity"] == {"kind": "workout", "data": {"km": 5}}
    assert activity["text"] == "Workout — km: 5"
    status, body = await api(stack, "POST", "/posts", alice, json={"kind": "poll"})
    assert (status, body["errcode"]) == (400, "M_INVALID_PARAM")
    status, body = await api(stack, "POST", "/posts", alice,
                             json={"kind": "app", "app": {"name": "X", "url": "ftp://x"}})
    assert (status, body["errcode"]) == (400, "M_INVALID_PARAM")


async def test_top_level_message_by_a_non_owner_is_not_a_post(stack):
    alice, hank = await stack.register("alice"), await stack.register("hank")
    post = await api_ok(stack, "POST", "/posts", alice, json={"text": "mine"})
    client = stack.nio(hank)
    await client.join(post["room_id"])
    intruder = await client.room_send(post["room_id"], "m.room.message",
                                      {"msgtype": "m.text", "body": "not a post"})
    await api_ok(stack, "POST", "/follow", hank, json={"handle": alice.localpart})
    marker = await api_ok(stack, "POST", "/posts", alice, json={"text": "after"})

    async def feed_has_marker():
        feed = await api_ok(stack, "GET", "/feed", hank)
        return marker["id"] in [p["id"] for p in feed["items"]] and feed

    feed = await eventually(feed_has_marker, what="feed updated")
    assert intruder.event_id not in [p["id"] for p in feed["items"]]
    status, _ = await api(stack, "GET", f"/posts/{q(intruder.event_id)}", hank)
    assert status == 404


async def test_malformed_content_is_skipped_and_the_stream_goes_on(stack):
    alice = await stack.register("alice")
    post = await api_ok(stack, "POST", "/posts", alice, json={"text": "x"})
    client = stack.nio(alice)
    await client.room_send(post["room_id"], "m.room.message",
                           {"msgtype": "m.text", "body": 42, ev.POST_BLOCK: "junk"})
    await client.room_send(post["room_id"], "m.room.message",
                           {"msgtype": "m.text", "body": "ok", "m.relates_to": "junk"})
    good = await client.room_send(post["room_id"], "m.room.message",
                                  {"msgtype": "m.text", "body": "written in Element"})

    async def indexed():
        status, body = await api(stack, "GET", f"/posts/{q(good.event_id)}", alice)
        return status == 200 and body

    got = await eventually(indexed, what="post from a plain client indexed")
    assert got["text"] == "written in Element" and got["kind"] == "text"


async def test_events_outside_the_schema_in_a_transaction_are_skipped(stack):
    """What another homeserver may pass on (Synapse refuses some of these from its own
    clients, not over federation): each is skipped, the transaction succeeds, later events
    are indexed."""
    alice = await stack.register("alice")
    post = await api_ok(stack, "POST", "/posts", alice, json={"text": "x"})
    suffix = os.urandom(4).hex()

    def event(n: int, event_type: str, content, **extra) -> dict:
        return {"type": event_type, "room_id": post["room_id"], "sender": alice.user_id,
                "event_id": f"$junk{n}-{suffix}", "origin_server_ts": int(time.time() * 1000),
                "content": content, **extra}

    junk = [
        event(0, "m.room.message", {"msgtype": "m.text", "body": 42}),
        event(1, "m.room.message", "not an object"),
        event(2, "m.room.message", {"msgtype": "m.text", "body": ["a"],
                                    "m.relates_to": {"rel_type": ev.THREAD_REL,
                                                     "event_id": post["id"]}}),
        event(3, "m.reaction", {"m.relates_to": {"rel_type": "m.annotation", "event_id": 5,
                                                 "key": ev.LIKE_KEY}}),
        event(4, "m.room.redaction", {}),
        event(5, "m.room.message", {"msgtype": "m.text", "body": "* x",
                                    "m.relates_to": {"rel_type": "m.replace",
                                                     "event_id": post["id"]}}),
    ]
    good = event(6, "m.room.message", {"msgtype": "m.text", "body": "after the junk"})
    status, _ = await stack.request(
        "PUT", f"{stack.appservice_url}/_matrix/app/v1/transactions/junk-{suffix}",
        json={"events": [*junk, good]}, token=stack.config["appservice.hs_token"])
    assert status == 200
    assert (await api_ok(stack, "GET", f"/posts/{q(good['event_id'])}", alice))["text"] == \
        "after the junk"
    original = await api_ok(stack, "GET", f"/posts/{q(post['id'])}", alice)
    assert (original["text"], original["counts"]) == (
        "x", {"likes": 0, "comments": 0, "reposts": 0})
    for n in range(3):
        status, _ = await api(stack, "GET", f"/posts/{q(junk[n]['event_id'])}", alice)
        assert status == 404


async def test_the_ai_responder_takes_malformed_content_without_failing(stack):
    """Any client may send any JSON as a message's content: the AI responder reads it as
    nothing to answer instead of failing (a failing listener was logged on every such event)."""
    alice = await stack.register("alice")
    post = await api_ok(stack, "POST", "/posts", alice, json={"text": "x"})
    base = {"type": "m.room.message", "room_id": post["room_id"], "sender": alice.user_id,
            "origin_server_ts": int(time.time() * 1000)}
    responder = stack.bridge.services.responder
    for n, content in enumerate(["not an object", ["a"], 42,
                                 {"msgtype": "m.text", "body": "hi", "m.relates_to": "junk"},
                                 {"msgtype": "m.text", "body": "hi", "m.mentions": ["x"]},
                                 {"msgtype": "m.text", "body": "hi",
                                  "m.mentions": {"user_ids": "@x:y"}}]):
        await responder.on_event({**base, "event_id": f"$malformed{n}", "content": content})
