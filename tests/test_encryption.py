"""End-to-bridge encryption: an AI puppet reads and answers an encrypted DM."""

from __future__ import annotations

import time

from nio import (
    AsyncClient,
    AsyncClientConfig,
    JoinedMembersResponse,
    LoginResponse,
    MegolmEvent,
    RoomCreateResponse,
    RoomMessageText,
    RoomSendResponse,
)

from .harness import eventually


async def test_encrypted_dm_to_ai_is_decrypted_and_answered_encrypted(stack, tmp_path):
    assert stack.bridge.matrix.e2ee is not None, "tests run with end-to-bridge encryption on"
    alice, bob = await stack.register("alice"), await stack.register("bob")
    ai = stack.mxid(f"{alice.localpart}_ai")
    bot = stack.bridge.az.bot_mxid
    client = AsyncClient(stack.synapse.url, bob.user_id, store_path=str(tmp_path),
                         config=AsyncClientConfig(encryption_enabled=True,
                                                  store_sync_tokens=False))
    stack.clients.append(client)
    login = await client.login(bob.password, device_name="test")
    assert isinstance(login, LoginResponse), login
    if client.should_upload_keys:
        await client.keys_upload()
    room = await client.room_create(is_direct=True, invite=[ai], initial_state=[{
        "type": "m.room.encryption", "state_key": "",
        "content": {"algorithm": "m.megolm.v1.aes-sha2"}}])
    assert isinstance(room, RoomCreateResponse), room

    async def ai_and_bot_joined():
        members = await client.joined_members(room.room_id)
        return isinstance(members, JoinedMembersResponse) and {ai, bot} <= {
            m.user_id for m in members.members}

    await eventually(ai_and_bot_joined, timeout=30, what="AI and bot joined the encrypted DM")
    await client.sync(timeout=0, full_state=True)
    assert client.rooms[room.room_id].encrypted
    if client.should_query_keys:
        await client.keys_query()
    sent = await client.room_send(room.room_id, "m.room.message",
                                  {"msgtype": "m.text", "body": "secret question"},
                                  ignore_unverified_devices=True)
    assert isinstance(sent, RoomSendResponse), sent
    raw = await stack.request(
        "GET", f"{stack.synapse.url}/_matrix/client/v3/rooms/{room.room_id}/event/"
        f"{sent.event_id}", token=bob.access_token)
    assert raw[1]["type"] == "m.room.encrypted", "the question went out encrypted"

    answers: list[str] = []
    undecryptable: list[MegolmEvent] = []
    deadline = time.monotonic() + 45
    while not answers and time.monotonic() < deadline:
        resp = await client.sync(timeout=1000)
        for event in getattr(resp, "rooms", None) and resp.rooms.join.get(
                room.room_id).timeline.events if room.room_id in resp.rooms.join else []:
            if isinstance(event, RoomMessageText) and event.sender == ai:
                answers.append(event.body)
            elif isinstance(event, MegolmEvent) and event.sender == ai:
                undecryptable.append(event)
        if client.should_query_keys:
            await client.keys_query()
    assert answers == ["echo: secret question"], (answers, undecryptable)
    request = stack.agent.requests_for(ai)[-1]
    assert request["message"]["body"] == "secret question"
