"""Turns events (from transactions, from our own API, from reindex) into index rows.

Idempotent by event id: the API upserts right after sending, the transaction upserts again.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

from mautrix.util.async_db import Database

from .. import events as ev
from ..content.compose import repost_content
from ..content.fields import (
    MAX_BIO,
    clean_interests,
    clean_links,
    clean_string_list,
    clean_text,
    clean_url,
)
from ..content.parse import (
    edited_content,
    is_like_key,
    notice_of,
    parse_post,
    relation_of,
    repost_notice_room,
)
from ..db import ai_profiles, apps, comments, feed_rooms, follows, likes, posts, profiles
from ..db.posts import PostRow
from ..errors import InvalidInput, MalformedEvent
from ..ids import Identities
from . import ingest_batch
from .feed_owners import FeedOwners

log = logging.getLogger("matrix_social.ingest")


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    return False


def without_nul(value: Any) -> Any:
    """The event with every NUL character replaced by U+FFFD: any client may send a NUL
    (JSON \\u0000), and PostgreSQL text cannot hold one, so storing it as is would fail the
    transaction over and over and block the stream behind it."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, list):
        return [without_nul(v) for v in value]
    if isinstance(value, dict):
        return {without_nul(k): without_nul(v) for k, v in value.items()}
    return value


class Ingest:
    def __init__(self, db: Database, ids: Identities, owners: FeedOwners, bot: str) -> None:
        self.db = db
        self.ids = ids
        self.owners = owners
        self.bot = bot
        self.seen: Counter[str] = Counter()

    async def on_event(self, raw: dict[str, Any]) -> None:
        await self.handle(raw)

    async def handle(self, raw: dict[str, Any]) -> None:
        """An event from the transaction stream, as JSON. Inside a transaction's batch, posts,
        likes and comments are gathered (ingest_batch); anything else writes the batch first."""
        self.seen[raw["type"]] += 1
        if _has_nul(raw):
            raw = without_nul(raw)
        batch = ingest_batch.current()
        if batch is not None:
            try:
                if await self._gather(batch, raw):
                    return
            except (MalformedEvent, KeyError, TypeError, AttributeError):
                pass  # apply() skips it with its log line
            await batch.flush()
        await self.apply(raw)

    async def _gather(self, batch: ingest_batch.IngestBatch, raw: dict[str, Any]) -> bool:
        """Add a post, like or comment to the batch, as _apply would write it; False for
        anything else."""
        etype, content = raw["type"], raw.get("content")
        if etype not in ("m.room.message", "m.reaction") or not isinstance(content, dict) or (
                raw.get("unsigned") or {}).get("redacted_because"):
            return False
        owner = await self.owner_of(raw["room_id"])
        if owner is None:
            return True
        relation = relation_of(content)
        sender, event_id, ts = raw["sender"], raw["event_id"], raw["origin_server_ts"]
        if etype == "m.reaction":
            key = (content.get("m.relates_to") or {}).get("key")
            if relation.rel_type != "m.annotation":
                return True
            if not is_like_key(key):
                return False  # a repost notice needs the original post: written in order
            batch.likes.append((event_id, relation.event_id, sender, ts))
            return True
        if relation.rel_type == ev.THREAD_REL:
            body = content.get("body")
            if not isinstance(body, str):
                return False
            batch.comments.append((event_id, relation.event_id, raw["room_id"], sender, body,
                                   relation.in_reply_to, ts))
            return True
        if relation.rel_type is None and sender == owner:
            post = parse_post(content)
            if notice_of(post.content):
                return False  # replaces the row its notice made: written in order
            batch.posts.append(PostRow(
                event_id=event_id, room_id=raw["room_id"], author=sender, kind=post.kind,
                body=post.body, content=post.content, ts=ts, edited_ts=None,
                repost_of=post.repost_of,
            ))
            return True
        return False

    async def apply(self, raw: dict[str, Any]) -> None:
        """Index one event given as its JSON; malformed content is skipped with one log line."""
        if _has_nul(raw):
            raw = without_nul(raw)
        try:
            await self._apply(raw)
        except (MalformedEvent, KeyError, TypeError, AttributeError) as e:
            log.warning("Skipped event %s (%s) from %s: %s", raw.get("event_id"),
                        raw.get("type"), raw.get("sender"), e)

    async def owner_of(self, room_id: str) -> str | None:
        return await self.owners.owner_of(room_id)

    async def _apply(self, raw: dict[str, Any]) -> None:
        if (raw.get("unsigned") or {}).get("redacted_because"):
            return
        etype, room_id, content = raw["type"], raw["room_id"], raw.get("content") or {}
        if not isinstance(content, dict):
            raise MalformedEvent("content is not an object")
        if etype == str(ev.FEED_STATE) and raw.get("state_key") == "":
            await self._feed_state(room_id, raw["sender"], content)
            return
        owner = await self.owner_of(room_id)
        if owner is None:
            return
        if etype == "m.room.member":
            await self._member(raw, owner, content)
        elif etype == "m.room.message":
            await self._message(raw, owner, content)
        elif etype == "m.reaction":
            await self._reaction(raw, content)
        elif etype == "m.room.redaction":
            await self._redaction(raw, content)
        elif raw.get("state_key") is not None and self._speaks_for(raw["sender"], owner):
            await self._owner_state(raw, owner, content)

    def _speaks_for(self, sender: str, owner: str) -> bool:
        """The owner, our bot, or, for a user of another server, that server's own users (the
        room's power levels already limit feed state to the owner and that server's bot)."""
        if sender in (owner, self.bot):
            return True
        ids = self.ids
        return not ids.local_localpart(owner) and ids.split(sender)[1] == ids.split(owner)[1]

    async def _owner_state(self, raw: dict, owner: str, content: dict) -> None:
        etype, state_key = raw["type"], raw["state_key"]
        try:
            if etype == str(ev.PROFILE_STATE) and state_key == "":
                await profiles.set_details(
                    self.db, owner, clean_text(content.get("bio"), "bio", max_chars=MAX_BIO,
                                               required=False),
                    clean_links(content.get("links", [])),
                    clean_interests(content.get("interests", [])))
            elif etype == str(ev.AI_PROFILE_STATE) and state_key == "":
                await ai_profiles.upsert(
                    self.db, owner,
                    clean_text(content.get("personality"), "personality", max_chars=MAX_BIO,
                               required=False),
                    clean_string_list(content.get("skills", []), "skills"),
                    clean_string_list(content.get("capabilities", []), "capabilities"))
            elif etype == str(ev.APP_STATE) and state_key:
                await self._app_state(raw, owner, content)
        except InvalidInput as e:
            raise MalformedEvent(str(e)) from None

    async def _app_state(self, raw: dict, owner: str, content: dict) -> None:
        app_id = self.ids.app_id(owner, raw["state_key"])
        if not content:
            await apps.delete(self.db, app_id)
            return
        await apps.upsert(
            self.db, app_id, raw["room_id"], owner, raw["state_key"],
            clean_text(content.get("name"), "name", max_chars=100),
            clean_text(content.get("description"), "description", required=False),
            clean_url(content.get("icon"), "icon", required=False),
            clean_url(content.get("url"), "url"), raw["origin_server_ts"])

    async def _feed_state(self, room_id: str, sender: str, content: dict) -> None:
        owner = content.get(ev.FEED_OWNER_KEY)
        if not isinstance(owner, str) or self.ids.split(owner) is None:
            raise MalformedEvent("feed state without a valid owner")
        if not self._speaks_for(sender, owner):
            raise MalformedEvent("feed state not set by the bot or the owner")
        await feed_rooms.upsert(self.db, room_id, owner)

    async def _member(self, raw: dict, owner: str, content: dict) -> None:
        user_id, room_id = raw["state_key"], raw["room_id"]
        membership = content.get("membership")
        if user_id == owner:
            if membership == "join":
                await self._owner_profile(room_id, owner, content)
            return
        if membership != "join":
            await follows.delete(self.db, room_id, user_id)
            return
        flag = content.get(ev.FOLLOW_FLAG)
        prev = ((raw.get("unsigned") or {}).get("prev_content") or {}).get("membership")
        if flag is False:
            await follows.delete(self.db, room_id, user_id)
        elif flag is True or prev != "join":
            await follows.upsert(self.db, room_id, user_id, raw["origin_server_ts"])

    async def _owner_profile(self, room_id: str, owner: str, content: dict) -> None:
        displayname = content.get("displayname")
        avatar = content.get("avatar_url")
        displayname = displayname if isinstance(displayname, str) else None
        avatar = avatar if isinstance(avatar, str) else None
        await profiles.upsert(self.db, owner, displayname, avatar)

    async def _message(self, raw: dict, owner: str, content: dict) -> None:
        relation = relation_of(content)
        sender, event_id, ts = raw["sender"], raw["event_id"], raw["origin_server_ts"]
        if relation.rel_type == "m.replace":
            await self._edit(relation.event_id, sender, edited_content(content), ts)
        elif relation.rel_type == ev.THREAD_REL:
            body = content.get("body")
            if not isinstance(body, str):
                raise MalformedEvent("comment without a string body")
            if await posts.get_author(self.db, relation.event_id) is None:
                return
            await comments.upsert(self.db, event_id, relation.event_id, raw["room_id"], sender,
                                  body, relation.in_reply_to, ts)
        elif relation.rel_type is None and sender == owner:
            post = parse_post(content)
            notice = notice_of(post.content)
            if notice:
                await posts.delete_own(self.db, notice, sender)
            await posts.upsert(self.db, PostRow(
                event_id=event_id, room_id=raw["room_id"], author=sender, kind=post.kind,
                body=post.body, content=post.content, ts=ts, edited_ts=None,
                repost_of=post.repost_of,
            ))

    async def _edit(self, target: str, sender: str, new: dict, ts: int) -> None:
        if await posts.get_author(self.db, target) is not None:
            post = parse_post(new)
            await posts.apply_edit(self.db, target, sender, post.body, post.content, ts)
            return
        body = new.get("body")
        if isinstance(body, str):
            await comments.apply_edit(self.db, target, sender, body, ts)

    async def _reaction(self, raw: dict, content: dict) -> None:
        relation = relation_of(content)
        if relation.rel_type != "m.annotation":
            return
        original = await posts.get_author(self.db, relation.event_id)
        if original is None:
            return
        if is_like_key((content.get("m.relates_to") or {}).get("key")):
            await likes.upsert(self.db, raw["event_id"], relation.event_id, raw["sender"],
                               raw["origin_server_ts"])
            return
        reposter_room = repost_notice_room(content)
        if reposter_room is not None:
            await self._repost_notice(raw, relation.event_id, original, reposter_room)

    async def _repost_notice(self, raw: dict, post_id: str, original: tuple[str, str],
                             reposter_room: str) -> None:
        """Count a repost made in a room we may never see; the repost itself replaces this
        row if it arrives (it names the notice)."""
        sender = raw["sender"]
        owner = await self.owner_of(reposter_room)
        if owner is not None and owner != sender:
            raise MalformedEvent("repost notice names somebody else's feed room")
        if await posts.has_repost(self.db, post_id, sender):
            return
        post = parse_post(repost_content(original[0], post_id, original[1], "", ""))
        await posts.upsert(self.db, PostRow(
            event_id=raw["event_id"], room_id=reposter_room, author=sender, kind=post.kind,
            body=post.body, content=post.content, ts=raw["origin_server_ts"], edited_ts=None,
            repost_of=post_id))

    async def _redaction(self, raw: dict, content: dict) -> None:
        redacts = raw.get("redacts") or content.get("redacts")
        if not isinstance(redacts, str):
            raise MalformedEvent("redaction without redacts")
        await posts.delete(self.db, redacts)
        await likes.delete(self.db, redacts)
        await comments.delete(self.db, redacts)
