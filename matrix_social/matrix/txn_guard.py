"""Guards the homeserver-facing appservice API.

mautrix answers a wrong hs_token with 401 and acknowledges a transaction even when a handler
failed. The spec wants 403 M_FORBIDDEN for a wrong token, and we want a failed transaction
retried (so nothing a user wrote is lost) and a processed one never applied twice, also across
restarts; this middleware adds both around mautrix's own handlers.
"""

from __future__ import annotations

import asyncio
import contextvars
import hmac
import json
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from mautrix.util.async_db import Database

from ..db import txn

log = logging.getLogger("matrix_social.txn")

# Set per transaction request; ingest appends to it when an event could not be stored.
_failures: contextvars.ContextVar[list[BaseException] | None] = contextvars.ContextVar(
    "txn_failures", default=None
)

_HS_PATH_PREFIXES = ("/_matrix/app/", "/transactions/", "/users/", "/rooms/")


def report_failure(error: BaseException) -> bool:
    """Mark the current transaction as failed; False when not inside one."""
    failures = _failures.get()
    if failures is None:
        return False
    failures.append(error)
    return True


def _json_error(status: int, errcode: str, error: str) -> web.Response:
    return web.json_response({"errcode": errcode, "error": error}, status=status)


def _request_token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header.removeprefix("Bearer ")
    return request.query.get("access_token")


def make_txn_guard(
    hs_token: str, db: Database, forget_txn: Callable[[str], None]
) -> Callable[[web.Request, Callable[[web.Request], Awaitable[web.StreamResponse]]], Awaitable]:
    # Deliveries of one transaction id in progress: a resend that arrives while the first
    # delivery is still being handled (the homeserver timed out and retried) waits for it
    # instead of applying the same events a second time.
    in_flight: dict[str, tuple[asyncio.Lock, list[int]]] = {}

    @web.middleware
    async def guard(request: web.Request, handler) -> web.StreamResponse:
        if not request.path.startswith(_HS_PATH_PREFIXES):
            return await handler(request)
        token = _request_token(request)
        if token is None:
            return _json_error(401, "M_UNAUTHORIZED", "Missing hs_token")
        if not hmac.compare_digest(token.encode(), hs_token.encode()):
            return _json_error(403, "M_FORBIDDEN", "Invalid hs_token")
        if request.method != "PUT" or "transaction_id" not in request.match_info:
            return await handler(request)

        txn_id = request.match_info["transaction_id"]
        lock, users = in_flight.setdefault(txn_id, (asyncio.Lock(), [0]))
        users[0] += 1
        try:
            async with lock:
                return await apply_once(request, handler, txn_id)
        finally:
            users[0] -= 1
            if users[0] == 0:
                del in_flight[txn_id]

    async def apply_once(request: web.Request, handler, txn_id: str) -> web.StreamResponse:
        if await txn.is_processed(db, txn_id):
            return web.json_response({})
        failures: list[BaseException] = []
        reset = _failures.set(failures)
        try:
            response = await handler(request)
        finally:
            _failures.reset(reset)
        if failures:
            forget_txn(txn_id)
            log.error("Transaction %s not stored (%s); the homeserver will retry it",
                      txn_id, failures[0])
            return web.Response(
                status=500,
                content_type="application/json",
                text=json.dumps({"errcode": "M_UNKNOWN", "error": "Could not store events"}),
            )
        if response.status == 200:
            await txn.mark_processed(db, txn_id)
        return response

    return guard
