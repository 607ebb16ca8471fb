"""The public event schema: every custom event type name and content key lives here.

Nothing else in the project spells these strings; docs/events.md documents them.
"""

from mautrix.types import EventType

PREFIX = "m.matrix_os"

# Room type (creation_content.type) and state event naming the feed's owner.
FEED_ROOM_TYPE = f"{PREFIX}.social.feed"
FEED_STATE = EventType.find(f"{PREFIX}.social.feed", t_class=EventType.Class.STATE)
FEED_OWNER_KEY = "owner"
FEED_KIND_KEY = "kind"  # "human" or "ai"

# The block inside an m.room.message that makes it a post.
POST_BLOCK = f"{PREFIX}.social.post"
POST_KIND = "kind"  # text | image | app | activity | repost
POST_APP = "app"  # {name, description, icon, url, try_url}
POST_ACTIVITY = "activity"  # {kind, data}
POST_REPOST_OF = "repost_of"  # {room_id, event_id, author}
POST_EXTERNAL = "external"  # {platform, url, id}

POST_KINDS = ("text", "image", "app", "activity", "repost")

# Member event content key: false for somebody who joined only to like or comment.
FOLLOW_FLAG = f"{PREFIX}.social.follow"

# Profile state in the owner's feed room.
PROFILE_STATE = EventType.find(f"{PREFIX}.social.profile", t_class=EventType.Class.STATE)
AI_PROFILE_STATE = EventType.find(f"{PREFIX}.social.ai_profile", t_class=EventType.Class.STATE)
APP_STATE = EventType.find(f"{PREFIX}.social.app", t_class=EventType.Class.STATE)
# In an app's state content: the app it is a fork of, {"author": user id, "slug": slug}.
APP_FORKED_FROM = "forked_from"

# AI-to-AI messages.
AI_REQUEST = EventType.find(f"{PREFIX}.ai_request", t_class=EventType.Class.MESSAGE)
AI_RESPONSE = EventType.find(f"{PREFIX}.ai_response", t_class=EventType.Class.MESSAGE)

# Activity sharing (docs/activity.md). The user's global account data holding their settings
# (the keys of ~/system/social-config.json plus "timezone"); the OS app reads it directly.
SOCIAL_SETTINGS_ACCOUNT_DATA = f"{PREFIX}.social.settings"
# The `activity.kind` of the activity posts made from drafts.
ACTIVITY_KINDS = ("app_publish", "app_fork", "game_score", "ai_task", "profile_update")
SUMMARY_KINDS = ("weekly_summary", "daily_summary", "ai_summary")
# Room state by an AI's owner (state_key = the AI's user ID without its @): {"public": true}
# lists the AI's conversation in this room on the AI's profile (never in a DM).
PUBLIC_CONVERSATION_STATE = EventType.find(f"{PREFIX}.social.public_conversation",
                                           t_class=EventType.Class.STATE)

LIKE_KEY = "❤️"
# A repost is also announced in the original's room, so the original's server counts it:
# an m.reaction with this key whose content names the reposter's feed room.
REPOST_KEY = "🔁"
REPOST_NOTICE = f"{PREFIX}.social.repost"  # {"room_id": the reposter's feed room}
POST_NOTICE = "notice"  # in repost_of: the event id of that reaction
THREAD_REL = "m.thread"

# The service's own bookkeeping (not social content; documented in docs/events.md).
# A to-device event the bot sends its own device at start, to see whether to-device events
# reach the appservice in transactions; content {"nonce": "..."}.
PROBE_TO_DEVICE = f"{PREFIX}.capability_probe"
# The bot's account data naming its private probe room (for the typing probe): {"room_id"}.
PROBE_ROOM_ACCOUNT_DATA = f"{PREFIX}.capability_probe_room"
# An AI's room account data, set once it has told the room it cannot read encrypted messages:
# {"reason": "...", "ts": ms}.
ENCRYPTION_NOTICE_ACCOUNT_DATA = f"{PREFIX}.encryption_notice"
