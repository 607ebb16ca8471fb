"""Link previews through the homeserver's own URL preview API: the test Synapse may fetch
this test's page on 127.0.0.1 (its config allows loopback for tests only); the service never
fetches the page itself, keeps the answer, and an attacker's private addresses are refused by
the homeserver's rules."""

from __future__ import annotations

import io
import secrets
from urllib.parse import quote

from aiohttp import web
from PIL import Image

from matrix_social.devstack.ports import reserve_port

from .harness import api, api_ok


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 32), (200, 80, 40)).save(out, "PNG")
    return out.getvalue()


async def garden_page(title: str, seen: list[tuple[str, str]]) -> tuple[web.AppRunner, str]:
    """A page with Open Graph tags and an image on 127.0.0.1: (its runner, its URL)."""
    png = _png()

    async def page(request: web.Request) -> web.Response:
        seen.append((request.path, request.headers.get("User-Agent", "")))
        return web.Response(content_type="text/html", text=(
            f'<html><head><meta property="og:title" content="{title}">'
            '<meta property="og:description" content="Grow &lt;b&gt;them&lt;/b&gt; well">'
            '<meta property="og:site_name" content="Garden">'
            '<meta property="og:image" content="/tomato.png"></head><body>hi</body></html>'))

    async def image(request: web.Request) -> web.Response:
        seen.append((request.path, request.headers.get("User-Agent", "")))
        return web.Response(body=png, content_type="image/png")

    app = web.Application()
    app.router.add_get("/garden", page)
    app.router.add_get("/tomato.png", image)
    runner = web.AppRunner(app)
    await runner.setup()
    port = reserve_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, f"http://127.0.0.1:{port}/garden"


async def test_a_link_preview_comes_from_the_homeserver_and_is_kept(stack):
    alice = await stack.register("alice")
    seen: list[tuple[str, str]] = []
    title = f"Tomato season {secrets.token_hex(3)}"
    runner, link = await garden_page(title, seen)
    try:
        await api_ok(stack, "POST", "/posts", alice, json={"text": f"Look {link}"})
        card = await api_ok(stack, "GET", f"/previews?url={quote(link, safe='')}", alice)
        assert card["available"] is True
        assert (card["title"], card["description"], card["site_name"]) == (
            title, "Grow <b>them</b> well", "Garden")
        assert card["image"]["mxc"].startswith("mxc://") and card["image"]["width"] == 64
        # Only the homeserver fetched anything (Synapse's own user agent), never the service.
        assert seen and all("Synapse" in agent for _, agent in seen), seen
        # Kept: the page going away changes nothing for a day.
        await runner.cleanup()
        again = await api_ok(stack, "GET", f"/previews?url={quote(link, safe='')}", alice)
        assert again == card
    finally:
        await runner.cleanup()

    # The attacker's addresses: the homeserver's rules refuse them (the service asks, never
    # fetches); a URL of another scheme is refused before anything is asked.
    for private in ("http://10.0.0.1/", "http://169.254.169.254/latest/meta-data/",
                    "http://[::1]:8008/", "http://192.168.1.1/admin"):
        status, body = await api(stack, "GET", f"/previews?url={quote(private, safe='')}", alice)
        assert status == 200 and body["available"] is False and body["title"] is None, private
    for bad in ("file:///etc/passwd", "javascript:alert(1)", "mxc://x/y", "http://a b/"):
        status, body = await api(stack, "GET", f"/previews?url={quote(bad, safe='')}", alice)
        assert (status, body["errcode"]) == (400, "M_INVALID_PARAM"), bad
