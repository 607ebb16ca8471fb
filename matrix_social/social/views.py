"""How index rows look in API answers."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from .. import events as ev
from ..content.fields import normalized_cw
from ..content.parse import images_of


@dataclass(frozen=True)
class Branding:
    """How a platform's bridged items look, as the external wing declares each platform."""

    name: str  # "Mastodon"
    color: str
    hosts: tuple[str, ...]  # where its items' links live, to check a link nobody here vouches
    # for (a post from another server); () = any host (Mastodon items live on any instance)


Brandings = Mapping[str, Branding]


def author_view(user_id: str, displayname: str | None, avatar_url: str | None,
                handle: str) -> dict[str, Any]:
    return {"user_id": user_id, "handle": handle, "display_name": displayname or handle,
            "avatar_url": avatar_url}


def media_path(mxc: str) -> str | None:
    """The image's path on the homeserver's authenticated media API (Matrix 1.11), relative to
    the homeserver's base URL; fetched with the access token."""
    server, _, media_id = mxc.removeprefix("mxc://").partition("/")
    if not mxc.startswith("mxc://") or not server or not media_id:
        return None
    return (f"/_matrix/client/v1/media/download/{quote(server, safe=':[]')}/"
            f"{quote(media_id, safe='')}")


def images_view(content: dict) -> list[dict[str, Any]]:
    """An image post's images: {url, mxc, alt, w, h, mimetype} each, in order."""
    views = []
    for image in images_of(content):
        view = {"url": media_path(image["url"]), "mxc": image["url"],
                "alt": image.get(ev.IMAGE_ALT) or ""}
        view.update({key: image[key] for key in ("w", "h", "mimetype") if key in image})
        views.append(view)
    return views


def post_view(row, handle: str, brandings: Brandings) -> dict[str, Any]:
    content = json.loads(row["content"])
    block = content.get(ev.POST_BLOCK, {})
    view: dict[str, Any] = {
        "id": row["event_id"],
        "room_id": row["room_id"],
        "event_id": row["event_id"],
        "author": author_view(row["author"], row["displayname"], row["avatar_url"], handle),
        "kind": row["kind"],
        "text": row["body"],
        "created_at": row["ts"],
        "edited_at": row["edited_ts"],
        "counts": {"likes": row["likes"], "comments": row["comments"],
                   "reposts": row["reposts"]},
        "liked": bool(row["liked"]),
        "bookmarked": bool(_column(row, "bookmarked")),
        "cw": _content_warning(block),
        "sensitive": block.get(ev.POST_SENSITIVE) is True,
    }
    group_name = _column(row, "group_name")
    if group_name is not None:  # a post in an MSC4501 group: by its author, in the group
        view["group"] = {"room_id": row["room_id"], "name": group_name}
    if view["cw"] is not None and row["kind"] == "text" and isinstance(block.get("text"), str):
        view["text"] = block["text"]  # the event's body holds only the spoiler fallback
    external = external_view(block.get(ev.POST_EXTERNAL), bool(_column(row, "external_verified")),
                             remote=handle.startswith("@"), brandings=brandings)
    if external is not None:
        view["external"] = external
    if row["kind"] == "image":
        view["text"] = block.get("caption", "")
        view["images"] = images_view(content)
        first = images_of(content)[:1]
        if first:  # the first image in the shape older clients of this API read
            view["image"] = {key: value for key, value in first[0].items() if key != "alt"}
    elif row["kind"] == "app":
        view["text"] = block.get("text", "")
        view["app"] = block.get(ev.POST_APP)
    elif row["kind"] == "activity":
        view["activity"] = block.get(ev.POST_ACTIVITY)
        if isinstance(block.get(ev.POST_APP), dict):  # an activity about an app: its preview
            view["app"] = block[ev.POST_APP]
            view["text"] = block.get("text") if isinstance(block.get("text"), str) else ""
    elif row["kind"] == "repost":
        view["text"] = block.get("text", "")
        original = block.get(ev.POST_REPOST_OF) or {}
        view["repost_of"] = {key: original.get(key) for key in ("room_id", "event_id", "author")}
    return view


def _content_warning(block: dict[str, Any]) -> str | None:
    """The reason a post's text is shown collapsed (a bridged item's content warning), or
    None. Whoever wrote the post may set it: it only ever hides that post's own content."""
    return normalized_cw(block.get(ev.POST_CW))


def external_view(external: Any, verified: bool, remote: bool, brandings: Brandings
                  ) -> dict[str, Any] | None:
    """A post's `external` block as the API shows it. Believed when this service made the post
    (a bridged item, or a share it recorded); on a local post without that record it is
    somebody's own claim and dropped; on another server's post it is shown unverified, and
    only with an https link on the platform's own site (any site for Mastodon)."""
    if not isinstance(external, dict):
        return None
    view: dict[str, Any] = {key: external[key] for key in (
        ev.EXTERNAL_PLATFORM, ev.EXTERNAL_URL, ev.EXTERNAL_ID, ev.EXTERNAL_KIND)
        if isinstance(external.get(key), str)}
    platform, url = view.get(ev.EXTERNAL_PLATFORM), view.get(ev.EXTERNAL_URL)
    brand = brandings.get(platform) if isinstance(platform, str) else None
    if brand is None or not url:
        return None
    if not verified:
        host = (urlsplit(url).hostname or "") if url.startswith("https://") else ""
        if not remote or not host or (brand.hosts and not any(
                host == h or host.endswith("." + h) for h in brand.hosts)):
            return None
    author = external.get(ev.EXTERNAL_AUTHOR)
    if isinstance(author, dict):
        view["author"] = {k: v for k, v in author.items()
                          if k in ("id", "handle", "name", "url", "user_id") and isinstance(v, str)}
    if isinstance(external.get(ev.EXTERNAL_CREATED_AT), int):
        view["created_at"] = external[ev.EXTERNAL_CREATED_AT]
    branding = external.get(ev.EXTERNAL_BRANDING)
    instance = branding.get("instance") if isinstance(branding, dict) else None
    view["branding"] = {"name": brand.name, "color": brand.color,
                        "label": f"View on {brand.name}",
                        **({"instance": instance} if isinstance(instance, str) else {})}
    view["verified"] = verified
    return view


def delivery_view(row) -> dict[str, Any]:
    """A cross-post of the viewer's own post, as its answer shows it (db/cross_post_deliveries)."""
    return {"target": row.target, "status": row.status, "remote_id": row.remote_id,
            "url": row.url, "attempts": row.attempts, "last_error": row.last_error}


def comment_view(row, handle: str) -> dict[str, Any]:
    view = {"id": row["event_id"], "post_id": row["post_id"], "room_id": row["room_id"],
            "author": author_view(row["author"], _column(row, "displayname"),
                                  _column(row, "avatar_url"), handle),
            "text": row["body"], "in_reply_to": row["in_reply_to"], "created_at": row["ts"],
            "edited_at": row["edited_ts"]}
    if _column(row, "cw"):
        view["cw"] = row["cw"]
    return view


def _column(row, name: str) -> Any:
    try:
        return row[name]
    except (KeyError, IndexError):
        return None


def app_view(row, handle: str) -> dict[str, Any]:
    view = {"id": row["app_id"], "slug": row["slug"], "name": row["name"],
            "description": row["description"], "icon": row["icon"], "url": row["url"],
            "author": {"user_id": row["author"], "handle": handle},
            "installs": _column(row, "installs"),
            "published_at": row["ts"],
            "forked_from": _column(row, "forked_from")}
    forks = _column(row, "forks")
    if forks is not None:
        view["forks"] = forks
    return view
