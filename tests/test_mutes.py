"""Mutes and muted words through the API: her feed changes, nothing else does (docs/events.md,
"Mutes and muted words")."""

from __future__ import annotations

import secrets
import time
from urllib.parse import quote

from .harness import api, api_ok, eventually


async def _feed_texts(stack, user) -> list[str]:
    return [p["text"] for p in (await api_ok(stack, "GET", "/feed?limit=50", user))["items"]]


async def test_muted_people_and_words_leave_her_feed_and_nothing_is_sent(stack, remote):
    alice = await stack.register("alice")
    bob = await stack.register("bob")
    dave = await stack.register("dave")
    mallory = await remote.register("mallory")
    tag = secrets.token_hex(3)
    for who in (bob, dave):
        await api_ok(stack, "POST", "/follow", alice, json={"handle": who.localpart})
    await api_ok(stack, "POST", "/follow", alice, json={"handle": mallory.user_id})
    await api_ok(stack, "POST", "/posts", bob, json={"text": f"I love my Cat {tag}"})
    await api_ok(stack, "POST", "/posts", bob, json={"text": f"a catalog {tag}"})
    await api_ok(stack, "POST", "/posts", dave, json={"text": f"dave here {tag}"})
    await api_ok(remote, "POST", "/posts", mallory, json={"text": f"from afar {tag}"})

    async def all_four() -> bool:
        return len([t for t in await _feed_texts(stack, alice) if tag in t]) == 4

    await eventually(all_four, timeout=30, what="the four posts in her feed")

    word = await api_ok(stack, "POST", "/muted_words", alice,
                        json={"word": "CAT", "contexts": ["feed"]}, expect=201)
    assert (word["word"], word["contexts"]) == ("cat", ["feed"])
    soon = int(time.time() * 1000) + 3_600_000
    await api_ok(stack, "POST", "/mutes", alice,
                 json={"user_id": dave.user_id, "expires_at": soon})
    await api_ok(stack, "POST", "/mutes", alice, json={"user_id": mallory.user_id})
    texts = [t for t in await _feed_texts(stack, alice) if tag in t]
    assert texts == [f"a catalog {tag}"], texts
    listed = await api_ok(stack, "GET", "/mutes", alice)
    assert {(m["user_id"], m["expires_at"]) for m in listed["items"]} == {
        (dave.user_id, soon), (mallory.user_id, None)}
    # Nothing was sent: she still follows them all, they see no change.
    followers = await api_ok(stack, "GET", f"/followers/{dave.localpart}", dave)
    assert alice.user_id in [f["user_id"] for f in followers["items"]]
    # Input that is not a mute changes nothing.
    for body in ({"user_id": "bob"}, {"user_id": dave.user_id, "expires_at": 5},
                 {"user_id": dave.user_id, "expires_at": "tomorrow"}):
        status, _ = await api(stack, "POST", "/mutes", alice, json=body)
        assert status == 400, body
    for body in ({"word": ""}, {"word": "x" * 101}, {"word": "ok", "contexts": ["home"]},
                 {"word": "ok", "contexts": []}):
        status, _ = await api(stack, "POST", "/muted_words", alice, json=body)
        assert status == 400, body
    status, _ = await api(stack, "DELETE", "/muted_words/１", alice)
    assert status == 404
    status, _ = await api(stack, "DELETE", f"/muted_words/{word['id']}", bob)
    assert status == 404  # not his
    assert [w["word"] for w in (await api_ok(stack, "GET", "/muted_words", alice))["items"]] \
        == ["cat"]

    await api_ok(stack, "DELETE", f"/muted_words/{word['id']}", alice)
    await api_ok(stack, "DELETE", f"/mutes/{quote(dave.user_id, safe='')}", alice)
    await api_ok(stack, "DELETE", f"/mutes/{quote(mallory.user_id, safe='')}", alice)
    assert len([t for t in await _feed_texts(stack, alice) if tag in t]) == 4
