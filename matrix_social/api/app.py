"""The /api/social sub-application."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from .errors import error_middleware
from .health import add_health_routes

if TYPE_CHECKING:
    from ..bridge import SocialBridge


def make_api_app(bridge: SocialBridge) -> web.Application:
    app = web.Application(middlewares=[error_middleware])
    add_health_routes(app, bridge)
    return app
