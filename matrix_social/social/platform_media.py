"""Signed, expiring public URLs for a post's image, so a platform that fetches images itself
(Instagram: "we cURL media... must be hosted on a publicly accessible server") can get one
JPEG, and nobody else can use the route to read arbitrary media of the homeserver.

A URL is `{public_url}/api/social/platform-media/{payload}.{signature}.jpg`: the payload names
the mxc URI and the expiry; the signature is an HMAC-SHA256 with a key derived from the token
encryption key (never in the database). What a deployment must expose publicly: this one path
prefix of the service, at `platforms.public_url`.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import re

from mautrix.errors import MatrixRequestError
from mautrix.types import ContentURI

from ..clock import now_ms
from ..errors import Forbidden, NotFound
from ..matrix.intents import Intents
from ..platforms.formatting import as_jpeg
from ..platforms.media_fetch import image_type

ROUTE = "/platform-media"
_MXC = re.compile(r"mxc://[A-Za-z0-9.\-:\[\]]+/[A-Za-z0-9_\-]+")
_TOKEN = re.compile(r"([A-Za-z0-9_\-]{1,600})\.([A-Za-z0-9_\-]{43})\.jpg")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


SIGNING_PURPOSE = b"matrix-social platform media v1"  # derived from the token key


class MediaLinks:
    def __init__(self, key: bytes, public_url: str, ttl_s: int, intents: Intents,
                 max_bytes: int) -> None:
        self.key = key
        self.public_url = public_url.rstrip("/")
        self.ttl_ms = ttl_s * 1000
        self.intents = intents
        self.max_bytes = max_bytes

    def _signature(self, payload: str) -> str:
        return _b64(hmac.new(self.key, payload.encode(), hashlib.sha256).digest())

    def url(self, mxc: str, expires_at_ms: int | None = None) -> str:
        if not _MXC.fullmatch(mxc):
            raise ValueError("not an mxc URI")
        expires = expires_at_ms if expires_at_ms is not None else now_ms() + self.ttl_ms
        payload = _b64(json.dumps([mxc, expires], separators=(",", ":")).encode())
        return f"{self.public_url}/api/social{ROUTE}/{payload}.{self._signature(payload)}.jpg"

    def verify(self, token: str) -> str:
        """The mxc URI a token names, if its signature holds and it has not expired."""
        match = _TOKEN.fullmatch(token or "")
        if match is None:
            raise NotFound("No such image")
        payload, signature = match.groups()
        if not hmac.compare_digest(signature, self._signature(payload)):
            raise Forbidden("This image link is not valid")
        try:
            mxc, expires = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except (ValueError, TypeError):
            raise Forbidden("This image link is not valid") from None
        if not isinstance(expires, int) or expires < now_ms():
            raise Forbidden("This image link has expired")
        if not isinstance(mxc, str) or not _MXC.fullmatch(mxc):
            raise Forbidden("This image link is not valid")
        return mxc

    async def jpeg(self, token: str) -> bytes:
        """The image a valid token names, as JPEG."""
        mxc = self.verify(token)
        try:
            data = await self.intents.bot.download_media(ContentURI(mxc))
        except MatrixRequestError:
            raise NotFound("No such image") from None
        if len(data) > self.max_bytes or image_type(data) is None:
            raise NotFound("No such image")
        return await asyncio.to_thread(as_jpeg, data)
