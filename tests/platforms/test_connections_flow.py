"""The layer the integration calls: login (state, PKCE, storage), grants (refresh, broken),
polling (cursor after commit, backoff), on both databases against the fakes."""

from __future__ import annotations

import asyncio
import logging
import re
import time

import pytest
from cryptography.fernet import Fernet

from matrix_social.db import oauth_state
from matrix_social.db import platform_connections as connections
from matrix_social.errors import AuthRevoked, Refused

from .browser import authorize
from .stack import Stack


@pytest.fixture
def key():
    return Fernet.generate_key().decode()


@pytest.fixture
def stack(db, fakes, key):
    return Stack(db, fakes, key)


async def test_connect_x_stores_an_encrypted_grant(db, fakes, stack):
    alice = fakes["x"].add_user("alice")
    row = await stack.connect("@alice:hs", "x")
    assert (row.user_id, row.platform, row.account_id, row.handle, row.status) == (
        "@alice:hs", "x", alice, "alice", "ok")
    assert row.share_with_followers is False and row.cursor is None
    stored = await db.fetchval("SELECT token FROM platform_connection")
    grant = stack.cipher.decrypt(stored)
    assert grant.access_token not in stored and grant.refresh_token not in stored
    assert grant.access_token in fakes["x"].oauth.tokens
    assert stored not in repr(row)
    state_rows = await db.fetch("SELECT * FROM oauth_state")
    assert state_rows == []  # consumed


async def test_callback_with_a_wrong_replayed_or_expired_state_changes_nothing(db, fakes, stack):
    fakes["x"].add_user("alice")
    url = await stack.login.begin("@alice:hs", "x")
    answer = await authorize(url)
    with pytest.raises(Refused, match="unknown"):
        await stack.login.finish("forged-state", answer["code"], platform="x")
    with pytest.raises(Refused, match="another user"):
        await stack.login.finish(answer["state"], answer["code"], platform="x",
                                 user_id="@mallory:hs")
    # The state died with that attempt: even its rightful user cannot replay it.
    with pytest.raises(Refused, match="already used"):
        await stack.login.finish(answer["state"], answer["code"], platform="x")
    assert await connections.list_for_user(db, "@alice:hs") == []

    stack.login.state_ttl_ms = 50
    answer = await authorize(await stack.login.begin("@alice:hs", "x"))
    await asyncio.sleep(0.1)
    with pytest.raises(Refused, match="expired"):
        await stack.login.finish(answer["state"], answer["code"], platform="x")
    assert await connections.list_for_user(db, "@alice:hs") == []


async def test_state_is_stored_hashed_with_an_encrypted_verifier(db, fakes, stack):
    fakes["x"].add_user("alice")
    url = await stack.login.begin("@alice:hs", "x")
    state = dict(p.split("=", 1) for p in url.split("?", 1)[1].split("&"))["state"]
    row = await db.fetchrow("SELECT * FROM oauth_state")
    assert row["state_hash"] != state and state not in str(dict(row))
    verifier = stack.cipher.decrypt_text(row["code_verifier"])
    assert verifier not in row["code_verifier"] and len(verifier) == 64


async def test_cancelled_login_and_platform_mismatch(db, fakes, stack):
    fakes["x"].add_user("alice")
    fakes["x"].oauth.deny_next = "access_denied"
    answer = await authorize(await stack.login.begin("@alice:hs", "x"))
    with pytest.raises(Refused, match="cancelled or refused"):
        await stack.login.finish(answer["state"], answer.get("code"), answer.get("error"),
                                 platform="x")
    answer = await authorize(await stack.login.begin("@alice:hs", "x"))
    with pytest.raises(Refused, match="another platform"):
        await stack.login.finish(answer["state"], answer["code"], platform="github")
    assert await connections.list_for_user(db, "@alice:hs") == []


async def test_pending_logins_per_user_are_capped(db, fakes, stack):
    for _ in range(5):
        await stack.login.begin("@alice:hs", "x")
    with pytest.raises(Refused, match="too many"):
        await stack.login.begin("@alice:hs", "x")
    await stack.login.begin("@bob:hs", "x")


async def test_disabled_platform_is_refused(stack):
    with pytest.raises(Refused, match="not available"):
        await stack.login.begin("@alice:hs", "github")


async def test_mastodon_instance_checked_and_app_registered_once(db, fakes, stack):
    mastodon = fakes["mastodon"]
    mastodon.add_account("alice")
    with pytest.raises(Refused):
        await stack.login.begin("@alice:hs", "mastodon", "https://10.0.0.1")
    with pytest.raises(Refused):
        await stack.login.begin("@alice:hs", "mastodon", None)
    row = await stack.connect("@alice:hs", "mastodon", mastodon.base_url)
    assert row.instance == mastodon.base_url and row.account_key.endswith(
        mastodon.base_url.removeprefix("http://"))
    await stack.connect("@bob:hs", "mastodon", mastodon.base_url + "/")
    assert mastodon.count("/api/v1/apps") == 1  # registered once, reused
    secret = await db.fetchval("SELECT client_secret FROM mastodon_app")
    app_secret = stack.cipher.decrypt_text(secret)
    assert app_secret not in secret and app_secret == \
        mastodon.oauth.clients[await db.fetchval("SELECT client_id FROM mastodon_app")].secret


async def test_instagram_personal_account_is_refused_and_not_stored(db, fakes, stack):
    fakes["instagram"].add_user("personal_me", account_type="PERSONAL")
    with pytest.raises(Refused, match="professional"):
        await stack.connect("@alice:hs", "instagram")
    assert await connections.list_for_user(db, "@alice:hs") == []


async def test_refresh_is_serialized_and_stored_before_use(db, fakes, stack):
    fakes["x"].add_user("alice")
    await stack.connect("@alice:hs", "x")
    fakes["x"].oauth.expire_access(next(iter(fakes["x"].users)))
    row = await connections.get(db, "@alice:hs", "x")
    grant = stack.cipher.decrypt(row.token)
    grant.expires_at_ms = int(time.time() * 1000)  # about to expire
    await connections.set_token(db, "@alice:hs", "x", stack.cipher.encrypt(grant))
    before = fakes["x"].count("/2/oauth2/token")
    tokens = await asyncio.gather(*(stack.grants.token("@alice:hs", "x") for _ in range(5)))
    assert fakes["x"].count("/2/oauth2/token") == before + 1  # one refresh, not five
    assert len({t.access_token for t in tokens}) == 1
    stored = stack.cipher.decrypt((await connections.get(db, "@alice:hs", "x")).token)
    assert stored.refresh_token == tokens[0].refresh_token != grant.refresh_token


async def test_a_revoked_grant_marks_the_connection_broken(db, fakes, stack):
    alice = fakes["x"].add_user("alice")
    await stack.connect("@alice:hs", "x")
    fakes["x"].revoke_user(alice)
    row = await connections.get(db, "@alice:hs", "x")
    outcome = await stack.poller.poll(row)
    assert outcome.broken and outcome.schedule.next_due_ms is None
    row = await connections.get(db, "@alice:hs", "x")
    assert row.status == "broken" and "revoked" in row.status_reason
    assert await stack.poller.due() == []
    with pytest.raises(AuthRevoked):
        await stack.grants.token("@alice:hs", "x")
    calls = fakes["x"].count("/2/")
    await stack.poller.poll(row)  # nothing retries it blindly: no request leaves
    assert fakes["x"].count("/2/") == calls


async def test_polling_commits_cursors_and_survives_a_restart(db, fakes, stack, key):
    alice = fakes["x"].add_user("alice")
    for n in range(25):
        fakes["x"].post(alice, f"t{n}")
    await stack.connect("@alice:hs", "x")
    [row] = await stack.poller.due()
    outcome = await stack.poller.poll(row)
    assert len(outcome.result.items) == 20
    # Not committed (a crash before the items were bridged): the same items come again.
    again = await stack.poller.poll(await connections.get(db, "@alice:hs", "x"))
    assert [i.remote_id for i in again.result.items] == [i.remote_id for i in
                                                          outcome.result.items]
    await stack.poller.commit(again)
    row = await connections.get(db, "@alice:hs", "x")
    assert row.cursor["since_id"] and row.next_due > time.time() * 1000 and row.last_sync
    assert await stack.poller.due() == []

    new = fakes["x"].post(alice, "after the restart")
    restarted = Stack(db, fakes, key)  # new objects, the same database and key
    result = await restarted.poller.poll(await connections.get(db, "@alice:hs", "x"))
    assert [i.remote_id for i in result.result.items] == [new]


async def test_429_delays_the_next_poll_until_the_reset(db, fakes, stack):
    alice = fakes["x"].add_user("alice")
    await stack.connect("@alice:hs", "x")
    fakes["x"].fail(429, path=f"/2/users/{alice}/tweets", reset_in_s=900)
    outcome = await stack.poller.poll(await connections.get(db, "@alice:hs", "x"))
    row = await connections.get(db, "@alice:hs", "x")
    reset_ms = (time.time() + 900) * 1000
    assert reset_ms - 2000 < row.next_due <= reset_ms + 6000 and row.failures == 1
    assert row.status == "ok" and outcome.error is not None
    fakes["x"].fail(500, path=f"/2/users/{alice}/tweets")
    await stack.poller.poll(row)
    row = await connections.get(db, "@alice:hs", "x")
    assert row.failures == 2 and row.next_due > time.time() * 1000


async def test_disconnect_revokes_and_forgets(db, fakes, stack):
    fakes["x"].add_user("alice")
    await stack.connect("@alice:hs", "x")
    grant = stack.cipher.decrypt((await connections.get(db, "@alice:hs", "x")).token)
    assert await stack.grants.disconnect("@alice:hs", "x")
    assert fakes["x"].oauth.user_for(grant.access_token) is None
    assert await connections.get(db, "@alice:hs", "x") is None
    assert not await stack.grants.disconnect("@alice:hs", "x")


async def test_a_removed_key_breaks_the_connection_cleanly(db, fakes, stack):
    fakes["x"].add_user("alice")
    await stack.connect("@alice:hs", "x")
    other = Stack(db, fakes, Fernet.generate_key().decode())
    with pytest.raises(AuthRevoked):
        await other.grants.token("@alice:hs", "x")
    row = await connections.get(db, "@alice:hs", "x")
    assert row.status == "broken" and "key" in row.status_reason
    assert await oauth_state.count_pending(db, "@alice:hs", 0) == 0


@pytest.mark.parametrize("garbage", [
    [{"weird": 1}], [{"id": None, "content": 5}], {"not": "a list"}, [[1, 2]],
    [{"id": "1", "created_at": "yesterday", "content": None, "media_attachments": "x"}]])
async def test_a_hostile_instance_sending_garbage_only_delays_polling(db, fakes, stack, garbage):
    mastodon = fakes["mastodon"]
    mastodon.add_account("alice")
    await stack.connect("@alice:hs", "mastodon", mastodon.base_url)
    mastodon.hostile["statuses"] = garbage
    outcome = await stack.poller.poll(await connections.get(db, "@alice:hs", "mastodon"))
    row = await connections.get(db, "@alice:hs", "mastodon")
    if outcome.error is not None:
        assert not outcome.broken and row.status == "ok" and row.failures == 1
    else:  # what could be read was read; nothing malformed got through
        assert all(re.fullmatch(r"[0-9A-Za-z_-]+", item.remote_id) and item.remote_id != "None"
                   and item.url.startswith("http") for item in outcome.result.items)


async def test_no_secret_reaches_a_log_on_any_platform(db, fakes, stack, images, caplog):
    """DEBUG everywhere (tweepy logs its headers, urllib3 its request lines): the platform
    layer's redaction keeps grants, verifiers and app secrets out."""
    caplog.set_level(logging.DEBUG)
    fakes["x"].add_user("alice")
    fakes["mastodon"].add_account("alice")
    fakes["instagram"].add_user("alice_shop")
    secrets = {"x-secret", "ig-secret"}
    for platform, instance in (("x", None), ("mastodon", fakes["mastodon"].base_url),
                               ("instagram", None)):
        url, binding = await stack.login.begin_in_browser("@alice:hs", platform, instance)
        secrets.add(binding.value)
        verifier_blob = await db.fetchval("SELECT code_verifier FROM oauth_state")
        if verifier_blob:
            secrets.add(stack.cipher.decrypt_text(verifier_blob))
        answer = await authorize(url)
        await stack.login.finish(answer["state"], answer["code"], platform=platform,
                                 browser=binding.value)
        row = await connections.get(db, "@alice:hs", platform)
        outcome = await stack.poller.poll(row)
        await stack.poller.commit(outcome)
        grant = stack.cipher.decrypt(row.token)
        secrets.update(filter(None, (grant.access_token, grant.refresh_token)))
    fresh = await stack.grants.token("@alice:hs", "x", force_refresh=True)
    secrets.update((fresh.access_token, fresh.refresh_token))
    ig = await stack.grants.token("@alice:hs", "instagram", force_refresh=True)
    secrets.add(ig.access_token)
    # (aiosqlite logs SQL parameters at DEBUG: only ciphertext may appear there, never these.)
    secrets.add(stack.cipher.decrypt_text(await db.fetchval(
        "SELECT client_secret FROM mastodon_app")))
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "GET /access_token?" in text or "access_token" in text  # urllib3 did log
    leaked = sorted(s for s in secrets if s and s in text)
    assert leaked == []
