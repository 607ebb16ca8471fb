"""A default avatar for an AI puppet: the owner's initial on a colour derived from the AI's ID."""

from __future__ import annotations

import colorsys
import hashlib
import io

from PIL import Image, ImageDraw, ImageFont

SIZE = 256


def make_avatar(ai_id: str, owner_name: str) -> bytes:
    """PNG bytes. Blocking (draws with Pillow); run it in a thread."""
    hue = int(hashlib.sha256(ai_id.encode()).hexdigest()[:4], 16) / 0xFFFF
    background = tuple(int(c * 255) for c in colorsys.hls_to_rgb(hue, 0.45, 0.55))
    image = Image.new("RGB", (SIZE, SIZE), background)
    draw = ImageDraw.Draw(image)
    margin = SIZE // 8
    draw.ellipse((margin, margin, SIZE - margin, SIZE - margin),
                 outline=(255, 255, 255), width=SIZE // 32)
    initial = (owner_name.strip()[:1] or "?").upper()
    font = ImageFont.load_default(size=SIZE // 3)
    draw.text((SIZE / 2, SIZE / 2), initial, fill=(255, 255, 255), font=font, anchor="mm")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
