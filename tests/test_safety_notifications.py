"""Notifications and safety through the real Synapse (and the second, federating server): the
people she blocked or muted reach her notifications by no path — likes, comments, mentions
typed in the API or in a plain client, over federation — nor Element's bell through our
service's events; a block takes his earlier notifications away for good, a mute only while it
lasts; her muted words hide mentions; her AI's answers to others in a public room notify her;
the bot blocks and mutes from her management room."""

from __future__ import annotations

from urllib.parse import quote

import aiohttp
from nio import JoinResponse, RoomSendResponse

from matrix_social.content.compose import comment_content

from .harness import api_ok, eventually, open_dm, room_texts
from .platform_steps import bot_said, command_room, say
from .test_live import Events, _open
from .test_web_app import public_room_where_ai_answered


def q(value: str) -> str:
    return quote(value, safe="")


async def _items(stack, user):
    return (await api_ok(stack, "GET", "/notifications", user))["items"]


async def _count(stack, user):
    return (await api_ok(stack, "GET", "/notifications/unread_count", user))["count"]


async def _pushed(stack, user, event_id):
    """Whether Synapse's push rules highlighted the event for `user` as a mention (Element's
    bell and red badge; every message of a room she is in is a plain notification by the
    default `.m.rule.message`)."""
    status, body = await stack.request(
        "GET", f"{stack.synapse.url}/_matrix/client/v3/notifications?limit=100&only=highlight",
        token=user.access_token)
    assert status == 200, body
    return any(n["event"]["event_id"] == event_id for n in body["notifications"])


async def _content(stack, user, room_id, event_id):
    status, event = await stack.request(
        "GET", f"{stack.synapse.url}/_matrix/client/v3/rooms/{q(room_id)}/event/{q(event_id)}",
        token=user.access_token)
    assert status == 200, event
    return event["content"]


async def _seen(client, room_id, event_id):
    async def there():
        return any(e["event_id"] == event_id for e in await room_texts(client, room_id))

    await eventually(there, timeout=30, what="the event on the other server")


async def test_whom_she_blocked_or_muted_never_reaches_her_notifications(stack, remote):
    alice, bob, carol, erin = [await stack.register(n) for n in ("alice", "bob", "carol",
                                                                  "erin")]
    dan, gus = await remote.register("dan"), await remote.register("gus")
    post = await api_ok(stack, "POST", "/posts", alice, json={"text": "notify me"})
    for user in (bob, carol):
        await api_ok(stack, "POST", f"/posts/{q(post['id'])}/like", user)
    await api_ok(stack, "POST", f"/posts/{q(post['id'])}/comments", bob, json={"text": "hi"})
    # His repost (in his own room) and his follow are not redacted by a block.
    await api_ok(stack, "POST", f"/posts/{q(post['id'])}/repost", bob, json={})
    await api_ok(stack, "POST", "/follow", bob, json={"handle": alice.localpart})
    dan_client = remote.nio(dan)  # a like over federation
    joined = await dan_client.join(f"#feed_{alice.localpart}:{stack.domain}")
    assert isinstance(joined, JoinResponse), joined
    await _seen(dan_client, post["room_id"], post["id"])
    sent = await dan_client.room_send(post["room_id"], "m.reaction", {"m.relates_to": {
        "rel_type": "m.annotation", "event_id": post["id"], "key": "❤️"}})
    assert isinstance(sent, RoomSendResponse), sent

    async def all_four():
        items = await _items(stack, alice)
        likes = [n for n in items if n["type"] == "like"]
        return likes and likes[0]["actor_count"] == 3 and \
            {"repost", "follow", "comment"} <= {n["type"] for n in items} and items

    await eventually(all_four, timeout=30, what="likes, a comment, a repost and follows")
    assert await _count(stack, alice) >= 3

    # She blocks bob and dan, and mutes carol for an hour.
    for user in (bob, dan):
        await api_ok(stack, "POST", "/blocks", alice, json={"user_id": user.user_id})
    mute = await api_ok(stack, "POST", "/mutes", alice, json={
        "user_id": carol.user_id, "expires_at": 4_102_444_800_000})
    assert mute["muted"] is True
    items = await _items(stack, alice)
    actors = {a for n in items for a in n["actors"]}
    assert not actors & {bob.user_id, dan.user_id, carol.user_id}, items
    assert items == [] and await _count(stack, alice) == 0  # the follows were bob's and dan's

    # Erin's public post, which alice reads: bob (API) and dan (a plain client, over
    # federation) mention alice under it; erin and gus (controls) too.
    await api_ok(stack, "POST", "/follow", alice, json={"handle": erin.localpart})
    # Her Element takes bob off her ignore list (the block stands in the service): Synapse's
    # push rules then depend on the m.mentions our service writes for him.
    status, _ = await stack.request(
        "PUT", f"{stack.synapse.url}/_matrix/client/v3/user/{q(alice.user_id)}/account_data/"
        "m.ignored_user_list", token=alice.access_token,
        json={"ignored_users": {dan.user_id: {}}})
    assert status == 200
    theirs = await api_ok(stack, "POST", "/posts", erin, json={"text": "what do you think"})
    by_bob = await api_ok(stack, "POST", f"/posts/{q(theirs['id'])}/comments", bob,
                          json={"text": f"@{alice.localpart} look at this"})
    bob_content = await _content(stack, bob, theirs["room_id"], by_bob["id"])
    assert alice.user_id not in bob_content["m.mentions"]["user_ids"], bob_content
    assert "matrix.to" not in bob_content.get("formatted_body", ""), bob_content
    pill = {"format": "org.matrix.custom.html",
            "m.mentions": {"user_ids": [alice.user_id]}}
    by_dan, by_gus = [], []
    for _user, client, out in ((dan, dan_client, by_dan), (gus, remote.nio(gus), by_gus)):
        joined = await client.join(f"#feed_{erin.localpart}:{stack.domain}")
        assert isinstance(joined, JoinResponse), joined
        await _seen(client, theirs["room_id"], theirs["id"])
        content = {**comment_content(theirs["id"], f"{alice.user_id} see", None), **pill,
                   "formatted_body": f'<a href="https://matrix.to/#/{alice.user_id}">alice</a>'
                                     " see"}
        sent = await client.room_send(theirs["room_id"], "m.room.message", content)
        assert isinstance(sent, RoomSendResponse), sent
        out.append(sent.event_id)
    by_carol = await api_ok(stack, "POST", f"/posts/{q(theirs['id'])}/comments", carol,
                            json={"text": f"@{alice.localpart} muted me"})
    by_erin = await api_ok(stack, "POST", f"/posts/{q(theirs['id'])}/comments", erin,
                           json={"text": f"@{alice.localpart} your view?"})

    async def controls():
        items = await _items(stack, alice)
        ids = {n.get("comment_id") for n in items if n["type"] == "mention"}
        return {by_erin["id"], by_gus[0]} <= ids and items

    items = await eventually(controls, timeout=40, what="erin's and gus's mentions")
    shown = {n.get("comment_id") for n in items}
    assert not shown & {by_bob["id"], by_dan[0], by_carol["id"]}, items
    assert await _count(stack, alice) == 2
    # Element's bell (Synapse's push rules): erin's mention is one, bob's is not.
    await eventually(lambda: _pushed(stack, alice, by_erin["id"]), what="erin's push")
    assert not await _pushed(stack, alice, by_bob["id"])

    # Her muted word of context notifications hides gus's mention ("see"), not erin's.
    word = await api_ok(stack, "POST", "/muted_words", alice, json={
        "word": "SEE", "contexts": ["notifications"]})
    ids = {n.get("comment_id") for n in await _items(stack, alice)}
    assert by_erin["id"] in ids and by_gus[0] not in ids
    assert await _count(stack, alice) == 1
    await api_ok(stack, "DELETE", f"/muted_words/{word['id']}", alice)

    # The mute ends: carol's like from before it is back; what she did during it is not.
    await api_ok(stack, "DELETE", f"/mutes/{q(carol.user_id)}", alice)
    items = await _items(stack, alice)
    [like] = [n for n in items if n["type"] == "like"]
    assert like["actors"] == [carol.user_id]
    assert by_carol["id"] not in {n.get("comment_id") for n in items}
    # The unblock brings none of bob's back.
    await api_ok(stack, "DELETE", f"/blocks/{q(bob.user_id)}", alice)
    assert bob.user_id not in {a for n in await _items(stack, alice) for a in n["actors"]}


async def test_her_ai_answering_others_in_public_notifies_her(stack):
    alice, bob = await stack.register("alice"), await stack.register("bob")
    ai = stack.mxid(f"{alice.localpart}_ai")

    async def answers(user, room_id) -> int:
        return sum(e["sender"] == ai and e["type"] == "m.room.message"
                   for e in await room_texts(stack.nio(user), room_id))

    async def told():
        return [n for n in await _items(stack, alice) if n["type"] == "ai_answer"]

    # Bob's DM with her AI, and her own: answered, private, no notification.
    for user in (bob, alice):
        dm = await open_dm(stack, user, ai)
        await stack.nio(user).room_send(dm, "m.room.message", {"msgtype": "m.text",
                                                               "body": "hello there"})
        await eventually(lambda u=user, d=dm: answers(u, d), timeout=40,
                         what="her AI's answer in a DM")
    # A public room of three: she asks her AI first (nothing), then bob does.
    alias = await public_room_where_ai_answered(stack, alice, bob, ai, "Open room")
    room = (await stack.nio(bob).room_resolve_alias(alias)).room_id
    await eventually(lambda: answers(alice, room), timeout=40, what="her AI answering her")
    async with aiohttp.ClientSession() as session:  # her bell on the live stream
        stream = Events(await _open(session, stack, token=alice.access_token))
        await stack.nio(bob).room_send(room, "m.room.message", {
            "msgtype": "m.text", "body": f"{ai}: and me?", "m.mentions": {"user_ids": [ai]}})
        _, pushed = await stream.next("notification", timeout=60)
        assert pushed == {"unread_count": 1}
        stream.response.close()
    [note] = await eventually(told, timeout=40, what="alice's ai_answer notification")
    assert note["actors"] == [bob.user_id] and note["room_id"] == room, note
    assert await answers(alice, room) == 2
    assert len(await told()) == 1  # neither DM nor her own question notified her
    assert all(n["type"] != "ai_answer" for n in await _items(stack, bob))


async def test_the_bot_blocks_and_mutes_from_her_management_room(stack, remote):
    alice, bob, mallory = [await stack.register(n) for n in ("alice", "bob", "mallory")]
    dan = await remote.register("dan")
    client, room = await command_room(stack, alice)
    await say(client, room, "help")
    await bot_said(stack, alice, room, "block <user>")
    await say(client, room, "block")
    await bot_said(stack, alice, room, "Say whom: block @someone:server")
    await say(client, room, f"block {alice.localpart}")
    await bot_said(stack, alice, room, "You cannot block yourself")
    await say(client, room, f"block {bob.localpart} with ai")
    await bot_said(stack, alice, room, f"Blocked {bob.user_id} and @{bob.localpart}_ai")
    blocked = await api_ok(stack, "GET", "/blocks", alice)
    assert {b["user_id"] for b in blocked["items"]} == {
        bob.user_id, stack.mxid(f"{bob.localpart}_ai")}
    await say(client, room, f"mute {dan.user_id} for forever")
    await bot_said(stack, alice, room, "mute @someone:server for 2h")
    await say(client, room, f"mute {dan.user_id} for 2h")
    await bot_said(stack, alice, room, f"Muted {dan.user_id} until")
    [muted] = (await api_ok(stack, "GET", "/mutes", alice))["items"]
    assert muted["user_id"] == dan.user_id and muted["expires_at"] is not None
    await say(client, room, "muted")
    await bot_said(stack, alice, room, "You have muted:", dan.user_id)

    # Mallory, in a room with alice and the bot, commands nothing for alice.
    mclient = stack.nio(mallory)
    shared = await open_dm(stack, mallory, stack.bridge.services.ids.bot)
    await mclient.room_invite(shared, alice.user_id)
    await client.join(shared)
    await say(mclient, shared, f"unblock {bob.user_id}")
    await say(mclient, shared, f"block {alice.user_id}")
    # Her own commands go on in order; by their answer, mallory's were seen and ignored.
    await say(client, room, f"unmute {dan.user_id}")
    await bot_said(stack, alice, room, f"Unmuted {dan.user_id}.")
    assert len((await api_ok(stack, "GET", "/blocks", alice))["items"]) == 2
    assert (await api_ok(stack, "GET", "/blocks", mallory))["items"] == []
    await say(client, room, f"unmute {dan.user_id}")
    await bot_said(stack, alice, room, f"You have not muted {dan.user_id}")
    await say(client, room, f"unblock {bob.user_id}")
    await bot_said(stack, alice, room, "Unblocked")
    assert (await api_ok(stack, "GET", "/blocks", alice))["items"] == []
