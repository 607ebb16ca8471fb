"""The appservice on a real homeserver: bot, AI puppets on demand, invites, health, hs_token."""

from __future__ import annotations

import sqlite3

from nio import ProfileGetResponse, RoomCreateResponse

from .harness import eventually, record_ingested, until_equal, wait_joined


async def test_bot_exists(stack):
    alice = await stack.register("alice")
    client = stack.nio(alice)
    resp = await client.get_profile(stack.bridge.az.bot_mxid)
    assert isinstance(resp, ProfileGetResponse), resp
    assert resp.displayname == "Social"


async def test_ai_puppet_created_through_user_query(stack):
    alice = await stack.register("alice")
    ai_id = stack.mxid(f"{alice.localpart}_ai")
    client = stack.nio(alice)
    resp = await client.room_create(invite=[ai_id])
    assert isinstance(resp, RoomCreateResponse), resp

    async def ai_name() -> str | None:
        profile = await client.get_profile(ai_id)
        return profile.displayname if isinstance(profile, ProfileGetResponse) else None

    # Registered first (the homeserver names it after its localpart for a moment), then named.
    await until_equal(ai_name, f"{alice.localpart}'s AI", what="AI puppet profile")

    await wait_joined(client, resp.room_id, ai_id)


async def test_ai_of_unknown_owner_does_not_exist(stack):
    alice = await stack.register("alice")
    client = stack.nio(alice)
    assert await stack.bridge.services.puppets.query_user(stack.mxid("nobody_here_ai")) is None
    resp = await client.get_profile(stack.mxid("nobody_here_ai"))
    assert not isinstance(resp, ProfileGetResponse)


async def test_nio_client_invites_bot_and_bridge_receives_it(stack):
    alice = await stack.register("alice")
    client = stack.nio(alice)
    bot = stack.bridge.az.bot_mxid
    seen_before = stack.bridge.services.ingest.seen["m.room.member"]
    resp = await client.room_create(name="hello bot", invite=[bot])
    assert isinstance(resp, RoomCreateResponse), resp

    await wait_joined(client, resp.room_id, bot)
    assert stack.bridge.services.ingest.seen["m.room.member"] > seen_before


async def test_health_reports_database_and_homeserver(stack):
    status, body = await stack.request("GET", f"{stack.api_url}/health")
    assert status == 200, body
    assert body["database"]["ok"] is True
    assert body["homeserver"]["ok"] is True


async def test_wrong_hs_token_is_forbidden_and_processes_nothing(stack, monkeypatch):
    event = {
        "type": "m.room.message", "room_id": "!x:" + stack.domain, "sender": stack.mxid("eve"),
        "event_id": "$forged", "origin_server_ts": 1, "content": {"msgtype": "m.text", "body": "x"},
    }
    # Only this event counts: late events of earlier tests may still arrive meanwhile.
    handled = record_ingested(stack, monkeypatch)
    url = f"{stack.appservice_url}/_matrix/app/v1/transactions/forged-1"
    status, body = await stack.request("PUT", url, json={"events": [event]},
                                       headers={"Authorization": "Bearer wrong"})
    assert (status, body["errcode"]) == (403, "M_FORBIDDEN")
    status, body = await stack.request("PUT", url, json={"events": [event]})
    assert status == 401 and body["errcode"] == "M_UNAUTHORIZED"
    assert "$forged" not in handled
    # processed transactions are kept as "<id>/<digest of their event ids>"
    assert await stack.bridge.db.fetchval(
        "SELECT COUNT(*) FROM appservice_txn WHERE txn_id LIKE 'forged-1/%'") == 0
    # and that is where the right token leaves its mark
    status, _ = await stack.request("PUT", url, json={"events": [event]},
                                    token=stack.config["appservice.hs_token"])
    assert status == 200
    assert await stack.bridge.db.fetchval(
        "SELECT COUNT(*) FROM appservice_txn WHERE txn_id LIKE 'forged-1/%'") == 1


async def test_transaction_is_applied_once_across_retries(stack):
    url = f"{stack.appservice_url}/_matrix/app/v1/transactions/retry-1"
    token = stack.config["appservice.hs_token"]
    event = {
        "type": "m.room.message", "room_id": "!r:" + stack.domain, "sender": stack.mxid("bob"),
        "event_id": "$retry", "origin_server_ts": 1, "content": {"msgtype": "m.text", "body": "x"},
    }
    before = stack.bridge.services.ingest.seen["m.room.message"]
    for _ in range(2):
        status, _body = await stack.request("PUT", url, json={"events": [event]}, token=token)
        assert status == 200
    assert stack.bridge.services.ingest.seen["m.room.message"] == before + 1
    assert await stack.bridge.db.fetchval(
        "SELECT COUNT(*) FROM appservice_txn WHERE txn_id LIKE 'retry-1/%'") == 1


async def test_a_reused_transaction_id_with_new_events_is_applied(stack):
    """Synapse on SQLite numbers transactions from 1 again after it restarts."""
    url = f"{stack.appservice_url}/_matrix/app/v1/transactions/reused-1"
    token = stack.config["appservice.hs_token"]
    before = stack.bridge.services.ingest.seen["m.room.message"]
    for n in range(2):
        event = {
            "type": "m.room.message", "room_id": "!r:" + stack.domain,
            "sender": stack.mxid("bob"), "event_id": f"$reused{n}", "origin_server_ts": 1,
            "content": {"msgtype": "m.text", "body": "x"},
        }
        for _ in range(2):
            status, _body = await stack.request("PUT", url, json={"events": [event]},
                                                token=token)
            assert status == 200
    assert stack.bridge.services.ingest.seen["m.room.message"] == before + 2


async def test_transaction_is_not_reapplied_after_a_restart(stack):
    url = f"{stack.appservice_url}/_matrix/app/v1/transactions/restart-1"
    token = stack.config["appservice.hs_token"]
    event = {
        "type": "m.room.message", "room_id": "!r:" + stack.domain, "sender": stack.mxid("bob"),
        "event_id": "$restart", "origin_server_ts": 1,
        "content": {"msgtype": "m.text", "body": "x"},
    }
    status, _ = await stack.request("PUT", url, json={"events": [event]}, token=token)
    assert status == 200
    await stack.stop_bridge()
    await stack.start_bridge()
    status, _ = await stack.request("PUT", url, json={"events": [event]}, token=token)
    assert status == 200
    assert stack.bridge.services.ingest.seen["m.room.message"] == 0


async def test_failed_index_write_makes_the_homeserver_retry(stack, monkeypatch):
    alice = await stack.register("alice")
    client = stack.nio(alice)
    bot = stack.bridge.az.bot_mxid
    room = await client.room_create(invite=[bot])
    assert isinstance(room, RoomCreateResponse), room

    await wait_joined(client, room.room_id, bot)
    real_handle = stack.bridge.services.ingest.handle
    attempts: list[str] = []
    stored: list[str] = []

    async def flaky(raw):
        if raw["type"] == "m.room.message" and raw["content"].get("body") == "retry me":
            attempts.append(raw["event_id"])
            if len(attempts) == 1:
                raise sqlite3.OperationalError("database is locked")
            stored.append(raw["event_id"])
        await real_handle(raw)

    monkeypatch.setattr(stack.bridge.services.ingest, "handle", flaky)
    sent = await client.room_send(room.room_id, "m.room.message",
                                  {"msgtype": "m.text", "body": "retry me"})
    await eventually(lambda: _async(stored), timeout=30, what="event stored after retry")
    assert stored == [sent.event_id]
    assert attempts == [sent.event_id, sent.event_id]


async def _async(value):
    return value
