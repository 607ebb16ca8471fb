"""A loopback AI agent (the `http` backend's other end) that records what it is sent."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from matrix_social.devstack.synapse import free_port


class FakeAgent:
    def __init__(self) -> None:
        self.port = free_port()
        self.requests: list[dict[str, Any]] = []
        self.delay = 0.0
        self.runner: web.AppRunner | None = None

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

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/agents/{localpart}/matrix", self.handle)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self.runner:
            await self.runner.cleanup()
