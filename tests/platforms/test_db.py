"""The external-platform tables and their queries, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace

from matrix_social.db import cross_post_deliveries as deliveries
from matrix_social.db import external_items, mastodon_apps, oauth_state
from matrix_social.db import platform_connections as connections
from matrix_social.db.external_items import ExternalItemRow
from matrix_social.db.mastodon_apps import MastodonAppRow
from matrix_social.db.platform_connections import ConnectionRow


def _connection(**changes) -> ConnectionRow:
    row = ConnectionRow(
        user_id="@alice:hs", platform="x", account_key="42", account_id="42", handle="alice",
        name="Alice", avatar_url=None, profile_url="https://x.com/alice", instance=None,
        status=connections.OK, status_reason=None, share_with_followers=False,
        token="k1:ciphertext", cursor=None, etag=None, next_due=0, interval_s=None, failures=0,
        last_sync=None, created_at=1)
    return replace(row, **changes)


async def test_connection_lifecycle(db):
    await connections.upsert(db, _connection())
    row = await connections.get(db, "@alice:hs", "x")
    assert row.handle == "alice" and row.share_with_followers is False and row.cursor is None
    assert "ciphertext" not in repr(row)

    await connections.save_sync(db, "@alice:hs", "x", {}, None, 5000, 300, 10)
    assert (await connections.get(db, "@alice:hs", "x")).cursor == {}  # synced, not first
    await connections.save_sync(db, "@alice:hs", "x", {"since_id": "100"}, "W/1", 5000, 300, 10)
    row = await connections.get(db, "@alice:hs", "x")
    assert (row.cursor, row.etag, row.next_due, row.interval_s, row.last_sync) == (
        {"since_id": "100"}, "W/1", 5000, 300, 10)

    # Reconnecting the same account keeps the cursor; a fresh grant clears broken state.
    await connections.mark_broken(db, "@alice:hs", "x", "the grant was revoked")
    assert (await connections.get(db, "@alice:hs", "x")).status == connections.BROKEN
    assert await connections.due(db, 10**12, 10) == []
    await connections.upsert(db, _connection(token="k1:new", handle="alice2"))
    row = await connections.get(db, "@alice:hs", "x")
    assert (row.status, row.status_reason, row.token, row.handle, row.cursor) == (
        connections.OK, None, "k1:new", "alice2", {"since_id": "100"})

    # A different account on the same platform starts from scratch.
    await connections.upsert(db, _connection(account_key="43", account_id="43"))
    row = await connections.get(db, "@alice:hs", "x")
    assert row.cursor is None and row.etag is None

    await connections.set_token(db, "@alice:hs", "x", "k2:refreshed")
    assert (await connections.get(db, "@alice:hs", "x")).token == "k2:refreshed"
    assert await connections.set_share_with_followers(db, "@alice:hs", "x", True)
    assert (await connections.get(db, "@alice:hs", "x")).share_with_followers is True
    assert not await connections.set_share_with_followers(db, "@bob:hs", "x", True)


async def test_connections_due_in_order_and_per_user(db):
    await connections.upsert(db, _connection(next_due=300))
    await connections.upsert(db, _connection(platform="github", next_due=100))
    await connections.upsert(db, _connection(user_id="@bob:hs", next_due=200))
    await connections.upsert(db, _connection(user_id="@carol:hs", next_due=10**9))
    due = await connections.due(db, 1000, 10)
    assert [(r.user_id, r.platform) for r in due] == [
        ("@alice:hs", "github"), ("@bob:hs", "x"), ("@alice:hs", "x")]
    assert len(await connections.due(db, 1000, 2)) == 2
    assert await connections.next_due(db) == 100
    assert [r.platform for r in await connections.list_for_user(db, "@alice:hs")] == [
        "github", "x"]
    assert await connections.users_of_account(db, "x", "42") == [
        "@alice:hs", "@bob:hs", "@carol:hs"]
    await connections.save_failure(db, "@bob:hs", "x", 5000, 3)
    bob = await connections.get(db, "@bob:hs", "x")
    assert (bob.next_due, bob.failures) == (5000, 3)
    assert await connections.delete(db, "@bob:hs", "x")
    assert not await connections.delete(db, "@bob:hs", "x")
    assert await connections.get(db, "@bob:hs", "x") is None


async def test_oauth_state_is_single_use_and_expires(db):
    await oauth_state.insert(db, "h1", "@alice:hs", "x", None, "k1:verifier", 1000, 2000)
    await oauth_state.insert(db, "h2", "@alice:hs", "mastodon", "https://m.example", None,
                             1000, 2000)
    assert await oauth_state.count_pending(db, "@alice:hs", 1500) == 2
    pending = await oauth_state.consume(db, "h1", 1500)
    assert (pending.user_id, pending.platform, pending.code_verifier) == (
        "@alice:hs", "x", "k1:verifier")
    assert "verifier" not in repr(pending)
    assert await oauth_state.consume(db, "h1", 1500) is None  # replay
    assert await oauth_state.consume(db, "nope", 1500) is None
    assert await oauth_state.consume(db, "h2", 2000) is None  # expired...
    assert await oauth_state.consume(db, "h2", 1500) is None  # ...and gone
    await oauth_state.insert(db, "h3", "@alice:hs", "x", None, None, 1000, 2000)
    await oauth_state.purge_expired(db, 2000)
    assert await oauth_state.count_pending(db, "@alice:hs", 0) == 0


async def test_mastodon_app_registered_once(db):
    first = MastodonAppRow("https://m.example", "https://hs/cb", "read write", "id1", "k:s1")
    second = MastodonAppRow("https://m.example", "https://hs/cb", "read write", "id2", "k:s2")
    assert await mastodon_apps.get(db, "https://m.example", "https://hs/cb", "read write") is None
    assert (await mastodon_apps.insert_or_get(db, first, 1)).client_id == "id1"
    assert (await mastodon_apps.insert_or_get(db, second, 2)).client_id == "id1"  # lost the race
    other = MastodonAppRow("https://m.example", "https://hs/cb2", "read write", "id3", "k:s3")
    assert (await mastodon_apps.insert_or_get(db, other, 3)).client_id == "id3"
    assert "k:s1" not in repr(first)


async def test_external_item_map_dedupes_and_finds_echoes(db):
    alice, bob = "@alice:hs", "@bob:hs"
    row = ExternalItemRow(alice, "x", "42", "1001", "$e1", "!portal", external_items.INBOUND,
                          "1001")
    assert await external_items.insert(db, row, 1)
    assert not await external_items.insert(db, replace(row, event_id="$e2"), 2)
    assert (await external_items.get(db, alice, "x", "42", "1001")).event_id == "$e1"
    # The same remote id under another account or platform is another item.
    assert await external_items.insert(db, replace(row, account_key="43"), 3)
    assert await external_items.insert(db, replace(row, platform="mastodon"), 3)
    # ... and so it is for another user who connected the same account (her own portal).
    assert await external_items.get(db, bob, "x", "42", "1001") is None
    assert await external_items.insert(db, replace(row, user_id=bob, event_id="$b1",
                                                   room_id="!bobs"), 3)
    assert (await external_items.get(db, bob, "x", "42", "1001")).room_id == "!bobs"
    outbound = ExternalItemRow(alice, "x", "42", "2002", "$post", "!feed",
                               external_items.OUTBOUND, None)
    assert await external_items.insert(db, outbound, 4)
    ids = [str(n) for n in range(990, 1200)] + ["2002"]
    assert await external_items.known(db, alice, "x", "42", ids) == {"1001", "2002"}
    assert await external_items.known(db, bob, "x", "42", ids) == {"1001"}
    await external_items.set_version(db, alice, "x", "42", "1001", "1005")
    assert (await external_items.get(db, alice, "x", "42", "1001")).version == "1005"
    assert (await external_items.get(db, bob, "x", "42", "1001")).version == "1001"
    assert [r.remote_id for r in await external_items.by_event(db, "$post")] == ["2002"]
    assert (await external_items.delete(db, alice, "x", "42", "1001")).event_id == "$e1"
    assert await external_items.delete(db, alice, "x", "42", "1001") is None
    assert (await external_items.get(db, bob, "x", "42", "1001")).event_id == "$b1"


async def test_the_item_map_upgrade_gives_each_row_its_user(tmp_path):
    """Rows written before the map was per user get the user of their portal (inbound) or of
    their cross-post (outbound); on both databases."""
    from mautrix.util.async_db import Database, UpgradeTable

    from matrix_social.db import upgrade_table as full
    from matrix_social.db.upgrade import v10_external_item_map

    from ..harness import PostgresDatabase

    step = full.upgrades.index(v10_external_item_map.upgrade)
    for kind in ("sqlite", "postgres"):
        postgres = PostgresDatabase() if kind == "postgres" else None
        if postgres:
            await postgres.create()
        url = postgres.url if postgres else f"sqlite:{tmp_path / 'old.db'}"
        before = UpgradeTable()
        before.upgrades = full.upgrades[:step]
        old = Database.create(url, upgrade_table=before)
        await old.start()
        try:
            await old.execute("INSERT INTO portal_room VALUES ('@alice:hs', 'github', '7', "
                              "'!portal', '@github_octo:hs', 1)")
            await old.execute("INSERT INTO cross_post_delivery (post_event_id, target, user_id, "
                              "status, idempotency_key, created_at, updated_at) VALUES "
                              "('$post', 'x', '@bob:hs', 'delivered', 'k', 1, 1)")
            for values in ("('github', '7', 'e1', '$in', '!portal', 'inbound', NULL, 1)",
                           "('x', '42', 't1', '$post', '!feed', 'outbound', NULL, 2)",
                           "('x', '42', 't2', '$lost', '!gone', 'inbound', NULL, 3)"):
                await old.execute(f"INSERT INTO external_item VALUES {values}")
        finally:
            await old.stop()
        new = Database.create(url, upgrade_table=full)
        await new.start()
        try:
            rows = await new.fetch("SELECT user_id, remote_id FROM external_item "
                                   "ORDER BY remote_id")
            assert [(r["user_id"], r["remote_id"]) for r in rows] == [
                ("@alice:hs", "e1"), ("@bob:hs", "t1"), ("", "t2")], kind
            assert (await external_items.get(new, "@alice:hs", "github", "7", "e1")).event_id \
                == "$in"
        finally:
            await new.stop()
            if postgres:
                await postgres.drop()


async def test_cross_post_delivery_states(db):
    assert await deliveries.create(db, "$p", "x", "@alice:hs", "key-x", 100)
    assert not await deliveries.create(db, "$p", "x", "@alice:hs", "key-other", 100)
    assert await deliveries.create(db, "$p", "mastodon", "@alice:hs", "key-m", 100)
    assert await deliveries.create_refused(db, "$p", "instagram", "@alice:hs", "key-i",
                                           "no image", 100)
    assert {d.target for d in await deliveries.due(db, 100, 10)} == {"mastodon", "x"}

    claimed = await deliveries.claim(db, "$p", "x", 110)
    assert (claimed.status, claimed.attempts, claimed.idempotency_key) == (
        deliveries.SENDING, 1, "key-x")
    assert await deliveries.claim(db, "$p", "x", 110) is None  # already in flight
    await deliveries.mark_retry(db, "$p", "x", "HTTP 500", 5000, 120)
    assert [d.target for d in await deliveries.due(db, 4999, 10)] == ["mastodon"]
    assert await deliveries.claim(db, "$p", "x", 5000) is not None
    await deliveries.mark_delivered(db, "$p", "x", "1234", "https://x.com/a/status/1234", 5001)

    # A crash with mastodon in flight: at start-up it is pending again, same key, attempt kept.
    await deliveries.claim(db, "$p", "mastodon", 200)
    assert await deliveries.release_in_flight(db, 6000) == 1
    retry = await deliveries.claim(db, "$p", "mastodon", 6000)
    assert (retry.attempts, retry.idempotency_key) == (2, "key-m")
    await deliveries.mark_failed(db, "$p", "mastodon", "HTTP 500 three times", 6001)

    rows = {d.target: d for d in await deliveries.for_post(db, "$p")}
    assert (rows["x"].status, rows["x"].remote_id, rows["x"].attempts, rows["x"].last_error) == (
        deliveries.DELIVERED, "1234", 2, None)
    assert (rows["mastodon"].status, rows["mastodon"].last_error) == (
        deliveries.FAILED, "HTTP 500 three times")
    assert (rows["instagram"].status, rows["instagram"].last_error) == (
        deliveries.REFUSED, "no image")
    await deliveries.mark_deleted(db, "$p", "x", 7000)
    assert (await deliveries.for_post(db, "$p"))[-1].status == deliveries.DELETED
    assert await deliveries.due(db, 10**12, 10) == []
