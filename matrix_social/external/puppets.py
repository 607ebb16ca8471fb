"""External accounts as virtual Matrix users (@<prefix><id>, the id as each platform declares
it: @x_<id>, @mastodon_<hash>...): registered in our exclusive namespaces, named after the
account, with its avatar uploaded to the homeserver. A name or an avatar is set only when it
changed."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from mautrix.appservice import AppService, IntentAPI
from mautrix.errors import MatrixRequestError
from mautrix.types import UserID
from mautrix.util.async_db import Database

from ..clock import now_ms
from ..db import platform_puppets
from ..db.platform_puppets import PuppetRow
from ..locks import KeyedLocks
from .platform import Platform

log = logging.getLogger("matrix_social.platform_puppets")

MAX_NAME = 100
FetchImage = Callable[[str], Awaitable[tuple[bytes, str] | None]]


def puppet_displayname(name: str, platform: Platform) -> str:
    clean = "".join(c for c in name if c.isprintable()).strip()[:MAX_NAME - 12]
    return f"{clean or '?'} ({platform.label})"


class PlatformPuppets:
    def __init__(self, az: AppService, db: Database) -> None:
        self.az = az
        self.db = db
        self._locks = KeyedLocks()

    def intent(self, mxid: str) -> IntentAPI:
        return self.az.intent.user(UserID(mxid))

    async def ensure(self, mxid: str, platform: Platform, account_key: str, name: str,
                     avatar_source: str | None, fetch: FetchImage) -> IntentAPI:
        """The puppet, registered, with the account's name and (when it can be fetched) its
        avatar; `fetch` is asked only for an avatar URL not uploaded before."""
        intent = self.intent(mxid)
        async with self._locks.hold(mxid):
            known = await platform_puppets.get(self.db, mxid)
            displayname = puppet_displayname(name, platform)
            if known is None:
                await intent.ensure_registered()
            row = known or PuppetRow(mxid, platform.name, account_key, None, None, None)
            if row.displayname != displayname:
                await intent.set_displayname(displayname, check_current=False)
                row = PuppetRow(mxid, platform.name, account_key, displayname, row.avatar_source,
                                row.avatar_mxc)
            if avatar_source and avatar_source != row.avatar_source:
                image = await fetch(avatar_source)
                mxc = row.avatar_mxc
                if image is not None:
                    try:
                        mxc = await intent.upload_media(image[0], mime_type=image[1],
                                                        filename="avatar")
                        await intent.set_avatar_url(mxc, check_current=False)
                    except MatrixRequestError as e:
                        log.warning("avatar of %s not set: %s", mxid, e)
                        mxc = row.avatar_mxc
                row = PuppetRow(mxid, platform.name, account_key, displayname, avatar_source, mxc)
            if row != known:
                await platform_puppets.upsert(self.db, row, now_ms())
        return intent

    async def profile(self, mxid: str) -> tuple[str | None, str | None]:
        row = await platform_puppets.get(self.db, mxid)
        return (row.displayname, row.avatar_mxc) if row else (None, None)
