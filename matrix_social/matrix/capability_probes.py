"""One cheap self-test per homeserver capability; each is bounded in time and never raises.

Synapse announces none of the appservice extensions in /versions, so what the homeserver
delivers is found out by trying: the bot sends itself a typing notification and a to-device
message and watches whether they come back in a transaction.

Synapse drops some of them (docs/testing.md, "The to-device probe"): everything ephemeral
while it still replays transactions that failed while this service was down, and a to-device
message whenever another user's to-device notification carrying a later stream position is
handled first. So each probe is sent again every RESEND_SECONDS until one comes back or its
time is up; any of them coming back counts.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass
from typing import Any

import aiohttp
from mautrix.api import Method, Path
from mautrix.appservice import AppService
from mautrix.errors import MatrixRequestError
from mautrix.types import RoomCreatePreset, RoomID, SpecVersions, VersionsResponse

from .. import events as ev
from . import msc4501
from .txn_watch import TransactionWatcher

YES, NO, UNKNOWN, NOT_CHECKED, PENDING = "yes", "no", "unknown", "not_checked", "pending"
REQUEST_SECONDS = 5.0
RESEND_SECONDS = 0.5


def _max_sends(wait: float) -> int:
    return max(1, int(wait / RESEND_SECONDS))


def _attempts(sent: int) -> str:
    return f" (sent {sent} times)" if sent > 1 else ""


@dataclass
class Capability:
    status: str
    detail: str


def _failure(e: Exception) -> str:
    return f"{type(e).__name__}: {e}"[:200]


async def server_version(az: AppService, homeserver_url: str) -> dict[str, str | None]:
    """The server's own name and version (GET /_matrix/federation/v1/version, no auth)."""
    url = f"{homeserver_url.rstrip('/')}/_matrix/federation/v1/version"
    try:
        async with az.http_session.get(
                url, timeout=aiohttp.ClientTimeout(total=REQUEST_SECONDS)) as resp:
            body = await resp.json(content_type=None) if resp.status == 200 else None
    except (aiohttp.ClientError, TimeoutError, ValueError):
        body = None
    server = (body or {}).get("server") if isinstance(body, dict) else None
    if not isinstance(server, dict):
        return {"name": None, "version": None}
    return {k: server.get(k) if isinstance(server.get(k), str) else None
            for k in ("name", "version")}


async def profile_fields(az: AppService, versions: VersionsResponse) -> Capability:
    """Per-key profile fields (Matrix 1.16, MSC4133), where MSC4501's profile room field
    lives; read from /capabilities, nothing written."""
    try:
        caps = await asyncio.wait_for(az.intent.api.request(Method.GET, Path.v3.capabilities),
                                      REQUEST_SECONDS)
    except (MatrixRequestError, aiohttp.ClientError, TimeoutError) as e:
        return Capability(UNKNOWN, f"GET /capabilities failed: {_failure(e)}")
    if msc4501.profile_fields_writable(caps, [str(v) for v in versions.versions]):
        return Capability(YES, f"users' profiles name their feed room "
                               f"({ev.SOCIAL_PROFILE_ROOM_FIELD})")
    return Capability(NO, "the homeserver does not offer per-key profile fields "
                          "(m.profile_fields): MSC4501 clients find feed rooms only by alias")


async def appservice_ping(az: AppService, versions: VersionsResponse) -> Capability:
    if not (versions.supports("fi.mau.msc2659.stable")
            or versions.supports_at_least(SpecVersions.V17)):
        return Capability(NO, "the homeserver does not announce the appservice ping "
                              "(Matrix v1.7 or fi.mau.msc2659.stable in /versions)")
    try:
        duration = await asyncio.wait_for(az.ping_self(f"capability-{secrets.token_hex(4)}"),
                                          REQUEST_SECONDS)
    except (MatrixRequestError, aiohttp.ClientError, TimeoutError) as e:
        return Capability(NO, f"the ping failed: {_failure(e)}")
    return Capability(YES, f"the homeserver reached this service in {duration} ms")


async def device_masquerading(az: AppService, device: tuple[str, str] | None) -> Capability:
    """whoami with ?device_id=: a server that masquerades echoes the device or refuses an
    unknown one (M_UNKNOWN_DEVICE); one that does not ignores the parameter."""
    device_id = device[1] if device else f"MSPROBE{secrets.token_hex(4).upper()}"
    try:
        body = await asyncio.wait_for(az.intent.api.request(
            Method.GET, Path.v3.account.whoami,
            query_params={"device_id": device_id, "org.matrix.msc3202.device_id": device_id}),
            REQUEST_SECONDS)
    except MatrixRequestError as e:
        if e.errcode == "M_UNKNOWN_DEVICE":
            return Capability(YES, "the homeserver checks the device_id an appservice names")
        return Capability(UNKNOWN, f"whoami failed: {_failure(e)}")
    except (aiohttp.ClientError, TimeoutError) as e:
        return Capability(UNKNOWN, f"whoami failed: {_failure(e)}")
    if device and body.get("device_id") == device_id:
        return Capability(YES, "whoami answered as the bot's own device")
    return Capability(NO, "the homeserver ignored the device_id parameter")


async def _probe_room(az: AppService) -> RoomID:
    """The bot's private probe room, made once and remembered in its account data."""
    try:
        stored = await az.intent.get_account_data(ev.PROBE_ROOM_ACCOUNT_DATA)
    except MatrixRequestError:
        stored = {}
    room_id = (stored or {}).get("room_id")
    if isinstance(room_id, str):
        return RoomID(room_id)
    room_id = await az.intent.create_room(
        name="matrix-social capability probe", preset=RoomCreatePreset.PRIVATE)
    await az.intent.set_account_data(ev.PROBE_ROOM_ACCOUNT_DATA, {"room_id": room_id})
    return room_id


async def _typing(az: AppService, room_id: RoomID, timeout_ms: int) -> RoomID:
    try:
        await az.intent.set_typing(room_id, timeout=timeout_ms)
    except MatrixRequestError as e:
        if e.http_status not in (403, 404):
            raise
        # The remembered room is gone (left, purged): make a new one.
        await az.intent.set_account_data(ev.PROBE_ROOM_ACCOUNT_DATA, {})
        room_id = await _probe_room(az)
        await az.intent.set_typing(room_id, timeout=timeout_ms)
    return room_id


async def ephemeral_delivery(az: AppService, watcher: TransactionWatcher, requested: bool,
                             wait: float) -> Capability:
    bot = az.bot_mxid
    if watcher.ephemeral.count:
        return Capability(YES, "typing or receipts already arrived in a transaction")
    why = ("" if requested else
           " (the registration does not ask for them: appservice.ephemeral_events is false)")

    def is_probe(raw: dict[str, Any]) -> bool:
        # Only the probe makes the bot itself type.
        return raw.get("type") == "m.typing" and \
            bot in ((raw.get("content") or {}).get("user_ids") or [])

    waiting = asyncio.ensure_future(watcher.ephemeral.wait_for(is_probe, wait))
    await asyncio.sleep(0)
    start = time.monotonic()
    sent = 0
    try:
        room_id = await _probe_room(az)
        while not waiting.done() and sent < _max_sends(wait):
            # Not typing first: a probe of an earlier start (or attempt) may have left the
            # bot typing, and typing again while typing changes nothing.
            room_id = await _typing(az, room_id, timeout_ms=0)
            room_id = await _typing(az, room_id, timeout_ms=int(wait * 1000) + 1000)
            sent += 1
            await asyncio.wait({waiting}, timeout=RESEND_SECONDS)
        seen = await waiting
        await _typing(az, room_id, timeout_ms=0)
    except (MatrixRequestError, aiohttp.ClientError, TimeoutError) as e:
        waiting.cancel()
        return Capability(UNKNOWN, f"the typing probe failed: {_failure(e)}{why}")
    if seen is not None:
        took = round((time.monotonic() - start) * 1000)
        return Capability(YES, f"the bot's typing notification came back in a transaction "
                               f"after {took} ms{_attempts(sent)}")
    if watcher.ephemeral.count:
        return Capability(YES, "typing or receipts arrived in a transaction")
    return Capability(NO, f"the bot's typing notification did not come back in a transaction "
                          f"within {wait:g} s{why}")


async def send_to_device_probe(az: AppService, device: tuple[str, str]) -> str:
    """A to-device message from the bot to its own device; its nonce."""
    user_id, device_id = device
    nonce = secrets.token_hex(8)
    await asyncio.wait_for(az.intent.api.request(
        Method.PUT, Path.v3.sendToDevice[ev.PROBE_TO_DEVICE][f"probe{nonce}"],
        content={"messages": {user_id: {device_id: {"nonce": nonce}}}}), REQUEST_SECONDS)
    return nonce


async def to_device_delivery(az: AppService, watcher: TransactionWatcher,
                             device: tuple[str, str] | None, wait: float,
                             ephemeral_requested: bool = True) -> Capability:
    if device is None:
        return Capability(NOT_CHECKED, "end-to-bridge encryption is off, so the bot has no "
                                       "device to send a probe to (and nothing needs them)")
    if watcher.to_device.count:
        return Capability(YES, "to-device events already arrived in a transaction")
    nonces: set[str] = set()

    def is_probe(raw: dict[str, Any]) -> bool:
        return raw.get("type") == ev.PROBE_TO_DEVICE and \
            (raw.get("content") or {}).get("nonce") in nonces

    waiting = asyncio.ensure_future(watcher.to_device.wait_for(is_probe, wait))
    await asyncio.sleep(0)
    start = time.monotonic()
    try:
        while not waiting.done() and len(nonces) < _max_sends(wait):
            nonces.add(await send_to_device_probe(az, device))
            await asyncio.wait({waiting}, timeout=RESEND_SECONDS)
    except (MatrixRequestError, aiohttp.ClientError, TimeoutError) as e:
        waiting.cancel()
        return Capability(UNKNOWN, f"sending the to-device probe failed: {_failure(e)}")
    seen = await waiting
    if seen is not None:
        took = round((time.monotonic() - start) * 1000)
        return Capability(YES, f"a to-device message to the bot's device came back in a "
                               f"transaction after {took} ms{_attempts(len(nonces))}")
    if watcher.to_device.count:
        return Capability(YES, "to-device events arrived in a transaction")
    why = ("" if ephemeral_requested else " (the registration does not ask for ephemeral "
           "events, appservice.ephemeral_events is false, and Synapse sends to-device events "
           "only to appservices that do)")
    return Capability(NO, f"a to-device message to the bot's device did not come back in a "
                          f"transaction within {wait:g} s{why}")
