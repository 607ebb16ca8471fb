"""Uploads: images (sniffed as JPEG, PNG, GIF or WebP) and files, stored on the homeserver as
the user, remembered so a post or message can only use the uploader's own media."""

from __future__ import annotations

import asyncio
from typing import Any

from mautrix.util.async_db import Database

from ..db import media
from ..errors import InvalidInput
from ..matrix.intents import Intents
from .images import sniff_image


class Media:
    def __init__(self, db: Database, intents: Intents, max_bytes: int) -> None:
        self.db = db
        self.intents = intents
        self.max_bytes = max_bytes

    async def upload(self, owner: str, data: bytes, kind: str = "image") -> dict[str, Any]:
        """Files are stored as octet-stream unless they sniff as one of those images."""
        if len(data) > self.max_bytes:
            raise InvalidInput(f"upload is larger than {self.max_bytes} bytes")
        if kind not in ("image", "file"):
            raise InvalidInput("'kind' must be image or file")
        sniffed = await asyncio.get_running_loop().run_in_executor(None, sniff_image, data)
        if sniffed is None and kind == "image":
            raise InvalidInput("not a JPEG, PNG, GIF or WebP image")
        mimetype, width, height = sniffed or ("application/octet-stream", None, None)
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
