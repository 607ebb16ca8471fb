"""Messaging someone's AI: answers, typing and receipts, the call-center model, rate limits."""

from __future__ import annotations

import asyncio

from matrix_social.ai.backends import APOLOGY, BuiltinBackend

from .harness import RawSync, api_ok, eventually, open_dm, room_texts, spend_the_hour


def _ai_messages(seen: dict, ai: str) -> list[str]:
    return [e["content"].get("body") for e in seen["timeline"]
            if e["sender"] == ai and e["type"] == "m.room.message"]


async def test_dm_to_ai_is_answered_with_typing_and_a_receipt(stack):
    alice, bob = await stack.register("alice"), await stack.register("bob")
    ai = stack.mxid(f"{alice.localpart}_ai")
    room_id = await open_dm(stack, bob, ai)
    sync = RawSync(stack, bob)
    await sync.poll(0)
    stack.agent.delay = 1.5
    try:
        sent = await stack.nio(bob).room_send(room_id, "m.room.message",
                                              {"msgtype": "m.text", "body": "hello AI"})
        seen = await sync.collect(room_id, lambda s: "echo: hello AI" in _ai_messages(s, ai))
    finally:
        stack.agent.delay = 0.0
    typing = [e for e in seen["ephemeral"] if e["type"] == "m.typing"
              and ai in e["content"].get("user_ids", [])]
    assert typing, "the client never saw the AI typing"
    receipts = [e for e in seen["ephemeral"] if e["type"] == "m.receipt"
                and ai in str(e["content"].get(sent.event_id, {}))]
    assert receipts, "the client never saw the AI's read receipt on the message"


async def test_backend_gets_only_the_public_profile_and_this_rooms_messages(stack):
    alice, bob = await stack.register("alice"), await stack.register("bob")
    ai = stack.mxid(f"{alice.localpart}_ai")
    await api_ok(stack, "PATCH", "/profile", bob, json={"bio": "bob's public bio"})
    await api_ok(stack, "PATCH", "/profile/ai", alice, json={"skills": ["chess"]})
    other_room = await open_dm(stack, alice, ai)
    await stack.nio(alice).room_send(other_room, "m.room.message",
                                     {"msgtype": "m.text", "body": "owner secret plans"})
    await eventually(lambda: _len(stack.agent.requests_for(ai), 1), what="owner answered")
    room_id = await open_dm(stack, bob, ai)
    client = stack.nio(bob)
    await client.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": "first"})
    await eventually(lambda: _len(stack.agent.requests_for(ai), 2), what="first answered")
    await client.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": "second"})
    await eventually(lambda: _len(stack.agent.requests_for(ai), 3), what="second answered")
    request = stack.agent.requests_for(ai)[-1]
    assert set(request) == {"kind", "ai", "sender", "sender_is_owner", "room_id", "message",
                            "history", "_path"}
    assert set(request["sender"]) == {"user_id", "handle", "display_name", "avatar_url", "bio",
                                      "followers_count", "following_count"}
    assert request["sender"]["user_id"] == bob.user_id
    assert request["sender"]["bio"] == "bob's public bio"
    assert request["sender_is_owner"] is False and request["room_id"] == room_id
    assert request["message"]["body"] == "second"
    assert [h["body"] for h in request["history"]] == ["first", "echo: first"]
    assert "owner secret plans" not in str(request)
    assert request["ai"]["profile"]["skills"] == ["chess"]
    assert request["_path"] == f"/agents/{alice.localpart}/matrix"


async def _len(items, n):
    return len(items) >= n


async def test_eleventh_message_in_an_hour_reaches_no_backend_even_after_restart(stack):
    alice, carol = await stack.register("alice"), await stack.register("carol")
    ai = stack.mxid(f"{alice.localpart}_ai")
    room_id = await open_dm(stack, carol, ai)
    client = stack.nio(carol)

    async def send(n: int) -> None:
        await client.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": f"m{n}"})

    for n in range(6):
        await send(n)
    await eventually(lambda: _len(stack.agent.requests_for(ai), 6), what="six answered")
    await stack.stop_bridge()
    await stack.start_bridge()
    for n in range(6, 13):
        await send(n)
    client_view = stack.nio(carol)

    async def notices():
        events = await room_texts(client_view, room_id)
        return [e for e in events if e["sender"] == ai
                and e["content"].get("msgtype") == "m.notice"]

    await eventually(notices, what="rate-limit notice")
    await asyncio.sleep(1.5)  # let the last messages be handled too
    bodies = [r["message"]["body"] for r in stack.agent.requests_for(ai)]
    assert bodies == [f"m{n}" for n in range(10)]
    assert len(await notices()) == 1, "one notice per window, not one per message"


async def test_owner_is_not_rate_limited(stack):
    alice = await stack.register("alice")
    ai = stack.mxid(f"{alice.localpart}_ai")
    room_id = await open_dm(stack, alice, ai)
    client = stack.nio(alice)
    for n in range(12):
        await client.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": f"o{n}"})
    await eventually(lambda: _len(stack.agent.requests_for(ai), 12), what="all 12 answered")
    assert all(r["sender_is_owner"] for r in stack.agent.requests_for(ai))


async def test_a_mention_in_a_group_passes_the_same_limit(stack):
    alice, dan = await stack.register("alice"), await stack.register("dan")
    ai = stack.mxid(f"{alice.localpart}_ai")
    client = stack.nio(dan)
    from nio import RoomCreateResponse

    room = await client.room_create(name="group", invite=[ai, alice.user_id])
    assert isinstance(room, RoomCreateResponse)
    await stack.nio(alice).join(room.room_id)
    await eventually(lambda: _joined(client, room.room_id, ai), what="AI joined the group")
    await spend_the_hour(stack, ai, dan.user_id)
    sync = RawSync(stack, dan)
    await sync.poll(0)
    await client.room_send(room.room_id, "m.room.message", {
        "msgtype": "m.text", "body": f"{ai}: one more?", "m.mentions": {"user_ids": [ai]}})

    def by_ai(seen: dict, notice: bool) -> list[dict]:
        return [e for e in seen["timeline"] if e["sender"] == ai
                and (e["content"].get("msgtype") == "m.notice") == notice]

    # the notice, or (if the limit were skipped) the answer, whichever the AI sends
    seen = await sync.collect(room.room_id, lambda s: by_ai(s, True) or by_ai(s, False))
    assert by_ai(seen, True) and not by_ai(seen, False), seen["timeline"]
    assert stack.agent.requests_for(ai) == []


async def _joined(client, room_id: str, user_id: str) -> bool:
    members = await client.joined_members(room_id)
    return user_id in {m.user_id for m in getattr(members, "members", [])}


async def test_backend_failure_gets_an_apology_and_groups_need_a_mention(stack):
    alice, dan, erin = [await stack.register(n) for n in ("alice", "dan", "erin")]
    ai = stack.mxid(f"{alice.localpart}_ai")
    client = stack.nio(dan)
    from nio import RoomCreateResponse

    room = await client.room_create(name="group", invite=[ai, erin.user_id])
    assert isinstance(room, RoomCreateResponse)
    await stack.nio(erin).join(room.room_id)

    async def ai_joined():
        members = await client.joined_members(room.room_id)
        return ai in {m.user_id for m in members.members}

    await eventually(ai_joined, what="AI joined the group")
    sync = RawSync(stack, dan)
    await sync.poll(0)
    await client.room_send(room.room_id, "m.room.message",
                           {"msgtype": "m.text", "body": "not for the AI"})
    await client.room_send(room.room_id, "m.room.message", {
        "msgtype": "m.text", "body": f"{ai}: please fail",
        "m.mentions": {"user_ids": [ai]}})
    seen = await sync.collect(room.room_id, lambda s: APOLOGY in _ai_messages(s, ai))
    assert _ai_messages(seen, ai) == [APOLOGY]
    assert [r["message"]["body"] for r in stack.agent.requests_for(ai)] == [f"{ai}: please fail"]


async def test_builtin_backend_answers_from_the_ai_profile():
    request = {
        "ai": {"user_id": "@a_ai:x", "display_name": "A's AI", "owner_name": "A",
               "profile": {"personality": "Kind.", "skills": ["chess", "tea"],
                           "capabilities": ["books lessons"]}},
        "sender": {"handle": "b", "display_name": "B"}, "message": {"body": "hi"},
        "history": [],
    }
    answer = await BuiltinBackend().answer(request)
    assert "Hi B!" in answer and "chess, tea" in answer and "books lessons" in answer


async def test_ai_puppet_has_an_avatar_and_follows_its_owners_name(stack):
    alice = await stack.register("alice")
    ai = stack.mxid(f"{alice.localpart}_ai")
    await api_ok(stack, "POST", "/posts", alice, json={"text": "hi", "as": "ai"})
    await api_ok(stack, "POST", "/posts", alice, json={"text": "hi"})
    client = stack.nio(alice)
    profile = await client.get_profile(ai)
    assert profile.avatar_url and profile.avatar_url.startswith("mxc://")
    assert profile.displayname == f"{alice.localpart}'s AI"
    await client.set_displayname("Alicia")

    async def renamed():
        return (await client.get_profile(ai)).displayname == "Alicia's AI"

    await eventually(renamed, what="AI name follows the owner's")
