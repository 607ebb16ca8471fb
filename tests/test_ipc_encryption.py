"""send_matrix_message keeps the seed's word that messages between people are end-to-end
encrypted: from the caller's AI it opens (or turns into) an encrypted DM, and the recipient's
own device decrypts what arrives; as the caller herself it sends nothing (403, see
test_messaging.py)."""

from __future__ import annotations

from nio import JoinResponse, RoomCreateResponse, RoomMessageText, RoomPreset

from .encrypted_client import EncryptedClient
from .harness import api_ok


async def _bob_reads(client: EncryptedClient, room_id: str, ai: str, count: int = 1) -> list:
    joined = await client.client.join(room_id)
    assert isinstance(joined, JoinResponse), joined
    messages, undecryptable = await client.messages_from(room_id, ai, count=count)
    assert undecryptable == [], "bob's device could not decrypt the AI's message"
    assert all(isinstance(m, RoomMessageText) and m.decrypted for m in messages), messages
    for message in messages:
        raw = await client.raw_event(room_id, message.event_id)
        assert raw["type"] == "m.room.encrypted" and "body" not in raw["content"], raw
    return [m.body for m in messages]


async def _encryption_state(stack, user, room_id: str) -> dict | None:
    status, body = await stack.request(
        "GET", f"{stack.synapse.url}/_matrix/client/v3/rooms/{room_id}/state",
        token=user.access_token)
    assert status == 200, body
    return next((e for e in body if e["type"] == "m.room.encryption"), None)


async def test_a_new_dm_from_the_ai_is_encrypted_and_the_recipient_decrypts_it(stack, tmp_path):
    alice, bob = await stack.register("alice"), await stack.register("bob")
    ai = stack.mxid(f"{alice.localpart}_ai")
    client = EncryptedClient(stack, bob, tmp_path)
    await client.login()
    sent = await api_ok(stack, "POST", "/ipc/send_matrix_message", alice,
                        json={"to": bob.user_id, "content": "a secret from my AI"})
    assert (sent["from"], sent["created_dm"], sent["encrypted"]) == (ai, True, True), sent
    assert await _bob_reads(client, sent["room_id"], ai) == ["a secret from my AI"]
    state = await _encryption_state(stack, bob, sent["room_id"])
    assert state and state["content"]["algorithm"] == "m.megolm.v1.aes-sha2", state
    # created with the room (initial state), by the AI that opened it
    assert state["sender"] == ai, state


async def test_an_unencrypted_dm_of_the_pair_is_encrypted_from_then_on(stack, tmp_path):
    """A DM the AI opened before (unencrypted, as send_matrix_message used to) is reused, and
    encryption is turned on in it first; the next message finds it encrypted."""
    from matrix_social.matrix.dms import is_encrypted, open_dm

    alice, bob = await stack.register("alice"), await stack.register("bob")
    ai = stack.mxid(f"{alice.localpart}_ai")
    intent = await stack.bridge.services.intents.for_user(ai)
    old_room, created = await open_dm(intent, bob.user_id, encrypted=False)
    assert created and not await is_encrypted(intent, old_room)
    client = EncryptedClient(stack, bob, tmp_path)
    await client.login()
    sent = await api_ok(stack, "POST", "/ipc/send_matrix_message", alice,
                        json={"to": bob.user_id, "content": "now encrypted"})
    assert (sent["room_id"], sent["created_dm"], sent["encrypted"]) == (old_room, False, True)
    again = await api_ok(stack, "POST", "/ipc/send_matrix_message", alice,
                         json={"to": bob.user_id, "content": "still encrypted"})
    assert (again["room_id"], again["encrypted"]) == (old_room, True)
    assert await _bob_reads(client, old_room, ai, count=2) == ["now encrypted",
                                                               "still encrypted"]


async def test_a_dm_the_ai_may_not_encrypt_is_replaced_by_an_encrypted_one(stack, tmp_path):
    """Bob made the DM (private_chat: the invited AI may not send state), so its encryption
    cannot be turned on by the AI: a new encrypted DM takes its place in m.direct."""
    alice, bob = await stack.register("alice"), await stack.register("bob")
    ai = stack.mxid(f"{alice.localpart}_ai")
    made = await stack.nio(bob).room_create(invite=[ai], is_direct=True,
                                            preset=RoomPreset.private_chat)
    assert isinstance(made, RoomCreateResponse), made
    intent = await stack.bridge.services.intents.for_user(ai)
    await intent.ensure_joined(made.room_id)
    await intent.set_account_data("m.direct", {bob.user_id: [made.room_id]})
    client = EncryptedClient(stack, bob, tmp_path)
    await client.login()
    sent = await api_ok(stack, "POST", "/ipc/send_matrix_message", alice,
                        json={"to": bob.user_id, "content": "in a room of my own"})
    assert sent["room_id"] != made.room_id and sent["created_dm"] and sent["encrypted"], sent
    assert await _encryption_state(stack, bob, made.room_id) is None  # left as it was
    direct = await intent.get_account_data("m.direct")
    assert direct[bob.user_id][-1] == sent["room_id"], direct
    assert await _bob_reads(client, sent["room_id"], ai) == ["in a room of my own"]
