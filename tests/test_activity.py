"""Activity sharing through a real Synapse: opt-in settings (account data, the
social-config.json file), activities becoming drafts in the seed's wording, the draft life
cycle, app forks, and the forgeries that must fail."""

from __future__ import annotations

import os
import time
from urllib.parse import quote

from matrix_social import events as ev
from matrix_social.social.activity.settings import DEFAULTS

from .harness import api, api_ok, eventually, run_cli

SETTINGS_TYPE = ev.SOCIAL_SETTINGS_ACCOUNT_DATA


def q(value: str) -> str:
    return quote(value, safe="")


def account_data_url(stack, user) -> str:
    return (f"{stack.synapse.url}/_matrix/client/v3/user/{q(user.user_id)}/account_data/"
            f"{SETTINGS_TYPE}")


async def drafts_of(stack, user) -> list[dict]:
    return (await api_ok(stack, "GET", "/drafts", user))["items"]


async def activity_rows(stack, user) -> int:
    return await stack.bridge.db.fetchval("SELECT COUNT(*) FROM activity WHERE user_id=$1",
                                          user.user_id)


async def test_off_by_default_then_a_draft_in_the_seeds_wording_edited_and_published(stack):
    alice, bob = await stack.register("alice"), await stack.register("bob")
    await api_ok(stack, "POST", "/follow", bob, json={"handle": alice.localpart})
    assert await api_ok(stack, "GET", "/settings", alice) == DEFAULTS

    # Off by default: neither a report nor what the service sees creates anything.
    status, result = await api(stack, "POST", "/activity", alice, json={
        "kind": "game_score", "data": {"game": "chess", "score": 1200, "duration": 720}})
    assert (status, result) == (200, {"shared": False, "activity": None, "draft": None})
    await api_ok(stack, "POST", "/apps", alice, json={
        "slug": "notes", "name": "Notes", "url": "https://apps.invalid/notes"})
    await api_ok(stack, "PATCH", "/profile", alice, json={"bio": "quiet"})
    assert await drafts_of(stack, alice) == [] and await activity_rows(stack, alice) == 0

    # Turned on: publishing an app through /apps drafts the seed's post, with the preview.
    await api_ok(stack, "PUT", "/settings", alice,
                 json={"share_app_publishes": True, "share_game_scores": True})
    await api_ok(stack, "POST", "/apps", alice, json={
        "slug": "sudoku", "name": "Sudoku", "description": "Daily puzzles",
        "url": "https://apps.invalid/sudoku"})
    await api_ok(stack, "POST", "/apps", alice, json={  # an update is not a new publish
        "slug": "sudoku", "name": "Sudoku", "url": "https://apps.invalid/sudoku2"})
    [draft] = await drafts_of(stack, alice)
    assert draft["text"] == "Published Sudoku -- try it!"
    assert draft["kind"] == "app_publish" and draft["as"] == "me"
    assert draft["app"]["name"] == "Sudoku" and draft["publish_at"] is None
    app_id = f"{alice.localpart}:sudoku"
    status, again = await api(stack, "POST", "/activity", alice,
                              json={"kind": "app_publish", "data": {"app_id": app_id}})
    assert status == 200 and again["duplicate"] is True and again["draft"] is None
    assert len(await drafts_of(stack, alice)) == 1
    assert all(p["kind"] != "activity" for p in (await api_ok(stack, "GET", "/feed", bob))["items"])

    # Preview, edit, preview again: exactly what will be sent.
    did = q(draft["id"])
    preview = await api_ok(stack, "GET", f"/drafts/{did}/preview", alice)
    block = preview["content"][ev.POST_BLOCK]
    assert preview["sender"] == alice.user_id and preview["type"] == "m.room.message"
    assert block["kind"] == "activity" and block["activity"] == {
        "kind": "app_publish", "data": {"app_id": app_id}}
    assert preview["content"]["body"].startswith("Published Sudoku -- try it!\nSudoku")
    edited = await api_ok(stack, "PATCH", f"/drafts/{did}", alice,
                          json={"text": "My new puzzle app"})
    assert edited["edited"] is True and edited["text"] == "My new puzzle app"
    for bad in ({"text": ""}, {"text": "x" * 501}, {"text": "ok", "kind": "text"}, {}):
        status, body = await api(stack, "PATCH", f"/drafts/{did}", alice, json=bad)
        assert (status, body["errcode"]) == (400, "M_INVALID_PARAM"), bad
    preview = await api_ok(stack, "GET", f"/drafts/{did}/preview", alice)

    # Publish: in the follower's feed as an activity post with its preview.
    published = await api_ok(stack, "POST", f"/drafts/{did}/publish", alice)
    post = published["post"]
    assert published["draft"]["status"] == "published" and published["draft"]["post_id"] == \
        post["id"]
    feed = (await api_ok(stack, "GET", "/feed", bob))["items"]
    seen = next(p for p in feed if p["id"] == post["id"])
    assert seen["kind"] == "activity" and seen["text"] == "My new puzzle app"
    assert seen["activity"] == {"kind": "app_publish", "data": {"app_id": app_id}}
    # the app as it was published when the activity happened (drafts keep a snapshot)
    assert seen["app"]["name"] == "Sudoku" and seen["app"]["url"] == \
        "https://apps.invalid/sudoku"
    event = await stack.nio(bob).room_get_event(post["room_id"], post["id"])
    assert event.event.source["content"] == preview["content"]  # the preview was exact
    assert await drafts_of(stack, alice) == []
    status, body = await api(stack, "POST", f"/drafts/{did}/publish", alice)
    assert (status, body["errcode"]) == (409, "M_CONFLICT")  # never twice

    # Discard leaves nothing.
    status, made = await api(stack, "POST", "/activity", alice, json={
        "kind": "game_score", "data": {"game": "chess", "score": 1200, "duration": 720}})
    assert status == 201 and made["draft"]["text"] == "Scored 1200 in chess (12 minutes)"
    gid = q(made["draft"]["id"])
    await api_ok(stack, "DELETE", f"/drafts/{gid}", alice)
    for method, path in (("GET", f"/drafts/{gid}"), ("POST", f"/drafts/{gid}/publish"),
                         ("DELETE", f"/drafts/{gid}")):
        status, body = await api(stack, method, path, alice)
        assert (status, body["errcode"]) == (404, "M_NOT_FOUND"), path
    assert await drafts_of(stack, alice) == []
    feed = (await api_ok(stack, "GET", "/feed", bob))["items"]
    assert [p["id"] for p in feed if p["kind"] == "activity"] == [post["id"]]


async def test_settings_round_trip_through_the_file_and_account_data_set_by_a_client(stack):
    alice = await stack.register("alice")
    for bad in ({"share_everything": True}, {"share_game_scores": "yes"},
                {"timezone": "Mars/Olympus_Mons"}, {"auto_post_frequency": "hourly"},
                {"share_game_scores": True, "bogus": 1}, {"timezone": None}):
        for path in ("/settings", "/settings/social-config"):
            status, body = await api(stack, "PUT", path, alice, json=bad)
            assert (status, body["errcode"]) == (400, "M_INVALID_PARAM"), (path, bad)
    status, _ = await stack.request("GET", account_data_url(stack, alice),
                                    token=alice.access_token)
    assert status == 404, "a refused change wrote nothing"
    assert await api_ok(stack, "GET", "/settings", alice) == DEFAULTS

    seed_file = {"share_app_publishes": True, "share_app_forks": False,
                 "share_game_scores": True, "share_ai_activity": True,
                 "share_profile_updates": False, "auto_post_frequency": "weekly_summary"}
    imported = await api_ok(stack, "PUT", "/settings/social-config", alice, json=seed_file)
    assert imported == {**seed_file, "timezone": "UTC"}
    assert await api_ok(stack, "GET", "/settings/social-config", alice) == imported
    status, stored = await stack.request("GET", account_data_url(stack, alice),
                                         token=alice.access_token)
    assert status == 200 and stored == imported  # the OS app reads exactly this
    changed = await api_ok(stack, "PUT", "/settings", alice, json={"timezone": "Europe/Paris"})
    assert changed == {**imported, "timezone": "Europe/Paris"}  # only what was given
    reset = await api_ok(stack, "PUT", "/settings/social-config", alice,
                         json={"share_game_scores": True})
    # a file replaces the seed's settings; without `timezone` it leaves the time zone be
    assert reset == {**DEFAULTS, "share_game_scores": True, "timezone": "Europe/Paris"}
    assert await api_ok(stack, "PUT", "/settings/social-config", alice, json={
        **seed_file, "timezone": "UTC"}) == imported  # with it, the zone is the file's too

    # The CLI exports and imports the same file.
    path = stack.root / f"social-config-{alice.localpart}.json"
    path.write_text('{"share_profile_updates": true, "auto_post_frequency": "immediate"}')
    env = {**os.environ, "MATRIX_SOCIAL_TOKEN": alice.access_token}
    for args in (("import", str(path)), ("export", str(path))):
        code, _, stderr = await run_cli("social-config", *args, "--api", stack.api_url, env=env)
        assert code == 0, stderr
    import json
    assert json.loads(path.read_text()) == {**DEFAULTS, "share_profile_updates": True,
                                            "auto_post_frequency": "immediate"}
    # The seed's own six-key file, imported by the CLI, keeps the time zone set here.
    await api_ok(stack, "PUT", "/settings", alice, json={"timezone": "America/Lima"})
    path.write_text(json.dumps(seed_file))
    code, _, stderr = await run_cli("social-config", "import", str(path), "--api",
                                    stack.api_url, env=env)
    assert code == 0, stderr
    assert await api_ok(stack, "GET", "/settings", alice) == {**seed_file,
                                                              "timezone": "America/Lima"}

    # A client writes the account data directly: the service follows it (and keeps the keys
    # it does not know).
    direct = {"share_profile_updates": True, "share_game_scores": "yes please",
              "auto_post_frequency": "immediate", "timezone": "Asia/Tokyo", "theme": "dark"}
    status, _ = await stack.request("PUT", account_data_url(stack, alice),
                                    token=alice.access_token, json=direct)
    assert status == 200
    seen = await api_ok(stack, "GET", "/settings", alice)
    assert seen == {**DEFAULTS, "share_profile_updates": True,
                    "auto_post_frequency": "immediate", "timezone": "Asia/Tokyo"}
    mirror = await stack.bridge.db.fetchval(
        "SELECT value FROM user_setting WHERE user_id=$1 AND name='activity'", alice.user_id)
    assert json.loads(mirror) == seen
    await api_ok(stack, "PATCH", "/profile", alice, json={"bio": "new bio", "interests": ["go"]})
    [draft] = await drafts_of(stack, alice)
    assert draft["text"] == "Updated my bio and interests" and draft["publish_at"] > 0
    await api_ok(stack, "PUT", "/settings", alice, json={"share_ai_activity": True})
    _, stored = await stack.request("GET", account_data_url(stack, alice),
                                    token=alice.access_token)
    assert stored["theme"] == "dark" and stored["share_ai_activity"] is True

    # How long reading the truth takes (the reason for the short cache; printed for the docs).
    settings = stack.bridge.services.activity_settings
    start = time.perf_counter()
    for _ in range(20):
        await settings.get(alice.user_id, fresh=True)
    fresh_ms = (time.perf_counter() - start) / 20 * 1000
    start = time.perf_counter()
    for _ in range(20):
        await settings.get(alice.user_id)
    cached_ms = (time.perf_counter() - start) / 20 * 1000
    print(f"settings read: account data {fresh_ms:.2f} ms, cached {cached_ms:.3f} ms")


async def test_forks_are_shown_and_counted_and_forged_forks_fail(stack):
    alice, bob, carol = [await stack.register(n) for n in ("alice", "bob", "carol")]
    original = await api_ok(stack, "POST", "/apps", bob, json={
        "slug": "chess", "name": "Chess", "url": "https://apps.invalid/chess"})
    await api_ok(stack, "PUT", "/settings", alice, json={"share_app_forks": True,
                                                         "share_app_publishes": True})
    fork = await api_ok(stack, "POST", "/apps", alice, json={
        "slug": "chess-remix", "name": "Chess Remix", "url": "https://apps.invalid/remix",
        "forked_from": original["id"]})
    assert fork["forked_from"] == original["id"] and fork["forks"] == 0
    assert fork["original"] == {"id": original["id"], "name": "Chess", "author": {
        "user_id": bob.user_id, "handle": bob.localpart}}
    state = await stack.nio(bob).room_get_state_event(
        (await api_ok(stack, "GET", f"/profile/{alice.localpart}", alice))["room_id"],
        str(ev.APP_STATE), "chess-remix")
    assert state.content[ev.APP_FORKED_FROM] == {"author": bob.user_id, "slug": "chess"}
    [draft] = await drafts_of(stack, alice)  # a fork is one activity, not also a publish
    assert draft["text"] == f"Remixed @{bob.localpart}'s Chess"
    assert draft["app"]["name"] == "Chess Remix"
    await api_ok(stack, "POST", "/apps", alice, json={  # her second fork: one more person? no
        "slug": "chess-2", "name": "Chess 2", "url": "https://apps.invalid/c2",
        "forked_from": original["id"]})
    await api_ok(stack, "POST", "/apps", carol, json={
        "slug": "mychess", "name": "My chess", "url": "https://apps.invalid/m",
        "forked_from": original["id"]})
    assert (await api_ok(stack, "GET", f"/apps/{q(original['id'])}", alice))["forks"] == 2
    await api_ok(stack, "POST", f"/apps/{q(original['id'])}/install", carol)
    await stack.bridge.services.trending.refresh()
    trending = (await api_ok(stack, "GET", "/explore/apps?limit=100", alice))["items"]
    assert next(a for a in trending if a["id"] == original["id"])["forks"] == 2
    profile = await api_ok(stack, "GET", f"/profile/{alice.localpart}", alice)
    assert {a["id"]: a["forked_from"] for a in profile["apps"]} == {
        f"{alice.localpart}:chess-remix": original["id"],
        f"{alice.localpart}:chess-2": original["id"]}

    # Forged through the API: refused, nothing published.
    for forged, code in (("nobody:nothing", 404), (f"@{bob.localpart}:other.invalid:chess", 404),
                         (f"{alice.localpart}:ghost", 400), (5, 400), ("", 400)):
        status, body = await api(stack, "POST", "/apps", alice, json={
            "slug": "ghost", "name": "Ghost", "url": "https://apps.invalid/g",
            "forked_from": forged})
        assert status == code and body["errcode"].startswith("M_"), (forged, body)
    status, _ = await api(stack, "GET", f"/apps/{q(alice.localpart + ':ghost')}", alice)
    assert status == 404
    for data in ({"original": original["id"], "author": carol.localpart},
                 {"original": original["id"], "author": bob.localpart,
                  "app_id": original["id"]},
                 {"original": original["id"], "author": bob.localpart,
                  "app_id": f"{carol.localpart}:mychess"},
                 {"original": "nobody:nothing", "author": bob.localpart}):
        status, body = await api(stack, "POST", "/activity", alice,
                                 json={"kind": "app_fork", "data": data})
        assert status in (400, 404), (data, body)
    status, _ = await api(stack, "POST", "/activity", alice, json={
        "kind": "app_publish", "data": {"app_id": original["id"]}})  # not hers
    assert status == 400
    assert len(await drafts_of(stack, alice)) == 2  # the remix and chess-2 only

    # Forged by a client writing the state itself: a malformed relation is not indexed; a
    # relation to an app nobody published is kept as claimed but shows no original.
    client = stack.nio(alice)
    room = profile["room_id"]
    for slug, forked in (("bad-author", {"author": "not-a-user", "slug": "chess"}),
                         ("self-fork", {"author": alice.user_id, "slug": "self-fork"}),
                         ("not-object", f"{bob.localpart}:chess"),
                         ("phantom", {"author": f"@nobody:{stack.domain}", "slug": "void"})):
        resp = await client.room_put_state(room, str(ev.APP_STATE), {
            "name": slug, "url": "https://apps.invalid/x", ev.APP_FORKED_FROM: forked},
            state_key=slug)
        assert hasattr(resp, "event_id"), resp
    phantom_id = q(f"{alice.localpart}:phantom")

    async def phantom_indexed():
        status, body = await api(stack, "GET", f"/apps/{phantom_id}", alice)
        return body if status == 200 else None

    phantom = await eventually(phantom_indexed, what="phantom fork indexed")
    assert phantom["forked_from"] == "nobody:void" and phantom["original"] is None
    for slug in ("bad-author", "self-fork", "not-object"):
        status, _ = await api(stack, "GET", f"/apps/{q(alice.localpart + ':' + slug)}", alice)
        assert status == 404, slug
