"""How index rows look in API answers."""

from __future__ import annotations

import json
from typing import Any

from .. import events as ev


def author_view(user_id: str, displayname: str | None, avatar_url: str | None,
                handle: str) -> dict[str, Any]:
    return {"user_id": user_id, "handle": handle, "display_name": displayname or handle,
            "avatar_url": avatar_url}


def post_view(row, handle: str) -> dict[str, Any]:
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
    }
    external = block.get(ev.POST_EXTERNAL)
    if isinstance(external, dict):
        view["external"] = {key: external[key] for key in ("platform", "url", "id")
                            if isinstance(external.get(key), str)}
    if row["kind"] == "image":
        info = content.get("info")
        view["text"] = block.get("caption", "")
        view["image"] = {"url": content.get("url"), **(info if isinstance(info, dict) else {})}
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


def comment_view(row, handle: str) -> dict[str, Any]:
    return {"id": row["event_id"], "post_id": row["post_id"], "room_id": row["room_id"],
            "author": {"user_id": row["author"], "handle": handle}, "text": row["body"],
            "in_reply_to": row["in_reply_to"], "created_at": row["ts"],
            "edited_at": row["edited_ts"]}


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
