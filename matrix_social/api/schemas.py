"""OpenAPI pieces more than one route group uses: the error answer, parameters, posts, apps and
the small helpers that write schemas. A schema only one group uses lives with that group
(RouteGroup.schemas)."""

from __future__ import annotations

from typing import Any

from ..external.platforms import REGISTERED
from ..external.registry import cross_post_targets


def ref(name: str | None) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(required: list[str], properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A response object: `required` is what every answer carries (test_openapi checks that
    every object schema of an answer says so)."""
    return {"type": "object", "required": required, "properties": properties, **extra}


def page(item: dict[str, Any]) -> dict[str, Any]:
    return obj(["items", "next_cursor"], {
        "items": {"type": "array", "items": item},
        "next_cursor": {"type": "string", "nullable": True}})


def path_param(name: str, description: str | None = None) -> dict[str, Any]:
    param = {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
    return {**param, "description": description} if description else param


ERROR = ref("Error")
ERROR_RESPONSE = {"description": "Matrix-style error",
                  "content": {"application/json": {"schema": ERROR}}}
STRING = {"type": "string"}
NULLABLE_STRING = {"type": "string", "nullable": True}
INT = {"type": "integer"}
BOOL = {"type": "boolean"}
TEXT = {"type": "string", "maxLength": 500}  # what a user writes in a post or comment

PAGE_PARAMS = (
    {"name": "cursor", "in": "query", "schema": {"type": "string"},
     "description": "Opaque cursor from the previous page's next_cursor."},
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1}},
)
POST_ID = path_param("post_id", "The post's Matrix event id.")
ROOM_ID = path_param("room_id")
HANDLE = path_param("handle", "alice, alice_ai or @alice:server.")
# The registered platforms (external/platforms/), and those a post can be published to.
PLATFORM_NAMES = [p.name for p in REGISTERED]
TARGETS = {"type": "array", "maxItems": len(cross_post_targets()), "items": {
    "type": "string", "enum": cross_post_targets()}}
CW = {"type": "string", "maxLength": 100, "description": (
    "a content warning (one line): the text and images are a Matrix spoiler with this reason")}

AUTHOR = obj(["user_id", "handle", "display_name", "avatar_url"], {
    "user_id": STRING, "handle": STRING, "display_name": STRING,
    "avatar_url": NULLABLE_STRING})
SHORT_AUTHOR = obj(["user_id", "handle"], {"user_id": STRING, "handle": STRING})
POST_PROPERTIES: dict[str, Any] = {
    "id": STRING, "room_id": STRING, "event_id": STRING, "author": AUTHOR,
    "kind": STRING, "text": STRING, "created_at": INT,
    "edited_at": {"type": "integer", "nullable": True},
    "counts": obj(["likes", "comments", "reposts"], {
        "likes": INT, "comments": INT, "reposts": INT}),
    "liked": BOOL,
    "bookmarked": {**BOOL, "description": "you bookmarked it (bookmarks are private)"},
    "cw": {**NULLABLE_STRING, "description": (
        "a content warning: show the text (and media) collapsed behind this reason until the "
        "reader asks (a bridged Mastodon spoiler_text); null when there is none")},
    "sensitive": {**BOOL, "description": "its media is to be blurred until the reader asks "
                  "(Mastodon sensitive, X possibly_sensitive, or behind a content warning)"},
    "image": {"type": "object", "description": "the first image: its mxc url and info (kind "
              "image; `images` has them all)"},
    "images": {"type": "array", "minItems": 1, "maxItems": 4, "description": (
        "kind image: its images in order; url is the image's path on the homeserver's "
        "authenticated media API (prefix the homeserver's base URL, send the access token)"),
        "items": obj(["url", "mxc", "alt"], {
            "url": NULLABLE_STRING, "mxc": STRING, "alt": STRING, "w": INT, "h": INT,
            "mimetype": STRING})},
    "original": {"type": "object", "description": "kind repost: the post it shares, as the "
                 "viewer sees it (absent once deleted)"},
    "app": {"description": "the shared app as its event carries it (kind app)"},
    "activity": {"description": "the activity as its event carries it (kind activity)"},
    "repost_of": obj(["room_id", "event_id", "author"], {
        "room_id": NULLABLE_STRING, "event_id": NULLABLE_STRING,
        "author": NULLABLE_STRING}, description="kind repost"),
    "external": {"type": "object", "description": (
        "where the post comes from (a bridged item, or a post shared from one); verified "
        "when this service made it, else another server's unchecked claim"),
        "required": ["platform", "url", "branding", "verified"], "properties": {
            "platform": STRING, "url": STRING, "id": STRING, "kind": STRING,
            "created_at": INT, "author": {"type": "object"},
            "branding": {"type": "object", "required": ["name", "color", "label"],
                         "properties": {"name": STRING, "color": STRING, "label": STRING,
                                        "instance": NULLABLE_STRING}},
            "verified": BOOL}},
    "cross_posts": {"type": "array", "description": "your own posts only",
                    "items": {"$ref": "#/components/schemas/Delivery"}}}
POST_REQUIRED = ["id", "room_id", "event_id", "author", "kind", "text", "created_at",
                 "edited_at", "counts", "liked", "cw", "sensitive"]
APP_PROPERTIES: dict[str, Any] = {
    "id": STRING, "slug": STRING, "name": STRING, "description": STRING, "icon": STRING,
    "url": STRING, "author": SHORT_AUTHOR, "installs": INT, "published_at": INT,
    "forked_from": {**NULLABLE_STRING, "description": "the original's app id, for a fork"},
    "forks": {"type": "integer", "description": "people who published a fork (not in search "
              "results)"},
    "original": obj(["id", "name", "author"], {
        "id": STRING, "name": STRING, "author": SHORT_AUTHOR}, nullable=True,
        description="one app's answer: the original of a fork"),
    "post": ref("Post")}
APP_REQUIRED = ["id", "slug", "name", "description", "icon", "url", "author", "installs",
                "published_at", "forked_from"]

SHARED: dict[str, Any] = {
    "Error": obj(["errcode", "error"], {
        "errcode": {"type": "string", "example": "M_INVALID_PARAM"}, "error": STRING}),
    "Post": obj(POST_REQUIRED, POST_PROPERTIES),
    "PostPage": page(ref("Post")),
    "Deleted": obj(["deleted"], {"deleted": BOOL}),
    "Delivery": {"type": "object", "required": ["target", "status", "attempts"],
                 "properties": {
                     "target": {"type": "string"},
                     "status": {"type": "string", "enum": [
                         "pending", "sending", "delivered", "failed", "refused", "deleted"]},
                     "remote_id": {"type": "string", "nullable": True},
                     "url": {"type": "string", "nullable": True},
                     "attempts": {"type": "integer"},
                     "last_error": {"type": "string", "nullable": True}}},
    "App": obj(APP_REQUIRED, APP_PROPERTIES),
    "AppPage": page(ref("App")),
    # What a client may send to create a post (and to preview its cross-posts).
    "NewPost": {"type": "object", "properties": {
        "kind": {"type": "string", "enum": ["text", "image", "app", "activity"]},
        "as": {"type": "string", "enum": ["me", "ai"], "description": "yourself or your AI"},
        "text": TEXT,
        "image": {"type": "string", "description": "content_uri returned by /media (one "
                  "image without alt text; see images)"},
        "images": {"type": "array", "minItems": 1, "maxItems": 4, "description": (
            "kind image: 1 to 4 images you uploaded through /media, each with its alt text"),
            "items": {"type": "object", "required": ["mxc"], "properties": {
                "mxc": {"type": "string", "description": "content_uri returned by /media"},
                "alt": {"type": "string", "maxLength": 1500}}}},
        "cw": CW,
        "app": {"type": "object", "properties": {
            "name": {"type": "string"}, "description": {"type": "string"},
            "icon": {"type": "string"}, "url": {"type": "string"}, "slug": {"type": "string"}}},
        "activity": {"type": "object", "properties": {
            "kind": {"type": "string"}, "data": {"type": "object"}}},
        "cross_post": {**TARGETS, "description": "also publish to these connected "
                       "platforms (default: your cross_post setting)"}}},
}
