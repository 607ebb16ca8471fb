"""Bookmarks in the web app, in headless Chromium against the real stack: Bookmark in a
post's menu, the Bookmarks page (from the navigation on a desktop, from her profile on a
phone), Remove bookmark; light and dark, desktop and phone (axe, screenshots)."""

from __future__ import annotations

import secrets

import pytest

from .browser import PHONE, signed_in
from .harness import api_ok, eventually
from .test_web_design import check_page, open_page

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_bookmark_from_the_menu_and_find_it_on_the_bookmarks_page(browser, stack):
    alice, bob = await stack.register("alice"), await stack.register("bob")
    words = f"A recipe worth keeping {secrets.token_hex(3)}"
    await api_ok(stack, "POST", "/follow", bob, json={"handle": alice.localpart})
    post = await api_ok(stack, "POST", "/posts", alice, json={"text": words})
    async with signed_in(browser, stack, bob) as page:
        await open_page(page, stack, "bookmarks")
        await page.get_by_text("Nothing saved yet").wait_for()
        await check_page(page, "bookmarks-empty", "desktop")
        await open_page(page, stack, "")
        card = page.locator("article.post", has_text=words).first
        await card.get_by_role("button", name="More options").click()
        await page.get_by_role("menuitem", name="Bookmark").click()
        await page.locator(".toast", has_text="Saved to your bookmarks").wait_for()

        async def saved():
            return (await api_ok(stack, "GET", "/bookmarks", bob))["items"]

        assert [p["id"] for p in await eventually(saved, what="bookmark stored")] == [post["id"]]
        assert (await api_ok(stack, "GET", "/bookmarks", alice))["items"] == []
        await page.locator("#nav-list a", has_text="Bookmarks").click()
        await page.wait_for_selector(".section-bookmarks[data-ready]")
        await page.locator(".section-bookmarks article.post", has_text=words).wait_for()
        await check_page(page, "bookmarks", "desktop")
        card = page.locator(".section-bookmarks article.post", has_text=words).first
        await card.get_by_role("button", name="More options").click()
        await page.get_by_role("menuitem", name="Remove bookmark").click()
        await page.locator(".toast", has_text="Removed from your bookmarks").wait_for()
        assert await saved() == []
    await api_ok(stack, "POST", f"/posts/{post['id'].replace('$', '%24')}/bookmark", bob)
    async with signed_in(browser, stack, bob, viewport=PHONE) as page:
        await open_page(page, stack, "profile")
        assert not await page.locator("#nav-list a", has_text="Bookmarks").is_visible()
        await page.get_by_role("link", name="Bookmarks").click()
        await page.wait_for_selector(".section-bookmarks[data-ready]")
        await page.locator(".section-bookmarks article.post", has_text=words).wait_for()
        await check_page(page, "bookmarks", "phone")
