"""Routes for the Messages app, AI-to-AI requests and the send_matrix_message IPC call."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from ..social.ai_requests import AiRequests
from ..social.ipc import Ipc
from ..social.messaging import Messaging
from .auth import caller_token
from .params import PageLimit, json_object
from .routing import RouteGroup, get, post
from .schemas import BOOL, INT, NULLABLE_STRING, PAGE_PARAMS, ROOM_ID, STRING, obj, page

_USER_BODY = {"type": "object", "required": ["user"], "properties": {"user": {"type": "string"}}}


@dataclass
class MessagingRoutes(RouteGroup):
    page_limit: PageLimit
    messaging: Messaging
    ai_requests: AiRequests
    ipc: Ipc

    schemas = {
        "Room": obj(["room_id", "created", "with", "encrypted"], {
            "room_id": STRING, "created": BOOL, "with": STRING, "encrypted": BOOL,
            "notice": {"type": "string", "description": "why the DM is not encrypted, or why "
                       "its AI cannot read it"}}),
        "Group": obj(["room_id", "name", "invited", "encrypted"], {
            "room_id": STRING, "name": STRING, "invited": {"type": "array", "items": STRING},
            "encrypted": BOOL}),
        "Conversations": page(obj(
            ["room_id", "kind", "with", "name", "last_activity", "encrypted"], {
                "room_id": STRING, "kind": {"type": "string", "enum": ["dm", "group"]},
                "with": NULLABLE_STRING, "name": NULLABLE_STRING,
                "last_activity": {"type": "integer", "nullable": True}, "encrypted": BOOL})),
        "Members": obj(["room_id", "count", "members"], {
            "room_id": STRING, "count": INT, "members": {"type": "array", "items": obj(
                ["user_id", "display_name", "avatar_url", "is_ai"], {
                    "user_id": STRING, "display_name": NULLABLE_STRING,
                    "avatar_url": NULLABLE_STRING, "is_ai": BOOL})}}),
        "Left": obj(["room_id", "left"], {"room_id": STRING, "left": BOOL}),
        "Sent": obj(["room_id", "event_id", "content"], {
            "room_id": STRING, "event_id": STRING, "content": {"type": "object"}}),
        "IpcSent": obj(["room_id", "event_id", "from", "to", "created_dm", "encrypted"], {
            "room_id": STRING, "event_id": STRING, "from": STRING, "to": STRING,
            "created_dm": BOOL, "encrypted": BOOL}),
        "AiAnswer": obj(["request_id", "room_id", "request_event_id", "response_event_id",
                         "status", "body", "from", "retry_after_ms"], {
            "request_id": STRING, "room_id": STRING, "request_event_id": STRING,
            "response_event_id": STRING,
            "status": {"type": "string", "description": "ok or error (as the answering AI says)"},
            "body": STRING, "from": STRING,
            "retry_after_ms": {"type": "integer", "nullable": True}}),
    }

    @post("/messages/dm", "Open (or reuse) a DM with anyone, local or remote; encrypted by "
          "default (a new DM with an AI is unencrypted, with a notice, when AIs cannot read "
          "encrypted rooms on this homeserver); kept in m.direct", "Room",
          body={"type": "object", "required": ["to"], "properties": {
              "to": {"type": "string"}, "encrypted": {"type": "boolean"}}})
    async def open_dm(self, request: web.Request, user: str) -> dict:
        return await self.messaging.open_dm(user, await json_object(request))

    @post("/messages/groups", "Create a group chat", "Group", status=201,
          body={"type": "object", "required": ["name"], "properties": {
              "name": {"type": "string"}, "encrypted": {"type": "boolean"},
              "members": {"type": "array", "items": {"type": "string"}}}})
    async def create_group(self, request: web.Request, user: str) -> dict:
        return await self.messaging.create_group(user, await json_object(request))

    @get("/messages/conversations", "Your DMs and groups, latest activity first",
         "Conversations", params=PAGE_PARAMS)
    async def conversations(self, request: web.Request, user: str) -> dict:
        return await self.messaging.conversations(user, caller_token(request),
                                                  request.query.get("cursor"),
                                                  self.page_limit(request))

    @get("/messages/rooms/{room_id}/members", "Members of a room you are in", "Members",
         params=(ROOM_ID,))
    async def members(self, request: web.Request, user: str) -> dict:
        return await self.messaging.members(user, request.match_info["room_id"])

    @post("/messages/rooms/{room_id}/invite", "Invite someone", "Members", params=(ROOM_ID,),
          body=_USER_BODY)
    async def invite(self, request: web.Request, user: str) -> dict:
        return await self.messaging.invite(user, request.match_info["room_id"],
                                           await json_object(request))

    @post("/messages/rooms/{room_id}/remove", "Remove (kick) someone", "Members",
          params=(ROOM_ID,), body=_USER_BODY)
    async def remove(self, request: web.Request, user: str) -> dict:
        return await self.messaging.remove(user, request.match_info["room_id"],
                                           await json_object(request))

    @post("/messages/rooms/{room_id}/leave", "Leave the room", "Left", params=(ROOM_ID,))
    async def leave(self, request: web.Request, user: str) -> dict:
        return await self.messaging.leave(user, request.match_info["room_id"])

    @post("/messages/rooms/{room_id}/send", "Send text, an image, a file or an app link as "
          "you; refused (403) in encrypted rooms, where your own client must send", "Sent",
          status=201, params=(ROOM_ID,),
          body={"type": "object", "properties": {
              "kind": {"type": "string", "enum": ["text", "image", "file", "app"]},
              "text": {"type": "string"}, "media": {"type": "string"},
              "filename": {"type": "string"}, "app": {"type": "object"}}})
    async def send(self, request: web.Request, user: str) -> dict:
        return await self.messaging.send(user, request.match_info["room_id"],
                                         await json_object(request))

    @post("/ai/request", "Send m.matrix_os.ai_request from your AI to another AI and wait for "
          "its m.matrix_os.ai_response (504 on timeout, 429 past the asked AI's rate limit)",
          "AiAnswer", errors=(404, 429, 504),
          body={"type": "object", "required": ["to", "content"], "properties": {
              "to": {"type": "string"}, "content": {"type": "object"},
              "timeout": {"type": "number", "maximum": 300}}})
    async def ai_request(self, request: web.Request, user: str) -> dict:
        body = await json_object(request)
        return await self.ai_requests.ask(user, body.get("to"), body.get("content"),
                                          body.get("timeout"))

    @post("/ipc/send_matrix_message", "send_matrix_message({to, content}): from your AI, "
          "opening a DM when there is none; encrypted wherever end-to-bridge encryption works "
          "(an unencrypted DM of the pair is encrypted from then on). as: human is refused "
          "(403): only your own client holds your keys", "IpcSent", status=201,
          body={"type": "object", "required": ["to", "content"], "properties": {
              "to": {"type": "string"}, "content": {},
              "as": {"type": "string", "enum": ["ai", "human"]}}})
    async def ipc_send(self, request: web.Request, user: str) -> dict:
        body = await json_object(request)
        return await self.ipc.send_matrix_message(user, body.get("to"), body.get("content"),
                                                  body.get("as"))
