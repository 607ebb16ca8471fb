"""Who completes a login (login CSRF), on both databases against the fakes: a login finishes in
one step only in the browser that started it (its binding cookie) or with its starter's own
token; brought back any other way it is held, encrypted and single-use, until its starter
confirms the code. Also: an instance that forgot our app gets a fresh registration once, and a
new login revokes the grant it replaces."""

from __future__ import annotations

import asyncio

import pytest
from cryptography.fernet import Fernet

from matrix_social.db import platform_connections as connections
from matrix_social.errors import Refused, UnknownClient
from matrix_social.external.login import (
    AwaitingConfirmation,
    Connected,
    cookie_names,
    shown_code,
)

from .browser import authorize, authorize_error
from .stack import Stack


@pytest.fixture
def stack(db, fakes):
    return Stack(db, fakes, Fernet.generate_key().decode())


async def _victim_completes(stack, url: str, platform: str = "x", browser: str | None = None):
    """The victim's browser (no cookie of the starter's) comes back with the victim's code."""
    answer = await authorize(url)
    return await stack.login.finish(answer["state"], answer.get("code"), platform=platform,
                                    browser=browser)


async def test_a_login_brought_back_by_another_browser_connects_nothing(db, fakes, stack):
    victim = fakes["x"].add_user("victim")  # who is logged in at X, in the victim's browser
    url, binding = await stack.login.begin_in_browser("@mallory:hs", "x")
    held = await _victim_completes(stack, url)
    assert isinstance(held, AwaitingConfirmation)
    assert (held.user_id, held.platform, held.account.id) == ("@mallory:hs", "x", victim)
    assert await connections.list_for_user(db, "@mallory:hs") == []
    # Held encrypted and hashed: the table alone finishes nothing.
    row = await db.fetchrow("SELECT * FROM login_confirmation")
    grant = stack.cipher.decrypt(row["token"])
    assert grant.access_token not in str(dict(row)) and held.code not in str(dict(row))
    assert shown_code(held.code) not in str(dict(row))

    # The victim, or anybody but mallory, holding the code: nothing, for anybody.
    with pytest.raises(Refused, match="wrong, used or expired"):
        await stack.login.confirm("@victim:hs", held.code)
    assert await connections.list_for_user(db, "@victim:hs") == []
    # Mallory herself with a wrong code: nothing either.
    with pytest.raises(Refused, match="wrong"):
        await stack.login.confirm("@mallory:hs", "ABCD-EFGH")
    assert await connections.list_for_user(db, "@mallory:hs") == []

    # Only her own action, authenticated as her, with the code the victim's page showed.
    done = await stack.login.confirm("@mallory:hs", shown_code(held.code).lower())
    assert isinstance(done, Connected) and done.row.account_id == victim
    with pytest.raises(Refused, match="wrong, used or expired"):  # single use
        await stack.login.confirm("@mallory:hs", held.code)
    assert binding.value  # (never sent back: the victim's browser does not have it)


async def test_the_starting_browser_connects_at_once_and_a_forged_cookie_does_not(db, fakes,
                                                                                  stack):
    fakes["x"].add_user("alice")
    url, binding = await stack.login.begin_in_browser("@alice:hs", "x")
    # The public URL is https here: Secure, and the prefix no http page can set.
    assert binding.name == cookie_names(_state_of(url))[1] and binding.name.startswith(
        "__Secure-")
    assert (binding.path, binding.secure, binding.max_age_s) == (
        "/api/social/connections/x/callback", True, 600)
    done = await _victim_completes(stack, url, browser=binding.value)
    assert isinstance(done, Connected) and done.row.user_id == "@alice:hs"

    url, binding = await stack.login.begin_in_browser("@bob:hs", "x")
    held = await _victim_completes(stack, url, browser=binding.value + "x")
    assert isinstance(held, AwaitingConfirmation)
    # A login started without any browser (the bot's command) always asks.
    held = await _victim_completes(stack, await stack.login.begin("@carol:hs", "x"),
                                   browser=binding.value)
    assert isinstance(held, AwaitingConfirmation)
    # Her own token on the callback is her own action: connected at once.
    answer = await authorize(await stack.login.begin("@dave:hs", "x"))
    done = await stack.login.finish(answer["state"], answer["code"], platform="x",
                                    user_id="@dave:hs")
    assert isinstance(done, Connected)


def _state_of(url: str) -> str:
    return dict(p.split("=", 1) for p in url.split("?", 1)[1].split("&"))["state"]


async def test_wrong_codes_drop_the_waiting_logins(db, fakes, stack):
    fakes["x"].add_user("victim")
    held = await _victim_completes(stack, await stack.login.begin("@mallory:hs", "x"))
    for _ in range(4):
        with pytest.raises(Refused, match="wrong"):
            await stack.login.confirm("@mallory:hs", "ZZZZ-ZZZZ")
    with pytest.raises(Refused, match="too many wrong codes"):
        await stack.login.confirm("@mallory:hs", "not a code at all")
    with pytest.raises(Refused):  # even the right code is gone now
        await stack.login.confirm("@mallory:hs", held.code)
    assert await db.fetchval("SELECT COUNT(*) FROM login_confirmation") == 0
    assert await connections.list_for_user(db, "@mallory:hs") == []


async def test_a_held_login_expires(db, fakes, stack):
    fakes["x"].add_user("alice")
    stack.login.state_ttl_ms = 300
    held = await _victim_completes(stack, await stack.login.begin("@alice:hs", "x"))
    await asyncio.sleep(0.4)
    with pytest.raises(Refused, match="expired"):
        await stack.login.confirm("@alice:hs", held.code)
    assert await connections.list_for_user(db, "@alice:hs") == []


async def test_an_instance_that_forgot_our_app_gets_a_fresh_registration_once(db, fakes,
                                                                             stack):
    mastodon = fakes["mastodon"]
    mastodon.add_account("alice")
    await stack.connect("@alice:hs", "mastodon", mastodon.base_url)
    assert mastodon.count("/api/v1/apps") == 1
    old_client = await db.fetchval("SELECT client_id FROM mastodon_app")

    mastodon.forget_apps()  # from now on the instance answers invalid_client for it
    row = await stack.connect("@alice:hs", "mastodon", mastodon.base_url)
    assert row.status == "ok" and mastodon.count("/api/v1/apps") == 2
    new_client = await db.fetchval("SELECT client_id FROM mastodon_app")
    assert new_client != old_client and await db.fetchval(
        "SELECT COUNT(*) FROM mastodon_app") == 1
    await stack.connect("@bob:hs", "mastodon", mastodon.base_url)
    assert mastodon.count("/api/v1/apps") == 2  # made once, then reused

    # Forgotten between the authorize page and the token call: that login fails and says
    # why; the registration is dropped, so the next login makes a fresh one.
    url, binding = await stack.login.begin_in_browser("@alice:hs", "mastodon",
                                                      mastodon.base_url)
    answer = await authorize(url)
    mastodon.forget_apps()
    with pytest.raises(UnknownClient, match="no longer knows"):
        await stack.login.finish(answer["state"], answer["code"], platform="mastodon",
                                 browser=binding.value)
    assert await db.fetchval("SELECT COUNT(*) FROM mastodon_app") == 0
    row = await stack.connect("@alice:hs", "mastodon", mastodon.base_url)
    assert row.status == "ok" and mastodon.count("/api/v1/apps") == 3


async def test_without_the_fresh_registration_the_instance_shows_unknown_client(db, fakes,
                                                                               stack):
    """What a person would see if the stale registration were kept: the instance's own error
    page, never a way back (the finding this guards)."""
    mastodon = fakes["mastodon"]
    mastodon.add_account("alice")
    url = await stack.login.begin("@alice:hs", "mastodon", mastodon.base_url)
    mastodon.forget_apps()
    status, page = await authorize_error(url)
    assert status == 400 and "error" in page.lower()


@pytest.mark.parametrize("platform", ["x", "mastodon"])
async def test_a_new_login_revokes_the_grant_it_replaces(db, fakes, stack, platform):
    fake = fakes[platform]
    instance = fake.base_url if platform == "mastodon" else None
    first = fake.add_user("alice") if platform == "x" else fake.add_account("alice")
    fake.oauth.authorizing_user = first
    await stack.connect("@alice:hs", platform, instance)
    old = stack.cipher.decrypt((await connections.get(db, "@alice:hs", platform)).token)
    # The same account again, then another account: each time the replaced grant is revoked
    # at the platform (recorded by the fake), and the new one works.
    for account in (first, fake.add_user("alice2") if platform == "x"
                    else fake.add_account("alice2")):
        fake.oauth.authorizing_user = account
        await stack.connect("@alice:hs", platform, instance)
        new = stack.cipher.decrypt((await connections.get(db, "@alice:hs", platform)).token)
        assert fake.oauth.was_revoked(old.access_token)
        assert fake.oauth.user_for(old.access_token) is None
        assert fake.oauth.user_for(new.access_token) is not None
        assert not fake.oauth.was_revoked(new.access_token)
        old = new


async def test_instagram_has_no_revocation_the_old_grant_is_only_forgotten(db, fakes, stack):
    instagram = fakes["instagram"]
    instagram.oauth.authorizing_user = instagram.add_user("shop")
    await stack.connect("@alice:hs", "instagram")
    old = stack.cipher.decrypt((await connections.get(db, "@alice:hs", "instagram")).token)
    requests = len(instagram.requests)
    await stack.connect("@alice:hs", "instagram")
    new = stack.cipher.decrypt((await connections.get(db, "@alice:hs", "instagram")).token)
    assert new.access_token != old.access_token
    assert not any("revoke" in r.path for r in instagram.requests[requests:])
