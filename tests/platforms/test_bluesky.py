"""Bluesky: the real `atproto` SDK against the fake PDS (never a mocked SDK)."""

from __future__ import annotations

import unicodedata

import pytest
import regex
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matrix_social.errors import AuthRevoked, PlatformRateLimited, Refused
from matrix_social.external.platform import Draft, Image, OutgoingPost
from matrix_social.external.platforms.bluesky import (
    BLUESKY_LIMIT,
    MAX_POST_BYTES,
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
    flags = "🇫🇷" * 300  # 300 graphemes, 600 code points, 2,400 bytes: one post
    one = format_bluesky(Draft(flags))
    assert (one.text, one.parts, one.length, one.truncated) == (flags, (), 300, False)
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


# --- long posts: threads ---------------------------------------------------------------------

FAMILY = "👨‍👩‍👧‍👦"  # one grapheme: four emoji joined by ZWJ
MARKED = "q\u0323\u0307"  # one grapheme: q, a dot below and one above (in NFC, no precomposed)
LONG = " ".join([
    "Matrix rooms are the truth here, and the index only follows them.",
    "We built feeds, likes and threaded comments on plain events, so any client can read them.",
    "Ask @bob.test about the federation tests: he wrote most of them, and they run on loopback.",
    "Every post may go out to other networks too, formatted as each one counts its characters.",
    f"On Bluesky a long post is now a thread {FAMILY} of replies, cut between sentences.",
    f"Accents stay whole: {MARKED} is one letter, however it is written.",
    "Read the design at https://example.org/design/threads and tell us what you think.",
    "Tagging it #matrix so people find it, and #bluesky for the other side.",
    "That is all for today.",
])
LINK_BACK = "https://matrix.to/#/!feed:hs/$post1"


def _fits(text: str) -> bool:
    return graphemes(text) <= BLUESKY_LIMIT and len(text.encode()) <= MAX_POST_BYTES


def _clusters(text: str) -> list[str]:
    return regex.findall(r"\X", text)


def _refs(record) -> tuple[tuple[str, str], tuple[str, str]]:
    """(root, parent) of a reply, each (uri, cid)."""
    reply = record.value["reply"]
    return tuple((reply[k]["uri"], reply[k]["cid"]) for k in ("root", "parent"))


def _spans(record: dict) -> list[tuple[str, str, str]]:
    """(kind, the text the facet covers, its value) of each facet, from the record's bytes."""
    raw = record["text"].encode()
    found = []
    for facet in record.get("facets") or []:
        feature = facet["features"][0]
        kind = feature["$type"].rsplit("#", 1)[1]
        covered = raw[facet["index"]["byteStart"]:facet["index"]["byteEnd"]].decode()
        found.append((kind, covered, feature.get("did") or feature.get("uri")
                      or feature.get("tag")))
    return found


async def test_a_long_post_is_a_thread_of_replies_with_facets_per_part(fake, adapter):
    did, token, me = await _connected(fake, adapter)
    bob = fake.add_account("bob.test")
    preview = format_bluesky(Draft(LONG, LINK_BACK))
    assert len(preview.parts) == 3 and not preview.truncated
    assert preview.text == "\n\n".join(p.sent for p in preview.parts)
    published = await adapter.publish(token, me, OutgoingPost(
        preview.text, images=(Image(tiny_png(), "image/png", "A tiny square"),),
        parts=preview.parts))
    thread = fake.thread(published.remote_id)
    assert [r.value["text"] for r in thread] == [p.sent for p in preview.parts]
    assert len(fake.posts_of(did)) == 3
    root, second, third = thread
    assert "reply" not in root.value and root.value["embed"]["images"][0]["alt"] == \
        "A tiny square"
    assert _refs(second) == ((root.uri, root.cid), (root.uri, root.cid))
    assert _refs(third) == ((root.uri, root.cid), (second.uri, second.cid))
    assert "embed" not in second.value and "embed" not in third.value
    assert fake.count("/xrpc/com.atproto.repo.uploadBlob") == 1
    for n, record in enumerate(thread, start=1):
        text = record.value["text"]
        assert text.endswith(f" {n}/3") and _fits(text)
        assert text[:-5].rstrip() == text[:-5] and text[0] != " "  # trimmed at both ends
    # Split between sentences, nothing lost or added.
    assert [p.text[-1] for p in preview.parts[:2]] == [".", "."]
    assert " ".join(p.text for p in preview.parts) == LONG
    # Each facet at the byte offsets of its own part, covering exactly its entity.
    spans = [_spans(r.value) for r in thread]
    assert spans[0] == [("mention", "@bob.test", bob)]
    assert spans[1] == []
    assert sorted(spans[2]) == sorted([
        ("link", "https://example.org/design/threads", "https://example.org/design/threads"),
        ("tag", "#matrix", "matrix"), ("tag", "#bluesky", "bluesky")])
    assert FAMILY in second.value["text"] and MARKED in second.value["text"]


async def test_a_short_post_is_still_one_record(fake, adapter):
    did, token, me = await _connected(fake, adapter)
    preview = format_bluesky(Draft("Short and sweet #one", LINK_BACK))
    assert (preview.text, preview.parts) == ("Short and sweet #one", ())
    published = await adapter.publish(token, me, OutgoingPost(preview.text))
    [record] = fake.posts_of(did)
    assert record.uri == published.remote_id and record.value["text"] == "Short and sweet #one"
    assert "reply" not in record.value
    assert _spans(record.value) == [("tag", "#one", "one")]
    assert regex.fullmatch(r"[234567a-j][234567a-z]{12}", record.uri.rsplit("/", 1)[1])


def test_splits_never_cut_a_grapheme_cluster():
    """Without a space anywhere the text is cut between clusters: joined again, the parts are
    the text, cluster for cluster."""
    for unit in (FAMILY, MARKED, "🇫🇷", "क्षि", "a\u0332"):
        text = unit * 700
        parts = format_bluesky(Draft(text)).parts
        assert len(parts) >= 3 and all(_fits(p.sent) for p in parts)
        assert "".join(p.text for p in parts) == text
        assert [c for p in parts for c in _clusters(p.text)] == _clusters(text)
        assert parts[0].cut_after and parts[1].cut_before and not parts[0].cut_before


_PIECES = st.sampled_from([
    "word", "a", "Sentence.", "end!", "why?", "(aside).", "@bob.test", "#tag",
    "https://example.org/a/long/path?with=query", FAMILY, MARKED, "🇫🇷", "e\u0301",
    "日本語の文です。", "x" * 120, "\u200b", "ﷺ"])
_GAPS = st.sampled_from([" ", " ", " ", "  ", "\n", "\n\n", "\t", "\u3000"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_PIECES, _GAPS), min_size=1, max_size=160))
def test_every_split_is_valid_and_loses_nothing(pieces):
    text = unicodedata.normalize("NFC", "".join(piece + gap for piece, gap in pieces).strip())
    preview = format_bluesky(Draft(text, LINK_BACK))
    parts = preview.parts or ()
    if not parts:
        assert preview.text == text and _fits(text)
        return
    assert not preview.truncated
    for n, part in enumerate(parts, start=1):
        assert part.text and part.text == part.text.strip()
        assert part.numbering == f" {n}/{len(parts)}" and _fits(part.sent)
    # In order, each part where the text has it, each edge between two clusters.
    edges = {m.end() for m in regex.finditer(r"\X", text)} | {0}
    position = 0
    for part in parts:
        start = text.index(part.text, position)
        assert text[position:start].strip() == "" and {start, start + len(part.text)} <= edges
        position = start + len(part.text)
    assert position == len(text)


async def test_crafted_text_still_makes_valid_parts(fake, adapter):
    """What an attacker might send to break the split: a single word or link longer than a
    post, one grapheme cluster over Bluesky's 3,000 bytes by itself, invisible characters,
    spaces that would leave a part empty. Each part is a post the PDS takes (the fake checks
    as the PDS does), none is empty, nothing is lost; a piece of a cut link is no link."""
    did, token, me = await _connected(fake, adapter)
    url = "https://example.org/" + "a" * 380
    zalgo = "a" + "\u0332" * 3000  # one cluster, 6,001 bytes
    chain = "\u200d".join(["👨"] * 500)  # one cluster, 3,497 bytes
    crafted = {
        "url": url, "word": "w" * 400, "url in words": f"see {url} now",
        "zalgo": zalgo, "chain": chain, "invisible": "\u200b" * 400,
        "spaces": "a" + " " * 2000 + "b" + "\n" * 500 + "c",
        "just over": "x" * 297 + " yyy",  # the numbering must not push a part past 300
    }
    for name, text in crafted.items():
        preview = format_bluesky(Draft(text, LINK_BACK))
        parts = preview.parts or (None,)
        published = await adapter.publish(token, me, OutgoingPost(
            preview.text, parts=preview.parts))
        records = fake.thread(published.remote_id)
        assert len(records) == len(parts), name
        for record in records:
            sent = record.value["text"]
            assert sent.strip() and _fits(sent), name
            assert all(kind != "link" or value == url for kind, _, value in
                       _spans(record.value)), name  # never a link to a piece of the URL
        if preview.parts:
            joined = "".join(p.text for p in preview.parts)
            assert regex.sub(r"\s", "", joined) == regex.sub(r"\s", "", text), name
    assert graphemes(zalgo) == 1 and len(zalgo.encode()) > MAX_POST_BYTES
