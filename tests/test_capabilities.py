"""The capability check on the suite's homeserver (Synapse with MSC2409 to-device and MSC3202
transaction extensions on): everything is delivered, encryption goes through transactions."""

from __future__ import annotations

import asyncio

import pytest
from nio import RoomCreateResponse, RoomSendResponse

from matrix_social import events as ev
from matrix_social.matrix.ingest import Ingest

from .conftest import running
from .harness import Stack, api, appservice_not_down, eventually, synapse_rows

CAPABILITIES = ("appservice_ping", "ephemeral_events", "to_device_events",
                "device_masquerading", "profile_fields")


async def settled_health(stack) -> dict:
    """GET /health once the capability check and the encryption route have concluded."""
    seen: list[dict] = []

    async def concluded():
        status, body = await api(stack, "GET", "/health")
        assert status == 200, body
        seen[:] = [body]
        pending = [k for k in CAPABILITIES if body["capabilities"][k]["status"] == "pending"]
        return body if not pending and body["encryption"]["route"] != "pending" else None

    # Each probe gives up within 20 s, the route waits up to 60 s for a late to-device event;
    # a bridge the previous test restarted on a loaded machine may still be starting.
    try:
        return await eventually(concluded, timeout=180, what="capability check concluded")
    except AssertionError:
        raise AssertionError(f"capability check still pending: {seen}") from None


def logged_lines(stack, lines: list[str]) -> list[str]:
    """`lines` (what one bridge's check says it logged), checked to be in the real log."""
    logged = {message for _, message in stack.capability_log.lines}
    assert lines and set(lines) <= logged, (lines, logged)
    return lines


@pytest.fixture(scope="module")
async def fresh_stack(tmp_path_factory):
    """A homeserver of its own, for the one test that /syncs as the bot's device (the shared
    stack's bot device is left alone)."""
    async with running(Stack(tmp_path_factory.mktemp("stack-capabilities"), "postgres")) as s:
        yield s


async def test_full_synapse_delivers_everything_and_encryption_uses_transactions(stack):
    """On the session's shared stack, whose bridge other tests restarted while their clients
    sent to-device messages: the probes are sent again until one comes back (docs/testing.md,
    "The to-device probe"), so the check says the same as next to a fresh homeserver."""
    health = await settled_health(stack)
    caps = health["capabilities"]
    assert caps["server"]["name"] == "Synapse" and caps["server"]["version"]
    for key in CAPABILITIES:
        assert caps[key]["status"] == "yes", (key, caps[key])
    for key in ("to_device_events", "ephemeral_events"):
        # came back (the probe's own) or arrived (someone else's), never "given up"
        assert "in a transaction" in caps[key]["detail"], caps[key]
        assert "given up" not in caps[key]["detail"], caps[key]
    assert health["encryption"] == {
        "setting": "auto", "route": "appservice",
        "detail": "to-device events arrive in transactions"}
    lines = logged_lines(stack, stack.bridge.services.capabilities.lines)
    for label in ("appservice ping", "ephemeral events to appservices",
                  "to-device events to appservices", "device masquerading"):
        mine = [line for line in lines if label in line]
        assert mine and all(": yes (" in line for line in mine), (label, lines)
    assert any(line.startswith("Homeserver software: Synapse") for line in lines), lines
    assert stack.bridge.services.txn_watcher.to_device.count >= 1
    # Typing and receipts arrive, and nothing past the transaction reads them.
    assert stack.bridge.services.txn_watcher.ephemeral.count >= 1
    assert not {t for t in stack.bridge.services.ingest.seen if t in ("m.typing", "m.receipt")}


async def _synapse_sees_us_down(stack: Stack) -> bool:
    return not await appservice_not_down(stack)


async def _written_while_we_are_down(stack: Stack, client, room_id: str):
    """The bridge stopped, a message sent: Synapse fails to deliver it and marks us down."""
    await stack.stop_bridge()
    sent = await client.room_send(room_id, "m.room.message",
                                  {"msgtype": "m.text", "body": "while you were away"})
    assert isinstance(sent, RoomSendResponse), sent
    await eventually(lambda: _synapse_sees_us_down(stack), timeout=120,
                     what="Synapse marking the appservice down")
    return sent


async def _probes_sent_since(stack: Stack, stream_id: int) -> int:
    rows = await asyncio.to_thread(
        synapse_rows, stack, "SELECT COUNT(*) FROM device_inbox WHERE stream_id > ? AND "
        "message_json LIKE ?", stream_id, f"%{ev.PROBE_TO_DEVICE}%")
    return rows[0][0]


async def test_probes_come_back_while_the_homeserver_replays_what_failed_while_we_were_down(
        stack, monkeypatch):
    """The deliberate reproduction of the flake. Someone writes while the service is stopped:
    Synapse's transaction fails, it marks the appservice down, and until its recoverer has
    replayed every stored transaction it drops ephemeral and to-device events outright
    (synapse/appservice/scheduler.py `_TransactionController.send`; stored transactions are
    replayed without them). Here the replay of that transaction is held until the bot's first
    to-device probe has been stored by Synapse (so it is dropped for certain), then let go:
    the probes sent after it come back."""
    alice = await stack.register("alice")
    client = stack.nio(alice)
    created = await client.room_create(name="written while the service is down")
    assert isinstance(created, RoomCreateResponse), created
    await settled_health(stack)

    sent = await _written_while_we_are_down(stack, client, created.room_id)
    before = (await asyncio.to_thread(
        synapse_rows, stack, "SELECT COALESCE(MAX(stream_id), 0) FROM device_inbox"))[0][0]

    real_handle = Ingest.handle
    held: list[str] = []

    async def replay_held_until_a_probe_was_sent(self, raw):
        if raw.get("event_id") == sent.event_id and not held:
            held.append(raw["event_id"])
            await eventually(lambda: _probes_sent_since(stack, before), timeout=120,
                             what="the bot's first to-device probe")
        await real_handle(self, raw)

    monkeypatch.setattr(Ingest, "handle", replay_held_until_a_probe_was_sent)
    await stack.start_bridge()
    health = await settled_health(stack)
    assert held == [sent.event_id], "the replay was never held: the setup did not reproduce"
    caps = health["capabilities"]
    for key in ("to_device_events", "ephemeral_events"):
        assert caps[key]["status"] == "yes", (key, caps[key])
        assert "came back in a transaction" in caps[key]["detail"], (key, caps[key])
    assert "sent " in caps["to_device_events"]["detail"], caps["to_device_events"]
    assert health["encryption"]["route"] == "appservice", health["encryption"]
    # The first probe really was dropped: more than one was needed.
    assert await _probes_sent_since(stack, before) >= 2


async def test_synapse_refuses_sync_to_its_appservice_bot(fresh_stack):
    """Why Synapse without the experimental flags has no route for end-to-bridge encryption:
    its appservice sender (our bot) may not /sync."""
    stack = fresh_stack
    await settled_health(stack)
    error = await stack.bridge.services.e2be_route.check_sync()
    assert error == "HTTP 500 M_UNKNOWN: Internal server error", error


async def test_transactions_are_taken_up_again_when_a_long_replay_outlasts_the_check(
        stack, monkeypatch):
    """The replay of what failed while we were down outlasts the capability check and the
    wait for a late to-device event (on a busy homeserver it can take minutes): the route
    ends as none, and it must not stay there once Synapse delivers again, or AIs would open
    unencrypted DMs for the rest of the process's life."""
    import functools

    from matrix_social import services
    from matrix_social.matrix import e2be_route

    alice = await stack.register("alice")
    client = stack.nio(alice)
    created = await client.room_create(name="written while the service is down")
    assert isinstance(created, RoomCreateResponse), created
    await settled_health(stack)
    monkeypatch.setattr(e2be_route, "LATE_TO_DEVICE_SECONDS", 1)
    monkeypatch.setattr(e2be_route, "REPROBE_SECONDS", 2)
    monkeypatch.setattr(services, "CapabilityCheck",
                        functools.partial(services.CapabilityCheck, probe_seconds=2))

    sent = await _written_while_we_are_down(stack, client, created.room_id)

    real_handle = Ingest.handle
    held: list[str] = []

    async def route(expected: str) -> bool:
        return stack.bridge is not None and \
            stack.bridge.services.e2be_route.route == expected

    async def replay_held_until_the_route_gave_up(self, raw):
        if raw.get("event_id") == sent.event_id and not held:
            held.append(raw["event_id"])
            await eventually(lambda: route("none"), timeout=120,
                             what="the route giving up while the replay is held")
        await real_handle(self, raw)

    monkeypatch.setattr(Ingest, "handle", replay_held_until_the_route_gave_up)
    await stack.start_bridge()
    await eventually(lambda: route("none"), timeout=180, what="the route giving up")
    await eventually(lambda: route("appservice"), timeout=180,
                     what="transactions taken up again once Synapse delivered")
    assert held == [sent.event_id], "the replay was never held: the setup did not reproduce"
    health = await settled_health(stack)
    assert health["capabilities"]["to_device_events"]["status"] == "yes", health
    assert health["encryption"]["detail"] == "to-device events arrive in transactions", health
