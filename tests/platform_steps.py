"""Steps the external-platform tests share: a browser's trip through a fake platform's login,
connecting through the REST API or the bot, making a connection due, reading rooms."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
from nio import AsyncClient, JoinResponse

from .harness import Stack, User, api, api_ok, eventually, open_dm, room_texts


def browser_session() -> aiohttp.ClientSession:
    """A browser's cookie jar (unsafe=True: the service is on 127.0.0.1, and aiohttp keeps no
    cookies of IP addresses otherwise)."""
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def through_login(stack: Stack, authorize_url: str, token: str | None = None,
                        accept: str = "application/json",
                        session: aiohttp.ClientSession | None = None) -> tuple[int, Any, str]:
    """A browser (`session`: its cookie jar; by default a new one, with no cookie of ours)
    opens the authorize URL (the fake approves as its logged-in account) and follows the
    redirect back to the service: (status, body, callback URL)."""
    if session is None:
        async with browser_session() as fresh:
            return await through_login(stack, authorize_url, token, accept, fresh)
    async with session.get(authorize_url, allow_redirects=False,
                           timeout=aiohttp.ClientTimeout(total=10)) as response:
        assert response.status == 302, await response.text()
        callback = response.headers["Location"]
    return (*await callback_once(session, callback, token, accept), callback)


async def start_in_browser(stack: Stack, session: aiohttp.ClientSession, user: User,
                           platform: str, instance: str | None = None) -> dict[str, Any]:
    """POST /connections/{platform} from the browser's own jar, as the web app's fetch does
    (same origin, so the binding cookie lands in that browser)."""
    body = {"instance": instance} if instance else None
    async with session.post(f"{stack.api_url}/connections/{platform}", json=body,
                            headers={"Authorization": f"Bearer {user.access_token}"},
                            timeout=aiohttp.ClientTimeout(total=30)) as response:
        answer = await response.json()
        assert response.status == 200, answer
        return answer


async def callback_once(session: aiohttp.ClientSession, callback: str, token: str | None,
                        accept: str = "application/json") -> tuple[int, Any]:
    headers = {"Accept": accept}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    async with session.get(callback, headers=headers, allow_redirects=False,
                           timeout=aiohttp.ClientTimeout(total=30)) as response:
        body = await (response.json() if "json" in accept else response.text())
        return response.status, body


def code_on(page: Any) -> str:
    """The one-time code a confirmation page (HTML, or its JSON) shows."""
    if isinstance(page, dict):
        return page["confirm"]["code"]
    found = re.search(r"<code>confirm ([A-Z0-9]{4}-[A-Z0-9]{4})</code>", page)
    assert found, page
    return found.group(1)


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


async def connect(stack: Stack, user: User, platform: str, instance: str | None = None
                  ) -> dict[str, Any]:
    """Connect through the REST API as the web app does (started and finished in one browser,
    so in one step); the connection as GET /connections shows it."""
    async with browser_session() as session:
        started = await start_in_browser(stack, session, user, platform, instance)
        status, answer, _ = await through_login(stack, started["authorize_url"],
                                                session=session)
    assert status == 200 and answer["connected"], answer
    listed = await api_ok(stack, "GET", "/connections", user)
    return next(c for c in listed["connections"] if c["platform"] == platform)


async def connection(stack: Stack, user: User, platform: str) -> dict[str, Any] | None:
    listed = await api_ok(stack, "GET", "/connections", user)
    return next((c for c in listed["connections"] if c["platform"] == platform), None)


def db(stack: Stack):
    return stack.bridge.services.db


async def sync_now(stack: Stack, user: User, platform: str) -> None:
    """Make the connection due now and wait for the scheduler to poll it once more."""
    database = db(stack)

    async def last_sync() -> int | None:
        return await database.fetchval(
            "SELECT last_sync FROM platform_connection WHERE user_id=$1 AND platform=$2",
            user.user_id, platform)

    before = await eventually(last_sync, what=f"the first {platform} sync")
    await database.execute(
        "UPDATE platform_connection SET next_due=0 WHERE user_id=$1 AND platform=$2",
        user.user_id, platform)
    stack.bridge.services.wakeup.wake()

    async def synced() -> bool:
        return await last_sync() > before

    await eventually(synced, what=f"{platform} polled again")


async def messages(stack: Stack, user: User, room_id: str) -> list[dict]:
    """The room's m.room.message events, oldest first, as the user's client reads them."""
    events = await room_texts(stack.nio(user), room_id, limit=200)
    return [e for e in reversed(events) if e["type"] == "m.room.message"]


async def visible_items(stack: Stack, user: User, room_id: str) -> list[dict]:
    """Top-level messages not redacted and not edits."""
    return [e for e in await messages(stack, user, room_id)
            if e.get("content", {}).get("body") is not None
            and (e["content"].get("m.relates_to") or {}).get("rel_type") != "m.replace"]


async def management_room(stack: Stack, user: User) -> str:
    """Her management room, joined by her (the bot opens one when it first has news)."""
    room_id = await eventually(lambda: db(stack).fetchval(
        "SELECT room_id FROM management_room WHERE user_id=$1", user.user_id),
        what="a management room")
    client = stack.nio(user)
    joined = await client.join(room_id)
    assert isinstance(joined, JoinResponse), joined
    return room_id


async def bot_said(stack: Stack, user: User, room_id: str, *words: str) -> str:
    """The bot's newest notice in the room that contains every word."""
    bot = stack.bridge.services.ids.bot

    async def said() -> str | None:
        for event in reversed(await messages(stack, user, room_id)):
            body = event.get("content", {}).get("body", "")
            if event["sender"] == bot and all(w in body for w in words):
                return body
        return None

    return await eventually(said, what=f"the bot saying {words}")


async def command_room(stack: Stack, user: User) -> tuple[AsyncClient, str]:
    """A DM with the bot, as Element opens one."""
    room_id = await open_dm(stack, user, stack.bridge.services.ids.bot)
    return stack.nio(user), room_id


async def say(client: AsyncClient, room_id: str, text: str) -> None:
    response = await client.room_send(room_id, "m.room.message",
                                      {"msgtype": "m.text", "body": text})
    assert getattr(response, "event_id", None), response


async def feed_items(stack: Stack, user: User, platform: str | None = None) -> list[dict]:
    page = await api_ok(stack, "GET", "/feed?limit=100", user)
    return [p for p in page["items"] if "external" in p
            and (platform is None or p["external"]["platform"] == platform)]


async def status_of(stack: Stack, user: User, path: str) -> int:
    return (await api(stack, "GET", path, user))[0]
