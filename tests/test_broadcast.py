"""LISTEN/NOTIFY between processes (db/notify.py), on both backends without a homeserver: what
one process tells reaches the others' handlers and never its own, index changes too large for
one payload arrive whole, a lost LISTEN connection comes back and the caches drop what they
held; on SQLite (one process) nothing is sent."""

from __future__ import annotations

import contextlib

from matrix_social.db.notify import MAX_PAYLOAD, Broadcast
from matrix_social.matrix.ingest.changes import IndexChanges, Written

from .harness import eventually, yaml_with


async def test_what_one_process_tells_reaches_the_others_only(db):
    one, two = Broadcast(db, "one"), Broadcast(db, "two")
    heard: dict[str, list] = {"one": [], "two": []}
    one.on("forget", heard["one"].append)
    two.on("forget", heard["two"].append)
    gaps: list[int] = []
    two.on_gap(lambda: gaps.append(1))
    await one.start()
    await two.start()
    try:
        changes_one, changes_two = IndexChanges(one), IndexChanges(two)
        received: list[Written] = []
        changes_two.subscribe(received.append)
        posts = {f"$post{i:04d}-{'x' * 40}:example.test" for i in range(600)}
        assert len(str(posts)) > MAX_PAYLOAD  # more than one payload
        changes_one.publish(Written(counted_posts=posts,
                                    new_posts=[("!room:x", "$new:x", "@alice:x")]))
        await one.tell("forget", "@alice:x")
        if not one.shared:  # SQLite: one process, nothing sent
            assert not one.listener and heard == {"one": [], "two": []} and received == []
            return

        async def all_arrived():
            return (heard["two"] == ["@alice:x"]
                    and set().union(*(w.counted_posts for w in received)) == posts)
        await eventually(all_arrived, what="the notifications")
        assert heard["one"] == []  # its own are skipped
        assert [p for w in received for p in w.new_posts] == [("!room:x", "$new:x", "@alice:x")]

        # The LISTEN connection dies: it comes back, and the caches are told to drop all.
        pid = two.listener.conn.get_server_pid()
        await db.execute("SELECT pg_terminate_backend($1)", pid)
        await eventually(lambda: _true(gaps == [1]), timeout=30, what="the gap")
        await one.tell("forget", "@bob:x")
        await eventually(lambda: _true(heard["two"][-1:] == ["@bob:x"]), what="heard again")
    finally:
        await one.stop()
        await two.stop()


async def _true(value: bool) -> bool:
    return value


async def test_a_follow_fence_raised_in_a_replica_holds_in_the_ingest_process(db):
    """The API's fence (matrix/ingest/follow_fence.py) goes up in every process before the
    join is sent: the ingest process skips the older leave."""
    from matrix_social.matrix.ingest.follow_fence import FollowFence

    replica, ingest = Broadcast(db, "replica"), Broadcast(db, "ingest")
    await replica.start()
    await ingest.start()
    try:
        theirs, ours = FollowFence(replica), FollowFence(ingest)
        async with theirs.around("!feed:x", "@bob:x", follows=True):
            if not replica.shared:
                assert ours.passes("!feed:x", "@bob:x", follows=False)  # one process only
                return
            await eventually(lambda: _true(not ours.passes("!feed:x", "@bob:x", False)),
                             what="the fence up in the ingest process")
        assert ours.passes("!feed:x", "@bob:x", follows=True)  # our join lifts it
        with contextlib.suppress(RuntimeError):
            async with theirs.around("!feed:x", "@bob:x", follows=False):
                raise RuntimeError("the homeserver refused the leave")
        await eventually(lambda: _true(ours.passes("!feed:x", "@bob:x", True)),
                         what="the failed leave's fence lifted everywhere")
    finally:
        await replica.stop()
        await ingest.stop()


def test_each_role_mounts_what_it_serves_and_a_replica_reads_pages_from_the_read_database(
        tmp_path):
    """appservice.read_database: an API replica's feed planner, explore and trending pages
    read from it; writes and the rest stay on appservice.database (nothing connects here)."""
    from matrix_social.bridge import SocialBridge
    from matrix_social.devstack.bridge_config import write_bridge_config

    write_bridge_config(tmp_path / "config.yaml", tmp_path / "registration.yaml",
                        homeserver_url="http://127.0.0.1:9", domain="example.test", port=9,
                        database="postgres://postgres@127.0.0.1:5432/primary")
    yaml_with(tmp_path / "config.yaml", tmp_path / "config.yaml",
              {"appservice.read_database": "postgres://reader@127.0.0.1:5432/replica"})
    for role, reads_from_replica in (("api", True), ("all", False), ("ingest", False)):
        bridge = SocialBridge(["-c", str(tmp_path / "config.yaml"), "-n", "--role", role])
        bridge.prepare_log = lambda: None  # leave the test run's logging be
        bridge.preinit()
        bridge.prepare()
        services = bridge.services
        assert (bridge.read_db is not None) is reads_from_replica
        reads = bridge.read_db if reads_from_replica else bridge.db
        assert services.feed.planner.db is reads
        assert services.explore.db is reads and services.trending.db is reads
        assert services.posts.db is bridge.db and services.feed.db is bridge.db
        # the API where the role serves it (an API replica's transaction route answers 404:
        # test_replicas.py)
        mounted = {r.canonical for r in bridge.az.app.router.resources()}
        assert ("/api/social" in mounted) is (role != "ingest"), mounted
        assert ("/_matrix/app/v1/transactions/{transaction_id}" in mounted)


async def test_a_per_user_cache_forgets_her_when_another_process_says_so(db):
    """What the management rooms and the activity settings keep per user: her entry goes when
    another process changed it, the rest stays; a gap empties it."""
    one, two = Broadcast(db, "one"), Broadcast(db, "two")
    cache = {"@alice:x": "old", "@bob:x": "kept"}
    two.keep_per_user("settings", cache)
    await one.start()
    await two.start()
    try:
        await one.tell("settings", "@alice:x")
        if not one.shared:
            assert cache == {"@alice:x": "old", "@bob:x": "kept"}
            return
        await eventually(lambda: _true("@alice:x" not in cache), what="her entry dropped")
        assert cache == {"@bob:x": "kept"}
        await one.tell("settings", ["not", "a", "user"])  # a payload of another shape
        await db.execute("SELECT pg_terminate_backend($1)", two.listener.conn.get_server_pid())
        await eventually(lambda: _true(cache == {}), timeout=30, what="emptied on the gap")
    finally:
        await one.stop()
        await two.stop()
