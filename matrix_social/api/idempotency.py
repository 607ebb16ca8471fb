"""Idempotency-Key on POST requests: a client that retries (after a timeout, a crash, a lost
answer) with the same key gets the first answer again, and nothing is created twice.

The first request claims the key (per user) with a fingerprint of itself and the id of the
process that handles it (process_lease.py); it runs with Matrix transaction ids derived from
the key (matrix/txn_ids.py), so even a retry after the service died mid-request makes the
homeserver return the events it already made. A success is stored and replayed for 24 hours;
a failure frees the key for a retry. A retry while the claim's process still runs is told 409;
a claim whose process is gone (killed, crashed, restarted) is taken over by the first retry,
at once; STALE_MS frees any claim left that long without an answer.
"""

from __future__ import annotations

import hashlib
import re

from aiohttp import web
from mautrix.util.async_db import Database

from ..clock import now_ms
from ..db import idempotency
from ..errors import ApiError, Conflict, InvalidInput
from ..matrix.txn_ids import derived_from
from .auth import Authenticator
from .params import read_body
from .process_lease import ProcessLease

HEADER = "Idempotency-Key"
_KEY = re.compile(r"[\x21-\x7e]{1,255}")
KEEP_MS = 24 * 3600 * 1000
STALE_MS = 120 * 1000  # a claim this old without an answer: its request never finished


def make_idempotency_middleware(db: Database, auth: Authenticator, max_upload: int,
                                lease: ProcessLease):
    """`max_upload`: the largest body of any route (an upload); the route checks its own."""
    @web.middleware
    async def idempotent(request: web.Request, handler) -> web.StreamResponse:
        key = request.headers.get(HEADER)
        if request.method != "POST" or key is None:
            return await handler(request)
        if not _KEY.fullmatch(key):
            raise InvalidInput(f"{HEADER} must be 1-255 visible ASCII characters")
        user = await auth.user(request)
        body = await read_body(request, max(max_upload, request.client_max_size))
        fingerprint = hashlib.sha256(
            f"{request.method} {request.rel_url}\n".encode() + body).hexdigest()
        now = now_ms()
        earlier = await idempotency.claim(db, user, key, fingerprint, now, lease.id)
        if earlier is not None:
            if earlier["request"] != fingerprint:
                raise ApiError(422, "M_INVALID_PARAM",
                               f"This {HEADER} was already used for a different request")
            if earlier["status"] is not None:
                return web.Response(status=earlier["status"], text=earlier["response"],
                                    content_type="application/json",
                                    headers={"Idempotent-Replayed": "true"})
            held = earlier["created_at"] >= now - STALE_MS \
                and await lease.alive(earlier["holder"], now)
            if held or not await idempotency.take_over(db, user, key, dict(earlier), lease.id,
                                                       now):
                raise Conflict(f"A request with this {HEADER} is still being handled")
        if now % 100 == 0:
            await idempotency.purge(db, now - KEEP_MS)
        base = hashlib.sha256(f"{user}\n{key}".encode()).hexdigest()[:24]
        try:
            with derived_from(f"idem-{base}"):
                response = await handler(request)
        except BaseException:
            await idempotency.release(db, user, key)
            raise
        if 200 <= response.status < 300 and isinstance(response, web.Response) \
                and response.text is not None:
            await idempotency.complete(db, user, key, response.status, response.text)
        else:
            await idempotency.release(db, user, key)
        return response

    return idempotent


def documented_header() -> dict:
    return {"name": HEADER, "in": "header", "required": False,
            "schema": {"type": "string", "minLength": 1, "maxLength": 255,
                       "pattern": "^[\\x21-\\x7e]+$"},
            "description": "Retry-safe POST: the same key again gets the first answer."}



