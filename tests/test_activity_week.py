"""A simulated week of auto-posts through a real Synapse, on a clock the test moves: the
weekly summary (apps built, games and hours played, forks) and the AI summary (real AI
answers) are drafted once for Sunday 18:00 in the user's time zone (the week daylight saving
time starts), published at their time unless edited; a Sunday that passes while the service
is down is caught up once at the next start, never twice; users who did not opt in get no
summary; `immediate` publishes after the review window unless edited or discarded."""

from __future__ import annotations

import json
from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

from .fakes.clock import FakeClock
from .harness import api_ok, eventually, open_dm

NY = ZoneInfo("America/New_York")
REVIEW_S = 600  # activity.review_window_seconds in the example config


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=NY)


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def q(value: str) -> str:
    return quote(value, safe="")


async def all_drafts(stack, user) -> list:
    return await stack.bridge.db.fetch(
        "SELECT * FROM activity_draft WHERE user_id=$1 ORDER BY created_at, draft_id",
        user.user_id)


async def summaries(stack, user, period: str | None = None) -> list:
    return [row for row in await all_drafts(stack, user)
            if row["period"] and (period is None or row["period"] == period)]


async def test_a_simulated_week_of_auto_posts_with_a_restart_across_sunday(stack):
    clock = FakeClock(at(2, 9))  # Monday 2 March 2026, 09:00 in New York
    await stack.stop_bridge()
    await stack.start_bridge(clock=clock)
    try:
        await _simulated_weeks(stack, clock)
    finally:
        await stack.stop_bridge()
        await stack.start_bridge()


async def _simulated_weeks(stack, clock: FakeClock) -> None:
    alice, bob, carol, dave = [await stack.register(n) for n in ("alice", "bob", "carol",
                                                                 "dave")]
    ai = stack.mxid(f"{alice.localpart}_ai")
    await api_ok(stack, "PUT", "/settings", alice, json={
        "share_app_publishes": True, "share_app_forks": True, "share_game_scores": True,
        "share_ai_activity": True, "auto_post_frequency": "weekly_summary",
        "timezone": "America/New_York"})
    await api_ok(stack, "PUT", "/settings", carol, json={  # shares, never opted in to summaries
        "share_game_scores": True, "timezone": "America/New_York"})
    await api_ok(stack, "PUT", "/settings", dave, json={
        "share_game_scores": True, "auto_post_frequency": "immediate"})
    await api_ok(stack, "POST", "/follow", bob, json={"handle": alice.localpart})
    go = await api_ok(stack, "POST", "/apps", bob, json={
        "slug": "go", "name": "Go board", "url": "https://apps.invalid/go"})

    async def game(user, name, seconds, score=100):
        return await api_ok(stack, "POST", "/activity", user, json={
            "kind": "game_score", "data": {"game": name, "score": score, "duration": seconds}})

    # The week (Monday 2 to Sunday 8 March; New York moves to EDT on Sunday at 02:00).
    await api_ok(stack, "POST", "/apps", alice, json={
        "slug": "trainer", "name": "Chess Trainer", "url": "https://apps.invalid/t"})
    clock.set(at(3, 20))
    await api_ok(stack, "POST", "/apps", alice, json={
        "slug": "sudoku", "name": "Sudoku", "url": "https://apps.invalid/s"})
    clock.set(at(4, 12))
    await api_ok(stack, "POST", "/apps", alice, json={
        "slug": "go-remix", "name": "Go Remix", "url": "https://apps.invalid/g",
        "forked_from": go["id"]})
    clock.set(at(5, 19))
    await game(alice, "chess", 3600, 1200)
    await game(carol, "chess", 3600)
    clock.set(at(6, 19))
    await game(alice, "chess", 3600, 1350)
    clock.set(at(7, 10))
    await game(alice, "go", 1800, 12)
    clock.set(at(7, 15))
    room_id = await open_dm(stack, bob, ai)  # three real answers from alice's AI
    client = stack.nio(bob)
    for n in range(3):
        await client.room_send(room_id, "m.room.message",
                               {"msgtype": "m.text", "body": f"question {n}"})

    async def tasks_counted():
        return await stack.bridge.db.fetchval(
            "SELECT COUNT(*) FROM activity WHERE user_id=$1 AND kind='ai_task'",
            alice.user_id) == 3

    await eventually(tasks_counted, what="three AI answers counted")

    # `immediate`: dave's draft publishes itself after the review window unless edited or
    # discarded first.
    clock.set(at(5, 9))
    kept = (await game(dave, "darts", 600, 180))["draft"]
    edited = (await game(dave, "darts", 900, 140))["draft"]
    dropped = (await game(dave, "darts", 300, 60))["draft"]
    assert kept["publish_at"] == ms(at(5, 9)) + REVIEW_S * 1000
    await api_ok(stack, "PATCH", f"/drafts/{q(edited['id'])}", dave, json={"text": "Rusty."})
    await api_ok(stack, "DELETE", f"/drafts/{q(dropped['id'])}", dave)
    scheduler = stack.bridge.services.activity_scheduler
    clock.advance(REVIEW_S - 1)
    await scheduler.run_once()
    assert {d["id"] for d in (await api_ok(stack, "GET", "/drafts", dave))["items"]} == \
        {edited["id"], kept["id"]}  # made at the same (simulated) moment: either order
    clock.advance(1)
    await scheduler.run_once()
    left = (await api_ok(stack, "GET", "/drafts", dave))["items"]
    assert [d["id"] for d in left] == [edited["id"]]
    dave_posts = (await api_ok(stack, "GET", f"/profile/{dave.localpart}", dave))["recent_posts"]
    assert [p["text"] for p in dave_posts] == ["Scored 180 in darts (10 minutes)"]

    # Sunday: nothing before 18:00 in New York, then one weekly and one AI summary.
    clock.set(at(8, 17, 59))
    await scheduler.run_once()
    assert await summaries(stack, alice) == []
    clock.set(at(8, 18))
    await scheduler.run_once()
    clock.set(at(8, 18, 1))
    await scheduler.run_once()
    week = await summaries(stack, alice, "weekly:2026-W10")
    assert sorted(r["text"] for r in week) == [
        "My AI helped with 3 tasks this week",
        "This week I built 2 apps, remixed 1 app and played 2 hours of chess and 30 minutes "
        "of go"]
    assert {r["publish_at"] for r in week} == {ms(at(8, 20))}
    weekly = next(r for r in week if r["kind"] == "weekly_summary")
    data = json.loads(weekly["activity"])["data"]
    assert (data["start"], data["end"]) == (ms(at(1, 18)), ms(at(8, 18)))
    assert data["end"] - data["start"] == 167 * 3600 * 1000  # the DST week
    assert await summaries(stack, carol) == []  # not opted in: nothing drafted
    runs = {(r["period_kind"], r["period_key"]): r["outcome"] for r in await
            stack.bridge.db.fetch("SELECT * FROM activity_summary_run WHERE user_id=$1",
                                  carol.user_id)}
    assert runs[("weekly", "2026-W10")] == "not_opted_in"

    # Published at 20:00 unless edited: the AI summary is edited, so it waits.
    ai_summary = next(r for r in week if r["kind"] == "ai_summary")
    await api_ok(stack, "PATCH", f"/drafts/{q(ai_summary['draft_id'])}", alice,
                 json={"text": "My AI helped with 3 tasks this week. Good bot."})
    clock.set(at(8, 19, 59))
    await scheduler.run_once()
    assert all(r["status"] == "pending" for r in await summaries(stack, alice))
    clock.set(at(8, 20))
    await scheduler.run_once()
    statuses = {r["kind"]: r["status"] for r in await summaries(stack, alice)}
    assert statuses == {"weekly_summary": "published", "ai_summary": "pending"}
    feed = (await api_ok(stack, "GET", "/feed", bob))["items"]
    summary_post = next(p for p in feed if p["kind"] == "activity"
                        and p["activity"]["kind"] == "weekly_summary")
    assert summary_post["author"]["user_id"] == alice.user_id
    assert summary_post["text"].startswith("This week I built 2 apps")

    # Week two: a game on Tuesday; the service is down from Saturday to Monday.
    clock.set(at(10, 12))
    await game(alice, "chess", 2700, 1400)
    clock.set(at(14, 12))
    await stack.stop_bridge()
    clock.set(at(16, 10))
    await stack.start_bridge(clock=clock)  # its first pass catches the missed Sunday up

    async def caught_up():
        return await summaries(stack, alice, "weekly:2026-W11")

    [late] = await eventually(caught_up, what="the missed Sunday's summary")
    assert late["text"] == "This week I played 45 minutes of chess"
    assert late["publish_at"] == ms(at(16, 10)) + REVIEW_S * 1000  # still reviewable
    await stack.stop_bridge()
    await stack.start_bridge(clock=clock)
    await stack.bridge.services.activity_scheduler.run_once()
    assert len(await summaries(stack, alice, "weekly:2026-W11")) == 1  # never twice
    runs = [(r["period_kind"], r["period_key"], r["outcome"]) for r in await stack.bridge.db.fetch(
        "SELECT * FROM activity_summary_run WHERE user_id=$1 AND period_kind='weekly' "
        "ORDER BY period_key", alice.user_id)]
    assert runs == [("weekly", "2026-W09", "empty"), ("weekly", "2026-W10", "drafted"),
                    ("weekly", "2026-W11", "drafted")]

    _print_the_week(await all_drafts(stack, alice), alice.localpart)


def _print_the_week(rows, who: str) -> None:
    print(f"\nA simulated fortnight of auto-posts for {who} (America/New_York, "
          "auto_post_frequency weekly_summary, every kind shared):")
    for row in rows:
        made = datetime.fromtimestamp(row["created_at"] / 1000, NY)
        when = datetime.fromtimestamp(row["publish_at"] / 1000, NY).strftime("%a %d %H:%M") \
            if row["publish_at"] else "-"
        print(f"  {made:%a %d %b %H:%M}  {row['kind']:<15} {row['status']:<9} "
              f"auto at {when:<12} {row['text']!r}")
