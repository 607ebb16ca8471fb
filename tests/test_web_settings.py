"""Settings in the browser, for external platforms: connected accounts (connect through each
fake platform's login page and back, status in words, sharing with followers, disconnect) and
cross-post defaults, then the composer's target picker with its per-platform preview, and the
per-target delivery status on the author's post. Headless Chromium against the real local
stack; the platforms are the loopback fakes (tests/fakes/platforms/), reached by the real SDKs
and by the browser itself."""

from __future__ import annotations

import time
from urllib.parse import quote

import pytest

from .browser import ARTIFACTS, DESKTOP, PHONE, axe_violations, check_both_widths, screenshot
from .harness import api_ok, eventually
from .platform_steps import connect, connection, db
from .test_web_app import open_settings, person, post_card

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _unique(name: str) -> str:
    return f"{name}{time.time_ns() % 10**7}"


async def _back_from_login(page, name: str, handle: str) -> None:
    """On the service's callback page: connected, accessible, and its link leads to Settings."""
    await page.get_by_role("heading", name="Connected").wait_for()
    await page.get_by_text(f"{name} is connected as @{handle}").wait_for()
    assert await axe_violations(page) == [], f"{name} callback page"
    await page.get_by_role("link", name="Back to your settings in Social").click()
    await page.wait_for_selector(".section-settings[data-ready]")
    assert page.url.endswith("/social/settings#connections")
    # Focus lands on the Connected accounts heading, for keyboard and screen reader users.
    assert await page.evaluate("document.activeElement.id") == "connections-title"


async def _shown_defaults(page) -> dict[str, bool]:
    return await page.evaluate(
        "() => Object.fromEntries([...document.querySelectorAll('.crosspost-form "
        "input[type=checkbox]')].map(e => [e.name, e.checked]))")


async def test_connect_share_defaults_compose_preview_publish_and_disconnect(stack, browser):
    fakes = stack.platforms
    alice = await stack.register("alice")
    x_user = fakes.x.add_user(_unique("xweb"))
    toots = fakes.mastodon.add_account(_unique("mweb"))
    fakes.x.oauth.authorizing_user = x_user
    fakes.mastodon.oauth.authorizing_user = toots
    x_handle = fakes.x.users[x_user].username
    m_handle = fakes.mastodon.accounts[toots].username
    async with person(browser, stack, alice) as a:
        await open_settings(a, stack)
        accounts = a.locator("#connections")
        await accounts.locator(".empty", has_text="No accounts connected yet.").wait_for()
        # Every platform of this server can be connected; cross-post targets not connected
        # cannot be ticked yet, and say why.
        for name in ("X", "Mastodon", "GitHub", "Instagram"):
            await accounts.get_by_role("button", name=f"Connect {name}", exact=True).wait_for()
        x_default = a.locator(".crosspost-form").get_by_label("X", exact=True)
        assert await x_default.is_disabled()
        await a.locator(".crosspost-form .hint", has_text="Not connected: connect X above first.") \
            .wait_for()

        # A wrong Mastodon server: refused in words, nothing left.
        a.watch.expect_failure(400, "/api/social/connections/mastodon$")
        await a.get_by_label("Your Mastodon server").fill("ftp://nowhere")
        await a.get_by_role("button", name="Connect Mastodon").click()
        await a.locator(".connect-form[data-platform=mastodon] .error",
                        has_text="M_INVALID_PARAM").wait_for()

        # Mastodon, with the instance typed in: to the instance's login page and back.
        await a.get_by_label("Your Mastodon server").fill(fakes.mastodon.base_url)
        await a.get_by_role("button", name="Connect Mastodon").click()
        await _back_from_login(a, "Mastodon", m_handle)
        # X: cancelled at X's login page first (the reason in words, a way back), then allowed.
        fakes.x.oauth.deny_next = "access_denied"
        a.watch.expect_failure(400, "/api/social/connections/x/callback$")
        await a.get_by_role("button", name="Connect X", exact=True).click()
        await a.get_by_role("heading", name="Not connected").wait_for()
        await a.get_by_text("the login was cancelled or refused (access_denied)").wait_for()
        await a.get_by_role("link", name="Back to your settings in Social").click()
        await a.wait_for_selector(".section-settings[data-ready]")
        await a.locator(".connection[data-platform=mastodon]").wait_for()
        assert await a.locator(".connection[data-platform=x]").count() == 0
        await a.get_by_role("button", name="Connect X", exact=True).click()
        await _back_from_login(a, "X", x_handle)

        # Listed with account, status and last read; never a token.
        mastodon = a.locator(".connection[data-platform=mastodon]")
        x_item = a.locator(".connection[data-platform=x]")
        await mastodon.locator(".account", has_text=f"@{m_handle}").wait_for()
        await x_item.locator(".account", has_text=f"@{x_handle}").wait_for()
        for item in (mastodon, x_item):
            await item.locator(".connection-status strong", has_text="Working").wait_for()
            assert (await item.locator(".connection-status").inner_text()).split(" · ")[1] \
                in ("Not read yet", "Last read just now")
        listed = await api_ok(stack, "GET", "/connections", alice)
        for shown in listed["connections"]:
            assert not {"token", "access_token", "refresh_token", "cursor"} & set(shown)
        assert "access_token" not in await a.content()
        assert await a.locator(".connect-form[data-platform=mastodon]").count() == 0

        # Sharing with followers: saved, and still on after a reload.
        share = mastodon.get_by_label("Share with my followers")
        assert not await share.is_checked()
        await share.focus()
        await a.keyboard.press("Space")  # by keyboard
        await mastodon.locator(".ok-text", has_text="shared with your followers").wait_for()
        assert (await connection(stack, alice, "mastodon"))["share_with_followers"] is True
        assert (await connection(stack, alice, "x"))["share_with_followers"] is False

        # Instagram through the REST API (its login is the same flow, tested above twice).
        insta = fakes.instagram.add_user(_unique("igweb"))
        fakes.instagram.oauth.authorizing_user = insta
        await connect(stack, alice, "instagram")

        # Cross-post defaults: X and Mastodon, saved, and the same after a reload.
        await a.reload()
        await a.wait_for_selector(".section-settings[data-ready]")
        assert await mastodon.get_by_label("Share with my followers").is_checked()
        assert await _shown_defaults(a) == {"x": False, "mastodon": False, "instagram": False,
                                            "bluesky": False}
        await a.locator(".crosspost-form .hint", has_text="Image posts only").wait_for()
        form = a.locator(".crosspost-form")
        await form.get_by_label("X", exact=True).check()
        await form.get_by_label("Mastodon", exact=True).check()
        await a.get_by_role("button", name="Save cross-post defaults").click()
        await form.locator(".ok-text", has_text="also published on X, Mastodon").wait_for()
        await a.reload()
        await a.wait_for_selector(".section-settings[data-ready]")
        assert await _shown_defaults(a) == {"x": True, "mastodon": True, "instagram": False,
                                            "bluesky": False}
        assert await api_ok(stack, "GET", "/settings/cross_post", alice) == {
            "cross_post_default": ["x", "mastodon"]}

        # Accessible and readable with connections present, on a desktop and at phone width.
        await check_both_widths(a, "settings-connections")

        # The composer offers the connected targets, ticked from the defaults.
        await a.get_by_role("link", name="Home", exact=True).click()
        await a.wait_for_selector(".section-feed[data-ready]")
        await a.get_by_label("What's new?").click()  # the composer opens its tools
        picker = a.get_by_role("group", name="Also publish on")
        await picker.wait_for()
        boxes = {name: picker.get_by_role("checkbox", name=name)
                 for name in ("X", "Mastodon", "Instagram")}
        await boxes["Instagram"].wait_for()
        assert [await b.is_checked() for b in boxes.values()] == [True, True, False]
        assert await picker.get_by_role("checkbox", name="GitHub").count() == 0
        # Your AI's posts are never cross-posted: no picker for them.
        await a.get_by_role("radio", name="Your AI").check()
        assert not await picker.is_visible()
        await a.get_by_role("radio", name="You", exact=True).check()

        # The preview: per target the exact text and its count, or why it is refused.
        text = f"Hello from the browser to everywhere {_unique('#web')}"
        await a.get_by_label("What's new?").fill(text)
        await boxes["Instagram"].check()
        await picker.get_by_role("button", name="Preview on these platforms").click()
        previews = picker.get_by_role("list", name="Preview per platform")
        await previews.wait_for()
        for target, limit in (("x", 280), ("mastodon", 500)):
            item = previews.locator(f"li[data-target={target}]")
            assert await item.locator(".preview-text").inner_text() == text
            assert f"{len(text)} / {limit} characters" in await item.inner_text()
        await previews.locator(
            "li[data-target=instagram].refused",
            has_text="Instagram only publishes posts with an image; this post has none").wait_for()
        assert await axe_violations(a) == [], "composer with a preview"
        await a.set_viewport_size(PHONE)
        width = await a.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the composer scrolls sideways at phone width: {width}"
        await screenshot(a, "compose-cross-post-preview-phone")
        await a.set_viewport_size(DESKTOP)

        # Publish: the post shows where it went, as each delivery settles.
        await a.get_by_role("button", name="Post", exact=True).click()
        card = post_card(a, text)
        statuses = card.get_by_role("list", name="On other platforms")
        await statuses.wait_for()
        await statuses.locator("li[data-target=x][data-status=delivered]",
                               has_text="X: Published").wait_for()
        await statuses.locator("li[data-target=mastodon][data-status=delivered]",
                               has_text="Mastodon: Published").wait_for()
        await statuses.locator(
            "li[data-target=instagram][data-status=refused]",
            has_text="Instagram: Not published: Instagram only publishes posts with an image") \
            .wait_for()
        post_id = await card.get_attribute("data-post-id")
        post = await api_ok(stack, "GET", f"/posts/{quote(post_id, safe='')}", alice)
        urls = {c["target"]: c["url"] for c in post["cross_posts"]}
        assert await statuses.get_by_role("link", name="View on X").get_attribute("href") \
            == urls["x"]
        assert await statuses.get_by_role("link", name="View on Mastodon").get_attribute(
            "href") == urls["mastodon"]
        remote = {c["target"]: c["remote_id"] for c in post["cross_posts"]}
        tweet = fakes.x.tweets[remote["x"]]
        assert (tweet.author_id, tweet.text) == (x_user, text)
        toot = fakes.mastodon.statuses[remote["mastodon"]]
        assert (toot.account_id, toot.text) == (toots, text)
        assert remote["instagram"] is None
        assert await axe_violations(a) == [], "feed with a cross-posted post"
        await screenshot(a, "feed-cross-posted-desktop")

        # A connection that stops working says so in words, and offers to connect again.
        fakes.instagram.revoke_user(insta)
        await db(stack).execute("UPDATE platform_connection SET next_due=0 WHERE user_id=$1",
                                alice.user_id)
        stack.bridge.services.wakeup.wake()

        async def broken() -> bool:
            return (await connection(stack, alice, "instagram"))["status"] == "broken"

        await eventually(broken, what="Instagram marked broken")
        await open_settings(a, stack)
        instagram = a.locator(".connection[data-platform=instagram]")
        await instagram.locator(".connection-status", has_text="Not working: ").wait_for()
        await instagram.get_by_role("button", name="Connect again").wait_for()
        await a.locator(".crosspost-form .hint",
                        has_text="but not working: connect it again above").wait_for()
        assert await axe_violations(a) == [], "settings with a broken connection"
        await instagram.screenshot(path=str(ARTIFACTS / "settings-connection-broken.png"))

        # Disconnect (after a confirmation): gone from the list and from the API, and it can be
        # connected again.
        await mastodon.get_by_role("button", name="Disconnect", exact=True).click()
        await mastodon.get_by_role("button", name="Disconnect Mastodon").click()
        await a.locator("#connections .list-status", has_text="Mastodon is disconnected.") \
            .wait_for()
        assert await mastodon.count() == 0
        assert await connection(stack, alice, "mastodon") is None
        await a.get_by_role("button", name="Connect Mastodon").wait_for()
        await a.locator(".crosspost-form .hint",
                        has_text="Not connected: connect Mastodon above first.").wait_for()
