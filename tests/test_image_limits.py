"""Images cost what their bytes cost, end to end: the 160 KB PNG of 13000x13000 pixels is
refused at upload; the JPEG Instagram fetches is made once, kept on the homeserver, and every
fetch of its signed URL is served from there without decoding anything again.

The memory it takes (peak RSS while 10 clients fetch a signed URL of a cap-sized image):
bench/images.py, BENCHMARKS.md."""

from __future__ import annotations

import asyncio
import io
import time
from urllib.parse import quote

import aiohttp
from nio import DownloadResponse
from PIL import Image

from .harness import api, api_ok, eventually
from .platform_steps import connect, db


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


async def test_a_13000_square_png_of_160_kb_is_refused_at_upload(stack):
    alice = await stack.register("alice")
    bomb = _png(Image.new("L", (13000, 13000)))
    assert len(bomb) < 200_000
    count = "SELECT COUNT(*) FROM media_upload WHERE owner=$1"
    before = await db(stack).fetchval(count, alice.user_id)
    status, body = await api(stack, "POST", "/media", alice, data=bomb,
                             headers={"Content-Type": "image/png"})
    assert (status, body["errcode"]) == (413, "M_TOO_LARGE"), body
    assert "13,000x13,000" in body["error"] and "40,000,000 pixels" in body["error"]
    assert await db(stack).fetchval(count, alice.user_id) == before
    # Sent as a file it is kept, as a file: never as an image a post could use.
    kept = await api_ok(stack, "POST", "/media?kind=file", alice, data=bomb)
    assert (kept["mimetype"], kept["width"]) == ("application/octet-stream", None)
    # At the cap it is an image like any other.
    at_cap = await api_ok(stack, "POST", "/media", alice,
                          data=_png(Image.new("L", (8192, 4882))))
    assert (at_cap["width"], at_cap["height"]) == (8192, 4882)


async def test_the_instagram_jpeg_is_made_once_and_served_from_the_store(stack):
    fakes = stack.platforms
    alice = await stack.register("alice")
    fakes.instagram.oauth.authorizing_user = fakes.instagram.add_user(
        f"ig{time.time_ns() % 10**7}")
    await connect(stack, alice, "instagram")
    picture = Image.new("RGB", (3000, 2000), (30, 160, 60))
    image = await api_ok(stack, "POST", "/media", alice, data=_png(picture))
    derivatives = stack.bridge.services.image_derivatives
    made = derivatives.made
    post = await api_ok(stack, "POST", "/posts", alice, json={
        "kind": "image", "image": image["content_uri"], "text": "green",
        "cross_post": ["instagram"]})

    async def delivered():
        got = await api_ok(stack, "GET", f"/posts/{quote(post['id'], safe='')}", alice)
        return got if [c["status"] for c in got["cross_posts"]] == ["delivered"] else None

    await eventually(delivered, what="the Instagram cross-post")
    url, content_type = fakes.instagram.fetched_images[-1]
    assert content_type == "image/jpeg"
    assert derivatives.made == made + 1
    stored = await db(stack).fetchval(
        "SELECT mxc FROM media_derivative WHERE source_mxc=$1 AND kind='instagram_jpeg'",
        image["content_uri"])
    assert stored and stored != image["content_uri"]

    # The copy on the homeserver, as any client downloads it.
    download = await stack.nio(alice).download(mxc=stored)
    assert isinstance(download, DownloadResponse), download
    with Image.open(io.BytesIO(download.body)) as jpeg:
        assert (jpeg.format, jpeg.size) == ("JPEG", (1080, 720))

    # The original is deleted from the homeserver (by its admin): fetches are served from
    # the stored JPEG, so they do not even need it.
    await _delete_media(stack, image["content_uri"])
    gone = await stack.nio(alice).download(mxc=image["content_uri"])
    assert not isinstance(gone, DownloadResponse), "the original is still there"

    # Ten fetches at once: each gets those very bytes, and nothing is converted again.
    async with aiohttp.ClientSession() as session:
        async def fetch() -> tuple[int, bytes]:
            async with session.get(url) as response:
                return response.status, await response.read()

        fetched = await asyncio.gather(*[fetch() for _ in range(10)])
    assert fetched == [(200, download.body)] * 10
    assert derivatives.made == made + 1


async def _delete_media(stack, mxc: str) -> None:
    admin = await stack.synapse.register_user(f"admin{time.time_ns() % 10**9}",
                                              "admin-password", admin=True)
    server, media_id = mxc.removeprefix("mxc://").split("/")
    status, body = await stack.request(
        "DELETE", f"{stack.synapse.url}/_synapse/admin/v1/media/{server}/{media_id}",
        token=admin["access_token"])
    assert status == 200 and body["deleted_media"] == [media_id], (status, body)
