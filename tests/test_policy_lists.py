"""Policy lists through a real Synapse (docs/events.md, "Policy lists"): the operator's policy
room, read at start and followed from the stream, bars a local user by a glob and another
server by a server rule; rules sent anywhere else change nothing; a removed rule restores."""

from __future__ import annotations

import logging
import secrets
from contextlib import asynccontextmanager
from urllib.parse import quote

from nio import JoinResponse, RoomCreateResponse, RoomPutStateResponse, RoomSendResponse
from nio.api import RoomPreset, RoomVisibility

from .harness import LogLines, api, api_ok, eventually, run_cli

USER_RULE = "m.policy.rule.user"
SERVER_RULE = "m.policy.rule.server"


def _q(value: str) -> str:
    return quote(value, safe="")



async def _put_state(client, room_id: str, etype: str, key: str, content: dict) -> None:
    put = await client.room_put_state(room_id, etype, content, state_key=key)
    assert isinstance(put, RoomPutStateResponse), put


async def _ban(client, room_id: str, etype: str, key: str, entity: str) -> None:
    await _put_state(client, room_id, etype, key,
                     {"entity": entity, "recommendation": "m.ban", "reason": "spam"})


@asynccontextmanager
async def _subscribed(stack, rooms: list[str]):
    """The service restarted with these policy rooms configured, and back without them."""
    stack.config["moderation.policy_rooms"] = rooms
    stack.config.save()
    await stack.stop_bridge()
    await stack.start_bridge()
    try:
        yield
    finally:
        stack.config["moderation.policy_rooms"] = []
        stack.config.save()
        await stack.stop_bridge()
        await stack.start_bridge()


async def _policies(stack, admin) -> dict:
    return await api_ok(stack, "GET", "/moderation/policies", admin)


async def _ids(stack, path: str, user, key: str | None = None) -> list[str]:
    page = await api_ok(stack, "GET", path, user)
    items = page[key]["items"] if key else page["items"]
    return [i.get("id") or i.get("user_id") for i in items]


async def test_a_policy_room_bars_by_glob_and_server_and_nobody_else_can_write_one(stack,
                                                                                    remote):
    operator = await stack.register("admin", admin=True)
    alice, bob, carol = [await stack.register(n) for n in ("alice", "bob", "carol")]
    mallory = await stack.register("mallory")
    stranger = await remote.register("stranger")
    word, far = f"quokka{secrets.token_hex(3)}", f"wombat{secrets.token_hex(3)}"
    garden = f"tulip{secrets.token_hex(3)}"

    # The network before any rule: mallory posts, is followed, liked, trending, suggested.
    hers = await api_ok(stack, "POST", "/posts", mallory, json={"text": f"buy {word} now #{word}"})
    post = await api_ok(stack, "POST", "/posts", alice, json={"text": f"my {garden}"})
    p = _q(post["id"])
    for follower, followed in ((alice, mallory), (bob, mallory), (carol, bob)):
        await api_ok(stack, "POST", "/follow", follower, json={"handle": followed.localpart})
    for liker in (alice, bob, carol):
        await api_ok(stack, "POST", f"/posts/{_q(hers['id'])}/like", liker)
    remote_post = await api_ok(remote, "POST", "/posts", stranger,
                               json={"text": f"hello from {far}"})
    await api_ok(stack, "POST", "/follow", alice, json={"handle": stranger.user_id})

    async def remote_post_arrived() -> bool:
        return remote_post["id"] in await _ids(stack, "/feed?limit=100", alice)

    await eventually(remote_post_arrived, timeout=30, what="the remote user's post indexed")
    await stack.bridge.services.trending.refresh()
    assert hers["id"] in await _ids(stack, "/explore/trending?limit=100", carol)
    assert hers["id"] in await _ids(stack, f"/search?q={word}&type=posts", carol, "posts")
    assert hers["id"] in await _ids(stack, f"/tags/{word}", carol)
    assert mallory.user_id in await _ids(stack, "/explore/suggestions?limit=100", carol)

    # The operator's policy room, public as Draupnir's are, with a glob rule already in it.
    op_client = stack.nio(operator)
    created = await op_client.room_create(visibility=RoomVisibility.public,
                                          preset=RoomPreset.public_chat, name="ban list")
    assert isinstance(created, RoomCreateResponse), created
    policy_room = created.room_id
    await _ban(op_client, policy_room, USER_RULE, "rule:mallory", f"@mallory*:{stack.domain}")

    log = LogLines()
    try:
        async with _subscribed(stack, [policy_room]):
            # after the start: the bridge's logging set-up empties our loggers' handlers
            logging.getLogger("matrix_social.policy").addHandler(log)

            async def read_at_start() -> bool:
                rooms = (await _policies(stack, operator))["rooms"]
                return [r["rules"] for r in rooms] == [{"user": 1, "server": 0}]

            await eventually(read_at_start, timeout=30, what="the policy room read at start")
            await _barred_everywhere(stack, alice, bob, carol, mallory, hers, word, post)
            await _operator_sees(stack, operator, alice, mallory, policy_room)
            assert any("refused to" in line and mallory.user_id in line
                       for _, line in log.lines), log.lines
            # The other server's user sets rules in his own feed room, which alice follows
            # (so its events reach this service): they count no more than mallory's.
            far_client = remote.nio(stranger)
            await _ban(far_client, remote_post["room_id"], SERVER_RULE, "rule:there",
                       stack.domain)
            await _ban(far_client, remote_post["room_id"], USER_RULE, "rule:alice",
                       alice.user_id)
            alice_client = stack.nio(alice)

            async def arrived_here() -> bool:
                got = await alice_client.room_get_state_event(
                    remote_post["room_id"], USER_RULE, "rule:alice")
                return getattr(got, "content", {}).get("entity") == alice.user_id

            await eventually(arrived_here, timeout=30, what="his rules on this homeserver")
            await _mallory_writes_her_own_rules(stack, operator, alice, carol, mallory,
                                                hers, post, garden)

            # A server rule from the stream bars the other server's user.
            await _ban(op_client, policy_room, SERVER_RULE, "rule:remote", remote.domain)

            async def remote_barred() -> bool:
                return remote_post["id"] not in await _ids(stack, "/feed?limit=100", alice)

            await eventually(remote_barred, timeout=30, what="the server rule applied")
            assert remote_post["id"] not in await _ids(
                stack, f"/search?q={far}&type=posts", carol, "posts")
            assert post["id"] in await _ids(stack, "/feed?limit=100", alice)  # ours stay

            # The rule removed (empty content): mallory is back, and may act again.
            await _put_state(op_client, policy_room, USER_RULE, "rule:mallory", {})

            async def restored() -> bool:
                return hers["id"] in await _ids(stack, f"/search?q={word}&type=posts", carol,
                                                "posts")

            await eventually(restored, timeout=30, what="the removal applied")
            assert hers["id"] in await _ids(stack, "/explore/trending?limit=100", carol)
            assert hers["id"] in await _ids(stack, "/feed?limit=100", alice)
            assert mallory.user_id in await _ids(stack, "/explore/suggestions?limit=100",
                                                 carol)
            await api_ok(stack, "POST", f"/posts/{p}/like", mallory)
    finally:
        logging.getLogger("matrix_social.policy").removeHandler(log)

    async def unsubscribed() -> bool:  # the rules go with the room
        found = await _policies(stack, operator)
        return found["rooms"] == [] and found["rules"] == []

    await eventually(unsubscribed, timeout=30, what="the room unsubscribed at the next start")


async def _barred_everywhere(stack, alice, bob, carol, mallory, hers, word, post) -> None:
    """Hidden from explore, search, suggestions and feeds; refused on every API path; what she
    does from a plain client is not indexed."""
    await stack.bridge.services.trending.refresh()
    assert hers["id"] not in await _ids(stack, "/explore/trending?limit=100", carol)
    assert hers["id"] not in await _ids(stack, f"/search?q={word}&type=posts", carol, "posts")
    assert hers["id"] not in await _ids(stack, f"/tags/{word}", carol)
    assert mallory.user_id not in await _ids(
        stack, f"/search?q={mallory.localpart}&type=users", carol, "users")
    assert mallory.user_id not in await _ids(stack, "/explore/suggestions?limit=100", carol)
    assert hers["id"] not in await _ids(stack, "/feed?limit=100", alice)
    assert hers["id"] in await _ids(stack, "/feed?limit=100", mallory)  # she still sees hers
    p = _q(post["id"])
    for method, path, body in (
            ("POST", "/follow", {"handle": alice.localpart}),
            ("POST", f"/posts/{p}/comments", {"text": "buy now"}),
            ("POST", f"/posts/{p}/like", None),
            ("POST", f"/posts/{p}/repost", None),
            ("POST", "/messages/dm", {"to": alice.user_id}),
            ("POST", "/ai/request", {"to": f"{alice.localpart}_ai", "content": "hi"})):
        status, answer = await api(stack, method, path, mallory, json=body)
        assert status == 403 and answer["errcode"] == "M_FORBIDDEN", (path, status, answer)

    # From a plain client: her follow, comment and like are not indexed; bob's control is.
    client = stack.nio(mallory)
    joined = await client.join(post["room_id"])
    assert isinstance(joined, JoinResponse), joined
    thread = {"rel_type": "m.thread", "event_id": post["id"], "is_falling_back": True,
              "m.in_reply_to": {"event_id": post["id"]}}
    for etype, content in (
            ("m.room.message", {"msgtype": "m.text", "body": "spam", "m.relates_to": thread}),
            ("m.reaction", {"m.relates_to": {"rel_type": "m.annotation",
                                             "event_id": post["id"], "key": "❤️"}})):
        sent = await client.room_send(post["room_id"], etype, content)
        assert isinstance(sent, RoomSendResponse), sent
    await api_ok(stack, "POST", f"/posts/{p}/comments", bob, json={"text": "control"})

    async def control_indexed() -> bool:
        seen = await api_ok(stack, "GET", f"/posts/{p}", alice)
        return seen["counts"]["comments"] >= 1

    await eventually(control_indexed, timeout=30, what="the control comment indexed")
    seen = await api_ok(stack, "GET", f"/posts/{p}", alice)
    assert seen["counts"] == {"likes": 0, "comments": 1, "reposts": 0}, seen["counts"]
    followers = await api_ok(stack, "GET", f"/followers/{alice.localpart}", alice)
    assert mallory.user_id not in [f["user_id"] for f in followers["items"]]


async def _operator_sees(stack, operator, alice, mallory, policy_room) -> None:
    found = await _policies(stack, operator)
    assert [r["room_id"] for r in found["rooms"]] == [policy_room]
    barred = {m["user_id"]: m for m in found["matched_users"]}
    assert mallory.user_id in barred and alice.user_id not in barred
    assert barred[mallory.user_id]["rule"] == "rule:mallory"
    status, answer = await api(stack, "GET", "/moderation/policies", alice)
    assert status == 403 and answer["errcode"] == "M_FORBIDDEN"
    code, out, err = await run_cli("moderation", "policies", "-c",
                                   str(stack.root / "config.yaml"), "-n")
    assert code == 0, err
    assert policy_room in out and "1 user rule(s)" in out and mallory.user_id in out, out
    assert alice.user_id not in out


async def _mallory_writes_her_own_rules(stack, operator, alice, carol, mallory, hers,
                                        post, garden: str) -> None:
    """Rules in her own room and in her feed room, both hers to set, bar nobody."""
    client = stack.nio(mallory)
    own = await client.room_create(visibility=RoomVisibility.public,
                                   preset=RoomPreset.public_chat, name="my ban list")
    assert isinstance(own, RoomCreateResponse), own
    for room_id in (own.room_id, hers["room_id"]):
        for etype in (USER_RULE, "org.matrix.mjolnir.rule.user"):
            await _ban(client, room_id, etype, "rule:alice", alice.user_id)
        await _ban(client, room_id, SERVER_RULE, "rule:here", stack.domain)
    # In the policy room itself she may talk but not set state (its power levels): the
    # homeserver refuses her rule, and the same type sent as a message is no rule.
    policy_room = (await _policies(stack, operator))["rooms"][0]["room_id"]
    assert isinstance(await client.join(policy_room), JoinResponse)
    refused = await client.room_put_state(policy_room, USER_RULE, {
        "entity": alice.user_id, "recommendation": "m.ban"}, state_key="rule:alice")
    assert not isinstance(refused, RoomPutStateResponse), refused
    as_message = await client.room_send(policy_room, USER_RULE, {
        "entity": alice.user_id, "recommendation": "m.ban", "reason": "spam"})
    assert isinstance(as_message, RoomSendResponse), as_message
    # A later event in the subscribed room arrives after hers (one ordered stream).
    marker = await client.room_create(name="marker")
    assert isinstance(marker, RoomCreateResponse)
    op_client = stack.nio(operator)
    await _ban(op_client, policy_room, USER_RULE, "rule:marker", f"@nobody{marker.room_id}")

    async def marker_read() -> bool:
        return (await _policies(stack, operator))["rooms"][0]["rules"]["user"] == 2

    await eventually(marker_read, timeout=30, what="the operator's later rule read")
    found = await _policies(stack, operator)
    assert {r["sender"] for r in found["rules"]} == {operator.user_id}
    assert alice.user_id not in {m["user_id"] for m in found["matched_users"]}
    assert post["id"] in await _ids(stack, f"/search?q={garden}&type=posts", carol, "posts")
    await api_ok(stack, "POST", "/follow", carol, json={"handle": alice.localpart})
