"""The AI's side of activity sharing through a real Synapse: tasks reported by an agent
become posts in the AI's own feed (its profile's recent activity), and the AI's profile lists
its conversations in public rooms (public, world-readable, or a group its owner marked) and
never a DM or a private group."""

from __future__ import annotations

import asyncio
import json
import os
from urllib.parse import quote

from nio import RoomCreateResponse, RoomPreset

from matrix_social import events as ev

from .harness import api, api_ok, eventually, open_dm, run_cli, wait_joined


def q(value: str) -> str:
    return quote(value, safe="")


async def _group(stack, creator, ai: str, other, **kwargs) -> str:
    client = stack.nio(creator)
    room = await client.room_create(name="room", invite=[ai, other.user_id], **kwargs)
    assert isinstance(room, RoomCreateResponse), room
    await stack.nio(other).join(room.room_id)
    await wait_joined(client, room.room_id, ai)
    await wait_joined(client, room.room_id, other.user_id)
    return room.room_id


async def test_ai_activity_in_its_feed_and_only_public_conversations_on_its_profile(stack):
    alice, bob, carol = [await stack.register(n) for n in ("alice", "bob", "carol")]
    ai = stack.mxid(f"{alice.localpart}_ai")
    await api_ok(stack, "PUT", "/settings", alice, json={"share_ai_activity": True})
    await api_ok(stack, "POST", "/follow", bob, json={"handle": f"{alice.localpart}_ai"})

    # A task reported by an agent (the IPC function) is a draft for the AI's own feed.
    ipc = stack.bridge.services.ipc
    reported = await ipc.report_activity(alice.user_id, {
        "kind": "ai_task", "data": {"task": "planned a trip to Lisbon"}})
    draft = reported["draft"]
    assert draft["as"] == "ai" and draft["author"]["user_id"] == ai
    assert draft["text"] == "Helped with: planned a trip to Lisbon"
    post = (await api_ok(stack, "POST", f"/drafts/{q(draft['id'])}/publish", alice))["post"]
    assert post["author"]["user_id"] == ai and post["kind"] == "activity"
    assert post["id"] in [p["id"] for p in (await api_ok(stack, "GET", "/feed", bob))["items"]]
    env = {**os.environ, "MATRIX_SOCIAL_TOKEN": alice.access_token}
    code, stdout, stderr = await run_cli(
        "report-activity", "--kind", "ai_task", "--data", '{"task": "sorted the photos"}',
        "--api", stack.api_url, env=env)
    assert code == 0, stderr
    assert json.loads(stdout)["draft"]["text"] == "Helped with: sorted the photos"

    # Conversations: a DM, a private group, a public room, a world-readable room, a private
    # group alice administers and marks public, and bob's group bob "marks" for alice's AI.
    dm = await open_dm(stack, bob, ai)
    private = await _group(stack, bob, ai, carol)
    public = await _group(stack, bob, ai, carol, preset=RoomPreset.public_chat)
    readable = await _group(stack, bob, ai, carol, initial_state=[{
        "type": "m.room.history_visibility", "state_key": "",
        "content": {"history_visibility": "world_readable"}}])
    marked = await _group(stack, alice, ai, carol)
    bobs_mark = await _group(stack, bob, ai, carol)
    resp = await stack.nio(bob).room_put_state(bobs_mark, str(ev.PUBLIC_CONVERSATION_STATE),
                                               {"public": True}, state_key=ai[1:])
    assert hasattr(resp, "event_id"), resp  # bob may set it in his room; it is not alice's
    rooms = (dm, private, public, readable, marked, bobs_mark)
    for room in rooms:
        await stack.nio(bob if room != marked else carol).room_send(room, "m.room.message", {
            "msgtype": "m.text", "body": f"{ai}: hello", "m.mentions": {"user_ids": [ai]}})

    async def all_answered():
        return await stack.bridge.db.fetchval(
            "SELECT COUNT(*) FROM ai_conversation WHERE ai=$1", ai) == len(rooms)

    await eventually(all_answered, what="the AI answered in every room")

    # Marking: only the AI's owner, only in a group, only with the power to change state.
    mark = f"/ai/conversations/{q(marked)}/public"
    assert await api_ok(stack, "PUT", mark, alice, json={"public": True}) == {
        "room_id": marked, "ai": ai, "marked": True, "public": True}
    status, body = await api(stack, "PUT", f"/ai/conversations/{q(private)}/public", alice,
                             json={"public": True})
    assert (status, body["errcode"]) == (403, "M_FORBIDDEN")  # alice is not in bob's group
    await stack.nio(bob).room_invite(private, alice.user_id)
    await stack.nio(alice).join(private)
    await wait_joined(stack.nio(bob), private, alice.user_id)
    status, body = await api(stack, "PUT", f"/ai/conversations/{q(private)}/public", alice,
                             json={"public": True})
    assert (status, body["errcode"]) == (403, "M_FORBIDDEN")  # a member without the power
    own_dm = await open_dm(stack, alice, ai)
    status, body = await api(stack, "PUT", f"/ai/conversations/{q(own_dm)}/public", alice,
                             json={"public": True})
    assert (status, body["errcode"]) == (400, "M_INVALID_PARAM")  # never a DM
    status, body = await api(stack, "PUT", mark, carol, json={"public": True})
    assert status == 404  # carol's AI is not in that room
    for bad in ({"public": "yes"}, {}):
        status, body = await api(stack, "PUT", mark, alice, json=bad)
        assert status == 400, bad

    profile = await api_ok(stack, "GET", f"/profile/{alice.localpart}_ai", carol)
    assert [p["id"] for p in profile["recent_activity"]
            if p["activity"]["kind"] != "ai_conversation"] == [post["id"]]
    listed = {c["room_id"] for c in profile["public_conversations"]}
    assert listed == {public, readable, marked}
    assert not listed & {dm, private, bobs_mark, own_dm}

    # Her AI's followers see its public conversations in their feeds (an item linking to
    # the room, once a day a room), never a DM or a private group.
    async def announced():
        items = (await api_ok(stack, "GET", "/feed?limit=50", bob))["items"]
        return {p["activity"]["data"]["room_id"]: p for p in items if p["kind"] == "activity"
                and p["activity"]["kind"] == "ai_conversation"}

    await eventually(lambda: _equals(lambda: _keys(announced), {public, readable}),
                     what="public conversations in the followers' feed")
    item = (await announced())[public]
    assert item["author"]["user_id"] == ai
    assert item["activity"]["data"]["link"] == f"https://matrix.to/#/{q(public)}"
    assert item["activity"]["data"]["link"] in item["text"]
    await stack.nio(carol).room_send(public, "m.room.message", {
        "msgtype": "m.text", "body": f"{ai}: again", "m.mentions": {"user_ids": [ai]}})
    await eventually(lambda: _equals(lambda: stack.bridge.db.fetchval(
        "SELECT answers FROM ai_conversation WHERE ai=$1 AND room_id=$2", ai, public), 2),
        what="second answer in the public room")
    assert len(await announced()) == 2  # the same room again the same day: no second item

    # Every answer counted a task for alice's AI summary, AI-to-AI requests too; the room of
    # the request (a DM between two AIs) is not listed.
    tasks = "SELECT COUNT(*) FROM activity WHERE user_id=$1 AND kind='ai_task' AND data LIKE $2"
    assert await stack.bridge.db.fetchval(tasks, alice.user_id, '%"via": "message"%') == \
        len(rooms) + 1  # the second answer in the public room
    answer = await api_ok(stack, "POST", "/ai/request", bob, json={
        "to": ai, "content": {"body": "are you free?"}, "timeout": 10})
    assert answer["status"] == "ok"
    await eventually(lambda: _equals(lambda: stack.bridge.db.fetchval(
        tasks, alice.user_id, '%"via": "ai_request"%'), 1), what="AI-to-AI task counted")
    assert answer["room_id"] not in {c["room_id"] for c in (await api_ok(
        stack, "GET", f"/profile/{alice.localpart}_ai", carol))["public_conversations"]}

    # A room that turns private drops off; so does everything when sharing is off.
    await stack.nio(bob).room_put_state(public, "m.room.join_rules", {"join_rule": "invite"})

    async def listed_now():
        profile = await api_ok(stack, "GET", f"/profile/{alice.localpart}_ai", carol)
        return {c["room_id"] for c in profile["public_conversations"]}

    await eventually(lambda: _equals(listed_now, {readable, marked}), what="public room gone")
    await api_ok(stack, "PUT", "/settings", alice, json={"share_ai_activity": False})
    assert await listed_now() == set()
    # Sharing off: a new public conversation is not announced.
    quiet = await _group(stack, bob, ai, carol, preset=RoomPreset.public_chat)
    await stack.nio(bob).room_send(quiet, "m.room.message", {
        "msgtype": "m.text", "body": f"{ai}: hi", "m.mentions": {"user_ids": [ai]}})
    await eventually(lambda: stack.bridge.db.fetchval(
        "SELECT 1 FROM ai_conversation WHERE ai=$1 AND room_id=$2", ai, quiet),
        what="answer in the new public room")
    # Nothing to wait for when nothing happens: watch for a few seconds that no claim is made
    # and no item appears (with the rule broken, both happen within milliseconds).
    for _ in range(30):
        assert await stack.bridge.db.fetchval(
            "SELECT announced_ts FROM ai_conversation WHERE ai=$1 AND room_id=$2",
            ai, quiet) is None
        assert quiet not in await announced()
        await asyncio.sleep(0.1)


async def _equals(read, expected) -> bool:
    return await read() == expected


async def _keys(read) -> set:
    return set(await read())
