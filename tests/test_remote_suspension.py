"""The operator suspends a user of another server (issue 24; docs/events.md, "Reports and
moderation"), on two federating Synapses, written as the spammer acts: he follows alice,
likes, comments on and reposts her post and mentions her, through his own server's service;
bob follows him. Suspended (by a server admin only; a malformed id is a clear 400): his follow
ends in Matrix too (the bot kicks him), his marks leave alice's counts, thread and
notifications, he leaves bob's feed, search, suggestions and trending. Then, from his own
server, with a plain Matrix client: he joins again, comments, likes, announces a repost,
mentions her in a post, asks her AI in a DM and with an ai_request; none of it is indexed or
answered, while a control user's is. Lifted: he is indexed and answered again; what is not
given back is said."""

from __future__ import annotations

import asyncio
import json
import secrets
from urllib.parse import quote

from nio import JoinResponse, RoomCreateResponse, RoomSendResponse

from matrix_social import events as ev
from matrix_social.db import trending as trending_db

from .harness import api, api_ok, dm_to_ai, eventually, room_texts, run_cli, wait_joined


def _q(value: str) -> str:
    return quote(value, safe="")


def _thread(post_id: str) -> dict:
    return {"rel_type": "m.thread", "event_id": post_id, "is_falling_back": True,
            "m.in_reply_to": {"event_id": post_id}}


async def _ids(stack, path: str, user, key: str | None = None) -> list[str]:
    page = await api_ok(stack, "GET", path, user)
    items = page[key]["items"] if key else page["items"]
    return [i.get("id") or i.get("user_id") for i in items]


async def _tag_accounts(stack, tag: str) -> int:
    await stack.bridge.services.trending.refresh()
    rows = await trending_db.tags(stack.bridge.db, 10_000)
    return next((r["accounts"] for r in rows if r["tag"] == tag), 0)


async def _followers(stack, user) -> list[str]:
    return await _ids(stack, f"/followers/{user.localpart}", user)


async def test_a_suspended_user_of_another_server_reaches_nobody_here(stack, remote):
    alice, bob, carol = [await stack.register(n) for n in ("alice", "bob", "carol")]
    admin = await stack.register("admin", admin=True)
    spam, ctrl = await remote.register("spam"), await remote.register("ctrl")
    word, tag = f"quokka{secrets.token_hex(3)}", f"deals{secrets.token_hex(3)}"
    name = f"Spammy {secrets.token_hex(3)}"
    await api_ok(remote, "PATCH", "/profile", spam, json={"display_name": name})
    mine = await api_ok(stack, "POST", "/posts", alice, json={"text": f"my {word} garden"})
    p = _q(mine["id"])

    # Before: he follows alice and likes, comments on, reposts her post, through his server.
    await api_ok(remote, "POST", "/follow", spam, json={"handle": alice.user_id})

    async def hers_on_his_server() -> bool:
        return mine["id"] in await _ids(remote, "/feed?limit=50", spam)

    await eventually(hers_on_his_server, timeout=30, what="her post on his server")
    await api_ok(remote, "POST", f"/posts/{p}/like", spam)
    await api_ok(remote, "POST", f"/posts/{p}/comments", spam, json={"text": "buy now"})
    await api_ok(remote, "POST", f"/posts/{p}/repost", spam, json={})
    his = await api_ok(remote, "POST", "/posts", spam,
                       json={"text": f"cheap {word} #{tag} {alice.user_id}"})
    await api_ok(remote, "POST", "/apps", spam, json={
        "slug": "deals", "name": f"Deals {word}", "url": "https://deals.example"})
    app = {"id": f"{spam.user_id}:deals"}  # an app of another server's user, as we name it
    await api_ok(stack, "POST", "/follow", bob, json={"handle": spam.user_id})
    await api_ok(stack, "POST", "/follow", carol, json={"handle": bob.localpart})
    for who in (alice, bob):  # his tag is used by three accounts
        await api_ok(stack, "POST", "/posts", who, json={"text": f"me too #{tag}"})

    async def all_indexed() -> bool:
        seen = await api_ok(stack, "GET", f"/posts/{p}", alice)
        return (seen["counts"] == {"likes": 1, "comments": 1, "reposts": 1}
                and spam.user_id in await _followers(stack, alice)
                and his["id"] in await _ids(stack, "/feed?limit=100", bob))

    await eventually(all_indexed, timeout=60, what="his follow, marks and post indexed here")
    await api_ok(stack, "POST", f"/posts/{_q(his['id'])}/like", bob)
    await stack.bridge.services.trending.refresh()
    assert his["id"] in await _ids(stack, "/explore/trending?limit=100", carol)
    assert his["id"] in await _ids(stack, f"/search?q={word}&type=posts", carol, "posts")
    assert spam.user_id in await _ids(stack, f"/search?q={_q(name)}&type=users", carol,
                                      "users")
    assert spam.user_id in await _ids(stack, "/explore/suggestions?limit=100", carol)
    assert app["id"] in await _ids(stack, f"/search?q={word}&type=apps", carol, "apps")
    assert await _tag_accounts(stack, tag) == 3
    notes = await api_ok(stack, "GET", "/notifications?limit=50", alice)
    assert spam.user_id in json.dumps(notes)

    # Only the homeserver's admins suspend; a malformed id is a clear 400; nothing changes.
    for who in (alice, bob):
        status, answer = await api(stack, "POST", "/moderation/suspend", who,
                                   json={"user_id": spam.user_id, "reason": "spam"})
        assert (status, answer["errcode"]) == (403, "M_FORBIDDEN"), answer
    for bad in ("spam", f"@{spam.localpart}", f"{spam.localpart}:{remote.domain}", 7,
                f"@{'x' * 260}:{remote.domain}"):
        status, answer = await api(stack, "POST", "/moderation/suspend", admin,
                                   json={"user_id": bad, "reason": "spam"})
        assert (status, answer["errcode"]) == (400, "M_INVALID_PARAM"), (bad, answer)
        assert "user_id" in answer["error"]
    assert spam.user_id in await _followers(stack, alice)
    assert spam.user_id not in json.dumps(
        await api_ok(stack, "GET", "/moderation/suspensions", admin))

    done = await api_ok(stack, "POST", "/moderation/suspend", admin,
                        json={"user_id": spam.user_id, "reason": "spam wave"})
    assert (done["suspended"], done["local"], done["room_id"]) == (True, False, his["room_id"])
    assert done["kicked_from"] == 1 and done["removed"]["likes"] == 1, done
    assert done["removed"]["comments"] == 1 and done["removed"]["reposts"] == 1, done
    await _gone_everywhere(stack, alice, bob, carol, spam, mine, his, word, name, tag)
    assert app["id"] not in await _ids(stack, f"/search?q={word}&type=apps", carol, "apps")
    listed = await api_ok(stack, "GET", "/moderation/suspensions", admin)
    mine_listed = [s for s in listed["items"] if s["user"]["user_id"] == spam.user_id]
    assert [(s["local"], s["actor"], s["reason"]) for s in mine_listed] == [
        (False, admin.user_id, "spam wave")]
    status, _ = await api(stack, "GET", "/moderation/suspensions", alice)
    assert status == 403
    log = await api_ok(stack, "GET", "/moderation/actions?limit=20", admin)
    assert (admin.user_id, "suspend", spam.user_id, "spam wave") in [
        (a["actor"], a["action"], a["target"], a["reason"]) for a in log["items"]]

    # The kick reached Matrix: his membership in her feed room is over, by our bot.
    alice_client = stack.nio(alice)

    async def kicked() -> dict | None:
        got = await alice_client.room_get_state_event(mine["room_id"], "m.room.member",
                                                      spam.user_id)
        content = getattr(got, "content", {})
        return content if content.get("membership") == "leave" else None

    await eventually(kicked, timeout=30, what="his membership ended by the kick")
    events = await room_texts(alice_client, mine["room_id"])
    [kick] = [e for e in events if e["type"] == "m.room.member"
              and e.get("state_key") == spam.user_id
              and e["content"].get("membership") == "leave"][:1]
    assert kick["sender"] == stack.bridge.az.bot_mxid

    await _he_acts_from_a_plain_client(stack, remote, alice, spam, ctrl, mine, word, tag)

    # Lifted: he is indexed and answered again; his follow and old marks stay gone.
    code, out, err = await run_cli("moderation", "suspensions", "-c",
                                   str(stack.root / "config.yaml"), "-n")
    assert code == 0 and spam.user_id in out and "another server" in out, (out, err)
    assert his["id"] not in await _ids(stack, "/feed?limit=100", bob)  # the bars read here
    lifted = await api_ok(stack, "POST", "/moderation/unsuspend", admin,
                          json={"user_id": spam.user_id, "reason": "appeal granted"})
    assert (lifted["suspended"], lifted["local"]) == (False, False)
    assert lifted["restored"]["hashtags"] >= 1
    assert his["id"] in await _ids(stack, "/feed?limit=100", bob)  # at once
    assert await _tag_accounts(stack, tag) == 3
    assert spam.user_id in await _ids(stack, f"/search?q={_q(name)}&type=users", carol,
                                      "users")
    assert app["id"] in await _ids(stack, f"/search?q={word}&type=apps", carol, "apps")
    client = remote.nio(spam)
    sent = await client.room_send(mine["room_id"], "m.room.message", {
        "msgtype": "m.text", "body": "sorry", "m.relates_to": _thread(mine["id"])})
    assert isinstance(sent, RoomSendResponse), sent

    async def back() -> bool:
        comments = await _ids(stack, f"/posts/{p}/comments", alice)
        return sent.event_id in comments

    await eventually(back, timeout=30, what="his comment indexed after the unsuspension")
    seen = await api_ok(stack, "GET", f"/posts/{p}", alice)
    assert seen["counts"] == {"likes": 0, "comments": 2, "reposts": 0}, seen["counts"]
    # not given back: his follow (his join while suspended was no follow; he joins again)
    assert spam.user_id not in await _followers(stack, alice)
    ai = stack.mxid(f"{alice.localpart}_ai")
    await dm_to_ai(client, ai, "hello again")

    async def answered() -> bool:
        return any(r["sender"]["user_id"] == spam.user_id
                   for r in stack.agent.requests_for(ai))

    await eventually(answered, timeout=30, what="her AI answers him again")


async def _gone_everywhere(stack, alice, bob, carol, spam, mine, his, word, name,
                           tag) -> None:
    """At once, on every read: his marks out of her counts and thread, his follow, his
    notifications; his post out of bob's feed, trending, search, tags; he out of search and
    suggestions."""
    p = _q(mine["id"])
    seen = await api_ok(stack, "GET", f"/posts/{p}", alice)
    assert seen["counts"] == {"likes": 0, "comments": 0, "reposts": 0}, seen["counts"]
    assert await _ids(stack, f"/posts/{p}/comments", alice) == []
    assert spam.user_id not in await _followers(stack, alice)
    notes = await api_ok(stack, "GET", "/notifications?limit=50", alice)
    assert spam.user_id not in json.dumps(notes)
    assert his["id"] not in await _ids(stack, "/feed?limit=100", bob)
    await stack.bridge.services.trending.refresh()
    assert his["id"] not in await _ids(stack, "/explore/trending?limit=100", carol)
    assert his["id"] not in await _ids(stack, f"/search?q={word}&type=posts", carol, "posts")
    assert his["id"] not in await _ids(stack, f"/tags/{tag}", carol)
    assert await _tag_accounts(stack, tag) == 2
    assert spam.user_id not in await _ids(stack, f"/search?q={_q(name)}&type=users", carol,
                                          "users")
    assert spam.user_id not in await _ids(stack, "/explore/suggestions?limit=100", carol)


async def _he_acts_from_a_plain_client(stack, remote, alice, spam, ctrl, mine, word,
                                       tag) -> None:
    """Raw events from his own server: a join, a comment, likes, a repost notice, a post
    naming her, a DM and an ai_request to her AI. A control user of his server does the
    same after him; once the control's are in, none of his is."""
    client, control = remote.nio(spam), remote.nio(ctrl)
    room = mine["room_id"]
    second = await api_ok(stack, "POST", "/posts", alice, json={"text": "and another"})
    for c in (client, control):
        joined = await c.join(room)
        assert isinstance(joined, JoinResponse), joined
    his_room = (await api_ok(remote, "GET", f"/profile/{_q(spam.user_id)}", spam))["room_id"]
    for etype, content in (
            ("m.room.message", {"msgtype": "m.text", "body": "buy now again",
                                "m.relates_to": _thread(mine["id"])}),
            ("m.reaction", {"m.relates_to": {"rel_type": "m.annotation",
                                             "event_id": mine["id"], "key": "❤️"}}),
            # (his 👍 and 🔁 from before stand in Matrix: the homeserver refuses the same
            # annotation twice; on her next post he has none)
            ("m.reaction", {"m.relates_to": {"rel_type": "m.annotation",
                                             "event_id": second["id"], "key": ev.LIKE_KEY}}),
            ("m.reaction", {"m.relates_to": {"rel_type": "m.annotation",
                                             "event_id": second["id"], "key": ev.REPOST_KEY},
                            ev.REPOST_NOTICE: {"room_id": his_room}})):
        sent = await client.room_send(room, etype, content)
        assert isinstance(sent, RoomSendResponse), (etype, sent)
    naming = await client.room_send(his_room, "m.room.message", {
        "msgtype": "m.text", "body": f"hey {alice.user_id} more {word} #{tag}",
        "m.mentions": {"user_ids": [alice.user_id]}, ev.POST_BLOCK: {ev.POST_KIND: "text"}})
    assert isinstance(naming, RoomSendResponse), naming

    ai = stack.mxid(f"{alice.localpart}_ai")
    shared = await client.room_create(invite=[ai, ctrl.user_id])
    assert isinstance(shared, RoomCreateResponse), shared
    await wait_joined(client, shared.room_id, ai)
    assert isinstance(await control.join(shared.room_id), JoinResponse)
    await client.room_send(shared.room_id, "m.room.message",
                           {"msgtype": "m.text", "body": f"{ai} answer me"})
    await client.room_send(shared.room_id, str(ev.AI_REQUEST), {
        "request_id": "spam-1", "to": ai, "body": "answer me", "wants": "answer"})
    to_ai = await dm_to_ai(client, ai, "answer me in private")

    # The control: after his, on the same server, in the same rooms.
    sent = await control.room_send(room, "m.room.message", {
        "msgtype": "m.text", "body": "control", "m.relates_to": _thread(mine["id"])})
    assert isinstance(sent, RoomSendResponse), sent
    await control.room_send(shared.room_id, str(ev.AI_REQUEST), {
        "request_id": "ctrl-1", "to": ai, "body": "control", "wants": "answer"})

    async def control_in() -> bool:
        seen = await api_ok(stack, "GET", f"/posts/{_q(mine['id'])}", alice)
        answers = [e for e in await room_texts(control, shared.room_id)
                   if e["type"] == str(ev.AI_RESPONSE)]
        return seen["counts"]["comments"] == 1 and bool(answers)

    await eventually(control_in, timeout=60, what="the control's comment and request")
    await asyncio.sleep(1)
    seen = await api_ok(stack, "GET", f"/posts/{_q(mine['id'])}", alice)
    assert seen["counts"] == {"likes": 0, "comments": 1, "reposts": 0}, seen["counts"]
    assert await _ids(stack, f"/posts/{_q(mine['id'])}/comments", alice) == [sent.event_id]
    seen = await api_ok(stack, "GET", f"/posts/{_q(second['id'])}", alice)
    assert seen["counts"] == {"likes": 0, "comments": 0, "reposts": 0}, seen["counts"]
    assert spam.user_id not in await _followers(stack, alice)
    assert spam.user_id not in json.dumps(
        await api_ok(stack, "GET", "/notifications?limit=50", alice))
    assert [r for r in stack.agent.requests_for(ai)
            if r["sender"]["user_id"] == spam.user_id] == []
    answers = [e for e in await room_texts(control, shared.room_id)
               if e["sender"] == ai and e["type"] != "m.room.member"]
    assert [e["content"].get("request_id") for e in answers] == ["ctrl-1"], answers
    assert not any(e["sender"] == ai for e in await room_texts(client, to_ai)
                   if e["type"] == "m.room.message")
    assert naming.event_id not in await _ids(stack, f"/search?q={word}&type=posts", alice,
                                             "posts")
    assert await _tag_accounts(stack, tag) == 2
