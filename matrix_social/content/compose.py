"""Composing the content of the events we send: posts of each kind, comments, likes, reposts
and their notices, edits. The shapes are the public schema (docs/events.md)."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from .. import events as ev
from ..errors import InvalidInput
from .fields import MAX_POST_CHARS, clean_text, clean_url
from .parse import content_warning, images_of

HTML = "org.matrix.custom.html"
INLINE_IMAGE_BOX = 320  # px: the largest side of an image shown inline by other clients


@dataclass(frozen=True)
class ImageRef:
    """An uploaded image as a post carries it (db/media.py has the upload's facts)."""

    mxc: str
    mimetype: str
    size: int
    width: int | None
    height: int | None
    alt: str = ""

    def info(self) -> dict[str, Any]:
        info: dict[str, Any] = {"mimetype": self.mimetype, "size": self.size}
        if self.width and self.height:
            info.update(w=self.width, h=self.height)
        return info


def _html_lines(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")


def _with_cw(cw: str, body: str, inner_html: str) -> dict:
    """body with the reason first, formatted_body as a Matrix spoiler (spec 11.2.1.7)."""
    return {"body": f"{ev.CW_BODY_PREFIX}{cw}\n\n{body}", "format": HTML,
            "formatted_body": f'<span {ev.SPOILER_ATTRIBUTE}="{html.escape(cw)}">'
                              f"{inner_html}</span>"}


def text_content(text: str, cw: str = "") -> dict:
    if not cw:
        return {"msgtype": "m.text", "body": text, ev.POST_BLOCK: {ev.POST_KIND: "text"}}
    return {"msgtype": "m.text", **_with_cw(cw, text, _html_lines(text)),
            ev.POST_BLOCK: {ev.POST_KIND: "text", ev.POST_TEXT: text, ev.POST_CW: cw}}


def _inline_image(image: ImageRef) -> str:
    size = ""
    if image.width and image.height:
        scale = min(1.0, INLINE_IMAGE_BOX / max(image.width, image.height))
        size = (f' width="{max(1, round(image.width * scale))}"'
                f' height="{max(1, round(image.height * scale))}"')
    return (f'<img src="{html.escape(image.mxc)}" alt="{html.escape(image.alt or "Image")}"'
            f"{size}>")


def image_content(images: list[ImageRef], caption: str, cw: str = "") -> dict:
    """One image: an m.image (Matrix 1.10: `filename`, and the caption in `body`). Two to four:
    an m.text whose formatted_body shows them inline, as Element does with <img src="mxc://">.
    Either way the post block lists every image with its alt text (docs/events.md)."""
    if not 1 <= len(images) <= ev.MAX_POST_IMAGES:
        raise InvalidInput(f"An image post has 1 to {ev.MAX_POST_IMAGES} images")
    block: dict[str, Any] = {
        ev.POST_KIND: "image", ev.POST_CAPTION: caption,
        ev.POST_IMAGES: [{"url": i.mxc, ev.IMAGE_ALT: i.alt, **i.info()} for i in images]}
    if cw:
        block[ev.POST_CW] = cw
    if len(images) == 1:
        image = images[0]
        extension = image.mimetype.split("/")[-1].replace("jpeg", "jpg")
        filename = f"image.{extension}"
        content: dict[str, Any] = {"msgtype": "m.image", "body": caption or filename,
                                   "filename": filename, "url": image.mxc,
                                   "info": image.info()}
        if cw:
            content.update(_with_cw(cw, caption or filename, _html_lines(caption)))
        return {**content, ev.POST_BLOCK: block}
    lines = [caption] if caption else []
    lines += [f"[image: {i.alt}]" if i.alt else "[image]" for i in images]
    inner = (f"{_html_lines(caption)}<br>" if caption else "") + "".join(
        _inline_image(i) for i in images)
    formatted = _with_cw(cw, "\n".join(lines), inner) if cw else {
        "body": "\n".join(lines), "format": HTML, "formatted_body": inner}
    return {"msgtype": "m.text", **formatted, ev.POST_BLOCK: block}


def app_block(app: Any, runner_template: str) -> dict:
    """The app preview carried by app posts (and activity posts about an app)."""
    if not isinstance(app, dict):
        raise InvalidInput("'app' must be an object")
    name = clean_text(app.get("name"), "app.name", max_chars=100)
    description = clean_text(app.get("description"), "app.description", required=False)
    icon = clean_url(app.get("icon"), "app.icon", required=False)
    url = clean_url(app.get("url"), "app.url")
    try_url = runner_template.replace("{url}", url).replace("{slug}", str(app.get("slug", "")))
    return {"name": name, "description": description, "icon": icon, "url": url,
            "try_url": try_url}


def _with_app(lead: str, block_app: dict) -> dict:
    """body and formatted_body: the lead text, then the app's name, description and link."""
    name, description, try_url = block_app["name"], block_app["description"], \
        block_app["try_url"]
    body = f"{lead}\n{name}: {description}\nTry it: {try_url}" if description else \
        f"{lead}\n{name}\nTry it: {try_url}"
    formatted = (f"<p>{html.escape(lead)}</p><p><b>{html.escape(name)}</b>"
                 f"{' — ' + html.escape(description) if description else ''}</p>"
                 f"<p><a href=\"{html.escape(try_url)}\">Try it</a></p>")
    return {"msgtype": "m.text", "body": body, "format": "org.matrix.custom.html",
            "formatted_body": formatted}


def app_content(app: dict, runner_template: str, text: str) -> dict:
    block_app = app_block(app, runner_template)
    lead = text or f"Check out {block_app['name']}"
    return {**_with_app(lead, block_app),
            ev.POST_BLOCK: {ev.POST_KIND: "app", ev.POST_APP: block_app, "text": text}}


def render_activity(kind: str, data: dict) -> str:
    details = ", ".join(f"{key}: {value}" for key, value in data.items()
                        if isinstance(value, (str, int, float)) and not isinstance(value, bool))
    return f"{kind.replace('_', ' ').capitalize()}" + (f" — {details}" if details else "")


def activity_content(activity: Any, text: str, app: dict | None = None) -> dict:
    """An activity post; `app` (an app_block) adds the app's preview, as app posts show it."""
    if not isinstance(activity, dict):
        raise InvalidInput("'activity' must be an object with 'kind' and 'data'")
    kind = clean_text(activity.get("kind"), "activity.kind", max_chars=64)
    data = activity.get("data", {})
    if not isinstance(data, dict):
        raise InvalidInput("'activity.data' must be an object")
    block = {ev.POST_KIND: "activity", ev.POST_ACTIVITY: {"kind": kind, "data": data},
             "text": text}
    if app is not None:
        block[ev.POST_APP] = app
        return {**_with_app(text or render_activity(kind, data), app), ev.POST_BLOCK: block}
    body = text or render_activity(kind, data)
    return {"msgtype": "m.text", "body": body[:MAX_POST_CHARS], ev.POST_BLOCK: block}


def repost_content(room_id: str, event_id: str, author: str, original_body: str,
                   comment: str, notice: str | None = None) -> dict:
    quoted = original_body if len(original_body) <= 280 else original_body[:279] + "…"
    lead = f"{comment}\n\n" if comment else ""
    link = f"https://matrix.to/#/{quote(room_id, safe='')}/{quote(event_id, safe='')}"
    return {
        "msgtype": "m.text",
        "body": f"{lead}🔁 {author}: {quoted}\n{link}",
        ev.POST_BLOCK: {ev.POST_KIND: "repost", "text": comment,
                        ev.POST_REPOST_OF: {"room_id": room_id, "event_id": event_id,
                                            "author": author,
                                            **({ev.POST_NOTICE: notice} if notice else {})}},
        # The same repost as MSC4501 clients read it: what they show instead of `body` (the
        # bare permalink of a plain repost, the comment of a quote) and the relation.
        ev.SOCIAL_BODY: comment or link,
        ev.SOCIAL_RELATES_TO: {
            "rel_type": ev.SOCIAL_REL_REPOST, "event_id": event_id, "room_id": room_id,
            "sender": author, "via": [author.partition(":")[2]],
            "content": {"msgtype": "m.text", "body": original_body}},
    }


def repost_notice_content(post_id: str, reposter_room: str) -> dict:
    return {"m.relates_to": {"rel_type": "m.annotation", "event_id": post_id,
                             "key": ev.REPOST_KEY},
            ev.REPOST_NOTICE: {"room_id": reposter_room}}


def edit_event_content(original_id: str, new: dict) -> dict:
    """An m.replace edit with a readable fallback, as Element sends them."""
    return {
        "msgtype": new.get("msgtype", "m.text"),
        "body": f"* {new.get('body', '')}",
        "m.new_content": new,
        "m.relates_to": {"rel_type": "m.replace", "event_id": original_id},
    }


def comment_content(post_id: str, text: str, reply_to: str | None, cw: str = "") -> dict:
    relates: dict[str, Any] = {"rel_type": ev.THREAD_REL, "event_id": post_id}
    if reply_to:
        relates["is_falling_back"] = False
        relates["m.in_reply_to"] = {"event_id": reply_to}
    else:
        relates["is_falling_back"] = True
        relates["m.in_reply_to"] = {"event_id": post_id}
    shown = _with_cw(cw, text, _html_lines(text)) if cw else {"body": text}
    return {"msgtype": "m.text", **shown, "m.relates_to": relates}


def like_content(post_id: str) -> dict:
    return {"m.relates_to": {"rel_type": "m.annotation", "event_id": post_id,
                             "key": ev.LIKE_KEY}}


def edited_post_content(row: Any, text: str) -> dict:
    """New content for an edit: text posts get new text, image posts a new caption; the
    content warning and the images stay as they were."""
    content = json.loads(row["content"])
    cw = content_warning(content)
    if row["kind"] == "text":
        return text_content(text, cw)
    if row["kind"] == "image":
        images = [ImageRef(i["url"], str(i.get("mimetype") or "image/png"),
                           int(i.get("size") or 0), i.get("w"), i.get("h"),
                           str(i.get(ev.IMAGE_ALT) or ""))
                  for i in images_of(content)]
        if not images:
            raise InvalidInput("This image post has no image to keep")
        return image_content(images, text, cw)
    raise InvalidInput("Only text posts and image captions can be edited")
