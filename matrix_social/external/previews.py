"""What each platform would get of a post: the draft cross-posting makes of the post's content,
and each target's preview (the exact text, its length as that platform counts it, or why it
will not take the post), formatted by the platform's own rules within the limits of the
account it goes to (a Mastodon instance sets its own)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from mautrix.util.async_db import Database

from .. import events as ev
from ..content.parse import content_warning, images_of
from ..db import platform_connections as connections
from .platform import Draft, Platform, Preview, TextLimits
from .platforms import REGISTERED
from .registry import Platforms


def permalink(room_id: str, event_id: str) -> str:
    """The link back to the post, added when a platform's text is cut."""
    return f"https://matrix.to/#/{room_id}/{event_id}"


def draft_of(kind: str, content: dict[str, Any], post_url: str | None) -> Draft:
    """What cross-posting sends of a post: its text (an image post's caption, with its images'
    types), never a repost's quoted text. A content warning stays in front of the text (as
    `body` has it) on every target."""
    block = content.get(ev.POST_BLOCK) or {}
    if kind == "repost":
        return Draft("", post_url)
    if kind == "image":
        mimetypes = tuple(str(i.get("mimetype") or "") for i in images_of(content))
        caption = str(block.get("caption") or "")
        cw = content_warning(content)
        return Draft(f"{ev.CW_BODY_PREFIX}{cw}\n\n{caption}" if cw else caption, post_url,
                     mimetypes)
    return Draft(str(content.get("body") or ""), post_url)


def preview(draft: Draft, targets: Iterable[str],
            limits: Mapping[str, TextLimits] | None = None,
            declared: Iterable[Platform] = REGISTERED) -> dict[str, Preview]:
    """Per target: the exact text that would be sent, its counted length, or the refusal;
    `limits` where a target's differ from what it declares."""
    known = {p.name: p for p in declared}
    limits = limits or {}
    result: dict[str, Preview] = {}
    for target in targets:
        platform = known.get(target)
        if platform is None:
            result[target] = Preview(target, None, 0, 0, refusal=f"unknown platform {target!r}")
        elif platform.format is None:
            result[target] = Preview(target, None, 0, 0,
                                     refusal=f"{platform.label} has no posts to publish to")
        else:
            result[target] = platform.format(draft, limits.get(target, platform.text_limits))
    return result


class Previews:
    """Previews for one user's posts: each target within the limits of her account there."""

    def __init__(self, db: Database, platforms: Platforms) -> None:
        self.db = db
        self.platforms = platforms

    async def limits(self, user_id: str, targets: Iterable[str]) -> dict[str, TextLimits]:
        found: dict[str, TextLimits] = {}
        for target in targets:
            platform = self.platforms.find(target)
            if platform is None or platform.format is None:
                continue
            row = await connections.get(self.db, user_id, target)
            found[target] = await self.platforms.text_limits(target, row.instance if row else None)
        return found

    async def of(self, user_id: str, draft: Draft, targets: Iterable[str]
                 ) -> dict[str, Preview]:
        targets = list(targets)
        return preview(draft, targets, await self.limits(user_id, targets),
                       self.platforms.declared)
