"""Routes for profiles (people and their AIs) and published apps."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from ..social.apps import Apps
from ..social.profiles import Profiles
from .params import PageLimit, json_object
from .routing import BUSY, RouteGroup, delete, get, patch, post
from .schemas import (
    AUTHOR,
    BOOL,
    HANDLE,
    INT,
    NULLABLE_STRING,
    PAGE_PARAMS,
    STRING,
    TEXT,
    obj,
    path_param,
    ref,
)

_APP_ID = path_param("app_id", "AUTHOR_LOCALPART:SLUG, e.g. alice:chess.")


@dataclass
class ProfileRoutes(RouteGroup):
    page_limit: PageLimit
    profiles: Profiles
    apps: Apps

    schemas = {
        "Profile": obj(
            ["user_id", "handle", "kind", "display_name", "avatar_url", "bio", "links",
             "interests", "banner_url", "pinned_post", "room_id", "followers_count",
             "following_count", "following", "apps", "apps_next_cursor", "recent_posts",
             "recent_posts_next_cursor"], {
                "user_id": STRING, "handle": STRING,
                "kind": {"type": "string", "enum": ["human", "ai"]},
                "display_name": NULLABLE_STRING, "avatar_url": NULLABLE_STRING,
                "bio": STRING, "links": {"type": "array", "items": {"type": "object"}},
                "interests": {"type": "array", "items": STRING},
                "banner_url": {**NULLABLE_STRING, "description": "mxc:// URI of the banner"},
                "pinned_post": {"type": "object", "nullable": True, "description": (
                    "the post the profile pins (a Post): only the owner's own post in her "
                    "feed room")},
                "room_id": STRING, "followers_count": INT, "following_count": INT,
                "following": BOOL, "apps": {"type": "array", "items": ref("App")},
                "recent_posts": {"type": "array", "items": ref("Post")},
                "apps_next_cursor": {**NULLABLE_STRING,
                                     "description": "continue with GET /profile/{handle}/apps"},
                "recent_posts_next_cursor": {
                    **NULLABLE_STRING,
                    "description": "continue with GET /profile/{handle}/posts"},
                "owner": {**AUTHOR, "description": "an AI's owner, as she is called now"},
                "ai": ref("AiProfile"),
                "recent_activity": {"type": "array", "description": "an AI's activity posts",
                                    "items": ref("Post")},
                "public_conversations": {"type": "array", "description": (
                    "an AI's conversations in public rooms (when its owner shares AI "
                    "activity)"), "items": obj(
                        ["room_id", "name", "alias", "answers", "last_active"], {
                            "room_id": STRING, "name": NULLABLE_STRING,
                            "alias": NULLABLE_STRING, "answers": INT, "last_active": INT})}}),
        "AiProfile": obj(["personality", "skills", "capabilities"], {
            "personality": STRING, "skills": {"type": "array", "items": STRING},
            "capabilities": {"type": "array", "items": STRING}}),
        "Install": obj(["id", "installed", "new", "installs"], {
            "id": STRING, "installed": BOOL, "new": BOOL, "installs": INT}),
        "ProfilePatch": {"type": "object", "properties": {
            "display_name": {"type": "string", "maxLength": 100},
            "avatar_url": {"type": "string", "description": "mxc:// URI"},
            "bio": {"type": "string", "maxLength": 500},
            "links": {"type": "array", "maxItems": 10, "items": {
                "type": "object", "properties": {
                    "url": {"type": "string"}, "title": {"type": "string"}}}},
            "interests": {"type": "array", "maxItems": 20, "items": {"type": "string"}},
            "banner_url": {"type": "string", "nullable": True, "description": (
                "mxc:// URI of the banner image; null or empty removes it")},
            "pinned_post": {"type": "string", "nullable": True, "description": (
                "event id of one of your own posts (not a repost); null unpins")}}},
        "AiProfilePatch": {"type": "object", "properties": {
            "personality": {"type": "string"},
            "skills": {"type": "array", "items": {"type": "string"}},
            "capabilities": {"type": "array", "items": {"type": "string"}}}},
        "NewApp": {"type": "object", "required": ["slug", "name", "url"], "properties": {
            "slug": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,63}$"},
            "name": {"type": "string"}, "description": {"type": "string"},
            "icon": {"type": "string"}, "url": {"type": "string"},
            "share": {"type": "boolean"}, "text": TEXT,
            "forked_from": {"type": "string", "description": "the original's app id"}}},
    }

    @get("/profile/{handle}", "A person's or an AI's profile: counts, apps, recent posts (and "
         "AI profile)", "Profile", params=(HANDLE,))
    async def get_profile(self, request: web.Request, user: str) -> dict:
        return await self.profiles.get(user, request.match_info["handle"])

    @get("/profile/{handle}/posts", "A person's or an AI's posts, newest first (the profile "
         "holds the first page)", "PostPage", params=(HANDLE, *PAGE_PARAMS))
    async def profile_posts(self, request: web.Request, user: str) -> dict:
        return await self.profiles.posts(user, request.match_info["handle"],
                                         request.query.get("cursor"), self.page_limit(request))

    @get("/profile/{handle}/apps", "A person's or an AI's published apps by slug (the profile "
         "holds the first page)", "AppPage", params=(HANDLE, *PAGE_PARAMS))
    async def profile_apps(self, request: web.Request, user: str) -> dict:
        return await self.profiles.apps(request.match_info["handle"],
                                        request.query.get("cursor"), self.page_limit(request))

    @patch("/profile", "Edit your profile: display_name and avatar_url (Matrix profile), bio, "
           "links, interests (profile state; the feed room topic mirrors the bio)", "Profile",
           body=ref("ProfilePatch"))
    async def patch_profile(self, request: web.Request, user: str) -> dict:
        return await self.profiles.update(user, await json_object(request))

    @patch("/profile/ai", "Set your AI's profile (personality, skills, capabilities)",
           "Profile", body=ref("AiProfilePatch"))
    async def patch_ai_profile(self, request: web.Request, user: str) -> dict:
        return await self.profiles.update_ai(user, await json_object(request))

    @post("/profile/ai/soul", "Derive your AI's profile from its SOUL file (path template in "
          "config)", "Profile")
    async def sync_soul(self, request: web.Request, user: str) -> dict:
        return await self.profiles.sync_soul(user)

    @post("/apps", "Publish or update an app (state event); share: true also posts an app "
          "share", "App", status=201, body=ref("NewApp"), errors=BUSY)
    async def publish_app(self, request: web.Request, user: str) -> dict:
        return await self.apps.publish(user, await json_object(request))

    @get("/apps/{app_id}", "One app, with its install count", "App", params=(_APP_ID,))
    async def get_app(self, request: web.Request, user: str) -> dict:
        return await self.apps.get(request.match_info["app_id"])

    @delete("/apps/{app_id}", "Unpublish your app", "Deleted", params=(_APP_ID,))
    async def unpublish_app(self, request: web.Request, user: str) -> dict:
        await self.apps.unpublish(user, request.match_info["app_id"])
        return {"deleted": True}

    @post("/apps/{app_id}/install", "Report an install by the caller (counted once per user)",
          "Install", params=(_APP_ID,))
    async def install_app(self, request: web.Request, user: str) -> dict:
        return await self.apps.install(user, request.match_info["app_id"])
