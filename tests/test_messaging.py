"""DMs, groups, rich messages, AI-to-AI requests and send_matrix_message."""

from __future__ import annotations

import io
import os
from urllib.parse import quote

from nio import JoinResponse
from PIL import Image

from matrix_social import events as ev

from .harness import api, api_ok, room_texts, run_cli


def q(value: str) -> str:
    return quote(value, safe="")


async def _account_direct(stack, user) -> dict:
    status, body = await stack.request(
        "GET", f"{stack.synapse.url}/_matrix/client/v3/user/{q(user.user_id)}/account_data/"
        "m.direct", token=user.access_token)
    return body if status == 200 else {}


async def test_dm_is_reused_marked_direct_encrypted_and_refuses_sending_as_the_human(stack):
    alice, bob = await stack.register("alice"), await stack.register("bob")
    first = await api_ok(stack, "POST", "/messages/dm", alice, json={"to": bob.user_id})
    assert first["created"] is True and first["encrypted"] is True
    again = await api_ok(stack, "POST", "/messages/dm", alice, json={"to": bob.user_id})
    assert again == {**first, "created": False}
    assert first["room_id"] in (await _account_direct(stack, alice))[bob.user_id]
    status, body = await api(stack, "POST", f"/messages/rooms/{q(first['room_id'])}/send", alice,
                             json={"text": "secret"})
    assert (status, body["errcode"]) == (403, "M_FORBIDDEN") and "encrypted" in body["error"]
    events = await room_texts(stack.nio(alice), first["room_id"])
    assert not [e for e in events if e["type"] in ("m.room.message", "m.room.encrypted")]
    for bad, code in (({"to": "bob"}, 400), ({"to": f"@nobody:{stack.domain}"}, 404),
                      ({"to": alice.user_id}, 400), ({"to": bob.user_id, "encrypted": "no"}, 400)):
        status, body = await api(stack, "POST", "/messages/dm", alice, json=bad)
        assert status == code, (bad, body)


async def test_groups_members_and_rich_messages(stack):
    alice, bob, carol = [await stack.register(n) for n in ("alice", "bob", "carol")]
    group = await api_ok(stack, "POST", "/messages/groups", alice,
                         json={"name": "Book club", "members": [bob.user_id]})
    room_id = group["room_id"]
    joined = await stack.nio(bob).join(room_id)
    assert isinstance(joined, JoinResponse), joined
    await api_ok(stack, "POST", f"/messages/rooms/{q(room_id)}/invite", alice,
                 json={"user": carol.user_id})
    await stack.nio(carol).join(room_id)
    members = await api_ok(stack, "GET", f"/messages/rooms/{q(room_id)}/members", alice)
    assert {m["user_id"] for m in members["members"]} == {alice.user_id, bob.user_id,
                                                          carol.user_id}
    removed = await api_ok(stack, "POST", f"/messages/rooms/{q(room_id)}/remove", alice,
                           json={"user": carol.user_id})
    assert carol.user_id not in {m["user_id"] for m in removed["members"]}
    status, body = await api(stack, "POST", f"/messages/rooms/{q(room_id)}/remove", bob,
                             json={"user": alice.user_id})
    assert (status, body["errcode"]) == (403, "M_FORBIDDEN")
    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, format="GIF")
    image = await api_ok(stack, "POST", "/media", alice, data=out.getvalue())
    doc = await api_ok(stack, "POST", "/media?kind=file", alice, data=b"%PDF-1.4 notes")
    assert doc["mimetype"] == "application/octet-stream"
    send = f"/messages/rooms/{q(room_id)}/send"
    await api_ok(stack, "POST", send, alice, json={"text": "hello club"})
    await api_ok(stack, "POST", send, alice, json={"kind": "image", "media": image["content_uri"],
                                                  "text": "cover"})
    await api_ok(stack, "POST", send, alice, json={"kind": "file", "media": doc["content_uri"],
                                                  "filename": "notes.pdf"})
    await api_ok(stack, "POST", send, alice, json={"kind": "app", "app": {
        "name": "Reader", "url": "https://a.example/r"}})
    events = [e for e in await room_texts(stack.nio(bob), room_id)
              if e["type"] == "m.room.message"]
    assert [e["content"]["msgtype"] for e in events][::-1] == ["m.text", "m.image", "m.file",
                                                             "m.text"]
    assert events[1]["content"]["filename"] == "notes.pdf"
    assert "Try it" in events[0]["content"]["body"]
    status, body = await api(stack, "POST", send, carol, json={"text": "I was removed"})
    assert (status, body["errcode"]) == (404, "M_NOT_FOUND")
    status, body = await api(stack, "POST", send, alice, json={"kind": "image",
                                                               "media": "mxc://x/other"})
    assert (status, body["errcode"]) == (400, "M_INVALID_PARAM")
    dm = await api_ok(stack, "POST", "/messages/dm", alice, json={"to": bob.user_id})
    conversations = await api_ok(stack, "GET", "/messages/conversations", alice)
    kinds = {c["room_id"]: c["kind"] for c in conversations["items"]}
    assert kinds[room_id] == "group" and kinds[dm["room_id"]] == "dm"
    assert conversations["items"][0]["last_activity"] >= conversations["items"][-1][
        "last_activity"]
    await api_ok(stack, "POST", f"/messages/rooms/{q(room_id)}/leave", alice)
    status, _ = await api(stack, "GET", f"/messages/rooms/{q(room_id)}/members", alice)
    assert status == 404


async def test_conversations_page_by_cursor_newest_activity_first(stack):
    """Every joined room but feed rooms, by last activity, continued by cursor; a room with
    new activity moves to the top, a room left leaves the list (each page one /sync)."""
    alice, bob = await stack.register("alice"), await stack.register("bob")
    await api_ok(stack, "POST", "/follow", alice, json={"handle": bob.localpart})
    await api_ok(stack, "POST", "/posts", alice, json={"text": "a post in my feed room"})
    rooms = []
    for i in range(5):
        group = await api_ok(stack, "POST", "/messages/groups", alice,
                             json={"name": f"club {i}", "members": [bob.user_id],
                                   "encrypted": i == 4})
        if i < 4:
            await api_ok(stack, "POST", f"/messages/rooms/{q(group['room_id'])}/send", alice,
                         json={"text": f"hello {i}"})
        rooms.append(group["room_id"])

    async def walk(limit: int) -> list[dict]:
        items, cursor = [], None
        for _ in range(10):
            suffix = f"&cursor={cursor}" if cursor else ""
            page = await api_ok(stack, "GET", f"/messages/conversations?limit={limit}{suffix}",
                                alice)
            items += page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                return items
        raise AssertionError("more pages than rooms")

    everything = await walk(2)
    assert [c["room_id"] for c in everything] == rooms[::-1]
    assert [c["name"] for c in everything] == [f"club {i}" for i in range(4, -1, -1)]
    assert [c["encrypted"] for c in everything] == [True, False, False, False, False]
    assert all(c["kind"] == "group" for c in everything)
    stamps = [c["last_activity"] for c in everything]
    assert stamps == sorted(stamps, reverse=True)
    first = await api_ok(stack, "GET", "/messages/conversations?limit=2", alice)
    await api_ok(stack, "POST", f"/messages/rooms/{q(rooms[0])}/send", alice,
                 json={"text": "back to the top"})
    await api_ok(stack, "POST", f"/messages/rooms/{q(rooms[2])}/leave", alice)
    rest = await api_ok(stack, "GET", f"/messages/conversations?limit=10&cursor="
                        f"{first['next_cursor']}", alice)
    assert [c["room_id"] for c in rest["items"]] == [rooms[1]]
    assert [c["room_id"] for c in await walk(10)] == [rooms[0], rooms[4], rooms[3], rooms[1]]
    for bad in ("nonsense", "W10", first["next_cursor"] + "x"):
        status, body = await api(stack, "GET", f"/messages/conversations?cursor={bad}", alice)
        assert (status, body["errcode"]) == (400, "M_INVALID_PARAM"), bad
    # Which way the list came: Synapse's sliding sync (each page asks for the most recent
    # rooms down to its end) or, on a homeserver without it (Conduit), /sync, whose list the
    # service keeps per user.
    messaging = stack.bridge.services.messaging
    synced = alice.user_id in messaging.room_lists._lists
    assert synced is (not stack.synapse.sliding_sync), (synced, stack.synapse.sliding_sync)


async def test_deep_conversation_pages_skip_nothing_when_rooms_move_or_are_left(stack,
                                                                                 monkeypatch):
    """A later page asks the homeserver only for rooms near where the last one ended; rooms
    that moved to the top, or were left, before it change where that is, and none is skipped
    or shown twice."""
    alice, bob = await stack.register("alice"), await stack.register("bob")
    rooms = []
    for i in range(9):
        group = await api_ok(stack, "POST", "/messages/groups", alice,
                             json={"name": f"club {i}", "members": [bob.user_id]})
        await api_ok(stack, "POST", f"/messages/rooms/{q(group['room_id'])}/send", alice,
                     json={"text": f"hello {i}"})
        rooms.append(group["room_id"])
    newest_first = rooms[::-1]
    sliding = stack.bridge.services.messaging.sliding
    ask, windows = sliding._ask, []

    async def asked(token, first, last):
        windows.append((first, last))
        return await ask(token, first, last)

    monkeypatch.setattr(sliding, "_ask", asked)
    cursor, shown = None, []
    for _ in range(3):
        suffix = f"&cursor={cursor}" if cursor else ""
        page = await api_ok(stack, "GET", f"/messages/conversations?limit=2{suffix}", alice)
        shown += [c["room_id"] for c in page["items"]]
        cursor = page["next_cursor"]
    assert shown == newest_first[:6]
    assert windows == [(0, 5), (0, 5), (1, 6)]  # page three: rooms 1-6, not 0 onwards
    for room in newest_first[:4]:  # every room above where the list ended moves up by four
        await api_ok(stack, "POST", f"/messages/rooms/{q(room)}/leave", alice)
    rest = await api_ok(stack, "GET", f"/messages/conversations?limit=2&cursor={cursor}",
                        alice)
    assert [c["room_id"] for c in rest["items"]] == newest_first[6:8]
    assert windows[3:] == [(3, 8), (0, 8)]  # past the position: from the top again
    await api_ok(stack, "POST", f"/messages/rooms/{q(newest_first[7])}/send", alice,
                 json={"text": "back to the top"})
    last = await api_ok(stack, "GET", f"/messages/conversations?limit=2&cursor="
                        f"{rest['next_cursor']}", alice)
    assert [c["room_id"] for c in last["items"]] == newest_first[8:]
    assert last["next_cursor"] is None


async def test_ai_to_ai_round_trip_and_timeout(stack):
    alice, bob = await stack.register("alice"), await stack.register("bob")
    bob_ai = stack.mxid(f"{bob.localpart}_ai")
    answer = await api_ok(stack, "POST", "/ai/request", alice, json={
        "to": f"{bob.localpart}_ai", "content": {"body": "what can bob do?", "wants": "answer"},
        "timeout": 20})
    assert answer["status"] == "ok" and answer["body"] == "echo: what can bob do?"
    assert answer["from"] == bob_ai
    request = stack.agent.requests_for(bob_ai)[-1]
    assert request["kind"] == "ai_request"
    assert request["sender"]["user_id"] == stack.mxid(f"{alice.localpart}_ai")
    assert request["ai_request"]["request_id"] == answer["request_id"]
    stack.agent.delay = 3
    try:
        status, body = await api(stack, "POST", "/ai/request", alice, json={
            "to": f"{bob.localpart}_ai", "content": "slow", "timeout": 1})
    finally:
        stack.agent.delay = 0
    assert (status, body["errcode"]) == (504, "M_UNKNOWN") and "1 seconds" in body["error"]
    for bad in ({"to": bob.localpart, "content": "x"}, {"to": f"{bob.localpart}_ai"},
                {"to": f"{bob.localpart}_ai", "content": "x", "timeout": 0}):
        status, body = await api(stack, "POST", "/ai/request", alice, json=bad)
        assert (status, body["errcode"]) == (400, "M_INVALID_PARAM"), bad


async def test_ai_response_event_relates_to_the_request(stack):
    alice, bob = await stack.register("alice"), await stack.register("bob")
    answer = await api_ok(stack, "POST", "/ai/request", alice, json={
        "to": stack.mxid(f"{bob.localpart}_ai"), "content": "ping"})
    from mautrix.api import Method, Path

    intent = stack.bridge.az.intent.user(stack.mxid(f"{alice.localpart}_ai"))

    raw = await intent.api.request(
        Method.GET, Path.v3.rooms[answer["room_id"]].event[answer["response_event_id"]])
    assert raw["type"] == str(ev.AI_RESPONSE)
    assert raw["content"]["m.relates_to"] == {"rel_type": "m.reference",
                                              "event_id": answer["request_event_id"]}
    assert raw["content"]["request_id"] == answer["request_id"]


async def test_send_matrix_message_function_http_and_cli(stack):
    alice, bob = await stack.register("alice"), await stack.register("bob")
    ipc = stack.bridge.services.ipc
    sent = await ipc.send_matrix_message(alice.user_id, bob.user_id, "from my AI")
    ai = stack.mxid(f"{alice.localpart}_ai")
    assert sent["from"] == ai and sent["created_dm"] is True and sent["encrypted"] is True
    again = await api_ok(stack, "POST", "/ipc/send_matrix_message", alice,
                         json={"to": bob.user_id, "content": {"body": "again"}})
    assert again["room_id"] == sent["room_id"] and again["created_dm"] is False
    env = {**os.environ, "MATRIX_SOCIAL_TOKEN": alice.access_token}
    code, stdout, stderr = await run_cli(
        "send-matrix-message", "--to", bob.user_id, "--content", "from the CLI",
        "--api", stack.api_url, env=env)
    assert code == 0, stderr
    assert sent["room_id"] in stdout
    client = stack.nio(bob)
    await client.join(sent["room_id"])
    # End-to-end encrypted (tests/test_ipc_encryption.py decrypts them as bob's device does).
    sent_by_ai = [(e["type"], "body" in e["content"]) for e in
                  await room_texts(client, sent["room_id"])
                  if e["sender"] == ai and e["type"] in ("m.room.message", "m.room.encrypted")]
    assert sent_by_ai == [("m.room.encrypted", False)] * 3, sent_by_ai
    # As herself: the service holds no keys of hers, so it never sends as her.
    status, body = await api(stack, "POST", "/ipc/send_matrix_message", alice, json={
        "to": stack.mxid(f"{bob.localpart}_ai"), "content": "hi bob's AI", "as": "human"})
    assert (status, body["errcode"]) == (403, "M_FORBIDDEN"), body
    assert "only your own client holds your keys" in body["error"]
    for bad, code in (({"to": "bob", "content": "x"}, 400),
                      ({"to": f"@nobody:{stack.domain}", "content": "x"}, 404),
                      ({"to": bob.user_id, "content": ""}, 400),
                      ({"to": bob.user_id, "content": "x", "as": "robot"}, 400)):
        status, body = await api(stack, "POST", "/ipc/send_matrix_message", alice, json=bad)
        assert status == code and body["errcode"].startswith("M_"), (bad, body)
