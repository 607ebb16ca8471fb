"""The capability check on the suite's homeserver (Synapse with MSC2409 to-device and MSC3202
transaction extensions on): everything is delivered, encryption goes through transactions."""

from __future__ import annotations

import pytest

from .conftest import running
from .harness import Stack, api, eventually

CAPABILITIES = ("appservice_ping", "ephemeral_events", "to_device_events",
                "device_masquerading")


async def settled_health(stack) -> dict:
    """GET /health once the capability check and the encryption route have concluded."""
    seen: list[dict] = []

    async def concluded():
        status, body = await api(stack, "GET", "/health")
        assert status == 200, body
        seen[:] = [body]
        pending = [k for k in CAPABILITIES if body["capabilities"][k]["status"] == "pending"]
        return body if not pending and body["encryption"]["route"] != "pending" else None

    # Each probe gives up within 20 s; a bridge the previous test restarted on a loaded
    # machine may still be starting.
    try:
        return await eventually(concluded, timeout=60, what="capability check concluded")
    except AssertionError:
        raise AssertionError(f"capability check still pending: {seen}") from None


def logged_lines(stack, lines: list[str]) -> list[str]:
    """`lines` (what one bridge's check says it logged), checked to be in the real log."""
    logged = {message for _, message in stack.capability_log.lines}
    assert lines and set(lines) <= logged, (lines, logged)
    return lines


@pytest.fixture(scope="module")
async def fresh_stack(tmp_path_factory):
    """The check as a service makes it when it starts next to a fresh homeserver. On the
    session's shared stack, after other files' tests, the to-device probe sometimes (2 of 7
    full runs) did not come back at all; the cause is not found yet. Late events do correct
    the report and the route (test_conduit_like.py)."""
    async with running(Stack(tmp_path_factory.mktemp("stack-capabilities"), "postgres")) as s:
        yield s


async def test_full_synapse_delivers_everything_and_encryption_uses_transactions(fresh_stack):
    stack = fresh_stack
    health = await settled_health(stack)
    caps = health["capabilities"]
    assert caps["server"]["name"] == "Synapse" and caps["server"]["version"]
    for key in CAPABILITIES:
        assert caps[key]["status"] == "yes", (key, caps[key])
    assert "came back in a transaction" in caps["to_device_events"]["detail"]
    assert "came back in a transaction" in caps["ephemeral_events"]["detail"]
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


async def test_synapse_refuses_sync_to_its_appservice_bot(fresh_stack):
    """Why Synapse without the experimental flags has no route for end-to-bridge encryption:
    its appservice sender (our bot) may not /sync. (On the fresh stack: the shared one's bot
    device is left alone.)"""
    stack = fresh_stack
    await settled_health(stack)
    error = await stack.bridge.services.e2be_route.check_sync()
    assert error == "HTTP 500 M_UNKNOWN: Internal server error", error
