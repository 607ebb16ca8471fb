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
POST_EXTERNAL = "external"  # where the post comes from: the EXTERNAL_* keys below
POST_TEXT = "text"  # the post's own text, where `body` is a fallback (app, repost, a CW)
POST_CAPTION = "caption"  # an image post's caption
# An image post's images, 1 to 4, in order: [{url: mxc, alt, mimetype, size, w, h}]. One image
# is an m.image (its url and info repeated at the top, as any client reads it); two to four
# are an m.text showing them inline (<img src="mxc://…" alt="…">) in formatted_body.
POST_IMAGES = "images"
IMAGE_ALT = "alt"
MAX_POST_IMAGES = 4
# A content warning on a post: its reason. The post's text (and images) are also a Matrix
# spoiler in formatted_body (<span data-mx-spoiler="reason">), with "CW: reason" first in body,
# so every client hides or at least announces it; a comment has only the spoiler.
POST_CW = "cw"
SPOILER_ATTRIBUTE = "data-mx-spoiler"
CW_BODY_PREFIX = "CW: "

POST_KINDS = ("text", "image", "app", "activity", "repost")

# Member event content key: false for somebody who joined only to like or comment.
FOLLOW_FLAG = f"{PREFIX}.social.follow"

# Profile state in the owner's feed room.
PROFILE_STATE = EventType.find(f"{PREFIX}.social.profile", t_class=EventType.Class.STATE)
# Keys of the profile state besides bio, links and interests: the banner image (an mxc URI)
# and the pinned post (an event id of one of the owner's own posts in this room; anything
# else is ignored by the index).
PROFILE_BANNER = "banner"
PROFILE_PINNED = "pinned"
# In a topic or profile state the service wrote to follow the other (matrix/bio_topic.py):
# such an event is never mirrored back.
MIRRORED_FROM = f"{PREFIX}.social.mirrored_from"
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
# A user's account data, set by the web app once she has finished or skipped the welcome steps
# after signing up ({"done": true, "ts": ms}), so they are shown once (web/js/welcome.js).
ONBOARDING_ACCOUNT_DATA = f"{PREFIX}.onboarding"
# The `activity.kind` of the activity posts made from drafts.
ACTIVITY_KINDS = ("app_publish", "app_fork", "game_score", "ai_task", "profile_update")
SUMMARY_KINDS = ("weekly_summary", "daily_summary", "ai_summary")
# Room state by an AI's owner (state_key = the AI's user ID without its @): {"public": true}
# lists the AI's conversation in this room on the AI's profile (never in a DM).
PUBLIC_CONVERSATION_STATE = EventType.find(f"{PREFIX}.social.public_conversation",
                                           t_class=EventType.Class.STATE)

# Likes: the key we write is MSC4501's 👍, so every MSC4501 client counts our likes; ❤️ (what
# earlier versions wrote) is read as a like too. One like per person per post either way: a
# person who reacted with both is one like (post_like counts distinct users).
LIKE_KEY = "👍"
LIKE_KEYS = ("👍", "❤️")
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

# --- External platforms (docs/events.md, "External platforms") ------------------------------
# The `external` object of a post block: an item bridged from an external platform.
EXTERNAL_PLATFORM = "platform"  # the platform's name (external/platforms/<name>.py)
EXTERNAL_ID = "id"  # the platform's id of the item (X: the first id of its edit history)
EXTERNAL_URL = "url"  # "View on <platform>"
EXTERNAL_KIND = "kind"  # post, or the platform's kind (GitHub: push, star, release...)
EXTERNAL_CREATED_AT = "created_at"  # ms, as the platform says
EXTERNAL_AUTHOR = "author"  # {id, handle, name, url, user_id}: the account and its puppet
EXTERNAL_BRANDING = "branding"  # {name, color, label, instance}: what a client shows
# Also top level in bridged messages, as mautrix bridges and hookshot do: the item's URL.
EXTERNAL_URL_KEY = "external_url"

# Content warnings (docs/events.md, "Content warnings and sensitive media"). In a post block
# (bridged items and the posts shared from them): the reason the text is hidden (Mastodon's
# spoiler_text), and whether the post's media is to be blurred until the reader asks. The text
# itself is in `formatted_body` inside <span data-mx-spoiler="reason">, the Matrix spoiler.
POST_SENSITIVE = "sensitive"  # true: blur the media
SPOILER_ATTRIBUTE = "data-mx-spoiler"
# Sensitive media, top level in the m.image content, as other clients read it (unstable names):
# MSC4193 "Spoilers on media" (Cinny, gomuks, mautrix-discord) and MSC3725 "Content warnings"
# (gomuks, mautrix-telegram).
MEDIA_SPOILER = "page.codeberg.everypizza.msc4193.spoiler"  # true
MEDIA_SPOILER_REASON = "page.codeberg.everypizza.msc4193.spoiler.reason"  # "reason"
CONTENT_WARNING = "town.robin.msc3725.content_warning"  # {"type", "description"}
CONTENT_WARNING_SPOILER = "town.robin.msc3725.spoiler"

# A portal room (one per connection, the bot's): which connection it shows.
# {"platform", "account": {id, handle, name, url}, "user": the connecting user}
PORTAL_STATE = EventType.find(f"{PREFIX}.social.portal", t_class=EventType.Class.STATE)
# Bridge info (MSC2346), as mautrix bridges set it, so clients can show the bridge.
BRIDGE_STATE = EventType.find("m.bridge", t_class=EventType.Class.STATE)
BRIDGE_STATE_LEGACY = EventType.find("uk.half-shot.bridge", t_class=EventType.Class.STATE)

# Cross-post status of a post, by the bot in the author's feed room, state key = the post's
# event id: {"post": "$id", "targets": {"x": {status, url, remote_id, error}, ...}}
CROSS_POST_STATE = EventType.find(f"{PREFIX}.social.cross_posts",
                                  t_class=EventType.Class.STATE)

# --- MSC4501 "Social Media on Matrix" (docs/events.md, "MSC4501") ---------------------------
# Every name of the proposal, from its unstable prefix: when it is accepted, the switch to the
# stable names is this one line (MSC4501_PREFIX = "m.social").
MSC4501_PREFIX = "org.matrix.msc4501.social"
# Room types (creation_content.type): one person's profile room; an ownerless group page.
SOCIAL_PROFILE_ROOM_TYPE = f"{MSC4501_PREFIX}.profile"
SOCIAL_GROUP_ROOM_TYPE = f"{MSC4501_PREFIX}.group"
SOCIAL_ROOM_TYPES = (SOCIAL_PROFILE_ROOM_TYPE, SOCIAL_GROUP_ROOM_TYPE)
# State, key "": {"user_id": the owner}; power level 100 to change.
SOCIAL_PROFILE_USER_ID = EventType.find(f"{MSC4501_PREFIX}.profile_user_id",
                                        t_class=EventType.Class.STATE)
SOCIAL_PROFILE_USER_ID_KEY = "user_id"
# The owner's profile field (Matrix 1.16 per-key profile fields, MSC4133) naming the room:
# {"room_id", "via": [server, ...]}; older writers set a bare room id string under the
# `_id` name.
SOCIAL_PROFILE_ROOM_FIELD = f"{MSC4501_PREFIX}.profile_room"
SOCIAL_PROFILE_ROOM_ID_FIELD = f"{MSC4501_PREFIX}.profile_room_id"
# A post's own event type (phase 2); content as m.room.message.
SOCIAL_POST = EventType.find(f"{MSC4501_PREFIX}.post", t_class=EventType.Class.MESSAGE)
# The repost / quote / cross-posted reply block in a post's content:
# {rel_type, event_id, room_id, sender, content?, content_inline?, displayname?, via?}
SOCIAL_RELATES_TO = f"{MSC4501_PREFIX}.relates_to"
SOCIAL_REL_REPOST = f"{MSC4501_PREFIX}.repost"
SOCIAL_REL_REPLY = f"{MSC4501_PREFIX}.reply"
# What a compliant client shows instead of `body` (never on a SOCIAL_POST event).
SOCIAL_BODY = f"{MSC4501_PREFIX}.body"
# Join rules under which a room lets people in only once an admin answers their knock with an
# invite (Haven's rooms default to knock): following such a room is a pending request.
KNOCK_JOIN_RULES = ("knock", "knock_restricted")
# MSC4133's capability (stable, and Synapse's unstable one) saying profile fields can be set.
PROFILE_FIELDS_CAPABILITY = "m.profile_fields"
PROFILE_FIELDS_CAPABILITY_UNSTABLE = "uk.tcpip.msc4133.profile_fields"

# --- Moderation policy lists (Matrix spec, "Moderation policy lists"; docs/events.md,
# "Policy lists") ------------------------------------------------------------------------------
# State events in a policy room: state key = the rule's id; content {entity (a glob), reason,
# recommendation}; an empty content removes the rule. The older names Mjolnir and Draupnir
# still read and may publish count the same.
POLICY_RULE_USER_TYPES = ("m.policy.rule.user", "m.room.rule.user",
                          "org.matrix.mjolnir.rule.user")
POLICY_RULE_SERVER_TYPES = ("m.policy.rule.server", "m.room.rule.server",
                            "org.matrix.mjolnir.rule.server")
POLICY_BAN_RECOMMENDATIONS = ("m.ban", "org.matrix.mjolnir.ban")
POLICY_ENTITY = "entity"
POLICY_REASON = "reason"
POLICY_RECOMMENDATION = "recommendation"
