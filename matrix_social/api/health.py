"""GET /api/social/health: is the database reachable, is the homeserver reachable, what does
the homeserver deliver to appservices, and can AIs read encrypted rooms."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from aiohttp import web
from mautrix.appservice import AppService
from mautrix.util.async_db import Database

from ..matrix.capabilities import CapabilityCheck
from ..matrix.e2be_route import EncryptionRoute
from .routing import RouteGroup, get
from .schemas import BOOL, NULLABLE_STRING, STRING, obj

CHECK_TIMEOUT = 1.5  # each check; the answer comes within 2 s even when both hang


async def _timed(check) -> dict:
    start = time.perf_counter()
    try:
        async with asyncio.timeout(CHECK_TIMEOUT):
            await check()
    except TimeoutError:
        return {"ok": False, "error": f"no answer within {CHECK_TIMEOUT:g} s"}
    except Exception as e:
        return {"ok": False, "error": f"{type(e).__name__}: {e}"[:300]}
    return {"ok": True, "latency_ms": round((time.perf_counter() - start) * 1000, 1)}


_CHECK = obj(["ok"], {"ok": BOOL, "latency_ms": {"type": "number"}, "error": STRING})
_CAPABILITY = obj(["status", "detail"], {"status": STRING, "detail": STRING})


@dataclass
class HealthRoutes(RouteGroup):
    db: Database
    az: AppService
    capabilities: CapabilityCheck
    e2be_route: EncryptionRoute

    schemas = {"Health": obj(["status", "database", "homeserver", "capabilities", "encryption"], {
        "status": {"type": "string", "enum": ["ok", "degraded"]},
        "database": _CHECK, "homeserver": _CHECK,
        "capabilities": obj(
            ["server", "appservice_ping", "ephemeral_events", "to_device_events",
             "device_masquerading", "profile_fields"],
            {"server": obj(["name", "version"], {"name": NULLABLE_STRING,
                                                 "version": NULLABLE_STRING}),
             "appservice_ping": _CAPABILITY, "ephemeral_events": _CAPABILITY,
             "to_device_events": _CAPABILITY, "device_masquerading": _CAPABILITY,
             "profile_fields": _CAPABILITY},
            description="status: yes/no/pending/unknown/not_checked"),
        "encryption": obj(["setting", "route", "detail"], {
            "setting": STRING, "route": STRING, "detail": STRING,
            "last_sync_ok_ms_ago": {"type": "integer", "nullable": True},
            "last_sync_error": NULLABLE_STRING},
            description="setting (auto/appservice/sync), route (pending/appservice/sync/none)"),
    })}

    @get("/health", "Database and homeserver reachability, what the homeserver delivers to "
         "appservices, and how AIs read encrypted rooms", "Health", errors=(503,),
         auth="public")
    async def health(self, request: web.Request) -> web.Response:
        database, homeserver = await asyncio.gather(
            _timed(lambda: self.db.fetchval("SELECT 1")),
            _timed(lambda: self.az.intent.whoami()))
        ok = database["ok"] and homeserver["ok"]
        return web.json_response(
            {"status": "ok" if ok else "degraded", "database": database, "homeserver": homeserver,
             "capabilities": self.capabilities.report(), "encryption": self.e2be_route.status()},
            status=200 if ok else 503)
