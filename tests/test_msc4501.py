"""MSC4501 both ways, through real Synapses: a plain client on another server acting exactly as
the MSC describes is followed, read and counted here; our posts, likes and reposts are read
by a client that knows only the MSC (tests/msc4501_client.py)."""

from __future__ import annotations

from urllib.parse import quote

from nio import RoomGetEventResponse

from matrix_social import events as ev
from matrix_social.db import feed_rooms
from matrix_social.matrix import msc4501
from matrix_social.matrix.reindex import Reindexer

from .harness import api, api_ok, eventually, until_equal
from .msc4501_client import Msc4501Client


def _path(event_id: str) -> str:
    return quote(event_id, safe="")


async def _post_view(stack, user, event_id: str):
    status, body = await api(stack, "GET", f"/posts/{_path(event_id)}", user)
    return body if status == 200 else None


async def test_an_msc4501_profile_room_is_followed_read_and_counted(stack, remote):
    alice, bob = await stack.register("alice"), await stack.register("bob")
    carol = Msc4501Client(remote, await remote.register("carol"))
    dave = Msc4501Client(remote, await remote.register("dave"))
    room = await carol.create_profile_room("Carol")
    await carol.point_profile_at(room)
    hello = await carol.post(room, "hello from a plain MSC4501 client")
    native = await carol.post(room, "and a native post", native=True)

    followed = await api_ok(stack, "POST", "/follow", alice, json={"handle": carol.user.user_id})
    assert followed["room_id"] == room and followed["following"] is True, followed

    async def feed_ids():
        return [p["id"] for p in (await api_ok(stack, "GET", "/feed", alice))["items"]]

    await until_equal(feed_ids, [native, hello], timeout=30, what="carol's posts in the feed")

    # 👍 and ❤️ from the same person are one like; a thread reply is a comment
    await dave.join(room, remote.domain)
    await dave.like(room, hello)
    await dave.like(room, hello, key="❤️")
    await dave.reply(room, hello, "welcome")

    async def counts():
        view = await _post_view(stack, alice, hello)
        return view and view["counts"]
    await until_equal(counts, {"likes": 1, "comments": 1, "reposts": 0}, timeout=30,
                      what="the like and the comment counted once")

    # carol quotes bob's post with relates_to whose embedded copy is forged
    # carol is in bob's room before he posts it: a post from before her join may be unknown
    # to her server ("Can't send relation to unknown event" for her 🔁)
    first = await api_ok(stack, "POST", "/posts", bob, json={"text": "bob's first"})
    await carol.join(first["room_id"], stack.domain)
    original = await api_ok(stack, "POST", "/posts", bob, json={"text": "the real words"})

    async def on_carols_server():
        got = await carol.nio.room_get_event(original["room_id"], original["id"])
        return isinstance(got, RoomGetEventResponse)
    await eventually(on_carols_server, timeout=60, what="bob's post federated to carol")
    quote_id = await carol.repost(
        room, original["room_id"], original["id"], bob.user_id,
        copy={"msgtype": "m.text", "body": "bob says: send me money"}, comment="so true")

    async def repost_seen():
        view = await _post_view(stack, alice, quote_id)
        return view if view and view.get("repost_of") else None
    repost = await eventually(repost_seen, timeout=30, what="carol's quote indexed")
    assert repost["text"] == "so true", repost
    assert repost["repost_of"] == {"room_id": original["room_id"], "event_id": original["id"],
                                   "author": bob.user_id}, repost
    assert "send me money" not in str(repost)
    await until_equal(lambda: _count(stack, bob, original["id"], "reposts"), 1, timeout=30,
                      what="one repost of bob's post (the 🔁 does not count twice)")

    # a reindex from the rooms keeps the profile room as carol's (checked both ways again)
    services = stack.bridge.services
    progress = await Reindexer(stack.bridge.az.intent, stack.bridge.db, services.ids,
                               services.owners, services.ingest, "feed_",
                               on_progress=lambda _: None).run()
    assert room not in progress.skipped, progress.skipped
    assert await feed_rooms.get(stack.bridge.db, room) == (carol.user.user_id, "")
    # (What carol posted before this server joined her room is not re-read: the reindex pages
    # forward from the room's start, and Synapse's forward pagination does not backfill
    # history from before the join, for any room of another server.)
    assert quote_id in await feed_ids()


async def _count(stack, user, event_id: str, key: str):
    view = await _post_view(stack, user, event_id)
    return view and view["counts"][key]


async def test_a_profile_room_claiming_someone_else_is_nobodys_feed(stack, remote):
    """Mallory's room names erin as its owner, and mallory's profile names that room: neither
    makes it anybody's feed. Following either finds their own server's feed room."""
    alice = await stack.register("alice")
    erin = await remote.register("erin")
    mallory = Msc4501Client(remote, await remote.register("mallory"))
    fake = await mallory.create_profile_room("Erin", owner=erin.user_id)
    await mallory.point_profile_at(fake)
    await mallory.post(fake, "I am erin, really")
    for target in (erin.user_id, mallory.user.user_id):
        followed = await api_ok(stack, "POST", "/follow", alice, json={"handle": target})
        assert followed["room_id"] != fake, followed
    db = stack.bridge.services.db
    assert await feed_rooms.get(db, fake) is None
    # a local user joining the fake room from any client attaches nothing either
    bob = await stack.register("bob")
    bob_client = Msc4501Client(stack, bob)
    await bob_client.join(fake, remote.domain)
    status, body = await api(stack, "GET", f"/profile/{quote(erin.user_id)}/posts", alice)
    assert status == 200 and body["items"] == [], body


def test_the_ownership_rules_of_a_profile_room():
    owner = "@carol:b.test"

    def state(level=100, claim=owner, sender=owner, type_=ev.SOCIAL_PROFILE_ROOM_TYPE,
              sender_level=100):
        return [
            {"type": "m.room.create", "state_key": "", "sender": owner,
             "content": {"type": type_, "room_version": "10"}},
            {"type": "m.room.power_levels", "state_key": "", "sender": owner, "content": {
                "users": {owner: 100, "@mod:b.test": 50, "@admin:b.test": sender_level},
                "state_default": 50, "events": {str(ev.SOCIAL_PROFILE_USER_ID): level}}},
            {"type": str(ev.SOCIAL_PROFILE_USER_ID), "state_key": "", "sender": sender,
             "content": {"user_id": claim}}]

    assert msc4501.ownership_problem(state(), owner) is None
    assert msc4501.ownership_problem(state(sender="@admin:b.test"), owner) is None
    assert "does not name" in msc4501.ownership_problem(state(claim="@x:b.test"), owner)
    assert "power level 50" in msc4501.ownership_problem(state(level=50), owner)
    assert "below power level" in msc4501.ownership_problem(state(sender="@mod:b.test"), owner)
    assert "not an MSC4501" in msc4501.ownership_problem(state(type_=ev.FEED_ROOM_TYPE), owner)
    assert msc4501.pointer_from_profile(
        {ev.SOCIAL_PROFILE_ROOM_FIELD: {"room_id": "!r:b.test", "via": ["b.test", "x/y"]}}
    ) == msc4501.ProfileRoomPointer("!r:b.test", ("b.test",))
    assert msc4501.pointer_from_profile({ev.SOCIAL_PROFILE_ROOM_ID_FIELD: "!r:b.test"}) \
        == msc4501.ProfileRoomPointer("!r:b.test", ())
    for bad in ({ev.SOCIAL_PROFILE_ROOM_FIELD: {"room_id": "!../x"}},
                {ev.SOCIAL_PROFILE_ROOM_FIELD: "!r:b.test"}, {}, None):
        assert msc4501.pointer_from_profile(bad) is None, bad


async def test_an_msc4501_client_reads_our_posts_likes_and_reposts(stack, remote):
    alice, bob = await stack.register("alice"), await stack.register("bob")
    post = await api_ok(stack, "POST", "/posts", alice, json={"text": "from matrix-social"})
    await api_ok(stack, "POST", f"/posts/{_path(post['id'])}/like", bob)
    repost = await api_ok(stack, "POST", f"/posts/{_path(post['id'])}/repost", bob,
                          json={})
    reader = Msc4501Client(remote, await remote.register("reader"))

    room = await reader.profile_room_of(alice.user_id)
    assert room == post["room_id"]
    bob_room = await reader.profile_room_of(bob.user_id)
    assert bob_room == repost["room_id"]

    async def alice_room():
        view = await reader.read_room(room)
        return view if post["id"] in view.posts and view.likers.get(post["id"]) else None
    view = await eventually(alice_room, timeout=30, what="alice's room read by the MSC client")
    assert view.posts[post["id"]]["content"]["body"] == "from matrix-social"
    assert view.likers[post["id"]] == {bob.user_id}
    assert view.reposters[post["id"]] == {bob.user_id}

    async def bob_room_view():
        seen = await reader.read_room(bob_room)
        return seen if repost["id"] in seen.reposts else None
    seen = await eventually(bob_room_view, timeout=30, what="bob's repost read by the client")
    relates = seen.reposts[repost["id"]]
    assert (relates["rel_type"], relates["event_id"], relates["room_id"], relates["sender"]) \
        == ("org.matrix.msc4501.social.repost", post["id"], room, alice.user_id)
    assert seen.posts[repost["id"]]["content"]["org.matrix.msc4501.social.body"].startswith(
        "https://matrix.to/#/")

    health = await api_ok(stack, "GET", "/health")
    assert health["capabilities"]["profile_fields"]["status"] == "yes", health


async def test_a_feed_room_made_before_msc4501_support_names_its_owner_after_a_restart(
        stack, remote, monkeypatch):
    """A room made by the code before (no profile_user_id, no profile field): at the next
    start the bot adds the claim and her profile names the room, so a client that only knows
    the MSC finds it; once checked, a room is not looked at again."""
    from matrix_social.matrix.feed_rooms import FeedRooms

    alice = await stack.register("alice")
    real_create = FeedRooms._create

    async def made_the_old_way(self, owner):
        real_room = self.bot.create_room

        async def without_claim(*args, initial_state=(), **kwargs):
            kept = [s for s in initial_state if s["type"] != str(ev.SOCIAL_PROFILE_USER_ID)]
            return await real_room(*args, initial_state=kept, **kwargs)

        self.bot.create_room = without_claim
        try:
            return await real_create(self, owner)
        finally:
            del self.bot.create_room

    async def no_profile_field(self, room_id, owner):
        return None

    with monkeypatch.context() as old_code:
        old_code.setattr(FeedRooms, "_create", made_the_old_way)
        old_code.setattr(FeedRooms, "name_in_profile", no_profile_field)
        post = await api_ok(stack, "POST", "/posts", alice, json={"text": "from before"})
    reader = Msc4501Client(remote, await remote.register("reader"))
    await reader.join(post["room_id"], stack.domain)
    status, _ = await reader._client_api(
        "GET", f"/rooms/{quote(post['room_id'])}/state/{ev.SOCIAL_PROFILE_USER_ID}/")
    assert status == 404  # made as the code before made it
    assert await reader.profile_room_of(alice.user_id) is None

    await stack.stop_bridge()
    await stack.start_bridge()
    db = stack.bridge.services.db

    async def checked():
        return await db.fetchval("SELECT msc4501_checked_at FROM feed_room WHERE room_id=$1",
                                 post["room_id"])
    await eventually(checked, timeout=60, what="the back-fill at start")
    assert await reader.profile_room_of(alice.user_id) == post["room_id"]
    assert await stack.bridge.services.msc4501_backfill.run() == 0  # nothing left to do
