"""What people write is shown as they wrote it: markup in a post's text is literal text in the
web app, never elements (headless Chromium against the real stack)."""

from __future__ import annotations

import secrets

import pytest

from .browser import PageWatch, screenshot
from .harness import api_ok

pytestmark = pytest.mark.asyncio(loop_scope="session")

MARKUP = ('<b>bold</b> & fish &amp; chips < 3 <img src=x onerror="window.__pwned=1"> '
          '<script>window.__pwned=2</script> <a href="javascript:alert(1)">link</a>')


async def _sign_in(page, base: str, user) -> None:
    await page.goto(f"{base}/social/")
    await page.get_by_label("Username").fill(user.localpart)
    await page.get_by_label("Password").fill(user.password)
    await page.get_by_role("button", name="Sign in").click()


# The innermost elements whose text holds the marker: where the post's text is rendered.
_RENDERED = """marker => {
  const holders = [...document.body.querySelectorAll('*')].filter(el =>
    el.textContent.includes(marker) &&
    ![...el.children].some(child => child.textContent.includes(marker)));
  return holders.map(el => ({
    text: el.textContent,
    elements: [...el.querySelectorAll('*')].map(child => child.tagName.toLowerCase()),
  }));
}"""


async def test_markup_in_a_post_is_shown_as_literal_text(stack, browser):
    alice, bob = await stack.register("alice"), await stack.register("bob")
    await api_ok(stack, "POST", "/follow", bob, json={"handle": alice.localpart})
    marker = f"markup-{secrets.token_hex(4)}"
    text = f"{marker} {MARKUP}"
    post = await api_ok(stack, "POST", "/posts", alice, json={"text": text})
    assert post["text"] == text  # the API keeps it as written, too

    context = await browser.new_context()
    context.set_default_timeout(30_000)
    page = await context.new_page()
    watch = PageWatch(page)
    await _sign_in(page, stack.appservice_url, bob)
    try:
        await page.get_by_text(marker).first.wait_for()
        rendered = await page.evaluate(_RENDERED, marker)
        assert rendered, "the post's text is not on the page"
        for holder in rendered:
            assert holder["text"].strip() == text, holder
            # the text is all text: nothing in it became an element
            assert holder["elements"] == [], holder
        created = await page.evaluate("""() => ({
            pwned: window.__pwned ?? null,
            bold: [...document.querySelectorAll('b')].filter(
                b => b.textContent === 'bold').length,
            images: document.querySelectorAll('img[src="x"]').length,
            js_links: document.querySelectorAll('a[href^="javascript:"]').length,
        })""")
        assert created == {"pwned": None, "bold": 0, "images": 0, "js_links": 0}, \
            created
    except BaseException:
        await screenshot(page, "failure-markup")
        raise
    assert watch.unexpected() == [], watch.unexpected()
