"""The live stream (server-sent events) through the real stack: fed by ingest, authenticated
by Bearer or a single-use ticket (never the access token in a URL), resumable by id."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import quote

import aiohttp

from .harness import api, api_ok


def q(event_id: str) -> str:
    return quote(event_id, safe="")


class Events:
    """An open stream, read frame by frame."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self.response = response

    async def next(self, name: str, timeout: float = 30) -> tuple[int, dict]:
        async def read():
            event_id, event, data = None, None, None
            while True:
                line = (await self.response.content.readline()).decode().rstrip("\n")
                if line.startswith("id: "):
                    event_id = int(line[4:])
                elif line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: "):
                    data = json.loads(line[6:])
                elif line == "" and event is not None:
                    if event == name:
                        return event_id, data
                    event_id, event, data = None, None, None
        return await asyncio.wait_for(read(), timeout)


async def _open(session, stack, *, token=None, query="", last=None) -> aiohttp.ClientResponse:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if last is not None:
        headers["Last-Event-ID"] = str(last)
    return await session.get(f"{stack.api_url}/events{query}", headers=headers)


async def test_a_like_arrives_as_counts_and_a_notification_and_resumes_by_id(stack):
    alice, bob, carol = [await stack.register(n) for n in ("alice", "bob", "carol")]
    post = await api_ok(stack, "POST", "/posts", alice, json={"text": "live"})
    await api_ok(stack, "POST", "/events/watch", alice, json={"post_ids": [post["id"]]})
    async with aiohttp.ClientSession() as session:
        response = await _open(session, stack, token=alice.access_token)
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/event-stream")
        events = Events(response)
        await api_ok(stack, "POST", f"/posts/{q(post['id'])}/like", bob)
        first_id, counts = await events.next("counts")
        assert counts == {"post_id": post["id"],
                          "counts": {"likes": 1, "comments": 0, "reposts": 0}}
        _, note = await events.next("notification")
        assert note["unread_count"] == 1
        response.close()
        await api_ok(stack, "POST", f"/posts/{q(post['id'])}/like", carol)
        # back with the id she had: what she missed comes first
        resumed = Events(await _open(session, stack, token=alice.access_token, last=first_id))
        missed_id, counts = await resumed.next("counts")
        assert missed_id > first_id and counts["counts"]["likes"] in (1, 2)
        # and a stranger's post is not pushed, her followee's is
        await api_ok(stack, "POST", "/follow", alice, json={"handle": bob.localpart})
        await api_ok(stack, "POST", "/posts", carol, json={"text": "not followed"})
        bobs = await api_ok(stack, "POST", "/posts", bob, json={"text": "followed"})
        _, new = await resumed.next("post")
        assert new["post_id"] == bobs["id"] and new["author"] == bob.user_id
        resumed.response.close()


async def test_tickets_are_single_use_and_the_token_never_goes_in_a_url(stack):
    alice = await stack.register("alice")
    ticket = (await api_ok(stack, "POST", "/events/ticket", alice))["ticket"]
    async with aiohttp.ClientSession() as session:
        first = await _open(session, stack, query=f"?ticket={ticket}")
        assert first.status == 200
        first.close()
        again = await _open(session, stack, query=f"?ticket={ticket}")
        assert again.status == 401 and (await again.json())["errcode"] == "M_UNKNOWN_TOKEN"
        nothing = await _open(session, stack)
        assert nothing.status == 401
        leaked = await _open(session, stack, query=f"?access_token={alice.access_token}")
        assert leaked.status == 400
    status, body = await api(stack, "POST", "/events/watch", alice, json={"post_ids": "x"})
    assert status == 400 and body["errcode"] == "M_INVALID_PARAM"
