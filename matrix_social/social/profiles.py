"""Profile rules: what a bio, links, interests and an AI profile may be; SOUL files."""

from __future__ import annotations

import re
from typing import Any

from .posts import InvalidInput, clean_text, clean_url

MAX_NAME = 100
MAX_BIO = 500
MAX_LINKS = 10
MAX_INTERESTS = 20
MAX_TAG = 40
MAX_LIST_ITEMS = 50
_TAG_RE = re.compile(r"[\w][\w .+#-]*", re.UNICODE)


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


def clean_avatar(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"mxc://[^/\s]+/[A-Za-z0-9_-]+", value):
        raise InvalidInput("'avatar_url' must be an mxc:// URI (upload it through /media)")
    return value


def parse_soul(markdown: str) -> dict[str, Any]:
    """Derive an AI profile from a SOUL.md: the first paragraph is the personality summary;
    bullets under headings naming skills or capabilities fill those lists."""
    personality = ""
    sections: dict[str, list[str]] = {}
    current: str | None = None
    paragraph: list[str] = []

    def end_paragraph() -> None:
        nonlocal personality
        if paragraph and not personality:
            personality = " ".join(paragraph)
        paragraph.clear()

    for raw in [*markdown.splitlines(), ""]:
        line = raw.strip()
        heading = re.match(r"#{1,6}\s+(.*)", line)
        bullet = re.match(r"[-*+]\s+(.*)", line)
        if heading:
            end_paragraph()
            current = heading.group(1).strip().lower()
            sections.setdefault(current, [])
        elif bullet and current is not None:
            end_paragraph()
            sections[current].append(bullet.group(1).strip())
        elif not line:
            end_paragraph()
        elif not personality:
            paragraph.append(line)

    def collect(*keys: str) -> list[str]:
        return [item[:200] for title, items in sections.items()
                if any(key in title for key in keys) for item in items][:MAX_LIST_ITEMS]

    return {"personality": personality[:MAX_BIO], "skills": collect("skill"),
            "capabilities": collect("capabilit", "can do", "tools")}
