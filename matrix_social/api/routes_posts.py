"""Routes for the feed, posts (create, edit, delete, like, comment, repost) and media."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from ..errors import InvalidInput
from ..ids import Identities
from ..social.feed import Feed
from ..social.media import Uploads
from ..social.posts import Posts
from .params import PageLimit, json_object, optional_json_object, read_body
from .routing import BUSY, RouteGroup, delete, get, patch, post
from .schemas import (
    AUTHOR,
    CW,
    INT,
    NULLABLE_STRING,
    PAGE_PARAMS,
    POST_ID,
    STRING,
    TEXT,
    obj,
    page,
    ref,
)

_COMMENT_REQUIRED = ["id", "post_id", "room_id", "author", "text", "in_reply_to"]
_COMMENT_PROPERTIES = {"id": STRING, "post_id": STRING, "room_id": STRING,
                       "author": AUTHOR, "text": STRING, "in_reply_to": NULLABLE_STRING,
                       "cw": {"type": "string", "description": "a content warning (a Matrix "
                              "spoiler)"}}


@dataclass
class PostRoutes(RouteGroup):
    page_limit: PageLimit
    ids: Identities
    feed: Feed
    posts: Posts
    media: Uploads

    schemas = {
        "Comment": obj(_COMMENT_REQUIRED, {
            **_COMMENT_PROPERTIES,
            "created_at": {"type": "integer", "description": "in listed comments"},
            "edited_at": {"type": "integer", "nullable": True,
                          "description": "in listed comments"}}),
        "CommentPage": page(obj([*_COMMENT_REQUIRED, "created_at", "edited_at"], {
            **_COMMENT_PROPERTIES, "created_at": INT,
            "edited_at": {"type": "integer", "nullable": True}})),
        "Media": obj(["content_uri", "mimetype", "size", "width", "height"], {
            "content_uri": STRING, "mimetype": STRING, "size": INT,
            "width": {"type": "integer", "nullable": True},
            "height": {"type": "integer", "nullable": True}}),
    }

    @get("/feed", "Posts of followed users and AIs plus your own, newest first", "PostPage",
         params=PAGE_PARAMS, errors=())
    async def get_feed(self, request: web.Request, user: str) -> dict:
        return await self.feed.page(user, request.query.get("cursor"), self.page_limit(request))

    @post("/posts", "Create a post (text, image, app share, activity)", "Post", status=201,
          body=ref("NewPost"), errors=BUSY)
    async def create_post(self, request: web.Request, user: str) -> dict:
        body = await json_object(request)
        as_ = body.get("as", "me")
        if as_ not in ("me", "ai"):
            raise InvalidInput("'as' must be 'me' or 'ai'")
        author = self.ids.ai_of(user) if as_ == "ai" else user
        return await self.posts.create(author, body, as_ == "ai")

    @get("/posts/{post_id}", "One post", "Post", params=(POST_ID,))
    async def get_post(self, request: web.Request, user: str) -> dict:
        return await self.feed.permalink(user, request.match_info["post_id"])

    @patch("/posts/{post_id}", "Edit your post's text or caption (m.replace)", "Post",
           params=(POST_ID,),
           body={"type": "object", "required": ["text"], "properties": {"text": TEXT}})
    async def edit_post(self, request: web.Request, user: str) -> dict:
        body = await json_object(request)
        return await self.posts.edit(user, request.match_info["post_id"], body.get("text"))

    @delete("/posts/{post_id}", "Delete your post (redaction)", "Deleted", params=(POST_ID,),
            errors=BUSY)
    async def delete_post(self, request: web.Request, user: str) -> dict:
        await self.posts.delete(user, request.match_info["post_id"])
        return {"deleted": True}

    @post("/posts/{post_id}/like", "Like (a 👍 reaction, as MSC4501; a ❤️ reads as a like "
          "too); liking twice is one like", "Post", params=(POST_ID,), errors=BUSY)
    async def like(self, request: web.Request, user: str) -> dict:
        return await self.posts.like(user, request.match_info["post_id"])

    @delete("/posts/{post_id}/like", "Unlike (redacts your reaction)", "Post",
            params=(POST_ID,), errors=BUSY)
    async def unlike(self, request: web.Request, user: str) -> dict:
        return await self.posts.unlike(user, request.match_info["post_id"])

    @post("/posts/{post_id}/comments", "Comment (thread reply); reply_to nests under a comment",
          "Comment", status=201, params=(POST_ID,), errors=BUSY,
          body={"type": "object", "required": ["text"], "properties": {
              "text": TEXT, "reply_to": {"type": "string"}, "cw": CW}})
    async def comment(self, request: web.Request, user: str) -> dict:
        body = await json_object(request)
        return await self.posts.comment(user, request.match_info["post_id"], body.get("text"),
                                        body.get("reply_to"), body.get("cw"))

    @get("/posts/{post_id}/comments", "Comments, oldest first", "CommentPage",
         params=(POST_ID, *PAGE_PARAMS))
    async def list_comments(self, request: web.Request, user: str) -> dict:
        return await self.posts.comments(request.match_info["post_id"],
                                         request.query.get("cursor"), self.page_limit(request),
                                         viewer=user)

    @post("/posts/{post_id}/repost", "Repost into your own feed, pointing at the original",
          "Post", status=201, params=(POST_ID,), errors=BUSY,
          body={"type": "object", "properties": {"text": TEXT}})
    async def repost(self, request: web.Request, user: str) -> dict:
        body = await optional_json_object(request)
        return await self.posts.repost(user, request.match_info["post_id"], body.get("text"))

    @post("/media", "Upload an image (JPEG, PNG, GIF, WebP; sniffed) or, with ?kind=file, any "
          "file to the media repository", "Media", status=201, errors=(),
          body={"type": "string", "format": "binary"}, body_type="application/octet-stream")
    async def upload(self, request: web.Request, user: str) -> dict:
        data = await read_body(request, self.media.max_bytes, "Uploads")
        if not data:
            raise InvalidInput("Send the image bytes as the request body")
        return await self.media.upload(user, data, request.query.get("kind", "image"))

