"""The Messages app's conversation list of a user in many rooms: our endpoint (one sliding
sync request per page on Synapse; before issue 28 the first page waited for an initial /sync,
timed here too) against the way it worked before
issue 14, replayed here with the user's own token (every joined room, then per room its last
event, its name and its encryption state: three homeserver requests per room, first 200
rooms only)."""

from __future__ import annotations

import asyncio
import time
from urllib.parse import quote

import aiohttp

from matrix_social.matrix.room_list import SYNC_FILTER
from matrix_social.social import cursor as cursors
from tests.harness import Stack, api_ok

from .stats import summary

PAGE = 20


async def _old_list(session: aiohttp.ClientSession, hs: str) -> list[dict]:
    async def get(path: str, **query) -> tuple[int, dict]:
        async with session.get(f"{hs}/_matrix/client/v3{path}", params=query) as resp:
            return resp.status, await resp.json()

    _, joined = await get("/joined_rooms")
    items = []
    for room_id in joined["joined_rooms"][:200]:
        room = quote(room_id, safe="")
        _, page = await get(f"/rooms/{room}/messages", dir="b", limit="1")
        status, name = await get(f"/rooms/{room}/state/m.room.name")
        encrypted, _ = await get(f"/rooms/{room}/state/m.room.encryption")
        last = (page.get("chunk") or [{}])[0]
        items.append({"room_id": room_id, "last_activity": last.get("origin_server_ts"),
                      "name": name.get("name") if status == 200 else None,
                      "encrypted": encrypted == 200})
    items.sort(key=lambda c: c["last_activity"] or 0, reverse=True)
    return items


async def _walk(ours, rooms: int, cursor_of) -> tuple[list[dict], float]:
    """Every page in turn: what they listed, and how long it took (ms)."""
    start = time.perf_counter()
    listed, cursor = [], None
    for _ in range(rooms // PAGE + 2):
        page = await ours(cursor)
        listed += page["items"]
        cursor = page.get("next_cursor")  # the code before issue 14 had no cursor
        if cursor is None:
            break
        cursor = cursor_of(cursor)
    return listed, (time.perf_counter() - start) * 1000


def _without_hint(cursor: str) -> str:
    recency, room_id, _ = cursors.decode(cursor, (int, str, int))
    return cursors.encode(recency, room_id, 0)


async def measure(stack: Stack, rooms: int, runs: int) -> dict:
    user, other = await stack.register("talker"), await stack.register("listener")
    slots = asyncio.Semaphore(8)

    async def group(i: int) -> None:
        async with slots:
            made = await api_ok(stack, "POST", "/messages/groups", user,
                                json={"name": f"group {i}", "members": [other.user_id]})
            await api_ok(stack, "POST", f"/messages/rooms/{quote(made['room_id'], safe='')}/send",
                         user, json={"text": f"hello {i}"})

    await asyncio.gather(*(group(i) for i in range(rooms)))
    url = f"{stack.api_url}/messages/conversations?limit={PAGE}"
    headers = {"Authorization": f"Bearer {user.access_token}"}
    async with aiohttp.ClientSession(headers=headers) as session:

        async def ours(cursor: str | None = None) -> dict:
            async with session.get(url + (f"&cursor={cursor}" if cursor else "")) as resp:
                assert resp.status == 200, await resp.text()
                return await resp.json()

        # Before issue 28: the first page waited for one filtered initial /sync (asked here
        # with the user's token, as the service asked it as the user; nothing cached yet).
        start = time.perf_counter()
        async with session.get(f"{stack.synapse.url}/_matrix/client/v3/sync",
                               params={"timeout": "0", "filter": SYNC_FILTER}) as resp:
            assert resp.status == 200, await resp.text()
            await resp.read()
        initial_sync_ms = (time.perf_counter() - start) * 1000
        start = time.perf_counter()
        first = await ours()
        cold_ms = (time.perf_counter() - start) * 1000
        assert len(first["items"]) >= min(PAGE, rooms)  # before issue 14: every room at once
        warm = []
        for _ in range(runs):
            start = time.perf_counter()
            await ours()
            warm.append((time.perf_counter() - start) * 1000)
        listed, all_pages_ms = await _walk(ours, rooms, lambda cursor: cursor)
        # Each later page looking from the top, as before the cursor said where the last
        # page ended: the same cursors without that hint.
        from_top, from_top_ms = await _walk(ours, rooms, _without_hint)
        assert from_top == listed
        old = []
        for _ in range(max(1, runs // 4)):
            start = time.perf_counter()
            old_items = await _old_list(session, stack.synapse.url)
            old.append((time.perf_counter() - start) * 1000)
    groups = [c for c in old_items if c["name"] and c["name"].startswith("group ")]
    assert len(groups) == rooms and len([c for c in listed if c["kind"] == "group"]) >= rooms
    return {"rooms": rooms, "cold_ms": cold_ms, "initial_sync_ms": initial_sync_ms,
            "warm": summary(warm),
            "all_pages_ms": all_pages_ms, "all_pages_from_top_ms": from_top_ms,
            "pages": rooms // PAGE + 1, "old": summary(old)}
