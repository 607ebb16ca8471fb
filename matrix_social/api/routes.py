"""The /api/social routes: parse and check input, call the social rules, shape the answer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from .auth import Authenticator
from .errors import ApiError, invalid_param, read_json_object

if TYPE_CHECKING:
    from ..social.service import Social


def add_social_routes(app: web.Application, social: Social, auth: Authenticator,
                      max_image_bytes: int) -> None:
    routes = web.RouteTableDef()

    def limit_of(request: web.Request) -> int:
        return social.page_limit(request.query.get("limit"))

    @routes.get("/feed")
    async def get_feed(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return web.json_response(
            await social.feed(user, request.query.get("cursor"), limit_of(request)))

    @routes.post("/posts")
    async def create_post(request: web.Request) -> web.Response:
        user = await auth.user(request)
        body = await read_json_object(request)
        author = user
        if body.get("as", "me") == "ai":
            author = social.ids.ai_of(user)
        elif body.get("as", "me") != "me":
            raise invalid_param("'as' must be 'me' or 'ai'")
        return web.json_response(await social.create_post(author, body), status=201)

    @routes.get("/posts/{post_id}")
    async def get_post(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return web.json_response(await social.get_post(user, request.match_info["post_id"]))

    @routes.patch("/posts/{post_id}")
    async def edit_post(request: web.Request) -> web.Response:
        user = await auth.user(request)
        body = await read_json_object(request)
        return web.json_response(
            await social.edit_post(user, request.match_info["post_id"], body.get("text")))

    @routes.delete("/posts/{post_id}")
    async def delete_post(request: web.Request) -> web.Response:
        user = await auth.user(request)
        await social.delete_post(user, request.match_info["post_id"])
        return web.json_response({"deleted": True})

    @routes.post("/posts/{post_id}/like")
    async def like(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return web.json_response(await social.like(user, request.match_info["post_id"]))

    @routes.delete("/posts/{post_id}/like")
    async def unlike(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return web.json_response(await social.unlike(user, request.match_info["post_id"]))

    @routes.post("/posts/{post_id}/comments")
    async def comment(request: web.Request) -> web.Response:
        user = await auth.user(request)
        body = await read_json_object(request)
        return web.json_response(
            await social.comment(user, request.match_info["post_id"], body.get("text"),
                                 body.get("reply_to")), status=201)

    @routes.get("/posts/{post_id}/comments")
    async def list_comments(request: web.Request) -> web.Response:
        await auth.user(request)
        return web.json_response(await social.comments(
            request.match_info["post_id"], request.query.get("cursor"), limit_of(request)))

    @routes.post("/posts/{post_id}/repost")
    async def repost(request: web.Request) -> web.Response:
        user = await auth.user(request)
        body = await read_json_object(request) if request.can_read_body else {}
        return web.json_response(
            await social.repost(user, request.match_info["post_id"], body.get("text")),
            status=201)

    @routes.post("/media")
    async def upload(request: web.Request) -> web.Response:
        user = await auth.user(request)
        if request.content_length and request.content_length > max_image_bytes:
            raise ApiError(413, "M_TOO_LARGE", f"Images are limited to {max_image_bytes} bytes")
        data = await request.content.read(max_image_bytes + 1)
        if len(data) > max_image_bytes:
            raise ApiError(413, "M_TOO_LARGE", f"Images are limited to {max_image_bytes} bytes")
        if not data:
            raise invalid_param("Send the image bytes as the request body")
        return web.json_response(
            await social.upload_media(user, data, request.query.get("kind", "image")),
            status=201)

    @routes.post("/follow")
    async def follow(request: web.Request) -> web.Response:
        user = await auth.user(request)
        body = await read_json_object(request)
        return web.json_response(await social.follow(user, _handle(body.get("handle"))))

    @routes.delete("/unfollow")
    async def unfollow(request: web.Request) -> web.Response:
        user = await auth.user(request)
        handle = request.query.get("handle")
        if handle is None and request.can_read_body:
            handle = (await read_json_object(request)).get("handle")
        return web.json_response(await social.unfollow(user, _handle(handle)))

    @routes.get("/followers/{handle}")
    async def followers(request: web.Request) -> web.Response:
        await auth.user(request)
        return web.json_response(await social.followers(
            request.match_info["handle"], request.query.get("cursor"), limit_of(request)))

    @routes.get("/following/{handle}")
    async def following(request: web.Request) -> web.Response:
        await auth.user(request)
        return web.json_response(await social.following(
            request.match_info["handle"], request.query.get("cursor"), limit_of(request)))

    app.add_routes(routes)


def _handle(value) -> str:
    if not isinstance(value, str) or not value.strip():
        raise invalid_param("'handle' must be a user handle such as alice or @alice:server")
    return value
