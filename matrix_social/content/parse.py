"""Reading events back, from any client: what is a post (and of which kind), a relation, a like,
a repost notice, an edit. Anything that does not fit raises MalformedEvent."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .. import events as ev
from ..errors import MalformedEvent


def repost_notice_room(content: dict) -> str | None:
    """The reposter's feed room named by a repost notice, or None if this is not one."""
    if (content.get("m.relates_to") or {}).get("key") != ev.REPOST_KEY:
        return None
    notice = content.get(ev.REPOST_NOTICE)
    room = notice.get("room_id") if isinstance(notice, dict) else None
    if not isinstance(room, str) or not room.startswith("!"):
        raise MalformedEvent("repost notice without the reposter's feed room")
    return room


def notice_of(content: dict) -> str | None:
    """The repost notice a repost post names, if any."""
    original = (content.get(ev.POST_BLOCK) or {}).get(ev.POST_REPOST_OF) or {}
    notice = original.get(ev.POST_NOTICE)
    return notice if isinstance(notice, str) else None


@dataclass
class ParsedPost:
    kind: str
    body: str
    content: dict
    repost_of: str | None


@dataclass
class Relation:
    rel_type: str | None
    event_id: str | None
    in_reply_to: str | None


def relation_of(content: dict) -> Relation:
    relates = content.get("m.relates_to")
    if relates is None:
        return Relation(None, None, None)
    if not isinstance(relates, dict):
        raise MalformedEvent("m.relates_to is not an object")
    reply = relates.get("m.in_reply_to")
    in_reply_to = reply.get("event_id") if isinstance(reply, dict) else None
    if relates.get("is_falling_back") is True:
        in_reply_to = None
    rel_type, event_id = relates.get("rel_type"), relates.get("event_id")
    if rel_type is not None and not (isinstance(rel_type, str) and isinstance(event_id, str)):
        raise MalformedEvent("m.relates_to has a rel_type without an event_id")
    return Relation(rel_type, event_id, in_reply_to if isinstance(in_reply_to, str) else None)


def parse_post(content: dict) -> ParsedPost:
    """A top-level message by the feed owner, from our API or from any Matrix client."""
    body = content.get("body")
    msgtype = content.get("msgtype")
    if not isinstance(body, str) or not isinstance(msgtype, str):
        raise MalformedEvent("message without a string body and msgtype")
    block = content.get(ev.POST_BLOCK)
    if block is None:
        kind = "image" if msgtype == "m.image" else "text"
        block = {ev.POST_KIND: kind}
    if not isinstance(block, dict) or block.get(ev.POST_KIND) not in ev.POST_KINDS:
        raise MalformedEvent(f"{ev.POST_BLOCK} has no known kind")
    kind = block[ev.POST_KIND]
    repost_of = None
    if kind == "repost":
        original = block.get(ev.POST_REPOST_OF)
        if not isinstance(original, dict) or not isinstance(original.get("event_id"), str):
            raise MalformedEvent("repost without the original's event_id")
        repost_of = original["event_id"]
    stored = {key: value for key, value in content.items() if key != "m.relates_to"}
    stored[ev.POST_BLOCK] = _checked_block(kind, block)
    if kind == "image":
        _check_image(stored)
    return ParsedPost(kind=kind, body=body, content=stored, repost_of=repost_of)


_STRING_FIELDS = ("text", "caption")
_APP_FIELDS = ("name", "description", "icon", "url", "try_url", "slug")
MAX_ACTIVITY_DATA = 4000  # bytes of JSON


def _checked_block(kind: str, block: dict) -> dict:
    """The block as the API will show it: every field it reads has the type it expects, so a
    client's odd values are refused here, never served (or crashing a read) later."""
    for field in _STRING_FIELDS:
        if field in block and not isinstance(block[field], str):
            raise MalformedEvent(f"the post's {field!r} is not a string")
    app = block.get(ev.POST_APP)
    if app is not None:
        if not isinstance(app, dict) or not isinstance(app.get("name"), str) \
                or not _web_url(app.get("url")):
            raise MalformedEvent("the post's app has no name or no http(s) url")
        if any(key in app and not isinstance(app[key], str) for key in _APP_FIELDS):
            raise MalformedEvent("the post's app has a field that is not a string")
        if app.get("try_url") and not _web_url(app["try_url"]):
            raise MalformedEvent("the post's app try_url is not an http(s) URL")
    activity = block.get(ev.POST_ACTIVITY)
    if (kind == "activity" or activity is not None) and not _small_activity(activity):
        raise MalformedEvent("the post's activity has no kind or its data is not a small object")
    return block


def _small_activity(activity: Any) -> bool:
    return isinstance(activity, dict) and isinstance(activity.get("kind"), str) \
        and isinstance(activity.get("data", {}), dict) \
        and len(json.dumps(activity.get("data", {}))) <= MAX_ACTIVITY_DATA


def _web_url(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("https://", "http://"))


def _check_image(content: dict) -> None:
    if not isinstance(content.get("url"), str) or not content["url"].startswith("mxc://"):
        raise MalformedEvent("an image post without an mxc:// url")
    info = content.get("info")
    if info is not None and not isinstance(info, dict):
        raise MalformedEvent("an image post whose info is not an object")
    content["info"] = {key: value for key, value in (info or {}).items()
                       if (key == "mimetype" and isinstance(value, str))
                       or (key in ("size", "w", "h") and isinstance(value, int)
                           and not isinstance(value, bool) and value >= 0)}


def edited_content(content: dict) -> dict:
    new = content.get("m.new_content")
    if not isinstance(new, dict):
        raise MalformedEvent("m.replace without m.new_content")
    return new


def is_like_key(key: Any) -> bool:
    return isinstance(key, str) and key.replace("\ufe0f", "") == ev.LIKE_KEY.replace("\ufe0f", "")
