"""Bluesky end to end, through a real Synapse and the service, against the fake PDS (the real
`atproto` SDK drives it): connecting by the bot (its message with the app password redacted)
and by REST, the first sync with reposts, quotes and images into her feed, a cross-post with
facets, the edit refused with the reason, the deletion following, a long post as a thread of
replies (deleted part by part), an expired session refreshed and a revoked app password
breaking the connection with a notice."""

from __future__ import annotations

import time
from urllib.parse import quote

from .harness import api, api_ok, eventually
from .platform_steps import (
    bot_said,
    connection,
    db,
    feed_items,
    management_room,
    messages,
    say,
    sync_now,
)

PASSWORD = "abcd-efgh-ijkl-mnop"


async def _delivered(stack, user, post_id):
    async def settled():
        post = await api_ok(stack, "GET", f"/posts/{quote(post_id, safe='')}", user)
        found = {c["target"]: c for c in post.get("cross_posts", [])}
        return found if found.get("bluesky", {}).get("status") == "delivered" else None

    return (await eventually(settled, what="delivered to Bluesky"))["bluesky"]


async def test_bluesky_by_the_bot_and_rest_reading_cross_posting_and_a_revoked_password(stack):
    pds = stack.platforms.bluesky
    alice, bob = await stack.register("alice"), await stack.register("bob")
    handle = f"alice{time.time_ns() % 10**7}.test"
    did = pds.add_account(handle, "Alice in the Sky")
    friend_handle = f"friend{time.time_ns() % 10**7}.test"
    friend = pds.add_account(friend_handle, "Friend")
    pds.post(did, "first light", images=[("p", "A sunrise over hills")])
    theirs = pds.post(friend, "a thought worth sharing")
    pds.repost(did, theirs)
    pds.post(did, "agreed", quote=theirs)

    # REST: wrong credentials change nothing; the OAuth start says how Bluesky connects.
    status, body = await api(stack, "POST", "/connections/bluesky/app-password", alice,
                             json={"identifier": handle, "password": "wrong"})
    assert (status, body["errcode"]) == (400, "M_INVALID_PARAM") and "app password" in \
        body["error"], body
    status, body = await api(stack, "POST", "/connections/bluesky", alice)
    assert status == 400 and "app-password" in body["error"]
    assert await connection(stack, alice, "bluesky") is None
    shown = await api_ok(stack, "POST", "/connections/bluesky/app-password", alice,
                         json={"identifier": handle, "password": PASSWORD})
    assert shown["account"]["handle"] == handle and shown["status"] == "ok"
    room = await management_room(stack, alice)
    await bot_said(stack, alice, room, f"Connected Bluesky as @{handle}")

    # The bot, in the management room it made: connected at once, and the message holding
    # the password is redacted.
    client = stack.nio(alice)
    await say(client, room, "logout bluesky")
    await bot_said(stack, alice, room, "Disconnected Bluesky")
    await say(client, room, f"login bluesky {handle} {PASSWORD}")

    async def password_gone():
        events = await messages(stack, alice, room)
        redacted = [e for e in events if e.get("unsigned", {}).get("redacted_because")]
        bodies = [e["content"].get("body", "") for e in events]
        return redacted if not any(PASSWORD in b for b in bodies) else None

    await eventually(password_gone, what="the app password redacted")
    said = await bot_said(stack, alice, room, "Connected Bluesky as @", "in a room of their own")
    assert "could not delete" not in said
    stored = await db(stack).fetchval(
        "SELECT token FROM platform_connection WHERE user_id=$1 AND platform='bluesky'",
        alice.user_id)
    assert PASSWORD not in stored and not any(t in stored for t in pds.access)

    # The first sync: her post with its image, her repost, her quote, in her feed, branded.
    async def three():
        items = await feed_items(stack, alice, "bluesky")
        return items if len(items) == 3 else None

    items = await eventually(three, what="three Bluesky items in her feed")
    texts = [i["text"] for i in items]
    assert "first light" in texts and any(t.startswith("Reposted @friend") for t in texts)
    kinds = {i["text"].split(":")[0]: i["external"]["kind"] for i in items}
    assert kinds == {"first light": "post", "agreed": "quote",
                     f"Reposted @{friend_handle}": "repost"}, kinds
    photo = next(i for i in items if i["text"] == "first light")
    assert photo["external"]["branding"]["name"] == "Bluesky"
    assert photo["external"]["url"].startswith(f"https://bsky.app/profile/{handle}/post/")
    assert await feed_items(stack, bob, "bluesky") == []  # not shared: hers only

    # A cross-post: facets at byte offsets, the edit refused with the reason, then deleted.
    text = f"Grüße 🙂 @{handle} #matrix https://example.org/x"
    post = await api_ok(stack, "POST", "/posts", alice, json={"text": text,
                                                              "cross_post": ["bluesky"]})
    delivered = await _delivered(stack, alice, post["id"])
    record = pds.records[delivered["remote_id"]].value
    assert record["text"] == text
    raw = text.encode()
    assert sorted(raw[f["index"]["byteStart"]:f["index"]["byteEnd"]].decode()
                  for f in record["facets"]) == sorted(
        [f"@{handle}", "#matrix", "https://example.org/x"])
    await sync_now(stack, alice, "bluesky")
    assert len(await feed_items(stack, alice, "bluesky")) == 3  # no echo of the cross-post
    await api_ok(stack, "PATCH", f"/posts/{quote(post['id'], safe='')}", alice,
                 json={"text": "changed my mind"})
    await bot_said(stack, alice, room, "Not edited on Bluesky", "Bluesky has no edit")
    assert pds.records[delivered["remote_id"]].value["text"] == text
    await api_ok(stack, "DELETE", f"/posts/{quote(post['id'], safe='')}", alice)
    await eventually(lambda: _gone(pds, delivered["remote_id"]), what="deleted on Bluesky")

    # A post longer than Bluesky's 300 graphemes goes out as a thread of replies, as the
    # preview shows it, each part's facets at its own byte offsets; deleting the post deletes
    # every part.
    long_text = "Threads keep a long post whole. " * 13 + \
        f"Ask @{handle} about it #matrix https://example.org/thread"
    assert 300 < len(long_text) <= 500
    shown = await api_ok(stack, "POST", "/posts/preview", alice,
                         json={"text": long_text, "cross_post": ["bluesky"]})
    [target] = shown["targets"]
    assert [p[-4:] for p in target["parts"]] == [" 1/2", " 2/2"] and not target["truncated"]
    assert target["text"] == "\n\n".join(target["parts"]) and target["length"] <= 300
    post = await api_ok(stack, "POST", "/posts", alice,
                        json={"text": long_text, "cross_post": ["bluesky"]})
    delivered = await _delivered(stack, alice, post["id"])
    thread = pds.thread(delivered["remote_id"])
    assert [r.value["text"] for r in thread] == target["parts"]
    root, reply = thread
    refs = reply.value["reply"]
    assert (refs["root"]["uri"], refs["root"]["cid"]) == (root.uri, root.cid)
    assert (refs["parent"]["uri"], refs["parent"]["cid"]) == (root.uri, root.cid)
    raw = reply.value["text"].encode()
    assert sorted(raw[f["index"]["byteStart"]:f["index"]["byteEnd"]].decode()
                  for f in reply.value["facets"]) == sorted(
        [f"@{handle}", "#matrix", "https://example.org/thread"])
    await sync_now(stack, alice, "bluesky")
    assert len(await feed_items(stack, alice, "bluesky")) == 3  # no echo of either part
    await api_ok(stack, "DELETE", f"/posts/{quote(post['id'], safe='')}", alice)
    await eventually(lambda: _gone_all(pds, [r.uri for r in thread]),
                     what="every part deleted on Bluesky")

    # An expired access token is refreshed (the new pair stored); a revoked app password
    # breaks the connection and she is told.
    pds.expire_access()
    refreshes = pds.count("/xrpc/com.atproto.server.refreshSession")
    await sync_now(stack, alice, "bluesky")
    assert pds.count("/xrpc/com.atproto.server.refreshSession") > refreshes
    assert (await connection(stack, alice, "bluesky"))["status"] == "ok"
    pds.revoke_app_password(did)
    pds.expire_access()
    await db(stack).execute("UPDATE platform_connection SET next_due=0 WHERE user_id=$1 AND "
                            "platform='bluesky'", alice.user_id)
    stack.bridge.services.wakeup.wake()

    async def broken():
        found = await connection(stack, alice, "bluesky")
        return found if found["status"] == "broken" else None

    await eventually(broken, what="the connection broken")
    await bot_said(stack, alice, room, "Your Bluesky connection", "stopped working")


async def _gone(pds, uri) -> bool:
    return uri not in pds.records


async def _gone_all(pds, uris) -> bool:
    return not any(uri in pds.records for uri in uris)
