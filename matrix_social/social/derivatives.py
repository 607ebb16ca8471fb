"""Converted copies of uploaded images (the JPEG Instagram fetches), made once and kept.

Where they are kept: on the homeserver, uploaded by the bot as media of their own, with the
mapping source -> copy in the database (db/media_derivatives.py). The homeserver already holds
the original, every process of the service reaches it (API replicas included), and nothing
new needs a disk or a backup; a copy its media retention removed is made again.

Making one (image_convert.py) is CPU and memory work: it runs in a worker thread, never on
the event loop, at most `concurrency` at a time in the process, and once per image even when
many requests ask at the same moment (the first makes it, the others wait for it).
"""

from __future__ import annotations

import asyncio

from mautrix.errors import MatrixRequestError
from mautrix.types import ContentURI
from mautrix.util.async_db import Database

from ..clock import now_ms
from ..db import media_derivatives as derivatives
from ..errors import NotFound
from ..locks import KeyedLocks
from ..matrix.intents import Intents
from .image_convert import as_jpeg_released, fix_mmap_threshold
from .media import ImageLimits


class ImageDerivatives:
    def __init__(self, db: Database, intents: Intents, limits: ImageLimits,
                 max_bytes: int, concurrency: int) -> None:
        self.db = db
        self.intents = intents
        self.limits = limits
        self.max_bytes = max_bytes
        self.converting = asyncio.Semaphore(concurrency)
        self._making = KeyedLocks()
        self.made = 0  # conversions done by this process (tests, the bench)
        fix_mmap_threshold()

    async def instagram_jpeg(self, source: str) -> str:
        """The mxc URI of the JPEG of `source`, made now if it was not yet. TooLarge for an
        image over the limits, ValueError for one that cannot be read."""
        kind = derivatives.INSTAGRAM_JPEG
        found = await derivatives.get(self.db, source, kind)
        if found is not None:
            return found
        async with self._making.hold((source, kind)):
            found = await derivatives.get(self.db, source, kind)  # made while we waited
            if found is not None:
                return found
            data = await self._download(source)
            if len(data) > self.max_bytes:
                raise ValueError("the image is larger than uploads may be")
            async with self.converting:
                jpeg = await asyncio.to_thread(as_jpeg_released, data, self.limits)
            self.made += 1
            if jpeg is data:  # a JPEG Instagram takes as it is: the copy is the original
                mxc = source
            else:
                mxc = str(await self.intents.bot.upload_media(jpeg, mime_type="image/jpeg"))
            return await derivatives.put(self.db, source, kind, mxc, len(jpeg), now_ms())

    async def instagram_jpeg_bytes(self, source: str) -> bytes:
        """The bytes of the stored JPEG of `source` (made first if it was not yet)."""
        for _ in range(2):
            mxc = await self.instagram_jpeg(source)
            try:
                return await self._download(mxc)
            except NotFound:
                if mxc == source:
                    raise
                await derivatives.forget(self.db, source, derivatives.INSTAGRAM_JPEG, mxc)
        raise NotFound("No such image")

    async def _download(self, mxc: str) -> bytes:
        try:
            return await self.intents.bot.download_media(ContentURI(mxc))
        except MatrixRequestError:
            raise NotFound("No such image") from None
