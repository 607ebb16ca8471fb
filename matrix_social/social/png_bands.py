"""A PNG decoded in horizontal bands, so a large one costs a few megabytes, not its whole
size (40 Mpx of RGBA is 160 MB once decoded; Pillow offers no scaled decoding for PNG).

For non-interlaced PNGs of 8 bits per sample (every colour type). The image data is inflated
here, a band of scanlines at a time; Pillow's own PNG decoder (the "zip" decoder, in C)
unfilters each band. A scanline's filter may refer to the line above it, so each band after
the first is given the last line of the band before, already unfiltered, as its first line
(filter type 0, "none"), and that line is cut off again after decoding.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

from PIL import Image

SIGNATURE = b"\x89PNG\r\n\x1a\n"
_COLOUR_TYPES = {0: ("L", 1), 2: ("RGB", 3), 3: ("P", 1), 4: ("LA", 2), 6: ("RGBA", 4)}


@dataclass(frozen=True)
class PngLayout:
    width: int
    height: int
    mode: str
    channels: int
    palette: bytes | None
    data: tuple[memoryview, ...]  # the IDAT chunks' contents, in order

    @property
    def stride(self) -> int:
        """Bytes per scanline, with its filter-type byte."""
        return self.width * self.channels + 1


def layout(data: bytes) -> PngLayout | None:
    """The layout of a PNG this module decodes (8 bits per sample, not interlaced), or None."""
    if not data.startswith(SIGNATURE):
        return None
    view = memoryview(data)
    pos, header, palette, chunks = len(SIGNATURE), None, None, []
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", view[pos:pos + 8])
        body = view[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"PLTE":
            palette = bytes(body)
        elif kind == b"IDAT":
            chunks.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    if header is None:
        return None
    width, height, bits, colour_type, _, _, interlace = header
    if bits != 8 or interlace or colour_type not in _COLOUR_TYPES or not chunks:
        return None
    mode, channels = _COLOUR_TYPES[colour_type]
    return PngLayout(width, height, mode, channels, palette, tuple(chunks))


def bands(png: PngLayout, rows: int) -> Iterator[Image.Image]:
    """The image as bands of `rows` lines (the last may have fewer), top to bottom. Raises
    ValueError when the data does not hold exactly the image's lines."""
    wanted = rows * png.stride
    inflater = zlib.decompressobj()
    pending = bytearray()
    previous: bytes | None = None  # the last line of the band before, unfiltered
    done = 0

    def decode(lines: bytes) -> Image.Image:
        nonlocal previous, done
        count = len(lines) // png.stride
        head = b"" if previous is None else b"\x00" + previous
        image = Image.frombytes(png.mode, (png.width, count + (previous is not None)),
                                zlib.compress(head + lines, 0), "zip", png.mode)
        if previous is not None:
            image = image.crop((0, 1, png.width, count + 1))
        if png.palette is not None and png.mode == "P":
            image.putpalette(png.palette)
        previous = image.crop((0, count - 1, png.width, count)).tobytes("raw", png.mode)
        done += count
        return image

    def inflated() -> Iterator[bytes]:
        for chunk in png.data:
            tail: bytes | memoryview = chunk
            while tail:
                yield inflater.decompress(tail, wanted)
                tail = inflater.unconsumed_tail
        for _ in range(png.height + 1):  # output zlib still holds, at most `wanted` a time
            out = inflater.decompress(b"", wanted)
            if not out:
                break
            yield out
        yield inflater.flush()

    for out in inflated():
        pending += out
        while len(pending) >= wanted:
            if done + rows > png.height:
                raise ValueError("more image data than lines")
            yield decode(bytes(pending[:wanted]))
            del pending[:wanted]
    if len(pending) % png.stride or done + len(pending) // png.stride != png.height:
        raise ValueError("the image data does not hold the image's lines")
    if pending:
        yield decode(bytes(pending))
