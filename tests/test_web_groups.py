"""The web app shows a post of an MSC4501 group under its author and "in <group>", small, in
light and dark (axe, a screenshot each in test-artifacts/screenshots/)."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from .browser import DESKTOP, PHONE, axe_violations, page_shot, signed_in
from .harness import api_ok, eventually
from .msc4501_client import Msc4501Client

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_a_group_post_says_in_which_group_in_light_and_dark(stack, browser):
    alice = await stack.register("alice")
    carol = Msc4501Client(stack, await stack.register("carol"))
    room = await carol.create_group_room("Allotment gardeners of the north side")
    said = await carol.post(room, "The tomatoes are up, and the beans are next.")
    await api_ok(stack, "POST", "/follow", alice, json={"room": room})

    async def in_feed():
        items = (await api_ok(stack, "GET", "/feed", alice))["items"]
        return any(p["id"] == said for p in items)
    await eventually(in_feed, timeout=30, what="the group's post in alice's feed")

    for viewport, width in ((DESKTOP, "desktop"), (PHONE, "phone")):
        async with signed_in(browser, stack, alice, viewport=viewport) as page:
            await page.goto(f"{stack.appservice_url}/social/")
            post = page.locator("article.post", has_text="tomatoes are up").first
            await post.wait_for()
            head = post.locator(".post-head .in-group")
            assert (await head.inner_text()).startswith("in Allotment gardeners")
            assert await post.locator(".post-head .name").inner_text() != ""
            for scheme in ("light", "dark"):
                await page.emulate_media(color_scheme=scheme, reduced_motion="reduce")
                await page.wait_for_timeout(150)
                assert await axe_violations(page, None) == [], (scheme, width)
                scroll = await page.evaluate("document.documentElement.scrollWidth")
                assert scroll <= viewport["width"], (scheme, width, scroll)
                await page_shot(page, f"group-post-{scheme}-{width}")


async def test_a_requested_follow_says_requested_on_the_profile(stack, remote, browser):
    alice = await stack.register("alice")
    carol = Msc4501Client(remote, await remote.register("carol"))
    room = await carol.create_profile_room("Carol Knocks", join_rule="knock")
    await carol.point_profile_at(room)
    asked = await api_ok(stack, "POST", "/follow", alice, json={"handle": carol.user.user_id})
    assert asked["state"] == "pending", asked
    async with signed_in(browser, stack, alice, viewport=DESKTOP) as page:
        await page.goto(f"{stack.appservice_url}/social/profile/"
                        f"{quote(carol.user.user_id, safe='')}")
        button = page.locator(".profile-buttons .follow-button")
        await button.wait_for()
        assert await button.inner_text() == "Requested"
        # Somebody of another server is shown by her whole ID, with one @ as she writes it.
        assert await page.locator(".section-profile p.handle").inner_text() == carol.user.user_id
        assert await button.get_attribute("aria-pressed") == "true"
        for scheme in ("light", "dark"):
            await page.emulate_media(color_scheme=scheme, reduced_motion="reduce")
            await page.wait_for_timeout(150)
            assert await axe_violations(page, None) == [], scheme
            await page_shot(page, f"profile-requested-{scheme}-desktop")
        # pressing it withdraws the request
        await button.click()
        await page.wait_for_function(
            "() => document.querySelector('.profile-buttons .follow-button')"
            ".textContent === 'Follow'")
    items = (await api_ok(stack, "GET", "/follows", alice))["items"]
    assert all(i["room_id"] != room for i in items), items
