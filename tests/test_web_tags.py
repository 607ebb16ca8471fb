"""Hashtags in the web app, in headless Chromium against the real stack: a tag in a post is a
link to the tag's page, the page lists the tag's posts, the right column shows trending tags
and search finds tags; light and dark, desktop and phone (axe, screenshots)."""

from __future__ import annotations

import secrets

import pytest

from .browser import PHONE, signed_in
from .harness import api_ok
from .test_web_design import check_page, open_page

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_a_tag_is_a_link_to_its_page_and_trends_in_the_right_column(browser, stack):
    alice, bob = await stack.register("alice"), await stack.register("bob")
    tag = f"Garden{secrets.token_hex(2)}"
    await api_ok(stack, "POST", "/follow", bob, json={"handle": alice.localpart})
    await api_ok(stack, "POST", "/posts", alice, json={
        "text": f"Tomatoes are in! #{tag} <b>not bold</b> https://x.example/#{tag}x"})
    await api_ok(stack, "POST", "/posts", bob, json={"text": f"Mine too #{tag.upper()}"})
    await stack.bridge.services.trending.refresh()  # trending tags are a kept ranking
    async with signed_in(browser, stack, bob) as page:
        await open_page(page, stack, "")
        link = page.locator("article.post a.hashtag", has_text=f"#{tag}").first
        assert await link.get_attribute("href") == f"/social/tag/{tag.lower()}"
        # the URL's fragment stays inside the URL's own link
        assert await page.locator(f"a.hashtag:text-is('#{tag}x')").count() == 0
        side = page.locator("#right-col .trend-link", has_text=f"#{tag.lower()}")
        await side.wait_for()
        assert "2 people today" in await side.inner_text()
        await link.click()
        await page.wait_for_url(f"**/social/tag/{tag.lower()}")
        await page.wait_for_selector(".section-tag[data-ready]")
        assert await page.locator("h1").inner_text() == f"#{tag.lower()}"
        assert await page.locator(".section-tag article.post").count() == 2
        await check_page(page, "tag-page", "desktop")
        await open_page(page, stack, f"explore?q=%23{tag[:7]}")
        await page.locator("#search-results .tag-results a", has_text=f"#{tag.lower()}") \
            .wait_for()
        await check_page(page, "tag-search", "desktop")
    async with signed_in(browser, stack, bob, viewport=PHONE) as page:
        await open_page(page, stack, f"tag/{tag.lower()}")
        assert await page.locator(".section-tag article.post").count() == 2
        await check_page(page, "tag-page", "phone")
        page.watch.expect_failure(400, r"/api/social/tags/\.\.%2Fetc")
        await open_page(page, stack, "tag/..%2Fetc")
        await page.get_by_text("This is not a hashtag").wait_for()
