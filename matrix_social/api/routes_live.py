"""Routes for live updates: a server-sent events stream (Bearer, or a single-use ticket for a
browser's EventSource: never the access token in a URL), the ticket, and what is on screen."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

from aiohttp import web

from ..errors import ApiError, InvalidInput
from ..social.live import LiveStreams, screen_key
from .params import json_object
from .routing import RouteGroup, get, post
from .schemas import ERROR_RESPONSE, INT, STRING, obj, ref

HEARTBEAT_SECONDS = 15.0


def _frame(event_id: int, name: str, data: dict) -> bytes:
    return f"id: {event_id}\nevent: {name}\ndata: {json.dumps(data)}\n\n".encode()


@dataclass
class LiveRoutes(RouteGroup):
    live: LiveStreams

    schemas = {
        "Ticket": obj(["ticket", "expires_in"], {"ticket": STRING, "expires_in": INT}),
        "Watch": {"type": "object", "required": ["post_ids"], "properties": {
            "post_ids": {"type": "array", "items": STRING, "maxItems": 200},
            "screen": {"type": "string", "minLength": 1, "maxLength": 64, "description":
                       "the `screen` its stream was opened with: this tab's posts only"}}},
        "Watching": obj(["watching"], {"watching": INT}),
    }

    @post("/events/ticket", "A short-lived single-use ticket to open the event stream "
          "(GET /events?ticket=) from a browser's EventSource", "Ticket", errors=())
    async def ticket(self, request: web.Request, user: str) -> dict:
        return await self.live.ticket(user)

    @post("/events/watch", "Say which posts are on screen: their counts come through the "
          "stream", "Watching", body=ref("Watch"), errors=(400,))
    async def watch(self, request: web.Request, user: str) -> dict:
        body = await json_object(request)
        return await self.live.watch(user, body.get("post_ids"), body.get("screen"))

    @get("/events", "Live updates as server-sent events: `post`, `counts`, `deleted`, "
         "`notification` (and `reset`: reload what is shown), each with an id for "
         "Last-Event-ID",
         auth="optional", params=(
             {"name": "ticket", "in": "query", "schema": {"type": "string"},
              "description": "from POST /events/ticket, when no Authorization header"},
             {"name": "screen", "in": "query",
              "schema": {"type": "string", "minLength": 1, "maxLength": 64},
              "description": "a random key of this tab: its watches name it"},
             {"name": "last_event_id", "in": "query", "schema": {"type": "string"},
              "description": "as the Last-Event-ID header, for a new EventSource"}),
         responses={"200": {"description": "text/event-stream", "content": {
             "text/event-stream": {"schema": {
                 "description": "one server-sent event; `data` is a JSON object",
                 "type": "object", "required": ["event", "data", "id"],
                 "properties": {
                     "event": {"type": "string",
                               "enum": ["post", "counts", "deleted", "notification",
                                        "reset"]},
                     "data": {"type": "string"}, "id": {"type": "string"}}}}}},
             **{str(code): ERROR_RESPONSE for code in (400, 401)}})
    async def events(self, request: web.Request, caller: str | None) -> web.StreamResponse:
        if "access_token" in request.query:
            raise InvalidInput("Never put the access token in a URL: use a ticket "
                               "(POST /events/ticket) or the Authorization header")
        user = caller
        if user is None:
            user = await self.live.redeem(request.query.get("ticket", ""))
            if user is None:
                raise ApiError(401, "M_UNKNOWN_TOKEN", "Unknown, used or expired ticket")
        # EventSource sends Last-Event-ID itself only on its own reconnects, which a used
        # ticket cannot make: the app gives it in the query (an id is no secret).
        screen = screen_key(request.query.get("screen"))
        stream = await self.live.open(user, request.headers.get("Last-Event-ID")
                                      or request.query.get("last_event_id"), screen)
        response = web.StreamResponse(headers={
            "Content-Type": "text/event-stream", "Cache-Control": "no-store",
            "X-Accel-Buffering": "no"})
        await response.prepare(request)
        try:
            await response.write(b"retry: 3000\n\n")
            while not stream.dropped:
                try:
                    event = await asyncio.wait_for(stream.queue.get(), HEARTBEAT_SECONDS)
                except TimeoutError:
                    await response.write(b": keep-alive\n\n")
                    continue
                if event is None:  # the service stops
                    break
                await response.write(_frame(*event))
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            self.live.close(stream)
        return response
