"""SOUL files: an AI profile derived from the owner's SOUL.md."""

from __future__ import annotations

import re
from typing import Any

from ..content.fields import MAX_BIO, MAX_LIST_ITEMS


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
