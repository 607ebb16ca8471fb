"""A loopback aiohttp server that a fake platform or agent builds on."""

from __future__ import annotations

from aiohttp import web

from matrix_social.devstack.ports import reserve_port


class LoopbackServer:
    def __init__(self) -> None:
        self.port = reserve_port()
        self.runner: web.AppRunner | None = None

    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    async def start(self) -> None:
        app = web.Application()
        self.routes(app)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self.runner:
            await self.runner.cleanup()
