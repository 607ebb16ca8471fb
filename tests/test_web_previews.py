"""Link preview cards in the web app, in headless Chromium against the real stack: the card
(title, site, description, the image from the homeserver's media store) under a post with a
link; light and dark, desktop and phone (axe, screenshots)."""

from __future__ import annotations

import secrets

import pytest

from .browser import PHONE, signed_in
from .harness import api_ok
from .test_link_previews import garden_page
from .test_web_design import check_page, open_page

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_a_post_with_a_link_shows_the_homeservers_preview_card(browser, stack):
    alice = await stack.register("alice")
    title = f"Tomato season {secrets.token_hex(3)}"
    seen: list[tuple[str, str]] = []
    runner, link = await garden_page(title, seen)
    try:
        await api_ok(stack, "POST", "/posts", alice, json={"text": f"Read this {link}"})
        for viewport, width in ((None, "desktop"), (PHONE, "phone")):
            options = {"viewport": viewport} if viewport else {}
            async with signed_in(browser, stack, alice, **options) as page:
                await open_page(page, stack, "")
                card = page.locator("article.post a.link-preview", has_text=title)
                await card.wait_for()
                assert await card.get_attribute("href") == link
                assert "Garden" in await card.inner_text()
                await page.wait_for_function(
                    "() => document.querySelector('.link-preview-image')?.src.startsWith('blob:')")
                await check_page(page, "link-preview", width)
        assert seen and all("Synapse" in agent for _, agent in seen), seen
    finally:
        await runner.cleanup()
