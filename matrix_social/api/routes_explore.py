"""Routes for profiles, published apps, explore and search."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from .auth import Authenticator
from .errors import read_json_object

if TYPE_CHECKING:
    from ..bridge import SocialBridge


def add_explore_routes(app: web.Application, bridge: SocialBridge, auth: Authenticator) -> None:
    routes = web.RouteTableDef()
    social, profiles, apps, explore = bridge.social, bridge.profiles, bridge.apps, bridge.explore

    def limit_of(request: web.Request) -> int:
        return social.page_limit(request.query.get("limit"))

    @routes.get("/profile/{handle}")
    async def get_profile(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return web.json_response(await profiles.get(user, request.match_info["handle"]))

    @routes.get("/profile/{handle}/posts")
    async def profile_posts(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return web.json_response(await profiles.posts(
            user, request.match_info["handle"], request.query.get("cursor"), limit_of(request)))

    @routes.get("/profile/{handle}/apps")
    async def profile_apps(request: web.Request) -> web.Response:
        await auth.user(request)
        return web.json_response(await profiles.apps(
            request.match_info["handle"], request.query.get("cursor"), limit_of(request)))

    @routes.patch("/profile")
    async def patch_profile(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return web.json_response(await profiles.update(user, await read_json_object(request)))

    @routes.patch("/profile/ai")
    async def patch_ai_profile(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return web.json_response(
            await profiles.update_ai(user, await read_json_object(request)))

    @routes.post("/profile/ai/soul")
    async def sync_soul(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return web.json_response(await profiles.sync_soul(user))

    @routes.post("/apps")
    async def publish_app(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return web.json_response(await apps.publish(user, await read_json_object(request)),
                                 status=201)

    @routes.get("/apps/{app_id}")
    async def get_app(request: web.Request) -> web.Response:
        await auth.user(request)
        return web.json_response(await apps.get(request.match_info["app_id"]))

    @routes.delete("/apps/{app_id}")
    async def unpublish_app(request: web.Request) -> web.Response:
        user = await auth.user(request)
        await apps.unpublish(user, request.match_info["app_id"])
        return web.json_response({"deleted": True})

    @routes.post("/apps/{app_id}/install")
    async def install_app(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return web.json_response(await apps.install(user, request.match_info["app_id"]))

    @routes.get("/explore/trending")
    async def trending(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return web.json_response(await explore.trending_posts(
            user, request.query.get("cursor"), limit_of(request)))

    @routes.get("/explore/apps")
    async def trending_apps(request: web.Request) -> web.Response:
        await auth.user(request)
        return web.json_response(
            await explore.trending_apps(request.query.get("cursor"), limit_of(request)))

    @routes.get("/explore/suggestions")
    async def suggestions(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return web.json_response(
            await explore.suggestions(user, request.query.get("cursor"), limit_of(request)))

    @routes.get("/search")
    async def search(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return web.json_response(await explore.search(
            user, request.query.get("q"), request.query.get("type", "all"),
            request.query.get("cursor"), limit_of(request)))

    app.add_routes(routes)
