"""Connecting Bluesky in the browser: its form comes from /social/config.json (a handle and an
app password, no login page), a wrong password is refused in words, the right one connects at
once; the home-timeline toggle; accessible, at both widths, light and dark (screenshots)."""

from __future__ import annotations

import time

import aiohttp
import pytest

from .browser import axe_violations, check_both_widths, screenshot
from .platform_steps import connection
from .test_web_app import open_settings, person

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_connect_bluesky_with_an_app_password(stack, browser):
    pds = stack.platforms.bluesky
    alice = await stack.register("alice")
    handle = f"web{time.time_ns() % 10**7}.test"
    pds.add_account(handle, "Alice on Bluesky")
    async with aiohttp.ClientSession() as http, \
            http.get(f"{stack.appservice_url}/social/config.json") as response:
        config = await response.json()
    [listed] = [p for p in config["platforms"] if p["name"] == "bluesky"]
    assert listed["enabled"] and listed["password_login"]["password_label"] == "App password"
    async with person(browser, stack, alice, color_scheme="dark") as a:
        await open_settings(a, stack)
        form = a.locator(".connect-form[data-platform=bluesky]")
        await form.get_by_label("Handle").wait_for()
        await screenshot(a, "bluesky-connect-form-dark")
        assert await axe_violations(a) == []

        a.watch.expect_failure(400, "/api/social/connections/bluesky/app-password$")
        await form.get_by_label("Handle").fill(handle)
        await form.get_by_label("App password").fill("not-the-one")
        await form.get_by_role("button", name="Connect Bluesky").click()
        await form.locator(".error", has_text="app password").wait_for()
        assert await connection(stack, alice, "bluesky") is None

        await form.get_by_label("App password").fill("abcd-efgh-ijkl-mnop")
        await form.get_by_role("button", name="Connect Bluesky").click()
        item = a.locator(".connection[data-platform=bluesky]")
        await item.locator(".connection-status strong", has_text="Working").wait_for()
        await item.get_by_text(f"@{handle}").wait_for()
        assert (await connection(stack, alice, "bluesky"))["status"] == "ok"
        await screenshot(a, "bluesky-connected-dark")
        await item.get_by_label("Bring my Following feed into my feed").check()
        await item.locator(".ok-text", has_text="for you only").wait_for()
        assert (await connection(stack, alice, "bluesky"))["home_timeline"] is True

        # A post too long for one Bluesky post is previewed as the thread it goes out as.
        await a.get_by_role("link", name="Home", exact=True).click()
        await a.wait_for_selector(".section-feed[data-ready]")
        await a.get_by_label("What's new?").click()
        picker = a.get_by_role("group", name="Also publish on")
        await picker.get_by_role("checkbox", name="Bluesky").check()
        sentence = "A long walk by the river, the light low and gold on the water. "
        await a.get_by_label("What's new?").fill(sentence * 7)  # 441 of the 500 a post may have
        await picker.get_by_role("button", name="Preview on these platforms").click()
        item = picker.get_by_role("list", name="Preview per platform").locator(
            "li[data-target=bluesky]")
        await item.get_by_text("a thread of 2 posts, each at most 300 characters").wait_for()
        parts = [await p.inner_text() for p in await item.locator(".preview-text").all()]
        assert [part[-4:] for part in parts] == [" 1/2", " 2/2"], parts
        assert all(len(part) <= 300 for part in parts), [len(part) for part in parts]
        assert await axe_violations(a) == [], "composer with a thread preview"
        await screenshot(a, "compose-bluesky-thread-preview-dark")

    async with person(browser, stack, await stack.register("carol")) as c:
        await open_settings(c, stack)
        await c.locator(".connect-form[data-platform=bluesky]").get_by_label(
            "App password").wait_for()
        await check_both_widths(c, "bluesky-connect-form-light")
