"""Reports reach the homeserver's admins and the service's queue; the operator's takedown is
a redaction Element sees; a suspension makes a feed read-only and hides it (docs/events.md,
"Reports and moderation")."""

from __future__ import annotations

import json
import secrets
from urllib.parse import quote

from nio import RoomSendError

from .harness import api, api_ok, eventually, room_texts, run_cli


def _q(value: str) -> str:
    return quote(value, safe="")



async def _cli(stack, *args: str) -> tuple[int, str, str]:
    return await run_cli("moderation", *args, "-c", str(stack.root / "config.yaml"), "-n")


async def test_reports_reach_synapse_and_the_queue_and_a_takedown_is_a_redaction(stack):
    alice = await stack.register("alice")
    mallory = await stack.register("mallory")
    admin = await stack.register("admin", admin=True)
    post = await api_ok(stack, "POST", "/posts", alice, json={"text": "my day"})
    p = _q(post["id"])
    abuse = await api_ok(stack, "POST", f"/posts/{p}/comments", mallory,
                         json={"text": "you are awful"})
    bad = await api_ok(stack, "POST", "/posts", mallory, json={"text": "buy pills now"})

    # Refused input changes nothing.
    for body in ({"reason": "x", "category": "spam"},
                 {"event_id": abuse["id"], "user_id": mallory.user_id, "reason": "x",
                  "category": "spam"},
                 {"event_id": abuse["id"], "reason": "x", "category": "rude"},
                 {"event_id": abuse["id"], "reason": "", "category": "spam"}):
        status, _ = await api(stack, "POST", "/reports", alice, json=body)
        assert status == 400, body
    status, _ = await api(stack, "POST", "/reports", alice,
                          json={"event_id": "$nothing", "reason": "x", "category": "spam"})
    assert status == 404

    on_comment = await api_ok(stack, "POST", "/reports", alice, expect=201, json={
        "event_id": abuse["id"], "reason": "insults me", "category": "harassment"})
    assert on_comment["matrix"] == [{"endpoint": "report_event", "result": "reported"}]
    on_user = await api_ok(stack, "POST", "/reports", alice, expect=201, json={
        "user_id": mallory.user_id, "reason": "spams everyone", "category": "spam"})
    assert on_user["matrix"] == [{"endpoint": "report_user", "result": "reported"}]

    # The homeserver's admins have it, in Synapse's own admin API.
    status, reports = await stack.request(
        "GET", f"{stack.synapse.url}/_synapse/admin/v1/event_reports?limit=100",
        token=admin.access_token)
    assert status == 200, reports
    [mine] = [r for r in reports["event_reports"] if r["event_id"] == abuse["id"]]
    assert mine["user_id"] == alice.user_id and mine["reason"] == "[harassment] insults me"

    # The queue: homeserver admins only.
    status, answer = await api(stack, "GET", "/moderation/reports", alice)
    assert status == 403 and answer["errcode"] == "M_FORBIDDEN"
    queue = await api_ok(stack, "GET", "/moderation/reports?status=open", admin)
    ids = [r["id"] for r in queue["items"]]
    assert on_user["id"] in ids and on_comment["id"] in ids
    first = next(r for r in queue["items"] if r["id"] == on_comment["id"])
    assert (first["reporter"], first["user_id"], first["room_id"], first["category"]) == (
        alice.user_id, mallory.user_id, post["room_id"], "harassment")

    # The operator at the command line (one process run: each starts the service's
    # components), the rest through the same component; each action logged.
    code, out, err = await _cli(stack, "takedown", abuse["id"], "--reason", "harassment",
                                "--by", "@ops:example")
    assert code == 0 and json.loads(out)["taken_down"] is True, (out, err)
    code, _, err = await _cli(stack, "takedown", abuse["id"])
    assert code != 0 and "--reason" in err  # every action says why
    moderation = stack.bridge.services.moderation
    await moderation.takedown(bad["id"], "operator", "spam")
    resolved = await moderation.resolve(on_comment["id"], "operator", "taken down")
    assert resolved["status"] == "resolved"

    # Gone from every API answer at once (the index does not wait for the redaction).
    comments = await api_ok(stack, "GET", f"/posts/{p}/comments", alice)
    assert abuse["id"] not in [c["id"] for c in comments["items"]]
    status, _ = await api(stack, "GET", f"/posts/{_q(bad['id'])}", alice)
    assert status == 404
    # Element's view (a plain client): both redacted by the bot.
    client = stack.nio(alice)

    async def redacted() -> bool:
        events = {e["event_id"]: e for e in await room_texts(client, post["room_id"])}
        mine = {e["event_id"]: e for e in await room_texts(client, bad["room_id"])}
        return (not events.get(abuse["id"], {"content": 1})["content"]
                and not mine.get(bad["id"], {"content": 1})["content"])

    await eventually(redacted, timeout=30, what="the takedowns redacted")
    # ... and gone from every API answer.
    comments = await api_ok(stack, "GET", f"/posts/{p}/comments", alice)
    assert abuse["id"] not in [c["id"] for c in comments["items"]]
    status, _ = await api(stack, "GET", f"/posts/{_q(bad['id'])}", alice)
    assert status == 404
    profile = await api_ok(stack, "GET", f"/profile/{mallory.localpart}/posts", alice)
    assert bad["id"] not in [x["id"] for x in profile["items"]]
    actions = await moderation.actions()
    assert ("@ops:example", "takedown", abuse["id"], "harassment") in [
        (a["actor"], a["action"], a["target"], a["reason"]) for a in actions]


async def test_a_suspended_feed_is_read_only_and_hidden_from_search(stack):
    mallory = await stack.register("mallory")
    alice = await stack.register("alice")
    tag = f"spam{secrets.token_hex(3)}"
    old = await api_ok(stack, "POST", "/posts", mallory, json={"text": f"old {tag}"})
    moderation = stack.bridge.services.moderation

    async def found() -> tuple[list, list]:
        result = await api_ok(stack, "GET", f"/search?q={tag}", alice)
        people = await api_ok(stack, "GET", f"/search?q={mallory.localpart}&type=users", alice)
        return ([x["id"] for x in result["posts"]["items"]],
                [u["user_id"] for u in people["users"]["items"]])

    assert await found() == ([old["id"]], [mallory.user_id])
    hers = await api_ok(stack, "POST", "/posts", alice, json={"text": "my day"})
    await moderation.suspend(mallory.user_id, "@ops:example", "spam wave")
    assert await found() == ([], [])
    status, _ = await api(stack, "POST", "/posts", mallory, json={"text": "still posting"})
    assert status >= 400
    # Barred as a policy rule bars (matrix/bars.py): every path refused, and told why.
    h = _q(hers["id"])
    for method, path, body in (
            ("POST", "/follow", {"handle": alice.localpart}),
            ("POST", f"/posts/{h}/comments", {"text": "buy now"}),
            ("POST", f"/posts/{h}/like", None),
            ("POST", f"/posts/{h}/repost", None),
            ("POST", "/messages/dm", {"to": alice.user_id}),
            ("POST", "/ai/request", {"to": f"{alice.localpart}_ai", "content": "hi"})):
        status, answer = await api(stack, method, path, mallory, json=body)
        assert status == 403 and "suspended" in answer["error"], (path, status, answer)
    sent = await stack.nio(mallory).room_send(old["room_id"], "m.room.message",
                                              {"msgtype": "m.text", "body": "from Element"})
    assert isinstance(sent, RoomSendError), sent
    await moderation.unsuspend(mallory.user_id, "@ops:example", "appeal granted")
    assert await found() == ([old["id"]], [mallory.user_id])
    await api_ok(stack, "POST", "/posts", mallory, json={"text": "back"})
    logged = [(a["action"], a["reason"]) for a in await moderation.actions()]
    assert ("suspend", "spam wave") in logged and ("unsuspend", "appeal granted") in logged


def test_a_homeserver_without_an_endpoint_is_told_apart_from_a_refusal():
    from mautrix.errors import make_request_error

    from matrix_social.social.moderation import _outcome

    def error(status: int, errcode: str):
        return make_request_error(status, "", errcode or None, "no")

    assert _outcome("report_user", None) == {"endpoint": "report_user", "result": "reported"}
    for status, errcode in ((404, "M_UNRECOGNIZED"), (405, "M_UNRECOGNIZED"), (404, "")):
        result = _outcome("report_user", error(status, errcode))["result"]
        assert result == "unsupported", (status, errcode)
    refused = _outcome("report_event", error(404, "M_NOT_FOUND"))
    assert refused == {"endpoint": "report_event", "result": "refused",
                       "detail": "404 M_NOT_FOUND"}
