"""A loopback AI agent (the `http` backend's other end) that records what it is sent."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from .server import LoopbackServer


class FakeAgent(LoopbackServer):
    def __init__(self) -> None:
        super().__init__()
        self.requests: list[dict[str, Any]] = []
        self.delay = 0.0

    @property
    def url_template(self) -> str:
        return f"http://127.0.0.1:{self.port}/agents/{{localpart}}/matrix"

    def requests_for(self, ai: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if r.get("ai", {}).get("user_id") == ai]

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append({**body, "_path": request.path})
        text = body.get("message", {}).get("body", "")
        if "please fail" in text:
            return web.json_response({"errcode": "M_UNKNOWN", "error": "boom"}, status=500)
        await asyncio.sleep(self.delay)
        return web.json_response({"reply": f"echo: {text}"})

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/agents/{localpart}/matrix", self.handle)
