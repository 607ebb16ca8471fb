"""GET /api/social/health: is the database reachable, is the homeserver reachable, what does
the homeserver deliver to appservices, and can AIs read encrypted rooms."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from ..bridge import SocialBridge


async def _timed(check) -> dict:
    start = time.perf_counter()
    try:
        await check()
    except Exception as e:
        return {"ok": False, "error": f"{type(e).__name__}: {e}"[:300]}
    return {"ok": True, "latency_ms": round((time.perf_counter() - start) * 1000, 1)}


def add_health_routes(app: web.Application, bridge: SocialBridge) -> None:
    async def health(_: web.Request) -> web.Response:
        database = await _timed(lambda: bridge.db.fetchval("SELECT 1"))
        homeserver = await _timed(bridge.az.intent.whoami)
        ok = database["ok"] and homeserver["ok"]
        return web.json_response(
            {"status": "ok" if ok else "degraded", "database": database, "homeserver": homeserver,
             "capabilities": bridge.capabilities.report(),
             "encryption": bridge.encryption.status()},
            status=200 if ok else 503,
        )

    app.router.add_get("/health", health)
