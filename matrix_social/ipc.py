"""send_matrix_message({to, content}) for agents: a function, an HTTP endpoint, a CLI command.

Sends from the caller's AI by default (config ai.ipc_send_as), opening a DM when there is none.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import TYPE_CHECKING, Any

from mautrix.api import Method, Path
from mautrix.appservice import IntentAPI
from mautrix.errors import MNotFound
from mautrix.types import EventType, RoomID

from .matrix.dms import open_dm
from .social.posts import InvalidInput
from .social.service import Forbidden

if TYPE_CHECKING:
    from .bridge import SocialBridge

_MSGTYPES = ("m.text", "m.notice", "m.emote")


def message_content(content: Any) -> dict[str, Any]:
    if isinstance(content, str):
        content = {"body": content}
    if not isinstance(content, dict) or not isinstance(content.get("body"), str) \
            or not content["body"].strip():
        raise InvalidInput("'content' must be text or an object with a non-empty 'body'")
    if len(content["body"]) > 20_000:
        raise InvalidInput("'content.body' is longer than 20000 characters")
    msgtype = content.get("msgtype", "m.text")
    if msgtype not in _MSGTYPES:
        raise InvalidInput(f"'content.msgtype' must be one of {', '.join(_MSGTYPES)}")
    out = {"msgtype": msgtype, "body": content["body"]}
    if isinstance(content.get("formatted_body"), str):
        out.update(format="org.matrix.custom.html", formatted_body=content["formatted_body"])
    return out


async def is_encrypted(intent: IntentAPI, room_id: RoomID) -> bool:
    """Asked as a member (raw request: mautrix's helper would try to join first)."""
    try:
        await intent.api.request(Method.GET, Path.v3.rooms[room_id].state["m.room.encryption"])
    except MNotFound:
        return False
    return True


async def send_matrix_message(bridge: SocialBridge, caller: str, to: Any, content: Any,
                              send_as: str | None = None) -> dict[str, Any]:
    """Send `content` to `to` (a human or an AI, local or remote) from the caller or their AI."""
    ids = bridge.identities
    to = bridge.social.user_id_param(to, "to")
    message = message_content(content)
    send_as = send_as or bridge.config["ai.ipc_send_as"]
    if send_as not in ("ai", "human"):
        raise InvalidInput("'as' must be 'ai' or 'human'")
    sender = ids.ai_of(caller) if send_as == "ai" else caller
    if to == sender:
        raise InvalidInput("'to' is the sender itself")
    await bridge.social.existing_user(to, "to")
    intent = await bridge.social.intent_for(sender)
    room_id, created = await open_dm(intent, to, encrypted=False)
    if await is_encrypted(intent, room_id):
        raise Forbidden(f"The DM {room_id} is end-to-end encrypted; the service holds no keys "
                        "for it, so the message must be sent from a client that does")
    event_id = await intent.send_message_event(room_id, EventType.ROOM_MESSAGE, message)
    return {"room_id": room_id, "event_id": event_id, "from": sender, "to": to,
            "created_dm": created}


def cli(argv: list[str]) -> None:
    """`matrix-social send-matrix-message --to @x:y --content TEXT` through the HTTP API."""
    import urllib.error
    import urllib.request

    parser = argparse.ArgumentParser(prog="matrix-social send-matrix-message")
    parser.add_argument("--to", required=True)
    parser.add_argument("--content", required=True, help="text, or a JSON object with body")
    parser.add_argument("--as", dest="send_as", choices=("ai", "human"))
    parser.add_argument("--api", default=os.environ.get(
        "MATRIX_SOCIAL_API", "http://127.0.0.1:29340/api/social"))
    args = parser.parse_args(argv)
    token = os.environ.get("MATRIX_SOCIAL_TOKEN")
    if not token:
        sys.exit("matrix-social: set MATRIX_SOCIAL_TOKEN to your Matrix access token")
    try:
        content = json.loads(args.content) if args.content.lstrip().startswith("{") \
            else args.content
    except json.JSONDecodeError:
        sys.exit("matrix-social: --content looks like JSON but does not parse")
    body = {"to": args.to, "content": content}
    if args.send_as:
        body["as"] = args.send_as
    request = urllib.request.Request(
        f"{args.api}/ipc/send_matrix_message", data=json.dumps(body).encode(), method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as resp:
            print(resp.read().decode())
    except urllib.error.HTTPError as e:
        print(e.read().decode(), file=sys.stderr)
        sys.exit(1)
    except urllib.error.URLError as e:
        sys.exit(f"matrix-social: cannot reach {args.api}: {e.reason}")
