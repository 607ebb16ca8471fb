"""Guards the homeserver-facing appservice API.

mautrix answers a wrong hs_token with 401 and acknowledges a transaction even when a handler
failed. The spec wants 403 M_FORBIDDEN for a wrong token, and we want a failed transaction
retried (so nothing a user wrote is lost) and a processed one never applied twice, also across
restarts; this middleware adds both around mautrix's own handlers.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import hmac
import json
import logging
import os
import re
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager

from aiohttp import web
from mautrix.util.async_db import Database

from .. import metrics
from ..db import txn
from ..locks import KeyedLocks
from .delivery_recovery import DeliveryRecovery

log = logging.getLogger("matrix_social.txn")

# Set per transaction request; ingest appends to it when an event could not be stored.
_failures: contextvars.ContextVar[list[BaseException] | None] = contextvars.ContextVar(
    "txn_failures", default=None
)

_HS_PATH_PREFIXES = ("/_matrix/app/", "/transactions/", "/users/", "/rooms/")

SLOW_TRANSACTION_SECONDS = 20.0

# TEST-ONLY (tests/test_reliability.py: kill -9 inside a transaction). Never set in production.
HOLD_ENV = "MATRIX_SOCIAL_TEST_HOLD_TXN"


def _announce_hold(path: str, post_ids: list) -> bool:
    if not os.path.exists(path):
        return False
    with open(f"{path}.tmp", "w") as held:
        json.dump(post_ids, held)
    os.replace(f"{path}.tmp", f"{path}.held")
    return True


async def _hold_for_tests(gathered) -> None:
    """When HOLD_ENV names a file and that file exists, stop where a transaction's index writes
    are gathered but neither written nor marked processed: write the gathered posts' event ids
    to FILE.held, then wait (at most 5 minutes) until FILE is removed."""
    path = os.environ.get(HOLD_ENV)
    pending = getattr(getattr(gathered, "writer", None), "pending", None)
    if not path or not pending:
        return
    post_ids = [raw.get("event_id") for raw, _ in pending.posts]
    if not await asyncio.to_thread(_announce_hold, path, post_ids):
        return
    for _ in range(3000):
        if not await asyncio.to_thread(os.path.exists, path):
            return
        await asyncio.sleep(0.1)


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


_EVENT_ID = re.compile(rb'"event_id"\s*:\s*"([^"]*)"')


async def _transaction_key(request: web.Request, txn_id: str) -> str:
    """The id plus a digest of the event ids the transaction carries. Synapse on SQLite
    numbers transactions from 1 again after a restart, so an id alone would drop new events;
    a retry carries the same events (their `unsigned.age` may differ, so not the same bytes).
    The ids are read off the bytes: mautrix parses the body again anyway."""
    body = await request.read()
    basis = b"\n".join(_EVENT_ID.findall(body)) or body
    return f"{txn_id}/{hashlib.sha256(basis).hexdigest()[:32]}"


def make_txn_guard(
    hs_token: str, db: Database, forget_txn: Callable[[str], None],
    batch: Callable[[], AbstractAsyncContextManager] | None = None,
    recovery: DeliveryRecovery | None = None,
) -> Callable[[web.Request, Callable[[web.Request], Awaitable[web.StreamResponse]]], Awaitable]:
    # Deliveries of one transaction id in progress: a resend that arrives while the first
    # delivery is still being handled (the homeserver timed out and retried) waits for it
    # instead of applying the same events a second time.
    in_flight = KeyedLocks()

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
        key = await _transaction_key(request, txn_id)
        started = time.monotonic()
        try:
            async with in_flight.hold(key):
                return await apply_once(request, handler, txn_id, key)
        finally:
            took = time.monotonic() - started
            if took > SLOW_TRANSACTION_SECONDS:
                log.warning("Transaction %s took %.1f s (Synapse gives up after 60 s, marks "
                            "us down and sends it again)", txn_id, took)

    async def apply_once(request: web.Request, handler, txn_id: str,
                         key: str) -> web.StreamResponse:
        if await txn.is_processed(db, key):
            if recovery is not None:
                recovery.delivered()
            return web.json_response({})
        forget_txn(txn_id)  # mautrix's own memory of ids is by id alone
        failures: list[BaseException] = []
        reset = _failures.set(failures)
        try:
            if batch is None:
                response = await handler(request)
                marked = False
            else:
                try:
                    async with batch() as gathered:
                        response = await handler(request)
                        # Written with the batch, in the same database transaction.
                        marked = response.status == 200 and not failures
                        gathered.processed_txn = key if marked else None
                        await _hold_for_tests(gathered)
                except Exception as e:  # the batch could not be written: retry it all
                    failures.append(e)
        finally:
            _failures.reset(reset)
        if failures:
            log.error("Transaction %s not stored (%s); the homeserver will retry it",
                      txn_id, failures[0])
            if recovery is not None:
                recovery.refused()
            return web.Response(
                status=500,
                content_type="application/json",
                text=json.dumps({"errcode": "M_UNKNOWN", "error": "Could not store events"}),
            )
        if response.status == 200 and not marked:
            await txn.mark_processed(db, key)
        if response.status == 200:
            if recovery is not None:
                recovery.delivered()
            body = await request.read()
            metrics.transaction_indexed(body.count(b'"origin_server_ts"'), body)
        return response

    return guard
