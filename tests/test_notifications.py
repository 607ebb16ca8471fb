"""Notifications end to end: events written through the API, by plain Matrix clients and by a
user of another server reach the right person, grouped; what an attacker writes around a post
notifies nobody."""

from __future__ import annotations

from urllib.parse import quote

from nio import JoinResponse, RoomCreateResponse, RoomSendResponse

from .harness import api, api_ok, eventually, room_texts


def q(event_id: str) -> str:
    return quote(event_id, safe="")


async def _notifications(stack, user, **query):
    params = "&".join(f"{k}={v}" for k, v in query.items())
    return (await api_ok(stack, "GET", f"/notifications?{params}", user))["items"]


async def _until(stack, user, check, what, **query):
    async def ready():
        items = await _notifications(stack, user, **query)
        return check(items) and items

    return await eventually(ready, timeout=30, what=what)


async def _seen(client, post):
    """A server relates an event only to one it has: the remote one backfills the post."""
    async def there():
        return any(e["event_id"] == post["id"]
                   for e in await room_texts(client, post["room_id"]))

    await eventually(there, timeout=30, what="the post on the other server")


def _shape(items):
    return [(n["type"], n["actor_count"], n["actors"]) for n in items]


async def test_likes_comments_replies_reposts_and_follows_reach_the_author(stack, remote):
    alice, bob = await stack.register("alice"), await stack.register("bob")
    carol, dan = await stack.register("carol"), await remote.register("dan")
    post = await api_ok(stack, "POST", "/posts", alice, json={"text": "tell me"})
    await api_ok(stack, "POST", f"/posts/{q(post['id'])}/like", bob)
    await api_ok(stack, "POST", f"/posts/{q(post['id'])}/like", alice)  # her own: not told
    carol_client = stack.nio(carol)  # a plain client: joining follows, ❤️ likes
    await carol_client.join(post["room_id"])
    sent = await carol_client.room_send(post["room_id"], "m.reaction", {"m.relates_to": {
        "rel_type": "m.annotation", "event_id": post["id"], "key": "❤️"}})
    assert isinstance(sent, RoomSendResponse), getattr(sent, 'message', sent)
    dan_client = remote.nio(dan)  # over federation
    joined = await dan_client.join(f"#feed_{alice.localpart}:{stack.domain}")
    assert isinstance(joined, JoinResponse), joined
    await _seen(dan_client, post)
    sent = await dan_client.room_send(post["room_id"], "m.reaction", {"m.relates_to": {
        "rel_type": "m.annotation", "event_id": post["id"], "key": "❤️"}})
    assert isinstance(sent, RoomSendResponse), getattr(sent, 'message', sent)
    comment = await api_ok(stack, "POST", f"/posts/{q(post['id'])}/comments", bob,
                           json={"text": "first"})
    await api_ok(stack, "POST", f"/posts/{q(post['id'])}/comments", carol,
                 json={"text": "second", "reply_to": comment["id"]})
    await api_ok(stack, "POST", f"/posts/{q(post['id'])}/repost", bob, json={})

    def complete(items):
        likes = [n for n in items if n["type"] == "like"]
        return likes and likes[0]["actor_count"] == 3 \
            and {"follow", "comment", "repost"} <= {n["type"] for n in items}

    items = await _until(stack, alice, complete, "every notification for alice")
    by_type = {}
    for item in items:
        by_type.setdefault(item["type"], []).append(item)
    [like] = by_type["like"]
    assert like["actors"] == [dan.user_id, carol.user_id, bob.user_id], like
    assert like["post_id"] == post["id"] and like["post_excerpt"] == "tell me"
    assert [a["handle"] for a in like["accounts"]] == [dan.user_id, carol.localpart,
                                                        bob.localpart]
    assert [n["actors"] for n in by_type["comment"]] == [[carol.user_id], [bob.user_id]]
    assert by_type["repost"][0]["actors"] == [bob.user_id]
    [follows] = by_type["follow"]  # the same day: one group, newest first
    assert follows["actors"] == [dan.user_id, carol.user_id]
    replies = await _until(stack, bob, lambda items: items, "bob's reply notification")
    assert _shape(replies) == [("reply", 1, [carol.user_id])]
    assert replies[0]["comment_id"] and replies[0]["post_id"] == post["id"]
    # only the types asked for; a type that does not exist is refused
    assert {n["type"] for n in await _notifications(stack, alice, types="follow,repost")} \
        == {"follow", "repost"}
    status, body = await api(stack, "GET", "/notifications?types=like,hack", alice)
    assert status == 400 and body["errcode"] == "M_INVALID_PARAM", body
    # reading: the count goes to 0, a new like makes its group unread again
    unread = await api_ok(stack, "GET", "/notifications/unread_count", alice)
    assert unread["count"] == len(items), (unread, items)
    newest = max(n["id"] for n in items)
    marked = await api_ok(stack, "POST", "/notifications/read", alice, json={"up_to": newest})
    assert marked == {"count": 0}
    assert all(n["read"] for n in await _notifications(stack, alice))
    status, body = await api(stack, "POST", "/notifications/read", alice, json={"up_to": "x"})
    assert status == 400, body
    eve = await stack.register("eve")
    await api_ok(stack, "POST", f"/posts/{q(post['id'])}/like", eve)

    async def unread_again():
        return (await api_ok(stack, "GET", "/notifications/unread_count", alice))["count"] == 1

    await eventually(unread_again, what="a new like makes the group unread")
    [like] = await _notifications(stack, alice, types="like")
    assert like["actors"][0] == eve.user_id and like["actor_count"] == 4
    assert like["read"] is False


async def test_an_attacker_cannot_forge_a_notification(stack):
    """Mallory relates events to alice's post from rooms that are not its room (Synapse
    refuses that from its own clients; another server's could send it, and the index rules
    are tested for it in test_notifications_db.py), likes and mentions in a room that is not a
    feed, writes a top-level message naming bob in alice's feed (not a post), and lists alice
    in m.mentions without naming her. None of it reaches anybody."""
    alice, mallory = await stack.register("alice"), await stack.register("mallory")
    bob = await stack.register("bob")
    post = await api_ok(stack, "POST", "/posts", alice, json={"text": "mine"})
    own = await api_ok(stack, "POST", "/posts", mallory, json={"text": "bait"})
    client = stack.nio(mallory)
    room = await client.room_create(name="not a feed")
    assert isinstance(room, RoomCreateResponse), room
    relation = {"rel_type": "m.annotation", "event_id": post["id"], "key": "❤️"}
    for room_id in (room.room_id, own["room_id"]):
        await client.room_send(room_id, "m.reaction", {"m.relates_to": relation})
        await client.room_send(room_id, "m.room.message", {
            "msgtype": "m.text", "body": "gotcha",
            "m.relates_to": {"rel_type": "m.thread", "event_id": post["id"]}})
    sent = await client.room_send(room.room_id, "m.room.message", {
        "msgtype": "m.text", "body": f"@{alice.localpart} {alice.user_id}"})
    assert isinstance(sent, RoomSendResponse), getattr(sent, "message", sent)
    await client.join(post["room_id"])
    sent = await client.room_send(post["room_id"], "m.room.message", {
        "msgtype": "m.text", "body": f"top level {bob.user_id}"})
    assert isinstance(sent, RoomSendResponse), getattr(sent, "message", sent)
    sent = await client.room_send(own["room_id"], "m.room.message", {
        "msgtype": "m.text", "body": "nothing to see",
        "m.mentions": {"user_ids": [alice.user_id, bob.user_id] * 500}})
    assert isinstance(sent, RoomSendResponse), getattr(sent, "message", sent)
    # a marker sent last: once carol is told, ingest has handled everything before it
    carol = await stack.register("carol")
    await api_ok(stack, "POST", f"/posts/{q(own['id'])}/comments", mallory,
                 json={"text": f"ping @{carol.localpart}"})
    await _until(stack, carol, lambda items: items, "the marker mention")
    # alice was only followed (mallory's plain join)
    assert _shape(await _notifications(stack, alice)) == [("follow", 1, [mallory.user_id])]
    assert await _notifications(stack, bob) == []


async def test_a_mention_typed_in_a_plain_client_is_notified(stack, remote):
    """Full IDs and bare handles typed in a nio client's comment, an Element pill, and a user
    of another server naming alice's AI: each person named is told once."""
    alice, bob, carol = [await stack.register(n) for n in ("alice", "bob", "carol")]
    dan = await remote.register("dan")
    post = await api_ok(stack, "POST", "/posts", alice, json={"text": "thread"})
    client = stack.nio(carol)
    await client.join(post["room_id"])
    sent = await client.room_send(post["room_id"], "m.room.message", {
        "msgtype": "m.text", "body": f"@{bob.user_id[1:]} and @{alice.localpart}: look",
        "m.relates_to": {"rel_type": "m.thread", "event_id": post["id"]}})
    assert isinstance(sent, RoomSendResponse), getattr(sent, 'message', sent)
    await _until(stack, bob, lambda items: items, "bob's mention")
    assert _shape(await _notifications(stack, bob)) == [("mention", 1, [carol.user_id])]
    # alice is named and is the post's author: told once (the mention)
    items = await _until(stack, alice, lambda items: items, "alice's mention",
                         types="mention,comment")
    assert _shape(items) == [("mention", 1, [carol.user_id])]
    dan_client = remote.nio(dan)
    joined = await dan_client.join(f"#feed_{alice.localpart}:{stack.domain}")
    assert isinstance(joined, JoinResponse), joined
    await _seen(dan_client, post)
    ai = f"@{alice.localpart}_ai:{stack.domain}"
    sent = await dan_client.room_send(post["room_id"], "m.room.message", {
        "msgtype": "m.text", "body": "Alice's AI: what do you think?",
        "format": "org.matrix.custom.html",
        "formatted_body": f'<a href="https://matrix.to/#/{quote(ai)}">Alice\'s AI</a>: what?',
        "m.mentions": {"user_ids": [ai]},
        "m.relates_to": {"rel_type": "m.thread", "event_id": post["id"]}})
    assert isinstance(sent, RoomSendResponse), getattr(sent, 'message', sent)
    items = await _until(stack, alice, lambda items: len(items) == 2, "the AI's mention",
                         types="mention")
    assert items[0]["type"] == "mention" and items[0]["actors"] == [dan.user_id]
    assert items[0]["via"] == ai
