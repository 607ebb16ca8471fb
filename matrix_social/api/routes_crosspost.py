"""Routes for cross-posting: the per-target preview, the default targets, and the signed image
URLs platforms fetch (Instagram)."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from ..external.crossposting import CrossPosting
from ..external.media_links import ROUTE, MediaLinks
from .params import json_object
from .routing import RouteGroup, get, post, put
from .schemas import ERROR_RESPONSE, TARGETS, ref


@dataclass
class CrossPostRoutes(RouteGroup):
    crossposting: CrossPosting
    media_links: MediaLinks

    schemas = {
        "CrossPostPreview": {"type": "object", "required": ["targets"], "properties": {
            "targets": {"type": "array", "items": {
                "type": "object", "required": ["target", "length", "limit", "truncated"],
                "properties": {"target": {"type": "string"},
                               "text": {"type": "string", "nullable": True},
                               "length": {"type": "integer"}, "limit": {"type": "integer"},
                               "truncated": {"type": "boolean"},
                               "refusal": {"type": "string", "nullable": True},
                               "parts": {"type": "array", "items": {"type": "string"},
                                         "description": "a post longer than the target "
                                         "takes, as the thread it goes out as: each post "
                                         "exactly as sent (`text` is all of them, a blank "
                                         "line apart; `length` the longest one's); empty for "
                                         "one post"}}}}}},
        "CrossPostSettings": {"type": "object", "required": ["cross_post_default"],
                              "properties": {"cross_post_default": TARGETS}},
    }

    @post("/posts/preview",
          "Per cross-post target: the exact text that would be sent (for a thread, each of "
          "its posts), its length as the platform counts it, the limit, and any refusal. The "
          "link back to the post names its "
          "event id once published; until then `$…` stands for it (a link counts the same "
          "whatever it says)", "CrossPostPreview", body=ref("NewPost"), errors=(400, 401))
    async def preview(self, request: web.Request, user: str) -> dict:
        return await self.crossposting.preview(user, await json_object(request))

    @get("/settings/cross_post", "Your default cross-post targets", "CrossPostSettings",
         errors=(401,))
    async def get_default(self, request: web.Request, user: str) -> dict:
        return await self.crossposting.settings(user)

    @put("/settings/cross_post",
         "Set your default cross-post targets (used when a post names none)",
         "CrossPostSettings", errors=(400, 401),
         body={"type": "object", "required": ["cross_post_default"],
               "properties": {"cross_post_default": TARGETS}})
    async def put_default(self, request: web.Request, user: str) -> dict:
        body = await json_object(request)
        return await self.crossposting.set_default(user, body.get("cross_post_default"))

    @get(ROUTE + "/{token}",
         "A post's image as JPEG, for a platform that fetches it itself (Instagram): public, "
         "but only with a valid, unexpired signature", auth="public",
         params=({"name": "token", "in": "path", "required": True,
                  "schema": {"type": "string"}},),
         responses={"200": {"description": "The image", "content": {
             "image/jpeg": {"schema": {"type": "string", "format": "binary"}}}},
             **{str(code): ERROR_RESPONSE for code in (400, 403, 404)}})
    async def platform_media(self, request: web.Request) -> web.Response:
        # Public on purpose (the platform fetching it has no Matrix token): the signature and
        # its expiry are the authorization.
        data = await self.media_links.jpeg(request.match_info["token"])
        return web.Response(body=data, content_type="image/jpeg", headers={
            "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"})
