"""The /api/social sub-application: middleware and every route group, given their services."""

from __future__ import annotations

import time

from aiohttp import web
from mautrix.appservice import AppService
from mautrix.util.async_db import Database

from .. import metrics
from ..ids import Identities
from ..matrix.capabilities import CapabilityCheck
from ..matrix.e2be_route import EncryptionRoute
from ..social.activity.drafts import Drafts
from ..social.activity.reports import Activities
from ..social.activity.settings import ActivitySettings
from ..social.ai_conversations import AiConversations
from ..social.ai_requests import AiRequests
from ..social.apps import Apps
from ..social.connections import Connections
from ..social.crossposting import CrossPosting
from ..social.explore import Explore
from ..social.feed import Feed
from ..social.follows import Follows
from ..social.ipc import Ipc
from ..social.media import Uploads
from ..social.messaging import Messaging
from ..social.platform_media import MediaLinks
from ..social.posts import Posts
from ..social.profiles import Profiles
from .auth import Authenticator
from .errors import error_middleware
from .health import add_health_routes
from .idempotency import make_idempotency_middleware
from .openapi import add_openapi_route
from .params import PageLimit
from .process_lease import ProcessLease
from .routes_activity import add_activity_routes
from .routes_connections import add_connection_routes
from .routes_crosspost import add_crosspost_routes
from .routes_explore import add_explore_routes
from .routes_follows import add_follow_routes
from .routes_messaging import add_messaging_routes
from .routes_posts import add_post_routes
from .routes_profiles import add_profile_routes


@web.middleware
async def timing_middleware(request: web.Request, handler) -> web.StreamResponse:
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


def make_api_app(*, db: Database, az: AppService, ids: Identities, auth: Authenticator,
                 capabilities: CapabilityCheck, e2be_route: EncryptionRoute,
                 max_page: int, feed: Feed, posts: Posts, media: Uploads, follows: Follows,
                 profiles: Profiles, apps: Apps, explore: Explore, messaging: Messaging,
                 ai_requests: AiRequests, ipc: Ipc, activity_settings: ActivitySettings,
                 activities: Activities, drafts: Drafts, ai_conversations: AiConversations,
                 connections: Connections, crossposting: CrossPosting,
                 media_links: MediaLinks, lease: ProcessLease) -> web.Application:
    # Bodies are read by params.read_body, with each route's limit (the largest: uploads).
    app = web.Application(middlewares=[timing_middleware, error_middleware,
                                       make_idempotency_middleware(db, auth, media.max_bytes,
                                                                   lease)])
    limit = PageLimit(max_page)
    add_health_routes(app, db, az, capabilities, e2be_route)
    add_crosspost_routes(app, auth, crossposting, media_links)  # before /posts/{post_id}
    add_post_routes(app, auth, limit, ids, feed, posts, media, crossposting)
    add_connection_routes(app, auth, connections)
    add_follow_routes(app, auth, limit, follows)
    add_profile_routes(app, auth, limit, profiles, apps)
    add_explore_routes(app, auth, limit, explore)
    add_messaging_routes(app, auth, limit, messaging, ai_requests, ipc)
    add_activity_routes(app, auth, limit, activity_settings, activities, drafts, ipc,
                        ai_conversations)
    add_openapi_route(app)
    return app
