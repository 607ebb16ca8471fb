"""Activity sharing without a homeserver: the templates, the period arithmetic (time zones,
daylight saving time, week and year boundaries), settings and activity validation, and which
rooms count as an AI's public conversations."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from matrix_social import events as ev
from matrix_social.content.compose import activity_content, app_block
from matrix_social.errors import InvalidInput
from matrix_social.social.activity import periods
from matrix_social.social.activity import templates as say
from matrix_social.social.activity.drafts import still_automatic
from matrix_social.social.activity.report_kinds import clean_activity
from matrix_social.social.activity.settings import DEFAULTS, clean_changes, from_stored, to_file
from matrix_social.social.activity.summaries import tally
from matrix_social.social.ai_conversations import classify

H = 3600 * 1000


def ms(year, month, day, hour=0, minute=0, zone="UTC") -> int:
    return int(datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(zone)).timestamp()
               * 1000)


# --- templates --------------------------------------------------------------------------------

def test_the_seeds_wording():
    assert say.app_publish("Chess") == "Published Chess -- try it!"
    assert say.app_fork("bob", "Chess") == "Remixed @bob's Chess"
    assert say.app_fork("@bob:other.example", "Chess") == "Remixed @bob:other.example's Chess"
    assert say.summary("weekly", {"apps_built": 3, "games": [
        {"game": "chess", "seconds": 7200}]}) == \
        "This week I built 3 apps and played 2 hours of chess"
    assert say.ai_summary("weekly", 12) == "My AI helped with 12 tasks this week"


def test_other_templates_and_their_edges():
    assert say.ai_summary("weekly", 1) == "My AI helped with 1 task this week"
    assert say.ai_summary("daily", 2) == "My AI helped with 2 tasks today"
    assert say.ai_summary("weekly", 0) is None
    assert say.summary("weekly", {"apps_built": 0, "forks": 0, "games": []}) is None
    assert say.summary("daily", {"apps_built": 1, "forks": 2, "games": [
        {"game": "chess", "seconds": 5400}, {"game": "go", "seconds": 1800}]}) == \
        "Today I built 1 app, remixed 2 apps and played 1.5 hours of chess and 30 minutes of go"
    games = [{"game": f"g{i}", "seconds": 60 * (10 - i)} for i in range(5)]
    assert say.summary("weekly", {"games": games}) == (
        "This week I played 10 minutes of g0, 9 minutes of g1, 8 minutes of g2 and 2 more "
        "games")
    assert say.game_score("chess", 1200, 720) == "Scored 1200 in chess (12 minutes)"
    assert say.game_score("darts", 12.5, 30) == "Scored 12.5 in darts (1 minute)"
    assert say.game_score("go", 3.0, 3600) == "Scored 3 in go (1 hour)"
    assert say.profile_update(["links", "bio"]) == "Updated my bio and links"
    assert say.profile_update(["display_name", "avatar_url", "interests"]) == \
        "Updated my name, picture and interests"
    assert say.ai_task("planned a trip") == "Helped with: planned a trip"
    assert [say.duration(s) for s in (1, 2700, 3600, 5400, 36000)] == \
        ["1 minute", "45 minutes", "1 hour", "1.5 hours", "10 hours"]


def test_tally_counts_only_what_the_user_shares():
    import json

    def row(kind, data):
        return {"kind": kind, "data": json.dumps(data)}

    rows = [row("app_publish", {"app_id": "a:x"}), row("app_fork", {"original": "b:y"}),
            row("game_score", {"game": "Chess", "score": 1, "duration": 3600}),
            row("game_score", {"game": "chess", "score": 2, "duration": 1800}),
            row("ai_task", {"via": "message"}), row("profile_update", {"fields": ["bio"]})]
    everything = {**DEFAULTS, **dict.fromkeys(
        ["share_app_publishes", "share_app_forks", "share_game_scores", "share_ai_activity"],
        True)}
    totals = tally(rows, everything)
    assert (totals["apps_built"], totals["forks"], totals["tasks"]) == (1, 1, 1)
    assert totals["games"] == [{"game": "Chess", "seconds": 5400, "plays": 2}]
    assert tally(rows, {**everything, "share_game_scores": False})["games"] == []
    assert tally(rows, DEFAULTS) == {"apps_built": 0, "apps": [], "forks": 0, "games": [],
                                     "seconds_played": 0, "tasks": 0}


# --- periods ------------------------------------------------------------------------------------

def test_the_week_that_gains_daylight_saving_time_is_167_hours():
    # New York: clocks go forward on Sunday 2026-03-08 at 02:00
    end = ms(2026, 3, 8, 18, 0, "America/New_York")
    period = periods.latest("weekly", end, "America/New_York")
    assert period.key == "2026-W10"
    assert period.end_ms == end == ms(2026, 3, 8, 22)  # 18:00 EDT
    assert period.start_ms == ms(2026, 3, 1, 23)  # 18:00 EST
    assert period.end_ms - period.start_ms == 167 * H
    assert period.publish_at_ms == end + 2 * H
    before = periods.latest("weekly", end - 1, "America/New_York")
    assert before.key == "2026-W09" and before.end_ms == period.start_ms


def test_the_week_that_loses_daylight_saving_time_is_169_hours():
    period = periods.latest("weekly", ms(2026, 10, 26, 9), "Europe/Berlin")
    assert period.key == "2026-W43"
    assert period.end_ms == ms(2026, 10, 25, 17)  # 18:00 CET
    assert period.start_ms == ms(2026, 10, 18, 16)  # 18:00 CEST
    assert period.end_ms - period.start_ms == 169 * H


def test_the_same_instant_is_another_week_in_another_time_zone():
    instant = ms(2026, 3, 8, 20)  # Sunday 20:00 UTC
    tokyo = periods.latest("weekly", instant, "Asia/Tokyo")  # Monday 05:00 there
    assert (tokyo.key, tokyo.end_ms) == ("2026-W10", ms(2026, 3, 8, 9))
    la = periods.latest("weekly", instant, "America/Los_Angeles")  # Sunday 13:00 there
    assert (la.key, la.end_ms) == ("2026-W09", ms(2026, 3, 2, 2))
    kiritimati = periods.latest("weekly", instant, "Pacific/Kiritimati")  # +14
    assert kiritimati.end_ms == ms(2026, 3, 8, 4)


def test_year_boundaries_use_iso_weeks():
    assert periods.latest("weekly", ms(2027, 1, 3, 18), "UTC").key == "2026-W53"
    assert periods.latest("weekly", ms(2026, 1, 4, 18), "UTC").key == "2026-W01"
    assert periods.latest("weekly", ms(2026, 1, 4, 17, 59), "UTC").key == "2025-W52"


def test_days_in_half_hour_zones_and_across_dst():
    kolkata = periods.latest("daily", ms(2026, 6, 10, 12), "Asia/Kolkata")  # 17:30 IST
    assert (kolkata.key, kolkata.end_ms) == ("2026-06-09", ms(2026, 6, 9, 12, 30))
    assert periods.latest("daily", ms(2026, 6, 10, 12, 30), "Asia/Kolkata").key == "2026-06-10"
    dst_day = periods.latest("daily", ms(2026, 3, 8, 23), "America/New_York")
    assert (dst_day.key, dst_day.end_ms - dst_day.start_ms) == ("2026-03-08", 23 * H)


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Europe/Berlin",
                                  "Australia/Lord_Howe", "Pacific/Chatham", "Asia/Kathmandu",
                                  "America/Santiago"])
@pytest.mark.parametrize("kind", periods.KINDS)
def test_periods_tile_time_without_gaps_or_overlaps(zone, kind):
    """Every 5 hours through a year: the latest period has ended, contains no later end, and
    consecutive periods touch."""
    now = ms(2026, 1, 1)
    last = None
    for _ in range(365 * 24 // 5):
        period = periods.latest(kind, now, zone)
        assert period.end_ms <= now < periods.next_end(now, zone) <= period.end_ms + 8 * 24 * H
        local_end = datetime.fromtimestamp(period.end_ms / 1000, ZoneInfo(zone))
        assert (local_end.hour, local_end.minute) == (18, 0)
        if kind == "weekly":
            assert local_end.weekday() == periods.SUNDAY
        if last is not None and period.key != last.key:
            assert period.start_ms == last.end_ms
        last = period
        now += 5 * H


# --- settings and activity input ---------------------------------------------------------

def test_settings_are_strict_in_and_lenient_from_account_data():
    assert clean_changes({"share_game_scores": True, "timezone": "Europe/Paris"}) == \
        {"share_game_scores": True, "timezone": "Europe/Paris"}
    for bad in ({"share_everything": True}, {"share_game_scores": "yes"},
                {"share_game_scores": 1}, {"auto_post_frequency": "hourly"},
                {"auto_post_frequency": ["off"]}, {"timezone": "Mars/Olympus"},
                {"timezone": "../../etc/passwd"}, {"timezone": ""}, {"timezone": 5},
                {"timezone": "Europe/Paris\x00"}, [], "x"):
        with pytest.raises(InvalidInput):
            clean_changes(bad)
    stored = from_stored({"share_game_scores": "yes", "share_ai_activity": True,
                          "auto_post_frequency": "weekly_summary", "timezone": "Nowhere",
                          "theme": "dark"})
    assert stored == {**DEFAULTS, "share_ai_activity": True,
                      "auto_post_frequency": "weekly_summary"}
    assert from_stored(None) == DEFAULTS and all(
        value is False for key, value in DEFAULTS.items() if key.startswith("share_"))
    assert set(to_file(DEFAULTS)) == {
        "share_app_publishes", "share_app_forks", "share_game_scores", "share_ai_activity",
        "share_profile_updates", "auto_post_frequency", "timezone"}


def test_activity_reports_are_strict():
    assert clean_activity({"kind": "game_score", "data": {
        "game": " chess ", "score": 1200, "duration": 600}}) == \
        ("game_score", {"game": "chess", "score": 1200, "duration": 600})
    assert clean_activity({"kind": "profile_update", "data": {"fields": ["links", "bio"]}}) \
        == ("profile_update", {"fields": ["bio", "links"]})
    for bad in ({"kind": "game_score", "data": {"game": "c", "score": 1, "duration": 1},
                 "user_id": "@alice:x"},
                {"kind": "game_score", "data": {"game": "c", "score": True, "duration": 1}},
                {"kind": "game_score", "data": {"game": "c", "score": float("nan"),
                                                "duration": 1}},
                {"kind": "game_score", "data": {"game": "c", "score": 1, "duration": 0}},
                {"kind": "game_score", "data": {"game": "c", "score": 1, "duration": 1e9}},
                {"kind": "game_score", "data": {"game": "", "score": 1, "duration": 1}},
                {"kind": "game_score", "data": {"game": "c", "score": 1}},
                {"kind": "game_score", "data": {"game": "c", "score": 1, "duration": 1,
                                                "player": "@bob:x"}},
                {"kind": "workout", "data": {}}, {"kind": "ai_task", "data": "x"},
                {"kind": "ai_task", "data": {"task": "x" * 201}},
                {"kind": "app_publish", "data": {"app_id": "noslug"}},
                {"kind": "app_fork", "data": {"original": "b:c", "author": 5}},
                {"kind": "profile_update", "data": {"fields": []}},
                {"kind": "profile_update", "data": {"fields": ["password"]}}, None):
        with pytest.raises(InvalidInput):
            clean_activity(bad)


def test_an_activity_post_carries_the_app_preview():
    app = app_block({"name": "Chess", "description": "Play", "url": "https://a.example/c",
                     "slug": "chess"}, "https://os.example/run?app={url}")
    content = activity_content({"kind": "app_publish", "data": {"app_id": "alice:chess"}},
                               "Published Chess -- try it!", app)
    block = content[ev.POST_BLOCK]
    assert block["kind"] == "activity" and block["app"]["try_url"] == \
        "https://os.example/run?app=https://a.example/c"
    assert content["body"] == ("Published Chess -- try it!\nChess: Play\n"
                               "Try it: https://os.example/run?app=https://a.example/c")
    assert "<b>Chess</b>" in content["formatted_body"]


def test_which_drafts_still_publish_on_their_own():
    weekly = {**DEFAULTS, "auto_post_frequency": "weekly_summary"}
    assert still_automatic(weekly, "weekly_summary", {"period_kind": "weekly"})
    assert not still_automatic(weekly, "ai_summary", {"period_kind": "weekly"})
    assert still_automatic({**weekly, "share_ai_activity": True}, "ai_summary",
                           {"period_kind": "weekly"})
    assert not still_automatic(weekly, "daily_summary", {"period_kind": "daily"})
    immediate = {**DEFAULTS, "auto_post_frequency": "immediate", "share_game_scores": True}
    assert still_automatic(immediate, "game_score", {})
    assert not still_automatic({**immediate, "share_game_scores": False}, "game_score", {})
    assert not still_automatic(weekly, "game_score", {})


# --- public conversations -------------------------------------------------------------------

AI, OWNER, BOT = "@alice_ai:x", "@alice:x", "@social:x"


def _state(join_rule="invite", history="shared", members=(AI, "@bob:x", "@carol:x"),
           marks=(), direct=False):
    events = [{"type": "m.room.join_rules", "state_key": "", "content": {"join_rule": join_rule}},
              {"type": "m.room.history_visibility", "state_key": "",
               "content": {"history_visibility": history}},
              {"type": "m.room.member", "state_key": BOT, "content": {"membership": "join"}}]
    events += [{"type": "m.room.member", "state_key": m,
                "content": {"membership": "join", **({"is_direct": True} if direct else {})}}
               for m in members]
    events += [{"type": str(ev.PUBLIC_CONVERSATION_STATE), "state_key": key.removeprefix("@"),
                "sender": sender, "content": {"public": True}} for key, sender in marks]
    return events


def test_only_public_or_owner_marked_groups_are_public_conversations():
    assert classify(_state(join_rule="public"), AI, OWNER, BOT).public
    assert classify(_state(history="world_readable"), AI, OWNER, BOT).public
    assert not classify(_state(), AI, OWNER, BOT).public  # a private group
    assert classify(_state(marks=[(AI, OWNER)]), AI, OWNER, BOT).public
    assert not classify(_state(marks=[(AI, "@bob:x")]), AI, OWNER, BOT).public  # not the owner
    assert not classify(_state(marks=[("@bob_ai:x", OWNER)]), AI, OWNER, BOT).public
    dm = _state(join_rule="public", history="world_readable", members=(AI, "@bob:x"),
                marks=[(AI, OWNER)])
    assert classify(dm, AI, OWNER, BOT).dm and not classify(dm, AI, OWNER, BOT).public
    direct = _state(join_rule="public", direct=True)
    assert not classify(direct, AI, OWNER, BOT).public


def test_periods_long_ago_and_far_ahead():
    # Friday 1999-12-31: the latest week ended on Sunday the 26th, in ISO week 51
    assert periods.latest("weekly", ms(1999, 12, 31, 23, 59), "UTC").key == "1999-W51"
    sunday = int(datetime(2099, 6, 7, 18, tzinfo=UTC).timestamp() * 1000)
    far = periods.latest("weekly", sunday, "UTC")
    assert far.end_ms == sunday and far.end_ms - far.start_ms == 7 * 24 * H


# --- the SQL, on SQLite and PostgreSQL ----------------------------------------------------------

async def test_claims_and_state_changes_happen_once_on_both_databases(db):
    from matrix_social.db import activities, ai_conversations, drafts, summary_runs

    assert await summary_runs.claim(db, "@a:x", "weekly", "2026-W10", "drafted", 1)
    assert not await summary_runs.claim(db, "@a:x", "weekly", "2026-W10", "empty", 2)
    assert await summary_runs.exists(db, "@a:x", "weekly", "2026-W10")
    assert await activities.insert(db, "a1", "@a:x", "app_publish", {"app_id": "a:c"}, "api",
                                   "app_publish:a:c", 5)
    assert not await activities.insert(db, "a2", "@a:x", "app_publish", {}, "api",
                                       "app_publish:a:c", 6)
    assert await activities.insert(db, "a3", "@b:x", "app_publish", {}, "api",
                                   "app_publish:a:c", 6)  # another user's key is theirs
    assert await activities.users_since(db, 0, "", 10) == ["@a:x", "@b:x"]
    assert await activities.users_since(db, 0, "@a:x", 10) == ["@b:x"]
    await drafts.insert(db, "d1", "@a:x", "@a:x", "game_score", "t", {"kind": "game_score"},
                        None, 100, "a1", None, 1)
    assert [r["draft_id"] for r in await drafts.due(db, 100, 10)] == ["d1"]
    assert await drafts.claim(db, "d1", 2) and not await drafts.claim(db, "d1", 3)
    assert not await drafts.edit_text(db, "d1", "@a:x", "new", 3)  # being published
    assert await drafts.recover_interrupted(db, 4) == 1
    row = await drafts.get(db, "d1")
    assert (row["status"], row["publish_at"]) == ("pending", None)
    assert not await drafts.discard(db, "d1", "@b:x") and await drafts.discard(db, "d1", "@a:x")
    await ai_conversations.insert(db, "@a_ai:x", "!r:x", False, None, None, 1)
    await ai_conversations.insert(db, "@a_ai:x", "!p:x", True, "Public", "#p:x", 1)
    await ai_conversations.insert(db, "@a_ai:x", "!p:x", True, "Public", "#p:x", 2)
    [listed] = await ai_conversations.public_of(db, "@a_ai:x", 10)
    assert (listed["room_id"], listed["answers"], listed["last_ts"]) == ("!p:x", 2, 2)
    await ai_conversations.set_public(db, "@a_ai:x", "!p:x", False, None, None)
    assert await ai_conversations.public_of(db, "@a_ai:x", 10) == []
