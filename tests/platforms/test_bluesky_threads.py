"""A long post's Bluesky thread as a delivery makes it, on SQLite and PostgreSQL: each part
recorded as it is made, so a failure at part 2 (a 5xx, a rate limit, a restart with the PDS's
answer lost) is continued at part 2 and never posts a part twice; deleting the post deletes
every part, of a thread delivered or stopped half made, or still in flight. The real `atproto`
SDK against the fake PDS on loopback (never a mocked SDK)."""

from __future__ import annotations

import asyncio

import pytest
from cryptography.fernet import Fernet

from matrix_social.db import cross_post_deliveries as deliveries
from matrix_social.db import cross_post_parts as parts_db
from matrix_social.db import external_items
from matrix_social.db import platform_connections as connections
from matrix_social.external.delivery import Deliveries
from matrix_social.external.grants import Grants
from matrix_social.external.login import LoginFlow
from matrix_social.external.platform import Draft, Image, OutgoingPost
from matrix_social.external.platforms.bluesky import format_bluesky, graphemes
from matrix_social.external.previews import preview
from matrix_social.external.registry import Platforms, PlatformsConfig
from matrix_social.external.tokens import TokenCipher

from ..fakes.platforms.base import tiny_png
from ..fakes.platforms.bluesky import FakeBluesky
from .test_bluesky import LINK_BACK, LONG, PASSWORD

POST = "$post1"
ROOM = "!feed:hs"
ALICE = "@alice:hs"
CREATE = "/xrpc/com.atproto.repo.createRecord"


class World:
    def __init__(self, db, pds: FakeBluesky) -> None:
        self.db = db
        self.pds = pds
        config = PlatformsConfig.from_mapping({
            "public_url": "https://social.example.org", "allow_loopback_instances": True,
            "bluesky": {"service": pds.base_url}})
        cipher = TokenCipher([Fernet.generate_key().decode()])
        self.platforms = Platforms(config, db, cipher)
        self.grants = Grants(db, self.platforms, cipher)
        self.login = LoginFlow(db, self.platforms, cipher, self.grants)
        self.poster = Deliveries(db, self.platforms, self.grants)
        self.did = pds.add_account("alice.test", "Alice")
        self.bob = pds.add_account("bob.test", "Bob")

    async def queue(self, text: str = LONG) -> OutgoingPost:
        """The post queued for Bluesky; what the worker would send (the preview's parts)."""
        shown = preview(Draft(text, LINK_BACK), ["bluesky"])
        await self.poster.enqueue(POST, ALICE, shown)
        chosen = shown["bluesky"]
        return OutgoingPost(chosen.text or "", (Image(tiny_png(), "image/png", "square"),),
                            parts=chosen.parts)

    async def attempt(self, post: OutgoingPost):
        [row] = await self.poster.due()
        return await self.poster.attempt(row, post, ROOM)

    async def later(self) -> None:
        """Time passes: the retry is due."""
        await self.db.execute("UPDATE cross_post_delivery SET next_attempt=0 "
                              "WHERE status='pending'")

    def hers(self):
        return self.pds.posts_of(self.did)


@pytest.fixture
async def world(db):
    pds = FakeBluesky()
    await pds.start()
    try:
        made = World(db, pds)
        await made.login.log_in_with_password(ALICE, "bluesky", "alice.test", PASSWORD)
        yield made
    finally:
        await pds.stop()


def _shape(world: World, root: str) -> None:
    """Three posts, each a reply to the one before naming the first as its root."""
    thread = world.pds.thread(root)
    assert len(thread) == 3 and [r.uri for r in thread] == [r.uri for r in world.hers()]
    first = (thread[0].uri, thread[0].cid)
    assert "reply" not in thread[0].value and thread[0].value["embed"]["images"]
    for parent, record in zip(thread, thread[1:], strict=False):
        reply = record.value["reply"]
        assert (reply["root"]["uri"], reply["root"]["cid"]) == first
        assert (reply["parent"]["uri"], reply["parent"]["cid"]) == (parent.uri, parent.cid)
        assert "embed" not in record.value
    assert all(graphemes(r.value["text"]) <= 300 for r in thread)


@pytest.mark.parametrize("status", [503, 429])
async def test_a_failure_at_part_two_is_continued_at_part_two(db, world, status):
    post = await world.queue()
    world.pds.fail(status, path=CREATE, after=1, reset_in_s=1 if status == 429 else None)
    stopped = await world.attempt(post)
    [root] = world.hers()
    assert (stopped.status, stopped.attempts) == ("pending", 1) and stopped.last_error
    assert (stopped.remote_id, stopped.url) == (root.uri, stopped.url) and "/post/" in stopped.url
    recorded = await parts_db.of_delivery(db, POST, "bluesky")
    assert [(p.remote_id is not None, p.ref is not None) for p in recorded] == [
        (True, True), (True, False), (False, False)]  # part 2 reserved, its answer an error
    assert recorded[0].remote_id == root.uri and recorded[0].ref == root.cid
    await world.later()
    done = await world.attempt(post)
    assert (done.status, done.attempts, done.last_error) == ("delivered", 2, None)
    assert done.remote_id == root.uri
    _shape(world, root.uri)
    assert world.pds.count(CREATE) == 4  # 1, the failed 2, then 2 and 3: part 1 never again
    assert world.pds.count("/xrpc/com.atproto.repo.uploadBlob") == 1
    # Every part is in the item map as ours: none is ever bridged back in.
    connection = await connections.get(db, ALICE, "bluesky")
    assert await external_items.known(db, ALICE, "bluesky", connection.account_key,
                                      [r.uri for r in world.hers()]) == {
        r.uri for r in world.hers()}


async def _part_two_held(world):
    """A delivery whose second part the PDS has made and holds the answer to: (the post, the
    answer's release, the attempt's task)."""
    post = await world.queue()
    release = world.pds.stall(CREATE, after=1)
    attempt = asyncio.create_task(world.attempt(post))
    for _ in range(500):
        if world.pds.stalled:
            break
        await asyncio.sleep(0.01)
    return post, release, attempt


async def test_a_restart_with_the_pds_answer_lost_never_posts_a_part_twice(db, world):
    """Part 2 is made at the PDS, then the service dies before it hears so: the next attempt
    asks for the reserved record key, finds part 2 and goes on with part 3."""
    post, release, attempt = await _part_two_held(world)
    assert world.pds.stalled == 1 and len(world.hers()) == 2  # made, answer held
    attempt.cancel()  # kill -9, as far as this delivery can tell
    await asyncio.gather(attempt, return_exceptions=True)
    release.set()
    row = await deliveries.get(db, POST, "bluesky")
    assert row.status == "sending"
    assert await world.poster.release_in_flight() == 1  # at the next start
    done = await world.attempt(post)
    assert done.status == "delivered"
    _shape(world, done.remote_id)
    assert world.pds.count("/xrpc/com.atproto.repo.getRecord") == 1
    assert world.pds.count(CREATE) == 3


async def test_the_thread_goes_on_as_it_began_after_an_edit(db, world):
    """Bluesky has no edit: a thread stopped half made is finished from its first plan, not
    re-split from the edited text (its parts would no longer follow each other)."""
    post = await world.queue()
    world.pds.fail(503, path=CREATE, after=1)
    await world.attempt(post)
    edited = format_bluesky(Draft("Changed entirely. " * 40, LINK_BACK))
    await world.later()
    done = await world.attempt(OutgoingPost(edited.text, parts=edited.parts))
    assert done.status == "delivered"
    assert [r.value["text"] for r in world.pds.thread(done.remote_id)] == [
        p.sent for p in post.parts]


async def test_deleting_the_post_deletes_every_part(db, world):
    post = await world.queue()
    done = await world.attempt(post)
    assert done.status == "delivered" and len(world.hers()) == 3
    deletes = world.pds.count("/xrpc/com.atproto.repo.deleteRecord")
    assert await world.poster.delete(POST) == {"bluesky": None}
    assert world.hers() == []
    assert world.pds.count("/xrpc/com.atproto.repo.deleteRecord") == deletes + 3
    assert (await deliveries.get(db, POST, "bluesky")).status == "deleted"
    assert await parts_db.of_delivery(db, POST, "bluesky") == []


async def test_a_thread_stopped_half_made_is_deleted_too(db, world):
    post = await world.queue()
    world.pds.fail(503, path=CREATE, after=1)
    await world.attempt(post)
    assert len(world.hers()) == 1
    assert await world.poster.delete(POST) == {"bluesky": None}
    assert world.hers() == []
    assert (await deliveries.get(db, POST, "bluesky")).status == "deleted"
    await world.later()
    assert await world.poster.due() == []  # never continued
    assert world.pds.count(CREATE) == 2


async def test_a_deletion_while_a_part_is_in_flight_leaves_nothing(db, world):
    """The post is deleted while the PDS makes part 2: the deletion removes part 1, the
    attempt stops before part 3 and deletes the part 2 it made, its outcome never overwriting
    the deletion."""
    post, release, attempt = await _part_two_held(world)
    assert world.pds.stalled == 1
    assert await world.poster.delete(POST) == {"bluesky": None}
    release.set()
    after = await attempt
    assert after.status == "deleted"
    assert world.hers() == [] and world.pds.count(CREATE) == 2


async def test_a_short_post_is_one_record_and_one_part(db, world):
    post = await world.queue("Short and sweet")
    done = await world.attempt(post)
    [record] = world.hers()
    assert (done.status, done.remote_id) == ("delivered", record.uri)
    assert "reply" not in record.value and record.value["text"] == "Short and sweet"
    [part] = await parts_db.of_delivery(db, POST, "bluesky")
    assert (part.part, part.remote_id, part.ref, part.numbering) == (
        0, record.uri, record.cid, "")
    await world.poster.delete(POST)
    assert world.hers() == []
