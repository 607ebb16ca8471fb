"""The IPC calls for agents (each also an HTTP endpoint and a CLI command, ipc_cli.py):
send_matrix_message({to, content}) sends from the caller's AI by default (config
ai.ipc_send_as), opening a DM when there is none; report_activity({kind, data}) reports an
activity of the caller (docs/activity.md).

Messages between people are end-to-end encrypted, so send_matrix_message sends encrypted
wherever the service can: as the caller's AI, through the bot's device, when end-to-bridge
encryption has a route (an unencrypted DM of that pair gets encryption turned on, or is
replaced by a new encrypted one); never as the caller herself (the service holds no keys of
hers: 403). Without a route it sends as before, unencrypted."""

from __future__ import annotations

from typing import Any

from mautrix.types import EventType

from ..errors import Forbidden, InvalidInput
from ..ids import Identities
from ..matrix.dms import is_encrypted, open_dm, remember_encrypted
from ..matrix.e2be_route import EncryptionRoute
from ..matrix.encryption import RoomEncryption
from ..matrix.intents import Intents
from ..matrix.txn_ids import next_txn_id
from .activity.reports import Activities
from .block_list import BlockList
from .users import Users

_MSGTYPES = ("m.text", "m.notice", "m.emote")
AS_HUMAN_REFUSAL = ("Messages between people are end-to-end encrypted, and only your own "
                    "client holds your keys: the service will not send as you. Send as your "
                    "AI (leave out 'as', or 'as': 'ai') or from your Matrix client.")


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


class Ipc:
    def __init__(self, ids: Identities, users: Users, intents: Intents,
                 default_send_as: str, activities: Activities, encryption: RoomEncryption,
                 e2be_route: EncryptionRoute, blocks: BlockList) -> None:
        self.ids = ids
        self.users = users
        self.intents = intents
        self.default_send_as = default_send_as
        self.activities = activities
        self.encryption = encryption
        self.e2be_route = e2be_route
        self.blocks = blocks

    async def report_activity(self, caller: str, activity: Any) -> dict[str, Any]:
        """{kind, data}: an activity of the caller (never of anyone else); a draft if they
        share its kind."""
        return await self.activities.report(caller, activity)

    async def send_matrix_message(self, caller: str, to: Any, content: Any,
                                  send_as: str | None = None) -> dict[str, Any]:
        """Send `content` to `to` (a human or an AI, local or remote) from the caller or
        their AI."""
        to = self.users.user_id(to, "to")
        message = message_content(content)
        send_as = send_as or self.default_send_as
        if send_as not in ("ai", "human"):
            raise InvalidInput("'as' must be 'ai' or 'human'")
        sender = self.ids.ai_of(caller) if send_as == "ai" else caller
        if to == sender:
            raise InvalidInput("'to' is the sender itself")
        await self.users.existing(to, "to")
        if sender == caller:
            raise Forbidden(AS_HUMAN_REFUSAL)
        await self.blocks.refuse_if_owner_blocked(caller, to, "message")
        intent = await self.intents.for_user(sender)
        can_encrypt = self.encryption.enabled and self.e2be_route.available
        room_id, created = await open_dm(intent, to, encrypted=can_encrypt, upgrade=True)
        encrypted = await is_encrypted(intent, room_id)
        if encrypted and not can_encrypt:
            raise Forbidden(f"The DM {room_id} is end-to-end encrypted, and AIs on this server "
                            f"cannot encrypt ({self.e2be_route.detail}); send from a client")
        event_type = EventType.ROOM_MESSAGE
        if encrypted:
            await remember_encrypted(intent, room_id)
            # The bot's device encrypts, and must be in the room to read the answers.
            await self.encryption.bring_bot(room_id)
            event_type, message = await self.encryption.prepare(room_id, event_type, message)
            if event_type != EventType.ROOM_ENCRYPTED:  # never plaintext into an encrypted DM
                raise Forbidden(f"The DM {room_id} is end-to-end encrypted and could not be "
                                "encrypted for it; nothing was sent")
        event_id = await intent.send_message_event(room_id, event_type, message,
                                                   txn_id=next_txn_id())
        return {"room_id": room_id, "event_id": event_id, "from": sender, "to": to,
                "created_dm": created, "encrypted": encrypted}


