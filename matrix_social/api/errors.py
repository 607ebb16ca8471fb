"""Matrix-style JSON errors: {"errcode": "M_...", "error": "..."} with the right HTTP status,
for every error type of the service (matrix_social/errors.py) and aiohttp's own."""

from __future__ import annotations

import json
import logging

import aiohttp
from aiohttp import web
from mautrix.errors import MatrixRequestError

from ..errors import (
    ApiError,
    Conflict,
    DatabaseBusy,
    Forbidden,
    InvalidInput,
    NotFound,
    RateLimited,
    RemoteUnreachable,
    RequestTimeout,
    TooLarge,
)

log = logging.getLogger("matrix_social.api")

_STATUS_CODES = {
    404: ("M_UNRECOGNIZED", "Unrecognized request"),
    405: ("M_UNRECOGNIZED", "Method not allowed for this path"),
    413: ("M_TOO_LARGE", "Request body too large"),
}


def error_response(status: int, errcode: str, error: str, **extra) -> web.Response:
    return web.Response(status=status, content_type="application/json",
                        text=json.dumps({"errcode": errcode, "error": error, **extra}))


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, (list, tuple)):
        return any(_has_nul(v) for v in value)
    return False


def _from_homeserver(request: web.Request, e: MatrixRequestError) -> web.Response:
    log.warning("Homeserver refused %s %s: %s", request.method, request.path, e)
    if e.errcode == "M_TOO_LARGE":
        return error_response(413, "M_TOO_LARGE", f"The homeserver said: {e.message}")
    if e.http_status in (403, 404) and e.errcode:
        return error_response(e.http_status, e.errcode, f"The homeserver said: {e.message}")
    return error_response(502, "M_UNKNOWN",
                          f"The homeserver refused: {e.errcode or e.http_status}")


@web.middleware
async def error_middleware(request: web.Request, handler) -> web.StreamResponse:
    try:
        if "\x00" in request.path or _has_nul(list(request.query.items())):
            raise InvalidInput("NUL characters are not allowed in paths and parameters")
        return await handler(request)
    except ApiError as e:
        return error_response(e.status, e.errcode, e.error, **e.extra)
    except InvalidInput as e:
        return error_response(400, "M_INVALID_PARAM", str(e))
    except TooLarge as e:
        return error_response(413, "M_TOO_LARGE", str(e))
    except NotFound as e:
        return error_response(404, "M_NOT_FOUND", str(e))
    except Forbidden as e:
        return error_response(403, "M_FORBIDDEN", str(e))
    except Conflict as e:
        return error_response(409, "M_CONFLICT", str(e))
    except RateLimited as e:
        return error_response(429, "M_LIMIT_EXCEEDED", str(e), retry_after_ms=e.retry_after_ms)
    except RequestTimeout as e:
        return error_response(504, "M_UNKNOWN", str(e))
    except RemoteUnreachable as e:
        return error_response(502, "M_UNKNOWN", str(e))
    except DatabaseBusy as e:
        log.warning("%s %s: %s", request.method, request.path, e)
        return error_response(503, "M_UNKNOWN", str(e))
    except MatrixRequestError as e:
        return _from_homeserver(request, e)
    except aiohttp.ClientError as e:  # the homeserver dropped or timed out a request of ours
        log.warning("Homeserver unreachable during %s %s: %s", request.method, request.path,
                    type(e).__name__)
        return error_response(502, "M_UNKNOWN",
                              f"The homeserver could not be reached ({type(e).__name__}); "
                              "try again")
    except web.HTTPException as e:
        if e.status in _STATUS_CODES:
            return error_response(e.status, *_STATUS_CODES[e.status])
        raise
    except Exception:
        log.exception("Unhandled error in %s %s", request.method, request.path)
        return error_response(500, "M_UNKNOWN", "Internal server error")
