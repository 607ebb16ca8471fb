"""Request bodies as a real network delivers them: in segments with pauses between them (a
phone's uplink), in many small pieces, chunked. Every route reads the whole body (up to its
limit) whatever the segmentation; a body over the limit is refused with 413 M_TOO_LARGE as
soon as the limit is passed, never read to its end.

The client is a raw asyncio socket, so the test decides exactly which bytes leave when."""

from __future__ import annotations

import asyncio
import io
import json
import os
import time
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from PIL import Image

from .harness import api_ok

Sender = Callable[[asyncio.StreamWriter, bytes], Awaitable[None]]


def _noise_png(side: int = 185) -> bytes:
    """About 100 KB that no compression makes smaller: random pixels."""
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(out, "PNG")
    return out.getvalue()


async def _split_with_a_pause(writer: asyncio.StreamWriter, body: bytes) -> None:
    """30,000 bytes, a 0.3 s pause, the rest: what the issue saw fail."""
    writer.write(body[:30000])
    await writer.drain()
    await asyncio.sleep(0.3)
    writer.write(body[30000:])
    await writer.drain()


async def _many_small_segments(writer: asyncio.StreamWriter, body: bytes) -> None:
    for start in range(0, len(body), 4096):
        writer.write(body[start:start + 4096])
        await writer.drain()
        await asyncio.sleep(0.02)


async def _chunked(writer: asyncio.StreamWriter, body: bytes) -> None:
    """Transfer-Encoding: chunked (no Content-Length), 8 KB chunks, a pause half way."""
    for start in range(0, len(body), 8192):
        piece = body[start:start + 8192]
        writer.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        await writer.drain()
        if start // 8192 == 4:
            await asyncio.sleep(0.3)
    writer.write(b"0\r\n\r\n")
    await writer.drain()


SENDERS: dict[str, Sender] = {"30000 bytes, a pause, the rest": _split_with_a_pause,
                              "many small segments": _many_small_segments,
                              "chunked": _chunked}


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, dict]:
    status_line = await reader.readline()
    status = int(status_line.split()[1])
    length = None
    for _ in range(100):
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.decode().partition(":")
        if name.lower() == "content-length":
            length = int(value)
    body = await reader.readexactly(length) if length else await reader.read()
    return status, json.loads(body) if body else {}


async def _send(stack, method: str, path: str, token: str, body: bytes, sender: Sender,
                content_type: str, extra_headers: str = "") -> tuple[int, dict]:
    reader, writer = await asyncio.open_connection("127.0.0.1", stack.as_port)
    try:
        framing = ("Transfer-Encoding: chunked" if sender is _chunked
                   else f"Content-Length: {len(body)}")
        writer.write(f"{method} /api/social{path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     f"Authorization: Bearer {token}\r\nContent-Type: {content_type}\r\n"
                     f"{framing}\r\n{extra_headers}Connection: close\r\n\r\n".encode())
        await writer.drain()
        await sender(writer, body)
        return await asyncio.wait_for(_read_response(reader), timeout=60)
    finally:
        writer.close()


async def test_bodies_arriving_in_segments_are_read_whole(stack):
    """An image upload, an avatar (its upload, then the profile's JSON) and a JSON post, each
    sent three ways: every one is read whole, as if it had come in one write."""
    alice = await stack.register("alice")
    token = alice.access_token
    for name, sender in SENDERS.items():
        image = _noise_png()
        assert len(image) > 60000
        status, media = await _send(stack, "POST", "/media", token, image, sender, "image/png")
        assert (status, media.get("size"), media.get("width")) == (201, len(image), 185), \
            (name, status, media)

        avatar = _noise_png(170)
        status, uploaded = await _send(stack, "POST", "/media", token, avatar, sender,
                                       "image/png")
        assert status == 201 and uploaded["size"] == len(avatar), (name, status, uploaded)
        profile = json.dumps({"avatar_url": uploaded["content_uri"],
                              "bio": "b" * 200}).encode()
        profile = profile[:-1] + b" " * 40000 + b"}"  # still one JSON object, 40 KB
        status, body = await _send(stack, "PATCH", "/profile", token, profile, sender,
                                   "application/json")
        assert status == 200, (name, status, body)
        shown = await api_ok(stack, "GET", f"/profile/{quote(alice.user_id)}", alice)
        assert shown["avatar_url"] == uploaded["content_uri"], name

        text = f"segmented post, {name}"
        post = json.dumps({"text": text}).encode()
        post = post[:-1] + b" " * 40000 + b"}"
        status, body = await _send(stack, "POST", "/posts", token, post, sender,
                                   "application/json")
        assert (status, body.get("text")) == (201, text), (name, status, body)

    # Larger than a JSON body may be, with an Idempotency-Key (whose middleware reads the
    # body first): still the upload's own limit.
    big = _noise_png(700)
    assert len(big) > stack.config["appservice.max_body_size"] * 1024 * 1024
    status, media = await _send(stack, "POST", "/media", token, big, _chunked, "image/png",
                                f"Idempotency-Key: big-{os.urandom(4).hex()}\r\n")
    assert (status, media.get("size")) == (201, len(big)), (status, media)


async def test_an_oversized_body_is_refused_without_reading_it_all(stack):
    """Chunked (no Content-Length to refuse up front): the client would send four times the
    limit; the answer, 413 M_TOO_LARGE, comes once the limit is passed, while the client is
    still sending, and nothing is stored."""
    alice = await stack.register("alice")
    media_limit = stack.config["api.max_image_size"] * 1024 * 1024
    json_limit = stack.config["appservice.max_body_size"] * 1024 * 1024
    before = await stack.bridge.db.fetchval(
        "SELECT COUNT(*) FROM media_upload WHERE owner=$1", alice.user_id)
    for path, content_type, limit in (("/media", "image/png", media_limit),
                                      ("/posts", "application/json", json_limit)):
        status, body, sent = await _flood(stack, path, alice.access_token, content_type,
                                          total=4 * limit)
        assert (status, body.get("errcode")) == (413, "M_TOO_LARGE"), (path, status, body)
        assert limit < sent < 4 * limit, (path, sent)
    after = await stack.bridge.db.fetchval(
        "SELECT COUNT(*) FROM media_upload WHERE owner=$1", alice.user_id)
    assert after == before


async def _flood(stack, path: str, token: str, content_type: str, total: int
                 ) -> tuple[int, dict, int]:
    """Send up to `total` bytes chunked while waiting for the answer; the bytes sent by the
    time the answer came."""
    reader, writer = await asyncio.open_connection("127.0.0.1", stack.as_port)
    sent = 0
    piece = b"\x89PNG\r\n\x1a\n" + b"\0" * (64 * 1024 - 8)

    async def send() -> None:
        nonlocal sent
        writer.write(f"POST /api/social{path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     f"Authorization: Bearer {token}\r\nContent-Type: {content_type}\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n".encode())
        deadline = time.monotonic() + 120
        try:
            while sent < total and time.monotonic() < deadline:
                writer.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                await writer.drain()
                sent += len(piece)
                await asyncio.sleep(0.001)
            writer.write(b"0\r\n\r\n")
            await writer.drain()
        except (ConnectionError, OSError):
            pass  # the server answered and closed: what we wait for

    sending = asyncio.create_task(send())
    try:
        status, body = await asyncio.wait_for(_read_response(reader), timeout=120)
        at_answer = sent
    finally:
        sending.cancel()
        await asyncio.gather(sending, return_exceptions=True)
        writer.close()
    return status, body, at_answer
