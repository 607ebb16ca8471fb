"""MSC4501 group rooms and knocks, through real Synapses: a group made by a plain client that
knows only the MSC (tests/msc4501_client.py) is followed from our API, its members' posts fill
the follower's feed with the group named; a knock-only room makes the follow pending until
the room's admin invites her; and what a group cannot do: be anybody's feed, make a post of
somebody else's words, be followed before it said yes."""

from __future__ import annotations

import asyncio
from urllib.parse import quote

from matrix_social import events as ev
from matrix_social.db import feed_rooms, follows, group_rooms
from matrix_social.matrix.reindex import Reindexer

from .harness import api, api_ok, eventually, until_equal
from .msc4501_client import Msc4501Client


def _path(event_id: str) -> str:
    return quote(event_id, safe="")


async def _feed(stack, user) -> list[dict]:
    return (await api_ok(stack, "GET", "/feed", user))["items"]


async def _feed_ids(stack, user) -> list[str]:
    return [p["id"] for p in await _feed(stack, user)]


async def _counts(stack, user, event_id):
    status, body = await api(stack, "GET", f"/posts/{_path(event_id)}", user)
    return body["counts"] if status == 200 else None


async def _state(stack, user, room_id):
    items = (await api_ok(stack, "GET", "/follows", user))["items"]
    return next((i["state"] for i in items if i["room_id"] == room_id), None)


async def test_a_group_on_another_server_is_followed_and_its_members_posts_fill_the_feed(
        stack, remote):
    alice = await stack.register("alice")
    dave = Msc4501Client(remote, await remote.register("dave"))
    erin = Msc4501Client(remote, await remote.register("erin"))
    room = await dave.create_group_room("Birdwatchers", alias=f"birds{dave.user.localpart}")
    await erin.join(room, remote.domain)
    first = await dave.post(room, "first sighting")

    followed = await api_ok(stack, "POST", "/follow", alice,
                            json={"room": f"#birds{dave.user.localpart}:{remote.domain}"})
    assert followed["room_id"] == room and followed["state"] == "following", followed
    assert followed["group"] == {"room_id": room, "name": "Birdwatchers"}, followed
    # dave, erin and alice are members: the group's followers (MSC4501 §Following)
    assert followed["followers_count"] == 3, followed

    native = await erin.post(room, "a heron, native", native=True)
    await until_equal(lambda: _feed_ids(stack, alice), [native, first], timeout=30,
                      what="both members' posts in alice's feed")
    items = {p["id"]: p for p in await _feed(stack, alice)}
    assert items[native]["author"]["user_id"] == erin.user.user_id
    assert items[first]["author"]["user_id"] == dave.user.user_id
    assert items[native]["group"] == {"room_id": room, "name": "Birdwatchers"}

    # 👍 and ❤️ by one person are one like; a thread reply is a comment; a relates_to repost
    await erin.like(room, first)
    await erin.like(room, first, key="❤️")
    await erin.reply(room, first, "nice")
    await until_equal(lambda: _counts(stack, alice, first),
                      {"likes": 1, "comments": 1, "reposts": 0}, timeout=30,
                      what="like and comment counted once")
    quote_id = await erin.repost(room, room, first, dave.user.user_id,
                                 copy={"msgtype": "m.text", "body": "forged words"},
                                 comment="look")
    await until_equal(lambda: _counts(stack, alice, first),
                      {"likes": 1, "comments": 1, "reposts": 1}, timeout=30,
                      what="the repost counted once (the 🔁 not twice)")
    # alice likes through our API: 👍 in the group, a second like
    await api_ok(stack, "POST", f"/posts/{_path(first)}/like", alice)
    await until_equal(lambda: _counts(stack, alice, first),
                      {"likes": 2, "comments": 1, "reposts": 1}, timeout=30,
                      what="alice's like counted")
    repost = await api_ok(stack, "GET", f"/posts/{_path(quote_id)}", alice)
    assert repost["repost_of"]["author"] == dave.user.user_id and "forged" not in str(repost)

    # the name follows the room's; the follows list shows the group
    status, _ = await dave._client_api("PUT", f"/rooms/{quote(room)}/state/m.room.name/",
                                       {"name": "Heron club"})
    assert status == 200

    async def group_name():
        return (await api_ok(stack, "GET", f"/posts/{_path(first)}", alice))["group"]["name"]
    await until_equal(group_name, "Heron club", timeout=30, what="the group's new name")
    assert await _state(stack, alice, room) == "following"

    # unfollow: a leave; the group's posts leave her feed
    gone = await api_ok(stack, "DELETE", f"/unfollow?room={quote(room)}", alice)
    assert gone["state"] == "none" and gone["followers_count"] == 2, gone
    assert await _feed_ids(stack, alice) == []
    await until_equal(lambda: dave.membership(room, alice.user_id), "leave", timeout=30,
                      what="her leave on the group's server")


async def test_following_a_knock_only_group_is_pending_until_its_admin_invites(stack):
    alice, bob = await stack.register("alice"), await stack.register("bob")
    carol = Msc4501Client(stack, await stack.register("carol"))
    room = await carol.create_group_room("Quiet club", join_rule="knock")
    before = await carol.post(room, "before anybody asked")

    asked = await api_ok(stack, "POST", "/follow", alice, json={"room": room})
    assert asked["state"] == "pending" and asked["following"] is False, asked
    assert await carol.membership(room, alice.user_id) == "knock"
    assert await _state(stack, alice, room) == "pending"
    await carol.post(room, "while she waits")
    # nothing of a room none of ours has joined is read
    assert await group_rooms.get(stack.bridge.services.db, room) is None
    assert await _feed_ids(stack, alice) == []

    await carol.invite(room, alice.user_id)
    await until_equal(lambda: _state(stack, alice, room), "following", timeout=30,
                      what="the invite accepted, the follow active")
    assert await carol.membership(room, alice.user_id) == "join"
    after = await carol.post(room, "welcome in")
    await eventually(lambda: _has(stack, alice, after), timeout=30, what="the feed fills")
    assert before in await _feed_ids(stack, alice)  # the room's latest posts, read on joining

    # bob knocks too and is refused: the request ends and says so
    assert (await api_ok(stack, "POST", "/follow", bob, json={"room": room}))["state"] \
        == "pending"
    await carol.kick(room, bob.user_id, reason="members only")
    await until_equal(lambda: _state(stack, bob, room), "refused", timeout=30,
                      what="the refused knock")
    items = (await api_ok(stack, "GET", "/follows", bob))["items"]
    assert "members only" in items[0]["reason"], items
    assert await _feed_ids(stack, bob) == []


async def _has(stack, user, event_id):
    return event_id in await _feed_ids(stack, user)


async def test_an_unanswered_knock_stays_pending_and_is_withdrawn_by_unfollowing(stack):
    alice = await stack.register("alice")
    carol = Msc4501Client(stack, await stack.register("carol"))
    room = await carol.create_group_room("Never answers", join_rule="knock")
    assert (await api_ok(stack, "POST", "/follow", alice, json={"room": room}))["state"] \
        == "pending"
    # asking again changes nothing
    assert (await api_ok(stack, "POST", "/follow", alice, json={"room": room}))["state"] \
        == "pending"
    await carol.post(room, "unseen")
    assert await _feed_ids(stack, alice) == []
    assert await follows.count_followers(stack.bridge.services.db, room) == 0
    # an invite nobody asked for is no follow: it is left as it is
    bob = await stack.register("bob")
    await carol.invite(room, bob.user_id)
    await asyncio.sleep(3)
    assert await carol.membership(room, bob.user_id) == "invite"
    assert await _state(stack, bob, room) is None
    withdrawn = await api_ok(stack, "DELETE", f"/unfollow?room={quote(room)}", alice)
    assert withdrawn["state"] == "none", withdrawn
    assert await carol.membership(room, alice.user_id) == "leave"
    assert await _state(stack, alice, room) is None


async def test_a_group_cannot_pose_as_anybodys_feed_or_profile(stack, remote):
    """Mallory's group names erin as its owner in every way a state event can (our feed
    state, MSC4501's profile_user_id) and her profile names the group as her profile room:
    it is followed as a group only, her posts in it are hers, nobody's feed."""
    alice = await stack.register("alice")
    erin = await remote.register("erin")
    mallory = Msc4501Client(remote, await remote.register("mallory"))
    room = await mallory.create_group_room("Erin", extra_state=[
        {"type": str(ev.FEED_STATE), "state_key": "", "content": {"owner": erin.user_id}},
        {"type": str(ev.SOCIAL_PROFILE_USER_ID), "state_key": "",
         "content": {"user_id": erin.user_id}}])
    await mallory.point_profile_at(room)
    said = await mallory.post(room, "I am erin, really")
    for target in (erin.user_id, mallory.user.user_id):
        status, body = await api(stack, "POST", "/follow", alice, json={"handle": target})
        assert status != 200 or body["room_id"] != room, body
    # her profile room, by id, is no group either
    profile = await mallory.create_profile_room("Mallory")
    status, body = await api(stack, "POST", "/follow", alice,
                             json={"room": profile, "via": remote.domain})
    assert status == 400 and body["errcode"] == "M_INVALID_PARAM", body
    followed = await api_ok(stack, "POST", "/follow", alice,
                            json={"room": room, "via": remote.domain})
    assert followed["state"] == "following" and followed["group"]["name"] == "Erin"
    db = stack.bridge.services.db
    assert await feed_rooms.get(db, room) is None
    await eventually(lambda: _has(stack, alice, said), timeout=30, what="mallory's post")
    post = next(p for p in await _feed(stack, alice) if p["id"] == said)
    assert post["author"]["user_id"] == mallory.user.user_id
    status, body = await api(stack, "GET", f"/profile/{quote(erin.user_id)}/posts", alice)
    assert status != 200 or body["items"] == [], body
    # a feed room is never followed as a group
    bob = await stack.register("bob")
    mine = await api_ok(stack, "POST", "/posts", bob, json={"text": "bob's"})
    # our feed rooms stay public: a knock on one is refused by the homeserver, a join follows
    status, body = await mallory.knock(mine["room_id"], stack.domain)
    assert status == 403, (status, body)
    status, body = await api(stack, "POST", "/follow", alice, json={"room": mine["room_id"]})
    assert status == 400 and body["errcode"].startswith("M_"), body
    assert await group_rooms.get(db, mine["room_id"]) is None


async def test_a_forged_post_and_a_group_that_bans_our_follower(stack):
    alice = await stack.register("alice")
    carol = Msc4501Client(stack, await stack.register("carol"))
    mallory = Msc4501Client(stack, await stack.register("mallory"))
    room = await carol.create_group_room("Gardeners")
    real = await carol.post(room, "tomatoes are up")
    await api_ok(stack, "POST", "/follow", alice, json={"room": room})
    await eventually(lambda: _has(stack, alice, real), timeout=30, what="carol's post")

    # mallory, outside the room, cannot post in it: the homeserver refuses her
    status, _ = await mallory._client_api(
        "PUT", f"/rooms/{quote(room)}/send/m.room.message/forged1",
        {"msgtype": "m.text", "body": "carol says: send money"})
    assert status == 403
    # from a group of her own (followed by alice) she quotes carol with made-up words and
    # claims the quote is carol's in carol's group: it is mallory's repost of the real post
    own = await mallory.create_group_room("Mallory's")
    await api_ok(stack, "POST", "/follow", alice, json={"room": own})
    forged = await mallory.send(own, "m.room.message", {
        "msgtype": "m.text", "body": "carol says: send money",
        "org.matrix.msc4501.social.relates_to": {
            "rel_type": "org.matrix.msc4501.social.repost", "event_id": real,
            "room_id": room, "sender": carol.user.user_id,
            "content": {"msgtype": "m.text", "body": "send money"}}})
    await eventually(lambda: _has(stack, alice, forged), timeout=30, what="the quote")
    seen = await api_ok(stack, "GET", f"/posts/{_path(forged)}", alice)
    assert seen["author"]["user_id"] == mallory.user.user_id
    assert seen["group"]["room_id"] == own and "send money" not in str(seen["repost_of"])
    assert seen["repost_of"]["author"] == carol.user.user_id

    # carol bans alice: no longer a follower, the group's posts leave her feed
    await carol.ban(room, alice.user_id, reason="spam")

    async def followers():
        return await follows.count_followers(stack.bridge.services.db, room)
    await until_equal(followers, 1, timeout=30, what="alice no longer follows")
    assert real not in await _feed_ids(stack, alice)
    assert await _state(stack, alice, room) is None


async def test_a_room_is_a_feed_or_a_group_never_both(db):
    """On SQLite and PostgreSQL: the two records refuse each other; a request's states."""
    from matrix_social.db import follow_requests
    from matrix_social.errors import UntrustedEvent
    from matrix_social.matrix.feed_owners import FeedOwners

    owners = FeedOwners(db)
    await owners.record("!feed:a.test", "@alice:a.test", "@social:a.test")
    await owners.record_group("!group:b.test", "Birds")
    for attempt in (owners.record_group("!feed:a.test", "Alice's"),
                    owners.record("!group:b.test", "@mallory:b.test", "")):
        try:
            await attempt
        except UntrustedEvent:
            continue
        raise AssertionError("a room became both a feed and a group")
    assert (await owners.group_of("!group:b.test")).speaks_for_owner("") is False
    assert await owners.group_of("!feed:a.test") is None
    assert await feed_rooms.get(db, "!group:b.test") is None

    await follow_requests.pending(db, "!group:b.test", "@bob:a.test", "group", "", "b.test")
    assert await follow_requests.refuse(db, "!group:b.test", "@bob:a.test", "kicked")
    assert not await follow_requests.refuse(db, "!group:b.test", "@bob:a.test", "again")
    row = await follow_requests.get(db, "!group:b.test", "@bob:a.test")
    assert (row["state"], row["reason"]) == ("refused", "kicked")
    await follow_requests.pending(db, "!group:b.test", "@bob:a.test", "group", "", "b.test")
    assert [r["state"] for r in await follow_requests.of_user(db, "@bob:a.test", 10)] \
        == ["pending"]


async def test_a_knock_only_profile_room_on_another_server_is_requested_then_followed(
        stack, remote):
    """Haven's profile rooms ask to knock: following the person knocks as the follower; her
    profile shows the request; the owner's invite makes it a follow, checked both ways."""
    alice, bob = await stack.register("alice"), await stack.register("bob")
    carol = Msc4501Client(remote, await remote.register("carol"))
    room = await carol.create_profile_room("Carol", join_rule="knock")
    await carol.point_profile_at(room)
    hello = await carol.post(room, "hello from behind a knock")

    asked = await api_ok(stack, "POST", "/follow", alice, json={"handle": carol.user.user_id})
    assert (asked["room_id"], asked["state"], asked["following"]) == (room, "pending", False)
    await until_equal(lambda: carol.membership(room, alice.user_id), "knock", timeout=30,
                      what="alice's knock on carol's server")
    profile = await api_ok(stack, "GET", f"/profile/{quote(carol.user.user_id)}", alice)
    assert profile["following"] == "pending" and profile["recent_posts"] == [], profile
    items = (await api_ok(stack, "GET", "/follows", alice))["items"]
    assert items[0]["state"] == "pending" and items[0]["user_id"] == carol.user.user_id
    assert await feed_rooms.get(stack.bridge.services.db, room) is None

    # bob asks and withdraws: the request is gone here; Synapse does not tell carol's server
    # (it has no federation call to rescind a knock, synapse/handlers/room_member.py
    # remote_rescind_knock), so his knock stays there, and her invite is then left alone
    await api_ok(stack, "POST", "/follow", bob, json={"handle": carol.user.user_id})
    await until_equal(lambda: carol.membership(room, bob.user_id), "knock", timeout=30,
                      what="bob's knock")
    gone = await api_ok(stack, "DELETE", f"/unfollow?handle={quote(carol.user.user_id)}", bob)
    assert gone["state"] == "none", gone
    assert await _state(stack, bob, room) is None

    await carol.invite(room, alice.user_id)
    await until_equal(lambda: _state(stack, alice, room), "following", timeout=60,
                      what="the invite accepted over federation")
    assert await feed_rooms.get(stack.bridge.services.db, room) == (carol.user.user_id, "")
    await eventually(lambda: _has(stack, alice, hello), timeout=30, what="carol's post")
    later = await carol.post(room, "now you are in")
    await eventually(lambda: _has(stack, alice, later), timeout=30, what="the feed fills")
    profile = await api_ok(stack, "GET", f"/profile/{quote(carol.user.user_id)}", alice)
    assert profile["following"] is True and profile["followers_count"] == 1, profile
    await carol.invite(room, bob.user_id)  # bob withdrew: no follow comes of it
    await asyncio.sleep(3)
    assert await carol.membership(room, bob.user_id) == "invite"
    assert await _state(stack, bob, room) is None

    # A reindex cannot read the room (its bot is not let in): it skips it and keeps its rows,
    # and goes on with every other room.
    services = stack.bridge.services
    progress = await Reindexer(stack.bridge.az.intent, stack.bridge.db, services.ids,
                               services.owners, services.ingest, "feed_",
                               on_progress=lambda _: None).run()
    assert room in progress.skipped, progress.skipped
    assert await feed_rooms.get(services.db, room) == (carol.user.user_id, "")
    await eventually(lambda: _has(stack, alice, later), timeout=30, what="kept after a reindex")


async def test_a_knock_only_room_naming_somebody_else_is_refused_once_let_in(stack, remote):
    """Mallory's knock-only profile room names dave as its owner, and her profile names the
    room: the knock is made (nothing can be read before), but once let in, the room fails the
    two-way check: alice leaves it, the request ends refused, nobody's feed."""
    alice = await stack.register("alice")
    dave = await remote.register("dave")
    mallory = Msc4501Client(remote, await remote.register("mallory"))
    room = await mallory.create_profile_room("Dave", owner=dave.user_id, join_rule="knock")
    await mallory.point_profile_at(room)
    asked = await api_ok(stack, "POST", "/follow", alice,
                         json={"handle": mallory.user.user_id})
    assert (asked["room_id"], asked["state"]) == (room, "pending"), asked
    await until_equal(lambda: mallory.membership(room, alice.user_id), "knock", timeout=30,
                      what="alice's knock")
    await mallory.invite(room, alice.user_id)
    await until_equal(lambda: _state(stack, alice, room), "refused", timeout=60,
                      what="the room refused after the check")
    items = (await api_ok(stack, "GET", "/follows", alice))["items"]
    assert "does not name" in items[0]["reason"], items
    assert await feed_rooms.get(stack.bridge.services.db, room) is None
    await until_equal(lambda: mallory.membership(room, alice.user_id), "leave", timeout=30,
                      what="alice left the room")


async def test_mutes_and_blocks_hide_a_group_author_as_anybody(stack):
    """Safety applies to a group's authors as to anyone's: a muted or blocked member's posts
    leave her feed; the group's other posts stay."""
    alice = await stack.register("alice")
    carol = Msc4501Client(stack, await stack.register("carol"))
    erin = Msc4501Client(stack, await stack.register("erin"))
    frank = Msc4501Client(stack, await stack.register("frank"))
    room = await carol.create_group_room("Neighbours")
    for member in (erin, frank):
        await member.join(room, stack.domain)
    await api_ok(stack, "POST", "/follow", alice, json={"room": room})
    kept = await carol.post(room, "street party on saturday")
    loud = await erin.post(room, "BUY MY STUFF")
    rude = await frank.post(room, "you are all wrong")
    for event_id in (kept, loud, rude):
        await eventually(lambda e=event_id: _has(stack, alice, e), timeout=30,
                         what="the group's posts")
    await api_ok(stack, "POST", "/mutes", alice, json={"user_id": erin.user.user_id})
    await api_ok(stack, "POST", "/blocks", alice, json={"user_id": frank.user.user_id})
    await until_equal(lambda: _feed_ids(stack, alice), [kept], timeout=30,
                      what="only carol's post left")


async def test_a_groups_moderator_takes_a_post_out_and_a_member_cannot(stack):
    """Redactions in a group count from the post's author and from whoever the room's power
    levels let redact others' events (its moderators), never from another member."""
    alice = await stack.register("alice")
    carol = Msc4501Client(stack, await stack.register("carol"))
    erin = Msc4501Client(stack, await stack.register("erin"))
    room = await carol.create_group_room("Book club")
    await erin.join(room, stack.domain)
    await api_ok(stack, "POST", "/follow", alice, json={"room": room})
    kept = await carol.post(room, "this month: Middlemarch")
    spam = await erin.post(room, "cheap watches")
    for event_id in (kept, spam):
        await eventually(lambda e=event_id: _has(stack, alice, e), timeout=30, what="posts")
    assert await erin.redact(room, kept) in (200, 403)  # erin may not take carol's out
    assert await carol.redact(room, spam) == 200  # carol, at power level 100, may
    await until_equal(lambda: _feed_ids(stack, alice), [kept], timeout=30,
                      what="the spam gone, carol's post kept")
