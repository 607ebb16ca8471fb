"""Mentions written through the API are pills with m.mentions; comments and replies mention
the people they answer, so the homeserver's own push rules notify them (Synapse's
/notifications, what Element's bell shows)."""

from __future__ import annotations

from urllib.parse import quote

from .harness import api_ok, eventually


def q(event_id: str) -> str:
    return quote(event_id, safe="")


async def _event(stack, user, room_id, event_id):
    status, event = await stack.request(
        "GET", f"{stack.synapse.url}/_matrix/client/v3/rooms/{q(room_id)}/event/{q(event_id)}",
        token=user.access_token)
    assert status == 200, event
    return event["content"]


async def _pushed(stack, user, event_id):
    """Whether the homeserver's push rules notified `user` of the event."""
    status, body = await stack.request(
        "GET", f"{stack.synapse.url}/_matrix/client/v3/notifications?limit=50",
        token=user.access_token)
    assert status == 200, body
    return any(n["event"]["event_id"] == event_id for n in body["notifications"])


async def test_handles_become_pills_and_unknown_ones_stay_text(stack, remote):
    alice, bob = await stack.register("alice"), await stack.register("bob")
    dan = await remote.register("dan")
    text = (f"hi @{bob.localpart}, @{bob.localpart}_ai and {dan.user_id}; "
            f"not @nobody{bob.localpart} nor mail@{bob.localpart}.org")
    post = await api_ok(stack, "POST", "/posts", alice, json={"text": text})
    content = await _event(stack, alice, post["room_id"], post["id"])
    assert content["body"] == text
    ai = f"@{bob.localpart}_ai:{stack.domain}"
    assert content["m.mentions"] == {"user_ids": [bob.user_id, ai, dan.user_id]}
    html = content["formatted_body"]
    for user_id in (bob.user_id, ai, dan.user_id):
        assert f'href="https://matrix.to/#/{user_id}"' in html, html
    assert f"not @nobody{bob.localpart} nor mail@{bob.localpart}.org" in html
    assert html.count("<a ") == 3

    async def told():
        items = (await api_ok(stack, "GET", "/notifications", bob))["items"]
        return items

    [note] = await eventually(told, what="bob's mention")
    assert (note["type"], note["actors"], note["post_id"]) == ("mention", [alice.user_id],
                                                               post["id"])


async def test_comments_and_replies_notify_through_the_homeserver_s_push_rules(stack):
    alice, bob, carol = [await stack.register(n) for n in ("alice", "bob", "carol")]
    post = await api_ok(stack, "POST", "/posts", alice, json={"text": "push"})
    comment = await api_ok(stack, "POST", f"/posts/{q(post['id'])}/comments", bob,
                           json={"text": "a comment"})
    reply = await api_ok(stack, "POST", f"/posts/{q(post['id'])}/comments", carol,
                         json={"text": "a reply", "reply_to": comment["id"]})
    content = await _event(stack, carol, post["room_id"], reply["id"])
    assert set(content["m.mentions"]["user_ids"]) == {alice.user_id, bob.user_id}

    async def pushed():
        return (await _pushed(stack, alice, comment["id"])
                and await _pushed(stack, bob, reply["id"]))

    await eventually(pushed, what="the homeserver's notifications for alice and bob")
    assert not await _pushed(stack, bob, comment["id"])  # nobody is told of their own
