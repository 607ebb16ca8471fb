"""Signed, expiring public URLs for a post's image, so a platform that fetches images itself
(Instagram: "we cURL media... must be hosted on a publicly accessible server") can get one
JPEG, and nobody else can use the route to read arbitrary media of the homeserver.

The JPEG is made once, before its URL is handed out, and kept (social/derivatives.py): a
fetch reads the stored copy and decodes nothing.

A URL is `{public_url}/api/social/platform-media/{payload}.{signature}.jpg`: the payload names
the mxc URI and the expiry; the signature is an HMAC-SHA256 with a key derived from the token
encryption key (never in the database). What a deployment must expose publicly: this one path
prefix of the service, at `platforms.public_url`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re

from ..clock import now_ms
from ..errors import Forbidden, NotFound
from ..social.derivatives import ImageDerivatives

ROUTE = "/platform-media"
_MXC = re.compile(r"mxc://[A-Za-z0-9.\-:\[\]]+/[A-Za-z0-9_\-]+")
_TOKEN = re.compile(r"([A-Za-z0-9_\-]{1,600})\.([A-Za-z0-9_\-]{43})\.jpg")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


SIGNING_PURPOSE = b"matrix-social platform media v1"  # derived from the token key


def _signature(key: bytes, payload: str) -> str:
    return _b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())


def signed_url(key: bytes, public_url: str, mxc: str, expires_at_ms: int) -> str:
    """The public URL of `mxc`'s JPEG, valid until `expires_at_ms` (bench/images.py signs its
    own with the configured key, as an earlier link would be)."""
    if not _MXC.fullmatch(mxc):
        raise ValueError("not an mxc URI")
    payload = _b64(json.dumps([mxc, expires_at_ms], separators=(",", ":")).encode())
    return f"{public_url.rstrip('/')}/api/social{ROUTE}/{payload}.{_signature(key, payload)}.jpg"


class MediaLinks:
    def __init__(self, key: bytes, public_url: str, ttl_s: int,
                 derivatives: ImageDerivatives) -> None:
        self.key = key
        self.public_url = public_url.rstrip("/")
        self.ttl_ms = ttl_s * 1000
        self.derivatives = derivatives
        self.max_bytes = derivatives.max_bytes

    def _signature(self, payload: str) -> str:
        return _signature(self.key, payload)

    def url(self, mxc: str, expires_at_ms: int | None = None) -> str:
        expires = expires_at_ms if expires_at_ms is not None else now_ms() + self.ttl_ms
        return signed_url(self.key, self.public_url, mxc, expires)

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

    async def jpeg_url(self, mxc: str) -> str:
        """A signed URL of the JPEG of `mxc`, the JPEG made (once) before the URL is handed
        out. TooLarge or ValueError when the image cannot be made one."""
        await self.derivatives.instagram_jpeg(mxc)
        return self.url(mxc)

    async def jpeg(self, token: str) -> bytes:
        """The JPEG of the image a valid token names, from the store: no decoding here (only
        a link made before the store existed has its JPEG made, once, at its first fetch)."""
        mxc = self.verify(token)
        try:
            return await self.derivatives.instagram_jpeg_bytes(mxc)
        except ValueError:  # TooLarge included: not an image we convert
            raise NotFound("No such image") from None
