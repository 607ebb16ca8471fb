"""The homeserver's admins moderate through the API (issue 24): a report, resolve, take down,
suspend and unsuspend, on the operator's code path, each saying why and logged with the
admin's user id; anybody else is refused with 403 M_FORBIDDEN and changes nothing."""

from __future__ import annotations

from urllib.parse import quote

from .harness import api, api_ok, eventually, room_texts


def _q(value: str) -> str:
    return quote(value, safe="")


async def test_a_server_admin_moderates_through_the_api_and_nobody_else_can(stack):
    alice = await stack.register("alice")
    mallory = await stack.register("mallory")
    admin = await stack.register("admin", admin=True)
    bad = await api_ok(stack, "POST", "/posts", mallory, json={"text": "buy pills now"})
    other = await api_ok(stack, "POST", "/posts", mallory, json={"text": "and more pills"})
    on_post = await api_ok(stack, "POST", "/reports", alice, expect=201, json={
        "event_id": bad["id"], "reason": "spam", "category": "spam"})
    on_user = await api_ok(stack, "POST", "/reports", alice, expect=201, json={
        "user_id": mallory.user_id, "reason": "spams everyone", "category": "spam"})
    rid = on_post["id"]

    # Who moderates: the homeserver's admin flag, as the app learns it.
    assert await api_ok(stack, "GET", "/moderation/me", alice) == {
        "user_id": alice.user_id, "is_admin": False}
    assert (await api_ok(stack, "GET", "/moderation/me", admin))["is_admin"] is True

    # Anybody else: 403 on every action, and nothing changes.
    refused = [("GET", f"/moderation/reports/{rid}", None),
               ("POST", f"/moderation/reports/{rid}/resolve", {"reason": "x"}),
               ("POST", "/moderation/takedown", {"event_id": bad["id"], "reason": "x"}),
               ("POST", "/moderation/suspend", {"user_id": mallory.user_id, "reason": "x"}),
               ("POST", "/moderation/unsuspend", {"user_id": mallory.user_id, "reason": "x"}),
               ("GET", "/moderation/actions", None)]
    for who in (alice, mallory):
        for method, path, body in refused:
            status, answer = await api(stack, method, path, who, json=body)
            assert (status, answer["errcode"]) == (403, "M_FORBIDDEN"), (method, path, answer)
    await api_ok(stack, "GET", f"/posts/{_q(bad['id'])}", alice)

    # A report as the admin sees it: the post as the index has it, the reporter, what the
    # homeserver said.
    report = await api_ok(stack, "GET", f"/moderation/reports/{rid}", admin)
    assert report["target"]["kind"] == "post" and report["target"]["text"] == "buy pills now"
    assert report["target"]["user"]["user_id"] == mallory.user_id
    assert report["reporter_profile"]["user_id"] == alice.user_id
    assert report["matrix"] == [{"endpoint": "report_event", "result": "reported"}]
    assert report["actions"] == [] and report["status"] == "open"
    user_report = await api_ok(stack, "GET", f"/moderation/reports/{on_user['id']}", admin)
    assert user_report["target"]["kind"] == "user" and user_report["target"]["text"] is None

    # Unknown ids: 404; no reason: 400; nothing done either way.
    for method, path, body in (
            ("GET", "/moderation/reports/999999999", None),
            ("GET", "/moderation/reports/nope", None),
            ("POST", "/moderation/reports/999999999/resolve", {"reason": "x"}),
            ("POST", "/moderation/takedown", {"event_id": "$nothing:x", "reason": "x"}),
            ("POST", "/moderation/takedown", {"event_id": other["id"], "reason": "x",
                                              "report_id": "999999999"}),
            ("POST", "/moderation/suspend", {"user_id": stack.mxid("nobody_here"),
                                             "reason": "x"}),
            ("POST", "/moderation/unsuspend", {"user_id": mallory.user_id, "reason": "x"})):
        status, answer = await api(stack, method, path, admin, json=body)
        assert status == 404, (method, path, status, answer)
    for method, path, body in (
            ("POST", f"/moderation/reports/{rid}/resolve", {"reason": "  "}),
            ("POST", f"/moderation/reports/{rid}/resolve", {}),
            ("POST", "/moderation/takedown", {"event_id": bad["id"]}),
            ("POST", "/moderation/suspend", {"user_id": mallory.user_id, "reason": ""}),
            ("POST", "/moderation/unsuspend", {"user_id": mallory.user_id})):
        status, answer = await api(stack, method, path, admin, json=body)
        assert (status, answer["errcode"]) == (400, "M_INVALID_PARAM"), (method, path, answer)
    await api_ok(stack, "GET", f"/posts/{_q(other['id'])}", alice)
    assert (await api_ok(stack, "GET", f"/moderation/reports/{rid}", admin))["status"] == "open"

    # The takedown settles its report: redacted for a plain client, gone from the feed.
    done = await api_ok(stack, "POST", "/moderation/takedown", admin, json={
        "event_id": bad["id"], "reason": "pill spam", "report_id": rid})
    assert done == {"event_id": bad["id"], "room_id": bad["room_id"], "taken_down": True}
    status, _ = await api(stack, "GET", f"/posts/{_q(bad['id'])}", alice)
    assert status == 404
    client = stack.nio(alice)

    async def redacted() -> bool:
        events = {e["event_id"]: e for e in await room_texts(client, bad["room_id"])}
        return not events.get(bad["id"], {"content": 1})["content"]

    await eventually(redacted, timeout=30, what="the takedown redacted")
    report = await api_ok(stack, "GET", f"/moderation/reports/{rid}", admin)
    assert report["status"] == "resolved" and report["target"]["taken_down"] is True
    assert [(a["actor"], a["action"], a["reason"]) for a in report["actions"]] == [
        (admin.user_id, "takedown", "pill spam")]

    # Suspend from the other report, then lift it; resolve says why too.
    suspended = await api_ok(stack, "POST", "/moderation/suspend", admin, json={
        "user_id": mallory.user_id, "reason": "spam wave", "report_id": on_user["id"]})
    assert suspended["suspended"] is True
    status, _ = await api(stack, "POST", "/posts", mallory, json={"text": "still here"})
    assert status >= 400
    listed = await api_ok(stack, "GET", f"/moderation/reports/{on_user['id']}", admin)
    assert listed["target"]["suspended"] is True and listed["status"] == "resolved"
    lifted = await api_ok(stack, "POST", "/moderation/unsuspend", admin,
                         json={"user_id": mallory.user_id, "reason": "appeal"})
    assert lifted["suspended"] is False
    await api_ok(stack, "POST", "/posts", mallory, json={"text": "back"})
    again = await api_ok(stack, "POST", f"/moderation/reports/{rid}/resolve", admin,
                         json={"reason": "already handled"})
    assert again["status"] == "resolved"

    log = await api_ok(stack, "GET", "/moderation/actions?limit=10", admin)
    mine = [(a["actor"], a["action"], a["target"], a["reason"], a["report_id"])
            for a in log["items"] if a["actor"] == admin.user_id]
    assert mine == [
        (admin.user_id, "resolve", rid, "already handled", rid),
        (admin.user_id, "unsuspend", mallory.user_id, "appeal", None),
        (admin.user_id, "suspend", mallory.user_id, "spam wave", on_user["id"]),
        (admin.user_id, "takedown", bad["id"], "pill spam", rid)]
    queue = await api_ok(stack, "GET", "/moderation/reports?status=open", admin)
    assert rid not in [r["id"] for r in queue["items"]]
