"""The Moderation section of the web app (issue 24), in headless Chromium against the real
stack: a homeserver admin works the queue (a reported post quoted, the reporter, the category,
the reason, what the homeserver said), takes the post down after a required reason, and it is
gone from the feed and redacted for a plain Matrix client; the log says who and why. Somebody
who is not an admin never sees the entry, and the API refuses her. Each view (queue, dialog,
log, empty, loading, error) light and dark at desktop and phone width, axe-checked, with a
screenshot in test-artifacts/screenshots/moderation-*."""

from __future__ import annotations

import asyncio
import json
import re
import secrets
from urllib.parse import quote

import pytest

from .browser import DESKTOP, PHONE, signed_in
from .harness import api, api_ok, eventually, room_texts
from .test_web_design import check_page, held_until, open_page

pytestmark = pytest.mark.asyncio(loop_scope="session")
READY = ".section-moderation[data-ready]"
NAV = '#nav-list [data-section="moderation"]'


def _card(page, text: str):
    return page.locator("article.mod-report", has_text=text).first


async def _setup(stack):
    alice, mallory, admin = (await stack.register("alice"), await stack.register("mallory"),
                             await stack.register("admin", admin=True))
    await api_ok(stack, "PATCH", "/profile", mallory, json={"display_name": "Mal Ory"})
    tag = secrets.token_hex(3)
    await api_ok(stack, "POST", "/follow", alice, json={"handle": mallory.localpart})
    bad = await api_ok(stack, "POST", "/posts", mallory,
                       json={"text": f"Cheap pills, click now {tag}"})
    await api_ok(stack, "POST", "/reports", alice, expect=201, json={
        "event_id": bad["id"], "category": "spam", "reason": f"pill spam again {tag}"})
    await api_ok(stack, "POST", "/reports", alice, expect=201, json={
        "user_id": mallory.user_id, "category": "harassment",
        "reason": f"keeps sending me insults {tag}"})
    return alice, mallory, admin, bad, tag


async def test_an_admin_takes_down_a_reported_post_and_others_never_see_moderation(
        stack, browser):
    alice, mallory, admin, bad, tag = await _setup(stack)

    for width, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        async with signed_in(browser, stack, admin, viewport) as page:
            await open_page(page, stack, "", ".section-feed[data-ready]")
            await page.locator(NAV).wait_for()  # shown once the service said she is an admin
            await page.locator(NAV).click()
            await page.wait_for_selector(READY)
            post_card = _card(page, f"pill spam again {tag}")
            await post_card.get_by_text(f"Cheap pills, click now {tag}").wait_for()
            assert await post_card.get_by_text("Event report to the homeserver: received") \
                .count() == 1
            assert await post_card.get_by_role("link", name=alice.localpart).count() == 1
            await post_card.scroll_into_view_if_needed()
            await check_page(page, "moderation-queue", width)

            await post_card.get_by_role("button", name="Take down").click()
            dialog = page.get_by_role("dialog", name="Take down this post?")
            await dialog.get_by_label("Reason").wait_for()
            await check_page(page, "moderation-dialog", width)
            if width == "desktop":
                await dialog.get_by_role("button", name="Cancel").click()
                await dialog.wait_for(state="detached")
            else:
                # A reason is required: nothing is sent without one.
                await dialog.get_by_role("button", name="Take down").click()
                await dialog.get_by_text("Say why").wait_for()
                await dialog.get_by_label("Reason").fill("Pill spam, reported before")
                await dialog.get_by_role("button", name="Take down").click()
                await dialog.wait_for(state="detached")
                await post_card.get_by_text("Taken down by a moderator").wait_for()
                await post_card.locator(".mod-pill.status", has_text="Resolved").wait_for()
                await post_card.get_by_text("Pill spam, reported before").wait_for()
                assert await post_card.get_by_role("button", name="Take down").count() == 0
                await check_page(page, "moderation-taken-down", width)

            # Suspending from the person's report: the dialog names them.
            user_card = _card(page, f"keeps sending me insults {tag}")
            await user_card.get_by_role("button", name=f"Suspend @{mallory.localpart}").click()
            dialog = page.get_by_role("dialog", name="Suspend Mal Ory?")
            await dialog.wait_for()
            await page.keyboard.press("Escape")
            await dialog.wait_for(state="detached")

            # The log, the empty queue, loading and an error, each in words.
            await page.get_by_role("link", name="Log").click()
            await page.wait_for_selector(f"{READY} .mod-log, {READY} .mod-empty")
            await check_page(page, "moderation-log", width)

            empty = re.compile(r"/api/social/moderation/reports\?")

            async def nothing(route):
                await route.fulfill(status=200, content_type="application/json",
                                    body=json.dumps({"items": [], "next_cursor": None}))

            await page.route(empty, nothing)
            await open_page(page, stack, "moderation", READY)
            await page.get_by_text("All caught up").wait_for()
            await check_page(page, "moderation-empty", width)
            await page.unroute(empty)

            release = asyncio.Event()
            await page.route(empty, held_until(release))
            await page.goto(f"{stack.appservice_url}/social/moderation")
            await page.locator(".section-moderation .skeleton-row").first.wait_for()
            await check_page(page, "moderation-loading", width)
            release.set()
            await page.wait_for_selector(READY)
            await page.unroute(empty)

            async def fail(route):
                await route.fulfill(status=500, content_type="application/json",
                                    body='{"errcode": "M_UNKNOWN", "error": "Database down"}')

            page.watch.expect_failure(500, r"/api/social/moderation/reports$")
            await page.route(empty, fail)
            await open_page(page, stack, "moderation", READY)
            await page.get_by_text("Database down").wait_for()
            await check_page(page, "moderation-error", width)
            await page.unroute(empty)

    # Done once (on the phone): gone from her feed, redacted for a plain client, logged.
    feed = await api_ok(stack, "GET", "/feed?limit=50", alice)
    assert bad["id"] not in [p["id"] for p in feed["items"]]
    client = stack.nio(alice)

    async def redacted() -> bool:
        events = {e["event_id"]: e for e in await room_texts(client, bad["room_id"])}
        return not events.get(bad["id"], {"content": 1})["content"]

    await eventually(redacted, timeout=30, what="the takedown redacted")
    log = await api_ok(stack, "GET", "/moderation/actions", admin)
    assert (admin.user_id, "takedown", bad["id"], "Pill spam, reported before") in [
        (a["actor"], a["action"], a["target"], a["reason"]) for a in log["items"]]

    # Somebody who is not an admin: no entry, a note instead of the queue, 403 from the API.
    async with signed_in(browser, stack, alice) as page:
        async with page.expect_response(re.compile(r"/api/social/moderation/me$")) as asked:
            await open_page(page, stack, "", ".section-feed[data-ready]")
        assert (await (await asked.value).json())["is_admin"] is False
        await page.wait_for_timeout(300)
        assert await page.locator(NAV).is_hidden()
        assert await page.get_by_role("link", name="Moderation").count() == 0
        assert await page.get_by_text(f"Cheap pills, click now {tag}").count() == 0
        await open_page(page, stack, "moderation", READY)
        await page.get_by_text("For this server's admins").wait_for()
        await check_page(page, "moderation-not-admin", "desktop")
        assert await page.locator(".mod-report").count() == 0
    for path in ("/moderation/reports", f"/moderation/reports?status=open&x={quote(tag)}"):
        status, answer = await api(stack, "GET", path, alice)
        assert (status, answer["errcode"]) == (403, "M_FORBIDDEN")


async def test_an_admin_suspends_a_user_of_another_server_and_lifts_it(stack, remote, browser):
    """Remote users are suspended like ours: from a report on one (the button names his full
    Matrix ID, the dialog says he is on another server), or by Matrix ID from the Suspended
    view, which lists every suspension (this server's and others') to lift, each with who and
    why; a malformed ID is refused in words before anything is sent."""
    alice, admin = await stack.register("alice"), await stack.register("admin", admin=True)
    far = await remote.register("far")
    tag = secrets.token_hex(3)
    await api_ok(stack, "POST", "/reports", alice, expect=201, json={
        "user_id": far.user_id, "category": "spam", "reason": f"spams from afar {tag}"})
    ghost = f"@ghost{tag}:elsewhere.example"

    async with signed_in(browser, stack, admin, DESKTOP) as page:
        await open_page(page, stack, "moderation", READY)
        user_card = _card(page, f"spams from afar {tag}")
        await user_card.get_by_role("button", name=f"Suspend {far.user_id}").click()
        dialog = page.get_by_role("dialog", name=re.compile(r"^Suspend .*\?$"))
        await dialog.get_by_text("They are on another server").wait_for()
        await dialog.get_by_label("Reason").fill(f"Spam wave from afar {tag}")
        await dialog.get_by_role("button", name="Suspend").click()
        await dialog.wait_for(state="detached")
        await user_card.locator(".mod-pill.suspended").wait_for()
        await user_card.get_by_role("button", name="Lift suspension").wait_for()

        await page.get_by_role("link", name="Suspended").click()
        await page.wait_for_selector(f"{READY} .mod-suspensions")
        row = page.locator(".mod-suspension", has_text=f"Spam wave from afar {tag}")
        await row.get_by_text("Another server").wait_for()
        await row.get_by_text(admin.user_id).wait_for()

        # By Matrix ID: a malformed one is refused in words, a good one asks why first.
        form = page.get_by_role("form", name="Suspend an account")
        await form.get_by_label("Suspend an account").fill("ghost")
        await form.get_by_role("button", name="Suspend…").click()
        await form.get_by_text("A Matrix ID looks like").wait_for()
        await form.get_by_label("Suspend an account").fill(ghost)
        await form.get_by_role("button", name="Suspend…").click()
        dialog = page.get_by_role("dialog", name=f"Suspend {ghost}?")
        await dialog.get_by_label("Reason").fill(f"Same wave {tag}")
        await dialog.get_by_role("button", name="Suspend").click()
        await dialog.wait_for(state="detached")
        await page.locator(".mod-suspension", has_text=f"Same wave {tag}").wait_for()
        await check_page(page, "moderation-suspended", "desktop")

        await row.get_by_role("button", name="Lift suspension").click()
        dialog = page.get_by_role("dialog", name=re.compile(r"^Lift the suspension of "))
        await dialog.get_by_label("Reason").fill("appeal granted")
        await dialog.get_by_role("button", name="Lift suspension").click()
        await dialog.wait_for(state="detached")
        await row.wait_for(state="detached")

    async with signed_in(browser, stack, admin, PHONE) as page:
        await open_page(page, stack, "moderation?status=suspended",
                        f"{READY} .mod-suspensions")
        await check_page(page, "moderation-suspended", "phone")

    listed = await api_ok(stack, "GET", "/moderation/suspensions", admin)
    ids = [s["user"]["user_id"] for s in listed["items"]]
    assert ghost in ids and far.user_id not in ids
    log = await api_ok(stack, "GET", "/moderation/actions", admin)
    mine = [(a["action"], a["target"], a["reason"]) for a in log["items"]
            if a["actor"] == admin.user_id]
    assert mine[:3] == [("unsuspend", far.user_id, "appeal granted"),
                        ("suspend", ghost, f"Same wave {tag}"),
                        ("suspend", far.user_id, f"Spam wave from afar {tag}")]
