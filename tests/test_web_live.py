"""The stream in Chromium against the real stack: a like by bob moves the count on alice's
screen through the server-sent events stream, with no poll in between."""

from __future__ import annotations

import re
import secrets
from urllib.parse import quote

import pytest

from .browser import launch, require_browser
from .harness import api_ok
from .test_web_design import signed_in, url

pytestmark = pytest.mark.asyncio(loop_scope="session")
UNREAD_1 = re.compile(r"Notifications\W*1 unread")


async def test_a_like_arrives_on_the_author_s_screen_through_the_stream(stack):
    require_browser()
    from playwright.async_api import async_playwright

    alice, bob = await stack.register("alice"), await stack.register("bob")
    marker = f"live-{secrets.token_hex(4)}"
    post = await api_ok(stack, "POST", "/posts", alice, json={"text": marker})
    async with async_playwright() as playwright:
        browser = await launch(playwright)
        try:
            async with signed_in(browser, stack, alice) as page:
                polls = []
                page.on("request", lambda r: polls.append(r.url) if "/api/social/feed" in r.url
                        else None)
                async with page.expect_response("**/api/social/events/watch") as watched:
                    await page.goto(url(stack))
                    await page.wait_for_selector("body[data-live=on]")
                assert (await watched.value).ok
                like = page.locator("article.post", has_text=marker).locator(
                    "button[aria-pressed]")
                assert "1" not in await like.inner_text()
                await page.evaluate("() => { window.pushedCounts = []; document.addEventListener("
                                    "'social:live-counts', e => window.pushedCounts.push("
                                    "e.detail.post_id)); }")
                polls.clear()
                await api_ok(stack, "POST", f"/posts/{quote(post['id'], safe='')}/like", bob)
                await page.wait_for_function(
                    "el => el.innerText.includes('1')", arg=await like.element_handle(),
                    timeout=15_000)
                # pushed: the stream carried the new count (a safety-net poll may also run)
                assert post["id"] in await page.evaluate("() => window.pushedCounts")
                # the bell, pushed too
                await page.get_by_role("link", name=UNREAD_1).wait_for()
        finally:
            await browser.close()
