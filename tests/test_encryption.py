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


async def test_a_room_key_discarded_between_sharing_and_encrypting_is_shared_again():
    """Under load a member event can land between mautrix sharing a new room key and using it
    (it discards the key: "No group session created"); the send shares again, then gives up
    with the error after a bounded number of tries."""
    from types import SimpleNamespace

    from mautrix.errors import EncryptionError
    from mautrix.types import EventType

    from matrix_social.matrix.encryption import ENCRYPT_ATTEMPTS, RoomEncryption

    class Manager:
        def __init__(self, failures: int) -> None:
            self.failures, self.calls = failures, 0

        async def encrypt(self, room_id, event_type, content):
            self.calls += 1
            if self.calls <= self.failures:
                raise EncryptionError("No group session created")
            return EventType.ROOM_ENCRYPTED, {"ciphertext": "…"}

    async def encrypted(room_id):
        return True

    az = SimpleNamespace(state_store=SimpleNamespace(is_encrypted=encrypted))
    once = Manager(failures=1)
    sent = await RoomEncryption(az, None, once).prepare("!dm:hs", EventType.ROOM_MESSAGE, {})
    assert sent[0] == EventType.ROOM_ENCRYPTED and once.calls == 2
    never = Manager(failures=ENCRYPT_ATTEMPTS)
    try:
        await RoomEncryption(az, None, never).prepare("!dm:hs", EventType.ROOM_MESSAGE, {})
    except EncryptionError:
        pass
    else:
        raise AssertionError("an encryption that never works must fail, not send plaintext")
    assert never.calls == ENCRYPT_ATTEMPTS
