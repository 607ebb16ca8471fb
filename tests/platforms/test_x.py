"""X: tweepy and authlib against the fake X (OAuth 2.0 + PKCE, timelines, edits, errors)."""

from __future__ import annotations

import asyncio
import io
import logging
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image as PILImage

from matrix_social.clock import now_ms
from matrix_social.errors import AuthRevoked, PlatformRateLimited, Refused, TransientError
from matrix_social.external.oauth import new_code_verifier, new_state
from matrix_social.external.platform import Image, OutgoingPost, TokenSet
from matrix_social.external.platforms.x import XAdapter, XSettings

from ..fakes.platforms.x import FakeX
from .browser import authorize, authorize_error

REDIRECT = "https://social.example.org/callback/x"


@pytest.fixture
async def fake():
    server = FakeX(redirect_uri=REDIRECT)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
def adapter(fake):
    return XAdapter(XSettings(client_id="x-client", client_secret="x-secret",
                              redirect_uri=REDIRECT, authorize_base=fake.base_url,
                              api_base=fake.base_url))


async def _login(adapter: XAdapter) -> TokenSet:
    verifier, state = new_code_verifier(), new_state()
    answer = await authorize(await adapter.authorize_url(state, verifier))
    assert answer["state"] == state
    return await adapter.exchange_code(answer["code"], verifier)


async def test_authorize_url_carries_pkce_s256_and_the_scopes(fake, adapter):
    url = await adapter.authorize_url("st", new_code_verifier())
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert url.startswith(fake.base_url + "/i/oauth2/authorize?")
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert set(query["scope"].split()) >= {"tweet.read", "users.read", "offline.access",
                                          "tweet.write", "media.write"}
    assert (query["client_id"], query["redirect_uri"], query["state"]) == (
        "x-client", REDIRECT, "st")


async def test_login_with_pkce_then_refresh_rotates(fake, adapter):
    alice = fake.add_user("alice", "Alice A.")
    token = await _login(adapter)
    assert token.refresh_token and token.expires_at_ms > now_ms()
    me = await adapter.whoami(token)
    assert (me.id, me.handle, me.name, me.url) == (alice, "alice", "Alice A.",
                                                   "https://x.com/alice")
    assert me.avatar_url.endswith(f"{alice}.jpg")

    fresh = await adapter.refresh(token)
    assert fresh.refresh_token != token.refresh_token and fresh.access_token != token.access_token
    assert (await adapter.whoami(fresh)).id == alice
    # The old refresh token worked once: using it again is a dead grant.
    with pytest.raises(AuthRevoked):
        await adapter.refresh(token)
    # Confidential client: the token endpoint was called with HTTP Basic, never a body secret.
    token_calls = [r for r in fake.requests if r.path == "/2/oauth2/token"]
    assert all(r.headers["Authorization"].startswith("Basic ") for r in token_calls)
    assert all(b"x-secret" not in r.body for r in token_calls)


async def test_wrong_verifier_and_replayed_code_are_refused(fake, adapter):
    fake.add_user("alice")
    verifier = new_code_verifier()
    answer = await authorize(await adapter.authorize_url(new_state(), verifier))
    with pytest.raises(Refused):
        await adapter.exchange_code(answer["code"], new_code_verifier())
    # The code died with the failed attempt: not even the right verifier redeems it now.
    with pytest.raises(Refused):
        await adapter.exchange_code(answer["code"], verifier)
    answer = await authorize(await adapter.authorize_url(new_state(), verifier))
    assert await adapter.exchange_code(answer["code"], verifier)
    with pytest.raises(Refused):  # replay
        await adapter.exchange_code(answer["code"], verifier)


async def test_expired_code_is_refused(fake, adapter):
    fake.add_user("alice")
    fake.oauth.code_ttl_s = 0.2
    verifier = new_code_verifier()
    answer = await authorize(await adapter.authorize_url(new_state(), verifier))
    await asyncio.sleep(0.3)
    with pytest.raises(Refused):
        await adapter.exchange_code(answer["code"], verifier)


async def test_authorize_without_pkce_or_with_a_foreign_redirect_is_refused_by_x(fake, adapter):
    fake.add_user("alice")
    url = await adapter.authorize_url("s", new_code_verifier())
    status, _ = await authorize_error(url.replace("code_challenge=", "x_challenge="))
    assert status == 400
    status, _ = await authorize_error(url.replace("social.example.org", "evil.example"))
    assert status == 400


async def test_first_sync_brings_at_most_20_then_only_new_ones_across_restarts(fake, adapter):
    alice = fake.add_user("alice")
    ids = [fake.post(alice, f"tweet {n}") for n in range(30)]
    token = await _login(adapter)
    account = await adapter.whoami(token)

    first = await adapter.fetch(token, account, None)
    assert [i.remote_id for i in first.items] == ids[-20:]  # the newest 20, oldest first
    assert first.items[-1].text == "tweet 29"
    assert first.items[-1].url == f"https://x.com/alice/status/{ids[-1]}"
    assert first.hints.limit == 900 and first.hints.remaining is not None
    assert first.hints.reset_at_ms > now_ms()

    # A restart: a new adapter instance, the cursor as stored (JSON round trip).
    import json
    stored = json.loads(json.dumps(first.cursor))
    restarted = XAdapter(adapter.settings)
    nothing = await restarted.fetch(token, account, stored)
    assert nothing.items == [] and nothing.deletions == [] and nothing.edits == []

    new = [fake.post(alice, f"later {n}") for n in range(150)]  # more than one page
    later = await restarted.fetch(token, account, nothing.cursor)
    assert [i.remote_id for i in later.items] == new
    again = await restarted.fetch(token, account, later.cursor)
    assert again.items == []


async def test_media_of_a_tweet_is_carried(fake, adapter):
    alice = fake.add_user("alice")
    fake.post(alice, "look", photo_urls=["https://pbs.example.org/a.jpg"])
    token = await _login(adapter)
    result = await adapter.fetch(token, await adapter.whoami(token), None)
    assert [(m.url, m.kind) for m in result.items[0].media] == [
        ("https://pbs.example.org/a.jpg", "image")]


async def test_possibly_sensitive_marks_the_item(fake, adapter):
    alice = fake.add_user("alice")
    fake.post(alice, "calm")
    fake.post(alice, "careful", photo_urls=["https://pbs.example.org/b.jpg"],
              possibly_sensitive=True)
    token = await _login(adapter)
    result = await adapter.fetch(token, await adapter.whoami(token), None)
    assert [(i.text, i.sensitive, i.content_warning) for i in result.items] == [
        ("calm", False, None), ("careful", True, None)]


async def test_edits_and_deletions_are_detected(fake, adapter):
    alice = fake.add_user("alice")
    old = fake.post(alice, "old one")
    token = await _login(adapter)
    account = await adapter.whoami(token)
    first = await adapter.fetch(token, account, None)
    keep = fake.post(alice, "keep me")
    edited = fake.post(alice, "tpyo")
    gone = fake.post(alice, "regret")
    second = await adapter.fetch(token, account, first.cursor)
    assert [i.text for i in second.items] == ["keep me", "tpyo", "regret"]

    new_version = fake.edit(edited, "typo fixed")
    fake.delete(gone)
    third = await adapter.fetch(token, account, second.cursor)
    assert third.items == []
    assert [(e.remote_id, e.text, e.version) for e in third.edits] == [
        (edited, "typo fixed", new_version)]
    assert third.deletions == [gone]
    assert keep not in third.deletions and old not in third.deletions

    # An edit the timeline did not show (say it fell beyond the pages read) is still found by
    # re-checking the watched version.
    newest = fake.edit(new_version, "typo fixed twice")
    skipped = dict(third.cursor, since_id=newest)
    fourth = await adapter.fetch(token, account, skipped)
    assert fourth.items == []
    assert [(e.remote_id, e.text, e.version) for e in fourth.edits] == [
        (edited, "typo fixed twice", newest)]
    assert (await adapter.fetch(token, account, fourth.cursor)).edits == []


async def test_429_with_reset_is_rate_limited_until_then(fake, adapter):
    alice = fake.add_user("alice")
    token = await _login(adapter)
    account = await adapter.whoami(token)
    fake.fail(429, path=f"/2/users/{alice}/tweets", reset_in_s=600)
    with pytest.raises(PlatformRateLimited) as caught:
        await adapter.fetch(token, account, None)
    assert abs(caught.value.until_ms - (time.time() + 600) * 1000) < 2000


async def test_a_spent_budget_answers_429_on_its_own(fake, adapter):
    alice = fake.add_user("alice")
    fake.set_limit("timeline", 1)  # the Free tier: one timeline read per 15 minutes
    token = await _login(adapter)
    account = await adapter.whoami(token)
    first = await adapter.fetch(token, account, None)
    assert first.hints.remaining == 0 and first.hints.limit == 1
    with pytest.raises(PlatformRateLimited) as caught:
        await adapter.fetch(token, account, first.cursor)
    assert caught.value.until_ms == first.hints.reset_at_ms
    assert alice


async def test_500_is_transient_and_revocation_is_auth_revoked(fake, adapter):
    alice = fake.add_user("alice")
    token = await _login(adapter)
    account = await adapter.whoami(token)
    fake.fail(500, path="/2/users/")
    with pytest.raises(TransientError):
        await adapter.fetch(token, account, None)
    fake.fail(503, path="/2/users/")
    with pytest.raises(TransientError):
        await adapter.fetch(token, account, None)
    fake.revoke_user(alice)
    with pytest.raises(AuthRevoked):
        await adapter.fetch(token, account, None)
    with pytest.raises(AuthRevoked):
        await adapter.refresh(token)


async def test_revoke_kills_the_grant(fake, adapter):
    fake.add_user("alice")
    token = await _login(adapter)
    assert await adapter.revoke(token)
    with pytest.raises(AuthRevoked):
        await adapter.whoami(token)
    with pytest.raises(AuthRevoked):
        await adapter.refresh(token)


def _png() -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", (8, 8), (0, 128, 255)).save(out, "PNG")
    return out.getvalue()


async def test_publish_with_image_edit_and_delete(fake, adapter):
    alice = fake.add_user("alice", can_edit=True)
    token = await _login(adapter)
    account = await adapter.whoami(token)
    published = await adapter.publish(token, account, OutgoingPost(
        "hello from matrix", images=(Image(_png(), "image/png"),)))
    tweet = fake.tweets[published.remote_id]
    assert (tweet.text, tweet.author_id, len(tweet.media_keys)) == (
        "hello from matrix", alice, 1)
    assert published.url == f"https://x.com/alice/status/{published.remote_id}"
    assert fake.count("/2/media/upload", "POST") == 1

    await adapter.edit(token, account, published.remote_id, OutgoingPost("hello, edited"))
    assert fake.current(alice)[0].text == "hello, edited"
    assert fake.current(alice)[0].history[0] == published.remote_id
    await adapter.edit(token, account, published.remote_id, OutgoingPost("edited twice"))
    assert fake.current(alice)[0].text == "edited twice"

    await adapter.delete(token, account, published.remote_id)
    assert fake.current(alice) == []
    await adapter.delete(token, account, published.remote_id)  # already gone: fine


async def test_edit_is_refused_for_accounts_x_does_not_let_edit(fake, adapter):
    fake.add_user("alice", can_edit=False)
    token = await _login(adapter)
    account = await adapter.whoami(token)
    published = await adapter.publish(token, account, OutgoingPost("cannot edit me"))
    with pytest.raises(Refused, match="not permitted"):
        await adapter.edit(token, account, published.remote_id, OutgoingPost("edited"))


async def test_a_retried_publish_finds_the_post_instead_of_posting_twice(fake, adapter):
    alice = fake.add_user("alice")
    token = await _login(adapter)
    account = await adapter.whoami(token)
    first = await adapter.publish(token, account, OutgoingPost("only once"))
    again = await adapter.publish(token, account, OutgoingPost("only once"))
    assert again.remote_id == first.remote_id
    assert [t.text for t in fake.current(alice)] == ["only once"]


async def test_publish_errors(fake, adapter):
    fake.add_user("alice")
    token = await _login(adapter)
    account = await adapter.whoami(token)
    with pytest.raises(Refused):
        await adapter.publish(token, account, OutgoingPost("x" * 281))
    fake.fail(429, path="/2/tweets", method="POST", reset_in_s=60)
    with pytest.raises(PlatformRateLimited):
        await adapter.publish(token, account, OutgoingPost("rate limited"))
    fake.fail(500, path="/2/tweets", method="POST")
    with pytest.raises(TransientError):
        await adapter.publish(token, account, OutgoingPost("server error"))
    assert fake.published == []


async def test_no_token_reaches_a_log(fake, adapter, caplog):
    from matrix_social import log_redact

    log_redact.install()
    fake.add_user("alice")
    caplog.set_level(logging.DEBUG)
    token = await _login(adapter)
    account = await adapter.whoami(token)
    await adapter.fetch(token, account, None)
    fresh = await adapter.refresh(token)
    await adapter.publish(fresh, account, OutgoingPost("logged?"))
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "Making API request" in text and "<redacted>" in text  # tweepy logged its headers
    for secret in (token.access_token, token.refresh_token, fresh.access_token,
                   fresh.refresh_token, "x-secret"):
        assert secret not in text


async def test_after_an_empty_first_sync_everything_new_comes(fake, adapter):
    alice = fake.add_user("alice")
    token = await _login(adapter)
    account = await adapter.whoami(token)
    empty = await adapter.fetch(token, account, None)
    assert empty.items == [] and empty.cursor is not None
    ids = [fake.post(alice, f"n{n}") for n in range(30)]
    assert [i.remote_id for i in (await adapter.fetch(token, account, empty.cursor)).items] == ids


async def test_home_timeline_brings_others_public_posts_never_a_protected_accounts(fake,
                                                                                   adapter):
    """Her "Following" timeline: the people she follows, newest first from her first sync,
    then only new ones across pages; never her own (fetch() reads those), never a protected
    account's (its posts are for its approved followers), the author named in `by`."""
    alice = fake.add_user("alice")
    bob, carol = fake.add_user("bob", "Bob B."), fake.add_user("carol")
    fake.users[carol].protected = True
    for other in (bob, carol):
        fake.follow(alice, other)
    fake.post(alice, "mine")
    fake.post(carol, "for my approved followers")
    early = [fake.post(bob, f"bob {n}") for n in range(25)]
    token = await _login(adapter)
    me = await adapter.whoami(token)

    first = await adapter.fetch_home(token, me, None)
    assert [i.remote_id for i in first.items] == [f"home:{i}" for i in early[-20:]]
    item = first.items[-1]
    assert (item.kind, item.text, item.url) == (
        "home", "@bob: bob 24", f"https://x.com/bob/status/{early[-1]}")
    assert item.extra["by"] == {"id": bob, "handle": "bob", "name": "Bob B.",
                                "url": "https://x.com/bob"}
    assert first.hints.limit == 180

    later = [fake.post(bob, f"later {n}") for n in range(120)]  # more than one page
    fake.post(carol, "still only for them")
    fake.post(alice, "mine again")
    second = await adapter.fetch_home(token, me, first.cursor)
    assert [i.remote_id for i in second.items] == [f"home:{i}" for i in later]
    assert (await adapter.fetch_home(token, me, second.cursor)).items == []


async def test_home_timeline_outside_the_apps_access_level_is_refused_not_a_broken_login(
        fake, adapter):
    """X's Free tier has no home timeline: its 403 "client-forbidden" refuses that read only;
    her own posts are still read with the same login."""
    alice = fake.add_user("alice")
    fake.post(alice, "mine")
    fake.home_enrolled = False
    token = await _login(adapter)
    me = await adapter.whoami(token)
    with pytest.raises(Refused, match="access level"):
        await adapter.fetch_home(token, me, None)
    assert [i.text for i in (await adapter.fetch(token, me, None)).items] == ["mine"]
