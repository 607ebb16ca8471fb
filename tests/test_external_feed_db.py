"""The feed's merge of bridged items, on SQLite and PostgreSQL: only their user sees them, keyset
pages run across both sources, an item shared as her post is not listed twice, and a local
post's `external` block counts only when the service recorded it."""

from __future__ import annotations

from matrix_social.db import external_posts, external_shares, feed_rooms, posts
from matrix_social.db.external_posts import ExternalPostRow
from matrix_social.db.external_shares import ShareRow
from matrix_social.db.posts import PostRow
from matrix_social.external.registry import brandings
from matrix_social.social.feed import Feed
from matrix_social.social.feed_plan import FeedPlanner
from matrix_social.social.views import post_view

BRANDINGS = brandings()  # as the registered platforms declare them


async def feed_page(db, viewer: str, before, limit: int) -> list:
    """Her feed's rows as the service merges them (posts by the planned query, her bridged
    items by theirs)."""
    return await Feed(db, None, FeedPlanner(db), BRANDINGS).rows(viewer, before, limit)

ALICE, BOB = "@alice:hs", "@bob:hs"
BLOCK = {"kind": "text", "external": {"platform": "x", "id": "1", "url": "https://x.com/a/1"}}


def _item(n: int, user: str = ALICE, shared: str | None = None) -> ExternalPostRow:
    return ExternalPostRow(f"$item{n}", user, "!portal", "x", "10", str(n), "@x_10:hs", "text",
                           f"tweet {n}", {"body": f"tweet {n}", "m.matrix_os.social.post": BLOCK},
                           1000 + 10 * n, "Alice (X)", None, shared)


async def test_bridged_items_are_hers_paged_with_her_posts_and_never_twice(db):
    await feed_rooms.record(db, "!alice", ALICE, "@social:hs")
    for n in range(3):
        await posts.upsert(db, PostRow(f"$post{n}", "!alice", ALICE, "text", f"post {n}",
                                       {"body": f"post {n}"}, 1005 + 10 * n, None, None))
        await external_posts.insert(db, _item(n))
    await external_posts.insert(db, _item(9, shared="$post2"))  # shared: her post shows it

    first = await feed_page(db, ALICE, None, 4)
    assert [r["event_id"] for r in first] == ["$post2", "$item2", "$post1", "$item1"]
    rest = await feed_page(db, ALICE, (first[-1]["ts"], first[-1]["event_id"]), 4)
    assert [r["event_id"] for r in rest] == ["$post0", "$item0"]
    assert await feed_page(db, BOB, None, 10) == []

    view = post_view(first[1], "x_10", BRANDINGS)
    assert view["external"]["verified"] is True and view["external"]["platform"] == "x"


async def test_a_local_posts_external_block_counts_only_when_recorded(db):
    await feed_rooms.record(db, "!alice", ALICE, "@social:hs")
    for n, content in enumerate(({"body": "forged", "m.matrix_os.social.post": BLOCK},
                                 {"body": "shared", "m.matrix_os.social.post": BLOCK})):
        await posts.upsert(db, PostRow(f"$p{n}", "!alice", ALICE, "text", content["body"],
                                       content, 2000 + n, None, None))
    await external_shares.insert(db, ShareRow("$p1", ALICE, "!alice", "x", "10", "1"), 1)
    rows = {r["event_id"]: r for r in await feed_page(db, ALICE, None, 10)}
    assert "external" not in post_view(rows["$p0"], "alice", BRANDINGS)
    assert post_view(rows["$p1"], "alice", BRANDINGS)["external"]["verified"] is True
    # Another server's post: shown unverified, and only with a link on the platform's site.
    remote = dict(rows["$p0"])
    assert post_view(remote, "@carol:other", BRANDINGS)["external"]["verified"] is False
    remote["content"] = remote["content"].replace("https://x.com/a/1", "https://evil.example/1")
    assert "external" not in post_view(remote, "@carol:other", BRANDINGS)


async def test_a_viewer_without_bridged_items_skips_their_statement_until_one_is_stored(db):
    """Her first page found none, so her pages skip the bridged items' statement; an item
    stored for her (announced by the item bridge) is in her very next page."""
    await feed_rooms.record(db, "!alice", ALICE, "@social:hs")
    await posts.upsert(db, PostRow("$post0", "!alice", ALICE, "text", "post 0",
                                   {"body": "post 0"}, 1005, None, None))
    feed = Feed(db, None, FeedPlanner(db), BRANDINGS)
    assert [r["event_id"] for r in await feed.rows(ALICE, None, 10)] == ["$post0"]

    await external_posts.insert(db, _item(1))  # an outside writer: not announced
    assert [r["event_id"] for r in await feed.rows(ALICE, None, 10)] == ["$post0"]
    feed.external_added(ALICE)  # as ItemBridge does after storing one
    assert [r["event_id"] for r in await feed.rows(ALICE, None, 10)] == ["$item1", "$post0"]
    # With items, every page reads them (a cursor's empty result proves nothing).
    page = await feed.rows(ALICE, (1010, "$item1"), 10)
    assert [r["event_id"] for r in page] == ["$post0"]
    assert [r["event_id"] for r in await feed.rows(ALICE, None, 10)] == ["$item1", "$post0"]


async def test_cw_and_sensitive_are_read_only_in_their_own_types(db):
    """The API's `cw` and `sensitive` (finding 5): from the post block, a string (one line,
    bounded) and true; anything else a client wrote reads as no warning and not sensitive."""
    await feed_rooms.record(db, "!alice", ALICE, "@social:hs")
    blocks = {
        "$cw": {"kind": "text", "cw": "  spoilers\nahead ", "text": "the end",
                "sensitive": False},
        "$long": {"kind": "text", "cw": "w" * 5000, "sensitive": True},
        "$odd": {"kind": "text", "cw": 5, "sensitive": "yes", "text": "other"},
        "$none": {"kind": "text"},
    }
    for n, (event_id, block) in enumerate(blocks.items()):
        content = {"body": f"body {event_id}", "m.matrix_os.social.post": block}
        await posts.upsert(db, PostRow(event_id, "!alice", ALICE, "text", content["body"],
                                       content, 3000 + n, None, None))
    views = {r["event_id"]: post_view(r, "alice", BRANDINGS)
             for r in await feed_page(db, ALICE, None, 10)}
    assert (views["$cw"]["cw"], views["$cw"]["sensitive"], views["$cw"]["text"]) == (
        "spoilers ahead", False, "the end")  # the body holds only the spoiler fallback
    assert len(views["$long"]["cw"]) == 500 and views["$long"]["sensitive"] is True
    assert views["$long"]["text"] == "body $long"
    assert (views["$odd"]["cw"], views["$odd"]["sensitive"], views["$odd"]["text"]) == (
        None, False, "body $odd")
    assert (views["$none"]["cw"], views["$none"]["sensitive"]) == (None, False)
