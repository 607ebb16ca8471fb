"""Across federation: a second Synapse on loopback (TLS federation listener, self-signed)."""

from __future__ import annotations

from nio import JoinResponse, RoomCreateResponse, RoomResolveAliasResponse

from matrix_social import events as ev

from .harness import api_ok, eventually, room_texts, wait_joined


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
    await api_ok(stack, "POST", f"/posts/{post['id'].replace('$', '%24')}/like", alice)


async def test_remote_user_dms_an_ai_and_gets_an_answer(stack, remote):
    alice = await stack.register("alice")
    dave = await remote.register("dave")
    ai = stack.mxid(f"{alice.localpart}_ai")
    client = remote.nio(dave)
    room = await client.room_create(is_direct=True, invite=[ai])
    assert isinstance(room, RoomCreateResponse), room
    await wait_joined(client, room.room_id, ai)
    await client.room_send(room.room_id, "m.room.message",
                           {"msgtype": "m.text", "body": "hi from afar"})

    async def answered():
        events = await room_texts(client, room.room_id)
        return [e["content"].get("body") for e in events
                if e["sender"] == ai and e["type"] == "m.room.message"]

    assert await eventually(answered, timeout=30, what="AI answered") == ["echo: hi from afar"]
    request = stack.agent.requests_for(ai)[-1]
    assert request["sender"]["user_id"] == dave.user_id
    assert request["sender"]["followers_count"] == 0


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
