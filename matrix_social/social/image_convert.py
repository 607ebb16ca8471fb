"""A JPEG of an uploaded image for a platform that takes nothing else (Instagram), made in
bounded memory: the size is checked from the header first (media.py), then the pixels are
reduced while they are decoded, before any conversion.

- JPEG within what Instagram keeps (at most 1440 px wide, 8 MB) is sent as it is;
- a larger JPEG is decoded at 1/2, 1/4 or 1/8 scale by libjpeg itself (Image.draft);
- an 8-bit non-interlaced PNG is decoded in bands (png_bands.py), each reduced as it comes;
- anything else is decoded whole (within ImageLimits.max_decode_bytes) and converted in bands.

The result is at most TARGET_SIDE pixels on its longer side (Instagram shows 1080 px). Blocking
and CPU-bound: callers run it in a thread (social/derivatives.py, with a concurrency bound).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import io
import math
import warnings
from collections.abc import Iterator

from PIL import Image

from ..errors import TooLarge
from . import png_bands
from .media import ImageHeader, ImageLimits, read_header

TARGET_SIDE = 1080
PASS_SIDE = 1440  # Instagram's widest; a JPEG within this and PASS_BYTES is sent unchanged
PASS_BYTES = 8 * 1024 * 1024
BAND_BYTES = 2 * 1024 * 1024  # decoded lines per band, about
_ORIENTATION = 0x0112
_TRANSPOSE = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
              4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
              6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
              8: Image.Transpose.ROTATE_90}


def as_jpeg(data: bytes, limits: ImageLimits, quality: int = 90) -> bytes:
    """The image as a JPEG Instagram takes. TooLarge for an image over the limits; ValueError
    for bytes that are not an image."""
    header = read_header(data)
    if header is None:
        raise ValueError("not an image")
    refusal = limits.conversion_refusal(header)
    if refusal:
        raise TooLarge(refusal)
    if header.format == "JPEG" and max(header.width, header.height) <= PASS_SIDE \
            and len(data) <= PASS_BYTES:
        return data
    # Reduced by a whole factor while decoding (to at least TARGET_SIDE), then resized.
    factor = max(1, max(header.width, header.height) // TARGET_SIDE)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        if header.format == "JPEG":
            small = _jpeg_reduced(data, header)
        else:
            png = png_bands.layout(data) if header.streamed else None
            source = (png_bands.bands(png, _rows(png.width * 4, factor)) if png is not None
                      else _whole_in_bands(data, factor))
            small = _assembled(source, header, factor)
            small.thumbnail((TARGET_SIDE, TARGET_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    small.save(out, "JPEG", quality=quality)
    return out.getvalue()


def as_jpeg_released(data: bytes, limits: ImageLimits) -> bytes:
    """as_jpeg, then the freed memory handed back to the system: glibc keeps what a worker
    thread freed in that thread's arena, so without this every conversion would leave the
    process tens of megabytes larger."""
    try:
        return as_jpeg(data, limits)
    finally:
        if _LIBC is not None:
            _LIBC.malloc_trim(0)


def fix_mmap_threshold() -> None:
    """Large blocks (image buffers, libwebp's canvases) from fresh mmap pages, always: glibc
    otherwise raises its threshold after each large free, and the next large block comes from
    the heap, where calloc must write every page (a WebP's two canvases then cost their full
    size at once) and a free gives nothing back. Process-wide; called once at start."""
    if _LIBC is not None and hasattr(_LIBC, "mallopt"):
        _LIBC.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)


def _libc():
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None


_LIBC = _libc()
_M_MMAP_THRESHOLD = -3  # glibc's malloc.h
MMAP_THRESHOLD = 1024 * 1024


def _rows(bytes_per_line: int, factor: int) -> int:
    """Lines per band: about BAND_BYTES, a multiple of the reduction factor."""
    return max(factor, BAND_BYTES // max(1, bytes_per_line) // factor * factor)


def _jpeg_reduced(data: bytes, header: ImageHeader) -> Image.Image:
    with Image.open(io.BytesIO(data)) as image:
        scale = TARGET_SIDE / max(header.width, header.height)
        image.draft("RGB", (math.ceil(header.width * scale), math.ceil(header.height * scale)))
        orientation = image.getexif().get(_ORIENTATION)
        image.load()
        small = image.convert("RGB") if image.mode != "RGB" else image.copy()
    small.thumbnail((TARGET_SIDE, TARGET_SIDE), Image.Resampling.LANCZOS)
    return _oriented(small, orientation)


def _whole_in_bands(data: bytes, factor: int) -> Iterator[Image.Image]:
    """An image Pillow can only decode whole (its first frame), cut into bands to convert."""
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        rows = _rows(image.width * 4, factor)
        for top in range(0, image.height, rows):
            yield image.crop((0, top, image.width, min(image.height, top + rows)))


def _assembled(source: Iterator[Image.Image], header: ImageHeader, factor: int
               ) -> Image.Image:
    """Each band converted to RGB and reduced by `factor` as it comes, pasted in place."""
    out = Image.new("RGB", (math.ceil(header.width / factor),
                            math.ceil(header.height / factor)), "white")
    top = 0
    for band in source:
        rgb = band.convert("RGB") if band.mode != "RGB" else band
        out.paste(rgb.reduce(factor) if factor > 1 else rgb, (0, top // factor))
        top += band.height
    if top != header.height:
        raise ValueError("the image data ended early")
    return out


def _oriented(image: Image.Image, orientation: int | None) -> Image.Image:
    method = _TRANSPOSE.get(orientation or 1)
    return image.transpose(method) if method is not None else image
