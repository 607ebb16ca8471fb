"""Routes for safety: blocks, mutes and muted words (docs/events.md, "Blocks", "Mutes and
muted words")."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from ..social.blocks import Blocks
from ..social.mutes import Mutes
from .params import PageLimit, json_object
from .routing import BUSY, RouteGroup, delete, get, post
from .schemas import (
    BOOL,
    INT,
    NULLABLE_STRING,
    PAGE_PARAMS,
    STRING,
    obj,
    page,
    path_param,
    ref,
)

USER_ID = path_param("user_id", "The user's Matrix ID (URL-encoded).")
WORD_ID = path_param("word_id", "The muted word's id.")
EXPIRES = {"type": "integer", "nullable": True,
           "description": "when it ends, in milliseconds since the epoch; null: never"}
CONTEXTS = {"type": "array", "items": {"type": "string", "enum": ["feed", "notifications"]}}
_IDS = {"type": "array", "items": STRING}


@dataclass
class SafetyRoutes(RouteGroup):
    page_limit: PageLimit
    blocks: Blocks
    mutes: Mutes

    schemas = {
        "Blocked": obj(["user_id", "blocked", "include_ai", "blocked_ids"], {
            "user_id": STRING, "blocked": BOOL, "include_ai": BOOL, "blocked_ids": _IDS}),
        "Unblocked": obj(["user_id", "blocked", "unblocked_ids"], {
            "user_id": STRING, "blocked": BOOL, "unblocked_ids": _IDS}),
        "BlockPage": page(obj(["user_id", "handle", "since", "with"], {
            "user_id": STRING, "handle": STRING, "since": INT,
            "with": {**NULLABLE_STRING, "description": "the person blocked along with whom "
                     "this AI was blocked (include_ai), else null"}})),
        "Muted": obj(["user_id", "muted", "expires_at"], {
            "user_id": STRING, "muted": BOOL, "expires_at": EXPIRES}),
        "MutedUsers": obj(["items"], {"items": {"type": "array", "items": obj(
            ["user_id", "handle", "since", "expires_at"], {
                "user_id": STRING, "handle": STRING, "since": INT, "expires_at": EXPIRES})}}),
        "MutedWord": obj(["id", "word", "contexts", "expires_at"], {
            "id": STRING, "word": STRING, "contexts": CONTEXTS, "expires_at": EXPIRES}),
        "MutedWords": obj(["items"], {"items": {"type": "array",
                                                "items": ref("MutedWord")}}),
        "WordDeleted": obj(["id", "deleted"], {"id": STRING, "deleted": BOOL}),
    }

    @post("/blocks", "Block a user (and with include_ai their AI): banned from your feed room, "
          "ignored (m.ignored_user_list), unfollowed both ways, their likes and comments on "
          "your posts redacted, and hidden wherever you look", "Blocked", errors=BUSY,
          body={"type": "object", "required": ["user_id"], "properties": {
              "user_id": STRING, "include_ai": BOOL}})
    async def block(self, request: web.Request, user: str) -> dict:
        return await self.blocks.block(user, await json_object(request))

    @delete("/blocks/{user_id}", "Unblock: the ban and the ignore are lifted (follows, likes "
            "and comments stay gone); his AI blocked along with him is unblocked too",
            "Unblocked", params=(USER_ID,), errors=BUSY)
    async def unblock(self, request: web.Request, user: str) -> dict:
        return await self.blocks.unblock(user, request.match_info["user_id"])

    @get("/blocks", "Whom you blocked, oldest first", "BlockPage", params=PAGE_PARAMS,
         errors=())
    async def list_blocks(self, request: web.Request, user: str) -> dict:
        return await self.blocks.page(user, request.query.get("cursor"),
                                      self.page_limit(request))

    @post("/mutes", "Mute a user (their posts leave your feed and explore; nothing is sent)",
          "Muted", body={"type": "object", "required": ["user_id"], "properties": {
              "user_id": STRING, "expires_at": EXPIRES}})
    async def mute(self, request: web.Request, user: str) -> dict:
        return await self.mutes.mute(user, await json_object(request))

    @delete("/mutes/{user_id}", "Unmute a user", "Muted", params=(USER_ID,))
    async def unmute(self, request: web.Request, user: str) -> dict:
        return await self.mutes.unmute(user, request.match_info["user_id"])

    @get("/mutes", "Whom you muted (active mutes), oldest first", "MutedUsers", errors=())
    async def list_mutes(self, request: web.Request, user: str) -> dict:
        return await self.mutes.muted_users(user)

    @post("/muted_words", "Mute a word or phrase: whole word, case-insensitive, in your feed "
          "and explore (context feed) and notifications", "MutedWord", status=201,
          body={"type": "object", "required": ["word"], "properties": {
              "word": {"type": "string", "maxLength": 100}, "contexts": CONTEXTS,
              "expires_at": EXPIRES}})
    async def mute_word(self, request: web.Request, user: str) -> dict:
        return await self.mutes.add_word(user, await json_object(request))

    @delete("/muted_words/{word_id}", "Unmute a word", "WordDeleted", params=(WORD_ID,))
    async def unmute_word(self, request: web.Request, user: str) -> dict:
        return await self.mutes.remove_word(user, request.match_info["word_id"])

    @get("/muted_words", "Your muted words (active ones), oldest first", "MutedWords",
         errors=())
    async def list_muted_words(self, request: web.Request, user: str) -> dict:
        return await self.mutes.words(user)
