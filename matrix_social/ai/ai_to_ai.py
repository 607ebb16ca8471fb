"""AI-to-AI: m.matrix_os.ai_request to another AI, answered by m.matrix_os.ai_response.

A request is routed to the receiving AI's backend with the requester's public profile; the
answer relates to the request (m.reference) and repeats its request_id.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from typing import Any

from mautrix.api import Method, Path
from mautrix.types import RoomID

from .. import events as ev
from ..background import Background
from ..db.notify import Broadcast
from ..errors import RateLimited, RequestTimeout
from ..ids import Identities
from ..matrix.ai_puppets import Puppets
from ..matrix.dms import open_dm
from .backends import APOLOGY
from .rate_limit import Verdict
from .responder import Responder

log = logging.getLogger("matrix_social.ai")
MAX_TIMEOUT = 300
JOIN_POLL_SECONDS = 0.2


class AiToAi:
    def __init__(self, ids: Identities, puppets: Puppets, responder: Responder,
                 background: Background, broadcast: Broadcast | None = None) -> None:
        self.ids = ids
        self.puppets = puppets
        self.responder = responder
        self.background = background
        # request id -> (the AI asked, the future its answer resolves)
        self._waiting: dict[str, tuple[str, asyncio.Future]] = {}
        # The answer comes in a transaction, to the ingest process; the request may wait in
        # an API replica: the ingest process passes on the answers nobody waits for there.
        self.broadcast = broadcast
        if broadcast is not None:
            broadcast.on("ai_response", self._from_another_process)

    async def request(self, from_ai: str, to_ai: str, content: dict[str, Any],
                      timeout: float) -> dict[str, Any]:
        """Send a request as `from_ai` and wait for the answer."""
        intent = await self.puppets.ensure_ai(from_ai)
        deadline = time.monotonic() + timeout
        room_id, _ = await open_dm(intent, to_ai, encrypted=False)
        # An AI on another server sees only what is sent after its server has joined.
        await self._until_joined(intent, room_id, to_ai, deadline)
        request_id = secrets.token_urlsafe(12)
        future = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = (to_ai, future)
        try:
            event_id = await self.responder.send(intent, room_id, {
                "request_id": request_id, "to": to_ai, "body": content.get("body", ""),
                "wants": content.get("wants", "answer"), "data": content.get("data", {}),
            }, ev.AI_REQUEST)
            try:
                answer = await asyncio.wait_for(future, max(deadline - time.monotonic(), 0))
            except TimeoutError:
                raise RequestTimeout(
                    f"{to_ai} did not answer within {timeout:g} seconds") from None
        finally:
            self._waiting.pop(request_id, None)
        if answer["status"] == "rate_limited":
            raise RateLimited(answer["body"], int(answer.get("retry_after_ms") or 0))
        return {"request_id": request_id, "room_id": room_id, "request_event_id": event_id,
                **answer}

    async def _until_joined(self, intent, room_id: RoomID, user_id: str,
                            deadline: float) -> None:
        while True:
            joined = await intent.api.request(Method.GET,
                                              Path.v3.rooms[room_id].joined_members)
            if user_id in joined.get("joined", {}):
                return
            if time.monotonic() >= deadline:
                raise RequestTimeout(f"{user_id} did not join the conversation in time")
            await asyncio.sleep(JOIN_POLL_SECONDS)

    async def on_event(self, raw: dict[str, Any]) -> None:
        if raw["type"] == str(ev.AI_RESPONSE):
            self._resolve(raw)
        elif raw["type"] == str(ev.AI_REQUEST):
            content = raw.get("content") or {}
            to_ai = content.get("to")
            if (isinstance(to_ai, str) and self.ids.is_ai(to_ai) and raw["sender"] != to_ai
                    and isinstance(content.get("request_id"), str)):
                self.background.spawn(self._answer(raw, to_ai, content))

    def _resolve(self, raw: dict[str, Any]) -> None:
        """Only the AI that was asked answers a request (anyone in the room could send an
        ai_response naming its id)."""
        content = raw.get("content") or {}
        future = self._waiting.get(content.get("request_id"), (None, None))[1]
        if future is None and self.broadcast is not None and isinstance(
                content.get("request_id"), str):
            self._tell_others(raw)
        self._resolve_here(raw)

    def _tell_others(self, raw: dict[str, Any]) -> None:
        content = raw.get("content") or {}
        short = {"type": raw["type"], "sender": raw["sender"], "event_id": raw["event_id"],
                 "room_id": raw.get("room_id"),
                 "content": {k: content.get(k) for k in
                             ("request_id", "status", "body", "retry_after_ms")}}
        if not self.broadcast.fits("ai_response", short):
            short["content"].pop("body")  # read from the homeserver by who waits for it
        self.broadcast.tell_soon("ai_response", short)

    def _from_another_process(self, raw: object) -> None:
        if not isinstance(raw, dict) or not isinstance(raw.get("content"), dict):
            return
        if raw["content"].get("request_id") not in self._waiting:
            return
        if "body" in raw["content"]:
            self._resolve_here(raw)
        else:
            self.background.spawn(self._fetch_and_resolve(raw))

    def _resolve_here(self, raw: dict[str, Any]) -> None:
        content = raw.get("content") or {}
        asked, future = self._waiting.get(content.get("request_id"), (None, None))
        if future is None or future.done() or raw["sender"] != asked:
            return
        future.set_result({"status": content.get("status", "ok"),
                           "body": content.get("body", ""), "from": raw["sender"],
                           "response_event_id": raw["event_id"],
                           "retry_after_ms": content.get("retry_after_ms")})

    async def _fetch_and_resolve(self, raw: dict[str, Any]) -> None:
        event = await self.responder.az.intent.api.request(
            Method.GET, Path.v3.rooms[raw["room_id"]].event[raw["event_id"]])
        if event.get("sender") == raw["sender"]:
            self._resolve_here(event)

    async def _answer(self, raw: dict[str, Any], to_ai: str, content: dict[str, Any]) -> None:
        try:
            await self._answer_once(raw, to_ai, content)
        except Exception:
            log.exception("AI %s could not answer request %s", to_ai, raw.get("event_id"))

    async def _answer_once(self, raw: dict[str, Any], to_ai: str,
                           content: dict[str, Any]) -> None:
        responder = self.responder
        room = RoomID(raw["room_id"])
        if to_ai not in await responder.members(room):
            return  # addressed to an AI that is not in this room
        intent = await self.puppets.ensure_ai(to_ai)
        if intent is None:
            return
        verdict = await responder.limiter.check(to_ai, raw["sender"])
        if verdict is Verdict.SILENT:
            return
        if verdict is Verdict.NOTIFY:
            await responder.send(intent, room, {
                "request_id": content["request_id"], "status": "rate_limited",
                "body": responder.rate_notice,
                "retry_after_ms": await responder.limiter.retry_after_ms(to_ai, raw["sender"]),
                "m.relates_to": {"rel_type": "m.reference", "event_id": raw["event_id"]},
            }, ev.AI_RESPONSE)
            return
        body = content.get("body") if isinstance(content.get("body"), str) else ""
        request = await responder.build_request(
            to_ai, intent, raw["room_id"], raw["event_id"], raw["sender"], body,
            is_owner=False, kind="ai_request")
        request["ai_request"] = {"request_id": content["request_id"],
                                 "wants": content.get("wants"), "data": content.get("data")}
        reply = await responder.ask(request)
        answer_id = await responder.send(intent, RoomID(raw["room_id"]), {
            "request_id": content["request_id"],
            "status": "error" if reply == APOLOGY else "ok",
            "body": reply,
            "m.relates_to": {"rel_type": "m.reference", "event_id": raw["event_id"]},
        }, ev.AI_RESPONSE)
        if reply != APOLOGY:
            await responder.answered(to_ai, raw["sender"], raw["room_id"], "ai_request",
                                     answer_id)


