"""Matrix-style JSON errors: {"errcode": "M_...", "error": "..."} with the right HTTP status."""

from __future__ import annotations

import json
import logging

from aiohttp import web
from mautrix.errors import MatrixRequestError

from ..social.posts import InvalidInput
from ..social.service import Forbidden, NoRemoteFeed, NotFound, RemoteUnreachable

log = logging.getLogger("matrix_social.api")


class ApiError(web.HTTPException):
    def __init__(self, status: int, errcode: str, error: str, **extra) -> None:
        self.status_code = status
        body = {"errcode": errcode, "error": error, **extra}
        super().__init__(text=json.dumps(body), content_type="application/json")
        self.errcode = errcode


def bad_json(error: str) -> ApiError:
    return ApiError(400, "M_BAD_JSON", error)


def invalid_param(error: str) -> ApiError:
    return ApiError(400, "M_INVALID_PARAM", error)


_STATUS_CODES = {
    404: ("M_UNRECOGNIZED", "Unrecognized request"),
    405: ("M_UNRECOGNIZED", "Method not allowed for this path"),
    413: ("M_TOO_LARGE", "Request body too large"),
}


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, (list, tuple)):
        return any(_has_nul(v) for v in value)
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    return False


@web.middleware
async def error_middleware(request: web.Request, handler) -> web.StreamResponse:
    try:
        if "\x00" in request.path or _has_nul(list(request.query.items())):
            raise invalid_param("NUL characters are not allowed in paths and parameters")
        return await handler(request)
    except ApiError:
        raise
    except InvalidInput as e:
        raise ApiError(400, "M_INVALID_PARAM", str(e)) from None
    except NotFound as e:
        raise ApiError(404, "M_NOT_FOUND", str(e)) from None
    except Forbidden as e:
        raise ApiError(403, "M_FORBIDDEN", str(e)) from None
    except NoRemoteFeed as e:
        raise ApiError(404, "M_NOT_FOUND", str(e)) from None
    except RemoteUnreachable as e:
        raise ApiError(502, "M_UNKNOWN", str(e)) from None
    except MatrixRequestError as e:
        log.warning("Homeserver refused %s %s: %s", request.method, request.path, e)
        if e.errcode == "M_TOO_LARGE":
            raise ApiError(413, "M_TOO_LARGE", f"The homeserver said: {e.message}") from None
        if e.http_status in (403, 404) and e.errcode:
            raise ApiError(e.http_status, e.errcode, f"The homeserver said: {e.message}") \
                from None
        raise ApiError(502, "M_UNKNOWN", f"The homeserver refused: {e.errcode or e.http_status}"
                       ) from None
    except web.HTTPException as e:
        if e.status in _STATUS_CODES:
            errcode, error = _STATUS_CODES[e.status]
            raise ApiError(e.status, errcode, error) from None
        raise
    except Exception:
        log.exception("Unhandled error in %s %s", request.method, request.path)
        raise ApiError(500, "M_UNKNOWN", "Internal server error") from None


async def read_json_object(request: web.Request) -> dict:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ApiError(400, "M_NOT_JSON", "Request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise bad_json("Request body must be a JSON object")
    try:
        json.dumps(body, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        raise ApiError(400, "M_NOT_JSON", "Request body has a lone surrogate (\\uD800-\\uDFFF "
                       "escape): not valid Unicode") from None
    except (ValueError, RecursionError):
        raise bad_json("Request body is not a JSON value this API accepts") from None
    if _has_nul(body):
        raise bad_json("NUL characters (\\u0000) are not allowed")
    return body
