"""Routes for explore (trending posts and apps, suggestions) and unified search."""

from __future__ import annotations

from aiohttp import web

from ..social.explore import Explore
from .auth import Authenticator
from .params import PageLimit


def add_explore_routes(app: web.Application, auth: Authenticator, limit: PageLimit,
                       explore: Explore) -> None:
    routes = web.RouteTableDef()

    @routes.get("/explore/trending")
    async def trending(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return web.json_response(await explore.trending_posts(
            user, request.query.get("cursor"), limit(request)))

    @routes.get("/explore/apps")
    async def trending_apps(request: web.Request) -> web.Response:
        await auth.user(request)
        return web.json_response(
            await explore.trending_apps(request.query.get("cursor"), limit(request)))

    @routes.get("/explore/suggestions")
    async def suggestions(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return web.json_response(
            await explore.suggestions(user, request.query.get("cursor"), limit(request)))

    @routes.get("/search")
    async def search(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return web.json_response(await explore.search(
            user, request.query.get("q"), request.query.get("type", "all"),
            request.query.get("cursor"), limit(request)))

    app.add_routes(routes)
