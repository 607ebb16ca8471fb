"""Images cost what their bytes cost, without a homeserver: the pixel cap read from the header,
PNG decoded in bands exactly as Pillow decodes it whole (every colour type, every scanline
filter, bands of any height), JPEG decoded at reduced scale and turned upright, the whole-decode
budget for the formats that cannot be decoded in parts. The memory itself: bench/images.py."""

from __future__ import annotations

import io
import os
import random
import struct
import zlib
from dataclasses import replace

import pytest
from PIL import Image

from matrix_social.config.sections import MediaSection
from matrix_social.errors import TooLarge
from matrix_social.social import png_bands
from matrix_social.social.image_convert import TARGET_SIDE, as_jpeg
from matrix_social.social.media import ImageLimits, inspect, read_header

LIMITS = ImageLimits.configured(MediaSection())


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def _filtered(kind: int, line: bytes, above: bytes, bpp: int) -> bytes:
    out = bytearray()
    for i, x in enumerate(line):
        a = line[i - bpp] if i >= bpp else 0
        b = above[i]
        c = above[i - bpp] if i >= bpp else 0
        predictor = (0, a, b, (a + b) >> 1, _paeth(a, b, c))[kind]
        out.append((x - predictor) & 0xFF)
    return bytes(out)


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(
        ">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def handmade_png(width: int, height: int, colour_type: int, pixels: bytes,
                 palette: bytes | None = None, interlace: int = 0,
                 claimed: tuple[int, int] | None = None) -> bytes:
    """A PNG whose scanlines use every filter type (0-4, in turn), its data split over many
    IDAT chunks: what other encoders write, which Pillow's own encoder may not. `claimed`:
    the size its header says, when that is not the size of its data."""
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[colour_type]
    stride = width * channels
    raw, above = bytearray(), bytes(stride)
    for y in range(height):
        line = pixels[y * stride:(y + 1) * stride]
        kind = y % 5
        raw.append(kind)
        raw += _filtered(kind, line, above, channels)
        above = line
    data = zlib.compress(bytes(raw), 9)
    out = png_bands.SIGNATURE + _chunk(b"IHDR", struct.pack(
        ">IIBBBBB", *(claimed or (width, height)), 8, colour_type, 0, 0, interlace))
    if palette is not None:
        out += _chunk(b"PLTE", palette)
    for start in range(0, len(data), 97):
        out += _chunk(b"IDAT", data[start:start + 97])
    return out + _chunk(b"IEND", b"")


@pytest.mark.parametrize("colour_type,mode", [(0, "L"), (2, "RGB"), (3, "P"), (4, "LA"),
                                              (6, "RGBA")])
def test_png_bands_equal_pillows_whole_decode(colour_type, mode):
    rng = random.Random(colour_type)
    width, height = 37, 23
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[colour_type]
    pixels = bytes(rng.randrange(256) if colour_type != 3 else rng.randrange(16)
                   for _ in range(width * height * channels))
    palette = bytes(rng.randrange(256) for _ in range(16 * 3)) if colour_type == 3 else None
    data = handmade_png(width, height, colour_type, pixels, palette)
    with Image.open(io.BytesIO(data)) as whole:
        whole.load()
        expected = whole.tobytes()
        assert whole.mode == mode
    png = png_bands.layout(data)
    assert png is not None and (png.width, png.height, png.mode) == (width, height, mode)
    for rows in (1, 3, 5, 7, height, height + 10):
        got = list(png_bands.bands(png, rows))
        assert [b.height for b in got[:-1]] == [rows] * (len(got) - 1)
        assert sum(b.height for b in got) == height
        assert b"".join(b.tobytes() for b in got) == expected, rows
        if colour_type == 3:
            assert got[-1].getpalette()[:48] == list(palette)


def test_png_bands_refuse_data_that_does_not_fit_the_header():
    pixels = bytes(range(256)) * 4
    short = png_bands.layout(handmade_png(32, 32, 0, pixels, claimed=(32, 40)))
    assert short is not None  # the header claims more lines than the data has
    with pytest.raises(ValueError):
        list(png_bands.bands(short, 8))
    long = png_bands.layout(handmade_png(32, 32, 0, pixels, claimed=(32, 16)))
    with pytest.raises(ValueError):
        list(png_bands.bands(long, 8))


def _save(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def _noise(mode: str, size: tuple[int, int]) -> Image.Image:
    channels = len(Image.new(mode, (1, 1)).getbands())
    return Image.frombytes(mode, size, os.urandom(size[0] * size[1] * channels))


def _opened(jpeg: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(jpeg))
    assert image.format == "JPEG"
    return image


def test_a_large_png_becomes_a_jpeg_of_instagrams_size_with_its_pixels():
    """Left half red, right half blue, 4000x1000: the JPEG is 1080 wide and keeps both."""
    image = Image.new("RGB", (4000, 1000), (220, 20, 20))
    image.paste((20, 20, 220), (2000, 0, 4000, 1000))
    jpeg = _opened(as_jpeg(_save(image, "PNG"), LIMITS))
    assert jpeg.size == (TARGET_SIDE, 270)
    left, right = jpeg.convert("RGB").getpixel((100, 135)), jpeg.getpixel((980, 135))
    assert left[0] > 180 and left[2] < 60 and right[2] > 180 and right[0] < 60


@pytest.mark.parametrize("mode", ["RGBA", "LA", "L", "P", "I;16"])
def test_every_kind_of_png_is_converted(mode):
    source = _noise("RGB", (300, 200)).convert(mode) if mode != "I;16" else \
        Image.new("I;16", (300, 200), 40000)
    jpeg = _opened(as_jpeg(_save(source, "PNG"), LIMITS))
    assert jpeg.size == (300, 200) and jpeg.mode == "RGB"


def test_gif_and_webp_are_converted_within_the_decode_budget():
    for fmt in ("GIF", "WEBP"):
        jpeg = _opened(as_jpeg(_save(_noise("RGB", (2160, 960)), fmt), LIMITS))
        assert jpeg.size == (TARGET_SIDE, 480), fmt


def test_a_small_jpeg_goes_as_it_is_a_large_one_is_reduced_and_turned_upright():
    small = _save(_noise("RGB", (1200, 800)), "JPEG")
    assert as_jpeg(small, LIMITS) is small
    exif = Image.Exif()
    exif[0x0112] = 6  # the camera was turned: show it rotated 90° clockwise
    large = _save(Image.new("RGB", (4000, 3000), (10, 200, 10)), "JPEG", exif=exif)
    jpeg = _opened(as_jpeg(large, LIMITS))
    assert jpeg.size == (810, 1080)


def test_the_pixel_cap_comes_from_the_header_before_any_decoding():
    """13000x13000 (169 Mpx, under Pillow's own bomb limit) in a 160 KB PNG."""
    bomb = _save(Image.new("L", (13000, 13000)), "PNG")
    assert len(bomb) < 200_000
    with pytest.raises(TooLarge, match="40,000,000 pixels"):
        inspect(bomb, LIMITS)
    with pytest.raises(TooLarge):
        as_jpeg(bomb, LIMITS)
    header = read_header(bomb)
    assert header is not None and (header.width, header.height) == (13000, 13000)
    # The same header over pixel data nobody could decode: refused for its size all the
    # same, so the refusal never looked at the pixels.
    undecodable = handmade_png(1, 1, 0, b"\0", claimed=(13000, 13000))
    with pytest.raises(TooLarge):
        inspect(undecodable, LIMITS)
    wide = _save(Image.new("L", (9000, 10)), "PNG")
    with pytest.raises(TooLarge, match="8,192 pixels per side"):
        inspect(wide, LIMITS)
    beyond_pillow = handmade_png(1, 1, 0, b"\0", claimed=(20000, 20000))
    with pytest.raises(TooLarge):
        read_header(beyond_pillow)
    assert inspect(_save(Image.new("L", (8192, 4882)), "PNG"), LIMITS).pixels == 39_993_344


def test_images_decoded_whole_have_their_own_budget():
    """Accepted at upload (the cap holds), but converted only within max_decode_bytes."""
    webp = _save(Image.new("RGB", (2500, 2000)), "WEBP")
    assert inspect(webp, LIMITS) is not None
    with pytest.raises(TooLarge, match="converted whole"):
        as_jpeg(webp, LIMITS)
    assert as_jpeg(webp, replace(LIMITS, max_decode_bytes=200 * 1024 * 1024))[:3] == b"\xff\xd8\xff"
    interlaced = handmade_png(4, 4, 2, bytes(48), interlace=1)
    header = read_header(interlaced)
    assert header is not None and header.interlaced and not header.streamed
    sixteen = read_header(_save(Image.new("I;16", (10, 10)), "PNG"))
    assert sixteen is not None and sixteen.bits == 16 and not sixteen.streamed
    assert read_header(_save(Image.new("RGB", (10, 10)), "PNG")).streamed


def test_not_an_image_is_a_value_error():
    for data in (b"<svg/>", b"\x89PNG\r\n\x1a\n" + b"\0" * 40, b""):
        assert read_header(data) is None
        with pytest.raises(ValueError):
            as_jpeg(data, LIMITS)


def test_webp_headers_are_read_without_opening_the_image():
    """Every kind of WebP (lossy, lossless, extended) gives the size Pillow gives; a canvas
    over the cap is refused from its header alone."""
    for options in ({"quality": 80}, {"lossless": True}, {"exif": b"Exif\0\0MM\0*\0\0\0\x08\0\0"}):
        data = _save(Image.new("RGBA", (321, 123), (1, 2, 3, 4)), "WEBP", **options)
        header = read_header(data)
        assert header is not None and (header.format, header.width, header.height) == (
            "WEBP", 321, 123), options
    extended = _save(Image.new("RGB", (16, 16)), "WEBP", exif=b"Exif\0\0MM\0*\0\0\0\x08\0\0")
    assert extended[12:16] == b"VP8X"
    huge = extended[:24] + (16000 - 1).to_bytes(3, "little") + (16000 - 1).to_bytes(
        3, "little") + extended[30:]
    with pytest.raises(TooLarge, match="16,000x16,000"):
        inspect(huge, LIMITS)
