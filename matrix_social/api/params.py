"""Reading request input: the whole body however it arrives (one helper for every route), JSON
bodies, page sizes, handles. Anything malformed is a clear 400."""

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
# The body once read (the idempotency middleware reads it before the route does).
_BODY = web.RequestKey("matrix_social.body", bytes)


def too_large(limit: int, what: str = "Request bodies") -> ApiError:
    return ApiError(413, "M_TOO_LARGE", f"{what} are limited to {limit} bytes")


async def read_body(request: web.Request, limit: int | None = None,
                    what: str = "Request bodies") -> bytes:
    """The whole request body, however it arrives: in one write, in segments with pauses
    between them (a phone's uplink), or chunked. The one way every route reads a body.

    More than `limit` bytes (default: client_max_size, appservice.max_body_size in the
    config, the limit of JSON bodies) is a 413 M_TOO_LARGE, said
    as soon as the declared length or the bytes read so far pass it: the rest is never read
    into memory. The body must arrive within BODY_TIMEOUT seconds (408)."""
    limit = request.client_max_size if limit is None else limit
    body = request.get(_BODY)
    if body is None:
        if request.content_length is not None and request.content_length > limit:
            raise too_large(limit, what)
        parts: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(BODY_TIMEOUT):
                while chunk := await request.content.readany():
                    size += len(chunk)
                    if size > limit:
                        raise too_large(limit, what)
                    parts.append(chunk)
        except TimeoutError:
            raise ApiError(408, "M_UNKNOWN", f"The request body did not arrive within "
                           f"{BODY_TIMEOUT:g} s") from None
        body = request[_BODY] = b"".join(parts)
    if len(body) > limit:
        raise too_large(limit, what)
    return body


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
