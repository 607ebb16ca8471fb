"""External accounts end to end, through a real Synapse and the service, against the loopback
fakes (the real tweepy, Mastodon.py, PyGithub and authlib drive them): connecting by the bot and
by REST, the first sync, new items, edits and deletions, rate limits, revoked grants, a
restart, the feed, and what an attacker can and cannot do."""

from __future__ import annotations

import json
import logging
import time

from matrix_social.db import platform_connections

from .harness import api, api_ok, eventually, until_equal
from .platform_steps import (
    bot_said,
    code_on,
    command_room,
    connect,
    connection,
    db,
    feed_items,
    management_room,
    messages,
    query_of,
    say,
    sync_now,
    through_login,
    visible_items,
)


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.text: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.text.append(f"{record.name} {record.getMessage()} {record.exc_text or ''}")


async def test_x_by_the_bot_first_sync_new_edit_delete_and_a_rate_limit(stack):
    x = stack.platforms.x
    alice = await stack.register("alice")
    account = x.add_user(f"alice{time.time_ns() % 10**6}", "Alice on X", can_edit=True)
    x.oauth.authorizing_user = account
    for n in range(25):  # X's created_at has whole seconds: one second apart
        x.post(account, f"tweet {n}", created_at=time.time() - 100 + n)
    logs = Lines()
    logging.getLogger().addHandler(logs)
    try:
        client, room = await command_room(stack, alice)
        await say(client, room, "help")
        await bot_said(stack, alice, room, "login mastodon <instance>")
        await say(client, room, "login x")
        link = (await bot_said(stack, alice, room, "Open this link to connect X")).split()[-1]
        # Started in the chat, not in a browser: the page asks her to confirm, naming both.
        status, page, callback = await through_login(stack, link, accept="text/html")
        assert status == 202 and "Confirm this connection" in page, page
        assert "Connect X <strong>@alice" in page and alice.user_id in page
        await bot_said(stack, alice, room, "came back in a browser that did not start it")
        await say(client, room, f"confirm {code_on(page)}")
        await bot_said(stack, alice, room, "Connected X as @alice")

        # First sync: the newest 20, as the puppet, in a portal room she is in.
        portal = await eventually(lambda: portal_of(stack, alice, "x"), what="a portal room")
        items = await eventually(lambda: _at_least(stack, alice, portal, 20))
        assert len(items) == 20
        assert [e["content"]["body"].split("\n")[0] for e in items] == [
            f"tweet {n}" for n in range(5, 25)]
        puppet = f"@x_{account}:{stack.domain}"
        assert {e["sender"] for e in items} == {puppet}
        block = items[-1]["content"]["m.matrix_os.social.post"]["external"]
        assert block["platform"] == "x" and block["url"].startswith("https://x.com/")
        assert block["author"]["user_id"] == puppet and block["branding"]["name"] == "X"
        profile = await stack.nio(alice).get_profile(puppet)
        assert profile.displayname == "Alice on X (X)"
        assert profile.avatar_url and profile.avatar_url.startswith("mxc://")

        feed = await feed_items(stack, alice, "x")
        assert len(feed) == 20 and feed[0]["text"] == "tweet 24"
        assert feed[0]["external"]["branding"]["label"] == "View on X"
        assert feed[0]["external"]["verified"] is True
        assert feed[0]["author"]["user_id"] == puppet

        # A new post arrives; an edit becomes m.replace; a deletion a redaction.
        new = x.post(account, "fresh off the press")
        edited = x.post(account, "typo hree")
        gone = x.post(account, "regrettable")
        await sync_now(stack, alice, "x")
        await eventually(lambda: _at_least(stack, alice, portal, 23))
        x.edit(edited, "typo here")
        x.delete(gone)
        await sync_now(stack, alice, "x")
        texts = await until_texts(stack, alice)
        assert "typo here" in texts and "typo hree" not in texts
        assert "regrettable" not in texts and "fresh off the press" in texts
        events = await messages(stack, alice, portal)
        replaces = [e for e in events if (e["content"].get("m.relates_to") or {}).get(
            "rel_type") == "m.replace"]
        assert replaces and replaces[-1]["content"]["m.new_content"]["body"].startswith(
            "typo here")
        redacted = [e for e in events if e.get("unsigned", {}).get("redacted_because")]
        assert len(redacted) == 1
        assert new  # bridged once: 25 - 5 + 3 new - 1 deleted
        assert len(await visible_items(stack, alice, portal)) == 22

        # 429 with a reset: the next poll waits for it.
        x.fail(429, path=f"/2/users/{account}/tweets", reset_in_s=600)
        await db(stack).execute("UPDATE platform_connection SET next_due=0 WHERE user_id=$1",
                                alice.user_id)
        stack.bridge.services.wakeup.wake()

        async def deferred() -> int | None:
            row = await platform_connections.get(db(stack), alice.user_id, "x")
            return row.next_due if row.failures else None

        due = await eventually(deferred, what="the poll deferred")
        assert time.time() * 1000 + 590_000 < due < time.time() * 1000 + 610_000

        # Tokens at rest are not plaintext; no secret reached a log line.
        stored = await db(stack).fetchval(
            "SELECT token FROM platform_connection WHERE user_id=$1", alice.user_id)
        secrets = [t.access_token for t in x.oauth.tokens.values() if t.user_id == account]
        secrets += [t.refresh_token for t in x.oauth.tokens.values()
                    if t.user_id == account and t.refresh_token]
        assert secrets and not any(s in stored for s in secrets)
        secrets += ["x-secret", stack.platforms.token_key, *query_of(callback).values()]
        logged = "\n".join(logs.text)
        assert "tweet 24" in logged or "x of" in logged  # the handler saw the bridge work
        leaks = [line[:600] for line in logs.text for s in secrets if s in line]
        assert not leaks
    finally:
        logging.getLogger().removeHandler(logs)


async def portal_of(stack, user, platform):
    found = await connection(stack, user, platform)
    return found and found["portal_room_id"]


async def _count(items) -> int:
    return len(await items)


async def _at_least(stack, user, room, count):
    items = await visible_items(stack, user, room)
    return items if len(items) >= count else None


async def until_texts(stack, user):
    """Her feed's X texts once the edit and the deletion are in."""
    async def texts():
        found = [p["text"] for p in await feed_items(stack, user, "x")]
        return found if "typo here" in found and "regrettable" not in found else None

    return await eventually(texts, what="edit and deletion in the feed")


async def test_mastodon_by_rest_sharing_a_revoked_grant_and_a_restart(stack):
    mastodon = stack.platforms.mastodon
    alice, bob = await stack.register("alice"), await stack.register("bob")
    account = mastodon.add_account(f"alice{time.time_ns() % 10**6}", "Alice Toots")
    mastodon.oauth.authorizing_user = account
    for n in range(3):
        mastodon.post(account, f"toot {n}")
    mastodon.post(account, "a reply", in_reply_to_id="1")  # not hers to show: a reply

    # The instance must be given; then the REST flow.
    status, body = await api(stack, "POST", "/connections/mastodon", alice)
    assert (status, body["errcode"]) == (400, "M_INVALID_PARAM"), body
    listed = await connect(stack, alice, "mastodon", mastodon.base_url)
    assert listed["account"]["handle"].startswith("alice") and listed["status"] == "ok"
    assert listed["share_with_followers"] is False
    grants = [t.access_token for t in mastodon.oauth.tokens.values() if t.user_id == account]
    assert grants and not any(g in json.dumps(listed) for g in grants)
    room = await management_room(stack, alice)
    await bot_said(stack, alice, room, "Connected Mastodon")
    portal = await eventually(lambda: portal_of(stack, alice, "mastodon"))
    await eventually(lambda: _at_least(stack, alice, portal, 3))
    # The feed is the index, which follows the room when the homeserver delivers its events.
    await until_equal(lambda: _count(feed_items(stack, alice, "mastodon")), 3,
                      what="her Mastodon items in her feed")
    synced = await connection(stack, alice, "mastodon")
    assert synced["last_sync"] is not None

    # Shared with followers: her followers see the next toots as her posts, branded.
    await api_ok(stack, "POST", "/follow", bob, json={"handle": alice.user_id})
    shared = await api_ok(stack, "PATCH", "/connections/mastodon", alice,
                          json={"share_with_followers": True})
    assert shared["share_with_followers"] is True
    mastodon.post(account, "hello followers")
    await sync_now(stack, alice, "mastodon")

    async def bob_sees():
        page = await api_ok(stack, "GET", "/feed", bob)
        return [p for p in page["items"] if p["text"].startswith("hello followers")]

    [post] = await eventually(bob_sees, what="the shared toot in bob's feed")
    assert post["author"]["user_id"] == alice.user_id
    assert post["external"]["platform"] == "mastodon" and post["external"]["verified"]
    assert post["external"]["branding"]["instance"] == mastodon.base_url.split("//")[1]
    mine = [p for p in await feed_items(stack, alice, "mastodon")
            if p["text"].startswith("hello followers")]
    assert len(mine) == 1  # in her feed once: as her shared post, not also as the item

    # A restart resumes from the cursor: only what is new, nothing twice.
    await stack.stop_bridge()
    mastodon.post(account, "while you were away")
    await stack.start_bridge()
    await sync_now(stack, alice, "mastodon")
    await eventually(lambda: _at_least(stack, alice, portal, 5))
    bodies = [e["content"]["body"].split("\n")[0]
              for e in await visible_items(stack, alice, portal)]
    assert bodies == ["toot 0", "toot 1", "toot 2", "hello followers", "while you were away"]

    # The grant is revoked at the instance: broken, said once, not polled again.
    mastodon.revoke_user(account)
    await sync_now_or_broken(stack, alice)
    await bot_said(stack, alice, room, "Mastodon connection", "stopped working")
    assert (await connection(stack, alice, "mastodon"))["status"] == "broken"
    asked = mastodon.count(f"/api/v1/accounts/{account}/statuses")
    await db(stack).execute("UPDATE platform_connection SET next_due=0 WHERE user_id=$1",
                            alice.user_id)
    stack.bridge.services.wakeup.wake()
    scheduler = stack.bridge.services.platform_scheduler
    await scheduler.run_round()
    await scheduler.idle()
    assert mastodon.count(f"/api/v1/accounts/{account}/statuses") == asked
    notices = [e for e in await messages(stack, alice, room)
               if "stopped working" in e["content"].get("body", "")]
    assert len(notices) == 1

    # Disconnecting revokes and forgets.
    assert (await api_ok(stack, "DELETE", "/connections/mastodon", alice))["connected"] is False
    assert await connection(stack, alice, "mastodon") is None
    status, _ = await api(stack, "DELETE", "/connections/mastodon", alice)
    assert status == 404


async def sync_now_or_broken(stack, user):
    await db(stack).execute("UPDATE platform_connection SET next_due=0 WHERE user_id=$1",
                            user.user_id)
    stack.bridge.services.wakeup.wake()

    async def broken():
        row = await connection(stack, user, "mastodon")
        return row["status"] == "broken"

    await eventually(broken, what="the connection marked broken")


async def test_github_activity_reads_as_text_with_links(stack):
    github = stack.platforms.github
    alice = await stack.register("alice")
    login = f"octo{time.time_ns() % 10**6}"
    account = github.add_user(login, "Octo Cat")
    github.oauth.authorizing_user = str(account)
    repo = f"{login}/tools"
    github.push(account, repo, ["first commit"])
    await connect(stack, alice, "github")
    github.push(account, repo, ["fix the parser", "add tests"])
    _, number = github.open_pull(account, repo, "Faster parsing")
    github.close_pull(account, repo, number, merged=True)
    github.star(account, "someone/else")
    github.release(account, repo, "v1.0", "Version one")
    github.other(account, repo)  # an issue comment: not news here
    await sync_now(stack, alice, "github")
    portal = await eventually(lambda: portal_of(stack, alice, "github"))
    items = await eventually(lambda: _at_least(stack, alice, portal, 6))
    bodies = [e["content"]["body"] for e in items]
    assert bodies[0].startswith(f"{login} pushed 1 commit to {repo}")
    assert bodies[1].startswith(f"{login} pushed 2 commits to {repo} (main)")
    assert "fix the parser" in bodies[1] and "https://github.com/" in bodies[1]
    assert bodies[2].startswith(f"{login} opened pull request {repo}#1: Faster parsing")
    assert bodies[3].startswith(f"{login} merged pull request {repo}#1: Faster parsing")
    assert bodies[4].startswith(f"{login} starred someone/else")
    assert bodies[5].startswith(f"{login} released Version one of {repo}")
    assert len(items) == 6
    html_ = items[1]["content"]["formatted_body"]
    assert '<a href="https://github.com/' in html_ and "View on GitHub" in html_
    assert items[0]["sender"] == f"@github_{login}:{stack.domain}"
    kinds = [p["external"]["kind"] for p in await feed_items(stack, alice, "github")]
    assert sorted(kinds) == ["pull_request_merged", "pull_request_opened", "push", "push",
                             "release", "star"]  # GitHub's times are whole seconds


async def test_instagram_by_the_bot_and_a_personal_account_told_why_not(stack):
    instagram = stack.platforms.instagram
    alice, bob = await stack.register("alice"), await stack.register("bob")
    shop = instagram.add_user(f"shop{time.time_ns() % 10**6}")
    for n in range(2):
        instagram.post(shop, f"photo {n}", timestamp=time.time() - 10 + n)
    instagram.oauth.authorizing_user = shop
    client, room = await command_room(stack, alice)
    await say(client, room, "login instagram")
    link = (await bot_said(stack, alice, room, "Open this link to connect Instagram")).split()[-1]
    status, answer, _ = await through_login(stack, link)
    assert status == 202 and not answer["connected"], answer
    await say(client, room, f"confirm {code_on(answer).lower()}")  # typed in any case
    await bot_said(stack, alice, room, "Connected Instagram as @shop")
    portal = await eventually(lambda: portal_of(stack, alice, "instagram"))
    items = await eventually(lambda: _at_least(stack, alice, portal, 2))
    assert [e["content"]["msgtype"] for e in items] == ["m.image", "m.image"]
    assert items[0]["content"]["url"].startswith("mxc://")
    assert items[0]["content"]["m.matrix_os.social.post"]["caption"] == "photo 0"
    feed = await feed_items(stack, alice, "instagram")
    assert [p["kind"] for p in feed] == ["image", "image"] and feed[0]["text"] == "photo 1"
    await say(client, room, "connections")
    await bot_said(stack, alice, room, "Instagram: @shop", "working")

    personal = instagram.add_user(f"me{time.time_ns() % 10**6}", account_type="PERSONAL")
    instagram.oauth.authorizing_user = personal
    # Alone with the bot in his new feed room, a post saying "help" is a post, not a command.
    feed_post = await api_ok(stack, "POST", "/posts", bob, json={"text": "help"})
    bob_client, bob_room = await command_room(stack, bob)
    await say(bob_client, bob_room, "login instagram")
    link = (await bot_said(stack, bob, bob_room, "Open this link")).split()[-1]
    status, page, _ = await through_login(stack, link, accept="text/html")
    assert status == 400 and "professional account" in page, page
    await bot_said(stack, bob, bob_room, "did not complete", "professional account")
    assert await connection(stack, bob, "instagram") is None
    assert not [e for e in await messages(stack, bob, feed_post["room_id"])
                if e["sender"] == stack.bridge.services.ids.bot]


async def test_what_an_attacker_cannot_do(stack):
    x, mastodon, github = stack.platforms.x, stack.platforms.mastodon, stack.platforms.github
    alice, mallory = await stack.register("alice"), await stack.register("mallory")
    account = x.add_user(f"victim{time.time_ns() % 10**6}")
    x.oauth.authorizing_user = account
    x.post(account, "a real tweet")
    await connect(stack, alice, "x")
    portal = await eventually(lambda: portal_of(stack, alice, "x"))
    await eventually(lambda: _at_least(stack, alice, portal, 1))

    # A plain client posting into the portal, even with an external block: never an item.
    forged = {"msgtype": "m.text", "body": "forged tweet", "m.matrix_os.social.post": {
        "kind": "text", "external": {"platform": "x", "id": "1", "url": "https://x.com/a/1"}}}
    await stack.nio(alice).room_send(portal, "m.room.message", forged)
    # ... nor in her own feed room: a post claims nothing the service did not record.
    await api_ok(stack, "POST", "/posts", alice, json={"text": "first"})
    feed_room = (await api_ok(stack, "GET", "/feed", alice))["items"][0]["room_id"]
    await stack.nio(alice).room_send(feed_room, "m.room.message", {
        **forged, "body": "forged in my feed"})
    mallory_client = stack.nio(mallory)
    status, _ = await api(stack, "POST", "/follow", mallory, json={"handle": alice.user_id})
    assert status == 200

    async def forged_post():
        page = await api_ok(stack, "GET", "/feed", alice)
        return next((p for p in page["items"] if p["text"] == "forged in my feed"), None)

    post = await eventually(forged_post, what="the forged post indexed")
    assert "external" not in post
    assert [p["text"] for p in await feed_items(stack, alice, "x")] == ["a real tweet"]
    invited = await mallory_client.join(portal)
    assert not getattr(invited, "room_id", None)  # a portal is private

    # Commands count only in a room of the bot and one human: in a group nobody commands.
    from nio import RoomCreateResponse
    group = await mallory_client.room_create(invite=[stack.bridge.services.ids.bot,
                                                     alice.user_id])
    assert isinstance(group, RoomCreateResponse), group
    await stack.nio(alice).join(group.room_id)
    from .harness import wait_joined
    await wait_joined(mallory_client, group.room_id, stack.bridge.services.ids.bot)
    await wait_joined(mallory_client, group.room_id, alice.user_id)
    await say(mallory_client, group.room_id, "logout x")
    own_client, own_room = await command_room(stack, mallory)
    await say(own_client, own_room, "help")
    await bot_said(stack, mallory, own_room, "login github")
    assert not [e for e in await messages(stack, mallory, group.room_id)
                if e["sender"] == stack.bridge.services.ids.bot]
    assert (await connection(stack, alice, "x"))["status"] == "ok"

    # Callbacks: a made-up state, a replayed one, and alice's with mallory's token.
    started = await api_ok(stack, "POST", "/connections/x", alice)
    status, body, callback = await through_login(stack, started["authorize_url"],
                                                 token=mallory.access_token)
    assert status == 400 and "another user" in body["error"], body
    await bot_said(stack, alice, await management_room(stack, alice),
                   "X login was brought back by another account")
    import aiohttp

    from .platform_steps import callback_once
    async with aiohttp.ClientSession() as session:
        status, body = await callback_once(session, callback, None)
        assert status == 400 and "already used" in body["error"], body
        status, body = await callback_once(
            session, callback.split("state=")[0] + "state=made-up&code=abc", None)
        assert status == 400 and body["errcode"] == "M_INVALID_PARAM", body
    assert (await connection(stack, alice, "x"))["account"]["id"] == account
    assert await connection(stack, mallory, "x") is None

    # Instance URLs on private or link-local addresses are refused before any request.
    before = len(mastodon.requests)
    for instance in ("http://10.0.0.5", "https://192.168.1.1", "169.254.169.254",
                     "https://[::ffff:10.0.0.1]", "https://[fd00::1]", "https://100.64.0.1",
                     "https://user:pw@example.org", "https://example.org/path",
                     "javascript:alert(1)"):
        status, body = await api(stack, "POST", "/connections/mastodon", mallory,
                                 json={"instance": instance})
        assert status == 400 and body["errcode"] == "M_INVALID_PARAM", (instance, body)
    assert len(mastodon.requests) == before

    # Platform ids that would reach Matrix IDs, URLs and paths oddly: refused, not escaped.
    github.add_user("evil/../admin")
    github.oauth.authorizing_user = str(max(github.users))
    started = await api_ok(stack, "POST", "/connections/github", mallory)
    status, body, _ = await through_login(stack, started["authorize_url"])
    assert status == 400 and "cannot be used" in body["error"], body
    from .fakes.platforms.mastodon import MAccount
    mastodon.accounts["../1"] = MAccount("../1", "dots", "Dots")
    mastodon.oauth.authorizing_user = "../1"
    started = await api_ok(stack, "POST", "/connections/mastodon", mallory,
                           json={"instance": mastodon.base_url})
    status, body, _ = await through_login(stack, started["authorize_url"])
    assert status == 400 and "cannot be used" in body["error"], body
    assert (await api_ok(stack, "GET", "/connections", mallory))["connections"] == []
    for platform in ("../x", "nope"):
        status, body = await api(stack, "POST", f"/connections/{platform}", mallory)
        assert status == 404, body


async def test_connections_export_and_import(stack, tmp_path):
    """matrix-social connections export|import, run as the operator would, next to the
    running service: her tokens go into the file she asked for, readable by its owner only,
    and into no log."""
    import os
    import subprocess
    import sys

    x = stack.platforms.x
    alice = await stack.register("alice")
    account = x.add_user(f"exp{time.time_ns() % 10**6}")
    x.oauth.authorizing_user = account
    await connect(stack, alice, "x")
    path = tmp_path / "social-connections.json"

    def run(action: str, file=path):
        return subprocess.run(
            [sys.executable, "-m", "matrix_social", "connections", action, "--user",
             alice.user_id, "--file", str(file), "-c", str(stack.root / "config.yaml")],
            capture_output=True, text=True, timeout=120, cwd=tmp_path)

    done = run("export")
    assert done.returncode == 0, done.stderr[-2000:]
    assert os.stat(path).st_mode & 0o777 == 0o600
    exported = json.loads(path.read_text())
    grant = exported["connections"]["x"]["token"]
    live = {t.access_token for t in x.oauth.tokens.values() if t.user_id == account}
    assert exported["user"] == alice.user_id and grant["access_token"] in live
    assert grant["access_token"] not in done.stdout + done.stderr

    # Back in, shared with followers this time; a file for another user is refused.
    exported["connections"]["x"]["share_with_followers"] = True
    path.write_text(json.dumps(exported))
    done = run("import")
    assert done.returncode == 0, done.stderr[-2000:]
    assert (await connection(stack, alice, "x"))["share_with_followers"] is True
    assert grant["access_token"] not in done.stdout + done.stderr
    exported["user"] = "@mallory:elsewhere"
    path.write_text(json.dumps(exported))
    refused = run("import")
    assert refused.returncode == 1 and "not @" in refused.stderr
