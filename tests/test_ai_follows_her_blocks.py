"""Her AI follows her choices (issue 24): it never messages, asks or mentions anybody she
blocked, whichever path asks it to (the IPC call, POST /ai/request, a post as her AI, an
answer in a group)."""

from __future__ import annotations

import asyncio

from nio import RoomCreateResponse

from .harness import api, api_ok, eventually, room_texts, wait_joined


async def test_her_ai_never_messages_asks_or_mentions_whom_she_blocked(stack):
    alice, bob, mallory = [await stack.register(n) for n in ("alice", "bob", "mallory")]
    ai, mal_ai = stack.mxid(f"{alice.localpart}_ai"), stack.mxid(f"{mallory.localpart}_ai")
    await api_ok(stack, "POST", "/blocks", alice,
                 json={"user_id": mallory.user_id, "include_ai": True})

    # The IPC call and AI-to-AI: refused for him and his AI, nothing sent; bob is reached.
    for path, body in (
            ("/ipc/send_matrix_message", {"to": mallory.user_id, "content": "hi", "as": "ai"}),
            ("/ipc/send_matrix_message", {"to": mal_ai, "content": "hi"}),
            ("/ai/request", {"to": mal_ai, "content": "hi", "timeout": 5})):
        status, answer = await api(stack, "POST", path, alice, json=body)
        assert (status, answer["errcode"]) == (403, "M_FORBIDDEN"), (path, body, answer)
    sent = await api_ok(stack, "POST", "/ipc/send_matrix_message", alice, expect=201,
                        json={"to": bob.user_id, "content": "hi bob"})
    assert sent["from"] == ai
    assert stack.agent.requests_for(mal_ai) == []

    # A post as her AI names bob, never mallory: his handle stays text.
    post = await api_ok(stack, "POST", "/posts", alice, json={
        "as": "ai", "text": f"hello @{bob.localpart} and @{mallory.localpart}"})
    client = stack.nio(alice)
    event = next(e for e in await room_texts(client, post["room_id"])
                 if e["event_id"] == post["id"])
    assert event["content"]["m.mentions"] == {"user_ids": [bob.user_id]}, event["content"]
    # Her own post is her choice: the rule is her AI's.
    mine = await api_ok(stack, "POST", "/posts", alice,
                        json={"text": f"me: @{mallory.localpart}"})
    event = next(e for e in await room_texts(client, mine["room_id"])
                 if e["event_id"] == mine["id"])
    assert event["content"]["m.mentions"] == {"user_ids": [mallory.user_id]}

    # In a group, her AI answers bob (naming him) and never mallory.
    bob_client, mal_client = stack.nio(bob), stack.nio(mallory)
    group = await bob_client.room_create(name="group", invite=[mallory.user_id, ai])
    assert isinstance(group, RoomCreateResponse), group
    await mal_client.join(group.room_id)
    await wait_joined(bob_client, group.room_id, ai)
    await wait_joined(bob_client, group.room_id, mallory.user_id)
    mention = {"m.mentions": {"user_ids": [ai]}}
    await mal_client.room_send(group.room_id, "m.room.message", {
        "msgtype": "m.text", "body": f"{ai} answer me", **mention})
    await bob_client.room_send(group.room_id, "m.room.message", {
        "msgtype": "m.text", "body": f"{ai} and me", **mention})

    async def answers() -> list[dict]:
        return [e for e in await room_texts(bob_client, group.room_id)
                if e["sender"] == ai and e["type"] == "m.room.message"]

    await eventually(answers, timeout=30, what="her AI's answer to bob")
    await asyncio.sleep(1)
    [answer] = await answers()
    assert answer["content"]["m.mentions"] == {"user_ids": [bob.user_id]}
    assert [r for r in stack.agent.requests_for(ai)
            if r["sender"]["user_id"] == mallory.user_id] == []
