"""The /api/social sub-application: middleware, every route group (each registers its own
routes) and the OpenAPI document assembled from what they registered."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any

from aiohttp import web

from .. import metrics
from .auth import Authenticator
from .errors import error_middleware
from .health import HealthRoutes
from .openapi import OpenApiRoutes, document, group_schemas
from .routes_activity import ActivityRoutes
from .routes_bookmarks import BookmarkRoutes
from .routes_connections import ConnectionRoutes
from .routes_crosspost import CrossPostRoutes
from .routes_explore import ExploreRoutes
from .routes_follows import FollowRoutes
from .routes_live import LiveRoutes
from .routes_messaging import MessagingRoutes
from .routes_moderation import ModerationRoutes
from .routes_notifications import NotificationRoutes
from .routes_posts import PostRoutes
from .routes_previews import PreviewRoutes
from .routes_profiles import ProfileRoutes
from .routes_safety import SafetyRoutes
from .routes_tags import TagRoutes
from .routing import RouteGroup

# In the order aiohttp tries them: /posts/preview before /posts/{post_id}.
ROUTE_GROUPS: tuple[type[RouteGroup], ...] = (
    HealthRoutes, CrossPostRoutes, PostRoutes, ConnectionRoutes, FollowRoutes, ProfileRoutes,
    ExploreRoutes, MessagingRoutes, ActivityRoutes, SafetyRoutes, ModerationRoutes,
    TagRoutes, BookmarkRoutes, PreviewRoutes, NotificationRoutes, LiveRoutes)


@web.middleware
async def timing_middleware(request: web.Request, handler) -> web.StreamResponse:
    """Times every /api/social request for the metrics, labelled by route template (never the
    raw path, whose ids would make a time series each)."""
    start = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as e:
        status = e.status
        raise
    finally:
        resource = request.match_info.route.resource
        route = resource.canonical if resource is not None else "unmatched"
        metrics.api_request(request.method, route, status, time.perf_counter() - start)


def make_api_app(groups: Sequence[RouteGroup], auth: Authenticator,
                 middlewares: Iterable[Any] = ()) -> web.Application:
    # Bodies are read by params.read_body, with each route's limit (the largest: uploads).
    app = web.Application(middlewares=[timing_middleware, error_middleware, *middlewares])
    OpenApiRoutes(list(groups)).register(app, auth)
    return app


def api_document() -> dict[str, Any]:
    """The document the app serves, from the route groups' declarations (no app needed)."""
    groups = (*ROUTE_GROUPS, OpenApiRoutes)
    return document([op for group in groups for op in group.operations()],
                    group_schemas(groups))
