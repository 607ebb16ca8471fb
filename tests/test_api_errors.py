"""What the API answers when a request fails inside: a homeserver that dropped or timed out
one of our requests is a 502 the client may retry, a write the database kept ending (a
deadlock, db/retry.py) a 503 to retry, never an anonymous 500."""

from __future__ import annotations

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from matrix_social.api.errors import error_middleware
from matrix_social.errors import DatabaseBusy


async def _answer_of(error: BaseException) -> tuple[int, dict]:
    async def failing(request: web.Request) -> web.Response:
        raise error

    app = web.Application(middlewares=[error_middleware])
    app.router.add_post("/fail", failing)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        resp = await client.post("/fail")
        return resp.status, await resp.json()


async def test_a_homeserver_connection_dropped_mid_request_is_a_502_to_retry():
    for error in (aiohttp.ServerDisconnectedError(), aiohttp.ServerTimeoutError("read"),
                  aiohttp.ClientOSError(104, "Connection reset by peer")):
        status, body = await _answer_of(error)
        assert status == 502 and body["errcode"] == "M_UNKNOWN", (error, status, body)
        assert "try again" in body["error"]


async def test_a_write_the_database_kept_ending_is_a_503_to_retry():
    status, body = await _answer_of(DatabaseBusy("The database was busy; try again"))
    assert (status, body) == (503, {"errcode": "M_UNKNOWN",
                                    "error": "The database was busy; try again"})


async def test_any_other_failure_stays_a_500_without_its_details():
    status, body = await _answer_of(RuntimeError("secret detail"))
    assert (status, body) == (500, {"errcode": "M_UNKNOWN", "error": "Internal server error"})
