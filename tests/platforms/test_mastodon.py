"""Mastodon: Mastodon.py and authlib against the fake instance."""

from __future__ import annotations

import io
import json
from dataclasses import replace

import pytest
from PIL import Image as PILImage

from matrix_social.errors import AuthRevoked, PlatformRateLimited, Refused, TransientError
from matrix_social.external.oauth import new_code_verifier, new_state
from matrix_social.external.platform import Image, OutgoingPost, TokenSet
from matrix_social.external.platforms.mastodon import (
    MastodonAdapter,
    MastodonSettings,
    html_to_text,
    register_app,
)

from ..fakes.platforms.mastodon import FakeMastodon
from .browser import authorize

REDIRECT = "https://social.example.org/callback/mastodon"
SETTINGS = MastodonSettings(redirect_uri=REDIRECT, allow_loopback=True)


@pytest.fixture
async def fake():
    server = FakeMastodon()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def adapter(fake):
    app = await register_app(SETTINGS, fake.base_url)
    return MastodonAdapter(SETTINGS, app)


async def _login(adapter: MastodonAdapter) -> TokenSet:
    verifier, state = new_code_verifier(), new_state()
    answer = await authorize(await adapter.authorize_url(state, verifier))
    assert answer["state"] == state
    return await adapter.exchange_code(answer["code"], verifier)


async def test_app_registration_is_returned_for_storage(fake):
    app = await register_app(SETTINGS, fake.base_url + "/")
    assert app.instance == fake.base_url and app.redirect_uri == REDIRECT
    assert app.client_id in fake.apps and fake.apps[app.client_id]["scopes"] == ["read", "write"]
    assert app.client_secret not in repr(app)
    assert fake.count("/api/v1/apps", "POST") == 1


async def test_registration_refuses_a_loopback_instance_without_the_setting(fake):
    with pytest.raises(Refused, match="https"):
        await register_app(MastodonSettings(redirect_uri=REDIRECT), fake.base_url)
    https = fake.base_url.replace("http://", "https://")
    with pytest.raises(Refused, match="private or local"):
        await register_app(MastodonSettings(redirect_uri=REDIRECT), https)
    assert fake.requests == []  # refused before any request


async def test_login_with_pkce_then_identity(fake, adapter):
    alice = fake.add_account("alice", "Alice M.")
    token = await _login(adapter)
    assert token.refresh_token is None and token.expires_at_ms is None
    assert await adapter.refresh(token) is token  # nothing to refresh on Mastodon
    me = await adapter.whoami(token)
    host = fake.base_url.removeprefix("http://")
    assert (me.id, me.handle, me.name, me.instance) == (alice, f"alice@{host}", "Alice M.",
                                                        fake.base_url)
    assert me.key == f"{alice}@{host}"
    authorize_query = next(r for r in fake.requests if r.path == "/oauth/authorize").query
    assert authorize_query["code_challenge_method"] == "S256"
    assert authorize_query["scope"] == "read write"


async def test_wrong_verifier_and_replayed_code_are_refused(fake, adapter):
    fake.add_account("alice")
    verifier = new_code_verifier()
    answer = await authorize(await adapter.authorize_url(new_state(), verifier))
    with pytest.raises(Refused):
        await adapter.exchange_code(answer["code"], new_code_verifier())
    answer = await authorize(await adapter.authorize_url(new_state(), verifier))
    await adapter.exchange_code(answer["code"], verifier)
    with pytest.raises(Refused):
        await adapter.exchange_code(answer["code"], verifier)


async def test_first_sync_20_then_new_ones_through_link_headers_and_restart(fake, adapter):
    alice = fake.add_account("alice")
    ids = [fake.post(alice, f"toot {n}") for n in range(25)]
    fake.post(alice, "a reply", in_reply_to_id=ids[0])
    token = await _login(adapter)
    account = await adapter.whoami(token)
    first = await adapter.fetch(token, account, None)
    assert [i.remote_id for i in first.items] == ids[-20:]
    assert first.items[-1].text == "toot 24" and first.items[-1].html == "<p>toot 24</p>"
    assert first.items[-1].url.endswith(f"/@alice/{ids[-1]}")
    assert first.hints.limit == 300 and first.hints.reset_at_ms is not None

    restarted = MastodonAdapter(SETTINGS, adapter.app)
    cursor = json.loads(json.dumps(first.cursor))
    assert (await restarted.fetch(token, account, cursor)).items == []
    new = [fake.post(alice, f"later {n}") for n in range(95)]  # three pages of 40
    later = await restarted.fetch(token, account, cursor)
    assert [i.remote_id for i in later.items] == new
    links = [r for r in fake.requests if r.path.endswith("/statuses") and "min_id" in r.query]
    assert len(links) >= 3  # followed rel="prev" page after page
    assert (await restarted.fetch(token, account, later.cursor)).items == []


async def test_only_public_and_unlisted_statuses_are_items(fake, adapter):
    """Finding 4: her own token sees her followers-only and direct statuses too (Mastodon's
    AccountStatusesFilter gives the author everything); none of them is ever an item, nor is
    a boost (of a followers-only status or any), even from a server that ignores
    exclude_reblogs."""
    alice = fake.add_account("alice")
    fake.honours_exclude_reblogs = False
    shown = [fake.post(alice, "public before")]
    fake.post(alice, "followers before", visibility="private")
    fake.post(alice, "direct before", visibility="direct")
    shown.append(fake.post(alice, "unlisted before", visibility="unlisted"))
    token = await _login(adapter)
    account = await adapter.whoami(token)
    first = await adapter.fetch(token, account, None)
    assert [i.remote_id for i in first.items] == shown
    secret = fake.post(alice, "followers now", visibility="private")
    fake.reblog(alice, secret)
    fake.reblog(alice, shown[0])
    fake.post(alice, "direct now", visibility="direct")
    later = fake.post(alice, "public now")
    second = await adapter.fetch(token, account, first.cursor)
    assert [i.text for i in second.items] == ["public now"]
    served = [r for r in fake.requests if r.path.startswith("/api/v1/accounts/")
              and r.path.endswith("/statuses")][-1]
    assert served.query.get("exclude_reblogs") in ("true", "True", "1")  # we asked anyway
    # Nothing private is fetched again either: the cursor moved past it.
    assert (await adapter.fetch(token, account, second.cursor)).items == []

    # Mastodon lets no edit change visibility; were a status made followers-only afterwards,
    # it would be taken back like a deletion.
    fake.set_visibility(later, "private")
    fake.set_visibility(shown[1], "direct")
    third = await adapter.fetch(token, account, second.cursor)
    assert sorted(third.deletions) == sorted([later, shown[1]]) and third.edits == []


async def test_a_content_warning_and_sensitive_media_come_as_such(fake, adapter):
    """Finding 5: spoiler_text is the item's content warning (no longer a "CW:" prefix in
    clear before the text) and `sensitive` marks its media."""
    alice = fake.add_account("alice")
    token = await _login(adapter)
    account = await adapter.whoami(token)
    first = await adapter.fetch(token, account, None)
    fake.post(alice, "the ending", spoiler_text="  film\nspoilers ")
    fake.post(alice, "a picture", media_ids=[fake.add_media(alice)], sensitive=True)
    plain = fake.post(alice, "plain")
    second = await adapter.fetch(token, account, first.cursor)
    cw, picture, bare = second.items
    assert (cw.text, cw.content_warning, cw.sensitive) == ("the ending", "film spoilers", True)
    assert (picture.content_warning, picture.sensitive, len(picture.media)) == (None, True, 1)
    assert (bare.content_warning, bare.sensitive) == (None, False)
    fake.edit(plain, "plain, edited", spoiler_text="now hidden")
    third = await adapter.fetch(token, account, second.cursor)
    assert [(e.text, e.content_warning) for e in third.edits] == [("plain, edited",
                                                                    "now hidden")]


async def test_edits_and_deletions(fake, adapter):
    alice = fake.add_account("alice")
    token = await _login(adapter)
    account = await adapter.whoami(token)
    first = await adapter.fetch(token, account, None)
    keep, edited, gone = (fake.post(alice, t) for t in ("keep", "tpyo", "regret"))
    second = await adapter.fetch(token, account, first.cursor)
    assert [i.text for i in second.items] == ["keep", "tpyo", "regret"]
    fake.edit(edited, "typo\n\nfixed")
    fake.delete(gone)
    third = await adapter.fetch(token, account, second.cursor)
    assert third.items == []
    assert [(e.remote_id, e.text) for e in third.edits] == [(edited, "typo\n\nfixed")]
    assert third.edits[0].edited_at_ms is not None
    assert third.deletions == [gone]
    fourth = await adapter.fetch(token, account, third.cursor)
    assert (fourth.edits, fourth.deletions) == ([], [])
    assert keep


async def test_edits_and_deletions_before_4_3_one_status_at_a_time(fake):
    fake.version = "4.2.10"
    adapter = MastodonAdapter(SETTINGS, await register_app(SETTINGS, fake.base_url))
    alice = fake.add_account("alice")
    token = await _login(adapter)
    account = await adapter.whoami(token)
    first = await adapter.fetch(token, account, None)
    edited, gone = fake.post(alice, "one"), fake.post(alice, "two")
    second = await adapter.fetch(token, account, first.cursor)
    fake.edit(edited, "one, edited")
    fake.delete(gone)
    third = await adapter.fetch(token, account, second.cursor)
    assert [e.text for e in third.edits] == ["one, edited"] and third.deletions == [gone]
    assert fake.count("/api/v1/statuses/", "GET") == 2 and fake.count("/api/v1/statuses?") == 0


async def test_429_500_and_revocation(fake, adapter):
    alice = fake.add_account("alice")
    token = await _login(adapter)
    account = await adapter.whoami(token)
    fake.fail(429, path=f"/api/v1/accounts/{alice}/statuses", reset_in_s=300)
    with pytest.raises(PlatformRateLimited) as caught:
        await adapter.fetch(token, account, None)
    import time
    assert abs(caught.value.until_ms - (time.time() + 300) * 1000) < 3000
    fake.fail(500, path="/api/v1/accounts/")
    with pytest.raises(TransientError):
        await adapter.fetch(token, account, None)
    fake.fail(502, path="/api/v1/accounts/")
    with pytest.raises(TransientError):
        await adapter.fetch(token, account, None)
    fake.revoke_user(alice)
    with pytest.raises(AuthRevoked):
        await adapter.fetch(token, account, None)


async def test_revoke(fake, adapter):
    fake.add_account("alice")
    token = await _login(adapter)
    assert await adapter.revoke(token)
    with pytest.raises(AuthRevoked):
        await adapter.whoami(token)


def _png() -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", (8, 8), (255, 128, 0)).save(out, "PNG")
    return out.getvalue()


async def test_publish_with_idempotency_key_edit_and_delete(fake, adapter):
    alice = fake.add_account("alice")
    token = await _login(adapter)
    account = await adapter.whoami(token)
    # The visibility of cross-posts is the instance's setting (platforms.mastodon_visibility).
    adapter = MastodonAdapter(replace(SETTINGS, visibility="unlisted"), adapter.app)
    post = OutgoingPost("hello fediverse", images=(Image(_png(), "image/png", "orange"),),
                        idempotency_key="post-$abc-mastodon")
    first = await adapter.publish(token, account, post)
    again = await adapter.publish(token, account, post)  # a retry after a lost answer
    assert again.remote_id == first.remote_id
    assert [s.text for s in fake.of(alice)] == ["hello fediverse"]
    status = fake.statuses[first.remote_id]
    assert status.visibility == "unlisted" and len(status.media_ids) == 1
    assert fake.media[status.media_ids[0]]["description"] == "orange"
    assert all(r.headers.get("Idempotency-Key") == "post-$abc-mastodon"
               for r in fake.requests if r.path == "/api/v1/statuses" and r.method == "POST")

    edited = await adapter.edit(token, account, first.remote_id, OutgoingPost("hello, edited"))
    assert edited.remote_id == first.remote_id
    assert fake.statuses[first.remote_id].text == "hello, edited"
    assert fake.statuses[first.remote_id].edited_at is not None
    await adapter.delete(token, account, first.remote_id)
    assert fake.of(alice) == []
    await adapter.delete(token, account, first.remote_id)  # already gone: fine


async def test_instance_character_limit(fake):
    fake.max_characters = 1000
    adapter = MastodonAdapter(SETTINGS, await register_app(SETTINGS, fake.base_url))
    fake.add_account("alice")
    info = await adapter.instance_info()
    assert (info.max_characters, info.characters_reserved_per_url, info.version) == (
        1000, 23, "4.3.0")
    token = await _login(adapter)
    account = await adapter.whoami(token)
    assert await adapter.publish(token, account, OutgoingPost("x" * 1000))
    with pytest.raises(Refused, match="character limit of 1000"):
        await adapter.publish(token, account, OutgoingPost("y" * 1001))


async def test_a_hostile_instance_cannot_make_us_read_a_local_file(fake, tmp_path):
    """Mastodon.py reads a file named by the access token given to its constructor."""
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text("CONTENT-OF-A-LOCAL-FILE\n")
    fake.hostile["access_token"] = str(secret_file)
    adapter = MastodonAdapter(SETTINGS, await register_app(SETTINGS, fake.base_url))
    fake.add_account("alice")
    with pytest.raises(Refused):
        await _login(adapter)
    # Even if such a token were stored, it is sent as itself, never as the file's content.
    token = TokenSet(str(secret_file))
    with pytest.raises(AuthRevoked):
        await adapter.whoami(token)
    sent = [r.headers.get("Authorization", "") for r in fake.requests]
    assert not any("CONTENT-OF-A-LOCAL-FILE" in h for h in sent)


async def test_a_hostile_instance_cannot_inject_script_links(fake, adapter):
    alice = fake.add_account("alice")
    fake.post(alice, "<script>alert(1)</script> & more")
    fake.hostile.update({"status_url": "javascript:alert(1)", "avatar": "data:text/html,x",
                         "account_url": "javascript:alert(2)"})
    token = await _login(adapter)
    account = await adapter.whoami(token)
    assert account.avatar_url is None and account.url.startswith(fake.base_url + "/@alice")
    item = (await adapter.fetch(token, account, None)).items[0]
    assert item.url.startswith("http") and "javascript" not in item.url
    assert item.text == "<script>alert(1)</script> & more"  # text, never markup


async def test_a_hostile_app_registration_is_refused(fake):
    fake.hostile["client_id"] = "../../etc/passwd"
    with pytest.raises(Refused):
        await register_app(SETTINGS, fake.base_url)


def test_html_to_text():
    assert html_to_text("<p>a &amp; b<br />c</p><p>d</p>") == "a & b\nc\n\nd"
    assert html_to_text("<p>&amp;lt;b&amp;gt;</p>") == "&lt;b&gt;"  # decoded once
    assert html_to_text('<p><a href="https://x.org">link</a> <span>#tag</span></p>') == \
        "link #tag"


async def test_after_an_empty_first_sync_everything_new_comes(fake, adapter):
    alice = fake.add_account("alice")
    token = await _login(adapter)
    account = await adapter.whoami(token)
    empty = await adapter.fetch(token, account, None)
    assert empty.items == [] and empty.cursor is not None
    ids = [fake.post(alice, f"n{n}") for n in range(30)]
    assert [i.remote_id for i in (await adapter.fetch(token, account, empty.cursor)).items] == ids


async def test_home_timeline_only_public_and_unlisted_of_others_with_their_cw(fake, adapter):
    alice = fake.add_account("alice")
    bob, carol = fake.add_account("bob", "Bob"), fake.add_account("carol")
    fake.follow(alice, bob)
    fake.follow(alice, carol)
    token = await _login(adapter)
    me = await adapter.whoami(token)
    fake.post(bob, "before")
    first = await adapter.fetch_home(token, me, None)
    assert [i.text for i in first.items] == ["@bob: before"]
    fake.post(bob, "for everyone")
    fake.post(bob, "followers only", visibility="private")
    fake.post(bob, "quietly", visibility="unlisted", spoiler_text="Spoilers")
    fake.post(alice, "mine, read by fetch()")
    fake.reblog(carol, fake.post(bob, "worth a boost"))
    later = await adapter.fetch_home(token, me, first.cursor)
    texts = [i.text for i in later.items]
    assert texts == ["@bob: for everyone", "@bob: quietly", "@bob: worth a boost",
                     "@carol boosted @bob: worth a boost"]
    assert all(i.kind == "home" and i.remote_id.startswith("home:") for i in later.items)
    assert later.items[1].content_warning == "Spoilers"
    assert later.items[0].extra["by"]["handle"] == "bob" and later.items[0].extra["by"]["id"] == bob
    assert (await adapter.fetch_home(token, me, later.cursor)).items == []
