"""End-to-bridge encryption: an AI puppet reads and answers an encrypted DM."""

from __future__ import annotations

from nio import RoomMessageText

from .encrypted_client import EncryptedClient


async def test_encrypted_dm_to_ai_is_decrypted_and_answered_encrypted(stack, tmp_path):
    assert stack.bridge.matrix.e2ee is not None, "tests run with end-to-bridge encryption on"
    alice, bob = await stack.register("alice"), await stack.register("bob")
    ai = stack.mxid(f"{alice.localpart}_ai")
    client = EncryptedClient(stack, bob, tmp_path)
    await client.login()
    room_id = await client.encrypted_room([ai], wait_for=[ai, stack.bridge.az.bot_mxid])
    await client.send(room_id, "secret question")  # checked: m.room.encrypted on the server

    messages, undecryptable = await client.messages_from(room_id, ai)
    assert undecryptable == [], "the AI's answer could not be decrypted"
    [answer] = messages
    # nio marks what it decrypted; a plaintext answer would parse as the same class
    assert isinstance(answer, RoomMessageText) and answer.decrypted, answer
    assert answer.body == "echo: secret question"
    raw = await client.raw_event(room_id, answer.event_id)  # as the homeserver stores it
    assert (raw["type"], raw["sender"]) == ("m.room.encrypted", ai), raw
    assert raw["content"]["algorithm"] == "m.megolm.v1.aes-sha2", raw
    assert "body" not in raw["content"] and "echo" not in str(raw), raw
    request = stack.agent.requests_for(ai)[-1]
    assert request["message"]["body"] == "secret question"
