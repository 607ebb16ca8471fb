"""A matrix-nio client with end-to-end encryption, in an encrypted DM with someone's AI."""

from __future__ import annotations

import time
from pathlib import Path

from nio import (
    AsyncClient,
    AsyncClientConfig,
    JoinedMembersResponse,
    LoginResponse,
    MegolmEvent,
    RoomCreateResponse,
    RoomMessage,
    RoomSendResponse,
)

from . import delivery_log
from .harness import Stack, User, appservice_not_down, eventually

ENCRYPTION = {"type": "m.room.encryption", "state_key": "",
              "content": {"algorithm": "m.megolm.v1.aes-sha2"}}


class EncryptedClient:
    """Logs `user` in with a new device that holds its keys in `store`."""

    def __init__(self, stack: Stack, user: User, store: Path) -> None:
        self.stack = stack
        self.user = user
        self.client = AsyncClient(stack.synapse.url, user.user_id, store_path=str(store),
                                  config=AsyncClientConfig(encryption_enabled=True,
                                                           store_sync_tokens=False))
        stack.clients.append(self.client)

    async def login(self) -> None:
        login = await self.client.login(self.user.password, device_name="test")
        assert isinstance(login, LoginResponse), login
        if self.client.should_upload_keys:
            await self.client.keys_upload()

    async def encrypted_room(self, invite: list[str], wait_for: list[str]) -> str:
        """A new encrypted room, once everyone in `wait_for` has joined it."""
        room = await self.client.room_create(is_direct=len(invite) == 1, invite=invite,
                                             initial_state=[ENCRYPTION])
        assert isinstance(room, RoomCreateResponse), room

        async def joined():
            members = await self.client.joined_members(room.room_id)
            return isinstance(members, JoinedMembersResponse) and set(wait_for) <= {
                m.user_id for m in members.members}

        await eventually(joined, timeout=30, what=f"{wait_for} joined the encrypted room")
        await self.client.sync(timeout=0, full_state=True)
        assert self.client.rooms[room.room_id].encrypted
        return room.room_id

    async def send(self, room_id: str, body: str) -> str:
        """Send `body` encrypted; returns the event id (checked to be m.room.encrypted)."""
        if self.client.should_query_keys:
            await self.client.keys_query()
        # The room key goes to the bot's device as a to-device message with this send.
        try:
            await eventually(lambda: appservice_not_down(self.stack), timeout=180,
                             what="Synapse delivering to the appservice again")
        except AssertionError as e:
            raise AssertionError(f"{e}; failed deliveries: {delivery_log.recent()}") from None
        sent = await self.client.room_send(room_id, "m.room.message",
                                           {"msgtype": "m.text", "body": body},
                                           ignore_unverified_devices=True)
        assert isinstance(sent, RoomSendResponse), sent
        assert (await self.raw_event(room_id, sent.event_id))["type"] == "m.room.encrypted"
        return sent.event_id

    async def raw_event(self, room_id: str, event_id: str) -> dict:
        """The event as the homeserver stores it."""
        status, body = await self.stack.request(
            "GET", f"{self.stack.synapse.url}/_matrix/client/v3/rooms/{room_id}/event/"
            f"{event_id}", token=self.client.access_token)
        assert status == 200, body
        return body

    async def messages_from(self, room_id: str, sender: str, count: int = 1,
                            timeout: float = 45) -> tuple[list[RoomMessage], list[MegolmEvent]]:
        """Sync until `count` messages from `sender` arrived; (decrypted or plain messages,
        events that could not be decrypted)."""
        messages: list[RoomMessage] = []
        undecryptable: list[MegolmEvent] = []
        deadline = time.monotonic() + timeout
        while len(messages) < count and time.monotonic() < deadline:
            resp = await self.client.sync(timeout=1000)
            room = getattr(resp, "rooms", None) and resp.rooms.join.get(room_id)
            for event in room.timeline.events if room else []:
                if isinstance(event, RoomMessage) and event.sender == sender:
                    messages.append(event)
                elif isinstance(event, MegolmEvent) and event.sender == sender:
                    undecryptable.append(event)
            if self.client.should_query_keys:
                await self.client.keys_query()
        return messages, undecryptable
