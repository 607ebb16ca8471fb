"""The bell and the Notifications page in Chromium against the real stack: the unread count in
the navigation (desktop column and phone tab bar), grouped items in words, read on opening;
light and dark at both widths, axe, screenshots in test-artifacts/screenshots/."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from .browser import PHONE, signed_in
from .harness import api_ok, eventually
from .test_web_design import check_page, url

pytestmark = pytest.mark.asyncio(loop_scope="session")
UNREAD_1 = re.compile(r"Notifications\W*1 unread")


async def test_the_bell_counts_and_the_page_groups_and_reads(stack, browser):
    alice = await stack.register("alice")
    fans = [await stack.register(name) for name in ("bob", "carol", "dan", "erin")]
    post = await api_ok(stack, "POST", "/posts", alice,
                        json={"text": "Sunrise over the harbour this morning"})
    path = quote(post["id"], safe="")
    for fan in fans:
        await api_ok(stack, "POST", f"/posts/{path}/like", fan)
    await api_ok(stack, "POST", "/follow", fans[1], json={"handle": alice.localpart})
    await api_ok(stack, "POST", f"/posts/{path}/comments", fans[2],
                 json={"text": f"Beautiful! @{alice.localpart} where was this?"})

    async def counted():
        return (await api_ok(stack, "GET", "/notifications/unread_count", alice))["count"] == 3

    await eventually(counted, what="three unread groups")
    async with signed_in(browser, stack, alice) as page:
        await page.goto(url(stack))
        bell = page.get_by_role("link", name=re.compile(r"Notifications\W*3 unread"))
        await bell.wait_for()
        await bell.click()
        await page.wait_for_selector(".section-notifications[data-ready]")
        items = page.locator(".notification")
        assert await items.count() == 3
        texts = [t.strip() for t in await page.locator(".notification-text")
                 .all_inner_texts()]
        assert "Erin" not in texts[0]  # names come from profiles; handles otherwise
        assert any(t.startswith(f"{fans[3].localpart} and 3 others liked your post")
                   for t in texts), texts
        assert any("mentioned you" in t for t in texts), texts
        assert any("followed you" in t for t in texts), texts
        # opened: read, the bell says nothing more
        await page.get_by_role("link", name="Notifications", exact=True).wait_for()
        assert (await api_ok(stack, "GET", "/notifications/unread_count",
                             alice))["count"] == 0
        await check_page(page, "notifications", "desktop")
    async with signed_in(browser, stack, alice, viewport=PHONE) as page:
        await api_ok(stack, "POST", "/follow", fans[0], json={"handle": alice.localpart})
        await page.goto(url(stack))
        await page.get_by_role("link", name=UNREAD_1).wait_for()
        await check_page(page, "notifications-bell", "phone")
        await page.goto(url(stack, "notifications"))
        await page.wait_for_selector(".section-notifications[data-ready]")
        await check_page(page, "notifications", "phone")
