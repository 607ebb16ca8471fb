"""Where the service exposes a post's image for Instagram to fetch (a signed URL in
production)."""

from __future__ import annotations

from aiohttp import web

from ..server import LoopbackServer


class ImageHost(LoopbackServer):
    """Serves a JPEG and a PNG, counting the fetches."""

    def __init__(self) -> None:
        super().__init__()
        self.hits = 0

    def routes(self, app: web.Application) -> None:
        async def jpeg(request: web.Request) -> web.Response:
            self.hits += 1
            return web.Response(body=b"\xff\xd8\xff\xe0real-jpeg-bytes", content_type="image/jpeg")

        async def png(request: web.Request) -> web.Response:
            self.hits += 1
            return web.Response(body=b"\x89PNG\r\n\x1a\n", content_type="image/png")

        app.router.add_get("/img.jpg", jpeg)
        app.router.add_get("/img.png", png)
