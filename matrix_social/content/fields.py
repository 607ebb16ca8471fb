"""What a user may write in a field: text lengths, URLs, profile links, interests, lists."""

from __future__ import annotations

import re
from typing import Any

from ..errors import InvalidInput

MAX_POST_CHARS = 500
MAX_FIELD_CHARS = 2000
MAX_NAME = 100
MAX_BIO = 500
MAX_LINKS = 10
MAX_INTERESTS = 20
MAX_TAG = 40
MAX_LIST_ITEMS = 50
MAX_CW_CHARS = 100  # a content warning's reason, as written through the API
MAX_CW_READ_CHARS = 500  # one read from an event or a platform (Mastodon's spoiler_text bound)
MAX_ALT_CHARS = 1500  # an image's alt text (Mastodon's limit)
_TAG_RE = re.compile(r"[\w][\w .+#-]*", re.UNICODE)
SLUG_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


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


def normalized_cw(value: object) -> str | None:
    """A content warning read from anywhere (an event, a platform): one line of bounded text,
    None when there is none or it is not text."""
    if not isinstance(value, str):
        return None
    return " ".join(value.split())[:MAX_CW_READ_CHARS].rstrip() or None


def clean_cw(value: Any) -> str:
    """A content warning's reason ("" for none): one line, at most MAX_CW_CHARS."""
    text = clean_text(value, "cw", max_chars=MAX_CW_CHARS, required=False)
    if "\n" in text or "\r" in text:
        raise InvalidInput("'cw' must be one line")
    return text


def clean_url(value: Any, field: str, required: bool = True) -> str:
    url = clean_text(value, field, max_chars=MAX_FIELD_CHARS, required=required)
    if url and not url.startswith(("https://", "http://", "mxc://")):
        raise InvalidInput(f"'{field}' must be an http(s) or mxc URL")
    return url


def clean_links(value: Any) -> list[dict[str, str]]:
    if not isinstance(value, list) or len(value) > MAX_LINKS:
        raise InvalidInput(f"'links' must be a list of at most {MAX_LINKS} links")
    links = []
    for i, link in enumerate(value):
        if isinstance(link, str):
            link = {"url": link}
        if not isinstance(link, dict):
            raise InvalidInput(f"'links[{i}]' must be a URL or an object with url and title")
        url = clean_url(link.get("url"), f"links[{i}].url")
        if url.startswith("mxc://"):
            raise InvalidInput(f"'links[{i}].url' must be an http(s) URL")
        title = clean_text(link.get("title"), f"links[{i}].title", max_chars=100,
                           required=False)
        links.append({"url": url, "title": title} if title else {"url": url})
    return links


def clean_interests(value: Any) -> list[str]:
    if not isinstance(value, list) or len(value) > MAX_INTERESTS:
        raise InvalidInput(f"'interests' must be a list of at most {MAX_INTERESTS} tags")
    tags: list[str] = []
    for i, tag in enumerate(value):
        text = clean_text(tag, f"interests[{i}]", max_chars=MAX_TAG).lower()
        if not _TAG_RE.fullmatch(text):
            raise InvalidInput(f"'interests[{i}]' must be a word or short phrase")
        if text not in tags:
            tags.append(text)
    return tags


def clean_string_list(value: Any, field: str) -> list[str]:
    if not isinstance(value, list) or len(value) > MAX_LIST_ITEMS:
        raise InvalidInput(f"'{field}' must be a list of at most {MAX_LIST_ITEMS} strings")
    return [clean_text(item, f"{field}[{i}]", max_chars=200) for i, item in enumerate(value)]


def clean_avatar(value: Any, field: str = "avatar_url") -> str:
    if not isinstance(value, str) or not re.fullmatch(r"mxc://[^/\s]+/[A-Za-z0-9_-]+", value):
        raise InvalidInput(f"'{field}' must be an mxc:// URI (upload it through /media)")
    return value

