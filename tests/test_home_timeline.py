"""Home timelines for her eyes only, end to end on both databases (the PostgreSQL stack and the
SQLite `remote` stack, each a real Synapse): her Bluesky Following feed comes into her own feed
view, branded, its label's warning kept; never into her feed room, never to a follower, even
with sharing on; off again, nothing more comes."""

from __future__ import annotations

import time
from urllib.parse import quote

import pytest

from .harness import api, api_ok, eventually
from .platform_steps import (
    bot_said,
    connect,
    connection,
    feed_items,
    management_room,
    messages,
    sync_now,
)

PASSWORD = "abcd-efgh-ijkl-mnop"


@pytest.fixture(params=["stack", "remote"])
def either(request):
    return request.getfixturevalue(request.param)


async def test_a_home_timeline_item_is_only_in_its_owners_feed(either):
    stack = either
    pds = stack.platforms.bluesky
    alice, bob = await stack.register("alice"), await stack.register("bob")
    handle = f"home{time.time_ns() % 10**7}.test"
    friend_handle = f"followed{time.time_ns() % 10**7}.test"
    did = pds.add_account(handle, "Alice")
    friend = pds.add_account(friend_handle, "Someone Followed")
    pds.follow(did, friend)
    pds.post(did, "my own words")
    await api_ok(stack, "POST", "/connections/bluesky/app-password", alice,
                 json={"identifier": handle, "password": PASSWORD})
    await api_ok(stack, "POST", "/follow", bob, json={"handle": alice.user_id})
    shared = await api_ok(stack, "PATCH", "/connections/bluesky", alice,
                          json={"share_with_followers": True, "home_timeline": True})
    assert shared["home_timeline"] is True and shared["share_with_followers"] is True
    status, body = await api(stack, "PATCH", "/connections/bluesky", alice,
                             json={"home_timeline": "yes"})
    assert status == 400, body

    await eventually(lambda: _texts(stack, alice, "my own words"), what="her own item")
    pds.post(friend, "seen by those who follow me")
    pds.post(friend, "hard to look at", images=[("g", "")], labels=["graphic-media"])
    pds.post(did, "mine again")
    await sync_now(stack, alice, "bluesky")

    async def home_items():
        found = [p for p in await feed_items(stack, alice, "bluesky")
                 if p["external"]["kind"] == "home"]
        return found if len(found) == 2 else None

    items = await eventually(home_items, what="two home-timeline items in her feed")
    by_text = {p["text"]: p for p in items}
    plain = by_text[f"@{friend_handle}: seen by those who follow me"]
    assert plain["external"]["branding"]["name"] == "Bluesky"
    assert plain["external"]["url"].startswith(f"https://bsky.app/profile/{friend_handle}/")
    warned = next(p for p in items if p["text"].startswith(f"@{friend_handle}: hard"))
    assert warned["cw"] == "Graphic media"

    # Bob follows her and she shares her own items: he sees "mine again", never her timeline.
    async def bob_sees_hers():
        page = await api_ok(stack, "GET", "/feed?limit=100", bob)
        texts = [p["text"] for p in page["items"]]
        return texts if any(t.startswith("mine again") for t in texts) else None

    texts = await eventually(bob_sees_hers, what="her shared item in bob's feed")
    assert not any(friend_handle in t or "hard to look at" in t for t in texts), texts
    room = (await api_ok(stack, "GET", f"/profile/{quote(alice.user_id)}", bob))["room_id"]
    in_room = [e["content"].get("body", "") for e in await messages(stack, bob, room)]
    assert any(b.startswith("mine again") for b in in_room)
    assert not any(friend_handle in b for b in in_room)  # her feed room: never her timeline

    # Off: nothing more comes in.
    await api_ok(stack, "PATCH", "/connections/bluesky", alice, json={"home_timeline": False})
    pds.post(friend, "after she turned it off")
    await sync_now(stack, alice, "bluesky")
    assert not await _texts(stack, alice, "after she turned it off")


async def _texts(stack, user, needle):
    return [p for p in await feed_items(stack, user, "bluesky") if needle in p["text"]]


async def test_her_x_following_timeline_then_an_access_level_without_it(stack):
    """X (PostgreSQL stack): the accounts she follows there come into her feed, never into
    Bob's though he follows her and she shares; when this service's X app may not read home
    timelines, the home timeline is turned off and she is told why in her management room,
    while her own posts keep coming."""
    x = stack.platforms.x
    alice, bob = await stack.register("alice"), await stack.register("bob")
    mine = x.add_user(f"xhome{time.time_ns() % 10**6}")
    friend_handle = f"xfriend{time.time_ns() % 10**6}"
    friend = x.add_user(friend_handle, "Followed Friend")
    x.follow(mine, friend)
    x.oauth.authorizing_user = mine
    x.post(mine, "my first tweet")
    await connect(stack, alice, "x")
    await api_ok(stack, "POST", "/follow", bob, json={"handle": alice.user_id})
    await api_ok(stack, "PATCH", "/connections/x", alice,
                 json={"share_with_followers": True, "home_timeline": True})
    await eventually(lambda: _x_texts(stack, alice, "my first tweet"), what="her own tweet")
    x.post(friend, "from someone she follows on X")
    x.post(mine, "my second tweet")
    await sync_now(stack, alice, "x")
    await eventually(lambda: _x_texts(stack, alice, f"@{friend_handle}: from someone"),
                     what="the followed account's post in her feed")

    async def bob_sees_hers():
        page = await api_ok(stack, "GET", "/feed?limit=100", bob)
        texts = [p["text"] for p in page["items"]]
        return texts if any(t.startswith("my second tweet") for t in texts) else None

    texts = await eventually(bob_sees_hers, what="her shared tweet in bob's feed")
    assert not any(friend_handle in t for t in texts), texts

    x.home_enrolled = False
    try:
        x.post(mine, "my third tweet")
        await sync_now(stack, alice, "x")
        room = await management_room(stack, alice)
        said = await bot_said(stack, alice, room, "X home timeline", "access level")
        assert "no longer comes into your feed" in said
        assert (await connection(stack, alice, "x"))["home_timeline"] is False
        await eventually(lambda: _x_texts(stack, alice, "my third tweet"),
                         what="her own tweets still bridged")
        assert (await connection(stack, alice, "x"))["status"] == "ok"
    finally:
        x.home_enrolled = True


async def _x_texts(stack, user, needle):
    return [p for p in await feed_items(stack, user, "x") if needle in p["text"]]
