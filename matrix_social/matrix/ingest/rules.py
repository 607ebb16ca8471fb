"""The index rules, once: what each event means for the index, and what it is never believed.

Trust (docs/events.md, "Trust"): only events in a verified feed room count (feed_room, written
when our bot created the room or the owner's own server mapped `#feed_NAME` to it, never from
room state) or in an MSC4501 group we joined (group_room, written when the room's own create
event says it is a group; a group has no owner, so no state in it is believed as an owner's,
and every member the power levels let post is an author); feed, profile, app and AI-profile
state counts only from the owner or the room's bot; likes, comments, edits and redactions count
only in the post's own room; a repost's original (room, author) comes from the index, never
from the reposter's event. Whom the operator bars (bars.py: a policy list, or a suspension) is
not indexed as following, liking, commenting, reposting or announcing a repost, and his posts
name nobody and carry no hashtags (they are indexed, and hidden where they are read).
"""

from __future__ import annotations

import logging
from typing import Any

from ... import events as ev
from ...content.fields import (
    MAX_BIO,
    SLUG_RE,
    clean_avatar,
    clean_interests,
    clean_links,
    clean_string_list,
    clean_text,
    clean_url,
)
from ...content.mentions import named_user_ids
from ...content.parse import (
    content_warning,
    edited_content,
    is_like_key,
    notice_of,
    parse_post,
    relation_of,
    repost_notice_room,
    social_repost,
    without_cw,
)
from ...content.tags import tags_in
from ...db import (
    ai_profiles,
    apps,
    comments,
    follows,
    group_rooms,
    likes,
    notifications,
    post_tags,
    posts,
    profiles,
)
from ...db.posts import PostRow
from ...errors import InvalidInput, MalformedEvent, UntrustedEvent
from ...ids import Identities
from ..bars import BarMatcher, Bars
from ..feed_owners import FeedOwners, FeedRoom
from ..msc4501 import CREATOR_IMPLICIT_VERSIONS
from .follow_fence import FollowFence
from .writer import IndexWriter

log = logging.getLogger("matrix_social.ingest")

OWNER_STATE_TYPES = frozenset({str(ev.FEED_STATE), str(ev.PROFILE_STATE),
                               str(ev.AI_PROFILE_STATE), str(ev.APP_STATE), "m.room.topic",
                               str(ev.SOCIAL_PROFILE_USER_ID)})
# A post is an m.room.message, or MSC4501's own post type (same content).
MESSAGE_TYPES = frozenset({"m.room.message", str(ev.SOCIAL_POST)})
MAX_LOGGED = 10_000
MAX_GROUP_NAME = 255


class IndexRules:
    def __init__(self, ids: Identities, owners: FeedOwners, bot: str,
                 fence: FollowFence | None = None,
                 bars: Bars | BarMatcher | None = None) -> None:
        self.ids = ids
        self.bars = bars
        self.owners = owners
        self.bot = bot
        self.fence = fence or FollowFence()
        self._logged: set[tuple[str, str]] = set()

    async def apply(self, raw: dict[str, Any], w: IndexWriter) -> None:
        if (raw.get("unsigned") or {}).get("redacted_because"):
            return
        etype, room_id, sender = raw["type"], raw["room_id"], raw["sender"]
        content = raw.get("content")
        if not isinstance(content, dict):
            raise MalformedEvent("content is not an object")
        feed = await self.owners.feed_or_group(room_id)
        if feed is None:
            if etype in OWNER_STATE_TYPES and raw.get("state_key") is not None:
                self._log_once(room_id, etype, f"{etype} from {sender} in {room_id} ignored: "
                               "not a verified feed room")
            return
        if etype == "m.room.member":
            await self._member(raw, feed, content, w)
        elif etype in MESSAGE_TYPES:
            await self._message(raw, feed, content, w)
        elif etype == "m.reaction":
            await self._reaction(raw, feed, content, w)
        elif etype == "m.room.redaction":
            await self._redaction(raw, feed, content, w)
        elif feed.group and etype == "m.room.name" and raw.get("state_key") == "":
            # Whoever the room's power levels let rename it (the homeserver checked).
            name = content.get("name")
            await w.write(group_rooms.set_name, room_id,
                          name[:MAX_GROUP_NAME] if isinstance(name, str) else "")
        elif feed.group and etype == "m.room.power_levels" and raw.get("state_key") == "":
            # Who may redact others' posts in the group (the homeserver checked the change).
            await w.write(group_rooms.set_moderators, raw["room_id"], moderators_of(content))
        elif feed.group and etype == "m.room.create" and raw.get("state_key") == "":
            await w.write(group_rooms.set_creators, raw["room_id"], creators_of(raw, content))
        elif raw.get("state_key") is not None and etype in OWNER_STATE_TYPES:
            if feed.speaks_for_owner(sender):
                await self._owner_state(raw, feed, content, w)
            else:
                self._log_once(room_id, etype, f"{etype} from {sender} in {feed.owner}'s feed "
                               "ignored: only the owner or the feed's bot sets it")

    async def bars_now(self) -> BarMatcher | None:
        """The bars as they stand, for a reindex to replay with (read before its transaction:
        on SQLite its connection is the only one)."""
        return await self.bars.matcher() if isinstance(self.bars, Bars) else self.bars

    def replaying(self, owners: FeedOwners, bars: BarMatcher | None) -> IndexRules:
        """These rules for a reindex: its own feed owners (its connection), the bars of
        `bars_now`; so a reindex drops what ingest refuses."""
        return IndexRules(self.ids, owners, self.bot, bars=bars)

    async def _barred(self, sender: str, what: str) -> bool:
        return self.bars is not None and await self.bars.barred(sender, what) is not None

    def _log_once(self, room_id: str, what: str, message: str) -> None:
        if (room_id, what) in self._logged:
            return
        if len(self._logged) >= MAX_LOGGED:
            self._logged.clear()
        self._logged.add((room_id, what))
        log.warning(message)

    # --- members: follows and the owner's profile -------------------------------------------

    async def _member(self, raw: dict, feed: FeedRoom, content: dict, w: IndexWriter) -> None:
        user_id, room_id = raw["state_key"], raw["room_id"]
        membership = content.get("membership")
        if user_id == feed.owner:
            if membership == "join":
                name, avatar = content.get("displayname"), content.get("avatar_url")
                await w.write(profiles.upsert, user_id, name if isinstance(name, str) else None,
                              avatar if isinstance(avatar, str) else None,
                              raw["origin_server_ts"])
            return
        if user_id in (feed.bot, self.bot):
            return  # the feed's bot and ours read the room; they never follow it
        flag = content.get(ev.FOLLOW_FLAG)
        prev = ((raw.get("unsigned") or {}).get("prev_content") or {}).get("membership")
        if membership != "join" or flag is False:
            if self.fence.passes(room_id, user_id, follows=False):
                await w.write(follows.delete, room_id, user_id)
        elif (flag is True or prev != "join") and self.fence.passes(room_id, user_id,
                                                                    follows=True) \
                and not await self._barred(user_id, f"follow {feed.owner} (indexed)"):
            # A join's sender is always its state key (the homeserver's auth rules).
            recipient = feed.owner if self.ids.is_local_human(feed.owner) else None
            await w.follow(room_id, user_id, raw["origin_server_ts"], recipient,
                           raw["event_id"])

    # --- messages: posts, comments, edits ---------------------------------------------------

    async def _message(self, raw: dict, feed: FeedRoom, content: dict, w: IndexWriter) -> None:
        relation = relation_of(content)
        sender, event_id, ts = raw["sender"], raw["event_id"], raw["origin_server_ts"]
        if relation.rel_type == "m.replace":
            await self._edit(raw, relation.event_id, edited_content(content), w)
        elif relation.rel_type == ev.THREAD_REL:
            if await self._barred(sender, f"comment in {raw['room_id']} (indexed)"):
                return
            body = content.get("body")
            if not isinstance(body, str):
                raise MalformedEvent("comment without a string body")
            cw = content_warning(content)
            await w.comment(event_id, relation.event_id, raw["room_id"], sender,
                            without_cw(body, cw), relation.in_reply_to, ts, cw or None,
                            self._mentioned(content, sender))
        elif relation.rel_type is None and feed.may_post(sender):
            msc_repost = None if isinstance(content.get(ev.POST_BLOCK), dict) \
                else social_repost(content)
            if msc_repost is not None:
                await self._repost(raw, _as_our_repost(content, msc_repost.comment),
                                   msc_repost.event_id, w)
                return
            post = parse_post(content)
            if post.kind == "repost":
                await self._repost(raw, post.content, post.repost_of, w)
                return
            mentioned, tags = self._mentioned(content, sender), tags_in(post.body)
            if (mentioned or tags) \
                    and await self._barred(sender, "mention anybody or tag a post (indexed)"):
                mentioned, tags = [], []
            await w.post(PostRow(
                event_id=event_id, room_id=raw["room_id"], author=sender, kind=post.kind,
                body=post.body, content=post.content, ts=ts, edited_ts=None, repost_of=None,
                tags=tuple(tags)), mentioned)

    def _mentioned(self, content: dict, sender: str) -> list[tuple[str, str | None]]:
        """(recipient, via) for each local person named, or whose AI is named."""
        mentioned = []
        for user_id in named_user_ids(content, sender):
            if self.ids.is_local_human(user_id):
                mentioned.append((user_id, None))
            elif (owner := self.ids.ai_owner(user_id)) and self.ids.is_local_human(owner):
                mentioned.append((owner, user_id))
        return mentioned

    async def _edit(self, raw: dict, target: str, new: dict, w: IndexWriter) -> None:
        room_id, sender, ts = raw["room_id"], raw["sender"], raw["origin_server_ts"]
        original = await w.read(posts.get, target)
        if original is None:
            body = new.get("body")
            if isinstance(body, str):
                cw = content_warning(new)
                await w.write(comments.apply_edit, target, room_id, sender,
                              without_cw(body, cw), cw or None, ts)
            return
        post = parse_post(new)
        if post.kind != original["kind"] or post.kind == "repost":
            raise MalformedEvent(f"an edit cannot turn a {original['kind']} post into "
                                 f"a {post.kind} one, nor change what a repost points at")
        await w.write(posts.apply_edit, target, room_id, sender, post.body, post.content, ts)
        tags = tags_in(post.body)
        if tags and await self._barred(sender, "tag a post (indexed)"):
            tags = []
        await w.write(post_tags.replace_after_edit, target, ts, tags)
        await w.changed_post(room_id, target, original["author"])

    async def _repost(self, raw: dict, content: dict, claimed_original: str,
                      w: IndexWriter) -> None:
        sender = raw["sender"]
        if await self._barred(sender, f"repost {claimed_original} (indexed)"):
            return
        original = await self._original(claimed_original, w)
        notice = notice_of(content)
        if notice:  # the reposter's own 🔁 notice row is replaced by the repost itself
            await w.write(posts.delete_own, notice, sender)
        if await w.read(posts.has_repost, original["event_id"], sender):
            log.info("Second repost of %s by %s not counted", original["event_id"], sender)
            return
        block = dict(content[ev.POST_BLOCK])
        block[ev.POST_REPOST_OF] = {
            "room_id": original["room_id"], "event_id": original["event_id"],
            "author": original["author"], **({ev.POST_NOTICE: notice} if notice else {})}
        text = block.get("text") if isinstance(block.get("text"), str) else ""
        await w.post(PostRow(
            event_id=raw["event_id"], room_id=raw["room_id"], author=sender, kind="repost",
            body=text, content={**content, ev.POST_BLOCK: block}, ts=raw["origin_server_ts"],
            edited_ts=None, repost_of=original["event_id"], tags=tuple(tags_in(text))))

    async def _original(self, event_id: str, w: IndexWriter):
        """The indexed post a repost points at (the first original, for a repost of one)."""
        original = await w.read(posts.get, event_id)
        if original is not None and original["kind"] == "repost" and original["repost_of"]:
            original = await w.read(posts.get, original["repost_of"])
        if original is None:
            raise UntrustedEvent(f"repost of {event_id}, which is not an indexed post")
        return original

    # --- reactions: likes and repost notices ------------------------------------------------

    async def _reaction(self, raw: dict, feed: FeedRoom, content: dict, w: IndexWriter) -> None:
        relation = relation_of(content)
        if relation.rel_type != "m.annotation" \
                or await self._barred(raw["sender"], f"react in {raw['room_id']} (indexed)"):
            return
        if is_like_key((content.get("m.relates_to") or {}).get("key")):
            await w.like(raw["event_id"], relation.event_id, raw["room_id"], raw["sender"],
                         raw["origin_server_ts"])
            return
        reposter_room = repost_notice_room(content)
        if reposter_room is not None:
            await self._repost_notice(raw, relation.event_id, reposter_room, w)

    async def _repost_notice(self, raw: dict, post_id: str, reposter_room: str,
                             w: IndexWriter) -> None:
        """Count a repost made in a room we may never see; the repost itself replaces this
        row if it arrives (it names the notice)."""
        sender = raw["sender"]
        original = await w.read(posts.get, post_id)
        if original is None or original["room_id"] != raw["room_id"] \
                or original["kind"] == "repost":
            return
        reposter_feed = await self.owners.feed_of(reposter_room)
        if reposter_feed is not None and reposter_feed.owner != sender:
            raise UntrustedEvent("repost notice names somebody else's feed room")
        if await w.read(posts.has_repost, post_id, sender):
            return
        block = {ev.POST_KIND: "repost", "text": "",
                 ev.POST_REPOST_OF: {"room_id": original["room_id"], "event_id": post_id,
                                     "author": original["author"]}}
        await w.post(PostRow(
            event_id=raw["event_id"], room_id=reposter_room, author=sender, kind="repost",
            body="", content={"msgtype": "m.text", "body": "", ev.POST_BLOCK: block},
            ts=raw["origin_server_ts"], edited_ts=None, repost_of=post_id))

    # --- redactions ---------------------------------------------------------------------------

    async def _redaction(self, raw: dict, feed: FeedRoom, content: dict,
                         w: IndexWriter) -> None:
        redacts = raw.get("redacts") or content.get("redacts")
        if not isinstance(redacts, str):
            raise MalformedEvent("redaction without redacts")
        room_id, sender = raw["room_id"], raw["sender"]
        moderator = feed.speaks_for_owner(sender) or (
            feed.group and await w.read(group_rooms.is_moderator, room_id, sender))
        post = await w.write(posts.redact, redacts, room_id, sender, moderator)
        liked = await w.write(likes.redact, redacts, room_id, sender, moderator)
        commented = await w.write(comments.redact, redacts, room_id, sender, moderator)
        unnotified = await w.write(notifications.forget_removed, redacts)
        # Only the redaction that removed something tells it (the API's own or the one the
        # homeserver sends back, whichever came first): the counts go down on every screen,
        # and the bell of whoever it had notified.
        await w.removed(redacts, post, {p for p in (liked, commented) if p}, unnotified)

    # --- the owner's state: feed, profile, AI profile, apps, topic -----------------------------

    async def _owner_state(self, raw: dict, feed: FeedRoom, content: dict,
                           w: IndexWriter) -> None:
        etype, state_key, owner = raw["type"], raw["state_key"], feed.owner
        try:
            if etype == str(ev.FEED_STATE) and state_key == "":
                if content.get(ev.FEED_OWNER_KEY) != owner:
                    raise UntrustedEvent(f"feed state names {content.get(ev.FEED_OWNER_KEY)!r} "
                                         f"in {owner}'s feed room")
            elif etype == str(ev.SOCIAL_PROFILE_USER_ID) and state_key == "":
                named = content.get(ev.SOCIAL_PROFILE_USER_ID_KEY)
                if named != owner:
                    raise UntrustedEvent(f"profile_user_id names {named!r} in {owner}'s feed "
                                         "room")
            elif etype == str(ev.PROFILE_STATE) and state_key == "":
                await w.write(profiles.set_details, owner,
                              clean_text(content.get("bio"), "bio", max_chars=MAX_BIO,
                                         required=False),
                              clean_links(content.get("links", [])),
                              clean_interests(content.get("interests", [])),
                              _mxc_or_none(content.get(ev.PROFILE_BANNER)),
                              _event_id_or_none(content.get(ev.PROFILE_PINNED)),
                              raw["origin_server_ts"])
            elif etype == "m.room.topic" and state_key == "":
                await w.write(profiles.set_bio, owner,
                              clean_text(content.get("topic"), "topic", max_chars=MAX_BIO,
                                         required=False), raw["origin_server_ts"])
            elif etype == str(ev.AI_PROFILE_STATE) and state_key == "":
                await w.write(ai_profiles.upsert, owner,
                              clean_text(content.get("personality"), "personality",
                                         max_chars=MAX_BIO, required=False),
                              clean_string_list(content.get("skills", []), "skills"),
                              clean_string_list(content.get("capabilities", []),
                                                "capabilities"))
            elif etype == str(ev.APP_STATE) and state_key:
                await self._app_state(raw, owner, content, w)
        except InvalidInput as e:
            raise MalformedEvent(str(e)) from None

    async def _app_state(self, raw: dict, owner: str, content: dict, w: IndexWriter) -> None:
        if not SLUG_RE.fullmatch(raw["state_key"]):
            raise MalformedEvent("an app's state key must be a slug (a-z, 0-9 and -)")
        app_id = self.ids.app_id(owner, raw["state_key"])
        if not content:
            await w.write(apps.delete, app_id)
            return
        await w.write(
            apps.upsert, app_id, raw["room_id"], owner, raw["state_key"],
            clean_text(content.get("name"), "name", max_chars=100),
            clean_text(content.get("description"), "description", required=False),
            clean_url(content.get("icon"), "icon", required=False),
            clean_url(content.get("url"), "url"), raw["origin_server_ts"],
            self._forked_from(content.get(ev.APP_FORKED_FROM), app_id))

    def _forked_from(self, value: Any, app_id: str) -> str | None:
        """The original's app id, as this server names it. Only its shape is checked: the
        original may be indexed later (or never); views and fork counts join on the index."""
        if value is None:
            return None
        author = value.get("author") if isinstance(value, dict) else None
        slug = value.get("slug") if isinstance(value, dict) else None
        if not isinstance(author, str) or self.ids.split(author) is None \
                or not isinstance(slug, str) or not SLUG_RE.fullmatch(slug):
            raise MalformedEvent(f"{ev.APP_FORKED_FROM} must be {{author: user ID, slug}}")
        original = self.ids.app_id(author, slug)
        if original == app_id:
            raise MalformedEvent("an app cannot be a fork of itself")
        return original


def creators_of(create: dict, content: dict) -> list[str]:
    """Who created the room, when its version gives creators every power (12): its sender
    and `additional_creators`; nobody in earlier versions (their power levels say it)."""
    if str(content.get("room_version", "1")) not in CREATOR_IMPLICIT_VERSIONS:
        return []
    more = content.get("additional_creators")
    extra = [u for u in more if isinstance(u, str)] if isinstance(more, list) else []
    return [create["sender"], *extra][:100]


def moderators_of(levels: dict) -> list[str]:
    """The users an m.room.power_levels content lets redact others' events (at or above its
    `redact` level, 50 unless it says otherwise), "*" when everybody may; at most a thousand
    are kept. (A room version 12 creator's unlimited level is not in `users`: not counted.)"""
    def level(value: Any, default: int) -> int:
        return value if isinstance(value, int) and not isinstance(value, bool) else default
    needed = level(levels.get("redact"), 50)
    if level(levels.get("users_default"), 0) >= needed:
        return ["*"]
    users = levels.get("users") if isinstance(levels.get("users"), dict) else {}
    return sorted(u for u, v in users.items()
                  if isinstance(u, str) and level(v, 0) >= needed)[:1000]


def _as_our_repost(content: dict, comment: str) -> dict:
    """An MSC4501 repost as our repost content: the comment in our block; its `relates_to`
    (with the embedded copy of the original, which nobody verified) is not kept."""
    kept = {key: value for key, value in content.items()
            if key not in (ev.SOCIAL_RELATES_TO, ev.SOCIAL_BODY, "m.relates_to")}
    return {**kept, ev.POST_BLOCK: {ev.POST_KIND: "repost", "text": comment}}


def _mxc_or_none(value: Any) -> str | None:
    """A banner that is not an mxc URI is no banner (the rest of the profile still counts)."""
    try:
        return clean_avatar(value) if value else None
    except InvalidInput:
        return None


def _event_id_or_none(value: Any) -> str | None:
    """A pin is kept as claimed when it looks like an event id; whether it names the owner's
    own post in her feed room is checked where it is read (db/feed.py pinned_post), since the
    post may be indexed after the pin (a reindex reads state first)."""
    if isinstance(value, str) and value.startswith("$") and len(value) <= 255 \
            and value.isprintable() and " " not in value:
        return value
    return None
