"""The first minutes (issue 26), in headless Chromium against the real stack: signing up
through Matrix's registration (user-interactive auth: the terms of service shown and accepted),
the welcome steps after it (a picture and a bio, interests, people and their AIs to follow, so
the first Home is not empty; shown once), and a homeserver that takes no sign-ups (the `remote`
stack keeps Synapse's default): "ask your server admin"."""

from __future__ import annotations

import json
import secrets
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from aiohttp import web

from matrix_social.devstack.ports import reserve_port

from .browser import (
    DESKTOP,
    PageWatch,
    every_look,
    screenshot,
    signed_out,
)
from .conftest import running
from .harness import Stack, api_ok, eventually
from .web_seed import portrait

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture(scope="module")
async def siteverify():
    """A fake of Google's reCAPTCHA siteverify: the answer "human" passes, any other fails;
    what Synapse asked is kept (`.asked`)."""
    asked: list[dict] = []

    async def verify(request: web.Request) -> web.Response:
        form = dict(await request.post())
        asked.append(form)
        return web.json_response({"success": form.get("response") == "human",
                                  "hostname": "localhost"})

    app = web.Application()
    app.router.add_post("/siteverify", verify)
    runner = web.AppRunner(app)
    await runner.setup()
    port = reserve_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield SimpleNamespace(url=f"http://127.0.0.1:{port}/siteverify", asked=asked)
    finally:
        await runner.cleanup()


@pytest.fixture(scope="module")
async def captcha_stack(tmp_path_factory, siteverify):
    """A homeserver whose sign-ups pass a reCAPTCHA (m.login.recaptcha), checked against the
    fake siteverify; its own matrix-social, on SQLite."""
    async with running(Stack(tmp_path_factory.mktemp("captcha-stack"), "sqlite",
                             captcha_siteverify_api=siteverify.url)) as stack:
        yield stack


@pytest.fixture(scope="module")
async def token_stack(tmp_path_factory):
    """A homeserver that takes sign-ups only with a registration token (Synapse's
    `registration_requires_token: true`), with its own matrix-social, on SQLite."""
    async with running(Stack(tmp_path_factory.mktemp("token-stack"), "sqlite",
                             registration_requires_token=True)) as stack:
        yield stack


async def a_person_with_an_ai(stack: Stack, interest: str):
    """Somebody sharing `interest`, with a post and an AI that has a feed."""
    user = await stack.register("kite")
    await api_ok(stack, "PATCH", "/profile", user, json={
        "display_name": "Kit Surfer", "bio": "On the water most days.", "interests": [interest]})
    await api_ok(stack, "POST", "/posts", user, json={"text": f"Wind at 20 knots today {interest}"})
    ai_handle = f"{user.localpart}_ai"
    await api_ok(stack, "GET", f"/profile/{ai_handle}", user)
    return user, stack.mxid(ai_handle)


async def test_sign_up_with_the_terms_then_welcome_steps_fill_the_first_home(
        stack: Stack, browser, tmp_path):
    interest = f"kite{secrets.token_hex(3)}"
    kit, kit_ai = await a_person_with_an_ai(stack, interest)
    context = await browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(20_000)
    page = await context.new_page()
    page.watch = PageWatch(page)
    # The first POST /register (no auth yet) answers 401 with the stages: that is the protocol.
    page.watch.expect_failure(401, r"/_matrix/client/v3/register$")
    page.watch.expect_failure(404, r"/account_data/m\.matrix_os\.onboarding$")
    registers: list[dict] = []
    page.on("request", lambda r: registers.append(json.loads(r.post_data or "{}"))
            if r.url.endswith("/_matrix/client/v3/register") and r.method == "POST" else None)
    try:
        await page.goto(f"{stack.appservice_url}/social/")
        await page.get_by_role("link", name="Create an account").click()
        await page.wait_for_selector("form.sign-in-form[aria-labelledby=sign-up-title]")
        assert page.url.endswith("/social/signup")
        terms = page.get_by_role("link", name="Terms of service")
        assert "/_matrix/consent" in await terms.get_attribute("href")
        await every_look(page, "signup")

        localpart = f"newcomer{secrets.token_hex(3)}"
        await page.get_by_label("Username").fill(localpart)
        await page.get_by_label("Password", exact=True).fill("a long enough password")
        await page.get_by_label("Password again").fill("a long enough password")
        await page.get_by_role("button", name="Create account").click()
        # Not accepted yet: the browser refuses the form; no account is asked for.
        assert await page.evaluate(
            "document.querySelector('[name=accept-terms]').validity.valueMissing")
        assert not any("username" in body for body in registers)
        await page.get_by_label("I have read and accept the Terms of service").check()
        await page.get_by_role("button", name="Create account").click()
        await page.wait_for_selector(".section-welcome [data-ready], .section-welcome[data-ready]")
        assert page.url.endswith("/social/welcome")
        stages = [body["auth"].get("type") for body in registers if body.get("auth")]
        assert "m.login.terms" in stages, stages

        session = json.loads(await page.evaluate("localStorage.getItem('matrix-social.session')"))
        user_id = stack.mxid(localpart)
        assert session["userId"] == user_id
        admin = await stack.synapse.register_user(f"admin{secrets.token_hex(3)}", "pw", admin=True)
        status, details = await stack.request(
            "GET", f"{stack.synapse.url}/_synapse/admin/v2/users/{quote(user_id)}",
            token=admin["access_token"])
        assert status == 200 and details["consent_version"] == "1.0", details

        # Step 1: a picture and a bio.
        await every_look(page, "welcome-profile")
        picture = tmp_path / "me.png"
        picture.write_bytes(portrait(7))
        await page.set_input_files("#welcome-picture", str(picture))
        await page.get_by_label("Bio").fill("New here. Kites and tea.")
        await page.get_by_role("button", name="Next").click()
        # Step 2: interests, the ones people name (kit's among them).
        await page.wait_for_selector("#welcome-interests")
        await page.locator("label.chip", has_text=interest).click()
        await every_look(page, "welcome-interests")
        await page.get_by_role("button", name="Next").click()
        # Step 3: kit is suggested for the shared interest, and his AI with him.
        await page.wait_for_selector("#welcome-follow")
        await page.get_by_role("button", name="Follow Kit Surfer", exact=True).click()
        await page.get_by_role("button", name="Follow Kit Surfer's AI", exact=True).click()
        await page.wait_for_selector(".welcome-ai .follow-button[aria-pressed=true]")
        await every_look(page, "welcome-follow")
        await page.get_by_role("button", name="Done: show my Home").click()
        await page.wait_for_selector(".section-feed[data-ready]")
        await page.locator("article.post", has_text=f"Wind at 20 knots today {interest}").wait_for()

        token = session["accessToken"]
        profile = await api_ok(stack, "GET", f"/profile/{localpart}", kit)
        assert profile["bio"] == "New here. Kites and tea." and profile["interests"] == [interest]
        assert profile["avatar_url"].startswith("mxc://")
        following = await eventually(lambda: _following(stack, localpart, kit),
                                     what="the newcomer follows kit and his AI")
        assert {kit.user_id, kit_ai} <= following
        status, done = await stack.request(
            "GET", f"{stack.synapse.url}/_matrix/client/v3/user/{quote(user_id)}"
                   "/account_data/m.matrix_os.onboarding", token=token)
        assert status == 200 and done["done"] is True
        # Shown once: the welcome page now sends her Home.
        await page.goto(f"{stack.appservice_url}/social/welcome")
        await page.wait_for_selector(".section-feed[data-ready]")
        assert page.url.rstrip("/").endswith("/social")
        assert page.watch.unexpected() == [], page.watch.unexpected()
    except BaseException:
        await screenshot(page, "failure-signup")
        raise
    finally:
        await context.close()


async def _following(stack: Stack, localpart: str, viewer) -> set[str]:
    page = await api_ok(stack, "GET", f"/following/{localpart}", viewer)
    return {p["user_id"] for p in page["items"]}


async def test_a_homeserver_without_sign_ups_says_ask_your_server_admin(remote: Stack, browser):
    async with signed_out(browser, "failure-signup-closed") as page:
        page.watch.expect_failure(403, r"/_matrix/client/v3/register$")
        await page.goto(f"{remote.appservice_url}/social/signup")
        note = page.get_by_role("alert")
        await note.wait_for()
        assert "Ask your server admin" in await note.inner_text()
        assert await page.locator("input[name=password]").count() == 0
        await every_look(page, "signup-closed")
        await page.get_by_role("button", name="Back to sign in").click()
        await page.get_by_role("heading", name="Sign in to Social").wait_for()


async def _sign_in_with_the_form(page, stack: Stack, user) -> None:
    await page.goto(f"{stack.appservice_url}/social/")
    await page.get_by_label("Username").fill(user.localpart)
    await page.get_by_label("Password").fill(user.password)
    await page.get_by_role("button", name="Sign in").click()


async def test_the_first_sign_in_of_an_account_made_elsewhere_starts_with_the_welcome_steps(
        stack: Stack, browser):
    """An account made in Element (or by an admin) signing in here for the first time gets the
    welcome steps, as after a sign-up here; once skipped, never again; an account that already
    has something here (a post) goes Home."""
    newcomer, regular = await stack.register("elsewhere"), await stack.register("regular")
    await api_ok(stack, "POST", "/posts", regular, json={"text": "Back again"})
    async with signed_out(browser, "failure-first-sign-in", timeout_ms=30_000) as page:
        # Asked at her first sign-in and by the welcome page: none yet.
        page.watch.expect_failure(404, r"/account_data/m\.matrix_os\.onboarding$")
        await _sign_in_with_the_form(page, stack, newcomer)
        await page.wait_for_selector("#welcome-profile")
        assert page.url.endswith("/social/welcome")
        await page.get_by_role("button", name="Skip for now").click()
        await page.wait_for_selector(".section-feed[data-ready]")
        await page.evaluate("localStorage.clear()")  # signed out: the next sign-in is new
        await _sign_in_with_the_form(page, stack, newcomer)
        await page.wait_for_selector(".section-feed[data-ready]")
        assert not page.url.endswith("/welcome")
        await page.evaluate("localStorage.clear()")
        await _sign_in_with_the_form(page, stack, regular)
        await page.wait_for_selector(".section-feed[data-ready]")
        assert not page.url.endswith("/welcome")


async def test_sign_up_with_an_invite_token_a_wrong_one_is_refused_in_words(
        token_stack: Stack, browser):
    """Issue 26: a homeserver that requires `m.login.registration_token`. The form asks for the
    invite token; a wrong one is refused in words before anything else is sent (the token's
    validity is asked first), and again by the registration itself where the homeserver cannot
    say beforehand; the token the admin made signs her up."""
    stack = token_stack
    admin = await stack.synapse.register_user(f"admin{secrets.token_hex(3)}", "pw", admin=True)
    status, made = await stack.request(
        "POST", f"{stack.synapse.url}/_synapse/admin/v1/registration_tokens/new",
        json={"uses_allowed": 1}, token=admin["access_token"])
    assert status == 200, made
    good = made["token"]
    registers: list[dict] = []
    async with signed_out(browser, "failure-signup-token") as page:
        page.watch.expect_failure(401, r"/_matrix/client/v3/register$")
        page.watch.expect_failure(404, r"/account_data/m\.matrix_os\.onboarding$")
        page.on("request", lambda r: registers.append(json.loads(r.post_data or "{}"))
                if r.url.endswith("/_matrix/client/v3/register") and r.method == "POST"
                else None)
        await page.goto(f"{stack.appservice_url}/social/signup")
        await page.wait_for_selector("form.sign-in-form[aria-labelledby=sign-up-title]")
        token_field = page.get_by_label("Invite token")
        await token_field.wait_for()
        assert await page.locator("[name=accept-terms]").count() == 0  # no terms here
        localpart = f"invited{secrets.token_hex(3)}"
        await page.get_by_label("Username").fill(localpart)
        await page.get_by_label("Password", exact=True).fill("a long enough password")
        await page.get_by_label("Password again").fill("a long enough password")
        await every_look(page, "signup-token")

        # A wrong token: refused in words, the field focused; no account was asked for.
        await token_field.fill("not-the-token")
        await page.get_by_role("button", name="Create account").click()
        alert = page.get_by_role("alert")
        await alert.filter(has_text="invite token is not valid").wait_for()
        assert await page.evaluate("document.activeElement.name") == "registration-token"
        assert await token_field.get_attribute("aria-invalid") == "true"
        assert await alert.is_visible()
        box = await alert.bounding_box()
        button = await page.get_by_role("button", name="Create account").bounding_box()
        assert box["y"] + box["height"] <= button["y"], (box, button)  # said above the button
        assert not any("username" in body for body in registers), registers
        await every_look(page, "signup-token-wrong")

        # A homeserver that cannot say beforehand (no validity endpoint): the registration
        # itself refuses the token, in the same words.
        async def no_validity(route):
            await route.fulfill(status=404, content_type="application/json",
                                body='{"errcode": "M_UNRECOGNIZED", "error": "Unrecognized"}')
        page.watch.expect_failure(404, r"registration_token/validity$")
        await page.route("**/register/m.login.registration_token/validity*", no_validity)
        await page.get_by_role("button", name="Create account").click()
        await alert.filter(has_text="invite token is not valid").wait_for()
        tokens = [body["auth"]["token"] for body in registers
                  if body.get("auth", {}).get("type") == "m.login.registration_token"]
        assert tokens == ["not-the-token"], registers
        await page.unroute("**/register/m.login.registration_token/validity*")

        # The admin's token signs her up.
        await token_field.fill(good)
        await page.get_by_role("button", name="Create account").click()
        await page.wait_for_selector("#welcome-profile")
        session = json.loads(await page.evaluate(
            "localStorage.getItem('matrix-social.session')"))
        assert session["userId"] == stack.mxid(localpart)
        assert good in [body.get("auth", {}).get("token") for body in registers]
    status, listed = await stack.request(
        "GET", f"{stack.synapse.url}/_synapse/admin/v1/registration_tokens",
        token=admin["access_token"])
    assert status == 200 and [t["completed"] for t in listed["registration_tokens"]
                              if t["token"] == good] == [1], listed


async def test_sign_up_through_the_homeservers_robot_check_and_a_window_closed_too_soon(
        captcha_stack: Stack, siteverify, browser):
    """A homeserver that asks for a reCAPTCHA: the form says its page opens in a window of its
    own; that window closed before the check is done is said in words (try again), and the
    check finished there (Synapse's own fallback page, its answer checked with the fake
    siteverify) signs her up."""
    stack = captcha_stack
    async with signed_out(browser, "failure-signup-captcha") as page:
        page.watch.expect_failure(401, r"/_matrix/client/v3/register$")
        page.watch.expect_failure(404, r"/account_data/m\.matrix_os\.onboarding$")
        # Google's script is not fetched here (nothing leaves the machine).
        await page.context.route("https://www.recaptcha.net/**", lambda route: route.abort())
        await page.goto(f"{stack.appservice_url}/social/signup")
        await page.wait_for_selector("form.sign-in-form[aria-labelledby=sign-up-title]")
        await page.locator(".captcha-note", has_text="not a robot").wait_for()
        localpart = f"human{secrets.token_hex(3)}"
        await page.get_by_label("Username").fill(localpart)
        await page.get_by_label("Password", exact=True).fill("a long enough password")
        await page.get_by_label("Password again").fill("a long enough password")
        await every_look(page, "signup-captcha")

        # The window closed before the check was done.
        async with page.expect_popup() as opening:
            await page.get_by_role("button", name="Create account").click()
        popup = await opening.value
        await popup.wait_for_selector("#registrationForm")
        await page.get_by_text("Finish on the server's page").wait_for()
        await popup.close()
        alert = page.get_by_role("alert").filter(has_text="did not see the robot check finished")
        await alert.wait_for()
        assert await page.get_by_role("button", name="Create account").is_enabled()
        assert siteverify.asked == []

        # Done on the homeserver's page this time (the answer Google's widget would post).
        async with page.expect_popup() as opening:
            await page.get_by_role("button", name="Create account").click()
        popup = await opening.value
        await popup.wait_for_selector("#registrationForm")
        await popup.evaluate("""() => { const form = document.getElementById('registrationForm');
            const answer = document.createElement('input');
            answer.type = 'hidden'; answer.name = 'g-recaptcha-response'; answer.value = 'human';
            form.append(answer); form.submit(); }""")
        await page.wait_for_selector("#welcome-profile")
        session = json.loads(await page.evaluate(
            "localStorage.getItem('matrix-social.session')"))
        assert session["userId"] == stack.mxid(localpart)
        assert [(a["response"], a["secret"]) for a in siteverify.asked] == [
            ("human", "test-secret-key")], siteverify.asked
