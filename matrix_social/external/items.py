"""The events that carry bridged external items (docs/events.md, "External platforms"): an
ordinary m.text or m.image any client reads (text with its links, an image with its caption,
"View on <platform>"), with the post block's `external` object for clients that brand it."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

from .. import events as ev
from ..content.fields import normalized_cw

MAX_TEXT = 5000  # a bridged item's text in an event (GitHub pushes list up to 20 commits)
_URL = re.compile(r"https?://[^\s<>\"']+")


@dataclass(frozen=True)
class UploadedImage:
    mxc: str
    mimetype: str
    size: int


@dataclass(frozen=True)
class ExternalItem:
    """What the bridge knows about one item, already checked (URLs http(s) only), with its
    image once uploaded to the homeserver."""

    platform: str
    label: str  # the platform's name as people read it: "View on <label>"
    color: str  # its brand colour
    remote_id: str
    kind: str
    text: str
    url: str
    created_at_ms: int
    author: dict[str, str]  # id, handle, name, url, user_id (the puppet)
    instance: str | None = None  # Mastodon: the instance's host
    links: tuple[tuple[str, str], ...] = ()  # (label, url) lines after the text (commits)
    image: UploadedImage | None = None
    content_warning: str | None = None  # the text is shown only on request, behind this
    sensitive: bool = False  # the platform marked its media sensitive


def external_block(item: ExternalItem) -> dict[str, Any]:
    branding: dict[str, Any] = {"name": item.label, "color": item.color,
                                "label": f"View on {item.label}"}
    if item.instance:
        branding["instance"] = item.instance
    return {ev.EXTERNAL_PLATFORM: item.platform, ev.EXTERNAL_ID: item.remote_id,
            ev.EXTERNAL_URL: item.url, ev.EXTERNAL_KIND: item.kind,
            ev.EXTERNAL_CREATED_AT: item.created_at_ms, ev.EXTERNAL_AUTHOR: dict(item.author),
            ev.EXTERNAL_BRANDING: branding}


def _linkified(text: str) -> str:
    out, position = [], 0
    for match in _URL.finditer(text):
        out.append(html.escape(text[position:match.start()]))
        url = match.group(0)
        out.append(f'<a href="{html.escape(url)}">{html.escape(url)}</a>')
        position = match.end()
    out.append(html.escape(text[position:]))
    return "".join(out).replace("\n", "<br/>")


def item_text(item: ExternalItem) -> str:
    """The item's words as the feed shows them (without the "View on" line), as its platform
    made them look (Platform.look)."""
    return item.text.strip()[:MAX_TEXT]


def item_content(item: ExternalItem) -> dict[str, Any]:
    """An m.text or m.image any client reads. With a content warning, the text is a Matrix
    spoiler: inside <span data-mx-spoiler="reason"> in `formatted_body`, and left out of
    `body`, whose fallback starts with the reason and links to the original (the spec's
    spoiler fallback). Media marked sensitive, or behind a warning, is marked for clients to
    blur (MSC4193, MSC3725) and `sensitive` in the post block."""
    text = item_text(item)
    image = item.image
    warning = normalized_cw(item.content_warning)
    label = f"View on {item.label}"
    link_lines = "".join(f"\n• {label_} {url}" for label_, url in item.links)
    links_html = "".join(f'<br/>• <a href="{html.escape(url)}">{html.escape(label_)}</a>'
                         for label_, url in item.links)
    shown = f"{_linkified(text)}{links_html}"
    if warning is None:
        body = f"{text}{link_lines}\n\n{label}: {item.url}".strip()
    else:
        body = f"[Spoiler for {warning}]({item.url})\n\n{label}: {item.url}"
        shown = f'<span {ev.SPOILER_ATTRIBUTE}="{html.escape(warning)}">{shown}</span>'
    formatted = f'<p>{shown}</p><p><a href="{html.escape(item.url)}">{html.escape(label)}</a></p>'
    block: dict[str, Any] = {ev.POST_KIND: "image" if image else "text",
                             ev.POST_EXTERNAL: external_block(item)}
    content: dict[str, Any] = {"msgtype": "m.text", "body": body,
                               "format": "org.matrix.custom.html", "formatted_body": formatted,
                               ev.EXTERNAL_URL_KEY: item.url, ev.POST_BLOCK: block}
    blurred = image is not None and (item.sensitive or warning is not None)
    if warning is not None:
        block[ev.POST_CW] = warning
        block["text"] = text  # the body holds only the fallback
    block[ev.POST_SENSITIVE] = blurred
    if image is not None:
        extension = image.mimetype.split("/")[-1].replace("jpeg", "jpg")
        block["caption"] = text
        content.update(msgtype="m.image", url=image.mxc, filename=f"image.{extension}",
                       info={"mimetype": image.mimetype, "size": image.size})
    if blurred:
        content[ev.MEDIA_SPOILER] = True
        warning_of_media: dict[str, Any] = {"type": ev.CONTENT_WARNING_SPOILER}
        if warning is not None:
            content[ev.MEDIA_SPOILER_REASON] = warning
            warning_of_media["description"] = warning
        content[ev.CONTENT_WARNING] = warning_of_media
    return content


def edit_content(original_event_id: str, new: dict[str, Any]) -> dict[str, Any]:
    """An m.replace of a bridged item with its new content."""
    fallback = {k: v for k, v in new.items() if k != ev.POST_BLOCK}
    return {**fallback, "body": f"* {new['body']}",
            "formatted_body": f"* {new.get('formatted_body', '')}",
            "m.new_content": new,
            "m.relates_to": {"rel_type": "m.replace", "event_id": original_event_id}}


def image_of(content: dict[str, Any]) -> UploadedImage | None:
    """The image of a bridged item's stored content (an edit keeps it)."""
    info = content.get("info") if isinstance(content.get("info"), dict) else {}
    if content.get("msgtype") != "m.image" or not isinstance(content.get("url"), str):
        return None
    return UploadedImage(content["url"], str(info.get("mimetype") or "image/jpeg"),
                         int(info.get("size") or 0))
