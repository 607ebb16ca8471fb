"""GET /api/social/health: is the database reachable, is the homeserver reachable, what does
the homeserver deliver to appservices, and can AIs read encrypted rooms."""

from __future__ import annotations

import asyncio
import time

from aiohttp import web
from mautrix.appservice import AppService
from mautrix.util.async_db import Database

from ..matrix.capabilities import CapabilityCheck
from ..matrix.e2be_route import EncryptionRoute

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


def add_health_routes(app: web.Application, db: Database, az: AppService,
                      capabilities: CapabilityCheck, e2be_route: EncryptionRoute) -> None:
    async def health(_: web.Request) -> web.Response:
        database, homeserver = await asyncio.gather(
            _timed(lambda: db.fetchval("SELECT 1")), _timed(lambda: az.intent.whoami()))
        ok = database["ok"] and homeserver["ok"]
        return web.json_response(
            {"status": "ok" if ok else "degraded", "database": database, "homeserver": homeserver,
             "capabilities": capabilities.report(),
             "encryption": e2be_route.status()},
            status=200 if ok else 503,
        )

    app.router.add_get("/health", health)
