"""Bridged platform items, end to end through a real Synapse and the service against the
loopback fakes: every connection of an account gets its items in its own portal, and items
keep their platform's privacy and content warnings (issue 22, findings 4, 5 and 9)."""

from __future__ import annotations

import time

from .harness import api_ok, eventually
from .platform_steps import connect, connection, feed_items, sync_now, visible_items


async def _portal(stack, user, platform):
    found = await connection(stack, user, platform)
    return found and found["portal_room_id"]


async def _bodies(stack, user, room_id, count):
    items = await visible_items(stack, user, room_id)
    return [e["content"]["body"] for e in items] if len(items) >= count else None


async def test_two_users_who_connect_the_same_github_account_each_get_its_items(stack):
    """Finding 9: the item map deduped by (platform, account, remote id) for everybody, so the
    second connection's portal never got an item the first had already bridged."""
    github = stack.platforms.github
    alice, bob = await stack.register("alice"), await stack.register("bob")
    login = f"shared{time.time_ns() % 10**6}"
    account = github.add_user(login, "Shared Octo")
    github.oauth.authorizing_user = str(account)
    github.star(account, f"{login}/first")
    await connect(stack, alice, "github")
    alice_portal = await eventually(lambda: _portal(stack, alice, "github"))
    await eventually(lambda: _bodies(stack, alice, alice_portal, 1), what="alice's first item")

    github.oauth.authorizing_user = str(account)
    await connect(stack, bob, "github")
    bob_portal = await eventually(lambda: _portal(stack, bob, "github"))
    assert bob_portal != alice_portal
    first = await eventually(lambda: _bodies(stack, bob, bob_portal, 1),
                             what="bob's first item, already bridged for alice")
    assert len(first) == 1 and first[0].startswith(f"{login} starred {login}/first")

    # A new item reaches both portals, whoever polls first, and each feed.
    github.release(account, f"{login}/tool", "v2", "Two")
    await sync_now(stack, alice, "github")
    await sync_now(stack, bob, "github")
    for user, portal in ((alice, alice_portal), (bob, bob_portal)):
        bodies = await eventually(lambda u=user, p=portal: _bodies(stack, u, p, 2),
                                  what=f"the release in {user.user_id}'s portal")
        assert [b.split("\n")[0] for b in bodies] == [f"{login} starred {login}/first",
                                                      f"{login} released Two of {login}/tool"]
        texts = [p["text"] for p in await feed_items(stack, user, "github")]
        assert texts == [f"{login} released Two of {login}/tool",
                         f"{login} starred {login}/first"], texts
    # Each stays the other's stranger: neither portal lets the other in.
    joined = await stack.nio(bob).join(alice_portal)
    assert not getattr(joined, "room_id", None)
    assert (await api_ok(stack, "GET", "/connections", alice))["connections"][0][
        "portal_room_id"] == alice_portal


PRIVATE = ("followers only", "direct message", "boosted secret")


async def _connect_mastodon_shared(stack, prefix):
    """Alice connects a fresh fake Mastodon account and shares it with followers; bob follows
    her. (alice, bob, the account id, alice's feed room)."""
    mastodon = stack.platforms.mastodon
    alice, bob = await stack.register("alice"), await stack.register("bob")
    account = mastodon.add_account(f"{prefix}{time.time_ns() % 10**6}", "Alice Toots")
    mastodon.oauth.authorizing_user = account
    await connect(stack, alice, "mastodon", mastodon.base_url)
    await api_ok(stack, "PATCH", "/connections/mastodon", alice,
                 json={"share_with_followers": True})
    first = await api_ok(stack, "POST", "/posts", alice, json={"text": "hello"})
    await api_ok(stack, "POST", "/follow", bob, json={"handle": alice.user_id})
    return alice, bob, account, first["room_id"]


async def test_followers_only_and_direct_statuses_never_leave_mastodon(stack):
    """Finding 4, as an attacker would hope to see it: bob follows alice, who shares her
    Mastodon account with followers. Her followers-only and direct statuses, and her boost of
    a followers-only one, reach neither her portal, nor her feed, nor bob's feed, nor bob's
    Matrix view of her feed room; a public status later made followers-only (a server that
    allows what Mastodon does not) is taken back everywhere."""
    mastodon = stack.platforms.mastodon
    alice, bob, account, feed_room = await _connect_mastodon_shared(stack, "priv")
    mastodon.honours_exclude_reblogs = False  # a server that ignores the parameter
    try:
        mastodon.post(account, "public toot")
        mastodon.post(account, "followers only toot", visibility="private")
        mastodon.post(account, "direct message toot", visibility="direct")
        secret = mastodon.post(account, "boosted secret toot", visibility="private")
        mastodon.reblog(account, secret)
        mastodon.post(account, "unlisted toot", visibility="unlisted")
        changed = mastodon.post(account, "public then private toot")
        await sync_now(stack, alice, "mastodon")
    finally:
        mastodon.honours_exclude_reblogs = True
    portal = await eventually(lambda: _portal(stack, alice, "mastodon"))
    public = ["public toot", "unlisted toot", "public then private toot"]

    async def bob_texts() -> list[str]:
        page = await api_ok(stack, "GET", "/feed?limit=100", bob)
        # A shared item's text is her post's body: the item's words, then "View on ...".
        return [p["text"].split("\n")[0] for p in page["items"] if "external" in p]

    async def bob_sees() -> list[str] | None:
        texts = await bob_texts()
        return texts if len(texts) >= 3 else None

    assert sorted(await eventually(bob_sees, what="the shared toots in bob's feed")) == \
        sorted(public)
    bodies = await _bodies(stack, alice, portal, 3)
    assert sorted(b.split("\n")[0] for b in bodies) == sorted(public)
    assert sorted(p["text"].split("\n")[0] for p in await feed_items(stack, alice, "mastodon")) \
        == sorted(public)
    bob_room = await _room_bodies(stack, bob, feed_room)
    assert not [b for b in bob_room if any(word in b for word in PRIVATE)], bob_room
    everything = " ".join(await _room_bodies(stack, alice, portal))
    assert not any(word in everything for word in PRIVATE)

    mastodon.set_visibility(changed, "private")
    await sync_now(stack, alice, "mastodon")

    async def taken_back() -> bool:
        texts = [p["text"].split("\n")[0] for p in await feed_items(stack, alice, "mastodon")]
        return "public then private toot" not in texts + await bob_texts()

    await eventually(taken_back, what="the toot made private taken back")
    assert "public then private toot" not in " ".join(await _room_bodies(stack, bob, feed_room))
    assert "public then private toot" not in " ".join(
        b for b in await _bodies(stack, alice, portal, 0) or [])


async def _room_bodies(stack, user, room_id):
    from .platform_steps import messages
    return [e.get("content", {}).get("body", "") for e in await messages(stack, user, room_id)]


async def test_a_content_warning_is_a_matrix_spoiler_and_sensitive_media_is_marked(stack):
    """Finding 5: a Mastodon spoiler_text becomes a Matrix spoiler (the text only inside
    <span data-mx-spoiler="reason"> in formatted_body; the body's fallback starts with the
    reason and leaves the text out), sensitive media is marked for clients to blur (MSC4193,
    MSC3725), and the API says `cw` and `sensitive` for the web app, in her feed and in her
    follower's, whose client sees the same spoiler."""
    mastodon = stack.platforms.mastodon
    alice, bob, account, feed_room = await _connect_mastodon_shared(stack, "cw")
    mastodon.post(account, "they all live", spoiler_text='film "spoilers" <b>')
    mastodon.post(account, "a picture", spoiler_text="eye strain",
                  media_ids=[mastodon.add_media(account)])
    mastodon.post(account, "marked, no reason", media_ids=[mastodon.add_media(account)],
                  sensitive=True)
    plain = mastodon.post(account, "nothing to hide")
    await sync_now(stack, alice, "mastodon")
    portal = await eventually(lambda: _portal(stack, alice, "mastodon"))
    events = await eventually(lambda: _events(stack, alice, portal, 4), what="four items")
    spoiler, picture, marked, clear = events
    warning = 'film "spoilers" <b>'
    url = spoiler["m.matrix_os.social.post"]["external"]["url"]
    assert spoiler["body"].startswith(f"[Spoiler for {warning}]({url})")
    assert "they all live" not in spoiler["body"]
    assert spoiler["formatted_body"].startswith(
        '<p><span data-mx-spoiler="film &quot;spoilers&quot; &lt;b&gt;">they all live</span>')
    assert spoiler["m.matrix_os.social.post"]["cw"] == warning
    assert spoiler["m.matrix_os.social.post"]["sensitive"] is False
    assert "page.codeberg.everypizza.msc4193.spoiler" not in spoiler

    assert picture["msgtype"] == "m.image" and picture["url"].startswith("mxc://")
    assert picture["page.codeberg.everypizza.msc4193.spoiler"] is True
    assert picture["page.codeberg.everypizza.msc4193.spoiler.reason"] == "eye strain"
    assert picture["town.robin.msc3725.content_warning"] == {
        "type": "town.robin.msc3725.spoiler", "description": "eye strain"}
    assert "a picture" not in picture["body"] and "data-mx-spoiler=\"eye strain\"" in \
        picture["formatted_body"]
    assert marked["msgtype"] == "m.image" and "marked, no reason" in marked["body"]
    assert marked["page.codeberg.everypizza.msc4193.spoiler"] is True
    assert "page.codeberg.everypizza.msc4193.spoiler.reason" not in marked
    assert marked["town.robin.msc3725.content_warning"] == {"type": "town.robin.msc3725.spoiler"}
    assert "data-mx-spoiler" not in marked["formatted_body"]
    assert "data-mx-spoiler" not in clear["formatted_body"] and \
        not any(k.startswith(("page.codeberg", "town.robin")) for k in clear)

    expected = {"they all live": (warning, False), "a picture": ("eye strain", True),
                "marked, no reason": (None, True), "nothing to hide": (None, False)}
    mine = {p["text"].split("\n")[0]: (p["cw"], p["sensitive"])
            for p in await feed_items(stack, alice, "mastodon")}
    assert mine == expected

    async def bob_sees():
        page = await api_ok(stack, "GET", "/feed?limit=100", bob)
        found = {p["text"].split("\n")[0]: (p["cw"], p["sensitive"]) for p in page["items"]
                 if "external" in p}
        return found if len(found) >= 4 else None

    assert await eventually(bob_sees, what="the shared items in bob's feed") == expected
    own = [p for p in (await api_ok(stack, "GET", "/feed?limit=100", bob))["items"]
           if p["text"] == "hello"]
    assert own and own[0]["cw"] is None and own[0]["sensitive"] is False
    shared = [e["content"] for e in await _messages(stack, bob, feed_room)
              if e["content"].get("m.matrix_os.social.post", {}).get("cw")]
    assert {c["body"].split("]")[0] for c in shared} == {f"[Spoiler for {warning}",
                                                         "[Spoiler for eye strain"}
    assert all("data-mx-spoiler" in c["formatted_body"] for c in shared)

    # An edit that adds a warning hides the text from then on.
    mastodon.edit(plain, "nothing to hide, edited", spoiler_text="second thoughts")
    await sync_now(stack, alice, "mastodon")

    async def edited():
        found = {p["text"].split("\n")[0]: p["cw"]
                 for p in await feed_items(stack, alice, "mastodon")}
        return found.get("nothing to hide, edited") == "second thoughts"

    await eventually(edited, what="the edit with a warning")
    replaces = [e for e in await _messages(stack, alice, portal)
                if (e["content"].get("m.relates_to") or {}).get("rel_type") == "m.replace"]
    new = replaces[-1]["content"]["m.new_content"]
    assert new["body"].startswith("[Spoiler for second thoughts]")
    assert '<span data-mx-spoiler="second thoughts">nothing to hide, edited</span>' in \
        new["formatted_body"]


async def _messages(stack, user, room_id):
    from .platform_steps import messages
    return await messages(stack, user, room_id)


async def _events(stack, user, room_id, count):
    items = await visible_items(stack, user, room_id)
    return [e["content"] for e in items] if len(items) >= count else None
