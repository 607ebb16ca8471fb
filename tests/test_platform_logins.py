"""Logins and connections that tell the truth, end to end through a real Synapse, the service
and the loopback fakes (and real Chromium where a browser is the point):

- login CSRF: mallory starts a login and gets the victim's browser to finish it; the victim's
  account never becomes mallory's, and the page tells the victim whom it would go to;
- a 401 on a cross-post breaks the connection at once and says so once;
- a reconnect refreshes the puppet at once, revokes the grant it replaces, and GET
  /connections hands out no URL of the platform that a browser would load.
"""

from __future__ import annotations

import time

from .browser import axe_violations, screenshot
from .harness import api, api_ok, eventually
from .platform_steps import (
    bot_said,
    browser_session,
    code_on,
    command_room,
    connect,
    connection,
    db,
    management_room,
    messages,
    say,
    start_in_browser,
    through_login,
)
from .test_web_app import open_settings, person


def _unique(name: str) -> str:
    return f"{name}{time.time_ns() % 10**7}"


async def test_a_login_link_mallory_sends_never_gives_her_the_victims_account(stack):
    mastodon = stack.platforms.mastodon
    mallory, victim = await stack.register("mallory"), await stack.register("victim")
    victim_account = mastodon.add_account(_unique("victim"), "Victim")
    handle = f"{mastodon.accounts[victim_account].username}@{mastodon.base_url.split('//')[1]}"
    mastodon.oauth.authorizing_user = victim_account  # logged in there, in her own browser

    # Mallory starts the login through the API (her own client, her own cookie jar) and from
    # the bot; she sends both links to the victim, whose browser completes them.
    async with browser_session() as mallory_jar:
        started = await start_in_browser(stack, mallory_jar, mallory, "mastodon",
                                         mastodon.base_url)
    client, room = await command_room(stack, mallory)
    await say(client, room, f"login mastodon {mastodon.base_url}")
    bot_link = (await bot_said(stack, mallory, room, "Open this link to connect")).split()[-1]
    pages = []
    async with browser_session() as victim_jar:
        for link in (started["authorize_url"], bot_link):
            status, page, _ = await through_login(stack, link, accept="text/html",
                                                  session=victim_jar)
            pages.append((status, page))
    for status, page in pages:
        # Nothing connected; the page names both accounts and who alone could confirm.
        assert status == 202 and "<h1>Confirm this connection</h1>" in page, page
        assert f"Connect Mastodon <strong>@{handle}</strong> to Matrix " \
               f"<strong>{mallory.user_id}</strong>?" in page
        assert "do not give this code to anybody" in page
    assert (await api_ok(stack, "GET", "/connections", mallory))["connections"] == []
    assert await db(stack).fetchval("SELECT COUNT(*) FROM platform_connection WHERE "
                                    "account_id=$1", victim_account) == 0

    # Her cross-post goes nowhere.
    post = await api_ok(stack, "POST", "/posts", mallory, json={
        "text": "pwned", "cross_post": ["mastodon"]})
    assert [(c["target"], c["status"]) for c in post["cross_posts"]] == [
        ("mastodon", "refused")]
    assert not [s for s in mastodon.of(victim_account) if s.text == "pwned"]

    # The victim, signed in to Social herself, cannot be made to connect it anywhere with
    # these codes: they are mallory's to confirm, and she would have to hand one over.
    for _, page in pages:
        status, body = await api(stack, "POST", "/connections/mastodon/confirm", victim,
                                 json={"code": code_on(page)})
        assert status == 400 and body["errcode"] == "M_INVALID_PARAM", body
    assert (await api_ok(stack, "GET", "/connections", victim))["connections"] == []
    assert (await api_ok(stack, "GET", "/connections", mallory))["connections"] == []

    # Mallory hears that a login came back elsewhere, never whose account it was (a link
    # passed on must not tell her who opened it).
    notice = await bot_said(stack, mallory, room, "came back in a browser that did not start")
    said = " ".join(e["content"].get("body", "") for e in await messages(stack, mallory, room))
    assert mastodon.accounts[victim_account].username not in said, notice


async def test_in_chromium_the_cookie_decides_who_finishes_a_login(stack, browser):
    """Mallory uses the web app; the authorize link she takes from it, opened in the victim's
    Chromium, ends on the confirmation page; in her own Chromium (which holds the HttpOnly,
    SameSite=Lax cookie the web app's request set) her own login connects in one step."""
    mastodon = stack.platforms.mastodon
    mallory = await stack.register("mallory")
    victim_account = mastodon.add_account(_unique("victim"), "Victim")
    own_account = mastodon.add_account(_unique("mallorys"), "Mallory")
    links: list[str] = []

    async def keep_link(route) -> None:  # mallory takes the link instead of following it
        links.append(route.request.url)
        await route.fulfill(status=200, content_type="text/html",
                            body="<!doctype html><title>kept</title><main>kept</main>")

    async with person(browser, stack, mallory) as page:
        await page.route(f"{mastodon.base_url}/oauth/authorize**", keep_link)
        await open_settings(page, stack)
        await page.get_by_label("Your Mastodon server").fill(mastodon.base_url)
        await page.get_by_role("button", name="Connect Mastodon").click()

        async def kept() -> list[str]:
            return links

        await eventually(kept, what="the authorize link")
        await page.get_by_text("kept").wait_for()  # the web app went there: nothing moves now
        cookies = [c for c in await page.context.cookies()
                   if c["name"].startswith("ms_login_")]
        assert len(cookies) == 1, cookies
        assert (cookies[0]["httpOnly"], cookies[0]["sameSite"], cookies[0]["path"]) == (
            True, "Lax", "/api/social/connections/mastodon/callback")

        mastodon.oauth.authorizing_user = victim_account
        victim_context = await browser.new_context()
        try:
            victim = await victim_context.new_page()
            await victim.goto(links[0])
            await victim.get_by_role("heading", name="Confirm this connection").wait_for()
            text = await victim.inner_text("main")
            username = mastodon.accounts[victim_account].username
            assert f"Connect Mastodon @{username}@" in text and \
                   f"to Matrix {mallory.user_id}?" in text, text
            assert "Nothing is connected yet" in text
            assert await axe_violations(victim) == [], "the confirmation page"
            await screenshot(victim, "login-confirmation-page")
        finally:
            await victim_context.close()
        assert (await api_ok(stack, "GET", "/connections", mallory))["connections"] == []

        # Her own login, in her own browser: the cookie comes back, connected at once.
        mastodon.oauth.authorizing_user = own_account
        await page.unroute(f"{mastodon.base_url}/oauth/authorize**")
        await open_settings(page, stack)
        await page.get_by_label("Your Mastodon server").fill(mastodon.base_url)
        await page.get_by_role("button", name="Connect Mastodon").click()
        await page.get_by_role("heading", name="Connected", exact=True).wait_for()
        # This login's cookie is spent and cleared; the first one (whose link went to the
        # victim) just expires with its login.
        assert [c["name"] for c in await page.context.cookies()
                if c["name"].startswith("ms_login_")] == [cookies[0]["name"]]
    listed = (await api_ok(stack, "GET", "/connections", mallory))["connections"]
    assert [c["account"]["id"] for c in listed] == [own_account]


async def test_a_401_on_a_cross_post_breaks_the_connection_at_once(stack):
    mastodon = stack.platforms.mastodon
    alice = await stack.register("alice")
    account = mastodon.add_account(_unique("alice"))
    mastodon.oauth.authorizing_user = account
    await connect(stack, alice, "mastodon", mastodon.base_url)
    room = await management_room(stack, alice)
    # Read once, then not due for a long while: only the cross-post can find the 401.
    await eventually(lambda: _synced(stack, alice), what="the first sync")
    await db(stack).execute("UPDATE platform_connection SET next_due=$2 WHERE user_id=$1",
                            alice.user_id, int(time.time() * 1000) + 3600_000)

    # One 401 (a Mastodon grant has no refresh token: one answer is all it takes). The fake
    # is the session's: an injection left unused would fail somebody else's post later.
    mastodon.fail(401, times=1, path="/api/v1/statuses", method="POST")
    post = await api_ok(stack, "POST", "/posts", alice, json={
        "text": "into the void", "cross_post": ["mastodon"]})

    async def broken():
        found = await connection(stack, alice, "mastodon")
        return found if found["status"] == "broken" else None

    shown = await eventually(broken, what="the connection marked broken")
    assert all(f.times == 0 for f in mastodon.failures)
    assert "refused" in shown["status_reason"]
    await bot_said(stack, alice, room, "Mastodon connection", "stopped working")
    delivered = await api_ok(stack, "GET", f"/posts/{post['id']}", alice)
    assert [(c["target"], c["status"]) for c in delivered["cross_posts"]] == [
        ("mastodon", "refused")]

    # The composer's preview and the next post say why; nothing is tried.
    asked = mastodon.count("/api/v1/")
    preview = await api_ok(stack, "POST", "/posts/preview", alice, json={
        "text": "again", "cross_post": ["mastodon"]})
    [target] = preview["targets"]
    assert target["text"] is None and "Mastodon connection is not working" in target["refusal"]
    again = await api_ok(stack, "POST", "/posts", alice, json={
        "text": "again", "cross_post": ["mastodon"]})
    [refused] = again["cross_posts"]
    assert refused["status"] == "refused" and "not working" in refused["last_error"]
    scheduler = stack.bridge.services.platform_scheduler
    await scheduler.run_round()
    await scheduler.idle()
    assert mastodon.count("/api/v1/") == asked
    notices = [e for e in await messages(stack, alice, room)
               if "stopped working" in e["content"].get("body", "")]
    assert len(notices) == 1


async def _synced(stack, user) -> bool:
    found = await connection(stack, user, "mastodon")
    return bool(found and found["last_sync"])


async def test_a_reconnect_refreshes_the_puppet_and_revokes_the_old_grant(stack):
    x, github = stack.platforms.x, stack.platforms.github
    alice = await stack.register("alice")
    account = x.add_user(_unique("alice"), "Old Name")
    x.oauth.authorizing_user = account
    x.post(account, "the first sync has something to bridge")
    await connect(stack, alice, "x")
    puppet = f"@x_{account}:{stack.domain}"
    client = stack.nio(alice)

    async def profile():
        return await client.get_profile(puppet)

    first = await eventually(lambda: _named(profile, "Old Name (X)"), what="the puppet")
    old_grant = next(t for t in x.oauth.tokens.values()
                     if t.user_id == account and not t.revoked)
    # Never the platform's own URL: the avatar is the homeserver's copy.
    listed = await connection(stack, alice, "x")
    assert listed["account"]["avatar_url"] == first.avatar_url
    assert listed["account"]["avatar_url"].startswith("mxc://")
    assert x.base_url not in str({k: v for k, v in listed["account"].items() if k != "url"})

    # She renames herself and changes her picture on X, then connects again. No poll runs
    # in between (nothing is due), yet the puppet is new at once.
    await db(stack).execute("UPDATE platform_connection SET next_due=$2 WHERE user_id=$1",
                            alice.user_id, int(time.time() * 1000) + 3600_000)
    x.users[account].name = "New Name"
    x.users[account].profile_image_url = f"{x.base_url}/avatars/{account}-new.jpg"
    polled = x.count(f"/2/users/{account}/tweets")
    await connect(stack, alice, "x")
    now = await profile()
    assert now.displayname == "New Name (X)" and now.avatar_url != first.avatar_url
    assert now.avatar_url.startswith("mxc://")
    assert (await connection(stack, alice, "x"))["account"]["avatar_url"] == now.avatar_url
    # The grant it replaced is revoked at X (the fake recorded it); the new one works.
    assert x.oauth.was_revoked(old_grant.access_token)
    assert x.oauth.user_for(old_grant.access_token) is None
    live = [t for t in x.oauth.tokens.values() if t.user_id == account and not t.revoked]
    assert len(live) == 1 and not x.oauth.was_revoked(live[0].access_token)
    room = await management_room(stack, alice)
    await bot_said(stack, alice, room, "Connected X as", "previous login was signed out")
    assert x.count(f"/2/users/{account}/tweets") - polled <= 1  # at most the reconnect's sync

    # GitHub: the replaced token alone (DELETE /applications/{id}/token), never the whole
    # grant, which would take the new token of the same account with it.
    octo = github.add_user(_unique("octo"))
    github.oauth.authorizing_user = str(octo)
    await connect(stack, alice, "github")
    old = next(t for t in github.oauth.tokens.values() if t.user_id == str(octo))
    await connect(stack, alice, "github")
    assert github.oauth.was_revoked(old.access_token)
    fresh = [t for t in github.oauth.tokens.values()
             if t.user_id == str(octo) and not t.revoked]
    assert len(fresh) == 1, "the new GitHub token was revoked with the old one"
    assert github.count("/applications/gh-client/token", "DELETE") == 1
    assert (await connection(stack, alice, "github"))["status"] == "ok"


async def _named(profile, name: str):
    found = await profile()
    return found if getattr(found, "displayname", None) == name and found.avatar_url else None
