"""Behaviours that once broke with the whole suite green (issue 22, finding 16), each with a
test that fails when it breaks; tests/mutations.py breaks each on purpose. The web app's
literal-text rule is in tests/test_web_markup.py."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time

from cryptography.fernet import Fernet
from ruamel.yaml import YAML

from matrix_social.ai.responder import RATE_NOTICE
from matrix_social.db import follows
from matrix_social.errors import Refused
from matrix_social.external.registry import PlatformsConfig
from matrix_social.matrix.ingest import Ingest

from .harness import api_ok, eventually, open_dm, room_texts, spend_the_hour
from .platform_steps import connect
from .test_cli import make_config

# --- the production default of allow_loopback_instances ------------------------------------


def _platforms_section(path) -> dict:
    data = YAML().load(path)
    return dict(data["platforms"])


async def test_loopback_instances_are_refused_when_the_config_does_not_mention_them(
        tmp_path, monkeypatch):
    """An operator's config without `platforms.allow_loopback_instances` (the key is for tests
    and development) refuses a Mastodon instance on a loopback address, as the service loads
    its config (the shipped example config is the base every missing key comes from)."""
    from matrix_social.bridge import SocialBridge

    config = make_config(tmp_path, appservice__as_token="a", appservice__hs_token="b",
                         appservice__database=f"sqlite:{tmp_path / 'db.sqlite'}",
                         platforms__public_url="https://social.example",
                         platforms__token_keys=[Fernet.generate_key().decode()],
                         platforms__mastodon={"client_name": "matrix-social"},
                         platforms__allow_loopback_instances=KeyError)
    assert "allow_loopback_instances" not in _platforms_section(config)
    bridge = SocialBridge(["-c", str(config), "-n"])
    monkeypatch.setattr(bridge, "prepare_log", lambda: None)
    bridge.preinit()
    bridge.prepare()
    platforms = bridge.services.platforms
    assert platforms.settings("mastodon").allow_loopback is False
    for url in ("http://127.0.0.1:8080", "https://127.0.0.1", "https://[::1]"):
        try:
            await platforms.adapter_for("mastodon", url)
        except Refused:
            continue
        raise AssertionError(f"{url} was accepted as a Mastodon instance")
    # The same default where the mapping comes without the key at all (no base config).
    bare = PlatformsConfig.from_mapping({"public_url": "https://social.example",
                                         "mastodon": {"client_name": "matrix-social"}})
    assert bare.allow_loopback is False and bare.settings["mastodon"].allow_loopback is False


# --- an explicit empty cross_post list --------------------------------------------------------


async def test_an_explicit_empty_cross_post_list_posts_nowhere_despite_default_targets(stack):
    """The composer sends `cross_post: []` when the user unticks every box: it must win over
    her default targets (a post without the key does go to them)."""
    fakes = stack.platforms
    alice = await stack.register("alice")
    account = fakes.mastodon.add_account(f"unticked{time.time_ns() % 10**7}")
    fakes.mastodon.oauth.authorizing_user = account
    await connect(stack, alice, "mastodon", fakes.mastodon.base_url)
    await api_ok(stack, "PUT", "/settings/cross_post", alice,
                 json={"cross_post_default": ["mastodon"]})

    def texts() -> list[str]:
        return [s.text for s in fakes.mastodon.statuses.values() if s.account_id == account]

    unticked = await api_ok(stack, "POST", "/posts", alice,
                            json={"text": "only here", "cross_post": []})
    assert unticked.get("cross_posts", []) == [], unticked
    defaulted = await api_ok(stack, "POST", "/posts", alice, json={"text": "everywhere"})
    assert [c["target"] for c in defaulted["cross_posts"]] == ["mastodon"], defaulted

    async def delivered() -> bool:
        return "everywhere" in texts()

    # Deliveries run in order of posting: once the later one is out, the earlier had its turn.
    await eventually(delivered, timeout=60, what="the default cross-post delivered")
    assert texts() == ["everywhere"]
    post = await api_ok(stack, "GET", f"/posts/{unticked['id']}", alice)
    assert post.get("cross_posts", []) == [], post


# --- one follow fence for the API and the ingest rules --------------------------------------


async def test_an_old_leave_arriving_after_a_refollow_does_not_undo_it(stack, monkeypatch):
    """Bob unfollows and follows again at once. His leave reaches our ingest only after the
    API has already recorded the new follow (held here until then; on a busy homeserver it
    just comes late). The API's fence tells the ingest rules that this leave is older than
    the follow: bob must still be following in the index until his join arrives, which is
    what a shared fence, and only a shared fence, gives."""
    alice, bob = await stack.register("alice"), await stack.register("bob")
    followed = await api_ok(stack, "POST", "/follow", bob, json={"handle": alice.localpart})
    room_id = followed["room_id"]
    db = stack.bridge.services.db
    await eventually(lambda: follows.is_following(db, room_id, bob.user_id),
                     what="the first follow indexed")

    refollowed, leave_written = asyncio.Event(), asyncio.Event()
    seen: dict[str, bool] = {}
    real_handle = Ingest.handle
    started = time.monotonic()
    timeline: list[str] = []  # what reached the ingest when, told if the rejoin never comes

    async def late_leave(self, raw):
        content = raw.get("content") or {}
        if (raw.get("type"), raw.get("room_id"), raw.get("state_key")) == (
                "m.room.member", room_id, bob.user_id):
            timeline.append(f"{time.monotonic() - started:.1f}s {content.get('membership')} "
                            f"{raw.get('event_id')}")
            if content.get("membership") == "leave" and "leave" not in seen:
                seen["leave"] = False
                await asyncio.wait_for(refollowed.wait(), 60)
                await real_handle(self, raw)
                seen["leave"] = True
                leave_written.set()
                return
            if content.get("membership") == "join" and "leave" in seen and "join" not in seen:
                # Events may be handled side by side: the join can come while the leave is
                # still held. Once the leave is written: what does the index say?
                await asyncio.wait_for(leave_written.wait(), 60)
                seen["join"] = await follows.is_following(db, room_id, bob.user_id)
        await real_handle(self, raw)

    monkeypatch.setattr(Ingest, "handle", late_leave)
    await api_ok(stack, "DELETE", "/unfollow", bob, json={"handle": alice.localpart})
    timeline.append(f"{time.monotonic() - started:.1f}s unfollowed")
    await api_ok(stack, "POST", "/follow", bob, json={"handle": alice.localpart})
    timeline.append(f"{time.monotonic() - started:.1f}s followed again")
    refollowed.set()
    try:
        await eventually(lambda: _true("join" in seen), timeout=60, what="the rejoin ingested")
    except AssertionError as e:
        raise AssertionError(f"{e}; timeline: {timeline}; events ingested by type: "
                             f"{dict(stack.bridge.services.ingest.seen)}") from None
    assert seen["join"] is True, "the late leave removed the follow the API had recorded"
    status = await api_ok(stack, "GET", f"/followers/{alice.localpart}", bob)
    assert bob.user_id in [p["user_id"] for p in status["items"]]


async def _true(value: bool) -> bool:
    return value


async def test_a_follow_taken_back_and_made_again_while_its_events_are_late_holds():
    """On a homeserver that delivers late (replaying after an outage), all three member events
    of follow, unfollow, follow arrive after the API wrote the last one: the first join must
    not lift the fence for the leave behind it (the CI run on record lost bob's follow so)."""
    from matrix_social.matrix.ingest.follow_fence import FollowFence

    fence, room, bob = FollowFence(), "!feed:example.test", "@bob:example.test"
    for joins in (True, False, True):
        async with fence.around(room, bob, follows=joins):
            pass
    assert not fence.passes(room, bob, follows=False), "a leave from before all three"
    assert [fence.passes(room, bob, joins) for joins in (True, False, True)] == [
        False, False, True], "only the newest of ours changes the index"
    assert fence.passes(room, bob, follows=False), "the fence is down: a later leave counts"


# --- the AI rate limit is per sender ---------------------------------------------------------


async def test_one_sender_over_the_ai_limit_leaves_another_sender_free(stack):
    alice, carol, dave = [await stack.register(name) for name in ("alice", "carol", "dave")]
    ai = stack.mxid(f"{alice.localpart}_ai")
    await spend_the_hour(stack, ai, carol.user_id)  # carol has sent her 10 this hour

    rooms = {}
    for sender in (carol, dave):
        rooms[sender.localpart] = await open_dm(stack, sender, ai)
        await stack.nio(sender).room_send(rooms[sender.localpart], "m.room.message", {
            "msgtype": "m.text", "body": f"{sender.localpart} writes"})

    async def ai_said(sender) -> list[str]:
        events = await room_texts(stack.nio(sender), rooms[sender.localpart])
        return [e["content"].get("body") for e in events
                if e.get("sender") == ai and e.get("type") == "m.room.message"]

    async def dave_answered() -> bool:
        return f"echo: {dave.localpart} writes" in await ai_said(dave)

    await eventually(dave_answered, timeout=60,
                     what="dave answered although carol is over the limit")
    assert [r["message"]["body"] for r in stack.agent.requests_for(ai)] == [
        f"{dave.localpart} writes"]
    notice = RATE_NOTICE.format(n=stack.bridge.services.ai_rate_limit.per_hour)

    async def carol_told() -> list[str]:
        said = await ai_said(carol)
        return said if notice in said else []

    assert await eventually(carol_told, timeout=60, what="carol told she is over the limit") \
        == [notice]


# --- the libraries' loggers once the service configures logging ----------------------------


def test_loggers_made_before_the_logging_config_keep_logging(tmp_path):
    """dictConfig disables every logger that exists before it unless told otherwise: tweepy's
    and urllib3's (made at import) would then drop their warnings, in production as in a test
    run after a bridge started. An operator's config without the key keeps them too."""
    logging_section = {"version": 1, "root": {"level": "INFO"}}
    config = make_config(tmp_path, appservice__as_token="a", appservice__hs_token="b",
                         appservice__database=f"sqlite:{tmp_path / 'db.sqlite'}",
                         logging=logging_section)
    script = ("import logging, tweepy\n"
              "from matrix_social.bridge import SocialBridge\n"
              "made_before = logging.getLogger('tweepy.client')\n"
              f"SocialBridge(['-c', {str(config)!r}, '-n']).preinit()\n"
              "print('disabled' if made_before.disabled else 'enabled')\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["enabled"]


def test_a_second_signal_while_stopping_is_ignored(tmp_path):
    """Once the service is stopping, another SIGTERM or Ctrl-C (an impatient supervisor)
    must not break the stop off half-way with a traceback: the stop deadline bounds it. Seen
    in an API replica's log in a busy-core CI run. Signals as mautrix's run loop sets them."""
    config = make_config(tmp_path, appservice__as_token="a", appservice__hs_token="b",
                         appservice__database=f"sqlite:{tmp_path / 'db.sqlite'}")
    script = ("import os, signal, time\n"
              "from matrix_social.bridge import SocialBridge\n"
              f"bridge = SocialBridge(['-c', {str(config)!r}, '-n'])\n"
              "bridge.preinit()\n"
              "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
              "signal.signal(signal.SIGTERM, signal.default_int_handler)\n"
              "bridge.prepare_stop()\n"
              "os.kill(os.getpid(), signal.SIGTERM)\n"
              "os.kill(os.getpid(), signal.SIGINT)\n"
              "time.sleep(0.2)\n"
              "print('still stopping')\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=120, cwd=tmp_path)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert result.stdout.split() == ["still", "stopping"]
