"""The stream in Chromium against the real stack: a like by bob moves the count on alice's
screen through the server-sent events stream, with no poll in between."""

from __future__ import annotations

import re
import secrets
from urllib.parse import quote

import pytest

from .browser import signed_in
from .harness import api_ok
from .test_web_design import url

pytestmark = pytest.mark.asyncio(loop_scope="session")
UNREAD_1 = re.compile(r"Notifications\W*1 unread")
# What the stream pushed, as the page heard it: "post id" and "post id likes" for counts.
LISTEN = """() => {
  window.pushedCounts = []; window.pushedDeleted = [];
  document.addEventListener('social:live-counts', e => window.pushedCounts.push(
    e.detail.post_id, `${e.detail.post_id} ${e.detail.counts.likes}`));
  document.addEventListener('social:live-deleted', e => window.pushedDeleted.push(
    e.detail.post_id));
}"""


async def test_a_like_arrives_on_the_author_s_screen_through_the_stream(stack, browser):
    alice, bob = await stack.register("alice"), await stack.register("bob")
    marker = f"live-{secrets.token_hex(4)}"
    post = await api_ok(stack, "POST", "/posts", alice, json={"text": marker})
    await api_ok(stack, "POST", "/follow", alice, json={"handle": bob.localpart})
    tag = secrets.token_hex(4)
    bobs = [await api_ok(stack, "POST", "/posts", bob, json={"text": f"by-bob-{i}-{tag}"})
            for i in range(2)]
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
        await page.evaluate(LISTEN)
        polls.clear()
        await api_ok(stack, "POST", f"/posts/{quote(post['id'], safe='')}/like", bob)
        await page.wait_for_function(
            "el => el.innerText.includes('1')", arg=await like.element_handle(),
            timeout=15_000)
        # pushed: the stream carried the new count (a safety-net poll may also run)
        assert post["id"] in await page.evaluate("() => window.pushedCounts")
        # the bell, pushed too
        await page.get_by_role("link", name=UNREAD_1).wait_for()

        # A post she writes in the page gets its counts pushed as well, even when
        # the like comes at once (before any periodic watch could have said so).
        written = f"in-page-{secrets.token_hex(4)}"
        await page.get_by_label("What's new?").fill(written)
        await page.get_by_role("button", name="Post", exact=True).click()
        mine = page.locator("li[data-post-id]", has=page.locator(
            "article.post", has_text=written))
        await mine.wait_for()
        new_id = await mine.get_attribute("data-post-id")
        await api_ok(stack, "POST", f"/posts/{quote(new_id, safe='')}/like", bob)
        await page.wait_for_function(
            "id => window.pushedCounts.includes(id)", arg=new_id, timeout=15_000)
        mine_like = await mine.locator("button.like").element_handle()
        await page.wait_for_function("el => el.innerText.includes('1')", arg=mine_like,
                                     timeout=15_000)
        # an unlike is pushed too: the count goes down
        await api_ok(stack, "DELETE", f"/posts/{quote(new_id, safe='')}/like", bob)
        await page.wait_for_function(
            "id => window.pushedCounts.includes(id + ' 0')", arg=new_id, timeout=15_000)
        await page.wait_for_function("el => !el.innerText.includes('1')", arg=mine_like,
                                     timeout=15_000)
        # a post deleted by its author leaves her feed
        gone = page.locator("article.post", has_text=f"by-bob-0-{tag}")
        await gone.wait_for()
        await api_ok(stack, "DELETE", f"/posts/{quote(bobs[0]['id'], safe='')}", bob)
        await gone.wait_for(state="detached", timeout=15_000)
        assert bobs[0]["id"] in await page.evaluate("() => window.pushedDeleted")

        # The post's own page: counts pushed, not asked for every 5 s; a deletion
        # shows there.
        shown = bobs[1]["id"]
        async with page.expect_response("**/api/social/events/watch"):
            await page.goto(url(stack, f"post/{quote(shown, safe='')}"))
            await page.wait_for_selector("body[data-live=on]")
        await page.evaluate(LISTEN)
        asked = []
        page.on("request", lambda r: asked.append(r.url) if r.method == "GET" and
                f"/api/social/posts/{quote(shown, safe='')}" in r.url else None)
        await api_ok(stack, "POST", f"/posts/{quote(shown, safe='')}/like", alice)
        await api_ok(stack, "POST", f"/posts/{quote(shown, safe='')}/comments", bob,
                     json={"text": "first comment"})
        await page.wait_for_function(
            "id => window.pushedCounts.includes(id + ' 1')", arg=shown, timeout=15_000)
        like = page.locator("article.post button.like").first
        await page.wait_for_function("el => el.innerText.includes('1')",
                                     arg=await like.element_handle(), timeout=15_000)
        await page.locator(".comment", has_text="first comment").wait_for()
        assert not [u for u in asked if "/comments" not in u], asked
        await api_ok(stack, "DELETE", f"/posts/{quote(shown, safe='')}", bob)
        await page.get_by_role("heading", name="This post was deleted").wait_for(
            timeout=15_000)
