"""The /api/social sub-application."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from .auth import Authenticator
from .errors import error_middleware
from .health import add_health_routes
from .openapi import add_openapi_route
from .routes import add_social_routes
from .routes_explore import add_explore_routes
from .routes_messaging import add_messaging_routes
from .timing import timing_middleware

if TYPE_CHECKING:
    from ..bridge import SocialBridge


def make_api_app(bridge: SocialBridge) -> web.Application:
    max_image = bridge.config["api.max_image_size"] * 1024 * 1024
    app = web.Application(middlewares=[timing_middleware, error_middleware],
                          client_max_size=max_image + 1024)
    add_health_routes(app, bridge)
    auth = Authenticator(bridge)
    add_social_routes(app, bridge.social, auth, max_image)
    add_explore_routes(app, bridge, auth)
    add_messaging_routes(app, bridge, auth)
    add_openapi_route(app)
    return app
