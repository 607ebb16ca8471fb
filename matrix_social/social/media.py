"""Uploads: images (sniffed as JPEG, PNG, GIF or WebP) and files, stored on the homeserver as
the user, remembered so a post or message can only use the uploader's own media.

An image's content type is sniffed from the bytes, never taken from the client, and its size in
pixels is read from the header and capped before any pixel is decoded (a 160 KB PNG can hold
13000x13000 pixels: 676 MB once decoded).

What a conversion costs (image_convert.py): JPEG is decoded at a reduced scale (Image.draft)
and 8-bit non-interlaced PNG in bands (png_bands.py), a few megabytes whatever the size; every
other image (GIF, WebP, interlaced or 16-bit PNG) is decoded whole, so its conversion is
bounded by `max_decode_bytes` as well.
"""

from __future__ import annotations

import asyncio
import io
import warnings
from dataclasses import dataclass
from typing import Any

from mautrix.util.async_db import Database
from PIL import Image, UnidentifiedImageError

from ..config.sections import MediaSection
from ..db import media
from ..errors import InvalidInput, TooLarge
from ..matrix.intents import Intents

_ALLOWED = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}
# Memory one pixel takes while an image is decoded whole, by format (Pillow keeps RGB as 4
# bytes; libwebp holds two canvases and its own buffers, Pillow a copy besides the image:
# 21 measured in the running service, bench/images.py).
_WHOLE_BYTES_PER_PIXEL = {"WEBP": 24, "GIF": 2}
_MODE_BYTES = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16B": 2, "I;16L": 2}


@dataclass(frozen=True)
class ImageLimits:
    max_pixels: int
    max_side: int
    max_decode_bytes: int

    @classmethod
    def configured(cls, media: MediaSection) -> ImageLimits:
        """From the config's section api.media (its defaults and checks are there)."""
        return cls(media.max_pixels, media.max_side, media.max_decode_mb * 1024 * 1024)

    def refusal(self, header: ImageHeader) -> str | None:
        """Why this image is not taken, or None. Reads nothing but the header's numbers."""
        if max(header.width, header.height) > self.max_side or \
                header.pixels > self.max_pixels:
            return (f"Images are limited to {self.max_pixels:,} pixels and {self.max_side:,} "
                    f"pixels per side; this one is {header.width:,}x{header.height:,}")
        return None

    def conversion_refusal(self, header: ImageHeader) -> str | None:
        """Why this image cannot be converted (made a JPEG of) here, or None."""
        refusal = self.refusal(header)
        if refusal or header.streamed or header.whole_decode_bytes <= self.max_decode_bytes:
            return refusal
        most = self.max_decode_bytes // header.whole_bytes_per_pixel
        return (f"This {header.format} image has {header.pixels:,} pixels: images of its kind "
                f"are converted whole, up to {most:,} pixels (JPEG and 8-bit PNG up to "
                f"{self.max_pixels:,})")


@dataclass(frozen=True)
class ImageHeader:
    mimetype: str
    format: str
    mode: str
    width: int
    height: int
    interlaced: bool
    bits: int  # per sample (PNG); 8 elsewhere

    @property
    def pixels(self) -> int:
        return self.width * self.height

    @property
    def streamed(self) -> bool:
        """Converted in bounded memory whatever its size (JPEG by draft, PNG by bands)."""
        if self.format == "JPEG":
            return True
        return self.format == "PNG" and not self.interlaced and self.bits == 8

    @property
    def whole_bytes_per_pixel(self) -> int:
        return _WHOLE_BYTES_PER_PIXEL.get(self.format) or _MODE_BYTES.get(self.mode, 4)

    @property
    def whole_decode_bytes(self) -> int:
        return self.pixels * self.whole_bytes_per_pixel


def read_header(data: bytes) -> ImageHeader | None:
    """The header of a JPEG, PNG, GIF or WebP image (no pixel decoded); None for anything
    else. TooLarge beyond Pillow's own bomb limit (the header says more than 179 Mpx)."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        # Read here, not by Pillow: opening a WebP makes libwebp allocate its canvases.
        size = _webp_size(data)
        return ImageHeader("image/webp", "WEBP", "RGBA", *size, False, 8) if size else None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                mimetype = _ALLOWED.get(image.format or "")
                if mimetype is None:
                    return None
                return ImageHeader(mimetype, image.format, image.mode, image.width,
                                   image.height, bool(image.info.get("interlace")),
                                   _png_bits(data) if image.format == "PNG" else 8)
    except Image.DecompressionBombError:
        raise TooLarge(f"Images are limited to {Image.MAX_IMAGE_PIXELS * 2:,} pixels "
                       "at most, and this one has more") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    """The canvas size from a WebP's first chunk (lossy VP8, lossless VP8L or extended VP8X),
    as libwebp reads it."""
    chunk = data[12:16]
    if chunk == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":
        return (int.from_bytes(data[26:28], "little") & 0x3FFF,
                int.from_bytes(data[28:30], "little") & 0x3FFF)
    if chunk == b"VP8X" and len(data) >= 30:
        return (int.from_bytes(data[24:27], "little") + 1,
                int.from_bytes(data[27:30], "little") + 1)
    if chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def _png_bits(data: bytes) -> int:
    """Bits per sample from the IHDR (Pillow's mode does not tell 8 from 1, 2 or 4)."""
    return data[24] if len(data) > 24 and data[12:16] == b"IHDR" else 0


def verified(data: bytes, header: ImageHeader) -> bool:
    """The file's structure holds together (PNG chunk checksums...); decodes no pixel. Not
    for WebP, whose opening allocates the canvas (and Pillow checks nothing more for it)."""
    if header.format == "WEBP":
        return True
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                image.verify()
        return True
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError):
        return False


def inspect(data: bytes, limits: ImageLimits) -> ImageHeader | None:
    """The header of an image upload within `limits`, None when the bytes are not an image
    (TooLarge when they are one with too many pixels). Blocking: run it in a thread."""
    header = read_header(data)
    if header is None:
        return None
    refusal = limits.refusal(header)
    if refusal:
        raise TooLarge(refusal)
    return header if verified(data, header) else None


class Uploads:
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
