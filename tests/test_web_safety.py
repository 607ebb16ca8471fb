"""Block, mute, report and a commented content warning from the web app (headless Chromium
against the real stack), with axe checks and screenshots of the new menu, dialog and Settings
part, light and dark, desktop and phone."""

from __future__ import annotations

import secrets

import pytest

from .browser import check_both_widths
from .harness import api_ok, eventually
from .test_web_app import go, person, post_card

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_report_mute_block_and_settings_from_the_app(stack, browser):
    alice = await stack.register("alice")
    bob = await stack.register("bob")
    carol = await stack.register("carol")
    tag = secrets.token_hex(3)
    for who in (bob, carol):
        await api_ok(stack, "POST", "/follow", alice, json={"handle": who.localpart})
    rude = await api_ok(stack, "POST", "/posts", bob, json={"text": f"rude words {tag}"})
    await api_ok(stack, "POST", "/posts", carol, json={"text": f"carol says hi {tag}"})
    for scheme in ("dark", "light"):  # dark first: the light pass blocks him
        async with person(browser, stack, alice, color_scheme=scheme) as a:
            card = post_card(a, f"rude words {tag}")
            await card.wait_for()
            if scheme == "dark":
                await card.get_by_role("button", name="More options").click()
                await a.get_by_role("menuitem", name=f"Block @{bob.localpart}").wait_for()
                await check_both_widths(a, "safety-post-menu-dark")
                await a.keyboard.press("Escape")
                await go(a, stack, "settings", ".section-settings[data-ready]")
                await a.locator("#safety").scroll_into_view_if_needed()
                await check_both_widths(a, "safety-settings-dark")
                continue
            # A comment with a content warning from the thread's box.
            mine = post_card(a, f"carol says hi {tag}")
            await mine.get_by_role("button", name="Comment (0 comments)").click()
            await mine.get_by_role("button", name="Add a content warning").click()
            await mine.get_by_label("Content warning for this comment").fill("Spoilers")
            await mine.get_by_label("Write a comment").fill("the ending was sad")
            await mine.get_by_role("button", name="Comment", exact=True).click()
            gate = mine.locator(".comment .cw-gate", has_text="Spoilers")
            await gate.wait_for()
            assert not await mine.get_by_text("the ending was sad").is_visible()

            # Report the post: a dialog with a category and a reason.
            await card.get_by_role("button", name="More options").click()
            await a.get_by_role("menuitem", name="Report post").click()
            dialog = a.get_by_role("dialog", name="Report post")
            await dialog.get_by_label("Category").select_option("harassment")
            await dialog.get_by_label("What is wrong?").fill("insults")
            await check_both_widths(a, "safety-report-dialog-light")
            await dialog.get_by_role("button", name="Send report").click()
            await dialog.wait_for(state="detached")

            # Mute: his post leaves the feed at once.
            await card.get_by_role("button", name="More options").click()
            await a.get_by_role("menuitem", name=f"Mute @{bob.localpart}").click()
            await card.wait_for(state="detached")

            # Settings: unmute, then block from his profile's menu, then see it listed.
            await go(a, stack, "settings", ".section-settings[data-ready]")
            section = a.locator("#safety")
            await section.get_by_role("button", name=f"Unmute {bob.user_id}").click()
            await section.get_by_text("You have not muted anyone.").wait_for()
            await section.get_by_label("Word or phrase").fill("Rude")
            await section.get_by_role("button", name="Mute word").click()
            await section.get_by_role("button", name="Unmute the word rude").wait_for()
            await go(a, stack, f"profile/{bob.localpart}", ".section-profile[data-ready]")
            await a.get_by_role("button", name=f"More options for @{bob.localpart}").click()
            await a.get_by_role("menuitem", name=f"Block @{bob.localpart}").click()
            await a.get_by_role("dialog").get_by_role("button", name="Block").click()
            # a block takes a while (the ban, the ignore list, redactions): leaving the page
            # before it answers would cancel it
            await a.locator(".toast", has_text=f"Blocked @{bob.localpart}").wait_for()
            await go(a, stack, "settings", ".section-settings[data-ready]")
            await section.get_by_role("button", name=f"Unblock {bob.user_id}").wait_for()
            await section.scroll_into_view_if_needed()
            await check_both_widths(a, "safety-settings-light")

    reports = await stack.bridge.services.moderation.reports("open", None, 100)
    assert [(r["event_id"], r["category"], r["reason"]) for r in reports["items"]
            if r["reporter"] == alice.user_id] == [(rude["id"], "harassment", "insults")]
    blocks = await api_ok(stack, "GET", "/blocks", alice)
    assert bob.user_id in [b["user_id"] for b in blocks["items"]]
    words = await api_ok(stack, "GET", "/muted_words", alice)
    assert [w["word"] for w in words["items"]] == ["rude"]

    async def comment_with_warning() -> bool:
        feed = await api_ok(stack, "GET", "/feed", alice)
        post = next(p for p in feed["items"] if p["text"] == f"carol says hi {tag}")
        comments = await api_ok(stack, "GET", f"/posts/{post['id']}/comments".replace(
            "$", "%24"), alice)
        return [(c["text"], c.get("cw")) for c in comments["items"]] == [
            ("the ending was sad", "Spoilers")]

    await eventually(comment_with_warning, what="the comment with its warning")
