"""Routes for link previews, from the homeserver's URL preview API (never fetched here)."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from ..social.link_previews import LinkPreviews
from .routing import RouteGroup, get
from .schemas import BOOL, INT, NULLABLE_STRING, STRING, obj


@dataclass
class PreviewRoutes(RouteGroup):
    link_previews: LinkPreviews

    schemas = {
        "LinkPreview": obj(["url", "available", "title", "description", "site_name", "image"], {
            "url": STRING,
            "available": {**BOOL, "description": "the homeserver gave a preview with a title "
                          "(false: it refused the URL, or the page had nothing to show)"},
            "title": NULLABLE_STRING, "description": NULLABLE_STRING,
            "site_name": NULLABLE_STRING,
            "image": {"type": "object", "nullable": True, "required": ["mxc"],
                      "description": "stored on the homeserver (fetch it from its "
                      "authenticated media API)",
                      "properties": {"mxc": STRING, "width": {**INT, "nullable": True},
                                     "height": {**INT, "nullable": True}}}}),
    }

    @get("/previews", "A link's preview card (title, description, image), as the homeserver's "
         "URL preview API gives it to you; kept a day", "LinkPreview",
         params=({"name": "url", "in": "query", "required": True,
                  "schema": {"type": "string"}},), errors=(400,))
    async def preview(self, request: web.Request, user: str) -> dict:
        return await self.link_previews.get(user, request.query.get("url"))
