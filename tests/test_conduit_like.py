"""The service on a homeserver that delivers what Conduit delivers: room events only (no
ephemeral or to-device events, no device lists or key counts), and the bot may /sync.

One Synapse configured that way (tests/conftest.py `conduit_stack`,
matrix_social/devstack/conduit_like.py), with the bridge on PostgreSQL.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from mautrix.errors import SessionNotFound
from nio import RoomMessageText

from matrix_social.matrix.e2be_notices import NO_ROUTE, UNDECRYPTABLE

from . import test_ai_puppets, test_messaging
from .encrypted_client import EncryptedClient
from .harness import api, api_ok, eventually, open_dm, room_texts
from .test_capabilities import logged_lines, settled_health


async def test_capability_check_says_what_is_missing(conduit_stack):
    health = await settled_health(conduit_stack)
    caps = health["capabilities"]
    assert caps["server"]["name"] == "Synapse"
    assert caps["appservice_ping"]["status"] == "yes"
    assert caps["ephemeral_events"]["status"] == "no"
    assert caps["to_device_events"]["status"] == "no"
    assert "did not come back in a transaction within 5 s" in caps["to_device_events"]["detail"]
    encryption = health["encryption"]
    assert (encryption["setting"], encryption["route"]) == ("auto", "sync"), encryption
    bot = conduit_stack.bridge.az.bot_mxid
    assert encryption["detail"].startswith(
        "the homeserver delivers no to-device events to appservices: the bot's device "
        f"{bot} "), encryption
    assert encryption["last_sync_error"] is None
    lines = logged_lines(conduit_stack, conduit_stack.bridge.services.capabilities.lines)
    for label in ("ephemeral events to appservices", "to-device events to appservices"):
        mine = [line for line in lines if label in line]
        assert len(mine) == 1 and ": no (" in mine[0], (label, lines)
    route_lines = logged_lines(conduit_stack, conduit_stack.bridge.services.e2be_route.lines)
    assert route_lines == [f"End-to-bridge encryption: sync mode ({encryption['detail']})"]
    # Nothing but room events ever arrived in a transaction.
    watcher = conduit_stack.bridge.services.txn_watcher
    assert (watcher.ephemeral.count, watcher.to_device.count) == (0, 0)


async def test_encrypted_dm_to_ai_is_answered_encrypted_through_sync(conduit_stack, tmp_path):
    stack = conduit_stack
    await settled_health(stack)
    alice, bob = await stack.register("alice"), await stack.register("bob")
    ai, bot = stack.mxid(f"{alice.localpart}_ai"), stack.bridge.az.bot_mxid
    client = EncryptedClient(stack, bob, tmp_path)
    await client.login()
    room_id = await client.encrypted_room(invite=[ai], wait_for=[ai, bot])
    await client.send(room_id, "secret question")

    answers, undecryptable = await client.messages_from(room_id, ai)
    assert [(type(m), m.body) for m in answers] == [(RoomMessageText, "echo: secret question")], \
        (answers, undecryptable)
    assert answers[0].decrypted, "the answer reached bob decrypted, not as plain text"
    stored = await client.raw_event(room_id, answers[0].event_id)
    assert stored["type"] == "m.room.encrypted" and "body" not in stored["content"]
    assert stack.agent.requests_for(ai)[-1]["message"]["body"] == "secret question"
    # The room key came to the bot's device through /sync: never in a transaction.
    assert stack.bridge.services.txn_watcher.to_device.count == 0


async def test_a_message_that_stays_undecryptable_gets_the_ais_notice(conduit_stack):
    """mautrix gives up on a message whose room key never came (after waiting 25 s, not
    waited for here): the AI of the DM says so, instead of mautrix's bot notice."""
    stack = conduit_stack
    alice, bob = await stack.register("alice"), await stack.register("bob")
    ai = stack.mxid(f"{alice.localpart}_ai")
    room_id = await open_dm(stack, bob, ai)
    event = SimpleNamespace(room_id=room_id, event_id="$never-decrypted", sender=bob.user_id)
    await stack.bridge.matrix._send_crypto_status_error(
        event, SessionNotFound("s3ss10n"), is_final=False)
    await stack.bridge.matrix._send_crypto_status_error(
        event, SessionNotFound("s3ss10n"), is_final=True)
    notices = [e["content"]["body"] for e in await room_texts(stack.nio(bob), room_id)
               if e["sender"] == ai and e["type"] == "m.room.message"]
    assert notices == [UNDECRYPTABLE.format(reason="its key never reached me")]


MESSAGING = [
    test_messaging.test_dm_is_reused_marked_direct_encrypted_and_refuses_sending_as_the_human,
    test_messaging.test_groups_members_and_rich_messages,
    # No sliding sync there: the conversation list comes from /sync.
    test_messaging.test_conversations_page_by_cursor_newest_activity_first,
    test_messaging.test_ai_to_ai_round_trip_and_timeout,
    test_messaging.test_send_matrix_message_function_http_and_cli,
    test_ai_puppets.test_dm_to_ai_is_answered_with_typing_and_a_receipt,
    test_ai_puppets.test_backend_failure_gets_an_apology_and_groups_need_a_mention,
]


@pytest.mark.parametrize("case", MESSAGING, ids=lambda case: case.__name__)
async def test_messaging_behaviours_hold(conduit_stack, case):
    """Key messaging tests of the suite, run on this homeserver."""
    await case(conduit_stack)


async def _restart_with(stack, appservice) -> None:
    await stack.stop_bridge()
    stack.config["bridge.encryption.appservice"] = appservice
    stack.config.save()
    await stack.start_bridge()


async def test_without_a_route_ais_say_so_instead_of_staying_silent(conduit_stack, tmp_path,
                                                                     monkeypatch):
    """Forced to transactions on a homeserver that puts no to-device events in them, AIs
    cannot read encrypted rooms: a new DM with an AI is unencrypted with a notice, an encrypted
    room gets one notice (not one per message), an explicit request for encryption is
    refused."""
    stack = conduit_stack
    await _restart_with(stack, True)
    try:
        health = await settled_health(stack)
        assert health["encryption"]["route"] == "none", health["encryption"]
        assert "bridge.encryption.appservice is true" in health["encryption"]["detail"]
        alice, bob = await stack.register("alice"), await stack.register("bob")
        ai = stack.mxid(f"{alice.localpart}_ai")

        before = await api_ok(stack, "GET", "/messages/conversations", bob)
        status, body = await api(stack, "POST", "/messages/dm", bob,
                                 json={"to": ai, "encrypted": True})
        assert (status, body["errcode"]) == (400, "M_INVALID_PARAM"), body
        assert "cannot read encrypted messages" in body["error"]
        assert await api_ok(stack, "GET", "/messages/conversations", bob) == before

        dm = await api_ok(stack, "POST", "/messages/dm", bob, json={"to": ai})
        assert (dm["created"], dm["encrypted"]) == (True, False), dm
        assert dm["notice"].startswith("This chat is not end-to-end encrypted because AIs on "
                                       "this server cannot read encrypted messages: ")

        async def explained():
            return [e for e in await room_texts(stack.nio(bob), dm["room_id"])
                    if e["sender"] == ai and e["content"].get("msgtype") == "m.notice"]

        notices = await eventually(explained, what="the AI explained the unencrypted DM")
        assert notices[0]["content"]["body"] == dm["notice"]

        calls: list[str] = []
        no_route = stack.bridge.services.e2be_notices.no_route

        async def counted(room_id):
            await no_route(room_id)
            calls.append(room_id)

        monkeypatch.setattr(stack.bridge.services.e2be_notices, "no_route", counted)
        client = EncryptedClient(stack, bob, tmp_path)
        await client.login()
        room_id = await client.encrypted_room(invite=[ai], wait_for=[ai])
        await client.send(room_id, "can you read this?")
        await client.send(room_id, "and this?")
        await eventually(lambda: _true(len(calls) == 2), what="both messages handled")
        # Forgotten in memory (as after a restart): the AI's room account data remembers.
        stack.bridge.services.e2be_notices._told.clear()
        await stack.bridge.services.e2be_notices.no_route(room_id)
        told, _ = await client.messages_from(room_id, ai, timeout=5)
        assert [m.body for m in told] == [NO_ROUTE.format(
            reason=stack.bridge.services.e2be_route.detail)], told
        assert not told[0].decrypted, "the notice is plain text the human can read"
        assert stack.agent.requests_for(ai) == [], "nothing reached the AI's backend"
    finally:
        await _restart_with(stack, "auto")


async def test_sync_forced_by_the_config_starts_without_waiting_for_the_probe(conduit_stack):
    stack = conduit_stack
    await _restart_with(stack, False)
    try:
        encryption = stack.bridge.services.e2be_route.status()
        if encryption["route"] == "pending":
            await eventually(lambda: _true(stack.bridge.services.e2be_route.route != "pending"),
                             timeout=3, what="sync route without the 5 s probe")
        encryption = stack.bridge.services.e2be_route.status()
        assert (encryption["setting"], encryption["route"]) == ("sync", "sync"), encryption
        assert encryption["detail"].startswith("bridge.encryption.appservice is false: ")
        assert not stack.bridge.az.encryption_events, "to-device events in transactions unused"
    finally:
        await _restart_with(stack, "auto")


async def _true(value: bool) -> bool:
    return value


async def _push_transaction(stack, txn_id: str, **fields) -> None:
    """A transaction as a homeserver that does deliver to-device and ephemeral events sends
    it (the homeserver-facing API, with the hs_token)."""
    status, body = await stack.request(
        "PUT", f"{stack.appservice_url}/_matrix/app/v1/transactions/{txn_id}",
        json={"events": [], **fields}, token=stack.config["appservice.hs_token"])
    assert status == 200, body


async def test_events_arriving_late_correct_the_report_and_the_route(conduit_stack):
    """If the homeserver turns out to deliver after all (a slow start, a backlog), the
    capability turns to yes and encryption moves to transactions, stopping the /sync loop."""
    stack = conduit_stack
    assert (await settled_health(stack))["encryption"]["route"] == "sync"
    bot, device = stack.bridge.services.e2be_route.key_device()
    sync_task = stack.bridge.matrix.e2ee.client.syncing_task
    assert sync_task is not None and not sync_task.done()
    try:
        await _push_transaction(stack, "late-1", **{
            "de.sorunome.msc2409.to_device": [{
                "type": "m.dummy", "sender": bot, "to_user_id": bot, "to_device_id": device,
                "content": {}}],
            "de.sorunome.msc2409.ephemeral": [{
                "type": "m.typing", "room_id": f"!late:{stack.domain}",
                "content": {"user_ids": []}}]})
        status, health = await api(stack, "GET", "/health")
        assert status == 200, health
        caps = health["capabilities"]
        assert (caps["to_device_events"]["status"], caps["ephemeral_events"]["status"]) == \
            ("yes", "yes"), caps
        assert caps["to_device_events"]["detail"] == \
            "they arrived in a transaction after the probe had given up"
        assert health["encryption"]["route"] == "appservice", health["encryption"]
        await eventually(lambda: _true(sync_task.done()), timeout=5, what="sync loop stopped")
        assert logged_lines(stack, stack.bridge.services.e2be_route.lines)[-1] == \
            "End-to-bridge encryption: appservice mode (to-device events arrive in transactions)"
    finally:
        await _restart_with(stack, "auto")
