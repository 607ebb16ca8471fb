"""Times every /api/social request for the metrics, labelled by route template (never the raw
path, whose ids would make a time series each)."""

from __future__ import annotations

import time

from aiohttp import web

from .. import metrics


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
