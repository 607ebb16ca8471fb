"""Reading events back, from any client: what is a post (and of which kind), a relation, a like,
a repost notice, an edit. Anything that does not fit raises MalformedEvent."""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from typing import Any

from .. import events as ev
from ..errors import MalformedEvent
from .fields import MAX_ALT_CHARS, MAX_CW_READ_CHARS


def repost_notice_room(content: dict) -> str | None:
    """The reposter's feed room named by a repost notice, or None if this is not one."""
    if (content.get("m.relates_to") or {}).get("key") != ev.REPOST_KEY:
        return None
    notice = content.get(ev.REPOST_NOTICE)
    if notice is None:
        return None  # an MSC4501 client's bare 🔁: its repost event is what counts
    room = notice.get("room_id") if isinstance(notice, dict) else None
    if not isinstance(room, str) or not room.startswith("!"):
        raise MalformedEvent("repost notice without the reposter's feed room")
    return room


def notice_of(content: dict) -> str | None:
    """The repost notice a repost post names, if any."""
    original = (content.get(ev.POST_BLOCK) or {}).get(ev.POST_REPOST_OF) or {}
    notice = original.get(ev.POST_NOTICE)
    return notice if isinstance(notice, str) else None


# A matrix.to or matrix: permalink to an event, as an MSC4501 repost's body is.
_PERMALINK = re.compile(r"(?:https://matrix\.to/#/|matrix:)\S+")


@dataclass
class SocialRepost:
    """An MSC4501 repost or quote: the original's event id and the reposter's own words. The
    block's embedded `content`, `sender` and `displayname` are never read: the original is
    the indexed live event."""
    event_id: str
    comment: str


def social_repost(content: dict) -> SocialRepost | None:
    """The MSC4501 `relates_to` repost a message carries, or None (none, or a cross-posted
    reply, which is an ordinary post)."""
    block = content.get(ev.SOCIAL_RELATES_TO)
    if block is None:
        return None
    if not isinstance(block, dict):
        raise MalformedEvent(f"{ev.SOCIAL_RELATES_TO} is not an object")
    if block.get("rel_type") != ev.SOCIAL_REL_REPOST:
        return None
    event_id = block.get("event_id")
    if not isinstance(event_id, str) or not event_id.startswith("$"):
        raise MalformedEvent(f"{ev.SOCIAL_RELATES_TO} repost without the original's event_id")
    override = content.get(ev.SOCIAL_BODY)
    if block.get("content_inline") is True:
        comment = ""
    elif isinstance(override, str):
        comment = override
    else:
        comment = content.get("body") if isinstance(content.get("body"), str) else ""
    comment = _PERMALINK.sub("", comment).strip()
    return SocialRepost(event_id, comment)


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
    checked = _checked_block(kind, block)
    if content.get(ev.POST_BLOCK) is None and msgtype == "m.image":
        checked[ev.POST_CAPTION] = _caption_of_plain_image(content)
    cw = content_warning({**content, ev.POST_BLOCK: checked})
    checked.pop(ev.POST_CW, None)
    if cw:
        checked[ev.POST_CW] = cw
        text = checked.get(ev.POST_TEXT)
        body = text if isinstance(text, str) and kind == "text" else without_cw(body, cw)
    stored[ev.POST_BLOCK] = checked
    if kind == "image":
        _check_image(stored)
    return ParsedPost(kind=kind, body=body, content=stored, repost_of=repost_of)


def _caption_of_plain_image(content: dict) -> str:
    """Matrix 1.10: an m.image's body is its caption when a different `filename` is given."""
    filename, body = content.get("filename"), content.get("body")
    return body if isinstance(filename, str) and isinstance(body, str) and body != filename \
        else ""


# <span data-mx-spoiler>, <span data-mx-spoiler="reason"> (any quoting, any other attributes)
_SPOILER = re.compile(
    r"<span\b[^>]*?\s" + ev.SPOILER_ATTRIBUTE
    + r"(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+)))?", re.IGNORECASE)


def _one_line(text: str, limit: int) -> str:
    return " ".join(text.split())[:limit].rstrip()


def spoiler_reason(content: dict) -> str | None:
    """The reason of the first Matrix spoiler in formatted_body ("Spoiler" when it gives none),
    or None without a spoiler."""
    formatted = content.get("formatted_body")
    if content.get("format") != "org.matrix.custom.html" or not isinstance(formatted, str):
        return None
    found = _SPOILER.search(formatted[:65536])
    if found is None:
        return None
    reason = html.unescape(next((g for g in found.groups() if g), ""))
    return _one_line(reason, MAX_CW_READ_CHARS) or "Spoiler"


def content_warning(content: dict) -> str:
    """A post's or comment's content warning: our block's `cw`, else the reason of a Matrix
    spoiler any client wrote; "" for none."""
    block = content.get(ev.POST_BLOCK)
    cw = block.get(ev.POST_CW) if isinstance(block, dict) else None
    if isinstance(cw, str) and cw.strip():
        return _one_line(cw, MAX_CW_READ_CHARS)
    return spoiler_reason(content) or ""


def without_cw(body: str, cw: str) -> str:
    """The text of a body that starts with the content warning ("CW: reason", blank line)."""
    prefix = f"{ev.CW_BODY_PREFIX}{cw}"
    if cw and body.startswith(prefix):
        return body[len(prefix):].lstrip("\n")
    return body


def images_of(content: dict) -> list[dict[str, Any]]:
    """An image post's images as the block lists them (checked by parse_post); a post without
    the list (older ones, any client's m.image) has its one image at the top."""
    block = content.get(ev.POST_BLOCK)
    images = block.get(ev.POST_IMAGES) if isinstance(block, dict) else None
    if isinstance(images, list) and images:
        return images
    url = content.get("url")
    if content.get("msgtype") != "m.image" or not isinstance(url, str):
        return []
    info = content.get("info") if isinstance(content.get("info"), dict) else {}
    return [{"url": url, ev.IMAGE_ALT: "", **info}]


_STRING_FIELDS = ("text", "caption", ev.POST_CW)
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
    if ev.POST_IMAGES in block:
        if kind != "image":
            raise MalformedEvent("only an image post lists images")
        block = {**block, ev.POST_IMAGES: _checked_images(block[ev.POST_IMAGES])}
    return dict(block)


def _checked_images(images: Any) -> list[dict[str, Any]]:
    if not isinstance(images, list) or not 1 <= len(images) <= ev.MAX_POST_IMAGES:
        raise MalformedEvent(f"the post's images are not a list of 1 to {ev.MAX_POST_IMAGES}")
    checked = []
    for image in images:
        if not isinstance(image, dict) or not isinstance(image.get("url"), str) \
                or not image["url"].startswith("mxc://"):
            raise MalformedEvent("an image of the post has no mxc:// url")
        alt = image.get(ev.IMAGE_ALT, "")
        if not isinstance(alt, str):
            raise MalformedEvent("an image's alt text is not a string")
        checked.append({"url": image["url"], ev.IMAGE_ALT: alt[:MAX_ALT_CHARS],
                        **_checked_info(image)})
    return checked


def _checked_info(info: dict) -> dict[str, Any]:
    return {key: value for key, value in info.items()
            if (key == "mimetype" and isinstance(value, str))
            or (key in ("size", "w", "h") and isinstance(value, int)
                and not isinstance(value, bool) and value >= 0)}


def _small_activity(activity: Any) -> bool:
    return isinstance(activity, dict) and isinstance(activity.get("kind"), str) \
        and isinstance(activity.get("data", {}), dict) \
        and len(json.dumps(activity.get("data", {}))) <= MAX_ACTIVITY_DATA


def _web_url(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("https://", "http://"))


def _check_image(content: dict) -> None:
    """An m.image has its image at the top; an image post of several (an m.text) lists them."""
    if content.get("msgtype") != "m.image":
        if not content[ev.POST_BLOCK].get(ev.POST_IMAGES):
            raise MalformedEvent("an image post that is not an m.image lists no images")
        return
    if not isinstance(content.get("url"), str) or not content["url"].startswith("mxc://"):
        raise MalformedEvent("an image post without an mxc:// url")
    info = content.get("info")
    if info is not None and not isinstance(info, dict):
        raise MalformedEvent("an image post whose info is not an object")
    content["info"] = _checked_info(info or {})


def edited_content(content: dict) -> dict:
    new = content.get("m.new_content")
    if not isinstance(new, dict):
        raise MalformedEvent("m.replace without m.new_content")
    return new


_LIKE_KEYS = frozenset(key.replace("\ufe0f", "") for key in ev.LIKE_KEYS)


def is_like_key(key: Any) -> bool:
    """❤️ (ours, before MSC4501) or 👍 (MSC4501's), with or without the variation selector;
    a skin tone or any other emoji is a reaction, not a like."""
    return isinstance(key, str) and key.replace("\ufe0f", "") in _LIKE_KEYS
