"""Routes for profiles (people and their AIs) and published apps."""

from __future__ import annotations

from aiohttp import web

from ..social.apps import Apps
from ..social.profiles import Profiles
from .auth import Authenticator
from .params import PageLimit, json_object


def add_profile_routes(app: web.Application, auth: Authenticator, limit: PageLimit,
                       profiles: Profiles, apps: Apps) -> None:
    routes = web.RouteTableDef()

    @routes.get("/profile/{handle}")
    async def get_profile(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return web.json_response(await profiles.get(user, request.match_info["handle"]))

    @routes.get("/profile/{handle}/posts")
    async def profile_posts(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return web.json_response(await profiles.posts(
            user, request.match_info["handle"], request.query.get("cursor"), limit(request)))

    @routes.get("/profile/{handle}/apps")
    async def profile_apps(request: web.Request) -> web.Response:
        await auth.user(request)
        return web.json_response(await profiles.apps(
            request.match_info["handle"], request.query.get("cursor"), limit(request)))

    @routes.patch("/profile")
    async def patch_profile(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return web.json_response(await profiles.update(user, await json_object(request)))

    @routes.patch("/profile/ai")
    async def patch_ai_profile(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return web.json_response(await profiles.update_ai(user, await json_object(request)))

    @routes.post("/profile/ai/soul")
    async def sync_soul(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return web.json_response(await profiles.sync_soul(user))

    @routes.post("/apps")
    async def publish_app(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return web.json_response(await apps.publish(user, await json_object(request)),
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

    app.add_routes(routes)
