"""Routes for cross-posting: the per-target preview, the default targets, and the signed image
URLs platforms fetch (Instagram)."""

from __future__ import annotations

from aiohttp import web

from ..external.crossposting import CrossPosting
from ..external.media_links import ROUTE, MediaLinks
from .auth import Authenticator
from .params import json_object


def add_crosspost_routes(app: web.Application, auth: Authenticator,
                         crossposting: CrossPosting, links: MediaLinks) -> None:
    routes = web.RouteTableDef()

    @routes.post("/posts/preview")
    async def preview(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return web.json_response(await crossposting.preview(user, await json_object(request)))

    @routes.get("/settings/cross_post")
    async def get_default(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return web.json_response(await crossposting.settings(user))

    @routes.put("/settings/cross_post")
    async def put_default(request: web.Request) -> web.Response:
        user = await auth.user(request)
        body = await json_object(request)
        return web.json_response(await crossposting.set_default(
            user, body.get("cross_post_default")))

    @routes.get(ROUTE + "/{token}")
    async def platform_media(request: web.Request) -> web.Response:
        # Public on purpose (the platform fetching it has no Matrix token): the signature and
        # its expiry are the authorization.
        data = await links.jpeg(request.match_info["token"])
        return web.Response(body=data, content_type="image/jpeg", headers={
            "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"})

    app.add_routes(routes)
