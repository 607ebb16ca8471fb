"""Profiles: a banner and a pinned post (profile state, docs/events.md), and the AI's profile
naming its owner as she is now called; the attacker's side: pins that name somebody else's
post, a post of another room, or a repost."""

from __future__ import annotations

import io
from urllib.parse import quote

from PIL import Image

from matrix_social import events as ev

from .harness import api, api_ok, eventually


def q(value: str) -> str:
    return quote(value, safe="")


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (60, 20), (10, 120, 200)).save(out, format="PNG")
    return out.getvalue()


async def test_banner_and_pinned_post_are_profile_state_and_shown(stack):
    alice, bob = await stack.register("alice"), await stack.register("bob")
    banner = (await api_ok(stack, "POST", "/media", alice, data=png(),
                           headers={"Content-Type": "image/png"}))["content_uri"]
    older = await api_ok(stack, "POST", "/posts", alice, json={"text": "Pin me"})
    await api_ok(stack, "POST", "/posts", alice, json={"text": "Newer"})
    updated = await api_ok(stack, "PATCH", "/profile", alice,
                           json={"banner_url": banner, "pinned_post": older["id"],
                                 "bio": "Hello"})
    assert updated["banner_url"] == banner and updated["pinned_post"]["id"] == older["id"]
    # The truth is the profile state in her feed room, as any client reads it.
    state = await stack.request(
        "GET", f"{stack.synapse.url}/_matrix/client/v3/rooms/{q(updated['room_id'])}/state/"
        f"{ev.PROFILE_STATE}/", token=bob.access_token)
    assert state[0] == 200
    assert state[1][ev.PROFILE_BANNER] == banner and state[1][ev.PROFILE_PINNED] == older["id"]
    assert state[1]["bio"] == "Hello"
    seen = await api_ok(stack, "GET", f"/profile/{alice.localpart}", bob)
    assert seen["banner_url"] == banner
    assert seen["pinned_post"]["text"] == "Pin me"
    # A bio edit keeps banner and pin; unpinning and removing the banner keep the bio.
    await api_ok(stack, "PATCH", "/profile", alice, json={"bio": "Hi again"})
    seen = await api_ok(stack, "GET", f"/profile/{alice.localpart}", bob)
    assert seen["banner_url"] == banner and seen["pinned_post"]["id"] == older["id"]
    await api_ok(stack, "PATCH", "/profile", alice, json={"pinned_post": None, "banner_url": ""})
    seen = await api_ok(stack, "GET", f"/profile/{alice.localpart}", bob)
    assert (seen["banner_url"], seen["pinned_post"], seen["bio"]) == (None, None, "Hi again")
    # A deleted pinned post is no longer shown.
    await api_ok(stack, "PATCH", "/profile", alice, json={"pinned_post": older["id"]})
    await api_ok(stack, "DELETE", f"/posts/{q(older['id'])}", alice)
    assert (await api_ok(stack, "GET", f"/profile/{alice.localpart}", bob))["pinned_post"] \
        is None


async def test_a_pin_must_name_her_own_post_in_her_own_feed(stack):
    alice, mallory = await stack.register("alice"), await stack.register("mallory")
    alices = await api_ok(stack, "POST", "/posts", alice, json={"text": "Alice's words"})
    own = await api_ok(stack, "POST", "/posts", mallory, json={"text": "mine"})
    repost = await api_ok(stack, "POST", f"/posts/{q(alices['id'])}/repost", mallory)
    comment = await api_ok(stack, "POST", f"/posts/{q(alices['id'])}/comments", mallory,
                           json={"text": "a comment"})
    for bad in (alices["id"], repost["id"], comment["id"], "$nothing:here", 42,
                "not an id"):
        status, body = await api(stack, "PATCH", "/profile", mallory,
                                 json={"pinned_post": bad})
        assert (status, body["errcode"]) == (400, "M_INVALID_PARAM"), bad
    status, body = await api(stack, "PATCH", "/profile", mallory,
                             json={"banner_url": "https://evil.example/banner.png"})
    assert status == 400, body

    # Written straight into her feed room's state by a plain client, the same pins are
    # ignored by the index; a good one counts.
    client = stack.nio(mallory)
    room = own["room_id"]

    async def pinned_shown(expected):
        seen = await api_ok(stack, "GET", f"/profile/{mallory.localpart}", alice)
        got = seen["pinned_post"] and seen["pinned_post"]["id"]
        return got == expected

    for forged in (alices["id"], repost["id"], comment["id"], own["id"]):
        await client.room_put_state(room, str(ev.PROFILE_STATE), {
            "bio": "", "links": [], "interests": [], ev.PROFILE_PINNED: forged,
            ev.PROFILE_BANNER: "javascript:alert(1)"})
        expected = own["id"] if forged == own["id"] else None
        await eventually(lambda e=expected: pinned_shown(e), what=f"pin of {forged}")
    seen = await api_ok(stack, "GET", f"/profile/{mallory.localpart}", alice)
    assert seen["banner_url"] is None  # a banner that is not an mxc URI is no banner
    # Her pin of one of her posts in Alice's feed (where she cannot post) counts nowhere:
    # Alice's profile pins nothing.
    assert (await api_ok(stack, "GET", f"/profile/{alice.localpart}", mallory))[
        "pinned_post"] is None


async def test_the_ai_profile_names_its_owner_as_she_is_called_now(stack):
    alice, bob = await stack.register("alice"), await stack.register("bob")
    await api_ok(stack, "PATCH", "/profile", alice, json={"display_name": "Alice"})
    ai = f"{alice.localpart}_ai"
    await api_ok(stack, "POST", "/posts", alice, json={"text": "from the AI", "as": "ai"})
    profile = await api_ok(stack, "GET", f"/profile/{ai}", bob)
    assert profile["display_name"] == "Alice's AI"
    assert profile["owner"]["display_name"] == "Alice"
    # She renames herself: the very next reads say the new name everywhere (the AI's name,
    # the owner on the AI's profile, the author of its posts in search).
    await api_ok(stack, "PATCH", "/profile", alice, json={"display_name": "Alicia"})
    profile = await api_ok(stack, "GET", f"/profile/{ai}", bob)
    assert profile["display_name"] == "Alicia's AI"
    assert profile["owner"]["display_name"] == "Alicia"
    assert profile["recent_posts"][0]["author"]["display_name"] == "Alicia's AI"
    found = await api_ok(stack, "GET", f"/search?q={alice.localpart}&type=users", bob)
    assert {u["display_name"] for u in found["users"]["items"]} >= {"Alicia", "Alicia's AI"}
