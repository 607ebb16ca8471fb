"""AI puppets (@alice_ai) and the homeserver's user-query endpoint that creates them on demand."""

from __future__ import annotations

import asyncio
import colorsys
import hashlib
import io
import logging

from mautrix.appservice import AppService, IntentAPI
from mautrix.errors import MatrixRequestError
from mautrix.types import UserID
from mautrix.util.async_db import Database
from PIL import Image, ImageDraw, ImageFont

from ..clock import now_ms
from ..db import ai_puppet, profiles
from ..ids import Identities

# The answer to the homeserver's user and alias queries (feed_rooms.py answers the alias ones):
# mautrix turns a falsy answer into 404, so "it exists" must be a non-empty object; homeservers
# only look at the status code.
EXISTS = {"exists": True}

log = logging.getLogger("matrix_social.puppets")


class Puppets:
    def __init__(self, az: AppService, db: Database, ids: Identities,
                 displayname_template: str) -> None:
        self.az = az
        self.db = db
        self.ids = ids
        self.template = displayname_template

    def intent(self, user_id: str) -> IntentAPI:
        return self.az.intent.user(UserID(user_id))

    async def owner_displayname(self, owner: str) -> str | None:
        """The owner's display name; None when the owner does not exist on the homeserver."""
        try:
            profile = await self.az.intent.get_profile(UserID(owner))
        except MatrixRequestError as e:
            if e.http_status == 404:
                return None
            raise
        return profile.displayname or self.ids.local_localpart(owner)

    async def ensure_ai(self, ai_id: str) -> IntentAPI | None:
        """Register @owner_ai if its owner exists, and keep its name "NAME's AI"."""
        owner = self.ids.ai_owner(ai_id)
        if owner is None:
            return None
        owner_name = await self.owner_displayname(owner)
        if owner_name is None:
            return None
        intent = self.intent(ai_id)
        await intent.ensure_registered()
        displayname = self.template.format(name=owner_name)
        known, stored = await ai_puppet.get_displayname(self.db, ai_id)
        if not known or stored != displayname:
            await intent.set_displayname(displayname)
            await ai_puppet.upsert(self.db, ai_id, owner, displayname)
            if known:  # a rename: in the index now, not when its member events come back
                _, avatar = await profiles.get(self.db, ai_id)
                await profiles.upsert(self.db, ai_id, displayname, avatar, now_ms())
            log.info("AI puppet %s ready as %r", ai_id, displayname)
        if await ai_puppet.get_avatar(self.db, ai_id) is None:
            await self._set_default_avatar(intent, ai_id, owner_name)
        return intent

    async def rename_if_registered(self, ai_id: str) -> None:
        """After the owner's name changed: an AI that exists follows it; none is created."""
        if (await ai_puppet.get_displayname(self.db, ai_id))[0]:
            await self.ensure_ai(ai_id)

    async def _set_default_avatar(self, intent: IntentAPI, ai_id: str, owner_name: str) -> None:
        png = await asyncio.get_running_loop().run_in_executor(
            None, make_avatar, ai_id, owner_name)
        mxc = await intent.upload_media(png, mime_type="image/png", filename="avatar.png")
        await intent.set_avatar_url(mxc)
        await ai_puppet.set_avatar(self.db, ai_id, mxc)

    async def query_user(self, user_id: UserID) -> dict | None:
        """The homeserver asks whether a user in our namespace exists; create AIs on demand."""
        if user_id == self.ids.bot:
            return EXISTS
        if self.ids.is_ai(user_id) and await self.ensure_ai(user_id) is not None:
            return EXISTS
        return None


AVATAR_SIZE = 256


def make_avatar(ai_id: str, owner_name: str) -> bytes:
    """A default avatar for an AI puppet, as PNG bytes: the owner's initial on a colour derived
    from the AI's ID. Blocking (draws with Pillow); run it in a thread."""
    hue = int(hashlib.sha256(ai_id.encode()).hexdigest()[:4], 16) / 0xFFFF
    background = tuple(int(c * 255) for c in colorsys.hls_to_rgb(hue, 0.45, 0.55))
    image = Image.new("RGB", (AVATAR_SIZE, AVATAR_SIZE), background)
    draw = ImageDraw.Draw(image)
    margin = AVATAR_SIZE // 8
    draw.ellipse((margin, margin, AVATAR_SIZE - margin, AVATAR_SIZE - margin),
                 outline=(255, 255, 255), width=AVATAR_SIZE // 32)
    initial = (owner_name.strip()[:1] or "?").upper()
    font = ImageFont.load_default(size=AVATAR_SIZE // 3)
    draw.text((AVATAR_SIZE / 2, AVATAR_SIZE / 2), initial, fill=(255, 255, 255), font=font,
              anchor="mm")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
