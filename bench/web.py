"""The web app's load in headless Chromium against the real local stack (PostgreSQL):

    .venv/bin/python -m bench.web [--runs 5] [--posts 200]

A viewer follows an author with `--posts` posts. Each run opens a fresh browser context (cold
cache, the session already in localStorage) and times navigation to the moment the feed is
interactive (its first page rendered and wired: the `feed-ready` performance mark), then
Messages the same way (`messages-ready`: the Matrix SDK and its WebAssembly loaded, the crypto
store opened, the first sync done). Sizes are what the browser fetched: compressed (as sent,
gzip) and raw. Targets: feed interactive <= 1.5 s, feed JavaScript <= 250 KB compressed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
from pathlib import Path

from tests.browser import ARGS, CHROMIUM, browser_missing
from tests.harness import Stack, api_ok

FEED_TARGET_S = 1.5
FEED_JS_TARGET_KB = 250


async def seed(stack: Stack, posts: int):
    author, viewer = await stack.register("author"), await stack.register("viewer")
    await api_ok(stack, "POST", "/follow", viewer, json={"handle": author.user_id})
    for start in range(0, posts, 20):
        await asyncio.gather(*(
            api_ok(stack, "POST", "/posts", author, json={"text": f"Post number {i} " * 4})
            for i in range(start, min(posts, start + 20))))
    return viewer


async def login(stack: Stack, user) -> dict:
    _, body = await stack.request("POST", f"{stack.synapse.url}/_matrix/client/v3/login", json={
        "type": "m.login.password", "identifier": {"type": "m.id.user", "user": user.localpart},
        "password": user.password})
    return {"homeserverUrl": stack.synapse.url, "userId": body["user_id"],
            "accessToken": body["access_token"], "deviceId": body["device_id"]}


async def measure(browser, url: str, session: dict, mark: str, ready: str) -> dict:
    context = await browser.new_context()
    await context.add_init_script(
        f"localStorage.setItem('matrix-social.session', {json.dumps(json.dumps(session))})")
    page = await context.new_page()
    try:
        await page.goto(url)
        await page.wait_for_selector(ready, timeout=60_000)
        seconds = await page.evaluate(
            f"performance.getEntriesByName('{mark}')[0].startTime / 1000")
        resources = await page.evaluate(
            "performance.getEntriesByType('resource').map(r => ({name: r.name,"
            " type: r.initiatorType, sent: r.encodedBodySize, raw: r.decodedBodySize}))")
        return {"seconds": seconds, "resources": resources}
    finally:
        await context.close()


def kb(n: int) -> str:
    return f"{n / 1024:.1f} KB"


def sizes(resources: list[dict], pattern) -> tuple[int, int, list[str]]:
    chosen = [r for r in resources if pattern(r["name"])]
    return (sum(r["sent"] for r in chosen), sum(r["raw"] for r in chosen),
            sorted({r["name"].split("/social/")[-1] for r in chosen}))


async def main(runs: int, posts: int) -> int:
    missing = browser_missing()
    if missing:
        print(f"bench.web needs headless Chromium: {missing}", file=sys.stderr)
        return 2
    from playwright.async_api import async_playwright

    with tempfile.TemporaryDirectory() as root:
        stack = Stack(Path(root), "postgres")
        await stack.start()
        try:
            viewer = await seed(stack, posts)
            session = await login(stack, viewer)
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                feed = [await measure(browser, f"{stack.appservice_url}/social/", session,
                                      "feed-ready", ".section-feed[data-ready]")
                        for _ in range(runs)]
                messages = [await measure(browser, f"{stack.appservice_url}/social/messages",
                                          session, "messages-ready",
                                          ".section-messages[data-ready]")
                            for _ in range(runs)]
                await browser.close()
        finally:
            await stack.stop()

    feed_s = [r["seconds"] for r in feed]
    js = lambda name: name.endswith(".js")  # noqa: E731
    feed_sent, feed_raw, feed_files = sizes(feed[-1]["resources"], js)
    other_sent, other_raw, _ = sizes(feed[-1]["resources"], lambda n: "/social/" in n)
    msg_s = [r["seconds"] for r in messages]
    sdk_sent, sdk_raw, sdk_files = sizes(messages[-1]["resources"], lambda n: "/vendor/" in n)
    msg_js_sent, msg_js_raw, _ = sizes(messages[-1]["resources"], js)
    print(f"web app, {posts} posts in the feed, {runs} cold loads each (headless Chromium)")
    print(f"  feed interactive: median {statistics.median(feed_s):.3f} s, "
          f"max {max(feed_s):.3f} s (target <= {FEED_TARGET_S} s)")
    print(f"  feed JavaScript: {kb(feed_sent)} compressed, {kb(feed_raw)} raw, "
          f"{len(feed_files)} files (target <= {FEED_JS_TARGET_KB} KB compressed)")
    print(f"  feed, everything from /social/ (HTML, CSS, JS, config): {kb(other_sent)} "
          f"compressed, {kb(other_raw)} raw")
    print(f"  messages ready (SDK + crypto WebAssembly + first sync): median "
          f"{statistics.median(msg_s):.3f} s, max {max(msg_s):.3f} s")
    print(f"  messages chunk (vendor SDK + WebAssembly): {kb(sdk_sent)} compressed, "
          f"{kb(sdk_raw)} raw: {', '.join(sdk_files)}")
    print(f"  messages, all JavaScript: {kb(msg_js_sent)} compressed, {kb(msg_js_raw)} raw")
    ok = max(feed_s) <= FEED_TARGET_S and feed_sent <= FEED_JS_TARGET_KB * 1024
    print("  targets met" if ok else "  TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.web")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--posts", type=int, default=200)
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.runs, args.posts)))
