"""Downloading what a platform links to (avatars, item images) so the bridge can upload it to
the homeserver: any URL a platform sends is data (a Mastodon instance is anybody's server), so
only http(s), only public addresses (each hop of a redirect resolved and checked before it is
connected to, so neither a redirect nor a DNS answer can lead to a private, loopback or
unspecified one; at most net.MAX_REDIRECTS hops), a size cap, and only bytes that are an
image."""

from __future__ import annotations

import asyncio
import logging

import requests

from .net import guarded_session
from .platform import safe_url

log = logging.getLogger("matrix_social.external.media")

MAX_IMAGE_BYTES = 8 * 1024 * 1024
TIMEOUT_S = 15.0
_CHUNK = 64 * 1024
_MAGIC = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"),
          (b"GIF87a", "image/gif"), (b"GIF89a", "image/gif"))


def image_type(data: bytes) -> str | None:
    """The image type from the bytes themselves (JPEG, PNG, GIF, WebP), never from a header."""
    for magic, mimetype in _MAGIC:
        if data.startswith(magic):
            return mimetype
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


async def fetch_image(url: str | None, allow_loopback: bool = False,
                      max_bytes: int = MAX_IMAGE_BYTES) -> tuple[bytes, str] | None:
    """(bytes, mimetype) of the image at `url`, or None when it is not one we may fetch, not
    reachable, too large or not an image. Never raises for what the URL points at."""
    checked = safe_url(url)
    if checked is None:
        return None

    def download() -> bytes | None:
        with guarded_session(allow_loopback, TIMEOUT_S) as session, session.get(
                checked, stream=True, allow_redirects=True, timeout=TIMEOUT_S) as response:
            if response.status_code != 200:
                return None
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                return None
            data = bytearray()
            for chunk in response.iter_content(_CHUNK):
                data += chunk
                if len(data) > max_bytes:
                    return None
            return bytes(data)

    try:
        data = await asyncio.to_thread(download)
    except (requests.RequestException, OSError, ValueError) as e:
        log.info("image not fetched: %s", type(e).__name__)
        return None
    if not data:
        return None
    mimetype = image_type(data)
    return (data, mimetype) if mimetype else None
