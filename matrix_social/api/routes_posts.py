"""Routes for the feed, posts (create, edit, delete, like, comment, repost) and media."""

from __future__ import annotations

from aiohttp import web

from ..errors import InvalidInput
from ..ids import Identities
from ..social.crossposting import CrossPosting
from ..social.feed import Feed
from ..social.media import Uploads
from ..social.posts import Posts
from .auth import Authenticator
from .params import PageLimit, json_object, optional_json_object, read_body


def add_post_routes(app: web.Application, auth: Authenticator, limit: PageLimit,
                    ids: Identities, feed: Feed, posts: Posts, media: Uploads,
                    crossposting: CrossPosting) -> None:
    routes = web.RouteTableDef()

    @routes.get("/feed")
    async def get_feed(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return web.json_response(
            await feed.page(user, request.query.get("cursor"), limit(request)))

    @routes.post("/posts")
    async def create_post(request: web.Request) -> web.Response:
        user = await auth.user(request)
        body = await json_object(request)
        as_ = body.get("as", "me")
        if as_ not in ("me", "ai"):
            raise InvalidInput("'as' must be 'me' or 'ai'")
        author = ids.ai_of(user) if as_ == "ai" else user
        return web.json_response(await crossposting.create_post(author, body, as_ == "ai"),
                                 status=201)

    @routes.get("/posts/{post_id}")
    async def get_post(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return web.json_response(await feed.post(user, request.match_info["post_id"]))

    @routes.patch("/posts/{post_id}")
    async def edit_post(request: web.Request) -> web.Response:
        user = await auth.user(request)
        body = await json_object(request)
        return web.json_response(
            await crossposting.edit_post(user, request.match_info["post_id"], body.get("text")))

    @routes.delete("/posts/{post_id}")
    async def delete_post(request: web.Request) -> web.Response:
        user = await auth.user(request)
        await crossposting.delete_post(user, request.match_info["post_id"])
        return web.json_response({"deleted": True})

    @routes.post("/posts/{post_id}/like")
    async def like(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return web.json_response(await posts.like(user, request.match_info["post_id"]))

    @routes.delete("/posts/{post_id}/like")
    async def unlike(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return web.json_response(await posts.unlike(user, request.match_info["post_id"]))

    @routes.post("/posts/{post_id}/comments")
    async def comment(request: web.Request) -> web.Response:
        user = await auth.user(request)
        body = await json_object(request)
        return web.json_response(
            await posts.comment(user, request.match_info["post_id"], body.get("text"),
                                body.get("reply_to")), status=201)

    @routes.get("/posts/{post_id}/comments")
    async def list_comments(request: web.Request) -> web.Response:
        await auth.user(request)
        return web.json_response(await posts.comments(
            request.match_info["post_id"], request.query.get("cursor"), limit(request)))

    @routes.post("/posts/{post_id}/repost")
    async def repost(request: web.Request) -> web.Response:
        user = await auth.user(request)
        body = await optional_json_object(request)
        return web.json_response(
            await posts.repost(user, request.match_info["post_id"], body.get("text")),
            status=201)

    @routes.post("/media")
    async def upload(request: web.Request) -> web.Response:
        user = await auth.user(request)
        data = await read_body(request, media.max_bytes, "Uploads")
        if not data:
            raise InvalidInput("Send the image bytes as the request body")
        return web.json_response(
            await media.upload(user, data, request.query.get("kind", "image")), status=201)

    app.add_routes(routes)
