"""Image uploads: the content type is sniffed from the bytes, never taken from the client."""

from __future__ import annotations

import io

from PIL import Image, UnidentifiedImageError

_ALLOWED = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}


def sniff_image(data: bytes) -> tuple[str, int, int] | None:
    """(mimetype, width, height) for a JPEG, PNG, GIF or WebP image; None for anything else.

    Blocking (decodes headers); run it in a thread.
    """
    try:
        with Image.open(io.BytesIO(data)) as image:
            mimetype = _ALLOWED.get(image.format or "")
            if mimetype is None:
                return None
            image.verify()
            return mimetype, image.width, image.height
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError):
        return None
