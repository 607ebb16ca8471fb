"""Issue 11, as an attacker with an ordinary account and a plain Matrix client (matrix-nio)
would try it: nothing forged reaches the API, nothing private is served, the stream keeps
indexing, and every way to an AI's answer is limited."""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import stat
import time
from urllib.parse import quote

import pytest
from mautrix.errors import MNotFound
from nio import RoomCreateResponse, RoomSendResponse
from prometheus_client import REGISTRY

from matrix_social import events as ev
from matrix_social.clock import now_ms
from matrix_social.matrix.reindex import Reindexer

from .harness import (
    User,
    api,
    api_ok,
    eventually,
    room_texts,
    run_cli,
    until_equal,
    wait_joined,
)


def q(value: str) -> str:
    return quote(value, safe="")


async def _private_room(stack, user: User, invite: list[str] | None = None,
                        visibility: str = "shared") -> str:
    client = stack.nio(user)
    created = await client.room_create(invite=invite or [], initial_state=[
        {"type": "m.room.history_visibility", "state_key": "",
         "content": {"history_visibility": visibility}}])
    assert isinstance(created, RoomCreateResponse), created
    return created.room_id


async def _state(client, room_id: str, event_type, content: dict, state_key: str = "") -> None:
    resp = await client.room_put_state(room_id, str(event_type), content, state_key=state_key)
    assert not hasattr(resp, "status_code") or resp.status_code is None, resp


async def _post_indexed(stack, user: User, text: str) -> dict:
    post = await api_ok(stack, "POST", "/posts", user, json={"text": text})
    got = await api_ok(stack, "GET", f"/posts/{q(post['id'])}", user)
    assert got["text"] == text
    return post


async def test_feed_state_in_any_other_room_changes_nothing_and_the_stream_goes_on(stack):
    """Findings 1 and 2: a second room claiming to be mallory's feed (she has one), and a
    room claiming to be carol's (she has none yet)."""
    alice, mallory, carol, dave = [await stack.register(n)
                                   for n in ("alice", "mallory", "carol", "dave")]
    mallory_feed = (await _post_indexed(stack, mallory, "my real feed"))["room_id"]
    m, c = stack.nio(mallory), stack.nio(carol)
    rooms = {}
    for user, client in ((mallory, m), (carol, c)):
        room = rooms[user.user_id] = await _private_room(stack, user, [dave.user_id])
        await _state(client, room, ev.FEED_STATE, {"owner": user.user_id, "kind": "human"})
        await _state(client, room, ev.PROFILE_STATE, {"bio": "forged bio"})
        await stack.nio(dave).join(room)
    reply = await c.room_send(rooms[carol.user_id], "m.room.message",
                              {"msgtype": "m.text", "body": "private words"})
    assert isinstance(reply, RoomSendResponse)

    # The stream keeps indexing; nothing of the private rooms is believed.
    await _post_indexed(stack, alice, "still indexed")
    profile = await api_ok(stack, "GET", f"/profile/{mallory.localpart}", alice)
    assert profile["room_id"] == mallory_feed and profile["bio"] == ""
    carol_profile = await api_ok(stack, "GET", f"/profile/{carol.localpart}", alice)
    assert carol_profile["room_id"] != rooms[carol.user_id] and carol_profile["bio"] == ""
    assert carol_profile["followers_count"] == 0
    resolved = await stack.nio(alice).room_resolve_alias(f"#feed_{carol.localpart}:{stack.domain}")
    assert resolved.room_id == carol_profile["room_id"]
    status, _ = await api(stack, "GET", f"/posts/{q(reply.event_id)}", alice)
    assert status == 404

    # Across a restart and a reindex as well.
    await stack.stop_bridge()
    await stack.start_bridge()
    await _post_indexed(stack, alice, "after a restart")
    services = stack.bridge.services
    progress = await Reindexer(stack.bridge.az.intent, stack.bridge.db, services.ids,
                               services.owners, services.ingest, "feed_",
                               on_progress=lambda _: None).run()
    assert rooms[carol.user_id] not in progress.skipped
    feed_rooms = {r[0] for r in await stack.bridge.db.fetch("SELECT room_id FROM feed_room")}
    assert not feed_rooms & set(rooms.values())
    await _post_indexed(stack, alice, "after a reindex")


async def _operator(stack, *args: str) -> tuple[int, str, str]:
    return await run_cli(*args, "-c", str(stack.root / "config.yaml"))


async def test_a_malformed_post_is_quarantined_listed_and_retried_by_the_operator(stack):
    mallory = await stack.register("mallory")
    room = (await _post_indexed(stack, mallory, "my feed"))["room_id"]
    bad = await stack.nio(mallory).room_send(room, "m.room.message", {
        "msgtype": "m.text", "body": "x", ev.POST_BLOCK: {ev.POST_KIND: "text", "text": 5}})
    assert isinstance(bad, RoomSendResponse), bad
    after = await _post_indexed(stack, mallory, "the stream goes on")
    feed = await api_ok(stack, "GET", f"/profile/{mallory.localpart}/posts", mallory)
    assert bad.event_id not in [p["id"] for p in feed["items"]]
    assert after["id"] in [p["id"] for p in feed["items"]]

    code, out, err = await _operator(stack, "quarantine", "list")
    assert code == 0, err
    line = next(line for line in out.splitlines() if line.startswith(bad.event_id))
    assert mallory.user_id in line and room in line and "attempts 1" in line, line
    code, out, err = await _operator(stack, "quarantine", "retry", bad.event_id)
    assert (code, out.strip()) == (1, f"{bad.event_id}: still quarantined"), (out, err)
    code, _, err = await _operator(stack, "quarantine", "retry", "$not-there")
    assert code == 2 and "not in quarantine" in err


@pytest.mark.parametrize("total", [1_000, pytest.param(10_000, marks=pytest.mark.slow)])
async def test_thousands_of_bad_events_from_one_account_leave_the_quarantine_bounded(stack, total):
    """Issue 22, finding 10: one account's bad events (reposts of posts nobody indexed, some of
    30 KB) delivered as the homeserver delivers them, in appservice transactions with the
    hs_token. Her quarantine keeps her newest events only, each stored event capped in size;
    the table stays within its bound in all; the metric says how many it holds; and the
    stream goes on indexing good events after them (hers and another user's, through
    Synapse)."""
    mallory, alice = await stack.register("mallory"), await stack.register("alice")
    room = (await _post_indexed(stack, mallory, "my feed"))["room_id"]
    services = stack.bridge.services
    limits = services.quarantine.limits
    token = stack.config["appservice.hs_token"]
    run = secrets.token_hex(3)
    per_txn = 200
    large = {i for i in range(total) if i % 500 == 0 or i >= total - 20}
    for first in range(0, total, per_txn):
        events = [{
            "type": "m.room.message", "room_id": room, "sender": mallory.user_id,
            "event_id": f"$bad{run}-{i:05d}", "origin_server_ts": now_ms(),
            "content": {"msgtype": "m.text",
                        "body": ("r" * 30_000) if i in large else f"repost {i}",
                        ev.POST_BLOCK: {ev.POST_KIND: "repost", ev.POST_REPOST_OF: {
                            "room_id": room, "event_id": f"$nowhere{run}-{i}",
                            "author": mallory.user_id}}},
        } for i in range(first, first + per_txn)]
        status, body = await stack.request(
            "PUT", f"{stack.appservice_url}/_matrix/app/v1/transactions/flood-{run}-{first}",
            json={"events": events}, token=token)
        assert status == 200, body

    rows = await services.db.fetch(
        "SELECT event_id, event_json, event_size, event_sha256, truncated FROM quarantine "
        "WHERE sender=$1", mallory.user_id)
    kept = sorted(r["event_id"] for r in rows)
    assert kept == [f"$bad{run}-{i:05d}" for i in range(total - limits.max_per_sender, total)]
    assert all(len(r["event_json"].encode()) <= limits.max_event_bytes for r in rows)
    truncated = [r for r in rows if r["truncated"]]
    assert len(truncated) == 20 and all(r["event_size"] > 30_000 and len(r["event_sha256"]) == 64
                                        for r in truncated)
    in_all = await services.db.fetchval("SELECT COUNT(*) FROM quarantine")
    assert in_all <= limits.max_events
    assert services.quarantine.recorded >= total
    assert REGISTRY.get_sample_value("matrix_social_quarantine_events") == in_all
    assert REGISTRY.get_sample_value("matrix_social_quarantine_dropped_total",
                                     {"reason": "sender_cap"}) >= total - limits.max_per_sender

    # The stream goes on: real posts, through Synapse, after the flood.
    for user, text in ((mallory, "still here"), (alice, "me too")):
        sent = await stack.nio(user).room_send(
            room if user is mallory else (await _post_indexed(stack, alice, "feed"))["room_id"],
            "m.room.message", {"msgtype": "m.text", "body": text})
        assert isinstance(sent, RoomSendResponse), sent

        async def indexed(event_id=sent.event_id, user=user):
            return (await api(stack, "GET", f"/posts/{q(event_id)}", user))[0] == 200

        await eventually(indexed, timeout=60, what=f"{text!r} indexed after the flood")


async def test_a_redaction_or_a_notice_cannot_remove_somebody_elses_post(stack):
    """Finding 4: a repost naming the victim's post as its notice, then deleted; a redaction
    of the victim's post sent from the attacker's own room."""
    alice, mallory = await stack.register("alice"), await stack.register("mallory")
    victim = await _post_indexed(stack, alice, "victim")
    other = await _post_indexed(stack, alice, "other")
    mallory_feed = (await _post_indexed(stack, mallory, "hi"))["room_id"]
    m = stack.nio(mallory)
    forged = await m.room_send(mallory_feed, "m.room.message", {
        "msgtype": "m.text", "body": "rt", ev.POST_BLOCK: {
            ev.POST_KIND: "repost", ev.POST_REPOST_OF: {
                "room_id": alice and other["room_id"], "event_id": other["id"],
                "author": alice.user_id, ev.POST_NOTICE: victim["id"]}}})
    await eventually(lambda: _status(stack, mallory, forged.event_id, 200), what="indexed")
    await api_ok(stack, "DELETE", f"/posts/{q(forged.event_id)}", mallory)
    private = await _private_room(stack, mallory)
    await m.room_redact(private, victim["id"])
    marker = await _post_indexed(stack, mallory, "marker")
    assert marker
    assert (await api_ok(stack, "GET", f"/posts/{q(victim['id'])}", alice))["text"] == "victim"


async def _status(stack, user, event_id: str, expected: int) -> bool:
    status, _ = await api(stack, "GET", f"/posts/{q(event_id)}", user)
    return status == expected


async def test_a_forged_repost_is_not_believed_and_leads_nobody_into_a_private_room(stack):
    """Finding 5: repost_of pointing into a private room the attacker invited alice to, and
    a repost of a real post claiming another author."""
    alice, mallory, bob = [await stack.register(n) for n in ("alice", "mallory", "bob")]
    real = await _post_indexed(stack, bob, "bob wrote this")
    private = await _private_room(stack, mallory, [alice.user_id])
    m = stack.nio(mallory)
    bait = await m.room_send(private, "m.room.message", {"msgtype": "m.text",
                                                        "body": "words put in bob's mouth"})
    mallory_feed = (await _post_indexed(stack, mallory, "hi"))["room_id"]
    into_private = await m.room_send(mallory_feed, "m.room.message", {
        "msgtype": "m.text", "body": f"🔁 {bob.user_id}: words put in bob's mouth",
        ev.POST_BLOCK: {ev.POST_KIND: "repost", ev.POST_REPOST_OF: {
            "room_id": private, "event_id": bait.event_id, "author": bob.user_id}}})
    wrong_author = await m.room_send(mallory_feed, "m.room.message", {
        "msgtype": "m.text", "body": "🔁 @alice: I said that", ev.POST_BLOCK: {
            ev.POST_KIND: "repost", "text": "", ev.POST_REPOST_OF: {
                "room_id": private, "event_id": real["id"], "author": alice.user_id}}})
    got = await eventually(lambda: _view(stack, alice, wrong_author.event_id), what="indexed")
    assert got["repost_of"] == {"room_id": real["room_id"], "event_id": real["id"],
                                "author": bob.user_id}
    assert not await _status(stack, alice, into_private.event_id, 200)
    status, body = await api(stack, "POST", f"/posts/{q(into_private.event_id)}/repost", alice,
                             json={})
    assert status == 404, body
    again = await api_ok(stack, "POST", f"/posts/{q(wrong_author.event_id)}/repost", alice,
                         json={})
    assert again["repost_of"]["author"] == bob.user_id
    members = await stack.nio(mallory).joined_members(private)
    assert alice.user_id not in {member.user_id for member in members.members}


async def _view(stack, user, event_id: str):
    status, body = await api(stack, "GET", f"/posts/{q(event_id)}", user)
    return body if status == 200 else None


async def test_slashes_and_dots_in_a_localpart_reach_no_other_users_agent_or_file(stack):
    """Finding 6: a user named `x/../<victim>` (Synapse allows `/` and `.` in localparts)."""
    victim = await stack.register("victim")
    souls = stack.root / "souls"
    souls.mkdir(exist_ok=True)
    (souls / f"{victim.localpart}.md").write_text("Victim's private SOUL.\n\n# Skills\n- secrets\n")
    evil_name = f"x{secrets.token_hex(2)}/../{victim.localpart}"
    data = await stack.synapse.register_user(evil_name, "pw-" + secrets.token_hex(4))
    evil = User(evil_name, data["user_id"], "", data["access_token"])
    status, body = await api(stack, "POST", "/profile/ai/soul", evil)
    assert status == 403 and body["errcode"] == "M_FORBIDDEN", body
    evil_ai = f"@{evil_name}_ai:{stack.domain}"
    profile = await api_ok(stack, "GET", f"/profile/{q(evil_ai)}", victim)
    assert "secret" not in str(profile)
    before = len(stack.agent.requests)
    room = (await api_ok(stack, "POST", "/messages/dm", evil,
                         json={"to": evil_ai, "encrypted": False}))["room_id"]
    sent = await api_ok(stack, "POST", f"/messages/rooms/{q(room)}/send", evil,
                        json={"text": "who am I?"})
    assert sent

    async def answered():
        texts = await room_texts(stack.nio(evil), room)
        return [e for e in texts if e["sender"] == evil_ai and e["type"] == "m.room.message"]

    [answer] = await eventually(answered, what="the AI's apology")
    assert "can't answer" in answer["content"]["body"]
    assert all(r.get("ai", {}).get("user_id") != evil_ai
               for r in stack.agent.requests[before:])


async def test_every_path_to_an_ai_passes_the_same_limit(stack):
    """Finding 7: ai_request events from a plain client and POST /ai/request are limited
    like messages (10 an hour per sender and AI); the owner is not."""
    alice, mallory = await stack.register("alice"), await stack.register("mallory")
    alice_ai, mallory_ai = stack.mxid(f"{alice.localpart}_ai"), \
        stack.mxid(f"{mallory.localpart}_ai")
    db = stack.bridge.db
    answer = await api_ok(stack, "POST", "/ai/request", mallory,
                          json={"to": alice_ai, "content": "first", "timeout": 20})
    assert answer["status"] == "ok" and answer["from"] == alice_ai
    for _ in range(9):  # the rest of mallory's AI's hour, as if it had asked already
        await db.execute("INSERT INTO ai_rate_event (ai, sender, ts) VALUES ($1, $2, $3)",
                         alice_ai, mallory_ai, now_ms())
    status, body = await api(stack, "POST", "/ai/request", mallory,
                             json={"to": alice_ai, "content": "eleventh", "timeout": 20})
    assert status == 429 and body["errcode"] == "M_LIMIT_EXCEEDED" and \
        body["retry_after_ms"] > 0, body

    # An ai_request event sent straight from mallory's own client, in a DM with alice's AI.
    client = stack.nio(mallory)
    room = (await api_ok(stack, "POST", "/messages/dm", mallory,
                         json={"to": alice_ai, "encrypted": False}))["room_id"]
    await wait_joined(client, room, alice_ai)
    for _ in range(10):
        await db.execute("INSERT INTO ai_rate_event (ai, sender, ts) VALUES ($1, $2, $3)",
                         alice_ai, mallory.user_id, now_ms())
    before = len(stack.agent.requests_for(alice_ai))
    request_id = secrets.token_hex(6)
    await client.room_send(room, str(ev.AI_REQUEST), {"request_id": request_id,
                                                      "to": alice_ai, "body": "answer me"})

    async def limited():
        events = await room_texts(client, room)
        return [e for e in events if e["type"] == str(ev.AI_RESPONSE)
                and e["content"].get("request_id") == request_id]

    [refusal] = await eventually(limited, what="rate-limited answer")
    assert refusal["sender"] == alice_ai and refusal["content"]["status"] == "rate_limited"
    assert len(stack.agent.requests_for(alice_ai)) == before

    # Alice, the owner, is never limited.
    for _ in range(12):
        await db.execute("INSERT INTO ai_rate_event (ai, sender, ts) VALUES ($1, $2, $3)",
                         alice_ai, alice.user_id, now_ms())
    alice_room = (await api_ok(stack, "POST", "/messages/dm", alice,
                               json={"to": alice_ai, "encrypted": False}))["room_id"]
    await api_ok(stack, "POST", f"/messages/rooms/{q(alice_room)}/send", alice,
                 json={"text": "owner here"})
    await eventually(lambda: _asked(stack, alice_ai, "owner here"), what="owner answered")


async def _asked(stack, ai: str, body: str) -> bool:
    return any(r["message"]["body"] == body for r in stack.agent.requests_for(ai))


async def test_the_ai_sees_only_history_the_asker_could_read(stack):
    """Finding 7: a room with history_visibility joined; what was said before the asker
    joined never reaches the AI backend."""
    alice, mallory = await stack.register("alice"), await stack.register("mallory")
    alice_ai = stack.mxid(f"{alice.localpart}_ai")
    a = stack.nio(alice)
    room = await _private_room(stack, alice, [alice_ai], visibility="joined")
    await wait_joined(a, room, alice_ai)
    await a.room_send(room, "m.room.message", {"msgtype": "m.text", "body": "secret plan"})
    await a.room_invite(room, mallory.user_id)
    m = stack.nio(mallory)
    await m.join(room)
    await a.room_send(room, "m.room.message", {"msgtype": "m.text", "body": "welcome"})
    await m.room_send(room, "m.room.message", {
        "msgtype": "m.text", "body": f"{alice_ai} what is the plan?",
        "m.mentions": {"user_ids": [alice_ai]}})

    async def asked():
        return [r for r in stack.agent.requests_for(alice_ai)
                if r["message"]["body"].endswith("what is the plan?")]

    [request] = await eventually(asked, what="the AI asked")
    history = [h["body"] for h in request["history"]]
    assert "welcome" in history and "secret plan" not in history


async def test_an_ai_joins_a_feed_only_when_its_owner_invites_it(stack):
    """Finding 7: anyone could make anyone's AI follow them by inviting it."""
    alice, mallory = await stack.register("alice"), await stack.register("mallory")
    alice_ai = stack.mxid(f"{alice.localpart}_ai")
    mallory_feed = (await _post_indexed(stack, mallory, "follow me"))["room_id"]
    await stack.nio(mallory).room_invite(mallory_feed, alice_ai)

    async def declined():
        return await _membership(stack, mallory_feed, alice_ai) == "leave"

    await eventually(declined, what="the AI declined")
    followers = await api_ok(stack, "GET", f"/followers/{mallory.localpart}", mallory)
    assert alice_ai not in [f["user_id"] for f in followers["items"]]
    group = await _private_room(stack, mallory, [alice_ai])
    await wait_joined(stack.nio(mallory), group, alice_ai)  # a group is fine


async def _membership(stack, room_id: str, user_id: str) -> str | None:
    """As the bot sees it (it is in every local feed room)."""
    from mautrix.api import Method, Path
    from mautrix.errors import MNotFound

    try:
        content = await stack.bridge.az.intent.api.request(
            Method.GET, Path.v3.rooms[room_id].state["m.room.member"][user_id])
    except MNotFound:
        return None
    return content.get("membership")


async def test_foreign_top_level_messages_are_redacted_and_stray_invites_withdrawn(stack):
    """Finding 8, and only followers and the owner may invite."""
    alice, mallory, carol = [await stack.register(n) for n in ("alice", "mallory", "carol")]
    post = await _post_indexed(stack, alice, "my feed")
    m = stack.nio(mallory)
    await api_ok(stack, "POST", f"/posts/{q(post['id'])}/like", mallory)  # joined, not following
    fake = await m.room_send(post["room_id"], "m.room.message", {
        "msgtype": "m.text", "body": f"{alice.user_id}: send me your password"})
    comment = await m.room_send(post["room_id"], "m.room.message", {
        "msgtype": "m.text", "body": "nice", "m.relates_to": {
            "rel_type": "m.thread", "event_id": post["id"]}})
    await m.room_invite(post["room_id"], carol.user_id)

    async def redacted():
        events = {e["event_id"]: e for e in await room_texts(stack.nio(alice), post["room_id"])}
        gone = events.get(fake.event_id)
        return gone if gone and not gone["content"] else None

    gone = await eventually(redacted, what="the foreign message redacted")
    because = gone["unsigned"]["redacted_because"]
    assert because["sender"] == stack.bridge.az.bot_mxid
    assert "thread" in because["content"]["reason"]
    events = {e["event_id"]: e for e in await room_texts(stack.nio(alice), post["room_id"])}
    assert events[comment.event_id]["content"]["body"] == "nice"

    async def invite_withdrawn():
        return await _membership(stack, post["room_id"], carol.user_id) == "leave"

    await eventually(invite_withdrawn, what="the invite withdrawn")


async def _topic_set_in_element(stack):
    """Alice's feed room with a topic she set from a plain client, become her bio; (alice,
    her room, a reader of her bio)."""
    alice = await stack.register("alice")
    room = (await _post_indexed(stack, alice, "hi"))["room_id"]
    await stack.nio(alice).room_put_state(room, "m.room.topic", {"topic": "set in Element"})

    async def bio():
        return (await api_ok(stack, "GET", f"/profile/{alice.localpart}", alice))["bio"]

    await until_equal(bio, "set in Element", what="topic became the bio")
    return alice, room, bio


async def test_the_owners_topic_and_bio_follow_each_other_without_echo(stack):
    alice, room, bio = await _topic_set_in_element(stack)
    await api_ok(stack, "PATCH", "/profile", alice, json={"bio": "set in the app"})

    async def topic():
        content = await stack.bridge.az.intent.get_state_event(room, "m.room.topic")
        return content["topic"]

    await until_equal(topic, "set in the app", what="bio became the topic")
    events = await room_texts(stack.nio(alice), room, limit=50)
    count = len(events)
    await asyncio.sleep(1.5)
    assert len(await room_texts(stack.nio(alice), room, limit=50)) == count, "no echo loop"


@pytest.mark.parametrize("state_times", ["told", "untold"])
async def test_a_late_copy_of_an_older_topic_or_bio_changes_nothing(stack, monkeypatch,
                                                                   state_times):
    """A homeserver that could not deliver for a while replays old events: the topic she set
    in Element, then the bio it became, arrive after she set another bio in the app. Mirrored,
    each would flip the other side back (and each flip's late copy flip it again). Also where
    the homeserver does not tell when the state was set (no `format=event`: Conduit)."""
    _state_times(stack, monkeypatch, state_times)
    alice, room, bio = await _topic_set_in_element(stack)

    async def newest_topic_and_profile():
        newest = {e["type"]: e for e in reversed(await room_texts(stack.nio(alice), room))
                  if e.get("state_key") == ""
                  and e["type"] in ("m.room.topic", str(ev.PROFILE_STATE))}
        profile = newest.get(str(ev.PROFILE_STATE), {}).get("content", {})
        return len(newest) == 2 and profile.get("bio") == "set in Element" and newest

    old = await eventually(newest_topic_and_profile, what="the bio's profile state written")
    await api_ok(stack, "PATCH", "/profile", alice, json={"bio": "set in the app"})

    async def topic():
        content = await stack.bridge.az.intent.get_state_event(room, "m.room.topic")
        return content["topic"]

    await until_equal(topic, "set in the app", what="bio became the topic")
    count = len(await room_texts(stack.nio(alice), room, limit=50))
    for late in old.values():
        await stack.bridge.matrix.dispatcher.dispatch({**late, "room_id": room})
    await asyncio.sleep(1.5)
    assert (await topic(), await bio()) == ("set in the app", "set in the app")
    assert len(await room_texts(stack.nio(alice), room, limit=50)) == count, "nothing sent"


async def test_feed_rooms_are_in_the_room_directory(stack):
    alice, bob = await stack.register("alice"), await stack.register("bob")
    room = (await _post_indexed(stack, alice, "find me"))["room_id"]
    url = f"{stack.synapse.url}/_matrix/client/v3/publicRooms"
    _, listed = await stack.request("POST", url, token=bob.access_token, json={
        "filter": {"room_types": [ev.FEED_ROOM_TYPE], "generic_search_term": alice.localpart},
        "limit": 50})
    assert room in [r["room_id"] for r in listed["chunk"]]


async def test_config_and_registration_are_readable_by_their_owner_only(stack):
    for name in ("registration.yaml", "config.yaml"):
        mode = stat.S_IMODE(os.stat(stack.root / name).st_mode)
        assert mode == 0o600, f"{name} is {oct(mode)}"


async def test_a_token_logged_out_at_the_homeserver_stops_working_within_5_seconds(stack):
    alice = await stack.register("alice")
    login = await stack.synapse.login(alice.localpart, alice.password)
    session = User(alice.localpart, alice.user_id, alice.password, login["access_token"])
    await api_ok(stack, "GET", "/feed", session)
    status, _ = await stack.request("POST", f"{stack.synapse.url}/_matrix/client/v3/logout",
                                    token=session.access_token, json={})
    assert status == 200
    started = time.monotonic()
    await until_equal(lambda: _feed_status(stack, session), 401, timeout=8,
                      what="logged-out token refused")
    assert time.monotonic() - started <= 5.5


async def _feed_status(stack, user) -> int:
    return (await api(stack, "GET", "/feed", user))[0]


async def test_an_idempotency_key_makes_a_retry_post_once(stack):
    alice = await stack.register("alice")
    key = {"Idempotency-Key": secrets.token_hex(8)}
    first = await api_ok(stack, "POST", "/posts", alice, json={"text": "once"}, headers=key)
    again = await api_ok(stack, "POST", "/posts", alice, json={"text": "once"}, headers=key)
    assert again["id"] == first["id"]
    status, body = await api(stack, "POST", "/posts", alice, json={"text": "other"},
                             headers=key)
    assert status == 422 and body["errcode"] == "M_INVALID_PARAM"
    texts = [e["content"].get("body") for e in await room_texts(stack.nio(alice),
                                                                first["room_id"])
             if e["type"] == "m.room.message"]
    assert texts.count("once") == 1
    # A retry after the service died mid-request: the claim is stale, the request runs
    # again with the same Matrix transaction id, and the homeserver makes no second event.
    stale = {"Idempotency-Key": secrets.token_hex(8)}
    made = await api_ok(stack, "POST", "/posts", alice, json={"text": "crash"}, headers=stale)
    await stack.bridge.db.execute(
        "UPDATE idempotent_request SET status=NULL, response=NULL, created_at=0 "
        "WHERE key=$1", stale["Idempotency-Key"])
    retried = await api_ok(stack, "POST", "/posts", alice, json={"text": "crash"},
                           headers=stale)
    assert retried["id"] == made["id"]


async def test_deeply_nested_json_is_400(stack):
    alice = await stack.register("alice")
    deep = '{"a":' * 100_000 + "1" + "}" * 100_000
    status, body = await api(stack, "POST", "/posts", alice, data=deep,
                             headers={"Content-Type": "application/json"})
    assert status == 400 and body["errcode"] in ("M_BAD_JSON", "M_NOT_JSON"), body


async def test_a_connection_that_never_finishes_its_headers_is_closed(stack):
    """The service's server closes a connection whose request headers do not arrive within
    api.header_timeout_seconds (aiohttp's keep-alive timer, which mautrix leaves at an hour)."""
    assert stack.bridge.az.runner.server._kwargs["keepalive_timeout"] == \
        stack.config["api.header_timeout_seconds"]
    server = stack.bridge.az.runner.server
    original = server._kwargs["keepalive_timeout"]
    server._kwargs["keepalive_timeout"] = 1  # this test's connections only
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", stack.as_port)
        writer.write(b"GET /api/social/health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        await writer.drain()
        started = time.monotonic()
        closed = await asyncio.wait_for(reader.read(), timeout=10)
        assert closed == b"" and time.monotonic() - started < 5
        writer.close()
    finally:
        server._kwargs["keepalive_timeout"] = original
    with socket.create_connection(("127.0.0.1", stack.as_port), timeout=5):
        pass  # still serving


async def test_a_reset_database_connection_does_not_stop_the_service(stack):
    alice = await stack.register("alice")
    name = stack.postgres.name
    import asyncpg

    admin = await asyncpg.connect("postgres://postgres@127.0.0.1:5432/postgres")
    try:
        killed = await admin.fetchval(
            "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname=$1",
            name)
    finally:
        await admin.close()
    assert killed >= 1

    async def posted():
        status, body = await api(stack, "POST", "/posts", alice, json={"text": "after reset"})
        return status == 201 and body

    post = await eventually(posted, timeout=20, what="posting works again")
    client = stack.nio(alice)
    written = await client.room_send(post["room_id"], "m.room.message",
                                     {"msgtype": "m.text", "body": "from a client"})
    await eventually(lambda: _status(stack, alice, written.event_id, 200),
                     what="the stream indexes again")


def _state_times(stack, monkeypatch, state_times: str) -> None:
    """"untold": the mirror reads state as a homeserver without `format=event` answers."""
    if state_times == "untold":
        sync = stack.bridge.services.bio_topic
        with_time = sync._state

        async def content_only(room, event_type):
            return (await with_time(room, event_type))[0], None

        monkeypatch.setattr(sync, "_state", content_only)


@pytest.mark.parametrize("state_times", ["told", "untold"])
async def test_a_late_copy_of_the_topic_we_mirrored_does_not_undo_a_newer_bio(
        stack, monkeypatch, state_times):
    """The topic we wrote to follow her bio comes back after she set another bio (its
    mirroring not done yet, so it is still the room's topic): mirrored back, it would put
    the older bio over her newer one."""
    _state_times(stack, monkeypatch, state_times)
    alice = await stack.register("alice")
    room = (await _post_indexed(stack, alice, "hi"))["room_id"]
    await api_ok(stack, "PATCH", "/profile", alice, json={"bio": "one"})

    async def topic():
        try:
            content = await stack.bridge.az.intent.get_state_event(room, "m.room.topic")
        except MNotFound:
            return None
        return content["topic"]

    await until_equal(topic, "one", what="bio became the topic")
    [ours] = [e for e in await room_texts(stack.nio(alice), room, limit=50)
              if e["type"] == "m.room.topic" and e["content"].get("topic") == "one"]
    assert ev.MIRRORED_FROM in ours["content"], ours
    sync = stack.bridge.services.bio_topic
    real_on_event, held = sync.on_event, []
    monkeypatch.setattr(sync, "on_event", lambda raw: _hold(held, raw))
    await api_ok(stack, "PATCH", "/profile", alice, json={"bio": "two"})
    await eventually(lambda: _true(any((e.get("content") or {}).get("bio") == "two"
                                       for e in held)), what="the new bio's event held")
    monkeypatch.setattr(sync, "on_event", real_on_event)
    await stack.bridge.matrix.dispatcher.dispatch({**ours, "room_id": room})
    await asyncio.sleep(1.5)
    profile = await api_ok(stack, "GET", f"/profile/{alice.localpart}", alice)
    assert profile["bio"] == "two"


async def test_an_element_topic_handled_after_a_newer_bio_does_not_win(stack, monkeypatch):
    """She sets the topic in Element, then another bio in the app; the topic's event is
    handled only after the app's write (a busy stream): the newer bio stays, and the topic
    follows it."""
    alice = await stack.register("alice")
    room = (await _post_indexed(stack, alice, "hi"))["room_id"]
    sync = stack.bridge.services.bio_topic
    real_on_event = sync.on_event
    seen, patched = asyncio.Event(), asyncio.Event()

    async def topic_handled_late(raw):
        if raw.get("type") == "m.room.topic" and \
                (raw.get("content") or {}).get("topic") == "from Element":
            seen.set()
            await asyncio.wait_for(patched.wait(), 60)
        await real_on_event(raw)

    monkeypatch.setattr(sync, "on_event", topic_handled_late)
    await stack.nio(alice).room_put_state(room, "m.room.topic", {"topic": "from Element"})
    await asyncio.wait_for(seen.wait(), 60)
    await api_ok(stack, "PATCH", "/profile", alice, json={"bio": "from the app"})
    patched.set()

    async def topic():
        content = await stack.bridge.az.intent.get_state_event(room, "m.room.topic")
        return content["topic"]

    await until_equal(topic, "from the app", what="the newer bio became the topic")
    await asyncio.sleep(1.5)
    profile = await api_ok(stack, "GET", f"/profile/{alice.localpart}", alice)
    assert (profile["bio"], await topic()) == ("from the app", "from the app")


async def _hold(held: list[dict], raw: dict) -> None:
    held.append(raw)


async def _true(value: bool) -> bool:
    return value
