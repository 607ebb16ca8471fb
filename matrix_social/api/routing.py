"""Route groups: each api/routes_*.py is a class whose handlers carry their own OpenAPI
description (the decorator's arguments); the app registers a group's routes and assembles the
document from what was registered (openapi.py), so a route cannot exist undocumented.

    @dataclass
    class FollowRoutes(RouteGroup):
        follows: Follows  # the components it uses, by their names in services.py

        @post("/follow", "Follow a user or an AI", "FollowStatus", body=ref("HandleBody"))
        async def follow(self, request: web.Request, user: str) -> dict:
            ...

A handler is authenticated unless it says otherwise (`auth="public"`, or `auth="optional"`:
the user when the request carries a token, else None): it is called with the user the token
belongs to, after the token was checked. It answers a JSON value (sent with the operation's
documented status) or a response of its own (another status, other content, cookies).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from aiohttp import web

from .auth import Authenticator
from .idempotency import documented_header
from .schemas import ERROR_RESPONSE, ref

Auth = Literal["user", "public", "optional"]
# The errors of a route that writes posts, likes, comments or blocks: 404, and 503 M_UNKNOWN
# when the database ended its transaction to break a deadlock with another writer on every
# attempt (db/retry.py), to try again.
BUSY = (404, 503)
_ERROR_DESCRIPTIONS = {
    503: "Matrix-style error (M_UNKNOWN): the database ended the write to break a deadlock "
         "with another writer, on every attempt; try again",
}


@dataclass(frozen=True)
class Operation:
    """One route and its OpenAPI description.

    `answer`: the schema of the success answer (components/schemas), sent with `status`;
    `also`: other success statuses with the same answer. `errors`: what this operation answers
    besides what any may: 400 (a NUL in its path or query is refused before routing); when
    authenticated 401 (no or unknown token), 403 (not a local user of this server, or the
    homeserver refused) and 502 (the homeserver could not be reached); with a body 408 (not
    sent in time) and 413 (too large); a POST also 409 and 422 (its Idempotency-Key, in
    flight or used for another request). `responses`: the whole responses object instead, for
    answers that are not JSON."""

    method: str
    path: str
    summary: str
    answer: str | None = None
    status: int = 200
    also: tuple[int, ...] = ()
    body: dict[str, Any] | None = None
    body_type: str = "application/json"
    params: tuple[dict[str, Any], ...] = ()
    errors: tuple[int, ...] = (404,)
    auth: Auth = "user"
    answer_headers: dict[str, Any] = field(default_factory=dict)
    responses: dict[str, Any] | None = None

    def openapi(self) -> dict[str, Any]:
        op: dict[str, Any] = {"summary": self.summary, "responses": self._responses()}
        params = list(self.params)
        if self.method == "POST":
            params.append(documented_header())
        if params:
            op["parameters"] = params
        if self.body is not None:
            op["requestBody"] = {"required": True,
                                 "content": {self.body_type: {"schema": self.body}}}
        if self.auth != "user":
            op["security"] = []
        return op

    def _responses(self) -> dict[str, Any]:
        if self.responses is not None:
            responses = dict(self.responses)
        else:
            responses = {}
            for code in (self.status, *self.also):
                responses[str(code)] = {"description": "OK", "content": {
                    "application/json": {"schema": ref(self.answer)}}}
                if self.answer_headers:
                    responses[str(code)]["headers"] = self.answer_headers
            codes = {400, *self.errors}
            if self.auth == "user":
                codes |= {401, 403, 502}
            if self.body is not None:
                codes |= {408, 413}
            for code in sorted(codes):
                responses[str(code)] = _error_response(code)
        if self.method == "POST":
            responses |= {"409": ERROR_RESPONSE, "422": ERROR_RESPONSE}
        return responses


def _error_response(code: int) -> dict[str, Any]:
    if code in _ERROR_DESCRIPTIONS:
        return {**ERROR_RESPONSE, "description": _ERROR_DESCRIPTIONS[code]}
    return ERROR_RESPONSE


Handler = Callable[..., Awaitable[Any]]


def route(method: str, path: str, summary: str, answer: str | None = None,
          **description: Any) -> Callable[[Handler], Handler]:
    """Declares a handler of its group: the route and its OpenAPI description (Operation)."""
    def declare(handler: Handler) -> Handler:
        handler.operation = Operation(method, path, summary, answer, **description)  # type: ignore[attr-defined]
        return handler
    return declare


def get(path: str, summary: str, answer: str | None = None, **description: Any):
    return route("GET", path, summary, answer, **description)


def post(path: str, summary: str, answer: str | None = None, **description: Any):
    return route("POST", path, summary, answer, **description)


def put(path: str, summary: str, answer: str | None = None, **description: Any):
    return route("PUT", path, summary, answer, **description)


def patch(path: str, summary: str, answer: str | None = None, **description: Any):
    return route("PATCH", path, summary, answer, **description)


def delete(path: str, summary: str, answer: str | None = None, **description: Any):
    return route("DELETE", path, summary, answer, **description)


class RouteGroup:
    """A component that registers its own routes. `schemas`: the schemas (components) that
    only this group's routes use; the shared ones are in schemas.py."""

    schemas: ClassVar[dict[str, Any]] = {}

    @classmethod
    def operations(cls) -> list[Operation]:
        """The group's routes in the order they are written."""
        return [member.operation for _, member in _declared(cls)]

    def register(self, app: web.Application, auth: Authenticator) -> list[Operation]:
        for name, member in _declared(type(self)):
            op: Operation = member.operation
            app.router.add_route(op.method, op.path, _serve(getattr(self, name), op, auth))
        return self.operations()


def _declared(cls: type) -> list[tuple[str, Any]]:
    """The handlers of a group, in the order they are written (a literal path before a
    parameter one of the same shape, as aiohttp tries them in order)."""
    return [(name, member) for name, member in vars(cls).items() if hasattr(member, "operation")]


def _serve(handler: Handler, op: Operation, auth: Authenticator) -> Handler:
    async def serve(request: web.Request) -> web.StreamResponse:
        if op.auth == "user":
            answer = await handler(request, await auth.user(request))
        elif op.auth == "optional":
            caller = await auth.user(request) if "Authorization" in request.headers else None
            answer = await handler(request, caller)
        else:
            answer = await handler(request)
        if isinstance(answer, web.StreamResponse):
            return answer
        return web.json_response(answer, status=op.status)
    serve.__name__ = handler.__name__
    return serve
