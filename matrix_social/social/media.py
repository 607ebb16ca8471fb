"""Uploads: images (sniffed as JPEG, PNG, GIF or WebP) and files, stored on the homeserver as
the user, remembered so a post or message can only use the uploader's own media."""

from __future__ import annotations

import asyncio
from typing import Any

from mautrix.util.async_db import Database

from ..db import media
from ..errors import InvalidInput, TooLarge
from ..matrix.intents import Intents
from .images import ImageLimits, inspect


class Media:
    def __init__(self, db: Database, intents: Intents, max_bytes: int,
                 limits: ImageLimits) -> None:
        self.db = db
        self.intents = intents
        self.max_bytes = max_bytes
        self.limits = limits

    async def upload(self, owner: str, data: bytes, kind: str = "image") -> dict[str, Any]:
        """Files are stored as octet-stream unless they sniff as one of those images. An
        image over the pixel limits (read from its header) is refused (TooLarge), or kept as
        a plain file when sent as one."""
        if len(data) > self.max_bytes:
            raise InvalidInput(f"upload is larger than {self.max_bytes} bytes")
        if kind not in ("image", "file"):
            raise InvalidInput("'kind' must be image or file")
        try:
            header = await asyncio.to_thread(inspect, data, self.limits)
        except TooLarge:
            if kind == "image":
                raise
            header = None
        if header is None and kind == "image":
            raise InvalidInput("not a JPEG, PNG, GIF or WebP image")
        mimetype, width, height = ((header.mimetype, header.width, header.height) if header
                                   else ("application/octet-stream", None, None))
        intent = await self.intents.for_user(owner)
        mxc = await intent.upload_media(data, mime_type=mimetype)
        await media.insert(self.db, mxc, owner, mimetype, len(data), width, height)
        return {"content_uri": mxc, "mimetype": mimetype, "size": len(data),
                "width": width, "height": height}

    async def own(self, owner: str, mxc: Any, field: str):
        """The upload row of `mxc`, if `owner` uploaded it through /media."""
        row = await media.get(self.db, mxc) if isinstance(mxc, str) else None
        if row is None or row["owner"] != owner:
            raise InvalidInput(f"'{field}' must be a content_uri you uploaded through /media")
        return row
