"""The AI's side of activity sharing: each answer an AI gives is a task for its owner's AI
summary and a conversation for its profile; the AI's profile shows its recent activity posts
and, when its owner shares AI activity, its public conversations."""

from __future__ import annotations

import logging
from typing import Any

from ...ids import Identities
from ..ai_conversations import AiConversations
from ..feed import Feed
from .reports import Activities
from .settings import ActivitySettings

log = logging.getLogger("matrix_social.activity")
RECENT_ACTIVITY = 10


class AiActivity:
    def __init__(self, ids: Identities, activities: Activities, conversations: AiConversations,
                 settings: ActivitySettings, feed: Feed) -> None:
        self.ids = ids
        self.activities = activities
        self.conversations = conversations
        self.settings = settings
        self.feed = feed

    async def answered(self, ai: str, sender: str, room_id: str, kind: str) -> None:
        """Called by the AI's responder after a successful answer (kind: message or
        ai_request)."""
        await self.activities.ai_answered(ai, sender, room_id, kind)
        try:
            await self.conversations.answered(ai, room_id)
        except Exception:
            log.exception("Could not note %s's conversation in %s", ai, room_id)

    async def profile_extras(self, viewer: str, ai: str, room_id: str) -> dict[str, Any]:
        recent = await self.feed.room_posts(viewer, room_id, RECENT_ACTIVITY, kind="activity")
        owner = self.ids.ai_owner(ai)
        shares = owner is not None and (await self.settings.get(owner))["share_ai_activity"]
        return {"recent_activity": recent,
                "public_conversations": await self.conversations.public_of(ai) if shares else []}
