"""Into Matrix, as a bridge does: a poll's new items, edits and deletions become the account's
puppet's messages, m.replace edits and redactions in the connection's portal room; her feed
shows the items (db/external_posts.py), and with share_with_followers her feed room gets each
item as her own post, so her followers on any server see it.

Exactly once: an item is skipped when the item map knows it (bridged before, or one of her own
cross-posts coming back); every event is sent with a transaction id made from the item, so a
crash between sending and recording sends nothing twice (the homeserver answers a repeated
transaction with its first event); the item map is written last.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from mautrix.types import EventID, RoomID
from mautrix.util.async_db import Database

from ..clock import now_ms
from ..db import external_items, external_posts, external_shares
from ..db import posts as posts_db
from ..db.external_items import ExternalItemRow
from ..db.external_posts import ExternalPostRow
from ..db.external_shares import ShareRow
from ..db.platform_connections import ConnectionRow
from ..db.retry import in_transaction
from ..errors import Refused
from ..ids import Identities
from ..matrix.feed_rooms import FeedRooms
from ..matrix.intents import Intents
from ..matrix.sender import IndexedSender
from .items import (
    ExternalItem,
    UploadedImage,
    edit_content,
    image_of,
    item_content,
    item_text,
)
from .media_fetch import fetch_image
from .platform import HOME, Account, FetchResult, Item, safe_url
from .portals import PortalRooms
from .puppets import PlatformPuppets
from .registry import Platforms, account_of

log = logging.getLogger("matrix_social.bridging")


@dataclass
class BridgeStats:
    bridged: int = 0
    skipped: int = 0  # already bridged, or her own cross-post coming back
    edited: int = 0
    deleted: int = 0


def txn_id(*parts: str) -> str:
    return "msx" + hashlib.sha256("\n".join(parts).encode()).hexdigest()[:40]


def _author(account: Account, item: Item) -> dict[str, str]:
    """Who wrote the item: her account, or, for a home-timeline item, the one she follows."""
    by = item.extra.get("by") if item.kind == HOME else None
    if isinstance(by, dict) and all(isinstance(by.get(k), str) for k in ("id", "handle", "name")):
        return {"id": by["id"], "handle": by["handle"], "name": by["name"],
                "url": safe_url(by.get("url"), account.url) or account.url}
    return {"id": account.id, "handle": account.handle, "name": account.name,
            "url": account.url}


class ItemBridge:
    def __init__(self, db: Database, ids: Identities, platforms: Platforms,
                 puppets: PlatformPuppets, portals: PortalRooms, intents: Intents,
                 feed_rooms: FeedRooms, sender: IndexedSender, allow_loopback: bool,
                 max_image_bytes: int, on_stored: Callable[[str], None] = lambda user_id: None
                 ) -> None:
        """`on_stored(user_id)`: called when an item is stored for her feed (Feed's
        external_added)."""
        self.db = db
        self.platforms = platforms
        self.on_stored = on_stored
        self.ids = ids
        self.puppets = puppets
        self.portals = portals
        self.intents = intents
        self.feed_rooms = feed_rooms
        self.sender = sender
        self.allow_loopback = allow_loopback
        self.max_image_bytes = max_image_bytes

    async def _fetch(self, url: str) -> tuple[bytes, str] | None:
        return await fetch_image(url, self.allow_loopback, self.max_image_bytes)

    async def refresh_puppet(self, row: ConnectionRow) -> str | None:
        """The account's puppet named and pictured as the platform has it now: at a connect or
        reconnect, not only when a poll brings items. Its Matrix ID, or None if the account's
        id cannot be one."""
        account = account_of(row)
        platform = self.platforms.get(row.platform)
        puppet = self.ids.platform_puppet(row.platform, platform.puppet_part(account))
        if puppet is not None:
            await self.puppets.ensure(puppet, platform, account.key, account.name,
                                      account.avatar_url, self._fetch)
        return puppet

    async def apply(self, row: ConnectionRow, account: Account, result: FetchResult
                    ) -> BridgeStats:
        stats = BridgeStats()
        if not (result.items or result.edits or result.deletions):
            return stats
        platform = self.platforms.get(row.platform)
        puppet = self.ids.platform_puppet(row.platform, platform.puppet_part(account))
        if puppet is None:
            raise Refused(row.platform, "the account's id cannot be used in Matrix")
        await self.puppets.ensure(puppet, platform, account.key, account.name,
                                  account.avatar_url, self._fetch)
        room_id = await self.portals.ensure(
            row.user_id, platform, account.key, puppet, f"{account.name} on {platform.label}",
            {"id": account.id, "handle": account.handle, "name": account.name,
             "url": account.url})
        for item in result.items:
            if await self._new(row, account, puppet, room_id, item):
                stats.bridged += 1
            else:
                stats.skipped += 1
        for item in result.edits:
            stats.edited += await self._edit(row, account, puppet, item)
        for remote_id in result.deletions:
            stats.deleted += await self._delete(row, account, puppet, remote_id)
        return stats

    def _external(self, account: Account, puppet: str, item: Item,
                  image: UploadedImage | None) -> ExternalItem:
        platform = self.platforms.get(account.platform)
        look = platform.look(item, account)
        instance = urlsplit(account.instance).netloc if account.instance else None
        return ExternalItem(
            platform=account.platform, label=platform.label, color=platform.color,
            remote_id=item.remote_id, kind=item.kind, text=look.text,
            url=item.url, created_at_ms=min(item.created_at_ms, now_ms()),
            author={**_author(account, item), "user_id": puppet},
            instance=instance, links=look.links, image=image,
            content_warning=item.content_warning, sensitive=item.sensitive)

    async def _image(self, puppet: str, item: Item) -> UploadedImage | None:
        for media in item.media[:1]:
            fetched = await self._fetch(media.url)
            if fetched is not None:
                data, mimetype = fetched
                mxc = await self.portals.upload(puppet, data, mimetype)
                return UploadedImage(mxc, mimetype, len(data))
        return None

    async def _new(self, row: ConnectionRow, account: Account, puppet: str, room_id: str,
                   item: Item) -> bool:
        key = account.key
        if await external_items.get(self.db, row.user_id, row.platform, key,
                                    item.remote_id) is not None:
            return False  # bridged for her before, or her own cross-post coming back
        external = self._external(account, puppet, item, await self._image(puppet, item))
        content = item_content(external)
        ids = (row.user_id, row.platform, key, item.remote_id)
        event_id = await self.portals.send(puppet, room_id, content, txn_id("item", *ids),
                                           external.created_at_ms)
        # A home-timeline item is another's post, for her eyes only: never in her feed room.
        shared = await self._share(row, content, ids) \
            if row.share_with_followers and item.kind != HOME else None
        displayname, avatar = await self.puppets.profile(puppet)
        await external_posts.insert(self.db, ExternalPostRow(
            event_id, row.user_id, room_id, row.platform, key, item.remote_id, puppet,
            "image" if external.image else "text", item_text(external), content,
            external.created_at_ms, displayname, avatar, shared))
        self.on_stored(row.user_id)
        await external_items.insert(self.db, ExternalItemRow(
            row.user_id, row.platform, key, item.remote_id, event_id, room_id,
            external_items.INBOUND, item.version), now_ms())
        return True

    async def _share(self, row: ConnectionRow, content: dict, ids: tuple[str, ...]) -> str:
        """Her own post in her feed room, recorded as made by the service (so its `external`
        block is believed)."""
        intent = await self.intents.for_user(row.user_id)
        feed = await self.feed_rooms.ensure(row.user_id)
        event_id = await self.sender.send(intent, feed, "m.room.message", content,
                                          txn_id=txn_id("share", *ids))
        await external_shares.insert(self.db, ShareRow(event_id, row.user_id, feed,
                                                       row.platform, ids[2], ids[3]), now_ms())
        return event_id

    async def _edit(self, row: ConnectionRow, account: Account, puppet: str, item: Item) -> int:
        mapped = await external_items.get(self.db, row.user_id, row.platform, account.key,
                                          item.remote_id)
        if mapped is None or mapped.origin != external_items.INBOUND or \
                (item.version is not None and mapped.version == item.version):
            return 0  # never bridged (older than the first sync), her own cross-post, or seen
        stored = await external_posts.get(self.db, mapped.event_id)
        if stored is None:
            return 0
        external = self._external(account, puppet, item, image_of(stored.content))
        new = item_content(external)
        ids = (row.user_id, row.platform, account.key, item.remote_id, item.version or "")
        await self.portals.send(puppet, mapped.room_id, edit_content(mapped.event_id, new),
                                txn_id("edit", *ids))
        edited_at = min(item.edited_at_ms or now_ms(), now_ms())
        await external_posts.apply_edit(self.db, mapped.event_id, item_text(external), new,
                                        edited_at)
        if stored.shared_event_id:
            feed = await self.feed_rooms.ensure(row.user_id)
            intent = await self.intents.for_user(row.user_id)
            await self.sender.send(intent, feed, "m.room.message",
                                   edit_content(stored.shared_event_id, new),
                                   txn_id=txn_id("share-edit", *ids))
        await external_items.set_version(self.db, row.user_id, row.platform, account.key,
                                         item.remote_id, item.version)
        return 1

    async def _delete(self, row: ConnectionRow, account: Account, puppet: str,
                      remote_id: str) -> int:
        mapped = await external_items.get(self.db, row.user_id, row.platform, account.key,
                                          remote_id)
        if mapped is None or mapped.origin != external_items.INBOUND:
            return 0
        stored = await external_posts.get(self.db, mapped.event_id)
        name = self.platforms.label(row.platform)
        await self.portals.redact(puppet, mapped.room_id, mapped.event_id,
                                  f"deleted on {name}")
        if stored is not None and stored.shared_event_id:
            intent = await self.intents.for_user(row.user_id)
            feed = await self.feed_rooms.ensure(row.user_id)
            await intent.redact(RoomID(feed), EventID(stored.shared_event_id),
                                reason=f"deleted on {name}")
            await in_transaction(self.db, posts_db.delete, stored.shared_event_id)
            await external_shares.delete(self.db, stored.shared_event_id)
        await external_posts.delete(self.db, mapped.event_id)
        await external_items.delete(self.db, row.user_id, row.platform, account.key, remote_id)
        return 1
