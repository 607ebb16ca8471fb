"""What this homeserver delivers to appservices, found out at start and logged one line each.

Runs in the background after start-up (each probe bounded in time) and keeps watching: a
capability first seen missing turns to "yes" if its events arrive later.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from mautrix.appservice import AppService
from mautrix.types import VersionsResponse

from . import capability_probes as probes
from .capability_probes import NOT_CHECKED, PENDING, YES, Capability
from .txn_watch import TransactionWatcher

log = logging.getLogger("matrix_social.capabilities")

PROBE_SECONDS = 5.0
LABELS = {
    "appservice_ping": "appservice ping (MSC2659)",
    "ephemeral_events": "ephemeral events to appservices (MSC2409: typing, receipts)",
    "to_device_events": "to-device events to appservices (MSC2409/MSC4203)",
    "device_masquerading": "device masquerading (MSC3202/MSC4326)",
    "profile_fields": "per-key profile fields (Matrix 1.16/MSC4133, for MSC4501)",
}
CONSEQUENCES = {
    "ephemeral_events": "nothing in this service reads them",
    "device_masquerading": "not used by this service: its bot device logs in with "
                           "m.login.application_service",
}

class CapabilityCheck:
    def __init__(self, az: AppService, watcher: TransactionWatcher, *, homeserver_url: str,
                 ephemeral_requested: bool, probe_seconds: float = PROBE_SECONDS) -> None:
        self.az = az
        self.watcher = watcher
        self.homeserver_url = homeserver_url
        self.ephemeral_requested = ephemeral_requested
        self.probe_seconds = probe_seconds
        self.server: dict[str, str | None] = {"name": None, "version": None}
        self.results = {key: Capability(PENDING, "checking") for key in LABELS}
        self.to_device_checked = asyncio.Event()
        self.lines: list[str] = []  # what this check logged, in order
        watcher.ephemeral.on_first(lambda: self._late("ephemeral_events"))
        watcher.to_device.on_first(lambda: self._late("to_device_events"))

    async def run(self, versions: VersionsResponse, device: tuple[str, str] | None) -> None:
        """Every probe at once; logs each line as its answer comes. `device`: the bot's
        encryption device (user id, device id), if it has one."""
        self.server = await probes.server_version(self.az, self.homeserver_url)
        name, version = self.server["name"] or "unknown", self.server["version"] or "unknown"
        self._say(f"Homeserver software: {name} {version}")
        try:
            await asyncio.gather(
                self._record("appservice_ping", probes.appservice_ping(self.az, versions)),
                self._record("profile_fields", probes.profile_fields(self.az, versions)),
                self._record("device_masquerading",
                             probes.device_masquerading(self.az, device)),
                self._record("ephemeral_events", probes.ephemeral_delivery(
                    self.az, self.watcher, self.ephemeral_requested, self.probe_seconds)),
                self._record("to_device_events", probes.to_device_delivery(
                    self.az, self.watcher, device, self.probe_seconds,
                    self.ephemeral_requested)),
            )
        finally:
            self.to_device_checked.set()

    async def _record(self, key: str, probe) -> None:
        limit = self.probe_seconds + 3 * probes.REQUEST_SECONDS
        try:
            async with asyncio.timeout(limit):
                result = await probe
        except TimeoutError:
            result = Capability(probes.UNKNOWN, f"the probe did not finish within {limit:g} s")
        except Exception as e:  # a probe must never stop start-up
            log.exception("Capability probe %s failed", key)
            result = Capability(probes.UNKNOWN, f"the probe failed: {type(e).__name__}")
        self.results[key] = result
        self._log(key)
        if key == "to_device_events":
            self.to_device_checked.set()

    def _late(self, key: str) -> None:
        """Events of this kind arrived; a running probe notices by itself."""
        if self.results[key].status in (YES, PENDING):
            return
        self.results[key] = Capability(YES, "they arrived in a transaction after the probe "
                                            "had given up")
        self._log(key)

    def _log(self, key: str) -> None:
        result = self.results[key]
        note = CONSEQUENCES.get(key)
        self._say(f"Homeserver capability: {LABELS[key]}: {result.status} "
                  f"({result.detail}{f'; {note}' if note else ''})")

    def _say(self, line: str) -> None:
        self.lines.append(line)
        log.info("%s", line)

    def delivered(self, key: str) -> bool:
        return self.results[key].status == YES

    def report(self) -> dict[str, Any]:
        return {"server": dict(self.server),
                **{key: {"status": r.status, "detail": r.detail}
                   for key, r in self.results.items()}}

    def skip_to_device(self, why: str) -> None:
        """No bot device to probe (encryption off or could not start)."""
        self.results["to_device_events"] = Capability(NOT_CHECKED, why)
