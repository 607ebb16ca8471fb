"""Routes for following and unfollowing, and the followers and following lists."""

from __future__ import annotations

from aiohttp import web

from ..social.follows import Follows
from .auth import Authenticator
from .params import PageLimit, handle, json_object


def add_follow_routes(app: web.Application, auth: Authenticator, limit: PageLimit,
                      follows: Follows) -> None:
    routes = web.RouteTableDef()

    @routes.post("/follow")
    async def follow(request: web.Request) -> web.Response:
        user = await auth.user(request)
        body = await json_object(request)
        return web.json_response(await follows.follow(user, handle(body.get("handle"))))

    @routes.delete("/unfollow")
    async def unfollow(request: web.Request) -> web.Response:
        user = await auth.user(request)
        target = request.query.get("handle")
        if target is None and request.can_read_body:
            target = (await json_object(request)).get("handle")
        return web.json_response(await follows.unfollow(user, handle(target)))

    @routes.get("/followers/{handle}")
    async def followers(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return web.json_response(await follows.followers(
            user, request.match_info["handle"], request.query.get("cursor"), limit(request)))

    @routes.get("/following/{handle}")
    async def following(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return web.json_response(await follows.following(
            user, request.match_info["handle"], request.query.get("cursor"), limit(request)))

    app.add_routes(routes)
