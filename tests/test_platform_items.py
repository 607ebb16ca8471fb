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
