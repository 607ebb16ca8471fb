"""Reading request input: JSON bodies, page sizes, handles. Anything malformed is a clear 400."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

from ..errors import ApiError, InvalidInput


def bad_json(error: str) -> ApiError:
    return ApiError(400, "M_BAD_JSON", error)


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, (list, tuple)):
        return any(_has_nul(v) for v in value)
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    return False


BODY_TIMEOUT = 30.0  # a client must send its whole body within this


async def read_body(request: web.Request, limit: int | None = None) -> bytes:
    """The whole body (aiohttp keeps it, so a second read, after the Idempotency-Key
    middleware's, gets it again; client_max_size bounds it), cut at `limit` bytes if given."""
    try:
        async with asyncio.timeout(BODY_TIMEOUT):
            body = await request.read()
            return body if limit is None else body[:limit]
    except TimeoutError:
        raise ApiError(408, "M_UNKNOWN",
                       f"The request body did not arrive within {BODY_TIMEOUT:g} s") from None


async def json_object(request: web.Request) -> dict:
    raw = await read_body(request)
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ApiError(400, "M_NOT_JSON", "Request body is not valid JSON") from None
    except RecursionError:
        raise bad_json("Request body is nested too deeply") from None
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


async def optional_json_object(request: web.Request) -> dict:
    """{} without a body. body_exists, not can_read_body: the Idempotency-Key middleware may
    have read the body already (it is kept), which leaves nothing more to read."""
    return await json_object(request) if request.body_exists else {}


class PageLimit:
    def __init__(self, max_page: int) -> None:
        self.max_page = max_page

    def __call__(self, request: web.Request, default: int = 20) -> int:
        raw = request.query.get("limit")
        if raw is None:
            return min(default, self.max_page)
        try:
            limit = int(raw)
        except ValueError:
            raise InvalidInput("'limit' must be an integer") from None
        if not 1 <= limit <= self.max_page:
            raise InvalidInput(f"'limit' must be between 1 and {self.max_page}")
        return limit


def handle(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("'handle' must be a user handle such as alice or @alice:server")
    return value
