"""GitHub: PyGithub and authlib against the fake GitHub."""

from __future__ import annotations

import json
import time

import pytest

from matrix_social.errors import AuthRevoked, PlatformRateLimited, Refused, TransientError
from matrix_social.external.oauth import new_code_verifier, new_state
from matrix_social.external.platform import OutgoingPost, TokenSet
from matrix_social.external.platforms.github import GitHubAdapter, GitHubSettings

from ..fakes.platforms.github import FakeGitHub
from .browser import authorize

REDIRECT = "https://social.example.org/callback/github"


@pytest.fixture
async def fake():
    server = FakeGitHub(redirect_uri=REDIRECT)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


def _adapter(fake: FakeGitHub) -> GitHubAdapter:
    return GitHubAdapter(GitHubSettings(client_id="gh-client", client_secret="gh-secret",
                                        redirect_uri=REDIRECT, web_base=fake.base_url,
                                        api_base=fake.base_url))


@pytest.fixture
def adapter(fake):
    return _adapter(fake)


async def _login(adapter: GitHubAdapter) -> TokenSet:
    verifier, state = new_code_verifier(), new_state()
    answer = await authorize(await adapter.authorize_url(state, verifier))
    assert answer["state"] == state
    return await adapter.exchange_code(answer["code"], verifier)


async def test_login_with_pkce_and_identity(fake, adapter):
    octo = fake.add_user("octocat", "The Octocat")
    token = await _login(adapter)
    me = await adapter.whoami(token)
    assert (me.id, me.handle, me.name, me.url) == (str(octo), "octocat", "The Octocat",
                                                   "https://github.com/octocat")
    assert await adapter.refresh(token) is token  # OAuth app tokens do not expire
    query = next(r for r in fake.requests if r.path == "/login/oauth/authorize").query
    assert query["code_challenge_method"] == "S256" and query["scope"] == "read:user"
    exchange = next(r for r in fake.requests if r.path == "/login/oauth/access_token")
    assert exchange.headers["Accept"] == "application/json"
    # The token is sent as PyGithub sends it.
    assert next(r for r in fake.requests if r.path == "/user").headers["Authorization"] == \
        f"token {token.access_token}"


async def test_wrong_verifier_and_replayed_code_are_refused(fake, adapter):
    fake.add_user("octocat")
    verifier = new_code_verifier()
    answer = await authorize(await adapter.authorize_url(new_state(), verifier))
    with pytest.raises(Refused, match="bad_verification_code"):  # GitHub says so with HTTP 200
        await adapter.exchange_code(answer["code"], new_code_verifier())
    answer = await authorize(await adapter.authorize_url(new_state(), verifier))
    await adapter.exchange_code(answer["code"], verifier)
    with pytest.raises(Refused):
        await adapter.exchange_code(answer["code"], verifier)


async def test_expiring_user_tokens_refresh_and_rotate():
    fake = FakeGitHub(redirect_uri=REDIRECT, expiring_tokens=True)
    await fake.start()
    try:
        adapter = _adapter(fake)
        fake.add_user("octocat")
        token = await _login(adapter)
        assert token.refresh_token and token.expires_at_ms
        fresh = await adapter.refresh(token)
        assert fresh.refresh_token != token.refresh_token
        assert (await adapter.whoami(fresh)).handle == "octocat"
        with pytest.raises(AuthRevoked):
            await adapter.refresh(token)
    finally:
        await fake.stop()


async def test_events_first_sync_then_only_new_ones_with_etag(fake, adapter):
    octo = fake.add_user("octocat")
    for n in range(30):
        fake.star(octo, f"org/repo{n}")
    fake.other(octo, "org/x")  # not news: skipped
    token = await _login(adapter)
    account = await adapter.whoami(token)
    first = await adapter.fetch(token, account, None)
    assert [i.text for i in first.items] == [f"starred org/repo{n}" for n in range(10, 30)]
    assert first.etag and first.hints.poll_interval_s == 60 and first.hints.limit == 5000
    assert first.items[0].url == f"{fake.base_url}/org/repo10"  # the configured web base

    # Nothing new: 304, and it cost nothing.
    remaining = first.hints.remaining
    cursor, etag = json.loads(json.dumps(first.cursor)), first.etag
    restarted = _adapter(fake)
    quiet = await restarted.fetch(token, account, cursor, etag)
    assert quiet.items == [] and quiet.hints.not_modified and quiet.etag == etag
    assert quiet.hints.remaining == remaining
    sent = [r for r in fake.requests if r.path.endswith("/events/public")][-1]
    assert sent.headers["If-None-Match"] == etag

    fake.poll_interval = 120
    fake.release(octo, "org/tool", "v1.2.0", "Tool 1.2")
    later = await restarted.fetch(token, account, quiet.cursor, quiet.etag)
    assert [(i.kind, i.text) for i in later.items] == [("release",
                                                        "released Tool 1.2 of org/tool")]
    assert later.items[0].url == "https://github.com/org/tool/releases/tag/v1.2.0"
    assert later.etag != etag and later.hints.poll_interval_s == 120


async def test_the_next_poll_keeps_the_fake_s_poll_interval_and_waits_for_its_reset(fake, adapter):
    """Finding 9: polls of an active account, scheduled from the headers the fake sends
    (X-Poll-Interval, x-ratelimit-*), never come before X-Poll-Interval, and a spent budget
    waits for the reset the fake names."""
    import random

    from matrix_social.external.platforms.github import PLATFORM
    from matrix_social.external.polling import after_success

    octo = fake.add_user("octocat")
    token = await _login(adapter)
    account = await adapter.whoami(token)
    rng = random.Random(9)
    cursor, etag, interval = None, None, None
    for n in range(40):
        if n % 2:
            fake.star(octo, f"org/busy{n}")
        fake.poll_interval = 60 if n < 20 else 90
        result = await adapter.fetch(token, account, cursor, etag)
        cursor, etag = result.cursor, result.etag
        assert result.hints.poll_interval_s == fake.poll_interval
        now = int(time.time() * 1000)
        schedule = after_success(PLATFORM.budget, interval, len(result.items), result.hints, now,
                                 rng)
        interval = schedule.interval_s
        assert schedule.next_due_ms - now >= fake.poll_interval * 1000, n

    fake.set_limit("core", 2)
    spent = None
    for _ in range(2):
        spent = await adapter.fetch(token, account, cursor)  # no ETag: each costs one
    assert spent.hints.remaining == 0 and spent.hints.reset_at_ms > time.time() * 1000
    now = int(time.time() * 1000)
    schedule = after_success(PLATFORM.budget, 60, 3, spent.hints, now, rng)
    assert schedule.next_due_ms >= spent.hints.reset_at_ms


async def test_only_events_marked_public_are_items(fake, adapter):
    """The public events feed holds public events only; were one marked otherwise, a private
    repository's activity would not become an item."""
    octo = fake.add_user("octocat")
    token = await _login(adapter)
    account = await adapter.whoami(token)
    fake.star(octo, "org/open")
    fake.star(octo, "org/secret")
    fake.events[-1]["public"] = False
    fake.star(octo, "org/unsaid")
    del fake.events[-1]["public"]
    result = await adapter.fetch(token, account, None)
    assert [i.text for i in result.items] == ["starred org/open"]


async def test_push_commits_come_from_compare(fake, adapter):
    octo = fake.add_user("octocat")
    fake.push(octo, "org/app", ["initial commit"])
    token = await _login(adapter)
    account = await adapter.whoami(token)
    first = await adapter.fetch(token, account, None)
    assert first.items[0].text.startswith("pushed 1 commit to org/app (main)")
    fake.push(octo, "org/app", ["fix: the bug\n\nlong body", "docs: readme"], branch="dev")
    result = await adapter.fetch(token, account, first.cursor, first.etag)
    push = result.items[0]
    assert push.kind == "push" and push.extra["branch"] == "dev"
    assert push.text.splitlines()[0] == "pushed 2 commits to org/app (dev)"
    assert [c["message"] for c in push.extra["commits"]] == ["fix: the bug", "docs: readme"]
    assert push.text.splitlines()[1].endswith("fix: the bug")
    assert "/compare/" in push.url
    assert fake.count("/repos/org/app/compare/") == 1


async def test_pull_requests_opened_and_merged_but_not_closed(fake, adapter):
    octo = fake.add_user("octocat")
    token = await _login(adapter)
    account = await adapter.whoami(token)
    first = await adapter.fetch(token, account, None)
    _, merged = fake.open_pull(octo, "org/app", "Add feature")
    _, dropped = fake.open_pull(octo, "org/app", "Bad idea")
    fake.close_pull(octo, "org/app", merged, merged=True)
    fake.close_pull(octo, "org/app", dropped, merged=False)
    result = await adapter.fetch(token, account, first.cursor, first.etag)
    assert [(i.kind, i.text) for i in result.items] == [
        ("pull_request_opened", "opened pull request org/app#1: Add feature"),
        ("pull_request_opened", "opened pull request org/app#2: Bad idea"),
        ("pull_request_merged", "merged pull request org/app#1: Add feature")]
    assert result.items[-1].url == "https://github.com/org/app/pull/1"


async def test_many_events_page_until_the_cursor(fake, adapter):
    octo = fake.add_user("octocat")
    token = await _login(adapter)
    account = await adapter.whoami(token)
    first = await adapter.fetch(token, account, None)
    for n in range(150):
        fake.star(octo, f"org/r{n}")
    result = await adapter.fetch(token, account, first.cursor, first.etag)
    assert len(result.items) == 150
    assert fake.count("/users/octocat/events/public") == 3  # first, then two pages


async def test_rate_limits_server_errors_and_revocation(fake, adapter):
    octo = fake.add_user("octocat")
    token = await _login(adapter)
    account = await adapter.whoami(token)
    fake.fail(429, path="/users/octocat/events", retry_after_s=90)
    with pytest.raises(PlatformRateLimited) as caught:
        await adapter.fetch(token, account, None)
    assert abs(caught.value.until_ms - (time.time() + 90) * 1000) < 3000
    fake.fail(403, path="/users/octocat/events", reset_in_s=1200)  # primary limit
    with pytest.raises(PlatformRateLimited) as caught:
        await adapter.fetch(token, account, None)
    assert abs(caught.value.until_ms - (time.time() + 1200) * 1000) < 3000
    fake.fail(502, path="/users/")
    with pytest.raises(TransientError):
        await adapter.fetch(token, account, None)
    fake.revoke_user(octo)
    with pytest.raises(AuthRevoked):
        await adapter.fetch(token, account, None)


async def test_revoke_removes_the_grant(fake, adapter):
    fake.add_user("octocat")
    token = await _login(adapter)
    assert await adapter.revoke(token)
    with pytest.raises(AuthRevoked):
        await adapter.whoami(token)


async def test_github_has_nothing_to_publish_to(fake, adapter):
    fake.add_user("octocat")
    token = await _login(adapter)
    account = await adapter.whoami(token)
    with pytest.raises(Refused):
        await adapter.publish(token, account, OutgoingPost("hi"))
