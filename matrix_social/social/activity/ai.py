"""The AI's side of activity sharing: each answer an AI gives is a task for its owner's AI
summary and a conversation for its profile; the AI's profile shows its recent activity posts
and, when its owner shares AI activity, its public conversations. While she shares AI
activity, an answer in a public room is also announced to the AI's followers: an activity post
(kind `ai_conversation`) in the AI's feed room that links to the room, at most once a day per
room, so followers' feeds show where the AI talks in public."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from ...content import compose
from ...ids import Identities
from ..ai_conversations import AiConversations
from ..feed import Feed
from ..posts import Posts
from . import templates
from .reports import Activities
from .settings import ActivitySettings

log = logging.getLogger("matrix_social.activity")
RECENT_ACTIVITY = 10
ANNOUNCE_EVERY_MS = 24 * 3600 * 1000


class AiActivity:
    def __init__(self, ids: Identities, activities: Activities, conversations: AiConversations,
                 settings: ActivitySettings, feed: Feed, posts: Posts | None = None) -> None:
        self.ids = ids
        self.activities = activities
        self.conversations = conversations
        self.settings = settings
        self.feed = feed
        self.posts = posts

    async def answered(self, ai: str, sender: str, room_id: str, kind: str,
                       answer_id: str | None = None) -> None:
        """Called by the AI's responder after a successful answer (kind: message or
        ai_request; `answer_id`: the answer's event)."""
        await self.activities.ai_answered(ai, sender, room_id, kind)
        try:
            await self.conversations.answered(ai, room_id, sender, answer_id)
        except Exception:
            log.exception("Could not note %s's conversation in %s", ai, room_id)
            return
        try:
            await self._announce(ai, room_id)
        except Exception:
            log.exception("Could not announce %s's conversation in %s", ai, room_id)

    async def _announce(self, ai: str, room_id: str) -> None:
        owner = self.ids.ai_owner(ai)
        if self.posts is None or owner is None \
                or not (await self.settings.get(owner))["share_ai_activity"]:
            return
        row = await self.conversations.claim_announcement(ai, room_id, ANNOUNCE_EVERY_MS)
        if row is None:
            return
        link = f"https://matrix.to/#/{quote(row['alias'] or room_id, safe='')}"
        label = row["name"] or row["alias"] or "a public room"
        data = {"room_id": room_id, "room": label, "link": link}
        await self.posts.publish(ai, compose.activity_content(
            {"kind": "ai_conversation", "data": data}, templates.ai_conversation(label, link)))

    async def profile_extras(self, viewer: str, ai: str, room_id: str) -> dict[str, Any]:
        recent = await self.feed.room_posts(viewer, room_id, RECENT_ACTIVITY, kind="activity")
        owner = self.ids.ai_owner(ai)
        shares = owner is not None and (await self.settings.get(owner))["share_ai_activity"]
        return {"recent_activity": recent,
                "public_conversations": await self.conversations.public_of(ai) if shares else []}
