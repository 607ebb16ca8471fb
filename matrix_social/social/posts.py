"""What a post is: composing post content for Matrix, and reading it back from any client."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from typing import Any

from .. import events as ev

MAX_POST_CHARS = 500
MAX_FIELD_CHARS = 2000


class InvalidInput(ValueError):
    """Input a user sent that we refuse; the message says what is wrong."""


class MalformedEvent(ValueError):
    """An event from some client that does not fit the schema."""


def clean_text(value: Any, field: str, *, max_chars: int = MAX_POST_CHARS,
               required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(f"'{field}' must be a string")
    text = value.strip()
    if required and not text:
        raise InvalidInput(f"'{field}' must not be empty")
    if len(text) > max_chars:
        raise InvalidInput(f"'{field}' is {len(text)} characters; at most {max_chars} allowed")
    return text


def clean_url(value: Any, field: str, required: bool = True) -> str:
    url = clean_text(value, field, max_chars=MAX_FIELD_CHARS, required=required)
    if url and not url.startswith(("https://", "http://", "mxc://")):
        raise InvalidInput(f"'{field}' must be an http(s) or mxc URL")
    return url


def text_content(text: str) -> dict:
    return {"msgtype": "m.text", "body": text, ev.POST_BLOCK: {ev.POST_KIND: "text"}}


def image_content(mxc: str, mimetype: str, size: int, width: int | None, height: int | None,
                  caption: str) -> dict:
    info: dict[str, Any] = {"mimetype": mimetype, "size": size}
    if width and height:
        info.update(w=width, h=height)
    extension = mimetype.split("/")[-1].replace("jpeg", "jpg")
    return {
        "msgtype": "m.image",
        "body": caption or f"image.{extension}",
        "filename": f"image.{extension}",
        "url": mxc,
        "info": info,
        ev.POST_BLOCK: {ev.POST_KIND: "image", "caption": caption},
    }


def app_content(app: dict, runner_template: str, text: str) -> dict:
    if not isinstance(app, dict):
        raise InvalidInput("'app' must be an object")
    name = clean_text(app.get("name"), "app.name", max_chars=100)
    description = clean_text(app.get("description"), "app.description", required=False)
    icon = clean_url(app.get("icon"), "app.icon", required=False)
    url = clean_url(app.get("url"), "app.url")
    try_url = runner_template.replace("{url}", url).replace("{slug}", str(app.get("slug", "")))
    block_app = {"name": name, "description": description, "icon": icon, "url": url,
                 "try_url": try_url}
    lead = text or f"Check out {name}"
    body = f"{lead}\n{name}: {description}\nTry it: {try_url}" if description else \
        f"{lead}\n{name}\nTry it: {try_url}"
    formatted = (f"<p>{html.escape(lead)}</p><p><b>{html.escape(name)}</b>"
                 f"{' — ' + html.escape(description) if description else ''}</p>"
                 f"<p><a href=\"{html.escape(try_url)}\">Try it</a></p>")
    return {"msgtype": "m.text", "body": body, "format": "org.matrix.custom.html",
            "formatted_body": formatted,
            ev.POST_BLOCK: {ev.POST_KIND: "app", ev.POST_APP: block_app, "text": text}}


def render_activity(kind: str, data: dict) -> str:
    details = ", ".join(f"{key}: {value}" for key, value in data.items()
                        if isinstance(value, (str, int, float)) and not isinstance(value, bool))
    return f"{kind.replace('_', ' ').capitalize()}" + (f" — {details}" if details else "")


def activity_content(activity: Any, text: str) -> dict:
    if not isinstance(activity, dict):
        raise InvalidInput("'activity' must be an object with 'kind' and 'data'")
    kind = clean_text(activity.get("kind"), "activity.kind", max_chars=64)
    data = activity.get("data", {})
    if not isinstance(data, dict):
        raise InvalidInput("'activity.data' must be an object")
    body = text or render_activity(kind, data)
    return {"msgtype": "m.text", "body": body[:MAX_POST_CHARS],
            ev.POST_BLOCK: {ev.POST_KIND: "activity",
                            ev.POST_ACTIVITY: {"kind": kind, "data": data}, "text": text}}


def repost_content(room_id: str, event_id: str, author: str, original_body: str,
                   comment: str, notice: str | None = None) -> dict:
    quoted = original_body if len(original_body) <= 280 else original_body[:279] + "…"
    lead = f"{comment}\n\n" if comment else ""
    link = f"https://matrix.to/#/{room_id}/{event_id}"
    return {
        "msgtype": "m.text",
        "body": f"{lead}🔁 {author}: {quoted}\n{link}",
        ev.POST_BLOCK: {ev.POST_KIND: "repost", "text": comment,
                        ev.POST_REPOST_OF: {"room_id": room_id, "event_id": event_id,
                                            "author": author,
                                            **({ev.POST_NOTICE: notice} if notice else {})}},
    }


def repost_notice_content(post_id: str, reposter_room: str) -> dict:
    return {"m.relates_to": {"rel_type": "m.annotation", "event_id": post_id,
                             "key": ev.REPOST_KEY},
            ev.REPOST_NOTICE: {"room_id": reposter_room}}


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
    stored[ev.POST_BLOCK] = block
    return ParsedPost(kind=kind, body=body, content=stored, repost_of=repost_of)


def edited_content(content: dict) -> dict:
    new = content.get("m.new_content")
    if not isinstance(new, dict):
        raise MalformedEvent("m.replace without m.new_content")
    return new


def edit_event_content(original_id: str, new: dict) -> dict:
    """An m.replace edit with a readable fallback, as Element sends them."""
    return {
        "msgtype": new.get("msgtype", "m.text"),
        "body": f"* {new.get('body', '')}",
        "m.new_content": new,
        "m.relates_to": {"rel_type": "m.replace", "event_id": original_id},
    }


def comment_content(post_id: str, text: str, reply_to: str | None) -> dict:
    relates: dict[str, Any] = {"rel_type": ev.THREAD_REL, "event_id": post_id}
    if reply_to:
        relates["is_falling_back"] = False
        relates["m.in_reply_to"] = {"event_id": reply_to}
    else:
        relates["is_falling_back"] = True
        relates["m.in_reply_to"] = {"event_id": post_id}
    return {"msgtype": "m.text", "body": text, "m.relates_to": relates}


def like_content(post_id: str) -> dict:
    return {"m.relates_to": {"rel_type": "m.annotation", "event_id": post_id,
                             "key": ev.LIKE_KEY}}


def is_like_key(key: Any) -> bool:
    return isinstance(key, str) and key.replace("\ufe0f", "") == ev.LIKE_KEY.replace("\ufe0f", "")


def edited_post_content(row: Any, text: str) -> dict:
    """New content for an edit: text posts get new text, image posts a new caption."""
    if row["kind"] == "text":
        return text_content(text)
    if row["kind"] == "image":
        content = json.loads(row["content"])
        content["body"] = text
        content[ev.POST_BLOCK] = {**content.get(ev.POST_BLOCK, {}), "caption": text}
        return content
    raise InvalidInput("Only text posts and image captions can be edited")
