"""Bluesky: the real `atproto` SDK against the fake PDS (never a mocked SDK)."""

from __future__ import annotations

import pytest

from matrix_social.errors import AuthRevoked, PlatformRateLimited, Refused
from matrix_social.external.platform import Draft, Image, OutgoingPost
from matrix_social.external.platforms.bluesky import (
    BLUESKY_LIMIT,
    BlueskyAdapter,
    BlueskySettings,
    account_part,
    format_bluesky,
    graphemes,
    look,
)

from ..fakes.platforms.base import tiny_png
from ..fakes.platforms.bluesky import FakeBluesky

PASSWORD = "abcd-efgh-ijkl-mnop"


@pytest.fixture
async def fake():
    server = FakeBluesky()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
def adapter(fake):
    return BlueskyAdapter(BlueskySettings(service=fake.base_url, allow_loopback=True))


async def _connected(fake, adapter, handle="alice.test"):
    did = fake.add_account(handle, "Alice B.")
    token = await adapter.log_in(handle, PASSWORD)
    return did, token, await adapter.whoami(token)


async def test_app_password_login_keeps_the_session_not_the_password(fake, adapter):
    did, token, me = await _connected(fake, adapter)
    assert (me.id, me.handle, me.name) == (did, "alice.test", "Alice B.")
    assert me.url == "https://bsky.app/profile/alice.test" and account_part(me)
    assert token.extra == {"did": did, "handle": "alice.test", "pds": fake.base_url}
    assert token.refresh_token and token.expires_at_ms
    assert PASSWORD not in token.to_json() and token.access_token not in repr(token)
    with pytest.raises(Refused, match="did not accept"):
        await adapter.log_in("alice.test", "wrong-password")


async def test_a_pds_the_section_does_not_allow_is_refused(fake):
    fake.add_account("alice.test")
    strict = BlueskyAdapter(BlueskySettings(service=fake.base_url, allow_loopback=False))
    with pytest.raises(Refused, match="server this service does not use"):
        await strict.log_in("alice.test", PASSWORD)  # its DID document names http loopback
    fake.pds_endpoint = "http://169.254.169.254"
    loose = BlueskyAdapter(BlueskySettings(service=fake.base_url, allow_loopback=True))
    with pytest.raises(Refused):
        await loose.log_in("alice.test", PASSWORD)


async def test_refresh_rotates_and_the_old_refresh_token_dies(fake, adapter):
    _, token, me = await _connected(fake, adapter)
    fresh = await adapter.refresh(token)
    assert fresh.refresh_token != token.refresh_token and fresh.extra == token.extra
    with pytest.raises(AuthRevoked):
        await adapter.refresh(token)  # single use, as the PDS has it
    fake.expire_access()
    with pytest.raises(AuthRevoked):  # 400 ExpiredToken: Grants refreshes once, then breaks
        await adapter.fetch(fresh, me, None)
    fake.revoke_app_password(me.id)
    with pytest.raises(AuthRevoked):
        await adapter.refresh(fresh)


async def test_the_sdk_never_refreshes_silently(fake, adapter):
    """Grants owns refreshing (and stores the new pair first): a token near expiry is used as
    it is, never rotated by the SDK behind our back."""
    fake.access_ttl_s = 60  # the SDK refreshes 15 minutes before expiry
    _, token, me = await _connected(fake, adapter)
    await adapter.fetch(token, me, None)
    assert fake.count("/xrpc/com.atproto.server.refreshSession") == 0


async def test_reads_posts_reposts_quotes_images_and_link_cards(fake, adapter):
    did, token, me = await _connected(fake, adapter)
    bob = fake.add_account("bob.test", "Bob")
    photo = fake.post(did, "sunset", images=[("s", "The sun over the bay")])
    theirs = fake.post(bob, "bob's words")
    repost = fake.repost(did, theirs)
    quote = fake.post(did, "so true", quote=theirs)
    card = fake.post(did, "read this", card=("https://example.org/a", "A page"))
    fake.post(did, "a reply", reply_to=theirs)  # replies are not her posts
    fake.post(bob, "not hers")
    result = await adapter.fetch(token, me, None)
    by_id = {i.remote_id: i for i in result.items}
    assert list(by_id) == [photo, repost, quote, card]  # oldest first
    assert by_id[photo].media[0].alt == "The sun over the bay"
    assert by_id[repost].kind == "repost" and by_id[repost].text == "Reposted @bob.test: " \
        "bob's words" and by_id[repost].url.startswith("https://bsky.app/profile/bob.test/")
    assert by_id[quote].kind == "quote"
    assert look(by_id[quote], me).links[0][0] == "Quoting @bob.test: bob's words"
    assert look(by_id[card], me).links == (("A page", "https://example.org/a"),)
    assert all(i.url.startswith("https://bsky.app/profile/") for i in by_id.values())


async def test_cursor_pages_to_what_it_saw_and_deletions_are_noticed(fake, adapter):
    did, token, me = await _connected(fake, adapter)
    first = [fake.post(did, f"old {n}") for n in range(25)]
    result = await adapter.fetch(token, me, None)
    assert len(result.items) == 20  # a first sync never floods
    new = [fake.post(did, f"new {n}") for n in range(60)]  # more than one page
    fake.delete(first[-1])
    second = await adapter.fetch(token, me, result.cursor)
    assert [i.remote_id for i in second.items] == new
    assert first[-1] in second.deletions
    assert fake.count("/xrpc/app.bsky.feed.getAuthorFeed") == 3
    third = await adapter.fetch(token, me, second.cursor)
    assert third.items == [] and third.deletions == []


async def test_labels_are_the_content_warning(fake, adapter):
    did, token, me = await _connected(fake, adapter)
    fake.post(did, "careful", images=[("g", "")], labels=["graphic-media"])
    [item] = (await adapter.fetch(token, me, None)).items
    assert item.sensitive and item.content_warning == "Graphic media"


async def test_rate_limit_headers_are_read(fake, adapter):
    _, token, me = await _connected(fake, adapter)
    result = await adapter.fetch(token, me, None)
    assert result.hints.limit == 3000 and result.hints.remaining is not None
    fake.fail(429, path="/xrpc/app.bsky.feed.getAuthorFeed", reset_in_s=120)
    with pytest.raises(PlatformRateLimited) as caught:
        await adapter.fetch(token, me, None)
    assert caught.value.until_ms > 0


def test_length_is_graphemes_as_bluesky_counts():
    family = "👨‍👩‍👧‍👦"
    assert graphemes(family) == 1 and graphemes("e\u0301") == 1
    assert format_bluesky(Draft(family * 300)).truncated is False
    preview = format_bluesky(Draft("word " * 100, post_url="https://social.example/p/1"))
    assert preview.truncated and preview.length <= BLUESKY_LIMIT
    assert preview.text.endswith("https://social.example/p/1")
    assert format_bluesky(Draft("")).refusal


async def test_cross_post_with_facets_at_utf8_byte_offsets_and_image_alt(fake, adapter):
    did, token, me = await _connected(fake, adapter)
    bob = fake.add_account("bob.test")
    text = "héllo 🙂 @bob.test #tag https://example.org/x"
    published = await adapter.publish(token, me, OutgoingPost(
        text, images=(Image(tiny_png(), "image/png", "A tiny square"),)))
    record = fake.records[published.remote_id].value
    assert record["text"] == text and published.url.startswith(
        "https://bsky.app/profile/alice.test/post/")
    raw = text.encode()
    spans = {f["features"][0]["$type"].rsplit("#", 1)[1]:
             (raw[f["index"]["byteStart"]:f["index"]["byteEnd"]].decode(), f["features"][0])
             for f in record["facets"]}
    assert spans["mention"] == ("@bob.test", {"$type": "app.bsky.richtext.facet#mention",
                                              "did": bob})
    assert spans["tag"][0] == "#tag" and spans["link"][0] == "https://example.org/x"
    assert record["embed"]["images"][0]["alt"] == "A tiny square"
    assert fake.count("/xrpc/com.atproto.repo.uploadBlob") == 1


async def test_too_long_is_refused_before_any_request(fake, adapter):
    _, token, me = await _connected(fake, adapter)
    before = len(fake.requests)
    with pytest.raises(Refused, match="300"):
        await adapter.publish(token, me, OutgoingPost("a" * 301))
    with pytest.raises(Refused, match="1 MB"):
        await adapter.publish(token, me, OutgoingPost(
            "big", images=(Image(b"x" * 1_000_001, "image/png"),)))
    assert len(fake.requests) == before


async def test_delete_propagates_and_edit_is_refused_with_the_reason(fake, adapter):
    did, token, me = await _connected(fake, adapter)
    published = await adapter.publish(token, me, OutgoingPost("to be removed"))
    with pytest.raises(Refused, match="Bluesky has no edit"):
        await adapter.edit(token, me, published.remote_id, OutgoingPost("changed"))
    assert adapter.can_edit is False
    await adapter.delete(token, me, published.remote_id)
    assert published.remote_id not in fake.records
    other = fake.post(fake.add_account("bob.test"), "bob's")
    deletes = fake.count("/xrpc/com.atproto.repo.deleteRecord")
    with pytest.raises(Refused):  # never somebody else's record, whatever the id says
        await adapter.delete(token, me, other)
    assert other in fake.records
    assert fake.count("/xrpc/com.atproto.repo.deleteRecord") == deletes  # refused here
